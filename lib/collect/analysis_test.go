package collect

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mesosphere/dkp-diagnose/lib/analyze/troubleshoot"
	"github.com/mesosphere/dkp-diagnose/lib/collect/bundle"
	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

// TestAnalyzeBundleBeforeClose: the analyzers see what the open bundle
// holds, from the files the writer kept or else from a snapshot of the
// archive, and their results end up in it as analysis.json.
func TestAnalyzeBundleBeforeClose(t *testing.T) {
	for _, kept := range []bool{true, false} {
		t.Run(map[bool]string{true: "kept", false: "snapshot"}[kept], func(t *testing.T) { testAnalyzeBundleBeforeClose(t, kept) })
	}
}

func testAnalyzeBundleBeforeClose(t *testing.T, kept bool) {
	dir := t.TempDir()
	s, err := spec.Parse("a.yaml", []byte(`apiVersion: troubleshoot.sh/v1beta2
kind: Analyzer
spec:
  analyzers:
  - clusterVersion: {outcomes: [{fail: {when: "< 1.30.0", message: too old}}, {pass: {message: ok}}]}
  - textAnalyze: {checkName: logs, fileName: "logs/*.log", regex: x, outcomes: [{pass: {message: p}}]}
`))
	require.NoError(t, err)
	opts := Options{OutputDir: dir}
	if !kept {
		opts.SkipAnalysis = true // keeps nothing
	}
	keep, err := newKeptFiles(&opts, s.Analyzers)
	require.NoError(t, err)
	defer keep.remove()
	bw, err := bundle.CreateWith(dir, "", time.Now(), keep.options())
	require.NoError(t, err)
	require.NoError(t, bw.WriteFile("cluster-info/cluster_version.json", []byte(`{"string":"v1.29.3"}`)))
	require.NoError(t, bw.WriteFile("logs/big.txt", []byte("not read by the analyzers")))
	if kept {
		require.NotEmpty(t, keep.dirFor(bw))
		_, err := os.Stat(filepath.Join(keep.dirFor(bw), "logs", "big.txt"))
		assert.ErrorIs(t, err, fs.ErrNotExist, "a file no analyzer reads is not kept")
	}
	rs, err := analyzeBundle(context.Background(), bw, s.Analyzers, dir, keep.dirFor(bw))
	require.NoError(t, err)
	require.Len(t, rs, 2)
	assert.True(t, rs[0].IsFail)
	assert.Equal(t, "too old", rs[0].Message)
	assert.Equal(t, "No matching files", rs[1].Message)
	require.NoError(t, bw.Close())

	files, err := bundle.ReadAll(bw.Path())
	require.NoError(t, err)
	back, err := troubleshoot.ParseAnalysis(files["analysis.json"])
	require.NoError(t, err)
	require.Len(t, back, 2)
	assert.Equal(t, "Required Kubernetes Version", back[0].Title)
	assert.True(t, back[0].IsFail)
	keep.remove()
	entries, _ := dirEntries(dir)
	assert.Equal(t, []string{bw.Name() + bundle.Ext}, entries, "the extracted copy is gone")
}

func dirEntries(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out, err
}
