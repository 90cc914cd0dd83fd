package collect

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Leftover is an object a run created in the cluster and could not remove,
// usually because the API server stopped answering. It carries our labels
// and an expiry: the next run against the cluster after that time removes
// it, or Command does now.
type Leftover struct {
	// Kind is DaemonSet (with its pods) or Pod.
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Selector selects the object and, for a DaemonSet, its pods.
	Selector string `json:"selector"`
	// Expires is when a later run may remove it.
	Expires time.Time `json:"expires,omitzero"`
	// Error is why the removal failed.
	Error string `json:"error"`
	// Command removes it (with the cluster's kubeconfig and context).
	Command string `json:"command"`
}

// String is "daemonset NS/NAME and its pods".
func (l Leftover) String() string {
	s := strings.ToLower(l.Kind) + " " + l.Namespace + "/" + l.Name
	if l.Kind == "DaemonSet" {
		s += " and its pods"
	}
	return s
}

// leftovers collects a run's Leftovers from its collectors.
type leftovers struct {
	mu   sync.Mutex
	list []Leftover
}

// add records that the object created with meta could not be removed.
func (l *leftovers) add(env *Env, kind string, meta metav1.ObjectMeta, err error) {
	if l == nil {
		return // an Env built outside Run (unit tests)
	}
	sel := labels.Set{LabelRun: env.Options.runID, LabelObject: meta.Name}.String()
	what := "pods"
	if kind == "DaemonSet" {
		what = "daemonsets,pods"
	}
	expires, _ := time.Parse(time.RFC3339, meta.Annotations[AnnotationExpires])
	lo := Leftover{Kind: kind, Namespace: meta.Namespace, Name: meta.Name, Selector: sel, Expires: expires,
		Error: err.Error(), Command: fmt.Sprintf("kubectl delete %s -n %s -l %s", what, meta.Namespace, sel)}
	l.mu.Lock()
	l.list = append(l.list, lo)
	l.mu.Unlock()
}

// all returns the leftovers in a stable order.
func (l *leftovers) all() []Leftover {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	out := append([]Leftover(nil), l.list...)
	sort.Slice(out, func(i, j int) bool { return out[i].Namespace+"/"+out[i].Name < out[j].Namespace+"/"+out[j].Name })
	return out
}
