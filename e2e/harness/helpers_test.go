package harness

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/mesosphere/dkp-diagnose/e2e/framework"
)

var getOpts = metav1.GetOptions{}

func createNamespace(t *testing.T, c *framework.Cluster, name string) string {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if _, err := c.Client.CoreV1().Namespaces().Create(t.Context(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create namespace %s: %v", name, err)
	}
	// Pods are rejected until the namespace has its default ServiceAccount.
	err := wait.PollUntilContextTimeout(t.Context(), 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := c.Client.CoreV1().ServiceAccounts(name).Get(ctx, "default", getOpts)
		return err == nil, nil
	})
	if err != nil {
		t.Fatalf("namespace %s: default ServiceAccount never appeared: %v", name, err)
	}
	return name
}

func podTemplate(labels map[string]string, container string, tolerations ...corev1.Toleration) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels},
		Spec: corev1.PodSpec{
			Containers:  []corev1.Container{{Name: container, Image: "registry.example/" + container + ":1"}},
			Tolerations: tolerations,
		},
	}
}

// waitRunningPods waits until exactly n pods match selector and all run.
func waitRunningPods(t *testing.T, c *framework.Cluster, ns, selector string, n int) []corev1.Pod {
	t.Helper()
	var pods []corev1.Pod
	var state string
	err := wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		list, err := c.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			state = err.Error()
			return false, nil
		}
		running := 0
		for _, p := range list.Items {
			if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil {
				running++
			}
		}
		state = fmt.Sprintf("%d pods, %d running", len(list.Items), running)
		pods = list.Items
		return len(list.Items) == n && running == n, nil
	})
	if err != nil {
		t.Fatalf("pods %s in %s: want %d running, have %s: %v", selector, ns, n, state, err)
	}
	return pods
}

// pidAlive reports whether pid names a live process; the framework reaps its
// children, so a stopped component's pid is gone.
func pidAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
