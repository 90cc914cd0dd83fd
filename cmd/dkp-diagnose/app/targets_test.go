package app

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const nowhereKubeconfig = `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: abc}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`

// TestTargetFlagsBadInput: bad target flags are one line, exit 2, nothing
// written.
func TestTargetFlagsBadInput(t *testing.T) {
	dir := t.TempDir()
	kc := write(t, dir, "kubeconfig", nowhereKubeconfig)
	cases := map[string]struct {
		args []string
		want []string
	}{
		"cluster without namespace":  {[]string{"--cluster", "prod"}, []string{"--cluster", "NAMESPACE/NAME"}},
		"unknown output format":      {[]string{"--output", "yaml"}, []string{"--output", "yaml"}},
		"no parallel targets":        {[]string{"--parallel-targets", "0"}, []string{"--parallel-targets"}},
		"missing bootstrap kubeconf": {[]string{"--bootstrap-kubeconfig", filepath.Join(dir, "no-boot")}, []string{"--bootstrap-kubeconfig", "no-boot"}},
		"targets: bad cluster":       {[]string{"targets", "--cluster", "a/b/c"}, []string{"a/b/c"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			out := t.TempDir()
			args := append(append([]string{}, tc.args...), "--kubeconfig", kc)
			if tc.args[0] != "targets" {
				args = append(args, "--output-dir", out)
			}
			code, stdout, stderr := runApp(t, args...)
			assert.Equal(t, ExitUsage, code, stderr)
			assert.Empty(t, stdout)
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			require.Len(t, lines, 1, "one line: %q", stderr)
			for _, w := range tc.want {
				assert.Contains(t, lines[0], w)
			}
			entries, err := os.ReadDir(out)
			require.NoError(t, err)
			assert.Empty(t, entries)
		})
	}
}

// TestSummaryOfUnreachableRun: a single unreachable target still gets a
// bundle, a summary.json and, with --output json, the summary on stdout.
func TestSummaryOfUnreachableRun(t *testing.T) {
	dir := t.TempDir()
	kc := write(t, dir, "kubeconfig", nowhereKubeconfig)
	out := t.TempDir()
	code, stdout, stderr := runApp(t, "--kubeconfig", kc, "--output-dir", out, "--output", "json")
	assert.Equal(t, ExitPartial, code, stderr)
	var sum Summary
	require.NoError(t, json.Unmarshal([]byte(stdout), &sum), stdout)
	require.Len(t, sum.Targets, 1)
	tg := sum.Targets[0]
	assert.Equal(t, "current", string(tg.Role))
	assert.Equal(t, "c", tg.Name)
	assert.Equal(t, StatusFailed, tg.Status)
	assert.Contains(t, tg.Error, "cluster unreachable")
	assert.Empty(t, tg.Prefix, "a current-only run keeps troubleshoot's name")
	assert.True(t, strings.HasPrefix(filepath.Base(tg.Bundle), "support-bundle-"), tg.Bundle)
	data, err := os.ReadFile(filepath.Join(out, SummaryFile))
	require.NoError(t, err)
	var fromFile Summary
	require.NoError(t, json.Unmarshal(data, &fromFile))
	assert.Equal(t, sum, fromFile)
}

// TestTargetsCommandUnreachable: the targets command probes and collects
// nothing.
func TestTargetsCommandUnreachable(t *testing.T) {
	dir := t.TempDir()
	kc := write(t, dir, "kubeconfig", nowhereKubeconfig)
	code, stdout, stderr := runApp(t, "targets", "--kubeconfig", kc)
	assert.Equal(t, ExitPartial, code, stderr)
	assert.Contains(t, stdout, "ROLE")
	assert.Contains(t, stdout, "current")
	assert.Contains(t, stdout, "no: ")
	code2, stdout2, _ := runApp(t, "--dry-run", "--kubeconfig", kc)
	assert.Equal(t, code, code2)
	assert.True(t, strings.HasPrefix(stdout2, stdout), "--dry-run starts with the targets table:\n%s", stdout2)
	assert.Contains(t, stdout2, "COLLECTOR")
}
