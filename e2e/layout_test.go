package e2e

import (
	"context"
	"encoding/json"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/mesosphere/dkp-diagnose/e2e/clitest"
)

// TestBundleReadsAsKubectl reads a default-spec bundle the way sbctl serves
// it to kubectl: every item of every cluster-resources list decodes on its
// own (as after `kubectl get pod X`), and every pod that ran has its log
// where `kubectl logs` looks. Objects dkp-diagnose creates — this run's node
// collector pods, and a pod another run still going left — are not in it.
func TestBundleReadsAsKubectl(t *testing.T) {
	c := startCollectCluster(t)
	ctx := context.Background()
	// Another run's pod, not expired: the sweep leaves it, the lists must
	// not show it.
	other := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{
		Name: "dkp-diagnose-other-run-0badc0de", Namespace: "default",
		Labels:      map[string]string{"app.kubernetes.io/managed-by": "dkp-diagnose", "diagnose.d2iq.io/run": "0badc0de"},
		Annotations: map[string]string{"diagnose.d2iq.io/expires-at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)},
	}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "main", Image: "example.invalid/x:1"}}}}
	_, err := c.Client.CoreV1().Pods("default").Create(ctx, other, metav1.CreateOptions{})
	require.NoError(t, err)
	require.NoError(t, c.SetPodLogs(ctx, "default", other.Name, map[string]string{"main": "not the cluster's\n"}))
	waitPodsRunning(t, c.Client, "default", "diagnose.d2iq.io/run=0badc0de", 1)
	t.Cleanup(func() {
		_ = c.Client.CoreV1().Pods("default").Delete(context.Background(), other.Name, metav1.DeleteOptions{})
	})

	out := t.TempDir()
	res := clitest.Run(t, "--kubeconfig", c.KubeconfigPath, "--output-dir", out)
	require.Equal(t, 0, res.Code, res.Stderr)
	files := clitest.OpenBundle(t, res.BundlePaths()[0])

	decode := scheme.Codecs.UniversalDeserializer()
	lists, items := 0, 0
	for name, data := range files {
		if !strings.HasPrefix(name, "cluster-resources/") || !strings.HasSuffix(name, ".json") || strings.HasSuffix(name, "-errors.json") ||
			strings.HasPrefix(name, "cluster-resources/auth-cani-list/") || name == "cluster-resources/groups.json" || name == "cluster-resources/resources.json" {
			continue
		}
		var l struct {
			Kind  string            `json:"kind"`
			Items []json.RawMessage `json:"items"`
		}
		require.NoError(t, json.Unmarshal(data, &l), name)
		require.True(t, strings.HasSuffix(l.Kind, "List"), "%s: kind %q", name, l.Kind)
		lists++
		for _, item := range l.Items {
			items++
			obj, gvk, err := decode.Decode(item, nil, nil)
			if runtime.IsNotRegisteredError(err) {
				// CRDs and custom resources: not in client-go's scheme.
				obj, gvk, err = unstructured.UnstructuredJSONScheme.Decode(item, nil, nil)
			}
			if !assert.NoError(t, err, "%s: item %.120s", name, item) {
				continue
			}
			assert.Equal(t, strings.TrimSuffix(l.Kind, "List"), gvk.Kind, name)
			m, err := meta.Accessor(obj)
			require.NoError(t, err)
			assert.NotEqual(t, "dkp-diagnose", m.GetLabels()["app.kubernetes.io/managed-by"], "%s holds our own %s %s", name, gvk.Kind, m.GetName())
			if pod, ok := obj.(*corev1.Pod); ok {
				assertPodLogs(t, files, pod)
			}
		}
	}
	t.Logf("%d lists, %d items decoded", lists, items)
	assert.Greater(t, items, 50)
	for name := range files {
		assert.NotContains(t, name, "dkp-diagnose-", "a file of our own objects")
	}
	assert.NotContains(t, clitest.ListNames(t, files["cluster-resources/pods/default.json"]), other.Name)
}

// assertPodLogs checks that each container of pod that has run has its log
// at troubleshoot.sh's place.
func assertPodLogs(t *testing.T, files map[string][]byte, pod *corev1.Pod) {
	t.Helper()
	for _, st := range pod.Status.ContainerStatuses {
		if st.State.Running == nil && st.State.Terminated == nil {
			continue
		}
		p := path.Join("cluster-resources/pods/logs", pod.Namespace, pod.Name, st.Name+".log")
		assert.Contains(t, files, p, "log of %s/%s container %s", pod.Namespace, pod.Name, st.Name)
	}
}
