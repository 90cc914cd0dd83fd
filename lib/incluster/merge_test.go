package incluster

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mesosphere/dkp-diagnose/lib/fleet"
	"github.com/mesosphere/dkp-diagnose/lib/targets"
)

// shardFor finds a workload name of the given shard, so the test's rows
// land where it means them to.
func nameIn(t *testing.T, shard, count int, taken map[string]bool) string {
	t.Helper()
	for i := range 1000 {
		n := "c" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		if !taken[n] && ShardOf(Identity{targets.RoleWorkload, "fleet", n}, count) == shard {
			taken[n] = true
			return n
		}
	}
	t.Fatal("no name found")
	return ""
}

// TestMerge: three shards, one with no result: the merged summary holds
// every row once, in a local run's order, bundles relocated, notes once,
// the missing shard failed with a row for each of its expected clusters,
// and the run partial.
func TestMerge(t *testing.T) {
	taken := map[string]bool{}
	a, b, lost := nameIn(t, 0, 3, taken), nameIn(t, 1, 3, taken), nameIn(t, 2, 3, taken)
	t0 := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	row := func(name string) fleet.TargetSummary {
		return fleet.TargetSummary{Role: targets.RoleWorkload, Namespace: "fleet", Name: name, Status: fleet.StatusOK,
			Bundle: "/output/workload-fleet-" + name + "-support-bundle-x.tar.gz", Collectors: &fleet.CollectorCounts{Total: 1, OK: 1}}
	}
	results := []*ShardResult{
		{Shard: Shard{1, 3}, Summary: &fleet.Summary{Started: t0.Add(time.Second), DurationMs: 900, Notes: []string{"found 3"},
			Targets: []fleet.TargetSummary{row(b)}}},
		{Shard: Shard{0, 3}, Summary: &fleet.Summary{Started: t0, DurationMs: 500, Notes: []string{"found 3"},
			Targets: []fleet.TargetSummary{
				{Role: targets.RoleWorkload, Namespace: "fleet", Name: "zz", Status: fleet.StatusSkipped, Skipped: "still provisioning"},
				row(a),
			}}},
	}
	expected := []Identity{{targets.RoleWorkload, "fleet", a}, {targets.RoleWorkload, "fleet", b}, {targets.RoleWorkload, "fleet", lost}}
	sum := Merge(results, MergeOptions{Count: 3, OutputDir: "out", Expected: expected})

	assert.Equal(t, t0, sum.Started)
	assert.EqualValues(t, 900, sum.DurationMs)
	require.Len(t, sum.Shards, 3)
	assert.Equal(t, fleet.StatusOK, sum.Shards[0].Status)
	assert.Equal(t, 2, sum.Shards[0].Targets)
	assert.Equal(t, fleet.StatusFailed, sum.Shards[2].Status)
	assert.Contains(t, sum.Shards[2].Error, "shard 2/3 left no result")
	assert.Equal(t, []string{"found 3", "shard 2/3 left no result"}, sum.Notes)

	var names []string
	for _, r := range sum.Targets {
		names = append(names, r.Name)
	}
	want := []string{a, b, lost, "zz"}
	if a > b {
		want = []string{b, a, lost, "zz"}
	}
	// Collected rows first, by name; then the rows without a bundle.
	assert.ElementsMatch(t, want[:2], names[:2])
	assert.Equal(t, []string{lost, "zz"}, names[2:])
	assert.Equal(t, "out/workload-fleet-"+a+"-support-bundle-x.tar.gz", byName(sum, a).Bundle)
	assert.Equal(t, fleet.StatusFailed, byName(sum, lost).Status)
	assert.Contains(t, byName(sum, lost).Error, "not collected: shard 2/3 left no result")
	assert.Equal(t, fleet.StatusPartial, sum.Status())
	assert.Equal(t, fleet.ExitPartial, sum.ExitCode())
}

// TestMergeFailedShardAlone: a run whose only shard failed wrote no bundle:
// failed, and Err says the shard's reason.
func TestMergeFailedShardAlone(t *testing.T) {
	sum := Merge([]*ShardResult{{Shard: Shard{0, 1}, Error: "shard 0/1: management cluster https://x does not answer"}}, MergeOptions{Count: 1})
	assert.Equal(t, fleet.StatusFailed, sum.Status())
	require.Error(t, sum.Err())
	assert.Contains(t, sum.Err().Error(), "does not answer")
}

func byName(s *fleet.Summary, name string) fleet.TargetSummary {
	for _, t := range s.Targets {
		if t.Name == name {
			return t
		}
	}
	return fleet.TargetSummary{}
}

// TestMergeLocal: the part the CLI collected itself (the bootstrap cluster
// and a cluster only it manages) comes first and wins over a shard's row
// for the same cluster (the shard could not find it on the management
// cluster); its notes are said once.
func TestMergeLocal(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 1, 0, 0, 0, time.UTC)
	local := &fleet.Summary{Started: t0, DurationMs: 2000, Notes: []string{"bootstrap cluster b: 1 Cluster API clusters"},
		Targets: []fleet.TargetSummary{
			{Role: targets.RoleBootstrap, Name: "b", Status: fleet.StatusOK, Bundle: "out/bootstrap-b-support-bundle-x.tar.gz"},
			{Role: targets.RoleWorkload, Namespace: "boot", Name: "b1", Status: fleet.StatusOK, Bundle: "out/workload-boot-b1-support-bundle-x.tar.gz"},
		}}
	results := []*ShardResult{{Shard: Shard{0, 1}, Summary: &fleet.Summary{Started: t0.Add(time.Second), DurationMs: 5000,
		Notes: []string{"bootstrap cluster b: 1 Cluster API clusters", "current cluster m: 1 Cluster API clusters"},
		Targets: []fleet.TargetSummary{
			{Role: targets.RoleCurrent, Name: "m", Status: fleet.StatusOK, Bundle: "/output/m.tar.gz"},
			{Role: targets.RoleWorkload, Namespace: "boot", Name: "b1", Status: fleet.StatusFailed, Error: "cluster boot/b1: no such Cluster API cluster found"},
		}}}}
	sum := Merge(results, MergeOptions{Count: 1, OutputDir: "out", Local: local})
	var rows []string
	for _, r := range sum.Targets {
		rows = append(rows, string(r.Role)+" "+r.Label()+" "+r.Status+" "+r.Bundle)
	}
	assert.Equal(t, []string{
		"bootstrap b ok out/bootstrap-b-support-bundle-x.tar.gz",
		"current m ok out/m.tar.gz",
		"workload boot/b1 ok out/workload-boot-b1-support-bundle-x.tar.gz",
	}, rows)
	assert.Equal(t, []string{"bootstrap cluster b: 1 Cluster API clusters", "current cluster m: 1 Cluster API clusters"}, sum.Notes)
	assert.Equal(t, t0, sum.Started)
	assert.EqualValues(t, 5000, sum.DurationMs)
	assert.Equal(t, fleet.ExitOK, sum.ExitCode())
}

// TestMergeInterrupted: after Ctrl-C the shards still running left no
// result because they were stopped; their clusters read as a local run's
// interrupted ones, and the summary is interrupted.
func TestMergeInterrupted(t *testing.T) {
	taken := map[string]bool{}
	done, cut := nameIn(t, 0, 2, taken), nameIn(t, 1, 2, taken)
	results := []*ShardResult{{Shard: Shard{0, 2}, Summary: &fleet.Summary{Targets: []fleet.TargetSummary{
		{Role: targets.RoleWorkload, Namespace: "fleet", Name: done, Status: fleet.StatusOK, Bundle: "/output/b.tar.gz",
			Collectors: &fleet.CollectorCounts{Total: 1, OK: 1}}}}}}
	expected := []Identity{{targets.RoleWorkload, "fleet", done}, {targets.RoleWorkload, "fleet", cut}}
	sum := Merge(results, MergeOptions{Count: 2, Expected: expected, Interrupted: true})
	assert.True(t, sum.Interrupted)
	assert.Equal(t, fleet.StatusFailed, byName(sum, cut).Status)
	assert.Equal(t, "interrupted: no bundle written", byName(sum, cut).Error)
	assert.Equal(t, fleet.StatusOK, byName(sum, done).Status)
	assert.Contains(t, sum.Notes, "shard 1/2 interrupted")
	assert.Equal(t, fleet.ExitPartial, sum.ExitCode())
}
