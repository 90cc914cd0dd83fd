package app

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/client-go/rest"

	"github.com/mesosphere/dkp-diagnose/lib/collect"
	"github.com/mesosphere/dkp-diagnose/lib/fleet"
	"github.com/mesosphere/dkp-diagnose/lib/incluster"
	"github.com/mesosphere/dkp-diagnose/lib/targets"
)

// playFleet plays a fleet run of two targets on obs, as lib/fleet calls
// it: the management cluster ok, a workload cluster partial; bundles in
// dir.
func playFleet(obs fleet.Observer, mgmt, w1 *targets.Target, dir string) {
	c := obs.TargetStarted(mgmt)
	c.CollectorStarted("cluster-info")
	c.CollectorFinished(collect.CollectorResult{Title: "cluster-info", Outcome: collect.OutcomeOK, Duration: 12 * time.Millisecond})
	c.CollectorStarted("cluster-resources")
	c.CollectorFinished(collect.CollectorResult{Title: "cluster-resources", Outcome: collect.OutcomeOK, Duration: 1500 * time.Millisecond})
	obs.TargetFinished(mgmt, fleet.TargetSummary{Status: fleet.StatusOK, Bundle: dir + "/mgmt-support-bundle-x.tar.gz", Bytes: 1234,
		DurationMs: 5000, Collectors: &fleet.CollectorCounts{Total: 2, OK: 2}, Redactions: 3})
	c = obs.TargetStarted(w1)
	c.CollectorStarted("cluster-info")
	c.CollectorFinished(collect.CollectorResult{Title: "cluster-info", Outcome: collect.OutcomeOK, Duration: 3 * time.Millisecond})
	c.CollectorStarted("logs")
	c.CollectorFinished(collect.CollectorResult{Title: "logs", Outcome: collect.OutcomeFailed, Duration: 2 * time.Second,
		Errors: []string{"pods is forbidden\nsecond line", "again"}})
	obs.TargetFinished(w1, fleet.TargetSummary{Status: fleet.StatusPartial, Bundle: dir + "/workload-fleet-w1-support-bundle-x.tar.gz",
		Bytes: 99, DurationMs: 7000, Collectors: &fleet.CollectorCounts{Total: 2, OK: 1, Failed: 1}, Error: "pods is forbidden"})
}

func twoTargets() (mgmt, w1 *targets.Target) {
	return &targets.Target{Role: targets.RoleCurrent, Name: "mgmt", Config: &rest.Config{Host: "https://mgmt:6443"}},
		&targets.Target{Role: targets.RoleWorkload, Namespace: "fleet", Name: "w1", Config: &rest.Config{Host: "https://w1:6443"}}
}

// untimed drops the time stamps of plain display lines.
func untimed(t *testing.T, s string) []string {
	t.Helper()
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		require.Regexp(t, timestamped, l)
		out = append(out, timestamped.ReplaceAllString(l, ""))
	}
	return out
}

// TestInClusterProgressAsLocal: the events a worker writes for its fleet
// run, read back by the CLI, print on a plain display the lines a local
// run of the same targets prints — none of the JSON; the worker's other
// lines come with their shard in front.
func TestInClusterProgressAsLocal(t *testing.T) {
	var local bytes.Buffer
	d := &plainDisplay{w: &syncWriter{w: &local}, v: normal}
	mgmt, w1 := twoTargets()
	lo := &fleetObserver{d: d, multi: true, rows: map[*targets.Target]*targetProgress{mgmt: d.target(mgmt, 2), w1: d.target(w1, 2)}}
	playFleet(lo, mgmt, w1, "/out")

	// The worker writes into its pod, the CLI names the copies in /out.
	var podLog bytes.Buffer
	mgmt, w1 = twoTargets()
	playFleet(incluster.NewEventWriter(&podLog, 2), mgmt, w1, "/output")
	podLog.WriteString("2026-12-05T01:00:00Z shard 0/1 done: 2 targets, status partial; holding the output for 1h0m0s\n")

	var remote bytes.Buffer
	rd := &plainDisplay{w: &syncWriter{w: &remote}, v: normal}
	p := newInClusterProgress(rd, "/out")
	for _, l := range strings.Split(strings.TrimSpace(podLog.String()), "\n") {
		p.line(incluster.Shard{Index: 0, Count: 1}, l)
	}
	t.Logf("local:\n%s\nin-cluster:\n%s", local.String(), remote.String())
	want := append(untimed(t, local.String()), "shard 0/1: shard 0/1 done: 2 targets, status partial; holding the output for 1h0m0s")
	assert.Equal(t, want, untimed(t, remote.String()))
	assert.NotContains(t, remote.String(), incluster.EventPrefix)
}

// TestInClusterProgressLive: on a terminal, each target a worker names
// gets its row, collectors counted, and its end state stays on screen; a
// failed shard fails the rows it left open. Shards' logs are read at once
// (run with -race).
func TestInClusterProgressLive(t *testing.T) {
	var logs [2]bytes.Buffer
	mgmt, w1 := twoTargets()
	playFleet(incluster.NewEventWriter(&logs[0], 2), mgmt, w1, "/output")
	ew := incluster.NewEventWriter(&logs[1], 2)
	w2 := &targets.Target{Role: targets.RoleWorkload, Namespace: "fleet", Name: "w2", Config: &rest.Config{Host: "https://w2:6443"}}
	ew.TargetStarted(w2).CollectorStarted("cluster-info")

	var screen bytes.Buffer
	d := newLiveDisplay(&syncWriter{w: &screen}, normal, fixedSize(200, 0))
	p := newInClusterProgress(d, "/out")
	var wg sync.WaitGroup
	for i := range logs {
		wg.Go(func() {
			for _, l := range strings.Split(strings.TrimSpace(logs[i].String()), "\n") {
				p.line(incluster.Shard{Index: i, Count: 2}, l)
			}
		})
	}
	wg.Wait()
	p.shardDone(&incluster.ShardResult{Shard: incluster.Shard{Index: 1, Count: 2}, Error: "shard 1/2: pod p: OOMKilled"})
	d.close()
	out := screen.String()
	t.Logf("%s", out)
	// The final block, drawn last.
	block := strings.TrimPrefix(out[strings.LastIndex(out, "\x1b[J"):], "\x1b[J")
	assert.Regexp(t, `(?m)^mgmt\s+ok\s+2/2 collectors\s+1\.2KiB\s+5s$`, block)
	assert.Regexp(t, `(?m)^workload fleet/w1\s+partial\s+2/2 collectors\s+99B\s+7s\s+1 failed$`, block)
	assert.Regexp(t, `workload fleet/w2\s+failed\s+0/2 collectors`, block)
	assert.Contains(t, out, "workload fleet/w2: not collected: shard 1/2: pod p: OOMKilled")
	assert.NotContains(t, out, incluster.EventPrefix)
}

// TestInClusterProgressWaitingRows: the clusters the run expects are rows
// from the start, waiting, as a local run's plan; a worker's events take
// their row over (no second row); the rows no worker started end with the
// merged summary's state, none left waiting.
func TestInClusterProgressWaitingRows(t *testing.T) {
	var screen bytes.Buffer
	d := newLiveDisplay(locked(&screen), normal, fixedSize(200, 0))
	p := newInClusterProgress(d, "/out")
	ids := []incluster.Identity{{Role: targets.RoleCurrent, Name: "mgmt"}, {Role: targets.RoleWorkload, Namespace: "fleet", Name: "w1"},
		{Role: targets.RoleWorkload, Namespace: "fleet", Name: "w2"}, {Role: targets.RoleWorkload, Namespace: "fleet", Name: "w3"}}
	p.expect(ids, 9)
	d.mu.Lock()
	d.redraw()
	first := screen.String()
	d.mu.Unlock()
	for _, id := range ids {
		assert.Regexp(t, `(?m)^(workload fleet/)?`+id.Name+`\s+waiting\s*$`, first)
	}

	var log bytes.Buffer
	mgmt, w1 := twoTargets()
	playFleet(incluster.NewEventWriter(&log, 2), mgmt, w1, "/output")
	for _, l := range strings.Split(strings.TrimSpace(log.String()), "\n") {
		p.line(incluster.Shard{Index: 0, Count: 1}, l)
	}
	sum := &Summary{Targets: []fleet.TargetSummary{
		{Role: targets.RoleCurrent, Name: "mgmt", Status: fleet.StatusOK},
		{Role: targets.RoleWorkload, Namespace: "fleet", Name: "w1", Status: fleet.StatusPartial},
		{Role: targets.RoleWorkload, Namespace: "fleet", Name: "w2", Status: fleet.StatusSkipped, Skipped: "no kubeconfig secret yet"},
		{Role: targets.RoleWorkload, Namespace: "fleet", Name: "w3", Status: fleet.StatusFailed, Error: "interrupted: no bundle written"},
	}}
	p.settle(sum)
	d.close()
	out := screen.String()
	block := strings.TrimSuffix(out[strings.LastIndex(out, "\x1b[J")+len("\x1b[J"):], "\n")
	t.Logf("final block:\n%s", block)
	lines := strings.Split(block, "\n")
	require.Len(t, lines, 4, "one row per cluster")
	assert.Regexp(t, `^mgmt\s+ok\s+2/2 collectors`, lines[0], "the worker's collector count")
	assert.Regexp(t, `^workload fleet/w1\s+partial\s+2/2 collectors`, lines[1])
	assert.Regexp(t, `^workload fleet/w2\s+skipped\s*$`, lines[2])
	assert.Regexp(t, `^workload fleet/w3\s+failed\s+0/9 collectors`, lines[3])
	assert.NotContains(t, block, "waiting")
}
