package e2e

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/mesosphere/dkp-diagnose/cmd/dkp-diagnose/app"
	"github.com/mesosphere/dkp-diagnose/e2e/clitest"
	"github.com/mesosphere/dkp-diagnose/lib/collect"
)

// TestProfileSetsNodeCollectorImage: an air-gapped profile's
// node-collector-image and image-pull-secret reach the DaemonSet the
// built-in spec's node-diagnostics collector creates.
func TestProfileSetsNodeCollectorImage(t *testing.T) {
	c := startClusters(t, "site")["site"]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// A watch started before the run sees the DaemonSet even though the
	// run removes it again.
	w, err := c.Client.AppsV1().DaemonSets("").Watch(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	added := make(chan []appsv1.DaemonSet, 1)
	go func() {
		var seen []appsv1.DaemonSet
		for ev := range w.ResultChan() {
			if ds, ok := ev.Object.(*appsv1.DaemonSet); ok && ev.Type == watch.Added {
				seen = append(seen, *ds)
			}
		}
		added <- seen
	}()
	cfg := writeFile(t, t.TempDir(), "config.yaml", `
profiles:
  air-gapped:
    node-collector-image: registry.example.internal/mesosphere/dkp-diagnose-node-collector:v9
    image-pull-secret: site-registry
`)
	res := clitest.Run(t, "--kubeconfig", c.KubeconfigPath, "--config", cfg, "--profile", "air-gapped", "--output-dir", t.TempDir())
	require.Equal(t, app.ExitOK, res.Code, res.Stderr)
	w.Stop()

	var diag *appsv1.DaemonSet
	for _, ds := range <-added {
		if ds.Labels[collect.LabelCollector] == "execcopyfromhost" {
			diag = &ds
		}
	}
	require.NotNil(t, diag, "the node-diagnostics DaemonSet was not seen")
	pod := diag.Spec.Template.Spec
	require.NotEmpty(t, pod.InitContainers)
	assert.Equal(t, "registry.example.internal/mesosphere/dkp-diagnose-node-collector:v9", pod.InitContainers[0].Image)
	assert.Equal(t, []corev1.LocalObjectReference{{Name: "site-registry"}}, pod.ImagePullSecrets)
}
