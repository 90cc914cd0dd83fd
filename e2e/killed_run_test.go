package e2e

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mesosphere/dkp-diagnose/e2e/clitest"
	"github.com/mesosphere/dkp-diagnose/lib/collect/bundle"
)

// buildTool builds the dkp-diagnose binary once per test binary run, for
// tests that need it as a separate process (to kill it).
var buildTool = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "dkp-diagnose-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "dkp-diagnose")
	out, err := exec.Command("go", "build", "-o", bin, "../cmd/dkp-diagnose").CombinedOutput()
	if err != nil {
		return "", &exec.ExitError{Stderr: out}
	}
	return bin, nil
})

// stalledServer accepts connections and never answers: an API server whose
// process is stopped. It returns a kubeconfig that points at it.
func stalledServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return writeFile(t, t.TempDir(), "kubeconfig", `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://`+l.Addr().String()+`", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: abc}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`)
}

func partials(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, n := range bundleFilesIn(t, dir) {
		if strings.HasSuffix(n, ".partial") {
			out = append(out, n)
		}
	}
	return out
}

// run is the tool running as a process of its own.
type run struct {
	cmd    *exec.Cmd
	stderr strings.Builder
	done   chan struct{}
}

// waitPartial waits until the run has reserved a bundle in dir other than
// those of skip, and returns its name.
func (r *run) waitPartial(t *testing.T, dir string, skip ...string) string {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		for _, p := range partials(t, dir) {
			if !slices.Contains(skip, p) {
				return p
			}
		}
		select {
		case <-r.done:
			t.Fatalf("the run ended before writing a bundle:\n%s", r.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("no unfinished bundle appeared in %s", dir)
	return ""
}

// TestKilledRunLeavesNoLitter: a run killed with SIGKILL cannot clean up
// after itself; its unfinished bundle stays behind until the next run into
// the same folder removes it and says so. A run still writing into that
// folder keeps its own.
func TestKilledRunLeavesNoLitter(t *testing.T) {
	bin, err := buildTool()
	require.NoError(t, err)
	kc := stalledServer(t)
	out := t.TempDir()

	// TestMain's settings isolation is in the environment the process
	// inherits.
	start := func(args ...string) *run {
		r := &run{cmd: exec.Command(bin, append([]string{"--kubeconfig", kc, "--output-dir", out}, args...)...), done: make(chan struct{})}
		r.cmd.Stderr = &r.stderr
		require.NoError(t, r.cmd.Start())
		go func() { _ = r.cmd.Wait(); close(r.done) }()
		t.Cleanup(func() { _ = r.cmd.Process.Kill(); <-r.done })
		return r
	}

	// A run still going in the same folder; started first, as every run
	// sweeps the folder when it starts.
	live := start("--timeout", "10m")
	livePartial := live.waitPartial(t, out)
	liveCopies := workingCopies(t, out)

	killed := start("--timeout", "10m")
	stale := killed.waitPartial(t, out, livePartial)
	var staleCopies []string // the killed run's copy for analysis
	for _, d := range workingCopies(t, out) {
		if !slices.Contains(liveCopies, d) {
			staleCopies = append(staleCopies, d)
		}
	}
	require.NotEmpty(t, staleCopies, "analysis is on: the run keeps a working copy")
	require.NoError(t, killed.cmd.Process.Signal(syscall.SIGKILL))
	<-killed.done
	require.FileExists(t, filepath.Join(out, stale), "SIGKILL leaves it behind")

	stderr, _ := exec.Command(bin, "--kubeconfig", kc, "--output-dir", out, "--timeout", "2s").CombinedOutput()
	t.Logf("second run:\n%s", stderr)
	assert.Contains(t, string(stderr), "removed "+filepath.Join(out, stale)+": the unfinished bundle of an earlier run that was killed")
	assert.NoFileExists(t, filepath.Join(out, stale))
	assert.FileExists(t, filepath.Join(out, livePartial), "a live run's bundle is not touched")
	assert.NotContains(t, string(stderr), livePartial)
	for _, d := range staleCopies {
		assert.Contains(t, string(stderr), "removed "+filepath.Join(out, d)+": the working copy of an earlier run that was killed")
		assert.NoDirExists(t, filepath.Join(out, d))
	}
	for _, d := range liveCopies {
		assert.DirExists(t, filepath.Join(out, d), "a live run's working copy is not touched")
	}
	assertOwnStderr(t, string(stderr))
	// The stalled server holds every request: the run's --timeout is what
	// ended it, and stderr, summary.json and execution-data say so.
	assert.Contains(t, string(stderr), "time limit of 2s reached")
	sum := clitest.ReadSummary(t, out)
	require.Len(t, sum.Targets, 1)
	assert.Equal(t, "time limit of 2s reached: collection stopped, what was collected by then is kept", sum.Targets[0].Error)
	files := clitest.OpenBundle(t, sum.Targets[0].Bundle)
	assert.Contains(t, string(files["execution-data/summary.json"]), `"stopped": "time limit of 2s reached`)

	require.NoError(t, live.cmd.Process.Signal(syscall.SIGTERM))
	<-live.done
	assert.Empty(t, partials(t, out), "a run stopped by SIGTERM removes its own")
}

// workingCopies lists the hidden folders in dir where runs keep a plain
// copy of the files analysis reads (bundle.MkdirTemp).
func workingCopies(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), bundle.TempDirPrefix) {
			names = append(names, e.Name())
		}
	}
	return names
}
