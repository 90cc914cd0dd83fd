package incluster

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/mesosphere/dkp-diagnose/lib/collect"
)

// TestJobMountsSpecSecret: with SpecSecret the worker container reads the
// Secret's keys as files under SpecPath, read-only, and nothing else of the
// pod changes; without it there is no such volume.
func TestJobMountsSpecSecret(t *testing.T) {
	run := &RunSpec{RunID: "r1", Image: "img", Shards: 2, Lifetime: time.Hour,
		Args: []string{SpecPath + "/spec-0-site.yaml"}, SpecSecret: "spec"}
	pod := run.Objects().Job.Spec.Template.Spec
	require.Len(t, pod.Containers, 1)
	c := pod.Containers[0]
	assert.Contains(t, c.VolumeMounts, corev1.VolumeMount{Name: "spec", MountPath: SpecPath, ReadOnly: true})
	assert.Contains(t, c.VolumeMounts, corev1.VolumeMount{Name: "output", MountPath: OutputPath}, "the output folder is still there")
	var vol *corev1.Volume
	for i := range pod.Volumes {
		if pod.Volumes[i].Name == "spec" {
			vol = &pod.Volumes[i]
		}
	}
	require.NotNil(t, vol, "the spec volume")
	require.NotNil(t, vol.Secret, "a Secret volume: specs may hold credentials")
	assert.Equal(t, "spec", vol.Secret.SecretName)
	require.NotNil(t, vol.Secret.DefaultMode)
	assert.Equal(t, int32(0o440), *vol.Secret.DefaultMode, "read by the pod's group (fsGroup), no one else")
	assert.Equal(t, int64(65532), *pod.SecurityContext.FSGroup, "the group that owns the mounted files is the pod's")
	assert.Empty(t, c.EnvFrom, "the spec Secret is files, not environment")

	run.SpecSecret = ""
	pod = run.Objects().Job.Spec.Template.Spec
	for _, v := range pod.Volumes {
		assert.NotEqual(t, "spec", v.Name, "no spec volume without SpecSecret")
	}
	for _, m := range pod.Containers[0].VolumeMounts {
		assert.NotEqual(t, SpecPath, m.MountPath)
	}
}

// TestSecretInRunNamespace: a Secret of the run is in its namespace with
// its labels and expiry, so that it goes with the namespace and is swept
// as the rest of the run.
func TestSecretInRunNamespace(t *testing.T) {
	run := &RunSpec{RunID: "r1", Lifetime: time.Hour, Now: func() time.Time { return time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC) }}
	s := run.Secret("spec", nil)
	assert.Equal(t, "spec", s.Name)
	assert.Equal(t, run.Name(), s.Namespace)
	assert.Equal(t, run.Labels(), s.Labels)
	assert.Equal(t, "2026-12-05T01:00:00Z", s.Annotations[collect.AnnotationExpires])
}
