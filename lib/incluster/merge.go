package incluster

import (
	"cmp"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mesosphere/dkp-diagnose/lib/fleet"
	"github.com/mesosphere/dkp-diagnose/lib/targets"
)

// MergeOptions say how shard results become one summary.
type MergeOptions struct {
	// Count is the number of shards of the run; a shard without a result
	// is failed.
	Count int
	// OutputDir is where the bundles are now (copied back from the pods):
	// each local bundle path becomes OutputDir/<its file name>. Empty
	// leaves the paths as the pods wrote them. A bundle that is a URL (it
	// was uploaded) is left alone.
	OutputDir string
	// Expected, when known (the caller listed the Cluster objects), are
	// the clusters of the fleet: those of a failed shard get a failed row
	// each, so the summary names every cluster that was not collected.
	Expected []Identity
	// Local, when set, is the part of the run collected by the caller
	// itself (the bootstrap cluster, which only the operator's machine
	// reaches): its rows come first and win over a shard's row for the
	// same cluster (a --cluster the shards could not find on the
	// management cluster because it is the bootstrap cluster's).
	Local *fleet.Summary
	// Interrupted is set when the caller stopped following the run (its
	// operator pressed Ctrl-C): a shard without a result was interrupted,
	// not lost, and the clusters it held say so as a local run's do.
	Interrupted bool
}

// Merge turns the shard results of a run (any order, some missing) into
// one fleet.Summary, in the form of a local run's summary.json: every
// target once, collected rows first (bootstrap, current, then workload
// clusters by namespace and name), then skipped ones; notes said once;
// Shards saying how each part fared. Started is the earliest shard's start
// and DurationMs the longest shard's; a caller that waited for the shards
// sets its own.
func Merge(results []*ShardResult, o MergeOptions) *fleet.Summary {
	sum := &fleet.Summary{OutputDir: o.OutputDir, Targets: []fleet.TargetSummary{}}
	byIndex := map[int]*ShardResult{}
	for _, r := range results {
		if r != nil && r.Shard.Count == o.Count {
			byIndex[r.Shard.Index] = r
		}
	}
	seenNote := map[string]bool{}
	seenTarget := map[Identity]bool{}
	if l := o.Local; l != nil {
		sum.Started, sum.DurationMs, sum.Interrupted = l.Started, l.DurationMs, l.Interrupted
		for _, n := range l.Notes {
			if !seenNote[n] {
				seenNote[n] = true
				sum.Notes = append(sum.Notes, n)
			}
		}
		for _, t := range l.Targets {
			seenTarget[Identity{t.Role, t.Namespace, t.Name}] = true
			sum.Targets = append(sum.Targets, t)
		}
	}
	for i := range o.Count {
		st := fleet.ShardStatus{Index: i, Count: o.Count, Status: fleet.StatusOK}
		r := byIndex[i]
		switch {
		case r == nil && o.Interrupted:
			st.Status, st.Error = fleet.StatusFailed, fmt.Sprintf("shard %d/%d interrupted", i, o.Count)
		case r == nil:
			st.Status, st.Error = fleet.StatusFailed, fmt.Sprintf("shard %d/%d left no result", i, o.Count)
		case r.Summary == nil:
			st.Status, st.Error = fleet.StatusFailed, r.Error
		default:
			if r.Error != "" {
				st.Status, st.Error = fleet.StatusFailed, r.Error
			}
			s := r.Summary
			if sum.Started.IsZero() || (!s.Started.IsZero() && s.Started.Before(sum.Started)) {
				sum.Started = s.Started
			}
			sum.DurationMs = max(sum.DurationMs, s.DurationMs)
			sum.Interrupted = sum.Interrupted || s.Interrupted
			for _, n := range s.Notes {
				if !seenNote[n] {
					seenNote[n] = true
					sum.Notes = append(sum.Notes, n)
				}
			}
			for _, t := range s.Targets {
				id := Identity{t.Role, t.Namespace, t.Name}
				if seenTarget[id] {
					continue // a shard count change between two runs: said once
				}
				seenTarget[id] = true
				t.Bundle = relocate(t.Bundle, o.OutputDir)
				sum.Targets = append(sum.Targets, t)
				st.Targets++
			}
		}
		if st.Status == fleet.StatusFailed {
			sum.Notes = append(sum.Notes, st.Error)
		}
		sum.Shards = append(sum.Shards, st)
	}
	for _, id := range o.Expected {
		i := ShardOf(id, o.Count)
		if seenTarget[id] || sum.Shards[i].Status != fleet.StatusFailed {
			continue
		}
		seenTarget[id] = true
		reason := "not collected: " + sum.Shards[i].Error
		if o.Interrupted && byIndex[i] == nil {
			reason = "interrupted: no bundle written" // a local run's words
		}
		sum.Targets = append(sum.Targets, fleet.TargetSummary{Role: id.Role, Name: id.Name, Namespace: id.Namespace,
			Status: fleet.StatusFailed, Error: reason})
	}
	sum.Interrupted = sum.Interrupted || o.Interrupted
	if sum.Started.IsZero() {
		sum.Started = time.Now().UTC()
	}
	sortRows(sum.Targets)
	return sum
}

// relocate is a pod's bundle path as it is after the copy into dir.
func relocate(bundle, dir string) string {
	if bundle == "" || dir == "" || strings.Contains(bundle, "://") {
		return bundle
	}
	return filepath.Join(dir, filepath.Base(bundle))
}

// roleRank orders roles as targets.Resolve does.
var roleRank = map[targets.Role]int{targets.RoleBootstrap: 0, targets.RoleCurrent: 1, targets.RoleWorkload: 2}

// sortRows orders rows as a local run's summary: attempted targets first,
// then clusters skipped; each by role, namespace and name.
func sortRows(ts []fleet.TargetSummary) {
	skipped := func(t *fleet.TargetSummary) int {
		if t.Status == fleet.StatusSkipped || (t.Bundle == "" && t.Collectors == nil && t.Probe == nil) {
			return 1
		}
		return 0
	}
	slices.SortStableFunc(ts, func(a, b fleet.TargetSummary) int {
		return cmp.Or(cmp.Compare(skipped(&a), skipped(&b)), cmp.Compare(roleRank[a.Role], roleRank[b.Role]),
			cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
}
