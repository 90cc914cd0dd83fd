package framework

import (
	"bytes"
	"fmt"
	"strconv"
)

// stuckNodeNames names the nodes of Options.StuckNodes.
func stuckNodeNames(cluster string, n int) []string {
	var names []string
	for i := 1; i <= n; i++ {
		names = append(names, fmt.Sprintf("%s-stuck-%d", cluster, i))
	}
	return names
}

// StuckNodes are the nodes on which pods never become ready.
func (c *Cluster) StuckNodes() []string { return append([]string(nil), c.stuckNodes...) }

// holdPodsOn narrows kwok's pod-ready stage so that it skips pods bound to
// the given nodes: they stay Pending, like pods on a node whose runtime is
// broken, while the node itself stays Ready.
func holdPodsOn(stages []byte, nodes []string) ([]byte, error) {
	if len(nodes) == 0 {
		return stages, nil
	}
	stage := bytes.Index(stages, []byte("\n  name: pod-ready\n"))
	if stage < 0 {
		return nil, fmt.Errorf("kwok stages: no pod-ready stage to hold pods on %v", nodes)
	}
	const anchor = "\n    matchExpressions:\n"
	at := bytes.Index(stages[stage:], []byte(anchor))
	if at < 0 {
		return nil, fmt.Errorf("kwok stages: pod-ready stage has no matchExpressions")
	}
	at += stage + len(anchor)
	var expr bytes.Buffer
	expr.WriteString("    - key: '.spec.nodeName'\n      operator: 'NotIn'\n      values:\n")
	for _, n := range nodes {
		fmt.Fprintf(&expr, "      - %s\n", strconv.Quote(n))
	}
	out := append(append(append([]byte{}, stages[:at]...), expr.Bytes()...), stages[at:]...)
	return out, nil
}

// dropStage removes the kwok stage named name from the stages file (YAML
// documents separated by "---" lines).
func dropStage(stages []byte, name string) ([]byte, error) {
	docs := bytes.Split(stages, []byte("\n---\n"))
	var kept [][]byte
	for _, d := range docs {
		if !bytes.Contains(d, []byte("\n  name: "+name+"\n")) {
			kept = append(kept, d)
		}
	}
	if len(kept) == len(docs) {
		return nil, fmt.Errorf("kwok stages: no %s stage to drop", name)
	}
	return bytes.Join(kept, []byte("\n---\n")), nil
}
