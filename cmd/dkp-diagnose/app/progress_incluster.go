package app

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/mesosphere/dkp-diagnose/lib/collect"
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
	replay *incluster.Replay
}

func newInClusterProgress(d display, outputDir string) *inClusterProgress {
	return &inClusterProgress{d: d, replay: incluster.NewReplay(&inClusterObserver{d: d, rows: map[*targets.Target]*targetProgress{}}, outputDir)}
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
}

// TargetStarted implements incluster.Observer.
func (o *inClusterObserver) TargetStarted(t *targets.Target, collectors int) collect.Observer {
	p := o.d.target(t, collectors)
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
