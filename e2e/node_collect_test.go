package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
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
	"k8s.io/utils/ptr"

	"github.com/mesosphere/dkp-diagnose/cmd/dkp-diagnose/app"
	"github.com/mesosphere/dkp-diagnose/e2e/clitest"
	"github.com/mesosphere/dkp-diagnose/e2e/framework"
	"github.com/mesosphere/dkp-diagnose/lib/collect"
)

const ours = collect.LabelManagedBy + "=" + collect.ManagedBy

// nodeRoots writes a fixture root per node: what a node collector's command
// would leave in /output (under data/) and a host folder (under host/).
func nodeRoots(t *testing.T, nodes []string) string {
	dir := t.TempDir()
	for _, n := range nodes {
		writeFile(t, dir, filepath.Join(n, "data", "kubelet", "config.yaml"), "node: "+n+"\n")
		writeFile(t, dir, filepath.Join(n, "data", "certs_expiration"), "apiserver.crt 2027-11-25T00:00:00Z\n")
		writeFile(t, dir, filepath.Join(n, "host", "var", "log", "diag", "node.log"), "log of "+n+"\n")
	}
	return dir
}

// firstDaemonSets records each DaemonSet of ours as it was created: the
// collector removes them before the test could look.
func firstDaemonSets(ctx context.Context, t *testing.T, c kubernetes.Interface) func() []appsv1.DaemonSet {
	w, err := c.AppsV1().DaemonSets("").Watch(ctx, metav1.ListOptions{LabelSelector: ours})
	require.NoError(t, err)
	var mu sync.Mutex
	var seen []appsv1.DaemonSet
	go func() {
		for ev := range w.ResultChan() {
			if ds, ok := ev.Object.(*appsv1.DaemonSet); ok && ev.Type == watch.Added {
				mu.Lock()
				seen = append(seen, *ds)
				mu.Unlock()
			}
		}
	}()
	return func() []appsv1.DaemonSet {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(seen)
	}
}

// completeRunPods stands in for a kubelet: kwok finishes only Job pods, so
// the runPod collector's pod is marked Succeeded once it runs.
func completeRunPods(ctx context.Context, t *testing.T, c kubernetes.Interface) {
	w, err := c.CoreV1().Pods("").Watch(ctx, metav1.ListOptions{LabelSelector: collect.LabelCollector + "=runpod"})
	require.NoError(t, err)
	go func() {
		for ev := range w.ResultChan() {
			p, ok := ev.Object.(*corev1.Pod)
			if !ok || p.Status.Phase != corev1.PodRunning {
				continue
			}
			p.Status.Phase = corev1.PodSucceeded
			for i := range p.Status.ContainerStatuses {
				p.Status.ContainerStatuses[i].State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed"}}
			}
			_, _ = c.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{})
		}
	}()
}

// assertNothingOfOurs fails when any DaemonSet or pod labelled as ours is
// left in the cluster.
func assertNothingOfOurs(t *testing.T, c kubernetes.Interface) {
	t.Helper()
	dss, err := c.AppsV1().DaemonSets("").List(context.Background(), metav1.ListOptions{LabelSelector: ours})
	require.NoError(t, err)
	assert.Empty(t, dss.Items, "daemonsets left behind")
	pods, err := c.CoreV1().Pods("").List(context.Background(), metav1.ListOptions{LabelSelector: ours})
	require.NoError(t, err)
	assert.Empty(t, pods.Items, "pods left behind")
}

const nodeSpec = `apiVersion: troubleshoot.sh/v1beta2
kind: SupportBundle
spec:
  collectors:
    - clusterInfo: {exclude: true}
    - clusterResources: {exclude: true}
    - execCopyFromHost:
        name: node-diagnostics
        namespace: diag
        image: registry.example/diag/collector:1.2
        pauseImage: registry.example/diag/pause:1
        imagePullSecret: {name: regcred}
        command: ["/collect", "--out", "/output"]
        workingDir: /work
        timeout: 4s
        daemonSetTimeout: 4s
        includeControlPlane: true
        privileged: true
        capabilities: [SYS_ADMIN, NET_ADMIN]
        runAsUser: 0
        hostPID: true
        extractArchive: true
    - copyFromHost:
        name: host-logs
        namespace: diag
        hostPath: /var/log/diag
        includeControlPlane: true
        extractArchive: true
        timeout: 4s
        daemonSetTimeout: 4s
    - exec:
        collectorName: greeting
        name: exec-web
        namespace: apps
        selector: [app=web]
        command: [echo]
        args: [hello, from, web]
    - copy:
        name: copy-web
        namespace: apps
        selector: [app=web]
        containerPath: /etc/app
        extractArchive: true
    - runPod:
        name: one-shot
        namespace: apps
        timeout: 20s
        podSpec:
          nodeSelector: {kubernetes.io/hostname: nodes-worker-1}
          containers:
            - name: main
              image: registry.example/tools:1
              command: [sh, -c, "echo done"]
`

func TestNodeCollectors(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := framework.Start(t, framework.Options{Name: "nodes", StuckNodes: 1})
	stuck := c.StuckNodes()[0]
	mustCreateNamespace(t, c.Client, "diag")
	mustCreateNamespace(t, c.Client, "apps")

	roots := nodeRoots(t, c.NodeNames())
	rootErrs := c.RootPodsByNode(ctx, "diag", ours, func(node string) string { return filepath.Join(roots, node) })
	daemonSets := firstDaemonSets(ctx, t, c.Client)
	completeRunPods(ctx, t, c.Client)

	// A pod for exec and copy, with files in its container, on a node
	// that runs pods.
	web := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "apps", Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{NodeName: "nodes-worker-1", Containers: []corev1.Container{{Name: "app", Image: "example.invalid/app:1"}}}}
	_, err := c.Client.CoreV1().Pods("apps").Create(ctx, web, metav1.CreateOptions{})
	require.NoError(t, err)
	waitPodsRunning(t, c.Client, "apps", "app=web", 1)
	podRoot := t.TempDir()
	writeFile(t, podRoot, "etc/app/config.yaml", "listen: 8080\n")
	require.NoError(t, c.SetPodRoot(ctx, "apps", "web-1", podRoot))

	// What a run killed earlier left behind: expired, so this run removes it.
	leftover := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "dkp-diagnose-old-0000", Namespace: "diag",
			Labels:      map[string]string{collect.LabelManagedBy: collect.ManagedBy, collect.LabelRun: "0000"},
			Annotations: map[string]string{collect.AnnotationExpires: time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "x"}}},
	}
	_, err = c.Client.CoreV1().Pods("diag").Create(ctx, leftover, metav1.CreateOptions{})
	require.NoError(t, err)

	out := t.TempDir()
	res := clitest.Run(t, "--kubeconfig", c.KubeconfigPath, "--output-dir", out, writeFile(t, t.TempDir(), "spec.yaml", nodeSpec))
	// The stuck node makes the run partial; everything else is collected.
	require.Equal(t, app.ExitPartial, res.Code, res.Stderr)
	require.Len(t, res.BundlePaths(), 1)
	files := clitest.OpenBundle(t, res.BundlePaths()[0])

	// The DaemonSet is exactly what the spec asked for.
	var diag *appsv1.DaemonSet
	for _, ds := range daemonSets() {
		if ds.Labels[collect.LabelCollector] == "execcopyfromhost" {
			diag = &ds
		}
	}
	require.NotNil(t, diag, "execCopyFromHost daemonset not seen")
	pod := diag.Spec.Template.Spec
	require.Len(t, pod.InitContainers, 1)
	col := pod.InitContainers[0]
	assert.Equal(t, "registry.example/diag/collector:1.2", col.Image)
	assert.Equal(t, []string{"/collect", "--out", "/output"}, col.Command)
	assert.Equal(t, "/work", col.WorkingDir)
	require.NotNil(t, col.SecurityContext)
	assert.Equal(t, &corev1.SecurityContext{
		Privileged:   ptr.To(true),
		Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"SYS_ADMIN", "NET_ADMIN"}},
		RunAsUser:    ptr.To(int64(0)),
	}, col.SecurityContext)
	assert.Contains(t, col.VolumeMounts, corev1.VolumeMount{Name: "host", MountPath: "/host", ReadOnly: true})
	assert.Contains(t, col.VolumeMounts, corev1.VolumeMount{Name: "output", MountPath: "/output"})
	require.Len(t, pod.Containers, 1)
	assert.Equal(t, "registry.example/diag/pause:1", pod.Containers[0].Image)
	assert.Nil(t, pod.Containers[0].SecurityContext, "the keeper needs no privileges")
	assert.Equal(t, "/", pod.Volumes[0].HostPath.Path)
	assert.True(t, pod.HostPID)
	assert.False(t, pod.HostNetwork)
	assert.Equal(t, []corev1.LocalObjectReference{{Name: "regcred"}}, pod.ImagePullSecrets)
	tolerated := map[string]bool{}
	for _, tol := range pod.Tolerations {
		tolerated[tol.Key] = tol.Effect == corev1.TaintEffectNoSchedule && tol.Operator == corev1.TolerationOpExists
	}
	assert.Equal(t, map[string]bool{"node-role.kubernetes.io/control-plane": true, "node-role.kubernetes.io/master": true}, tolerated)

	// Every healthy node, the tainted control-plane node included, gave its
	// own files; the stuck node gave the pod and the reason.
	var healthy []string
	for _, n := range c.NodeNames() {
		if n != stuck {
			healthy = append(healthy, n)
		}
	}
	require.Contains(t, healthy, c.ControlPlaneNode())
	for _, n := range healthy {
		assert.Equal(t, "node: "+n+"\n", string(files["node-diagnostics/"+n+"/data/kubelet/config.yaml"]), n)
		assert.Contains(t, string(files["node-diagnostics/"+n+"/data/certs_expiration"]), "apiserver.crt", n)
		assert.Equal(t, "log of "+n+"\n", string(files["host-logs/"+n+"/diag/node.log"]), n)
	}
	for _, col := range []string{"node-diagnostics", "host-logs"} {
		assert.NotContains(t, files, col+"/"+stuck+"/data/kubelet/config.yaml")
		var stuckPod corev1.Pod
		require.NoError(t, json.Unmarshal(files[col+"/"+stuck+"/pod-collector.json"], &stuckPod), col)
		assert.Equal(t, stuck, stuckPod.Spec.NodeName)
		errText := string(files[col+"/"+stuck+"/pod-not-ready-error.txt"])
		assert.Contains(t, errText, "is not ready after 8s", col)
	}

	// exec and copy reached the selected pod; runPod ran its pod.
	assert.Equal(t, "hello from web\n", string(files["exec-web/apps/web-1/greeting-stdout.txt"]))
	assert.Equal(t, "listen: 8080\n", string(files["copy-web/apps/web-1/etc/app/config.yaml"]))
	var ran corev1.Pod
	require.NoError(t, json.Unmarshal(files["one-shot/one-shot.json"], &ran))
	assert.Equal(t, corev1.PodSucceeded, ran.Status.Phase)
	assert.Equal(t, "registry.example/tools:1", ran.Spec.Containers[0].Image)
	assert.Equal(t, framework.DefaultLogLine+"\n", string(files["one-shot/one-shot.log"]))

	// Nothing of ours is left, the earlier run's leftover included.
	assertNothingOfOurs(t, c.Client)
	cancel()
	for len(rootErrs) > 0 {
		t.Errorf("setting pod roots: %v", <-rootErrs)
	}
}

// TestNodeCollectorsInterrupted sends SIGINT while execCopyFromHost waits for
// a node that never gets ready: the run ends without a bundle and removes
// its DaemonSet and pods.
func TestNodeCollectorsInterrupted(t *testing.T) {
	c := framework.Start(t, framework.Options{Name: "sigint", StuckNodes: 1})
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	// Send the signal once the DaemonSet's pods exist: mid-collection.
	go func() {
		for ctx.Err() == nil {
			pods, err := c.Client.CoreV1().Pods("default").List(context.Background(), metav1.ListOptions{LabelSelector: ours})
			if err == nil && len(pods.Items) == len(c.NodeNames()) {
				_ = syscall.Kill(syscall.Getpid(), syscall.SIGINT)
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	spec := writeFile(t, t.TempDir(), "spec.yaml", `apiVersion: troubleshoot.sh/v1beta2
kind: SupportBundle
spec:
  collectors:
    - execCopyFromHost:
        name: node-diagnostics
        includeControlPlane: true
        timeout: 5m
`)
	out := t.TempDir()
	var stdout, stderr strings.Builder
	start := time.Now()
	code := app.Run(ctx, []string{"--kubeconfig", c.KubeconfigPath, "--output-dir", out, spec}, &stdout, &stderr)
	t.Logf("exit %d after %s\n%s", code, time.Since(start), stderr.String())
	require.Error(t, ctx.Err(), "the signal never came")
	assert.NotEqual(t, app.ExitOK, code)
	assert.Contains(t, stderr.String(), "interrupted")
	assert.Empty(t, bundleFilesIn(t, out), "no bundle after an interrupted run")
	assertNothingOfOurs(t, c.Client)
}
