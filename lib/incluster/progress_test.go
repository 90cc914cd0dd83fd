package incluster

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/client-go/rest"

	"github.com/mesosphere/dkp-diagnose/lib/collect"
	"github.com/mesosphere/dkp-diagnose/lib/fleet"
	"github.com/mesosphere/dkp-diagnose/lib/targets"
)

// recorder is an Observer writing down each call as a line.
type recorder struct {
	mu    sync.Mutex
	calls []string
}

func (r *recorder) add(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, fmt.Sprintf(format, args...))
}

func (r *recorder) TargetStarted(t *targets.Target, collectors int) collect.Observer {
	r.add("start %s server=%s prefix=%s collectors=%d", t.ID(), t.Server, t.Prefix, collectors)
	return recorderCollectors{r: r, id: t.ID()}
}

func (r *recorder) TargetFinished(t *targets.Target, s fleet.TargetSummary) {
	counts := "-"
	if s.Collectors != nil {
		counts = fmt.Sprintf("%d/%d", s.Collectors.Total, s.Collectors.Failed)
	}
	r.add("end %s %s bundle=%s bytes=%d counts=%s redactions=%d ms=%d error=%q", t.ID(), s.Status, s.Bundle, s.Bytes, counts, s.Redactions, s.DurationMs, s.Error)
}

func (r *recorder) lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.calls...)
}

type recorderCollectors struct {
	r  *recorder
	id string
}

func (c recorderCollectors) CollectorStarted(title string) { c.r.add("%s: %s started", c.id, title) }
func (c recorderCollectors) CollectorFinished(r collect.CollectorResult) {
	first := ""
	if len(r.Errors) > 0 {
		first = r.Errors[0]
	}
	c.r.add("%s: %s %s %s errors=%d first=%q", c.id, r.Title, r.Outcome, r.Duration, len(r.Errors), first)
}

var (
	mgmt = &targets.Target{Role: targets.RoleCurrent, Name: "mgmt", Server: "https://mgmt:6443", Prefix: "mgmt",
		Config: &rest.Config{Host: "https://10.96.0.1:443"}}
	w1 = &targets.Target{Role: targets.RoleWorkload, Namespace: "fleet", Name: "w1", Server: "https://w1:6443", Prefix: "workload-fleet-w1"}
)

// workerRun plays a worker's fleet run on ew: the management cluster ok,
// w1 partial with a failed collector.
func workerRun(ew *EventWriter) {
	c := ew.TargetStarted(mgmt)
	c.CollectorStarted("cluster-info")
	c.CollectorFinished(collect.CollectorResult{Title: "cluster-info", Outcome: collect.OutcomeOK, Duration: 12 * time.Millisecond})
	ew.TargetFinished(mgmt, fleet.TargetSummary{Status: fleet.StatusOK, Bundle: "/output/mgmt-support-bundle-x.tar.gz", Bytes: 1234,
		DurationMs: 5000, Collectors: &fleet.CollectorCounts{Total: 2, OK: 2}, Redactions: 3})
	c = ew.TargetStarted(w1)
	c.CollectorStarted("logs")
	c.CollectorFinished(collect.CollectorResult{Title: "logs", Outcome: collect.OutcomeFailed, Duration: 2 * time.Second,
		Errors: []string{"pods is forbidden", "second"}})
	ew.TargetFinished(w1, fleet.TargetSummary{Status: fleet.StatusPartial, Bundle: "/output/workload-fleet-w1-support-bundle-x.tar.gz",
		Bytes: 99, DurationMs: 7000, Collectors: &fleet.CollectorCounts{Total: 2, OK: 1, Failed: 1}, Error: "pods is forbidden"})
}

// wantCalls is what a Replay of workerRun into "/out" tells its Observer.
var wantCalls = []string{
	"start current/mgmt server=https://10.96.0.1:443 prefix=mgmt collectors=2",
	"current/mgmt: cluster-info started",
	`current/mgmt: cluster-info ok 12ms errors=0 first=""`,
	`end current/mgmt ok bundle=/out/mgmt-support-bundle-x.tar.gz bytes=1234 counts=2/0 redactions=3 ms=5000 error=""`,
	"start workload/fleet/w1 server=https://w1:6443 prefix=workload-fleet-w1 collectors=2",
	"workload/fleet/w1: logs started",
	`workload/fleet/w1: logs failed 2s errors=2 first="pods is forbidden"`,
	`end workload/fleet/w1 partial bundle=/out/workload-fleet-w1-support-bundle-x.tar.gz bytes=99 counts=2/1 redactions=0 ms=7000 error="pods is forbidden"`,
}

func logLines(t *testing.T, b []byte) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	require.NoError(t, sc.Err())
	return out
}

// TestEventsRoundTrip: a worker's events, one line each and numbered,
// replayed become the same Observer calls, bundles named in the output
// folder; other lines of the log are left to the caller.
func TestEventsRoundTrip(t *testing.T) {
	var log bytes.Buffer
	workerRun(NewEventWriter(&log, 2))
	lines := logLines(t, log.Bytes())
	require.Len(t, lines, 8)
	for i, l := range lines {
		assert.True(t, strings.HasPrefix(l, EventPrefix), l)
		e, ok := ParseEvent(l)
		require.True(t, ok, l)
		assert.Equal(t, int64(i+1), e.Seq)
		assert.WithinDuration(t, time.Now(), e.Time, time.Minute)
	}
	e, _ := ParseEvent(lines[7])
	assert.Equal(t, Event{Seq: 8, Kind: EventTargetFinished, Time: e.Time, Role: targets.RoleWorkload, Namespace: "fleet", Name: "w1",
		Status: fleet.StatusPartial, Bundle: "workload-fleet-w1-support-bundle-x.tar.gz", Bytes: 99, DurationMs: 7000,
		Counts: &fleet.CollectorCounts{Total: 2, OK: 1, Failed: 1}, Error: "pods is forbidden"}, e)

	rec := &recorder{}
	r := NewReplay(rec, "/out")
	sh := Shard{Index: 0, Count: 2}
	assert.False(t, r.Line(sh, "2026-12-05T01:00:00Z shard 0/2 done: 2 targets"))
	for _, l := range lines {
		assert.True(t, r.Line(sh, l))
	}
	assert.Equal(t, wantCalls, rec.lines())
}

// TestEventsUploadedBundle: an uploaded bundle's URL is kept as it is.
func TestEventsUploadedBundle(t *testing.T) {
	var log bytes.Buffer
	ew := NewEventWriter(&log, 1)
	ew.TargetStarted(w1)
	ew.TargetFinished(w1, fleet.TargetSummary{Status: fleet.StatusOK, Bundle: "s3://b/p/w1.tar.gz"})
	rec := &recorder{}
	r := NewReplay(rec, "/out")
	for _, l := range logLines(t, log.Bytes()) {
		r.Line(Shard{Count: 1}, l)
	}
	require.Len(t, rec.lines(), 2)
	assert.Contains(t, rec.lines()[1], "bundle=s3://b/p/w1.tar.gz ")
}

// TestParseEventRejects: lines that are not whole, plausible events are
// no events.
func TestParseEventRejects(t *testing.T) {
	var log bytes.Buffer
	workerRun(NewEventWriter(&log, 2))
	good := logLines(t, log.Bytes())[2]
	_, ok := ParseEvent(good)
	require.True(t, ok)
	long := strings.Replace(good, `"event"`, `"pad":"`+strings.Repeat("x", MaxEventBytes)+`","event"`, 1)
	for name, line := range map[string]string{
		"empty":            "",
		"plain line":       "2026-12-05T01:00:00Z current mgmt: collecting",
		"prefix alone":     EventPrefix,
		"not an object":    EventPrefix + "null",
		"half a line":      good[:len(good)/2],
		"trailing garbage": good + "}",
		"too long":         long,
		"prefix elsewhere": "x" + good,
		"unknown kind":     strings.Replace(good, `"collector-finished"`, `"collector-exploded"`, 1),
		"no seq":           strings.Replace(good, `"seq":3`, `"seq":0`, 1),
		"no name":          strings.Replace(good, `"name":"mgmt"`, `"name":""`, 1),
		"negative":         strings.Replace(good, `"durationMs":12`, `"durationMs":-12`, 1),
		"too many errors":  strings.Replace(good, `"event"`, `"errors":99999999,"event"`, 1),
		"no collector":     strings.Replace(good, `"collector":"cluster-info"`, `"collector":""`, 1),
		"wrong type":       strings.Replace(good, `"seq":3`, `"seq":"3"`, 1),
	} {
		if line != good {
			_, ok := ParseEvent(line)
			assert.False(t, ok, "%s: %.200s", name, line)
		}
	}
	assert.Greater(t, len(long), MaxEventBytes)
}

// TestEventLineBounded: huge texts (an API server's error, full of
// characters JSON escapes) are cut so the line fits MaxEventBytes and
// still reads back, each text cut where a rune ends.
func TestEventLineBounded(t *testing.T) {
	huge := strings.Repeat("\x01<é>", 50000)
	e := Event{Seq: 1, Kind: EventCollectorFinished, Role: targets.RoleWorkload, Namespace: huge, Name: huge, Server: huge,
		Prefix: huge, Collector: huge, Outcome: collect.OutcomeFailed, Errors: 1, Error: huge}
	line := e.AppendLine(nil)
	assert.LessOrEqual(t, len(line), MaxEventBytes)
	assert.Equal(t, byte('\n'), line[len(line)-1])
	got, ok := ParseEvent(strings.TrimSuffix(string(line), "\n"))
	require.True(t, ok, "%.300s", line)
	assert.True(t, strings.HasSuffix(got.Error, "…"))
	assert.True(t, strings.HasPrefix(huge, strings.TrimSuffix(got.Error, "…")))
	assert.NotEmpty(t, got.Name)

	short := Event{Seq: 1, Kind: EventTargetStarted, Role: targets.RoleCurrent, Name: "mgmt", Server: "https://a"}
	got, ok = ParseEvent(strings.TrimSuffix(string(short.AppendLine(nil)), "\n"))
	require.True(t, ok)
	assert.Equal(t, short, got, "short texts are left whole")
}

// TestReplayTolerates: a log followed again from its start, events after
// the shard's result, and a log whose start was lost each leave one call
// per step; the shard's result ends what its events left open.
func TestReplayTolerates(t *testing.T) {
	var log bytes.Buffer
	workerRun(NewEventWriter(&log, 2))
	lines := logLines(t, log.Bytes())
	sh := Shard{Index: 1, Count: 2}

	t.Run("followed twice", func(t *testing.T) {
		rec := &recorder{}
		r := NewReplay(rec, "/out")
		for _, l := range append(append([]string(nil), lines[:5]...), lines...) {
			r.Line(sh, l)
		}
		assert.Equal(t, wantCalls, rec.lines())
	})

	t.Run("start lost, result ends it", func(t *testing.T) {
		rec := &recorder{}
		r := NewReplay(rec, "/out")
		for _, l := range lines[5:7] { // w1's collector only
			r.Line(sh, l)
		}
		r.ShardDone(&ShardResult{Shard: sh, Summary: &fleet.Summary{Targets: []fleet.TargetSummary{
			{Role: targets.RoleCurrent, Name: "mgmt", Server: "https://m", Status: fleet.StatusOK, Bundle: "/output/m.tar.gz", Collectors: &fleet.CollectorCounts{Total: 2, OK: 2}},
			{Role: targets.RoleWorkload, Namespace: "fleet", Name: "w1", Status: fleet.StatusFailed, Error: "boom"},
			{Role: targets.RoleWorkload, Namespace: "fleet", Name: "prov", Status: fleet.StatusSkipped},
		}}})
		for _, l := range lines { // the log, late: the result said it all
			r.Line(sh, l)
		}
		assert.Equal(t, []string{
			"start workload/fleet/w1 server= prefix= collectors=0",
			"workload/fleet/w1: logs started",
			`workload/fleet/w1: logs failed 2s errors=2 first="pods is forbidden"`,
			"start current/mgmt server=https://m prefix= collectors=2",
			`end current/mgmt ok bundle=/out/m.tar.gz bytes=0 counts=2/0 redactions=0 ms=0 error=""`,
			`end workload/fleet/w1 failed bundle= bytes=0 counts=- redactions=0 ms=0 error="boom"`,
		}, rec.lines())
	})

	t.Run("failed shard", func(t *testing.T) {
		rec := &recorder{}
		r := NewReplay(rec, "/out")
		for _, l := range lines[:6] {
			r.Line(sh, l)
		}
		r.Line(Shard{Index: 0, Count: 2}, lines[0]) // another shard's numbering
		r.ShardDone(&ShardResult{Shard: sh, Error: "shard 1/2: pod p: OOMKilled"})
		calls := rec.lines()
		assert.Equal(t, `end workload/fleet/w1 failed bundle= bytes=0 counts=- redactions=0 ms=0 error="not collected: shard 1/2: pod p: OOMKilled"`, calls[len(calls)-1])
		assert.Len(t, calls, 7, "mgmt ended by its event, w1 by the failure, once each")
	})

	t.Run("abandoned", func(t *testing.T) {
		rec := &recorder{}
		r := NewReplay(rec, "")
		r.Line(sh, lines[0])
		r.Abandon("stopped following")
		r.Abandon("twice")
		calls := rec.lines()
		require.Len(t, calls, 2)
		assert.Equal(t, `end current/mgmt failed bundle= bytes=0 counts=- redactions=0 ms=0 error="stopped following"`, calls[1])
	})
}

// TestReplayConcurrent: pods' logs are followed at once, and workers write
// from parallel targets; every event lands once (run with -race).
func TestReplayConcurrent(t *testing.T) {
	const shards, perShard = 4, 25
	logs := make([]bytes.Buffer, shards)
	var wg sync.WaitGroup
	for s := range shards {
		ew := NewEventWriter(&logs[s], 1)
		for i := range perShard {
			wg.Go(func() {
				tg := &targets.Target{Role: targets.RoleWorkload, Namespace: fmt.Sprintf("s%d", s), Name: fmt.Sprintf("c%d", i)}
				c := ew.TargetStarted(tg)
				c.CollectorStarted("x")
				c.CollectorFinished(collect.CollectorResult{Title: "x", Outcome: collect.OutcomeOK})
				ew.TargetFinished(tg, fleet.TargetSummary{Status: fleet.StatusOK})
			})
		}
	}
	wg.Wait()
	rec := &recorder{}
	r := NewReplay(rec, "")
	for s := range shards {
		wg.Go(func() {
			for _, l := range logLines(t, logs[s].Bytes()) {
				r.Line(Shard{Index: s, Count: shards}, l)
			}
		})
	}
	wg.Wait()
	assert.Len(t, rec.lines(), shards*perShard*4)
}

// FuzzParseEvent: any line either is no event or is one that writes back
// as a line that reads again.
func FuzzParseEvent(f *testing.F) {
	var log bytes.Buffer
	workerRun(NewEventWriter(&log, 2))
	for _, l := range strings.Split(strings.TrimSpace(log.String()), "\n") {
		f.Add(l)
	}
	f.Add(EventPrefix + `{"seq":1,"event":"target-started","role":"current","name":"\u0000"}`)
	f.Add("plain")
	f.Fuzz(func(t *testing.T, line string) {
		e, ok := ParseEvent(line)
		if !ok {
			return
		}
		again := e.AppendLine(nil)
		if len(again) > MaxEventBytes {
			t.Fatalf("written back too long: %d bytes", len(again))
		}
		e2, ok := ParseEvent(strings.TrimSuffix(string(again), "\n"))
		if !ok {
			t.Fatalf("written back does not read: %q", again)
		}
		if e2.Seq != e.Seq || e2.Kind != e.Kind {
			t.Fatalf("written back differs: %+v, %+v", e, e2)
		}
	})
}
