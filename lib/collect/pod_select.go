package collect

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// runningPods lists the running pods a selector picks in a namespace (all
// namespaces when empty): exec and copy need a live container.
func runningPods(ctx context.Context, env *Env, namespace string, selector []string) ([]corev1.Pod, error) {
	sel := strings.Join(nonEmpty(selector), ",")
	list, err := env.Client.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return nil, fmt.Errorf("list pods %q in namespace %q: %w", sel, namespace, err)
	}
	var out []corev1.Pod
	for _, p := range list.Items {
		if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil {
			out = append(out, p)
		}
	}
	return out, nil
}

// containerOf picks the named container, or the pod's first one.
func containerOf(p *corev1.Pod, name string) (string, error) {
	if name == "" {
		return p.Spec.Containers[0].Name, nil
	}
	for _, c := range p.Spec.Containers {
		if c.Name == name {
			return name, nil
		}
	}
	return "", fmt.Errorf("pod %s/%s has no container %q", p.Namespace, p.Name, name)
}

// folderName is where a collector's files go: its name, else its
// collectorName, else its type.
func folderName(name, collectorName, key string) string {
	for _, s := range []string{name, collectorName} {
		if s != "" {
			return pathSafe(s)
		}
	}
	return key
}
