package app

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/mesosphere/dkp-diagnose/lib/collect"
	"github.com/mesosphere/dkp-diagnose/lib/fleet"
	"github.com/mesosphere/dkp-diagnose/lib/incluster"
	"github.com/mesosphere/dkp-diagnose/lib/targets"
)

// inClusterProgress shows an in-cluster run on the display as a local run
// shows its own: the workers' progress events (in their pods' logs) drive
// a row per target and the same lines; their other log lines are shown
// with the shard in front. Its methods are safe for concurrent use: Follow
// calls line from one goroutine per pod.
type inClusterProgress struct {
	d      display
	obs    *inClusterObserver
	replay *incluster.Replay
}

func newInClusterProgress(d display, outputDir string) *inClusterProgress {
	obs := &inClusterObserver{d: d, rows: map[*targets.Target]*targetProgress{}, waiting: map[incluster.Identity]*targetProgress{}}
	return &inClusterProgress{d: d, obs: obs, replay: incluster.NewReplay(obs, outputDir)}
}

// expect shows the clusters the run expects as waiting rows, as a local
// run shows its plan before anything starts; a worker's events take a
// row over when they name its cluster.
func (p *inClusterProgress) expect(ids []incluster.Identity, collectors int) {
	p.obs.mu.Lock()
	defer p.obs.mu.Unlock()
	for _, id := range ids {
		if p.obs.waiting[id] == nil {
			p.obs.waiting[id] = p.d.target(&targets.Target{Role: id.Role, Namespace: id.Namespace, Name: id.Name}, collectors)
		}
	}
}

// settle ends the rows no worker ever started with their clusters' rows
// of the merged summary (skipped, not collected, interrupted), so that no
// row is left waiting on the screen.
func (p *inClusterProgress) settle(sum *Summary) {
	p.obs.mu.Lock()
	defer p.obs.mu.Unlock()
	for _, ts := range sum.Targets {
		id := incluster.Identity{Role: ts.Role, Namespace: ts.Namespace, Name: ts.Name}
		if row := p.obs.waiting[id]; row != nil {
			row.endAfter(ts, 0)
			delete(p.obs.waiting, id)
		}
	}
	for id, row := range p.obs.waiting {
		row.endAfter(TargetSummary{Status: fleet.StatusSkipped}, 0) // gone from the summary: no longer a Cluster
		delete(p.obs.waiting, id)
	}
}

// line is incluster.FollowOptions.Progress.
func (p *inClusterProgress) line(sh incluster.Shard, line string) {
	if p.replay.Line(sh, line) {
		return
	}
	if _, rest, ok := strings.Cut(line, " "); ok && looksLikeTime(line) {
		line = rest // the pod's time stamp: ours is put in front
	}
	p.d.infof("shard %s: %s", sh, cleanText(line))
}

// shardDone is incluster.FollowOptions.ShardDone: the shard's result ends
// the rows its events left open (all of them, failed, when the shard
// failed).
func (p *inClusterProgress) shardDone(r *incluster.ShardResult) {
	p.replay.ShardDone(r)
	if r.Summary == nil {
		p.d.warnf("shard %s failed: %s", r.Shard, r.Error)
	} else {
		p.d.infof("shard %s: copied its result (%d rows)", r.Shard, len(r.Summary.Targets))
	}
}

// stopped fails the rows still open once the CLI stopped following the
// run (err says why): their targets will not come back.
func (p *inClusterProgress) stopped(err error) {
	if err != nil {
		p.replay.Abandon(fmt.Sprintf("not collected: stopped following the run: %v", err))
	}
}

// inClusterObserver is the incluster.Observer of the display: a row per
// target, made when a worker's events first name it.
type inClusterObserver struct {
	d  display
	mu sync.Mutex
	// rows are the targets' rows, by the Replay's targets.
	rows map[*targets.Target]*targetProgress
	// waiting are the rows made up front (expect) that no worker has
	// started yet.
	waiting map[incluster.Identity]*targetProgress
}

// TargetStarted implements incluster.Observer.
func (o *inClusterObserver) TargetStarted(t *targets.Target, collectors int) collect.Observer {
	id := incluster.Identity{Role: t.Role, Namespace: t.Namespace, Name: t.Name}
	o.mu.Lock()
	p := o.waiting[id]
	delete(o.waiting, id)
	o.mu.Unlock()
	if p == nil {
		p = o.d.target(t, collectors)
	} else if collectors > 0 {
		p.setTotal(collectors) // the worker's count: a resumed run's spec may not be this one
	}
	o.mu.Lock()
	o.rows[t] = p
	o.mu.Unlock()
	p.begin(t.Server)
	return p
}

// TargetFinished implements incluster.Observer.
func (o *inClusterObserver) TargetFinished(t *targets.Target, ts TargetSummary) {
	o.mu.Lock()
	p := o.rows[t]
	o.mu.Unlock()
	took := time.Duration(-1)
	if ts.DurationMs > 0 {
		took = time.Duration(ts.DurationMs) * time.Millisecond
	}
	p.endAfter(ts, took)
	// An in-cluster run is a fleet: the management cluster and its
	// workload clusters.
	targetEnded(o.d, t, ts, true)
}
