package builtin

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Tree draws a Cluster's objects as `clusterctl describe cluster` does:
// the Cluster, its infrastructure, its control plane and its Machines, and
// the workers (MachineDeployments, MachinePools and their Machines), each
// with its summary condition and, when that is not True, the first false
// condition's reason and message.
//
//	Cluster/w1                               Available=False  InfrastructureReady=False: NotReady
//	├─ClusterInfrastructure DockerCluster/w1 Ready=False  …
//	├─ControlPlane KubeadmControlPlane/w1    Available=True
//	│ └─Machine/w1-cp-0                      Ready=True
//	└─Workers
//	  └─MachineDeployment/w1-md-0            Available=False  …
//	    └─Machine/w1-md-0-abc                Ready=False  NodeHealthy=False: …
func Tree(c *ClusterAPI, cl *Object) string {
	root := &treeNode{label: "Cluster/" + cl.Name, obj: cl}
	in := func(o *Object) bool { return o.Namespace == cl.Namespace && o.ClusterName == cl.Name }
	if ref := cl.InfrastructureRef; ref.Name != "" {
		n := &treeNode{label: "ClusterInfrastructure " + ref.Kind + "/" + ref.Name}
		n.obj = find(c.Infrastructure, cl.Namespace, ref)
		root.kids = append(root.kids, n)
	}
	var cpMachines, other []*Object
	mdMachines := map[string][]*Object{}
	poolMachines := map[string][]*Object{}
	for _, m := range c.Machines {
		if !in(m) {
			continue
		}
		_, cp := m.Labels[labelControlPlane]
		switch {
		case cp:
			cpMachines = append(cpMachines, m)
		case m.Labels[labelDeployment] != "":
			mdMachines[m.Labels[labelDeployment]] = append(mdMachines[m.Labels[labelDeployment]], m)
		case m.Labels[labelPool] != "":
			poolMachines[m.Labels[labelPool]] = append(poolMachines[m.Labels[labelPool]], m)
		default:
			other = append(other, m)
		}
	}
	if ref := cl.ControlPlaneRef; ref.Name != "" || len(cpMachines) > 0 {
		n := &treeNode{label: "ControlPlane " + ref.Kind + "/" + ref.Name}
		n.obj = find(c.ControlPlanes, cl.Namespace, ref)
		n.kids = machineNodes(cpMachines)
		root.kids = append(root.kids, n)
	}
	workers := &treeNode{label: "Workers"}
	for _, md := range c.MachineDeployments {
		if in(md) {
			workers.kids = append(workers.kids, &treeNode{label: "MachineDeployment/" + md.Name, obj: md, kids: machineNodes(mdMachines[md.Name])})
			delete(mdMachines, md.Name)
		}
	}
	for _, mp := range c.MachinePools {
		if in(mp) {
			workers.kids = append(workers.kids, &treeNode{label: "MachinePool/" + mp.Name, obj: mp, kids: machineNodes(poolMachines[mp.Name])})
			delete(poolMachines, mp.Name)
		}
	}
	// Machines whose owner the bundle lacks still show, under its name.
	for _, owners := range []struct {
		kind   string
		byName map[string][]*Object
	}{{"MachineDeployment", mdMachines}, {"MachinePool", poolMachines}} {
		for _, name := range slices.Sorted(maps.Keys(owners.byName)) {
			workers.kids = append(workers.kids, &treeNode{label: owners.kind + "/" + name, kids: machineNodes(owners.byName[name])})
		}
	}
	workers.kids = append(workers.kids, machineNodes(other)...)
	if len(workers.kids) > 0 {
		root.kids = append(root.kids, workers)
	}
	var lines [][2]string
	root.render("", "", &lines)
	width := 0
	for _, l := range lines {
		width = max(width, len([]rune(l[0])))
	}
	var b strings.Builder
	for _, l := range lines {
		pad := width - len([]rune(l[0]))
		b.WriteString(strings.TrimRight(l[0]+strings.Repeat(" ", pad)+"  "+l[1], " "))
		b.WriteByte('\n')
	}
	return b.String()
}

type treeNode struct {
	label string
	obj   *Object // nil: a grouping, or an object missing from the bundle
	kids  []*treeNode
}

func machineNodes(ms []*Object) []*treeNode {
	ms = slices.Clone(ms)
	slices.SortFunc(ms, func(a, b *Object) int { return strings.Compare(a.Name, b.Name) })
	out := make([]*treeNode, 0, len(ms))
	for _, m := range ms {
		label := "Machine/" + m.Name
		if m.NodeName != "" {
			label += " → Node/" + m.NodeName
		}
		out = append(out, &treeNode{label: label, obj: m})
	}
	return out
}

func find(objs []*Object, namespace string, ref Ref) *Object {
	for _, o := range objs {
		if o.Namespace == namespace && o.Name == ref.Name && (ref.Kind == "" || o.Kind == ref.Kind) {
			return o
		}
	}
	return nil
}

// render appends "prefix+label" and the status column of n and its
// children to lines.
func (n *treeNode) render(prefix, childPrefix string, lines *[][2]string) {
	*lines = append(*lines, [2]string{prefix + n.label, n.status()})
	for i, k := range n.kids {
		if i == len(n.kids)-1 {
			k.render(childPrefix+"└─", childPrefix+"  ", lines)
		} else {
			k.render(childPrefix+"├─", childPrefix+"│ ", lines)
		}
	}
}

// status is the summary condition and, when it is not True, the cause.
func (n *treeNode) status() string {
	o := n.obj
	switch {
	case o == nil && n.label == "Workers":
		return ""
	case o == nil:
		return "(not in the bundle)"
	}
	s := o.Summary()
	if s == nil {
		if o.Failure != "" {
			return "failure: " + o.Failure
		}
		return "(no " + o.summaryType() + " condition)"
	}
	out := fmt.Sprintf("%s=%s", s.Type, s.Status)
	if o.Deleting != nil {
		out += " (deleting)"
	}
	if o.Failure != "" {
		out += "  failure: " + o.Failure
	}
	if s.Status == "True" {
		return out
	}
	if c := o.Cause(); c != nil && c.Type != s.Type {
		out += fmt.Sprintf("  %s=False: %s", c.Type, conditionText(c.Reason, firstLine(c.Message)))
	} else if s.Reason != "" || s.Message != "" {
		out += "  " + conditionText(s.Reason, firstLine(s.Message))
	}
	return out
}

// firstLine keeps a multi-line condition message (v1beta2 summaries list
// one cause a line) to its first line for the tree.
func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}
