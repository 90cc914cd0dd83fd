package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/client-go/rest"

	"github.com/mesosphere/dkp-diagnose/lib/analyze"
	"github.com/mesosphere/dkp-diagnose/lib/collect"
	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
	"github.com/mesosphere/dkp-diagnose/lib/targets"
)

// recorder is an Observer that records what it was told.
type recorder struct {
	mu       sync.Mutex
	started  []string
	finished map[string]TargetSummary
}

func (r *recorder) TargetStarted(t *targets.Target) collect.Observer {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.started = append(r.started, t.ID())
	return nil
}

func (r *recorder) TargetFinished(t *targets.Target, s TargetSummary) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.finished[t.ID()] = s
}

func testPlan(t *testing.T) *collect.Plan {
	t.Helper()
	s, err := spec.Parse("test.yaml", []byte(`apiVersion: troubleshoot.sh/v1beta2
kind: SupportBundle
spec:
  collectors:
    - clusterInfo: {}
    - data: {name: hello.txt, data: hello}
`))
	require.NoError(t, err)
	p, err := collect.NewPlan(s, collect.PlanOptions{Redact: true})
	require.NoError(t, err)
	return p
}

// nowhere is a target whose API server refuses connections; its URL path
// makes its errors longer than any terminal would show.
func nowhere(role targets.Role, name string) *targets.Target {
	host := "https://127.0.0.1:1/" + strings.Repeat("long-path/", 20)
	return &targets.Target{Role: role, Name: name, Source: "test", Server: host, Prefix: string(role) + "-" + name + "-",
		Config: &rest.Config{Host: host}}
}

// TestRunAgainstUnreachableClusters: every target gets its bundle and its
// row whatever happens to the others; skipped clusters get rows; the
// observer, the bundle steps and the run steps see every target; the
// summary is written whole, and an earlier run's summary is kept.
func TestRunAgainstUnreachableClusters(t *testing.T) {
	a, b := nowhere(targets.RoleCurrent, "a"), nowhere(targets.RoleWorkload, "b")
	b.Namespace = "fleet"
	b.Probe = &targets.ProbeResult{Error: "refused"}
	plan := &targets.Plan{Targets: []*targets.Target{a, b}, Notes: []string{"a note"}, Skipped: []targets.Skipped{
		{Role: targets.RoleWorkload, Namespace: "fleet", Name: "prov", Reason: "no kubeconfig secret"},
		{Role: targets.RoleBootstrap, Name: "kind", Reason: "no such Kind cluster", Failure: true},
	}}
	out := t.TempDir()
	rec := &recorder{finished: map[string]TargetSummary{}}
	var stepped sync.Map
	opts := Options{OutputDir: out, Parallel: 2, Observer: rec, UserAgent: "fleet-test",
		BundleSteps: []BundleStep{
			func(_ context.Context, t *targets.Target, s *TargetSummary) error {
				stepped.Store(t.ID(), s.Bundle)
				s.Findings = append(s.Findings, analyze.Finding{Analyzer: "test/bundle", Severity: analyze.SeverityWarn, Title: "seen " + t.Name})
				if t.Name == "b" {
					return errors.New("step failed")
				}
				return nil
			},
		},
		RunSteps: []RunStep{func(_ context.Context, sum *Summary) error {
			sum.Findings = append(sum.Findings, analyze.Finding{Analyzer: "test/fleet", Severity: analyze.SeverityInfo, Title: fmt.Sprint("targets: ", len(sum.Targets))})
			return nil
		}},
	}
	sum, err := Run(t.Context(), plan, testPlan(t), opts)
	require.NoError(t, err)

	require.Len(t, sum.Targets, 4)
	for i, id := range []string{"current/a", "workload/fleet/b"} {
		ts := sum.Targets[i]
		assert.Equal(t, id, string(ts.Role)+"/"+strings.TrimPrefix(ts.Namespace+"/", "/")+ts.Name)
		assert.Equal(t, StatusPartial, ts.Status, "clusterInfo failed, data written")
		require.NotEmpty(t, ts.Bundle)
		assert.FileExists(t, ts.Bundle)
		assert.Equal(t, &CollectorCounts{Total: 2, OK: 1, Failed: 1}, ts.Collectors)
		assert.Contains(t, ts.Error, "cluster unreachable")
		assert.Greater(t, len(ts.Error), 160, "errors are kept whole")
		assert.Contains(t, ts.Error, strings.Repeat("long-path/", 20))
		require.Len(t, ts.Findings, 1)
		bundle, ok := stepped.Load(id)
		assert.True(t, ok)
		assert.Equal(t, ts.Bundle, bundle)
		assert.Equal(t, ts, rec.finished[id], "the observer sees the final row")
	}
	assert.ElementsMatch(t, []string{"current/a", "workload/fleet/b"}, rec.started)
	assert.Equal(t, StatusSkipped, sum.Targets[2].Status)
	assert.Equal(t, "no kubeconfig secret", sum.Targets[2].Skipped)
	assert.Equal(t, StatusFailed, sum.Targets[3].Status)
	assert.Equal(t, "no such Kind cluster", sum.Targets[3].Error)
	assert.Equal(t, []string{"a note", "workload/fleet/b: step failed"}, sum.Notes)
	require.Len(t, sum.Findings, 1)
	assert.Equal(t, "targets: 4", sum.Findings[0].Title)
	assert.Equal(t, StatusPartial, sum.Status())
	assert.Equal(t, ExitPartial, sum.ExitCode())
	assert.NoError(t, sum.Err())
	assert.False(t, sum.Interrupted)

	var fromFile Summary
	data, err := os.ReadFile(filepath.Join(out, SummaryFile))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &fromFile))
	assert.Equal(t, *sum, fromFile)
	kept, err := os.ReadFile(filepath.Join(out, HistoryFile(sum.Started)))
	require.NoError(t, err)
	assert.Equal(t, data, kept)

	// A second run into the same folder: summary.json is the latest, the
	// first run's summary is still there.
	plan2 := &targets.Plan{Targets: []*targets.Target{nowhere(targets.RoleCurrent, "c")}}
	sum2, err := Run(t.Context(), plan2, testPlan(t), Options{OutputDir: out})
	require.NoError(t, err)
	data2, err := os.ReadFile(filepath.Join(out, SummaryFile))
	require.NoError(t, err)
	assert.Contains(t, string(data2), `"name": "c"`)
	history, err := filepath.Glob(filepath.Join(out, "summary-*.json"))
	require.NoError(t, err)
	assert.Len(t, history, 2, "one kept summary per run")
	assert.Contains(t, history, filepath.Join(out, HistoryFile(sum.Started)))
	assert.Equal(t, ExitPartial, sum2.ExitCode())
}

// TestRunInterrupted: a cancelled run writes no bundle and says so.
func TestRunInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	out := t.TempDir()
	sum, err := Run(ctx, &targets.Plan{Targets: []*targets.Target{nowhere(targets.RoleCurrent, "a")}}, testPlan(t), Options{OutputDir: out})
	require.NoError(t, err)
	assert.True(t, sum.Interrupted)
	assert.Equal(t, StatusFailed, sum.Targets[0].Status)
	assert.Empty(t, sum.Targets[0].Bundle)
	assert.Equal(t, ExitFailed, sum.ExitCode())
	assert.EqualError(t, sum.Err(), "interrupted: no bundle written")
}

func TestRunNeedsPlans(t *testing.T) {
	_, err := Run(t.Context(), nil, testPlan(t), Options{})
	assert.Error(t, err)
}

// TestExitRule: the exit-code rule the CLI and an in-cluster Job share.
func TestExitRule(t *testing.T) {
	ok := TargetSummary{Status: StatusOK, Bundle: "b1"}
	partial := TargetSummary{Status: StatusPartial, Bundle: "b2", Error: "denied"}
	failedWithBundle := TargetSummary{Status: StatusFailed, Bundle: "b3", Error: "cluster unreachable"}
	failed := TargetSummary{Status: StatusFailed, Error: "disk full"}
	skipped := TargetSummary{Status: StatusSkipped, Skipped: "provisioning"}
	cases := []struct {
		name    string
		targets []TargetSummary
		code    int
		err     string
	}{
		{"all ok, skipped do not count", []TargetSummary{ok, skipped}, ExitOK, ""},
		{"one partial", []TargetSummary{ok, partial}, ExitPartial, ""},
		{"failed with a bundle", []TargetSummary{failedWithBundle}, ExitPartial, ""},
		{"one failed among bundles", []TargetSummary{ok, failed}, ExitPartial, ""},
		{"single failure says why", []TargetSummary{failed}, ExitFailed, "disk full"},
		{"no bundle at all", []TargetSummary{failed, skipped}, ExitFailed, "no bundle written; first error: disk full"},
		{"nothing to do", nil, ExitFailed, "no bundle written"},
	}
	for _, c := range cases {
		s := &Summary{Targets: c.targets}
		assert.Equal(t, c.code, s.ExitCode(), c.name)
		if c.err == "" {
			assert.NoError(t, s.Err(), c.name)
		} else {
			assert.EqualError(t, s.Err(), c.err, c.name)
		}
	}
}
