package spec

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeSpec(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte("apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nspec:\n  collectors:\n"+body), 0o644))
	return p
}

// TestOriginsSurviveMerge: after merging, every collector still knows the
// file and line it was written at, for errors that name them.
func TestOriginsSurviveMerge(t *testing.T) {
	dir := t.TempDir()
	a := writeSpec(t, dir, "a.yaml", "    - clusterInfo: {}\n    - logs:\n        collectorName: app\n        selector: [app=x]\n")
	b := writeSpec(t, dir, "b.yaml", "    - data:\n        name: notes.txt\n        data: hi\n")
	s, err := LoadFiles(a, b)
	require.NoError(t, err)
	require.Len(t, s.Collectors, 3)
	assert.Equal(t, a+":5", s.Origin(s.Collectors[0]))
	assert.Equal(t, a+":6", s.Origin(s.Collectors[1]))
	assert.Equal(t, b+":5", s.Origin(s.Collectors[2]))
	assert.Empty(t, s.Conflicts)
	d := s.WithDefaults()
	assert.Empty(t, d.Origin(d.Collectors[0]), "clusterResources was added, not written")
	assert.Equal(t, b+":5", d.Origin(d.Collectors[3]))
}

// TestMergeConflicts: one spec's exclude: true meets another's collector of
// the same identity: both are off, and the conflict is reported. Two live
// collectors writing to one place are reported too; repeats inside one file
// are the author's choice and are not.
func TestMergeConflicts(t *testing.T) {
	dir := t.TempDir()
	a := writeSpec(t, dir, "a.yaml", "    - logs:\n        collectorName: app\n        selector: [app=x]\n    - allLogs: {}\n    - allLogs: {}\n")
	b := writeSpec(t, dir, "b.yaml", "    - logs:\n        collectorName: app\n        selector: [app=x]\n        exclude: true\n    - allLogs: {}\n")
	s, err := LoadFiles(a, b)
	require.NoError(t, err)
	require.Len(t, s.Conflicts, 3)
	assert.Equal(t, "logs/app at "+a+":5 and "+b+":5: one is excluded, so neither runs", s.Conflicts[0].String())
	assert.True(t, s.Collectors[0].Meta().IsExcluded(), "a.yaml's logs/app is turned off by b.yaml's exclusion")
	assert.True(t, s.Collectors[3].Meta().IsExcluded())
	assert.Equal(t, "allLogs at "+a+":8 and "+b+":9: both run, into the same place of the bundle", s.Conflicts[1].String())
	assert.False(t, s.Conflicts[2].Excluded)
}

func TestCheckPaths(t *testing.T) {
	for _, bad := range []string{"../x", "a/../../b", "/etc", `..\x`, `C:\x`, "a/..", "x\x00y"} {
		assert.Error(t, checkRelPath("name", bad), bad)
	}
	for _, good := range []string{"", "x", "a/b", "a..b", "..x", "x/y.txt"} {
		assert.NoError(t, checkRelPath("name", good), good)
	}
	// A secret's name is an object's, not a folder; the API server
	// judges it.
	c := &Collect{Secret: &Secret{Name: "../x"}}
	assert.NoError(t, checkPaths(c))
	c = &Collect{Data: &Data{CollectorMeta: CollectorMeta{CollectorName: "/abs"}}}
	assert.ErrorContains(t, checkPaths(c), `collectorName "/abs" is an absolute path`)
}
