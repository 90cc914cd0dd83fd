package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mesosphere/dkp-diagnose/lib/fleet"
	"github.com/mesosphere/dkp-diagnose/lib/targets"
)

// twoTargetsNoCluster sets up a run of two unreachable targets (the current
// context and a bootstrap kubeconfig) with a data-only spec: the data
// collector runs without a cluster, so both bundles are written, exit 0.
// The current context's name holds an escape sequence and a tab, as a
// hostile or sloppy kubeconfig could.
func twoTargetsNoCluster(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	kc := write(t, dir, "kubeconfig", `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: abc}}]
contexts: [{name: "evil\e[31mctx\tname", context: {cluster: c, user: u}}]
current-context: "evil\e[31mctx\tname"
`)
	boot := write(t, dir, "boot-kubeconfig", strings.ReplaceAll(nowhereKubeconfig, "127.0.0.1:1", "127.0.0.1:2"))
	specFile := write(t, dir, "data.yaml", dataOnlySpec)
	return []string{specFile, "--kubeconfig", kc, "--bootstrap-kubeconfig", boot, "--all-clusters",
		"--output-dir", t.TempDir()}
}

var (
	controlChars = regexp.MustCompile(`[\x00-\x09\x0b-\x1f\x7f]`)
	timestamped  = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ `)
)

// TestProgressWithoutTerminal: into a pipe, progress is plain timestamped
// lines without a single control character, then a summary table of every
// target; bundle paths alone go to stdout.
func TestProgressWithoutTerminal(t *testing.T) {
	r, w, err := os.Pipe() // a real file that is not a terminal
	require.NoError(t, err)
	var stderr bytes.Buffer
	copied := make(chan struct{})
	go func() { _, _ = io.Copy(&stderr, r); close(copied) }()
	var stdout bytes.Buffer
	code := Run(context.Background(), twoTargetsNoCluster(t), &stdout, w)
	w.Close()
	<-copied
	t.Logf("stderr:\n%s", stderr.String())
	require.Equal(t, ExitOK, code)

	out := stderr.String()
	assert.False(t, controlChars.MatchString(out), "control characters in %q", out)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	table := indexOf(lines, "summary:")
	require.Positive(t, table, "a summary table follows the progress")
	for _, l := range lines[:table-1] {
		assert.Regexp(t, timestamped, l)
	}
	assert.Contains(t, out, "bootstrap konvoy-capi-bootstrapper: data")
	assertSummaryTable(t, lines[table:])

	paths := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	assert.Len(t, paths, 2)
	for _, p := range paths {
		assert.True(t, strings.HasSuffix(p, ".tar.gz"), p)
	}
}

// TestProgressQuietAndVerbose: -q prints nothing on success; -v adds
// collector starts.
func TestProgressQuietAndVerbose(t *testing.T) {
	code, stdout, stderr := runApp(t, append(twoTargetsNoCluster(t), "-q")...)
	require.Equal(t, ExitOK, code, stderr)
	assert.Empty(t, stderr)
	assert.Len(t, strings.Split(strings.TrimSpace(stdout), "\n"), 2)

	code, _, stderr = runApp(t, append(twoTargetsNoCluster(t), "-v")...)
	require.Equal(t, ExitOK, code, stderr)
	assert.Contains(t, stderr, "bootstrap konvoy-capi-bootstrapper: data started")
}

// TestProgressOnTerminal: on a pseudo-terminal, one row per target is drawn
// and redrawn in place (cursor movement), showing collectors done of total
// and bytes, and the summary table lists every target.
func TestProgressOnTerminal(t *testing.T) {
	t.Setenv("TERM", "xterm")
	ptmx, tty, err := pty.Open()
	require.NoError(t, err)
	defer ptmx.Close()
	require.NoError(t, pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: 160}))
	var screen bytes.Buffer
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		_, err := io.Copy(&screen, ptmx)
		if err != nil && !errors.Is(err, syscall.EIO) { // EIO: the terminal side closed
			t.Errorf("read pty: %v", err)
		}
	}()
	var stdout bytes.Buffer
	code := Run(context.Background(), twoTargetsNoCluster(t), &stdout, tty)
	tty.Close()
	<-copied
	out := screen.String()
	t.Logf("terminal:\n%q", out)
	require.Equal(t, ExitOK, code)

	assert.Contains(t, out, "\x1b[2A\r\x1b[J", "the two rows are redrawn in place")
	assert.Regexp(t, `bootstrap konvoy-capi-bootstrapper\s+collecting\s+[0-3]/3 collectors`, out, "live row while collecting")
	assert.Regexp(t, `bootstrap konvoy-capi-bootstrapper\s+ok\s+3/3 collectors\s+\d+(\.\d)?(B|KiB)`, out, "final row with bytes")
	assert.NotContains(t, out, "\x1b[31m", "text from the kubeconfig cannot colour the terminal")
	lines := strings.Split(strings.ReplaceAll(out, "\r\n", "\n"), "\n")
	table := indexOf(lines, "summary:")
	require.Positive(t, table)
	assertSummaryTable(t, lines[table:])
	assert.Len(t, strings.Split(strings.TrimSpace(stdout.String()), "\n"), 2)
}

// assertSummaryTable checks that the table has a row for each target.
func assertSummaryTable(t *testing.T, lines []string) {
	t.Helper()
	text := strings.Join(lines, "\n")
	assert.Regexp(t, `(?m)^ROLE\s+CLUSTER\s+STATUS`, text)
	assert.Regexp(t, `(?m)^bootstrap\s+konvoy-capi-bootstrapper\s+ok\s`, text)
	assert.Regexp(t, `(?m)^current\s+evil \[31mctx name\s+ok\s`, text)
	assert.Contains(t, text, "2 targets in")
}

func indexOf(lines []string, want string) int {
	for i, l := range lines {
		if strings.TrimSpace(l) == want {
			return i
		}
	}
	return -1
}

// TestLiveBlockFitsTheScreen: a fleet with more clusters than the terminal
// has rows gets a block of the screen's height (a taller one cannot be
// redrawn in place: each redraw would scroll a copy away), keeping the
// clusters being collected and those that failed, and a line counting the
// others.
func TestLiveBlockFitsTheScreen(t *testing.T) {
	var screen bytes.Buffer
	d := newLiveDisplay(locked(&screen), normal, fixedSize(120, 10))
	var rows []*targetProgress
	for i := range 30 {
		rows = append(rows, d.target(&targets.Target{Role: targets.RoleWorkload, Namespace: "fleet", Name: fmt.Sprintf("c%02d", i)}, 3))
	}
	for i := range 20 {
		rows[i].begin("https://x")
		if i < 17 {
			st := fleet.StatusOK
			if i == 4 {
				st = fleet.StatusFailed
			}
			rows[i].end(TargetSummary{Status: st})
		}
	}
	d.close()
	out := screen.String()
	for _, m := range regexp.MustCompile(`\x1b\[(\d+)A`).FindAllStringSubmatch(out, -1) {
		n, err := strconv.Atoi(m[1])
		require.NoError(t, err)
		assert.LessOrEqual(t, n, 8, "the cursor never moves up over more than the block")
	}
	block := strings.TrimSuffix(out[strings.LastIndex(out, "\x1b[J")+len("\x1b[J"):], "\n")
	t.Logf("final block:\n%s", block)
	lines := strings.Split(block, "\n")
	require.Len(t, lines, 8, "height less the cursor's row and the line above")
	// Kept in their order: the failed one, the three collecting, then
	// waiting ones as room allows.
	assert.Regexp(t, `^workload fleet/c04\s+failed`, lines[0])
	assert.Regexp(t, `^workload fleet/c17\s+collecting`, lines[1])
	assert.Regexp(t, `^workload fleet/c19\s+collecting`, lines[3])
	assert.Regexp(t, `^workload fleet/c20\s+waiting`, lines[4])
	assert.Equal(t, "… and 23 more: 7 waiting, 16 ok", lines[7])
}

// TestLiveBlockFollowsResize: a terminal made smaller mid-run gets a
// smaller block at the next redraw.
func TestLiveBlockFollowsResize(t *testing.T) {
	var screen bytes.Buffer
	var reads atomic.Int32
	d := newLiveDisplay(locked(&screen), normal, func() (int, int, bool) {
		if reads.Add(1) == 1 {
			return 120, 40, true // at the start
		}
		return 100, 6, true // made smaller
	})
	for i := range 12 {
		d.target(&targets.Target{Role: targets.RoleWorkload, Namespace: "fleet", Name: fmt.Sprintf("c%02d", i)}, 3)
	}
	require.Eventually(t, func() bool {
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.height == 6 && d.width == 100
	}, 5*time.Second, 10*time.Millisecond, "the size is read again")
	d.close()
	out := screen.String()
	block := strings.TrimSuffix(out[strings.LastIndex(out, "\x1b[J")+len("\x1b[J"):], "\n")
	lines := strings.Split(block, "\n")
	require.Len(t, lines, 4, block)
	assert.Equal(t, "… and 9 more: 9 waiting", lines[3])
}

// fixedSize is the size of a terminal that is never resized.
func fixedSize(width, height int) func() (int, int, bool) {
	return func() (int, int, bool) { return width, height, true }
}
