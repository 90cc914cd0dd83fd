package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/klog/v2"

	"github.com/mesosphere/dkp-diagnose/config"
	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

func runApp(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

// TestBadInputIsOneLine: every bad input fails before any cluster is
// contacted, with one line naming the input, exit 2, and no bundle.
func TestBadInputIsOneLine(t *testing.T) {
	dir := t.TempDir()
	goodKubeconfig := write(t, dir, "kubeconfig", `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: abc}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`)
	malformed := write(t, dir, "malformed.yaml", "apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nspec:\n  collectors: [\n")
	unknown := write(t, dir, "unknown.yaml", "apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nspec:\n  collectors:\n    - clusterInfo: {}\n    - ceph: {}\n")
	badRedactor := write(t, dir, "redactor.yaml", "apiVersion: troubleshoot.sh/v1beta2\nkind: Redactor\nspec:\n  redactors:\n    - name: broken\n      removals:\n        regex:\n          - redactor: '(unclosed'\n")
	garbageKubeconfig := write(t, dir, "garbage-kubeconfig", "this: [is not a kubeconfig\n")
	aFile := write(t, dir, "a-file", "x")
	escaping := write(t, dir, "escaping.yaml", "apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nspec:\n  collectors:\n    - clusterInfo: {}\n    - logs:\n        name: ../../etc\n")
	absolute := write(t, dir, "absolute.yaml", "apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nspec:\n  collectors:\n    - allLogs:\n        name: /tmp/x\n")
	negAge := write(t, dir, "negage.yaml", "apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nspec:\n  collectors:\n    - clusterInfo: {}\n    - logs:\n        collectorName: app\n        selector: [app=x]\n        limits:\n          maxAge: -5h\n")
	badLimits := write(t, dir, "badlimits.yaml", "apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nspec:\n  collectors:\n    - allLogs:\n        limits:\n          maxAge: forever\n")

	cases := map[string]struct {
		args []string
		want []string
	}{
		"malformed spec":       {[]string{malformed}, []string{"malformed.yaml"}},
		"unknown collector":    {[]string{unknown}, []string{"unknown.yaml:6", `unknown collector type "ceph"`}},
		"missing spec":         {[]string{filepath.Join(dir, "nope.yaml")}, []string{"nope.yaml", "no such file"}},
		"bad redactor regex":   {[]string{"--redactors", badRedactor}, []string{"broken", "(unclosed"}},
		"bad log limits":       {[]string{badLimits}, []string{"maxAge", "forever"}},
		"garbage kubeconfig":   {[]string{"--kubeconfig", garbageKubeconfig}, []string{"garbage-kubeconfig"}},
		"missing kubeconfig":   {[]string{"--kubeconfig", filepath.Join(dir, "no-kubeconfig")}, []string{"no-kubeconfig"}},
		"unknown context":      {[]string{"--kubeconfig", goodKubeconfig, "--context", "elsewhere"}, []string{"elsewhere"}},
		"output dir is a file": {[]string{"--kubeconfig", goodKubeconfig, "--output-dir", filepath.Join(aFile, "out")}, []string{"output dir", "a-file"}},
		"bad since-time":       {[]string{"--kubeconfig", goodKubeconfig, "--since-time", "yesterday"}, []string{"--since-time", "yesterday"}},
		"unknown flag":         {[]string{"--frobnicate"}, []string{"frobnicate"}},
		"negative since":       {[]string{"--since", "-5h"}, []string{"--since -5h0m0s is negative"}},
		"zero qps":             {[]string{"--qps", "0"}, []string{"--qps 0: want a positive number"}},
		"negative qps":         {[]string{"--qps", "-1"}, []string{"--qps -1: want a positive number"}},
		"zero timeout":         {[]string{"--timeout", "0s"}, []string{"--timeout 0s: want a positive duration"}},
		"zero burst":           {[]string{"--burst", "0"}, []string{"--burst 0"}},
		"escaping name":        {[]string{escaping}, []string{"escaping.yaml:6", "logs/../../etc", `name "../../etc" leaves the bundle`}},
		"absolute name":        {[]string{absolute}, []string{"absolute.yaml:5", `name "/tmp/x" is an absolute path`}},
		"negative maxAge":      {[]string{negAge}, []string{"negage.yaml:6", "logs/app", `maxAge "-5h" is not a positive duration`}},
		"missing redactors":    {[]string{"--redactors", filepath.Join(dir, "missing.yaml")}, []string{"read redactors", "missing.yaml"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			out := t.TempDir()
			args := append([]string{"--output-dir", out}, tc.args...)
			if !strings.Contains(strings.Join(tc.args, " "), "--kubeconfig") {
				args = append(args, "--kubeconfig", goodKubeconfig)
			}
			code, stdout, stderr := runApp(t, args...)
			assertUsageError(t, code, stdout, stderr, out, tc.want...)
		})
	}
}

// TestNoKubeconfig: a fresh machine without any kubeconfig gets a line
// that says so, not client-go's KUBERNETES_MASTER hint.
func TestNoKubeconfig(t *testing.T) {
	t.Setenv("KUBECONFIG", "")
	t.Setenv("HOME", t.TempDir())
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	out := t.TempDir()
	code, stdout, stderr := runApp(t, "--output-dir", out)
	assertUsageError(t, code, stdout, stderr, out, "no kubeconfig found", ".kube/config")
	assert.NotContains(t, stderr, "KUBERNETES_MASTER")
}

// TestUnreachableCluster: a kubeconfig pointing nowhere still yields a
// bundle saying why, and a non-zero exit.
func TestUnreachableCluster(t *testing.T) {
	dir := t.TempDir()
	kc := write(t, dir, "kubeconfig", `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: abc}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`)
	out := t.TempDir()
	code, stdout, stderr := runApp(t, "--kubeconfig", kc, "--output-dir", out)
	assert.Equal(t, ExitPartial, code, stderr)
	assert.Contains(t, stderr, "cluster unreachable")
	assert.True(t, strings.HasSuffix(strings.TrimSpace(stdout), ".tar.gz"), stdout)
}

func TestDefaultConfigIsAValidSpec(t *testing.T) {
	code, stdout, _ := runApp(t, "default-config")
	require.Equal(t, ExitOK, code)
	assert.Equal(t, string(config.DefaultSpec), stdout)
	s, err := spec.Parse("default-config", []byte(stdout))
	require.NoError(t, err)
	assert.Len(t, s.Collectors, 6, "clusterInfo, clusterResources, allLogs, configMap, secret, execCopyFromHost")
}

func TestVersion(t *testing.T) {
	code, stdout, _ := runApp(t, "version")
	require.Equal(t, ExitOK, code)
	assert.Equal(t, "dkp-diagnose dev\n", stdout)
}

// assertUsageError checks what bad input must give: exit 2, nothing on
// stdout, one "dkp-diagnose: " line on stderr containing each of want, and
// nothing written to the output folder out.
func assertUsageError(t *testing.T, code int, stdout, stderr, out string, want ...string) {
	t.Helper()
	assert.Equal(t, ExitUsage, code, stderr)
	assert.Empty(t, stdout)
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	require.Len(t, lines, 1, "one line: %q", stderr)
	assert.True(t, strings.HasPrefix(lines[0], "dkp-diagnose: "), lines[0])
	for _, w := range want {
		assert.Contains(t, lines[0], w)
	}
	entries, err := os.ReadDir(out)
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing written")
}

// TestStderrHasOneLock: client-go may log from its own goroutines at any
// time, also while the command prints its error line or summary; every
// writer of stderr must share one lock (a -race report once came from a
// summary table written beside a late client-go line).
func TestStderrHasOneLock(t *testing.T) {
	var out, errb bytes.Buffer
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
				klog.Error("a late line from client-go")
			}
		}
	}()
	code := Run(context.Background(), []string{"--kubeconfig", filepath.Join(t.TempDir(), "missing")}, &out, &errb)
	close(stop)
	<-done
	assert.NotEqual(t, ExitOK, code)
	assert.Contains(t, errb.String(), "dkp-diagnose: ")
	assert.Contains(t, errb.String(), "a late line from client-go")
}

func TestLockedIsShared(t *testing.T) {
	var b bytes.Buffer
	s := locked(&b)
	assert.Same(t, s, locked(s))
	d, ok := newDisplay(s, normal).(*plainDisplay)
	require.True(t, ok)
	assert.Same(t, s, d.w)
	_, _, tty := terminalSize(locked(os.Stderr))
	_, _, rawTTY := terminalSize(os.Stderr)
	assert.Equal(t, rawTTY, tty, "the lock hides no terminal")
}
