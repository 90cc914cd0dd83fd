package e2e

import (
	"bytes"
	"context"
	"errors"
	"io"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/creack/pty"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mesosphere/dkp-diagnose/cmd/dkp-diagnose/app"
	"github.com/mesosphere/dkp-diagnose/e2e/clitest"
)

// TestProgressAndProfileAgainstClusters: two real clusters, chosen by a
// config profile (the current cluster "mgmt" and a bootstrap cluster by
// kubeconfig), collected with the default spec. On a pseudo-terminal each
// target gets a live row that ends "ok 6/6 collectors" with its bytes; in a
// pipe every progress line is timestamped and free of control characters;
// both end with a summary table naming every target.
func TestProgressAndProfileAgainstClusters(t *testing.T) {
	cs := startClusters(t, "mgmt", "boot")
	dir := t.TempDir()
	cfg := writeFile(t, dir, "config.yaml", `
concurrency: 4
profiles:
  two-clusters:
    kubeconfig: `+cs["mgmt"].KubeconfigPath+`
    bootstrap-kubeconfig: `+cs["boot"].KubeconfigPath+`
    all-clusters: true
`)

	t.Run("terminal", func(t *testing.T) {
		t.Setenv("TERM", "xterm")
		ptmx, tty, err := pty.Open()
		require.NoError(t, err)
		defer ptmx.Close()
		require.NoError(t, pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: 200}))
		var screen bytes.Buffer
		copied := make(chan struct{})
		go func() {
			defer close(copied)
			if _, err := io.Copy(&screen, ptmx); err != nil && !errors.Is(err, syscall.EIO) {
				t.Errorf("read pty: %v", err)
			}
		}()
		var stdout bytes.Buffer
		code := app.Run(context.Background(), []string{"--config", cfg, "--profile", "two-clusters", "--output-dir", t.TempDir()}, &stdout, tty)
		tty.Close()
		<-copied
		out := strings.ReplaceAll(screen.String(), "\r\n", "\n")
		t.Logf("terminal:\n%q", out)
		require.Equal(t, app.ExitOK, code)
		assert.Contains(t, out, "\x1b[2A\r\x1b[J", "rows are redrawn in place")
		assert.Regexp(t, `bootstrap konvoy-capi-bootstrapper\s+collecting\s+[0-6]/6 collectors`, out)
		for _, label := range []string{"bootstrap konvoy-capi-bootstrapper", "mgmt"} {
			assert.Regexp(t, regexp.QuoteMeta(label)+`\s+ok\s+6/6 collectors\s+\d+(\.\d)?(KiB|MiB)`, out, label)
		}
		assertTable(t, out)
		assert.Len(t, strings.Fields(stdout.String()), 2, "two bundle paths on stdout")
	})

	t.Run("pipe", func(t *testing.T) {
		res := clitest.Run(t, "--config", cfg, "--profile", "two-clusters", "--output-dir", t.TempDir())
		require.Equal(t, app.ExitOK, res.Code, res.Stderr)
		assert.NotRegexp(t, `[\x00-\x09\x0b-\x1f\x7f]`, res.Stderr)
		progress, _, found := strings.Cut(res.Stderr, "\nsummary:\n")
		require.True(t, found, "a summary table follows")
		for _, l := range strings.Split(strings.TrimSpace(progress), "\n") {
			assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ `, l)
		}
		assert.Regexp(t, `(?m)Z mgmt: clusterResources\s+ok`, res.Stderr)
		assertTable(t, res.Stderr)
	})
}

// assertTable checks the summary table has a row per target.
func assertTable(t *testing.T, out string) {
	t.Helper()
	_, table, found := strings.Cut(out, "\nsummary:\n")
	require.True(t, found, "summary table in %q", out)
	assert.Regexp(t, `(?m)^bootstrap\s+konvoy-capi-bootstrapper\s+ok\s+6/0\s`, table)
	assert.Regexp(t, `(?m)^current\s+mgmt\s+ok\s+6/0\s`, table)
	assert.Contains(t, table, "2 targets in")
}
