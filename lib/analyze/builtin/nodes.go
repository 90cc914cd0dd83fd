package builtin

import (
	"fmt"
	"io/fs"

	corev1 "k8s.io/api/core/v1"

	"github.com/mesosphere/dkp-diagnose/lib/analyze"
)

// pressureConditions are a node's conditions that are bad when True.
var pressureConditions = []corev1.NodeConditionType{
	corev1.NodeMemoryPressure, corev1.NodeDiskPressure, corev1.NodePIDPressure, corev1.NodeNetworkUnavailable,
}

// nodes finds nodes whose Ready condition is not True (fail) and nodes
// under memory, disk or PID pressure or without network (warn).
func (r *run) nodes() {
	for _, file := range resourceFiles(r.fsys, "nodes") {
		err := decodeEach(r.fsys, file, func(_ listHead, n *corev1.Node) {
			obj := object("Node", "", n.Name)
			ready := findNodeCondition(n.Status.Conditions, corev1.NodeReady)
			if ready == nil || ready.Status != corev1.ConditionTrue {
				msg := "the node reports no Ready condition"
				status := "missing"
				if ready != nil {
					status = string(ready.Status)
					msg = conditionText(ready.Reason, ready.Message)
					if !ready.LastTransitionTime.IsZero() {
						msg += fmt.Sprintf(" (since %s)", ready.LastTransitionTime.UTC().Format("2006-01-02 15:04:05Z"))
					}
				}
				r.add(analyze.Finding{
					Analyzer: IDNodeNotReady, Severity: analyze.SeverityFail,
					Title:   fmt.Sprintf("Node %s is NotReady (Ready=%s)", n.Name, status),
					Message: msg, Object: obj, File: file,
				})
			}
			for _, t := range pressureConditions {
				c := findNodeCondition(n.Status.Conditions, t)
				if c == nil || c.Status != corev1.ConditionTrue {
					continue
				}
				r.add(analyze.Finding{
					Analyzer: IDNodePressure, Severity: analyze.SeverityWarn,
					Title:   fmt.Sprintf("Node %s has %s", n.Name, t),
					Message: conditionText(c.Reason, c.Message), Object: obj, File: file,
				})
			}
		})
		r.unreadable(file, err)
	}
}

func findNodeCondition(cs []corev1.NodeCondition, t corev1.NodeConditionType) *corev1.NodeCondition {
	for i := range cs {
		if cs[i].Type == t {
			return &cs[i]
		}
	}
	return nil
}

// conditionText joins a condition's reason and message as "reason: message".
func conditionText(reason, message string) string {
	switch {
	case reason == "":
		return message
	case message == "":
		return reason
	}
	return reason + ": " + message
}

// NodesFile is where a bundle lists its nodes.
const NodesFile = "cluster-resources/nodes.json"

// ReadNodes returns each node of a bundle and whether its Ready condition
// is True. The error wraps fs.ErrNotExist when the bundle has no node list.
func ReadNodes(fsys fs.FS) (map[string]bool, error) {
	out := map[string]bool{}
	err := decodeEach(fsys, NodesFile, func(_ listHead, n *corev1.Node) {
		c := findNodeCondition(n.Status.Conditions, corev1.NodeReady)
		out[n.Name] = c != nil && c.Status == corev1.ConditionTrue
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
