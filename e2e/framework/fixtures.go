package framework

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
)

// kwok's per-pod fixture objects; an object named and namespaced like a pod
// overrides the cluster-wide ClusterLogs/ClusterExec for that pod.
var (
	kwokLogs  = schema.GroupVersionResource{Group: "kwok.x-k8s.io", Version: "v1alpha1", Resource: "logs"}
	kwokExecs = schema.GroupVersionResource{Group: "kwok.x-k8s.io", Version: "v1alpha1", Resource: "execs"}
)

// logEpoch stamps fixture log lines; fixed so bundles of a test are
// reproducible.
var logEpoch = time.Date(2026, 11, 25, 6, 20, 34, 845420003, time.UTC)

// criLog turns plain text into the CRI log format kwok (like the kubelet)
// serves: kwok rejects plain files with "unsupported log format". Each line
// gets its own millisecond so --timestamps and --since behave.
func criLog(text string) []byte {
	var b bytes.Buffer
	for i, line := range splitLines(text) {
		ts := logEpoch.Add(time.Duration(i) * time.Millisecond).Format(time.RFC3339Nano)
		fmt.Fprintf(&b, "%s stdout F %s\n", ts, line)
	}
	return b.Bytes()
}

// splitLines splits on "\n"; a final "\n" does not start another line.
func splitLines(text string) []string {
	if text == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(text, "\n"), "\n")
}

// ExpectedLog is what GetLogs returns for a container whose fixture is text:
// every line ends with "\n".
func ExpectedLog(text string) string {
	var b strings.Builder
	for _, line := range splitLines(text) {
		b.WriteString(line + "\n")
	}
	return b.String()
}

// SetPodLogs makes the listed containers of a pod log the given text (plain,
// one line per "\n"), for both current and --previous logs; other
// containers keep the default log. The pod need not exist yet. When it is
// already running, SetPodLogs returns once kwok serves the new logs.
func (c *Cluster) SetPodLogs(ctx context.Context, namespace, pod string, logs map[string]string) error {
	dir := filepath.Join(c.fixturesDir, "pods", namespace, pod, "logs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create log fixture dir: %w", err)
	}
	containers := make([]string, 0, len(logs))
	for name := range logs {
		containers = append(containers, name)
	}
	slices.Sort(containers)
	var entries []any
	for _, name := range containers {
		file := filepath.Join(dir, name+".log")
		if err := os.WriteFile(file, criLog(logs[name]), 0o644); err != nil {
			return fmt.Errorf("write log fixture: %w", err)
		}
		entries = append(entries, map[string]any{
			"containers": []any{name}, "logsFile": file, "previousLogsFile": file, "follow": false,
		})
	}
	// A per-pod Logs object replaces the ClusterLogs for all of the pod's
	// containers; the entry without containers keeps the others logging.
	defaultLog := filepath.Join(c.fixturesDir, "default.log")
	entries = append(entries, map[string]any{"logsFile": defaultLog, "previousLogsFile": defaultLog, "follow": false})
	obj := kwokObject("Logs", namespace, pod, map[string]any{"logs": entries})
	if err := c.apply(ctx, kwokLogs, obj); err != nil {
		return err
	}
	if len(containers) == 0 {
		return nil
	}
	first := containers[0]
	want := ExpectedLog(logs[first])
	return c.whenRunning(ctx, namespace, pod, "kwok to serve the new logs", func(ctx context.Context, _ *corev1.Pod) (bool, error) {
		got, err := c.Client.CoreV1().Pods(namespace).GetLogs(pod, &corev1.PodLogOptions{Container: first}).DoRaw(ctx)
		return err == nil && string(got) == want, nil
	})
}

// SetPodRoot makes dir the root filesystem that `exec POD -- tar …` sees for
// every container of the pod (see the tar shim in kwok.go). The pod need not
// exist yet. When it is already running, SetPodRoot returns once kwok uses
// the new root.
func (c *Cluster) SetPodRoot(ctx context.Context, namespace, pod, dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("pod root %s: %w", dir, err)
	}
	if fi, err := os.Stat(abs); err != nil || !fi.IsDir() {
		return fmt.Errorf("pod root %s is not a directory (%v)", abs, err)
	}
	env := []any{map[string]any{"name": "FAKEROOT", "value": abs}}
	obj := kwokObject("Exec", namespace, pod, map[string]any{
		"execs": []any{map[string]any{"local": map[string]any{"workDir": "/", "envs": env}}},
	})
	if err := c.apply(ctx, kwokExecs, obj); err != nil {
		return err
	}
	return c.whenRunning(ctx, namespace, pod, "kwok to use the new pod root", func(ctx context.Context, p *corev1.Pod) (bool, error) {
		var out bytes.Buffer
		err := c.Exec(ctx, namespace, pod, p.Spec.Containers[0].Name, []string{probeCommand}, nil, &out, nil)
		return err == nil && out.String() == abs, nil
	})
}

func kwokObject(kind, namespace, name string, spec map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kwok.x-k8s.io/v1alpha1",
		"kind":       kind,
		"metadata":   map[string]any{"namespace": namespace, "name": name},
		"spec":       spec,
	}}
}

// apply creates obj, or replaces the spec of an existing one.
func (c *Cluster) apply(ctx context.Context, gvr schema.GroupVersionResource, obj *unstructured.Unstructured) error {
	res := c.Dynamic.Resource(gvr).Namespace(obj.GetNamespace())
	_, err := res.Create(ctx, obj, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		var cur *unstructured.Unstructured
		if cur, err = res.Get(ctx, obj.GetName(), metav1.GetOptions{}); err == nil {
			cur.Object["spec"] = obj.Object["spec"]
			_, err = res.Update(ctx, cur, metav1.UpdateOptions{})
		}
	}
	if err != nil {
		return fmt.Errorf("cluster %s: apply %s %s/%s: %w", c.Name, obj.GetKind(), obj.GetNamespace(), obj.GetName(), err)
	}
	return nil
}

// whenRunning polls done while the pod is running on a node: kwok reads
// fixture objects through an informer, so a change takes a moment to apply.
// A pod that does not exist or is not running yet has nothing to wait for.
func (c *Cluster) whenRunning(ctx context.Context, namespace, name, what string, done func(context.Context, *corev1.Pod) (bool, error)) error {
	pod, err := c.Client.CoreV1().Pods(namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cluster %s: get pod %s/%s: %w", c.Name, namespace, name, err)
	}
	if pod.Status.Phase != corev1.PodRunning || len(pod.Spec.Containers) == 0 {
		return nil
	}
	err = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		return done(ctx, pod)
	})
	if err != nil {
		return fmt.Errorf("cluster %s: wait for %s of pod %s/%s: %w", c.Name, what, namespace, name, err)
	}
	return nil
}
