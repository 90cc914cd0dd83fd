package kinde2e

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/mesosphere/dkp-diagnose/cmd/dkp-diagnose/app"
	"github.com/mesosphere/dkp-diagnose/e2e/clitest"
	"github.com/mesosphere/dkp-diagnose/lib/analyze"
	"github.com/mesosphere/dkp-diagnose/lib/analyze/builtin"
	"github.com/mesosphere/dkp-diagnose/lib/analyze/bundlefs"
)

// TestImagePullBackOffOnKind: a pod whose image exists nowhere goes into
// ImagePullBackOff on the real Kind node (its containerd tries and fails
// to pull), and the built-in analyzers find it in the bundle as a failure
// citing the namespace's pod list.
func TestImagePullBackOffOnKind(t *testing.T) {
	boot, _ := clusters(t)
	noKubeconfig(t)
	ctx := context.Background()
	ns := "dkp-e2e-bad-image"
	_, err := boot.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { deleteNamespace(t, boot, ns) })
	image := "registry.invalid/dkp-e2e/does-not-exist:1"
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "bad-image", Namespace: ns},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "main", Image: image, ImagePullPolicy: corev1.PullAlways}}}}
	_, err = boot.Client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
	require.NoError(t, err)
	var reason string
	err = wait.PollUntilContextTimeout(ctx, time.Second, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		p, err := boot.Client.CoreV1().Pods(ns).Get(ctx, pod.Name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		for _, cs := range p.Status.ContainerStatuses {
			if cs.State.Waiting != nil {
				reason = cs.State.Waiting.Reason
			}
		}
		return reason == "ImagePullBackOff", nil
	})
	require.NoError(t, err, "container waiting reason %q", reason)

	dir := t.TempDir()
	specFile := filepath.Join(dir, "spec.yaml")
	writeSpec(t, specFile, `apiVersion: troubleshoot.sh/v1beta2
kind: SupportBundle
metadata:
  name: kind-analyze
spec:
  collectors:
    - clusterResources:
        namespaces: [`+ns+`]
`)
	res := clitest.Run(t, "--bootstrap", "--output-dir", filepath.Join(dir, "out"), specFile)
	require.Equal(t, app.ExitOK, res.Code, res.Stderr)
	require.Len(t, res.BundlePaths(), 1)
	b, err := bundlefs.Open(res.BundlePaths()[0], bundlefs.Options{})
	require.NoError(t, err)
	defer b.Close()

	var found []analyze.Finding
	for _, f := range builtin.Analyze(b, builtin.Options{}) {
		if f.Analyzer == builtin.IDPodImagePull {
			found = append(found, f)
		}
	}
	require.Len(t, found, 1, "one ImagePullBackOff finding")
	f := found[0]
	assert.Equal(t, analyze.SeverityFail, f.Severity)
	assert.Equal(t, "Pod "+ns+"/bad-image", f.Object)
	assert.Equal(t, "cluster-resources/pods/"+ns+".json", f.File)
	assert.Contains(t, f.Message, "image "+image)
	assert.Contains(t, f.Message, "ImagePullBackOff")
}
