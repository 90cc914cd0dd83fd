package collect

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

// TestEveryCollectorKeyHasACollector: every collector key the spec accepts
// has a registered collector, and every registered collector is a spec key,
// so a spec that parses never meets "not implemented" at run time.
func TestEveryCollectorKeyHasACollector(t *testing.T) {
	keys := spec.CollectorKeys()
	require.NotEmpty(t, keys)
	assert.Equal(t, keys, slices.Sorted(maps.Keys(builders)))
}

// TestNewPlanLogLimits: the run-wide log limits are written into every log
// collector of the plan's spec, over the spec's own, on copies.
func TestNewPlanLogLimits(t *testing.T) {
	s, err := spec.Parse("test.yaml", []byte(`apiVersion: troubleshoot.sh/v1beta2
kind: SupportBundle
spec:
  collectors:
    - logs: {selector: [app=a], namespace: x, limits: {maxAge: 1h, maxLines: 5}}
    - allLogs: {}
    - logs: {collectorName: b, selector: [app=b], limits: {sinceTime: "2026-01-01T00:00:00Z", maxBytes: 7}}
    - clusterInfo: {}
`))
	require.NoError(t, err)
	at := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)

	p, err := NewPlan(s, PlanOptions{Logs: LogLimits{Since: 48 * time.Hour, MaxLines: 100}})
	require.NoError(t, err)
	got := p.Spec().Collectors
	assert.Equal(t, &spec.LogLimits{MaxAge: "48h0m0s", MaxLines: 100}, got[0].Logs.Limits)
	assert.Equal(t, &spec.LogLimits{MaxAge: "48h0m0s", MaxLines: 100}, got[1].AllLogs.Limits)
	assert.Equal(t, &spec.LogLimits{MaxAge: "48h0m0s", MaxLines: 100, MaxBytes: 7}, got[2].Logs.Limits, "since replaces the spec's sinceTime")
	assert.Same(t, s.Collectors[3], got[3], "other collectors are shared")
	assert.Equal(t, &spec.LogLimits{MaxAge: "1h", MaxLines: 5}, s.Collectors[0].Logs.Limits, "the caller's spec is unchanged")
	assert.Nil(t, s.Collectors[1].AllLogs.Limits)

	p, err = NewPlan(s, PlanOptions{Logs: LogLimits{Since: time.Hour, SinceTime: &at}})
	require.NoError(t, err)
	assert.Equal(t, &spec.LogLimits{SinceTime: &spec.Time{Time: at}, MaxLines: 5}, p.Spec().Collectors[0].Logs.Limits, "sinceTime wins over since")

	p, err = NewPlan(s, PlanOptions{})
	require.NoError(t, err)
	assert.Same(t, s, p.Spec(), "no limits: the spec as given")
	assert.Equal(t, []PlannedCollector{{Type: "logs", Title: "logs"}, {Type: "allLogs", Title: "allLogs"},
		{Type: "logs", Name: "b", Title: "logs/b"}, {Type: "clusterInfo", Title: "clusterInfo"}}, p.Collectors())

	_, err = NewPlan(s, PlanOptions{Logs: LogLimits{MaxBytes: -1}})
	assert.ErrorContains(t, err, "must not be negative")
}

// TestPodLogOptionsFollowPlan: the limits a plan wrote are what a log
// request asks the API server for.
func TestPodLogOptionsFollowPlan(t *testing.T) {
	j := &logJob{limits: &spec.LogLimits{MaxAge: "48h0m0s", MaxLines: 100}}
	o := j.options(nil, "c", false)
	require.NotNil(t, o.SinceSeconds)
	assert.Equal(t, int64(48*3600), *o.SinceSeconds)
	assert.Nil(t, o.SinceTime)
	assert.Equal(t, int64(100), *o.TailLines)
	assert.Equal(t, int64(defaultMaxBytes), *o.LimitBytes)
}
