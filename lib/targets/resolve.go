package targets

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"k8s.io/client-go/tools/clientcmd"
)

// Request says which targets a run wants.
type Request struct {
	// Rules and Overrides find the current kubeconfig context.
	Rules     *clientcmd.ClientConfigLoadingRules
	Overrides *clientcmd.ConfigOverrides
	// Current, when set, is the current cluster instead of the one Rules
	// and Overrides find: a program running inside the management cluster
	// (an in-cluster Job) reaches it through its service account, not a
	// kubeconfig context, and names it itself.
	Current *Target
	// Bootstrap adds the Kind bootstrap cluster. Alone it replaces the
	// current context; with AllClusters it comes on top of it.
	Bootstrap     bool
	BootstrapOpts BootstrapOptions
	// AllClusters adds the Cluster API workload clusters found on the
	// current cluster and, with Bootstrap, on the bootstrap cluster.
	AllClusters bool
	// SkipCurrent leaves the current cluster, and the workload clusters
	// found on it, out of a Bootstrap request, AllClusters or not: they
	// are collected elsewhere (an in-cluster run collects the management
	// cluster's fleet from inside it, the bootstrap cluster's from here).
	SkipCurrent bool
	// Only limits workload clusters (and implies AllClusters).
	Only []ClusterRef
	// Kubeconfigs says which workload clusters' kubeconfig secrets may run
	// commands or read local files (none by default).
	Kubeconfigs KubeconfigPolicy
	// Probe checks every target's reachability even for a single target.
	Probe bool
	// Prefix is the caller's bundle name prefix (see AssignPrefixes).
	Prefix string
}

// Plan is what a run collects from.
type Plan struct {
	Targets []*Target
	// Skipped are the clusters found but not collected, the Duplicates
	// among them.
	Skipped    []Skipped
	Duplicates []Duplicate
	// Notes are one-line remarks for stderr ("no Cluster API on …").
	Notes []string
}

// Resolve finds the targets of req: bootstrap first, then the current
// context, then workload clusters by namespace and name. Clusters reached
// twice are kept once (see Dedupe) and every target gets its prefix (see
// AssignPrefixes). The error is for bad input only (unreadable kubeconfig,
// unknown context); a cluster that cannot be found or read is a Skipped
// entry.
func Resolve(ctx context.Context, req Request) (*Plan, error) {
	p := &Plan{}
	all := req.AllClusters || len(req.Only) > 0
	var sources []*Target
	if req.Bootstrap {
		b, err := Bootstrap(req.BootstrapOpts)
		if err != nil && !errors.Is(err, ErrBadInput) && req.BootstrapOpts.Kubeconfig == "" {
			// No container engine, or it does not know the cluster: a
			// "kind-<name>" context in the kubeconfig still finds it.
			name := cmp.Or(req.BootstrapOpts.ClusterName, DefaultBootstrapClusterName)
			if t, ok := kindContext(req.Rules, name); ok {
				p.Notes = append(p.Notes, fmt.Sprintf("using kubeconfig context kind-%s, as Kind did not answer: %s", name, err))
				b, err = t, nil
			}
		}
		switch {
		case errors.Is(err, ErrBadInput):
			return nil, err
		case err != nil:
			name := cmp.Or(req.BootstrapOpts.ClusterName, DefaultBootstrapClusterName)
			p.Skipped = append(p.Skipped, Skipped{Role: RoleBootstrap, Name: name, Reason: err.Error(), Failure: true, Err: err})
		default:
			p.Targets = append(p.Targets, b)
			sources = append(sources, b)
		}
	}
	if !req.Bootstrap || (all && !req.SkipCurrent) {
		c := req.Current
		if c == nil {
			var err error
			if c, err = Current(req.Rules, req.Overrides); err != nil {
				return nil, err
			}
		}
		p.Targets = append(p.Targets, c)
		sources = append(sources, c)
	}
	if all {
		p.addWorkloads(ctx, sources, req.Only, req.Kubeconfigs)
	}
	if req.Probe || len(p.Targets) > 1 {
		Probe(ctx, p.Targets)
	}
	p.Targets, p.Duplicates = Dedupe(p.Targets)
	for _, d := range p.Duplicates {
		p.Skipped = append(p.Skipped, d.skipped())
	}
	AssignPrefixes(p.Targets, req.Prefix)
	return p, nil
}

func (p *Plan) addWorkloads(ctx context.Context, sources []*Target, only []ClusterRef, policy KubeconfigPolicy) {
	var found []*Target
	var skipped []Skipped
	// The current context may be the bootstrap cluster itself: its Cluster
	// objects are listed once, not once per way of reaching it, so that
	// neither a workload row nor the count in the notes appears twice.
	listed := map[string]*Target{}
	for _, src := range sources {
		server := NormalizeServer(src.Server)
		if first := listed[server]; first != nil {
			p.Notes = append(p.Notes, fmt.Sprintf("%s cluster %s is %s cluster %s (same API server %s): its Cluster API clusters are listed once",
				src.Role, src.Name, first.Role, first.Name, src.Server))
			continue
		}
		ts, sk, version, err := Workloads(ctx, src, only, policy)
		if err == nil {
			listed[server] = src
		}
		switch {
		case err != nil:
			p.Notes = append(p.Notes, fmt.Sprintf("%s cluster %s: cannot look for Cluster API clusters: %s", src.Role, src.Name, oneLine(err)))
		case version == "":
			p.Notes = append(p.Notes, fmt.Sprintf("%s cluster %s: Cluster API (clusters.cluster.x-k8s.io) is not installed, no workload clusters there", src.Role, src.Name))
		default:
			p.Notes = append(p.Notes, fmt.Sprintf("%s cluster %s: %d Cluster API clusters (%s), %d without a usable kubeconfig", src.Role, src.Name, len(ts)+len(sk), version, len(sk)))
		}
		found = append(found, ts...)
		skipped = append(skipped, sk...)
	}
	key := func(ns, name string) ClusterRef { return ClusterRef{Namespace: ns, Name: name} }
	seen := map[ClusterRef]bool{}
	byName := func(a, b *Target) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	}
	slices.SortStableFunc(found, byName)
	for _, t := range found {
		seen[key(t.Namespace, t.Name)] = true
	}
	p.Targets = append(p.Targets, found...)
	slices.SortStableFunc(skipped, func(a, b Skipped) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	for _, s := range skipped {
		k := key(s.Namespace, s.Name)
		if seen[k] {
			continue // readable on another source cluster, or already skipped
		}
		seen[k] = true
		p.Skipped = append(p.Skipped, s)
	}
	for _, r := range only {
		if !seen[r] {
			err := &ClusterNotFoundError{Ref: r}
			p.Skipped = append(p.Skipped, Skipped{Role: RoleWorkload, Name: r.Name, Namespace: r.Namespace,
				Reason: err.Error(), Failure: true, Err: err})
		}
	}
}

// skipped is the Skipped entry of a cluster reached twice, so that every
// report of the plan lists it with why.
func (d Duplicate) skipped() Skipped {
	return Skipped{Role: d.Dropped.Role, Name: d.Dropped.Name, Namespace: d.Dropped.Namespace, Source: d.Dropped.Source,
		Reason: fmt.Sprintf("same cluster as %s %s (%s), collected once", d.Kept.Role, d.Kept.Label(), d.Why)}
}
