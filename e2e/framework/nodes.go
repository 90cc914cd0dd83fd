package framework

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

// ControlPlaneLabel and ControlPlaneTaint mark the control-plane node the way
// kubeadm (and so Konvoy/CAPI) does; collectors that must reach every node
// have to tolerate the taint.
const (
	ControlPlaneLabel = "node-role.kubernetes.io/control-plane"
	ControlPlaneTaint = "node-role.kubernetes.io/control-plane"
)

// fakeNode builds a node kwok will take over. The capacity is generous so
// scheduling is never the limit of a test, and is set explicitly because
// kwok nodes only have what their status says.
func fakeNode(name string, controlPlane bool) *corev1.Node {
	capacity := corev1.ResourceList{
		corev1.ResourcePods:   resource.MustParse("250"),
		corev1.ResourceCPU:    resource.MustParse("32"),
		corev1.ResourceMemory: resource.MustParse("256Gi"),
	}
	n := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name: name,
			Labels: map[string]string{
				"kubernetes.io/hostname": name,
				"kubernetes.io/os":       "linux",
				"kubernetes.io/arch":     "amd64",
				"type":                   "kwok",
			},
			Annotations: map[string]string{"kwok.x-k8s.io/node": "fake"},
		},
		Status: corev1.NodeStatus{Capacity: capacity, Allocatable: capacity.DeepCopy()},
	}
	if controlPlane {
		n.Labels[ControlPlaneLabel] = ""
		n.Spec.Taints = []corev1.Taint{{Key: ControlPlaneTaint, Effect: corev1.TaintEffectNoSchedule}}
	}
	return n
}

// createNodes registers the fake nodes; kwok (--manage-all-nodes) then plays
// their kubelet.
func (c *Cluster) createNodes(ctx context.Context, workers int, controlPlane bool) error {
	var nodes []*corev1.Node
	if controlPlane {
		c.cpNode = c.Name + "-control-plane"
		nodes = append(nodes, fakeNode(c.cpNode, true))
	}
	for i := 1; i <= workers; i++ {
		nodes = append(nodes, fakeNode(fmt.Sprintf("%s-worker-%d", c.Name, i), false))
	}
	for _, name := range c.stuckNodes {
		nodes = append(nodes, fakeNode(name, false))
	}
	for _, n := range nodes {
		if _, err := c.Client.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("create node %s: %w", n.Name, err)
		}
		c.nodes = append(c.nodes, n.Name)
	}
	return nil
}

// waitNodesReady waits until kwok reports every node Ready and the node
// lifecycle controller has lifted its not-ready taint; before that, pods of
// the test would sit in Pending for reasons that have nothing to do with it.
func (c *Cluster) waitNodesReady(ctx context.Context) error {
	var pending string
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		if err := c.checkAlive(); err != nil {
			return false, err
		}
		for _, name := range c.nodes {
			n, err := c.Client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				pending = fmt.Sprintf("get node %s: %v", name, err)
				return false, nil
			}
			if !nodeReady(n) {
				pending = "node " + name + " not Ready"
				return false, nil
			}
			for _, t := range n.Spec.Taints {
				if t.Key == corev1.TaintNodeNotReady || t.Key == corev1.TaintNodeUnreachable {
					pending = "node " + name + " still has taint " + t.Key
					return false, nil
				}
			}
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("wait for nodes (%s): %w", pending, err)
	}
	return nil
}

func nodeReady(n *corev1.Node) bool {
	for _, cond := range n.Status.Conditions {
		if cond.Type == corev1.NodeReady {
			return cond.Status == corev1.ConditionTrue
		}
	}
	return false
}

// waitDefaultServiceAccount waits for the controller manager to create the
// default ServiceAccount: until then the apiserver rejects every pod in the
// namespace.
func (c *Cluster) waitDefaultServiceAccount(ctx context.Context) error {
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		if err := c.checkAlive(); err != nil {
			return false, err
		}
		_, err := c.Client.CoreV1().ServiceAccounts(metav1.NamespaceDefault).Get(ctx, "default", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return err == nil, nil
	})
	if err != nil {
		return fmt.Errorf("wait for default ServiceAccount: %w", err)
	}
	return nil
}
