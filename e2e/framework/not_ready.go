package framework

import (
	"bytes"
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
)

// NotReadyLabel marks a node kwok leaves alone: its node-initialize stage,
// which would report the node Ready, skips nodes carrying it (and the
// heartbeat stages only touch Ready nodes).
const NotReadyLabel = "e2e.dkp-diagnose/not-ready"

// leaveNotReady narrows kwok's node-initialize stage to nodes without
// NotReadyLabel.
func leaveNotReady(stages []byte) ([]byte, error) {
	stage := bytes.Index(stages, []byte("\n  name: node-initialize\n"))
	if stage < 0 {
		return nil, fmt.Errorf("kwok stages: no node-initialize stage")
	}
	const anchor = "\n    matchExpressions:\n"
	at := bytes.Index(stages[stage:], []byte(anchor))
	if at < 0 {
		return nil, fmt.Errorf("kwok stages: node-initialize stage has no matchExpressions")
	}
	at += stage + len(anchor)
	expr := fmt.Sprintf("    - key: '.metadata.labels[%q]'\n      operator: 'DoesNotExist'\n", NotReadyLabel)
	return append(append(append([]byte{}, stages[:at]...), expr...), stages[at:]...), nil
}

// AddNotReadyNode registers a node whose kubelet never reports: its Ready
// condition is False (KubeletNotReady), set through the status
// subresource, and kwok does not turn it True. The node is not in
// NodeNames.
func (c *Cluster) AddNotReadyNode(ctx context.Context, name string) error {
	n := fakeNode(name, false)
	n.Labels[NotReadyLabel] = ""
	if _, err := c.Client.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create node %s: %w", name, err)
	}
	// The node controllers (taints, CIDRs) update a new node too.
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := c.Client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		now := metav1.NewTime(time.Now())
		cur.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionFalse,
			Reason: "KubeletNotReady", Message: "container runtime network not ready", LastHeartbeatTime: now, LastTransitionTime: now}}
		_, err = c.Client.CoreV1().Nodes().UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("set node %s NotReady: %w", name, err)
	}
	return nil
}
