package app

import (
	"context"
	"errors"

	"github.com/mesosphere/dkp-diagnose/lib/collect"
	"github.com/mesosphere/dkp-diagnose/lib/fleet"
	"github.com/mesosphere/dkp-diagnose/lib/incluster"
	"github.com/mesosphere/dkp-diagnose/lib/targets"
)

// localPart is the part of an in-cluster run the CLI collects itself, at
// the same time as the Job: the Kind bootstrap cluster, which only the
// operator's machine reaches, and the Cluster API clusters found on it
// that the management cluster does not have (those of a bootstrap not yet
// moved with clusterctl move).
type localPart struct {
	plan *targets.Plan
	done chan struct{}
	sum  *fleet.Summary
	err  error
}

// planLocalPart resolves the local part of an in-cluster run: nil when the
// bootstrap cluster was not asked for. managed are the clusters of the
// management cluster: the Job's, so left out here. The error is bad input
// (an unreadable --bootstrap-kubeconfig), found before anything is created
// in the cluster.
func (o *options) planLocalPart(ctx context.Context, managed []incluster.Identity) (*localPart, error) {
	if !o.bootstrap && o.bootstrapKubeconfig == "" {
		return nil, nil
	}
	plan, err := o.resolve(ctx, false, func(r *targets.Request) {
		r.Bootstrap, r.AllClusters, r.SkipCurrent = true, true, true
	})
	if err != nil {
		return nil, err
	}
	isManaged := map[incluster.Identity]bool{}
	for _, id := range managed {
		isManaged[id] = true
	}
	var keep []*targets.Target
	for _, t := range plan.Targets {
		if t.Role != targets.RoleWorkload || !isManaged[incluster.Identity{Role: t.Role, Namespace: t.Namespace, Name: t.Name}] {
			keep = append(keep, t)
		}
	}
	var skipped []targets.Skipped
	for _, sk := range plan.Skipped {
		var notFound *targets.ClusterNotFoundError
		// A --cluster the bootstrap cluster does not have is the
		// management cluster's: the shards collect or report it.
		if sk.Role == targets.RoleWorkload && (isManaged[incluster.Identity{Role: sk.Role, Namespace: sk.Namespace, Name: sk.Name}] || errors.As(sk.Err, &notFound)) {
			continue
		}
		skipped = append(skipped, sk)
	}
	plan.Targets, plan.Skipped = keep, skipped
	return &localPart{plan: plan}, nil
}

// start collects the local part in the background, its rows on d beside
// the shards'; wait returns its summary. Its bundles are analyzed as a
// local run's are; the fleet report is made once, from every part.
func (p *localPart) start(ctx context.Context, o *options, work *collect.Plan, base collect.Options, d display) {
	p.done = make(chan struct{})
	obs := o.rowsObserver(p.plan, work, d)
	obs.multi = true // beside the shards' targets
	for _, n := range p.plan.Notes {
		d.infof("%s", n)
	}
	fo := o.fleetOptions(base, d, obs, false)
	go func() {
		defer close(p.done)
		p.sum, p.err = fleet.Run(ctx, p.plan, work, fo)
	}()
}

// wait returns the local part's summary once it is done; nil for no part.
func (p *localPart) wait() (*fleet.Summary, error) {
	if p == nil || p.done == nil {
		return nil, nil
	}
	<-p.done
	return p.sum, p.err
}
