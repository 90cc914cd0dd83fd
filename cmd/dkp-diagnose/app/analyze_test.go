package app

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mesosphere/dkp-diagnose/lib/collect/bundle"
	"github.com/mesosphere/dkp-diagnose/lib/fleet"
)

const analyzeSpec = `apiVersion: troubleshoot.sh/v1beta2
kind: Analyzer
metadata: {name: t}
spec:
  analyzers:
  - clusterVersion:
      outcomes:
      - fail: {when: "< 1.30.0", message: too old}
      - pass: {message: recent enough}
  - deploymentStatus: {name: web, namespace: default, outcomes: [{fail: {when: "< 1", message: web is down}}, {pass: {message: web is up}}]}
`

// writeBundle writes a small bundle archive with the given version.
func writeBundle(t *testing.T, dir, prefix, version string, ready int) string {
	t.Helper()
	w, err := bundle.Create(dir, prefix, time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	require.NoError(t, w.WriteFile("version.yaml", []byte("apiVersion: troubleshoot.sh/v1beta2\n")))
	require.NoError(t, w.WriteFile("cluster-info/cluster_version.json", []byte(`{"string":"`+version+`"}`)))
	require.NoError(t, w.WriteFile("cluster-resources/deployments/default.json",
		[]byte(`{"kind":"DeploymentList","apiVersion":"apps/v1","items":[{"metadata":{"name":"web","namespace":"default"},"status":{"readyReplicas":`+string(rune('0'+ready))+`}}]}`)))
	require.NoError(t, w.Close())
	return w.Path()
}

func TestAnalyzeCommand(t *testing.T) {
	dir := t.TempDir()
	specPath := write(t, dir, "spec.yaml", analyzeSpec)
	run := filepath.Join(dir, "run")
	healthy := writeBundle(t, run, "mgmt-", "v1.31.0", 1)
	broken := writeBundle(t, run, "wl-", "v1.29.0", 0)

	code, out, errOut := runApp(t, "analyze", healthy, "--spec", specPath)
	assert.Equal(t, ExitOK, code, errOut)
	assert.Contains(t, out, "SEVERITY")
	assert.Regexp(t, `pass\s+Required Kubernetes Version\s+recent enough\s+cluster-info/cluster_version.json`, out)
	assert.Contains(t, errOut, "1 bundle(s): 0 fail, 0 warn, 2 pass")

	// A folder of one run's bundles: each archive in it; a failure exits 4.
	code, out, errOut = runApp(t, "analyze", run, "--spec", specPath)
	assert.Equal(t, ExitFindings, code, errOut)
	assert.Contains(t, out, filepath.Base(broken))
	assert.Regexp(t, `fail\s+web Status\s+web is down\s+cluster-resources/deployments/default.json`, out)
	assert.Contains(t, errOut, "2 bundle(s): 2 fail, 0 warn, 2 pass")

	// -o json: troubleshoot's analysis.json format.
	code, out, _ = runApp(t, "analyze", broken, "--spec", specPath, "-o", "json")
	assert.Equal(t, ExitFindings, code)
	var entries []map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &entries), out)
	require.Len(t, entries, 2)
	assert.Equal(t, "required.kubernetes.version", entries[0]["name"])
	assert.Equal(t, "error", entries[0]["severity"])
	assert.Equal(t, "too old", entries[0]["error"])

	// An extracted bundle folder works as the archive does.
	ex := filepath.Join(dir, "extracted", "support-bundle-x")
	require.NoError(t, os.MkdirAll(filepath.Join(ex, "cluster-info"), 0o755))
	write(t, ex, "cluster-info/cluster_version.json", `{"string":"v1.31.0"}`)
	code, out, errOut = runApp(t, "analyze", filepath.Dir(ex), "--spec", specPath)
	// No deployments file: troubleshoot gives no outcome for a named
	// deployment then, and neither does analyze.
	assert.Equal(t, ExitOK, code, errOut)
	assert.Contains(t, out, "recent enough")
	assert.Contains(t, errOut, "1 bundle(s): 0 fail, 0 warn, 1 pass")
}

func TestAnalyzeReadsRecordedAnalysis(t *testing.T) {
	dir := t.TempDir()
	w, err := bundle.Create(dir, "", time.Now())
	require.NoError(t, err)
	require.NoError(t, w.WriteFile("version.yaml", []byte("x")))
	require.NoError(t, w.WriteFile("analysis.json", []byte(`[{"name":"a","insight":{"primary":"Disk","detail":"almost full","severity":"warn"},"severity":"warn","analyzerSpec":""}]`)))
	require.NoError(t, w.WriteFile("cluster-resources/pods/default.json", []byte(`{"kind":"PodList","apiVersion":"v1","items":[{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web","namespace":"default"},"status":{"phase":"Running","containerStatuses":[{"name":"app","ready":false,"restartCount":7,"state":{"waiting":{"reason":"CrashLoopBackOff","message":"back-off 5m0s restarting failed container"}}}]}}]}`)))
	require.NoError(t, w.Close())

	// The built-in analyzers add their findings to the recorded ones.
	code, out, errOut := runApp(t, "analyze", w.Path())
	assert.Equal(t, ExitFindings, code, errOut)
	assert.Regexp(t, `warn\s+Disk\s+almost full\s+analysis.json`, out)
	assert.Regexp(t, `fail\s+.*CrashLoopBackOff.*cluster-resources/pods/default.json`, out)

	code, out, errOut = runApp(t, "analyze", w.Path(), "--builtin=false")
	assert.Equal(t, ExitOK, code, errOut)
	assert.Contains(t, out, "almost full")
	assert.NotContains(t, out, "CrashLoopBackOff")
}

func TestAnalyzeBadInput(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	require.NoError(t, os.MkdirAll(empty, 0o755))
	noAnalyzers := write(t, dir, "collect.yaml", "apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nspec:\n  collectors: [{clusterInfo: {}}]\n")
	bad := write(t, dir, "bad.yaml", "apiVersion: troubleshoot.sh/v1beta2\nkind: Analyzer\nspec:\n  analyzers:\n  - textAnalyze: {regx: x}\n")
	b := writeBundle(t, dir, "", "v1.31.0", 1)
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"missing bundle": {[]string{"analyze", filepath.Join(dir, "nope.tar.gz")}, "nope.tar.gz"},
		"empty folder":   {[]string{"analyze", empty}, "neither a bundle nor a folder of .tar.gz bundles"},
		"no analyzers":   {[]string{"analyze", b, "--spec", noAnalyzers}, "collect.yaml: no analyzers"},
		"bad spec":       {[]string{"analyze", b, "--spec", bad}, `bad.yaml:5: unknown field "regx"`},
		"bad output":     {[]string{"analyze", b, "-o", "yaml"}, `--output "yaml"`},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, errOut := runApp(t, tc.args...)
			assert.Equal(t, ExitUsage, code)
			assert.Contains(t, errOut, tc.want)
			assert.Equal(t, 1, strings.Count(errOut, "\n"), errOut)
		})
	}
}

// TestNothingFoundSaysWhere: when a target failed or the run was
// interrupted, "nothing found" is said of the bundles written only.
func TestNothingFoundSaysWhere(t *testing.T) {
	ok := &Summary{OutputDir: "out", Targets: []fleet.TargetSummary{{Name: "a", Status: fleet.StatusOK, Bundle: "out/a.tar.gz"}}}
	var b strings.Builder
	printTopFindings(&b, ok, topFindings)
	assert.Equal(t, "no failures or warnings found; report in out/report.html\n", b.String())

	cut := &Summary{OutputDir: "out", Interrupted: true, Targets: []fleet.TargetSummary{ok.Targets[0],
		{Name: "b", Status: fleet.StatusFailed, Error: "interrupted: no bundle written"}}}
	b.Reset()
	printTopFindings(&b, cut, topFindings)
	assert.Equal(t, "no failures or warnings found in the bundles written; report in out/report.html\n", b.String())
}
