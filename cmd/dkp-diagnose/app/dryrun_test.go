package app

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

// fakeAPIServer answers the two requests a probe makes (/version and the
// kube-system namespace) and writes a kubeconfig for it: enough for a dry
// run to find its target reachable, without a cluster.
func fakeAPIServer(t *testing.T, dir string) string {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/version":
			_, _ = w.Write([]byte(`{"major":"1","minor":"37","gitVersion":"v1.37.2"}`))
		case "/api/v1/namespaces/kube-system":
			_, _ = w.Write([]byte(`{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"kube-system","uid":"0000-fake"}}`))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return write(t, dir, "fake-kubeconfig", `apiVersion: v1
kind: Config
clusters: [{name: fake, cluster: {server: "`+srv.URL+`", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {}}]
contexts: [{name: kind-mgmt, context: {cluster: fake, user: u}}]
current-context: kind-mgmt
`)
}

// TestDryRunShowsPlan: --dry-run prints targets × collectors of the spec a
// profile chose, with the profile's settings, and writes nothing.
func TestDryRunShowsPlan(t *testing.T) {
	dir := t.TempDir()
	kc := fakeAPIServer(t, dir)
	write(t, dir, "data.yaml", dataOnlySpec)
	out := filepath.Join(t.TempDir(), "bundles")
	cfg := write(t, dir, "config.yaml", `
output-dir: `+out+`
profiles:
  site:
    specs: [data.yaml]
    node-collector-image: mirror.example/node:v1
    max-log-lines: 500
`)
	code, stdout, stderr := runApp(t, "--dry-run", "--kubeconfig", kc, "--config", cfg, "--profile", "site", "--output", "json")
	require.Equal(t, ExitOK, code, stderr)
	var dr DryRun
	require.NoError(t, json.Unmarshal([]byte(stdout), &dr), stdout)
	require.Len(t, dr.Targets, 1)
	assert.True(t, dr.Targets[0].Probe.Reachable)
	assert.Equal(t, []PlannedCollector{{Type: "clusterInfo", Title: "clusterInfo", Excluded: true}, {Type: "clusterResources", Title: "clusterResources", Excluded: true}, {Type: "data", Title: "data"}}, dr.Collectors)
	assert.Equal(t, []string{filepath.Join(dir, "data.yaml")}, dr.Spec.Sources)
	assert.Equal(t, "site", dr.Profile)
	found := false
	for _, s := range dr.Settings {
		if s.Key == "node-collector-image" {
			found = true
			assert.Equal(t, SettingValue{Key: s.Key, Value: "mirror.example/node:v1", Source: "profile site", Env: s.Env}, s)
		}
	}
	assert.True(t, found)

	t.Run("log limits override the spec's", func(t *testing.T) {
		logs := write(t, dir, "logs.yaml", `apiVersion: troubleshoot.sh/v1beta2
kind: SupportBundle
spec:
  collectors:
    - logs: {selector: [app=web], limits: {maxLines: 10, maxAge: 1h}}
    - allLogs: {}
`)
		code, stdout, stderr := runApp(t, logs, "--dry-run", "--kubeconfig", kc, "--config", cfg, "--profile", "site",
			"--max-log-bytes", "4096", "--output", "json")
		require.Equal(t, ExitOK, code, stderr)
		var dr DryRun
		require.NoError(t, json.Unmarshal([]byte(stdout), &dr), stdout)
		var limits []spec.LogLimits
		for _, c := range dr.Spec.Collectors {
			switch {
			case c.Logs != nil:
				limits = append(limits, *c.Logs.Limits)
			case c.AllLogs != nil:
				limits = append(limits, *c.AllLogs.Limits)
			}
		}
		assert.Equal(t, []spec.LogLimits{{MaxAge: "1h", MaxLines: 500, MaxBytes: 4096}, {MaxLines: 500, MaxBytes: 4096}}, limits)
	})
	_, err := os.Stat(out)
	assert.ErrorIs(t, err, os.ErrNotExist, "a dry run writes nothing")

	code, stdout, stderr = runApp(t, "--dry-run", "-v", "--kubeconfig", kc, "--config", cfg, "--profile", "site")
	require.Equal(t, ExitOK, code, stderr)
	assert.Contains(t, stdout, "profile site of "+cfg)
	assert.Regexp(t, `(?m)^current\s+kind-mgmt\s+https://127\.0\.0\.1:\d+\s+yes v1\.37\.2`, stdout)
	assert.Regexp(t, `(?m)^data\s+data\s+yes$`, stdout)
	assert.Regexp(t, `(?m)^clusterInfo\s+clusterInfo\s+no \(exclude: true\)$`, stdout)
	assert.Contains(t, stdout, "1 collectors × 1 targets")
	assert.True(t, strings.Contains(stdout, "spec after merging and defaults:\ncollectors:"), stdout)
}
