package incluster

import (
	"encoding/json"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/mesosphere/dkp-diagnose/lib/collect"
	"github.com/mesosphere/dkp-diagnose/lib/fleet"
	"github.com/mesosphere/dkp-diagnose/lib/targets"
)

// A worker tells the CLI following its pod's log how its run goes with
// progress events: one line each, EventPrefix then a JSON Event, written
// beside its other log lines. One JSON line per event, like a structured
// log, stays readable with `kubectl logs`; a second, human line per event
// would only double what the CLI shows (it passes on the lines that are not
// events).

// EventPrefix begins every progress event line.
const EventPrefix = "dkp-diagnose-event "

// MaxEventBytes bounds an event line, prefix included: the writer cuts the
// texts of an event to fit, the reader takes a longer line for no event.
const MaxEventBytes = 8 << 10

// maxEventText is the most runes of one text of an event (an error, a
// name) before the writer cuts it; cut further if the line is still too
// long.
const maxEventText = 512

// maxEventErrors bounds an event's error count: the reader rebuilds a
// slice of that many.
const maxEventErrors = 1 << 16

// maxEventCollectors bounds the collectors of a target's plan.
const maxEventCollectors = 1 << 16

// EventKind is what an event tells.
type EventKind string

// The events of a worker's run, in the order of fleet.Observer's and
// collect.Observer's calls.
const (
	EventTargetStarted     EventKind = "target-started"
	EventCollectorStarted  EventKind = "collector-started"
	EventCollectorFinished EventKind = "collector-finished"
	EventTargetFinished    EventKind = "target-finished"
)

// Event is one step of a worker's run. Every event names its target by
// role, namespace and name (a target's Identity); the other fields are
// those of its kind.
type Event struct {
	// Seq numbers the events of one worker process from 1: a reader that
	// follows a log again from its start skips those it has seen.
	Seq  int64     `json:"seq"`
	Kind EventKind `json:"event"`
	// Time is when the worker wrote the event, for whoever reads the log.
	Time      time.Time    `json:"time,omitzero"`
	Role      targets.Role `json:"role"`
	Namespace string       `json:"namespace,omitempty"`
	Name      string       `json:"name"`

	// Target started: the API server, the bundle prefix, and the number
	// of collectors of the worker's plan.
	Server     string `json:"server,omitempty"`
	Prefix     string `json:"prefix,omitempty"`
	Collectors int    `json:"collectors,omitempty"`

	// Collector started and finished: its title; once finished its
	// outcome, duration, the number of its errors and the first one.
	Collector string          `json:"collector,omitempty"`
	Outcome   collect.Outcome `json:"outcome,omitempty"`
	Errors    int             `json:"errors,omitempty"`

	// Target finished: its status, its bundle's file name (or URL, once
	// uploaded), its size, collector counts and redactions; the error its
	// summary row holds.
	Status     string                 `json:"status,omitempty"`
	Bundle     string                 `json:"bundle,omitempty"`
	Bytes      int64                  `json:"bytes,omitempty"`
	Counts     *fleet.CollectorCounts `json:"counts,omitempty"`
	Redactions int                    `json:"redactions,omitempty"`

	// DurationMs is a finished collector's or target's time; Error the
	// first error of a collector, or a target's.
	DurationMs int64  `json:"durationMs,omitempty"`
	Error      string `json:"error,omitempty"`
}

// AppendLine appends the event's line, newline included, to b: its texts
// cut (at rune boundaries) until the line fits MaxEventBytes.
func (e Event) AppendLine(b []byte) []byte {
	for limit := maxEventText; ; limit /= 2 {
		c := e
		for _, s := range []*string{&c.Namespace, &c.Name, &c.Server, &c.Prefix, &c.Collector, &c.Status, &c.Bundle, &c.Error} {
			*s = cutRunes(*s, limit)
		}
		c.Role = targets.Role(cutRunes(string(c.Role), limit))
		c.Outcome = collect.Outcome(cutRunes(string(c.Outcome), limit))
		data, err := json.Marshal(c)
		if err != nil {
			return b // only strings, numbers and a time: cannot happen
		}
		if len(EventPrefix)+len(data) < MaxEventBytes || limit == 0 {
			b = append(b, EventPrefix...)
			b = append(b, data...)
			return append(b, '\n')
		}
	}
}

// cutRunes is s cut to at most n runes, "…" marking a cut.
func cutRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n == 0 {
		return ""
	}
	i, count := 0, 0
	for i = range s {
		if count == n-1 {
			break
		}
		count++
	}
	return s[:i] + "…"
}

// ParseEvent reads an event line (without its newline); ok is false for
// any line that is not one: no EventPrefix, too long, not JSON, or not a
// plausible event (an unknown kind, a target without a name, a negative
// number).
func ParseEvent(line string) (e Event, ok bool) {
	if len(line) > MaxEventBytes {
		return Event{}, false
	}
	data, found := strings.CutPrefix(line, EventPrefix)
	if !found {
		return Event{}, false
	}
	if err := json.Unmarshal([]byte(data), &e); err != nil {
		return Event{}, false
	}
	if e.Seq < 1 || e.Role == "" || e.Name == "" || e.Collectors < 0 || e.Collectors > maxEventCollectors ||
		e.Errors < 0 || e.Errors > maxEventErrors || e.Bytes < 0 || e.DurationMs < 0 || e.Redactions < 0 {
		return Event{}, false
	}
	switch e.Kind {
	case EventTargetStarted:
	case EventCollectorStarted, EventCollectorFinished:
		if e.Collector == "" {
			return Event{}, false
		}
	case EventTargetFinished:
		if e.Status == "" {
			return Event{}, false
		}
	default:
		return Event{}, false
	}
	return e, true
}

// EventWriter is the worker's fleet.Observer: it writes each target's
// start and end, and its collectors', as event lines. It is safe for
// concurrent use; each event is one Write, numbered in the order written.
type EventWriter struct {
	w          io.Writer
	collectors int

	mu  sync.Mutex
	seq int64
	buf []byte
}

var _ fleet.Observer = (*EventWriter)(nil)

// NewEventWriter writes the events of a run whose plan has the given
// number of collectors to w.
func NewEventWriter(w io.Writer, collectors int) *EventWriter {
	return &EventWriter{w: w, collectors: min(collectors, maxEventCollectors)}
}

// write numbers e and writes it; a failed write is dropped, as progress is
// a courtesy to whoever follows the log.
func (ew *EventWriter) write(e Event) {
	ew.mu.Lock()
	defer ew.mu.Unlock()
	ew.seq++
	e.Seq, e.Time = ew.seq, time.Now().UTC()
	ew.buf = e.AppendLine(ew.buf[:0])
	_, _ = ew.w.Write(ew.buf)
}

func targetEvent(kind EventKind, t *targets.Target) Event {
	return Event{Kind: kind, Role: t.Role, Namespace: t.Namespace, Name: t.Name}
}

// TargetStarted implements fleet.Observer.
func (ew *EventWriter) TargetStarted(t *targets.Target) collect.Observer {
	e := targetEvent(EventTargetStarted, t)
	e.Server, e.Prefix, e.Collectors = t.Server, t.Prefix, ew.collectors
	if t.Config != nil {
		e.Server = t.Config.Host // what a local run names: the address used
	}
	ew.write(e)
	return collectorEvents{ew: ew, t: t}
}

// TargetFinished implements fleet.Observer.
func (ew *EventWriter) TargetFinished(t *targets.Target, s fleet.TargetSummary) {
	e := targetEvent(EventTargetFinished, t)
	e.Status, e.Bytes, e.Counts, e.Redactions, e.DurationMs, e.Error = s.Status, s.Bytes, s.Collectors, s.Redactions, s.DurationMs, s.Error
	// The bundle's path is the pod's: its name is what the CLI finds.
	e.Bundle = relocate(s.Bundle, ".")
	ew.write(e)
}

// collectorEvents writes one target's collector events.
type collectorEvents struct {
	ew *EventWriter
	t  *targets.Target
}

func (c collectorEvents) CollectorStarted(title string) {
	e := targetEvent(EventCollectorStarted, c.t)
	e.Collector = title
	c.ew.write(e)
}

func (c collectorEvents) CollectorFinished(r collect.CollectorResult) {
	e := targetEvent(EventCollectorFinished, c.t)
	e.Collector, e.Outcome, e.DurationMs, e.Errors = r.Title, r.Outcome, r.Duration.Milliseconds(), min(len(r.Errors), maxEventErrors)
	if len(r.Errors) > 0 {
		e.Error = r.Errors[0]
	}
	c.ew.write(e)
}

// Observer follows an in-cluster run from its workers' events: the calls
// of a fleet.Observer, with the number of collectors of the target's plan
// (the worker's, which the follower may not know). Replay calls it from one
// goroutine at a time.
type Observer interface {
	TargetStarted(t *targets.Target, collectors int) collect.Observer
	TargetFinished(t *targets.Target, s fleet.TargetSummary)
}

// Replay turns the progress events in the workers' logs back into Observer
// calls, as if the fleet ran here. It is safe for concurrent use (Line is
// called from one goroutine per pod). It tolerates what following logs
// brings: a log followed again from its start (events already seen are
// skipped), a target's start that was never seen (its first event starts
// it), events after the shard's result (dropped: the result said it all).
type Replay struct {
	obs Observer
	dir string

	mu      sync.Mutex
	seq     map[int]int64 // the last event seen, by shard index
	closed  map[int]bool  // shards whose result is in
	targets map[Identity]*replayed
}

// replayed is a target the events named.
type replayed struct {
	t     *targets.Target
	shard int
	obs   collect.Observer
	done  bool
}

// NewReplay drives obs; the bundles of finished targets are named as
// copied into outputDir (empty: as the pods named them).
func NewReplay(obs Observer, outputDir string) *Replay {
	return &Replay{obs: obs, dir: outputDir, seq: map[int]int64{}, closed: map[int]bool{}, targets: map[Identity]*replayed{}}
}

// Line takes one line of shard sh's log. It reports whether the line was
// an event (and so is dealt with); any other line is the caller's to show.
func (r *Replay) Line(sh Shard, line string) bool {
	e, ok := ParseEvent(line)
	if !ok {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if e.Seq <= r.seq[sh.Index] || r.closed[sh.Index] {
		return true
	}
	r.seq[sh.Index] = e.Seq
	id := Identity{e.Role, e.Namespace, e.Name}
	rt := r.targets[id]
	if rt == nil {
		rt = r.start(id, sh.Index, e)
	}
	if rt.done {
		return true
	}
	switch e.Kind {
	case EventCollectorStarted:
		if rt.obs != nil {
			rt.obs.CollectorStarted(e.Collector)
		}
	case EventCollectorFinished:
		if rt.obs != nil {
			res := collect.CollectorResult{Title: e.Collector, Outcome: e.Outcome,
				Duration: time.Duration(e.DurationMs) * time.Millisecond, Millis: e.DurationMs}
			if e.Errors > 0 {
				res.Errors = make([]string, e.Errors)
				res.Errors[0] = e.Error
			}
			rt.obs.CollectorFinished(res)
		}
	case EventTargetFinished:
		r.finish(rt, fleet.TargetSummary{Role: e.Role, Name: e.Name, Namespace: e.Namespace, Server: rt.t.Server, Prefix: rt.t.Prefix,
			Status: e.Status, Bundle: e.Bundle, Bytes: e.Bytes, DurationMs: e.DurationMs, Collectors: e.Counts,
			Redactions: e.Redactions, Error: e.Error})
	}
	return true
}

// start makes the target of e known and tells the Observer.
func (r *Replay) start(id Identity, shard int, e Event) *replayed {
	t := &targets.Target{Role: id.Role, Namespace: id.Namespace, Name: id.Name, Server: e.Server, Prefix: e.Prefix}
	rt := &replayed{t: t, shard: shard}
	rt.obs = r.obs.TargetStarted(t, e.Collectors)
	r.targets[id] = rt
	return rt
}

// finish ends a target, its bundle named where the CLI copies it.
func (r *Replay) finish(rt *replayed, s fleet.TargetSummary) {
	rt.done = true
	s.Bundle = relocate(s.Bundle, r.dir)
	r.obs.TargetFinished(rt.t, s)
}

// ShardDone takes a shard's result: its summary ends each of its targets
// the events left under way (or never named), and without one, the
// targets it had started fail with the shard's error. Later events of the
// shard are dropped.
func (r *Replay) ShardDone(res *ShardResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed[res.Shard.Index] = true
	if res.Summary != nil {
		for _, s := range res.Summary.Targets {
			if s.Status == fleet.StatusSkipped {
				continue // never started, in a local run either
			}
			id := Identity{s.Role, s.Namespace, s.Name}
			rt := r.targets[id]
			if rt == nil {
				n := 0
				if s.Collectors != nil {
					n = s.Collectors.Total
				}
				rt = r.start(id, res.Shard.Index, Event{Server: s.Server, Prefix: s.Prefix, Collectors: n})
			}
			if !rt.done {
				r.finish(rt, s)
			}
		}
	}
	why := "not collected: " + res.Error
	if res.Error == "" {
		why = "not collected: shard " + res.Shard.String() + " ended without it"
	}
	r.failOpen(func(rt *replayed) bool { return rt.shard == res.Shard.Index }, why)
}

// Abandon fails every target still under way: the caller stopped following
// the run (why says how), so no event will end them.
func (r *Replay) Abandon(why string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failOpen(func(*replayed) bool { return true }, why)
}

// failOpen fails the unfinished targets that match, in the order of their
// IDs.
func (r *Replay) failOpen(match func(*replayed) bool, why string) {
	var open []*replayed
	for _, rt := range r.targets {
		if !rt.done && match(rt) {
			open = append(open, rt)
		}
	}
	sort.Slice(open, func(i, j int) bool { return open[i].t.ID() < open[j].t.ID() })
	for _, rt := range open {
		r.finish(rt, fleet.TargetSummary{Role: rt.t.Role, Name: rt.t.Name, Namespace: rt.t.Namespace, Server: rt.t.Server,
			Prefix: rt.t.Prefix, Status: fleet.StatusFailed, Error: why})
	}
}
