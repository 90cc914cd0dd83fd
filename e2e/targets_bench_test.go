package e2e

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/mesosphere/dkp-diagnose/cmd/dkp-diagnose/app"
	"github.com/mesosphere/dkp-diagnose/e2e/framework"
)

// latencyProxy forwards TCP to upstream and holds every chunk coming back
// for delay, as a far-away API server would.
func latencyProxy(t *testing.T, upstream string, delay time.Duration) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				u, err := net.Dial("tcp", upstream)
				if err != nil {
					return
				}
				defer u.Close()
				var wg sync.WaitGroup
				wg.Go(func() { _, _ = io.Copy(u, c); _ = u.(*net.TCPConn).CloseWrite() })
				wg.Go(func() {
					buf := make([]byte, 32<<10)
					for {
						n, err := u.Read(buf)
						if n > 0 {
							time.Sleep(delay)
							if _, werr := c.Write(buf[:n]); werr != nil {
								return
							}
						}
						if err != nil {
							_ = c.(*net.TCPConn).CloseWrite()
							return
						}
					}
				})
				wg.Wait()
			}()
		}
	}()
	return l.Addr().String()
}

// slowKubeconfig writes a copy of c's kubeconfig whose server goes through a
// latency proxy.
func slowKubeconfig(t *testing.T, c *framework.Cluster, delay time.Duration) string {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(c.KubeconfigPath)
	require.NoError(t, err)
	for _, cl := range cfg.Clusters {
		host := strings.TrimPrefix(cl.Server, "https://")
		cl.Server = "https://" + latencyProxy(t, host, delay)
	}
	p := filepath.Join(t.TempDir(), c.Name+"-slow.kubeconfig")
	require.NoError(t, clientcmd.WriteToFile(*cfg, p))
	return p
}

// TestTargetsParallelWallTime is a measurement, not a test of behaviour:
// three clusters behind 20 ms of latency each, collected together with
// --parallel-targets 3 and 1, against each one alone; figures are logged.
// It runs only from `make bench-targets`, never as part of `make test`.
func TestTargetsParallelWallTime(t *testing.T) {
	if os.Getenv("DKP_BENCH_TARGETS") == "" {
		t.Skip("a measurement: run it with `make bench-targets`")
	}
	const delay = 20 * time.Millisecond
	cs := startClusters(t, "mgmt", "w1", "w2")
	installCAPI(t, cs["mgmt"], "clusters-v1beta2.yaml")
	kcs := map[string]string{}
	for _, n := range []string{"mgmt", "w1", "w2"} {
		kcs[n] = slowKubeconfig(t, cs[n], delay)
	}
	for _, n := range []string{"w1", "w2"} {
		addCAPICluster(t, cs["mgmt"], "v1beta2", "fleet", n, cs[n])
		// Point the secret at the slow path too.
		kc, err := os.ReadFile(kcs[n])
		require.NoError(t, err)
		s, err := cs["mgmt"].Client.CoreV1().Secrets("fleet").Get(t.Context(), n+"-kubeconfig", metav1GetOptions)
		require.NoError(t, err)
		s.Data["value"] = kc
		_, err = cs["mgmt"].Client.CoreV1().Secrets("fleet").Update(t.Context(), s, metav1UpdateOptions)
		require.NoError(t, err)
	}
	// Best of three runs each, so that warm-up and noise on the 2 CI cores
	// weigh less.
	timed := func(args ...string) (time.Duration, cliResult) {
		var best time.Duration
		var last cliResult
		for range 3 {
			began := time.Now()
			last = runCLI(t, append(args, "--output-dir", t.TempDir())...)
			require.Equal(t, app.ExitOK, last.code, last.stderr)
			if d := time.Since(began); best == 0 || d < best {
				best = d
			}
		}
		return best, last
	}
	var slowest time.Duration
	alone := map[string]time.Duration{}
	for _, n := range []string{"mgmt", "w1", "w2"} {
		d, _ := timed("--kubeconfig", kcs[n])
		alone[n] = d
		slowest = max(slowest, d)
	}
	par, res := timed("--kubeconfig", kcs["mgmt"], "--all-clusters", "--parallel-targets", "3")
	require.Len(t, res.bundlePaths(), 3)
	ser, _ := timed("--kubeconfig", kcs["mgmt"], "--all-clusters", "--parallel-targets", "1")
	t.Logf("latency %s; alone: mgmt %s, w1 %s, w2 %s (slowest %s); all three --parallel-targets 3: %s; --parallel-targets 1: %s",
		delay, alone["mgmt"].Round(time.Millisecond), alone["w1"].Round(time.Millisecond), alone["w2"].Round(time.Millisecond),
		slowest.Round(time.Millisecond), par.Round(time.Millisecond), ser.Round(time.Millisecond))
}

var (
	metav1GetOptions    = metav1.GetOptions{}
	metav1UpdateOptions = metav1.UpdateOptions{}
)
