package app

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/mesosphere/dkp-diagnose/lib/collect"
)

// Target states on the live display.
const (
	stateWaiting    = "waiting"
	stateCollecting = "collecting"
)

// targetProgress follows one target's collection: it is the collect.Observer
// of its run and the row of the live display. Its methods are safe for
// concurrent use.
type targetProgress struct {
	d     display
	label string
	total int
	// lines: print every finished collector, not only failed ones.
	lines   bool
	verbose bool

	mu      sync.Mutex
	state   string // waiting, collecting, then the target's status
	done    int
	failed  int
	running []string // collectors in flight, oldest first
	size    func() int64
	final   int64 // bundle bytes once written
	began   time.Time
	took    time.Duration
}

var _ collect.SizeObserver = (*targetProgress)(nil)

// begin marks the start of the target's collection.
func (p *targetProgress) begin(server string) {
	p.mu.Lock()
	p.state, p.began = stateCollecting, time.Now()
	p.mu.Unlock()
	p.d.infof("collecting from %s (%s)", p.label, server)
}

// setTotal sets the number of collectors the target runs.
func (p *targetProgress) setTotal(n int) {
	p.mu.Lock()
	p.total = n
	p.mu.Unlock()
}

// end records the target's outcome.
func (p *targetProgress) end(ts TargetSummary) { p.endAfter(ts, -1) }

// endAfter records the target's outcome and the time it took where it
// ran (an in-cluster worker's, which its events tell); below 0 means the
// time since begin.
func (p *targetProgress) endAfter(ts TargetSummary, took time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if took < 0 {
		took = time.Since(p.began)
	}
	p.state, p.final, p.running, p.took = ts.Status, ts.Bytes, nil, took
}

// CollectorStarted implements collect.Observer.
func (p *targetProgress) CollectorStarted(title string) {
	p.mu.Lock()
	p.running = append(p.running, title)
	p.mu.Unlock()
	if p.verbose {
		p.d.infof("%s: %s started", p.label, title)
	}
}

// CollectorFinished implements collect.Observer.
func (p *targetProgress) CollectorFinished(r collect.CollectorResult) {
	p.mu.Lock()
	p.done++
	if i := slices.Index(p.running, r.Title); i >= 0 {
		p.running = slices.Delete(p.running, i, i+1)
	}
	bad := r.Outcome == collect.OutcomeFailed || r.Outcome == collect.OutcomePartial
	if bad {
		p.failed++
	}
	p.mu.Unlock()
	switch {
	case bad:
		p.d.warnf("%s", collectorLine(p.label, r))
	case p.lines:
		p.d.infof("%s", collectorLine(p.label, r))
	}
}

// BundleOpened implements collect.SizeObserver.
func (p *targetProgress) BundleOpened(size func() int64) {
	p.mu.Lock()
	p.size = size
	p.mu.Unlock()
}

// snapshot is the target's state for drawing.
type snapshot struct {
	label, state  string
	done, total   int
	failed        int
	bytes         int64
	current       string
	elapsed, took time.Duration
}

func (p *targetProgress) snapshot() snapshot {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := snapshot{label: p.label, state: p.state, done: p.done, total: p.total, failed: p.failed, bytes: p.final, took: p.took}
	if p.state == stateCollecting {
		if p.size != nil {
			s.bytes = p.size()
		}
		if n := len(p.running); n > 0 {
			s.current = p.running[n-1]
			if n > 1 {
				s.current += fmt.Sprintf(" (+%d)", n-1)
			}
		}
		s.elapsed = time.Since(p.began)
	}
	return s
}
