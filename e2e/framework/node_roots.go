package framework

import (
	"context"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
)

// RootPodsByNode gives every pod matching selector in namespace the fixture
// root rootOf(node) of the node it is placed on, as soon as the pod is
// created: DaemonSet pods have generated names, so a test cannot set their
// roots ahead. It runs until ctx ends; errors go to the returned channel
// (buffered; a test reads it after the run).
func (c *Cluster) RootPodsByNode(ctx context.Context, namespace, selector string, rootOf func(node string) string) <-chan error {
	errs := make(chan error, 64)
	w, err := c.Client.CoreV1().Pods(namespace).Watch(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		errs <- err
		return errs
	}
	var mu sync.Mutex
	done := map[string]bool{}
	go func() {
		defer w.Stop()
		for ev := range w.ResultChan() {
			if ev.Type != watch.Added && ev.Type != watch.Modified {
				continue
			}
			p, ok := ev.Object.(*corev1.Pod)
			if !ok {
				continue
			}
			node := targetNode(p)
			mu.Lock()
			skip := node == "" || done[p.Name]
			done[p.Name] = done[p.Name] || node != ""
			mu.Unlock()
			if skip {
				continue
			}
			go func() {
				if err := c.SetPodRoot(ctx, p.Namespace, p.Name, rootOf(node)); err != nil && ctx.Err() == nil {
					errs <- err
				}
			}()
		}
	}()
	return errs
}

// targetNode is where a pod runs or, for a DaemonSet pod not yet bound, the
// node its required affinity names.
func targetNode(p *corev1.Pod) string {
	if p.Spec.NodeName != "" {
		return p.Spec.NodeName
	}
	a := p.Spec.Affinity
	if a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return ""
	}
	for _, term := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
		for _, f := range term.MatchFields {
			if f.Key == "metadata.name" && len(f.Values) == 1 {
				return f.Values[0]
			}
		}
	}
	return ""
}
