package troubleshoot

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

func TestReads(t *testing.T) {
	parse := func(analyzers string) func(string) bool {
		s, err := spec.Parse("a.yaml", []byte("apiVersion: troubleshoot.sh/v1beta2\nkind: Analyzer\nspec:\n  analyzers:\n"+analyzers))
		require.NoError(t, err)
		return Reads(s.Analyzers)
	}
	objects := parse(`  - clusterVersion: {outcomes: [{pass: {message: ok}}]}
  - textAnalyze: {checkName: panics, collectorName: cluster-resources/pods/logs, fileName: "ns/*/main.log", regex: x, outcomes: [{pass: {message: p}}]}
`)
	for name, want := range map[string]bool{
		"cluster-resources/pods/ns.json":               true,
		"cluster-info/cluster_version.json":            true,
		"secrets/ns/s.json":                            true,
		"cluster-resources/pods/logs/ns/p/main.log":    true, // the textAnalyze glob
		"cluster-resources/pods/logs/other/p/main.log": false,
		"node-diagnostics/n/logs/kubelet.log":          false,
	} {
		assert.Equal(t, want, objects(name), name)
	}
	// A logs collector's files are links to the pod logs: all of them are
	// wanted, and the collector's own files.
	logs := parse(`  - textAnalyze: {checkName: db, collectorName: app-logs, fileName: "*/main.log", regex: x, outcomes: [{pass: {message: p}}]}
  - jsonCompare: {checkName: c, collectorName: data, fileName: out.json, value: "{}", outcomes: [{pass: {message: p}}]}
`)
	assert.True(t, logs("data/out.json"))
	assert.False(t, logs("data/other.json"))
	assert.True(t, logs("cluster-resources/pods/logs/other/p/main.log"))
	assert.True(t, logs("app-logs/p/main.log"))
	assert.False(t, logs("app-logs/p/other.log"))
	// No analyzers read nothing.
	assert.False(t, parse("")("cluster-resources/nodes.json"))
	assert.False(t, parse("")("secrets/ns/s.json"))
}
