package troubleshoot

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

// nodeResources: count(), min/max/sum(property), countDistinct(label) and
// nodeCondition(type) over the nodes that pass the filters.

func init() {
	register("nodeResources", func(b *bundle, s any) ([]*Result, error) {
		a := s.(*spec.NodeResourcesAnalyze)
		r, err := nodeResources(b, a)
		if err != nil || r == nil {
			return nil, err
		}
		return setStrict([]*Result{r}, a.AnalyzeMeta), nil
	})
}

const (
	iconNodes    = "kubernetes_node_resources"
	iconNodesURI = "https://troubleshoot.sh/images/analyzer-icons/node-resources.svg?w=16&h=18"
)

// nodeMessage is what a nodeResources message may template: the filters'
// fields and NodeCount.
type nodeMessage struct {
	*spec.NodeResourceFilters
	NodeCount int
}

func nodeResources(b *bundle, a *spec.NodeResourcesAnalyze) (*Result, error) {
	title := a.CheckName
	if title == "" {
		title = "Node Resources"
	}
	data, err := b.read("cluster-resources/nodes.json")
	if err != nil {
		var nf *notFoundError
		if !errors.As(err, &nf) {
			return nil, fmt.Errorf("failed to get contents of nodes.json: %w", err)
		}
		if a.IgnoreIfNoFiles {
			return nil, nil
		}
		return &Result{Title: title, IconKey: iconNodes, IconURI: iconNodesURI, IsWarn: true,
			Message: "No node resources were collected, unable to analyze node resources"}, nil
	}
	var nodes corev1.NodeList
	if err := json.Unmarshal(data, &nodes); err != nil {
		return nil, fmt.Errorf("failed to unmarshal node list: %w", err)
	}
	var matching []corev1.Node
	for _, n := range nodes.Items {
		ok, err := nodeMatches(n, a.Filters)
		if err != nil {
			return nil, fmt.Errorf("failed to check if node matches filter: %w", err)
		}
		if ok {
			matching = append(matching, n)
		}
	}
	r := &Result{Title: title, IconKey: iconNodes, IconURI: iconNodesURI}
	msg := nodeMessage{a.Filters, len(matching)}
	for _, o := range a.Outcomes {
		out, when, ok := pick(o)
		if !ok {
			continue
		}
		match, err := nodeConditional(when, matching, a.Filters)
		if err != nil {
			return nil, fmt.Errorf("failed to parse when: %w", err)
		}
		if match {
			apply(r, out)
			if r.Message, err = render(out.Message, msg); err != nil {
				return nil, fmt.Errorf("failed to render message template: %w", err)
			}
			return r, nil
		}
	}
	return r, nil
}

var nodeFunction = regexp.MustCompile(`(?P<function>.*)\((?P<property>.*)\)`)

// nodeConditional evaluates one when: "[function(property)] op value";
// "op value" alone counts nodes.
func nodeConditional(cond string, nodes []corev1.Node, filters *spec.NodeResourceFilters) (res bool, err error) {
	defer func() {
		// A quantity that does not parse, or a function with no value to
		// compare: troubleshoot recovers the same panics.
		if r := recover(); r != nil {
			res, err = false, fmt.Errorf("failed to evaluate %q: %v", cond, r)
		}
	}()
	if cond == "" {
		return true, nil
	}
	parts := strings.Fields(strings.TrimSpace(cond))
	if len(parts) == 2 {
		parts = append([]string{"count"}, parts...)
	}
	if len(parts) != 3 {
		return false, errors.New("unable to parse nodeResources conditional")
	}
	op := parts[1]
	var desired any = parts[2]
	if n, err := strconv.Atoi(parts[2]); err == nil {
		desired = n
	}
	m := nodeFunction.FindStringSubmatch(parts[0])
	if m == nil {
		m = nodeFunction.FindStringSubmatch(fmt.Sprintf("count() == %s", parts[0]))
	}
	if len(m) != 3 {
		return false, errors.New("conditional does not match pattern of function(property?)")
	}
	function, property := m[1], m[2]
	resourceName := ""
	if filters != nil {
		resourceName = filters.ResourceName
	}
	var actual any
	switch function {
	case "count":
		actual = len(nodes)
	case "countDistinct":
		seen := map[string]bool{}
		for _, n := range nodes {
			if v, ok := n.Labels[property]; ok {
				seen[v] = true
			}
		}
		actual = len(seen)
	case "min", "max":
		var best *resource.Quantity
		for _, n := range nodes {
			q := nodeQuantity(n, property, resourceName)
			if q == nil {
				continue
			}
			if best == nil || (function == "min" && q.Cmp(*best) < 0) || (function == "max" && q.Cmp(*best) > 0) {
				best = q
			}
		}
		actual = best
	case "sum":
		sum := resource.Quantity{}
		for _, n := range nodes {
			if q := nodeQuantity(n, property, resourceName); q != nil {
				sum.Add(*q)
			}
		}
		actual = &sum
	case "nodeCondition":
		if !regexp.MustCompile(`={1,3}`).MatchString(op) {
			return false, errors.New("nodeCondition function can only be compared using equals expression.")
		}
		if property == "" {
			return false, errors.New("value function parameter missing.")
		}
		for _, n := range nodes {
			for _, c := range n.Status.Conditions {
				if string(c.Type) == property && string(c.Status) == desired {
					return true, nil
				}
			}
		}
		return false, nil
	}
	var cmp int
	if a, ok := actual.(int); ok {
		if d, ok := desired.(int); ok {
			cmp = compareInts(a, d)
			return opHolds(op, cmp)
		}
	}
	want := ""
	switch d := desired.(type) {
	case string:
		want = d
	case int:
		want = strconv.Itoa(d)
	}
	// A nil quantity (min of nothing) panics here as in troubleshoot and
	// is recovered above.
	cmp = actual.(*resource.Quantity).Cmp(resource.MustParse(want))
	return opHolds(op, cmp)
}

func compareInts(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func opHolds(op string, cmp int) (bool, error) {
	switch op {
	case "=", "==", "===":
		return cmp == 0, nil
	case "<":
		return cmp < 0, nil
	case ">":
		return cmp > 0, nil
	case "<=":
		return cmp <= 0, nil
	case ">=":
		return cmp >= 0, nil
	}
	return false, errors.New("unexpected conditional in nodeResources")
}

func nodeQuantity(n corev1.Node, property, resourceName string) *resource.Quantity {
	switch property {
	case "cpuCapacity":
		return n.Status.Capacity.Cpu()
	case "cpuAllocatable":
		return n.Status.Allocatable.Cpu()
	case "memoryCapacity":
		return n.Status.Capacity.Memory()
	case "memoryAllocatable":
		return n.Status.Allocatable.Memory()
	case "podCapacity":
		return n.Status.Capacity.Pods()
	case "podAllocatable":
		return n.Status.Allocatable.Pods()
	case "ephemeralStorageCapacity":
		return n.Status.Capacity.StorageEphemeral()
	case "ephemeralStorageAllocatable":
		return n.Status.Allocatable.StorageEphemeral()
	case "resourceCapacity":
		if q, ok := n.Status.Capacity[corev1.ResourceName(resourceName)]; ok {
			return &q
		}
	case "resourceAllocatable":
		if q, ok := n.Status.Allocatable[corev1.ResourceName(resourceName)]; ok {
			return &q
		}
	}
	return nil
}

func nodeMatches(n corev1.Node, f *spec.NodeResourceFilters) (bool, error) {
	if f == nil {
		return true, nil
	}
	atLeast := func(have *resource.Quantity, want, what string) (bool, error) {
		if want == "" {
			return true, nil
		}
		q, err := resource.ParseQuantity(want)
		if err != nil {
			return false, fmt.Errorf("failed to parse %s: %w", what, err)
		}
		return have.Cmp(q) >= 0, nil
	}
	if f.ResourceName != "" {
		capacity, okc := n.Status.Capacity[corev1.ResourceName(f.ResourceName)]
		alloc, oka := n.Status.Allocatable[corev1.ResourceName(f.ResourceName)]
		if !okc && !oka {
			return false, nil
		}
		for _, c := range []struct {
			have       *resource.Quantity
			want, what string
		}{{&capacity, f.ResourceCapacity, "resource capacity"}, {&alloc, f.ResourceAllocatable, "resource allocatable"}} {
			if ok, err := atLeast(c.have, c.want, c.what); !ok || err != nil {
				return false, err
			}
		}
	}
	if f.Selector != nil {
		sel, err := metav1.LabelSelectorAsSelector(&metav1.LabelSelector{MatchLabels: f.Selector.MatchLabel, MatchExpressions: f.Selector.MatchExpressions})
		if err != nil {
			return false, fmt.Errorf("failed to create label selector: %w", err)
		}
		if !sel.Matches(labels.Set(n.Labels)) {
			return false, nil
		}
	}
	if f.Taint != nil {
		for _, t := range n.Spec.Taints {
			// corev1.Taint.MatchTaint: key and effect, not value.
			if t.Key == f.Taint.Key && string(t.Effect) == f.Taint.Effect {
				return true, nil
			}
		}
		return false, nil
	}
	if f.CPUArchitecture != "" && !strings.EqualFold(n.Status.NodeInfo.Architecture, f.CPUArchitecture) {
		return false, nil
	}
	checks := []struct {
		have       *resource.Quantity
		want, what string
	}{
		{n.Status.Capacity.Cpu(), f.CPUCapacity, "cpu capacity"},
		{n.Status.Allocatable.Cpu(), f.CPUAllocatable, "cpu allocatable"},
		{n.Status.Capacity.Memory(), f.MemoryCapacity, "memory capacity"},
		{n.Status.Allocatable.Memory(), f.MemoryAllocatable, "memory allocatable"},
		{n.Status.Capacity.Pods(), f.PodCapacity, "pod capacity"},
		{n.Status.Allocatable.Pods(), f.PodAllocatable, "pod allocatable"},
		{n.Status.Capacity.StorageEphemeral(), f.EphemeralStorageCapacity, "ephemeralstorage capacity"},
		{n.Status.Allocatable.StorageEphemeral(), f.EphemeralStorageAllocatable, "ephemeralstorage allocatable"},
	}
	for _, c := range checks {
		if ok, err := atLeast(c.have, c.want, c.what); !ok || err != nil {
			return false, err
		}
	}
	return true, nil
}
