package collect

import (
	"encoding/json"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
)

// notOurs is the label selector every cluster-resources list and every log
// collector's pod list carries, so that what dkp-diagnose creates in a
// cluster (the DaemonSets and pods of the node collectors, runPod's pods;
// this run's and those an earlier, killed run left behind) never shows in a
// bundle as part of the cluster, for example as a Pending pod an analyzer
// counts as failing. The API server filters: nothing is decoded here.
var notOurs = func() string {
	r, err := labels.NewRequirement(LabelManagedBy, selection.NotEquals, []string{ManagedBy})
	if err != nil {
		panic(err) // constant input
	}
	return labels.NewSelector().Add(*r).String()
}()

// withNotOurs adds notOurs to a label selector.
func withNotOurs(selector string) string {
	if selector == "" {
		return notOurs
	}
	return selector + "," + notOurs
}

// isEventAboutOurs reports whether an Event is about an object dkp-diagnose
// created (named by objectName, or a pod its DaemonSets made from such a
// name). Events carry no labels for notOurs to filter on, and an analyzer
// would otherwise count, say, our node collector's FailedScheduling as the
// cluster's warning. An Event that does not decode is kept.
func isEventAboutOurs(item json.RawMessage) bool {
	var ev struct {
		InvolvedObject struct {
			Name string `json:"name"`
		} `json:"involvedObject"`
	}
	if json.Unmarshal(item, &ev) != nil {
		return false
	}
	return strings.HasPrefix(ev.InvolvedObject.Name, objectNamePrefix)
}

// namespaceSet is the namespaces a clusterResources run covers, known once
// the namespaces are listed: the namespaced lists wait for it to write an
// empty list for each namespace that has none of their objects.
type namespaceSet struct {
	once  sync.Once
	ready chan struct{}
	names []string
}

// newNamespaceSet starts a set; with fixed namespaces (a spec's) it is
// known at once.
func newNamespaceSet(fixed []string) *namespaceSet {
	s := &namespaceSet{ready: make(chan struct{})}
	if len(fixed) > 0 {
		s.done(fixed)
	}
	return s
}

// done sets the namespaces (nil: unknown, the namespaces could not be
// listed) unless they were set already, and returns the set's namespaces.
func (s *namespaceSet) done(names []string) []string {
	s.once.Do(func() {
		s.names = names
		close(s.ready)
	})
	return s.names
}

// wait returns the namespaces once known (nil when unknown).
func (s *namespaceSet) wait() []string {
	<-s.ready
	return s.names
}
