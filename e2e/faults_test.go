package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"

	"github.com/mesosphere/dkp-diagnose/cmd/dkp-diagnose/app"
	"github.com/mesosphere/dkp-diagnose/e2e/clitest"
	"github.com/mesosphere/dkp-diagnose/e2e/framework"
	"github.com/mesosphere/dkp-diagnose/lib/collect"
)

// onFirstDaemonSet calls fault once, when the run's node-diagnostics
// DaemonSet has been created: the run is then mid-collection, past its
// sweep, with an object of ours in the cluster.
func onFirstDaemonSet(ctx context.Context, t *testing.T, c kubernetes.Interface, fault func()) {
	t.Helper()
	w, err := c.AppsV1().DaemonSets("").Watch(ctx, metav1.ListOptions{LabelSelector: ours})
	require.NoError(t, err)
	go func() {
		defer w.Stop()
		for ev := range w.ResultChan() {
			if _, ok := ev.Object.(*appsv1.DaemonSet); ok && ev.Type == watch.Added {
				fault()
				return
			}
		}
	}()
}

// faultRun runs dkp-diagnose with the built-in spec and default settings
// against c, with fault injected once the node-diagnostics DaemonSet
// exists, and checks what every fault of the control plane must give: a
// partial run (exit 3) whose reason — want, on stderr, as the target's
// error in summary.json and as "stopped" in the bundle — names the API
// server; a valid bundle under its final name and no unfinished one; the
// DaemonSet reported as left behind, never as having "placed no pod". It
// returns the run summary's target.
func faultRun(t *testing.T, c *framework.Cluster, want string, fault func()) app.TargetSummary {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	onFirstDaemonSet(ctx, t, c.Client, fault)
	out := t.TempDir()
	began := time.Now()
	res := clitest.Run(t, "--kubeconfig", c.KubeconfigPath, "--output-dir", out)
	t.Logf("the run ended %s after it started", time.Since(began).Round(time.Millisecond))

	server := c.RESTConfig().Host
	require.Equal(t, app.ExitPartial, res.Code, res.Stderr)
	assertOwnStderr(t, res.Stderr)
	assert.Contains(t, res.Stderr, want)
	assert.NotContains(t, res.Stderr, "placed no pod")
	assert.Contains(t, res.Stderr, "left in the cluster: daemonset default/dkp-diagnose-node-diagnostics-")

	sum := clitest.ReadSummary(t, out)
	require.Len(t, sum.Targets, 1)
	ts := sum.Targets[0]
	assert.True(t, strings.HasPrefix(ts.Error, "API server at "+server+" "), ts.Error)
	assert.Contains(t, ts.Error, want)
	require.Len(t, ts.Leftovers, 1, "the node-diagnostics DaemonSet")
	left := ts.Leftovers[0]
	assert.Equal(t, "DaemonSet", left.Kind)
	assert.Equal(t, "default", left.Namespace)
	assert.True(t, left.Expires.After(began), "expires %s", left.Expires)
	assert.Equal(t, "kubectl delete daemonsets,pods -n default -l "+left.Selector, left.Command)
	assert.Contains(t, res.Stderr, left.Command)

	require.Len(t, res.BundlePaths(), 1)
	assert.Equal(t, ts.Bundle, res.BundlePaths()[0])
	files := clitest.OpenBundle(t, ts.Bundle)
	assert.Contains(t, string(files["execution-data/summary.json"]), `"stopped": "API server at `+server)
	assert.Empty(t, partials(t, out))
	return ts
}

// assertOnlyReported checks, once the control plane is back, that every
// DaemonSet the run reported as left behind is there with the reported
// expiry, and every object of ours in the cluster is one the run reported
// (a DaemonSet by name, pods by the DaemonSet they belong to); then it
// removes them by the reported selector, as the reported command does.
func assertOnlyReported(t *testing.T, c kubernetes.Interface, left []collect.Leftover) {
	t.Helper()
	ctx := context.Background()
	var names []string
	for _, l := range left {
		names = append(names, l.Name)
		// The run never got to delete it: its clean-up could not even
		// list what to delete.
		ds, err := c.AppsV1().DaemonSets(l.Namespace).Get(ctx, l.Name, metav1.GetOptions{})
		if assert.NoError(t, err, "a reported leftover is in the cluster") {
			assert.Equal(t, l.Expires.Format(time.RFC3339), ds.Annotations[collect.AnnotationExpires])
		}
	}
	dss, err := c.AppsV1().DaemonSets("").List(ctx, metav1.ListOptions{LabelSelector: ours})
	require.NoError(t, err)
	for _, ds := range dss.Items {
		assert.Contains(t, names, ds.Name, "daemonset %s/%s left but not reported", ds.Namespace, ds.Name)
	}
	pods, err := c.CoreV1().Pods("").List(ctx, metav1.ListOptions{LabelSelector: ours})
	require.NoError(t, err)
	for _, p := range pods.Items {
		assert.Contains(t, names, p.Labels[collect.LabelObject], "pod %s/%s left but not reported", p.Namespace, p.Name)
	}
	t.Logf("left in the cluster: %d daemonsets, %d pods, reported: %v", len(dss.Items), len(pods.Items), names)
	for _, l := range left {
		sel := metav1.ListOptions{LabelSelector: l.Selector}
		require.NoError(t, c.AppsV1().DaemonSets(l.Namespace).DeleteCollection(ctx, metav1.DeleteOptions{}, sel))
		require.NoError(t, c.CoreV1().Pods(l.Namespace).DeleteCollection(ctx, metav1.DeleteOptions{}, sel))
	}
	dss, err = c.AppsV1().DaemonSets("").List(ctx, metav1.ListOptions{LabelSelector: ours})
	require.NoError(t, err)
	assert.Empty(t, dss.Items, "the reported selector removes the daemonsets")
}

// TestStalledEtcd: etcd stops (SIGSTOP) mid-run, so the API server accepts
// requests and never answers them. With default settings the run ends
// within 60 s, saying the API server stopped answering; once etcd goes on,
// what the run left is exactly what it reported.
func TestStalledEtcd(t *testing.T) {
	c := framework.Start(t, framework.Options{Name: "stalled-etcd"})
	resumed := false
	t.Cleanup(func() {
		if !resumed {
			c.Signal(framework.Etcd, syscall.SIGCONT)
		}
	})
	began := time.Now()
	var stopped time.Time
	ts := faultRun(t, c, "stopped answering after", func() {
		stopped = time.Now()
		c.Signal(framework.Etcd, syscall.SIGSTOP)
	})
	ended := time.Now()
	require.False(t, stopped.IsZero())
	// The bound: a stalled cluster must not hold a run for the
	// minutes of its many deadlines.
	assert.Less(t, ended.Sub(began), 60*time.Second)
	t.Logf("etcd stopped %s into the run; the run ended %s later", stopped.Sub(began).Round(time.Millisecond), ended.Sub(stopped).Round(time.Millisecond))
	assert.Contains(t, ts.Error, "(its etcd check fails)")

	c.Signal(framework.Etcd, syscall.SIGCONT)
	resumed = true
	c.WaitReady()
	assertOnlyReported(t, c.Client, ts.Leftovers)
}

// TestKilledEtcd: etcd dies mid-run; the API server keeps answering its
// own health check with a failure, and the run ends with that reason.
func TestKilledEtcd(t *testing.T) {
	c := framework.Start(t, framework.Options{Name: "killed-etcd"})
	ts := faultRun(t, c, "stopped answering after", func() { c.Kill(framework.Etcd) })
	assert.Contains(t, ts.Error, "(its etcd check fails)")
	c.Restart(framework.Etcd)
	c.WaitReady()
	assertOnlyReported(t, c.Client, ts.Leftovers)
}

// TestKilledAPIServerWithDaemonSet: the API server dies while the
// node-diagnostics DaemonSet exists. The run says the server is
// unreachable (not that the DaemonSet "placed no pod") and reports the
// DaemonSet it could not remove; when the server is back, that DaemonSet
// is there.
func TestKilledAPIServerWithDaemonSet(t *testing.T) {
	c := framework.Start(t, framework.Options{Name: "killed-apiserver"})
	ts := faultRun(t, c, "unreachable", func() { c.Kill(framework.APIServer) })
	assert.Contains(t, ts.Error, "connection refused")
	c.Restart(framework.APIServer)
	assertOnlyReported(t, c.Client, ts.Leftovers)
}

// TestLeftoverExpiringDuringRun: an object of an earlier run whose expiry
// passes while a run collects is neither collected as the cluster's (its
// pod, its log) nor removed under the run: leftovers are swept before
// collection starts, so the run's own clean-up cannot make it partial.
func TestLeftoverExpiringDuringRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := framework.Start(t, framework.Options{Name: "expiring"})
	mustCreateNamespace(t, c.Client, "diag")
	roots := nodeRoots(t, c.NodeNames())
	c.RootPodsByNode(ctx, "diag", ours+","+collect.LabelCollector+"=execcopyfromhost", func(node string) string { return filepath.Join(roots, node) })

	// Not expired when the run starts.
	leftover := leftoverPod("dkp-diagnose-old-0001", "diag", c.NodeNames()[1], time.Now().Add(time.Hour))
	_, err := c.Client.CoreV1().Pods("diag").Create(ctx, leftover, metav1.CreateOptions{})
	require.NoError(t, err)
	waitPodsRunning(t, c.Client, "diag", collect.LabelRun+"=0001", 1)
	// Events carry no labels: one about our leftover must be left out as
	// the leftover is, one about the cluster's own pod kept.
	for _, obj := range []string{leftover.Name, "web-0"} {
		_, err := c.Client.CoreV1().Events("diag").Create(ctx, &corev1.Event{
			ObjectMeta:     metav1.ObjectMeta{Name: obj + ".backoff", Namespace: "diag"},
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "diag", Name: obj},
			Type:           corev1.EventTypeWarning, Reason: "BackOff", Message: "Back-off restarting failed container",
		}, metav1.CreateOptions{})
		require.NoError(t, err)
	}
	// It expires while the run collects.
	expired := make(chan struct{})
	onFirstDaemonSet(ctx, t, c.Client, func() {
		defer close(expired)
		p, err := c.Client.CoreV1().Pods("diag").Get(ctx, leftover.Name, metav1.GetOptions{})
		if err != nil {
			t.Error(err)
			return
		}
		p.Annotations[collect.AnnotationExpires] = time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
		if _, err := c.Client.CoreV1().Pods("diag").Update(ctx, p, metav1.UpdateOptions{}); err != nil {
			t.Error(err)
		}
	})

	out := t.TempDir()
	res := clitest.Run(t, "--kubeconfig", c.KubeconfigPath, "--output-dir", out, writeFile(t, t.TempDir(), "spec.yaml", expiringSpec))
	<-expired
	require.Equal(t, app.ExitOK, res.Code, res.Stderr)
	assertOwnStderr(t, res.Stderr)
	assert.NotContains(t, res.Stderr, "left in the cluster")
	sum := clitest.ReadSummary(t, out)
	require.Len(t, sum.Targets, 1)
	assert.Empty(t, sum.Targets[0].Leftovers)

	files := clitest.OpenBundle(t, res.BundlePaths()[0])
	assert.NotContains(t, clitest.ListNames(t, files["cluster-resources/pods/diag.json"]), leftover.Name)
	assert.Equal(t, []string{"web-0.backoff"}, clitest.ListNames(t, files["cluster-resources/events/diag.json"]),
		"events about our objects are left out, the cluster's kept")
	for name := range files {
		assert.NotContains(t, name, "dkp-diagnose-", "an object of ours collected as the cluster's: %s", name)
	}
	// The run's own node collector ran and succeeded beside the leftover.
	// (Its files are TestNodeCollectors' subject: here kwok marks the
	// DaemonSet's pods ready before RootPodsByNode has given them their
	// fixture root, so on an idle machine the copy reads kwok's default
	// root and holds no files.)
	assert.Contains(t, string(files["execution-data/summary.txt"]), "execCopyFromHost (S)", "the run's own node collector ran")

	// This run left the leftover alone; the next run removes it.
	_, err = c.Client.CoreV1().Pods("diag").Get(ctx, leftover.Name, metav1.GetOptions{})
	require.NoError(t, err, "a leftover that expired during the run is not removed under it")
	res = clitest.Run(t, "--kubeconfig", c.KubeconfigPath, "--output-dir", t.TempDir(), writeFile(t, t.TempDir(), "spec.yaml", expiringSpec))
	require.Equal(t, app.ExitOK, res.Code, res.Stderr)
	assertNothingOfOurs(t, c.Client)
}

const expiringSpec = `apiVersion: troubleshoot.sh/v1beta2
kind: SupportBundle
spec:
  collectors:
    - clusterResources:
        namespaces: [diag]
    - allLogs:
        namespaces: [diag]
    - execCopyFromHost:
        name: node-diagnostics
        namespace: diag
        image: registry.example/diag/collector:1.2
        command: ["/collect", "--out", "/output"]
        timeout: 20s
        daemonSetTimeout: 20s
        includeControlPlane: true
        extractArchive: true
`

// leftoverPod is what a killed run of ours leaves: a pod with our labels
// and an expiry, running on node.
func leftoverPod(name, namespace, node string, expires time.Time) *corev1.Pod {
	run := strings.TrimPrefix(name, "dkp-diagnose-old-")
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace,
			Labels:      map[string]string{collect.LabelManagedBy: collect.ManagedBy, collect.LabelRun: run},
			Annotations: map[string]string{collect.AnnotationExpires: expires.UTC().Format(time.RFC3339)}},
		Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "c", Image: "registry.example/diag/collector:1.2"}}},
	}
}
