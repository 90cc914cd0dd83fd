package e2e

import (
	"fmt"
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
	"github.com/mesosphere/dkp-diagnose/e2e/clitest"
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
	// weigh less. Each run also records the CPU time of this process (the
	// CLI runs in-process, with the latency proxies), of the three
	// clusters, and how busy the machine was: whether the tool or the
	// machine is the limit.
	type run struct {
		wall, cpu, clusterCPU time.Duration
		busy                  float64
		// resolve is the time before collection began (finding the
		// targets), per the time the summary gives for collection;
		// targets each target's own collection.
		resolve time.Duration
		targets []string
	}
	timed := func(args ...string) (run, clitest.Result) {
		var best run
		var last clitest.Result
		for range 3 {
			var cluster time.Duration
			for _, c := range cs {
				cluster -= c.CPUTime()
			}
			began, cpu, machine := time.Now(), framework.SelfCPUTime(), framework.ReadMachineCPU()
			out := t.TempDir()
			last = clitest.Run(t, append(args, "--output-dir", out)...)
			r := run{wall: time.Since(began), cpu: framework.SelfCPUTime() - cpu}
			sum := clitest.ReadSummary(t, out)
			r.resolve = r.wall - time.Duration(sum.DurationMs)*time.Millisecond
			for _, ts := range sum.Targets {
				r.targets = append(r.targets, fmt.Sprintf("%s %dms", ts.Name, ts.DurationMs))
			}
			for _, c := range cs {
				cluster += c.CPUTime()
			}
			r.clusterCPU = cluster
			r.busy, _ = framework.ReadMachineCPU().BusySince(machine)
			require.Equal(t, app.ExitOK, last.Code, last.Stderr)
			if best.wall == 0 || r.wall < best.wall {
				best = r
			}
		}
		return best, last
	}
	show := func(r run) string {
		return fmt.Sprintf("%s (before collection %s, collection %s; CPU: dkp-diagnose %s, clusters %s; machine %.0f%% busy)", r.wall.Round(time.Millisecond),
			r.resolve.Round(time.Millisecond), strings.Join(r.targets, ", "),
			r.cpu.Round(10*time.Millisecond), r.clusterCPU.Round(10*time.Millisecond), 100*r.busy)
	}
	var slowest run
	alone := map[string]run{}
	for _, n := range []string{"mgmt", "w1", "w2"} {
		r, _ := timed("--kubeconfig", kcs[n])
		alone[n] = r
		if r.wall > slowest.wall {
			slowest = r
		}
	}
	par, res := timed("--kubeconfig", kcs["mgmt"], "--all-clusters", "--parallel-targets", "3")
	require.Len(t, res.BundlePaths(), 3)
	ser, _ := timed("--kubeconfig", kcs["mgmt"], "--all-clusters", "--parallel-targets", "1")
	t.Logf("latency %s; alone: mgmt %s, w1 %s, w2 %s", delay, show(alone["mgmt"]), show(alone["w1"]), show(alone["w2"]))
	t.Logf("all three --parallel-targets 3: %s = %.2f x the slowest alone", show(par), par.wall.Seconds()/slowest.wall.Seconds())
	t.Logf("all three --parallel-targets 1: %s", show(ser))
}

var (
	metav1GetOptions    = metav1.GetOptions{}
	metav1UpdateOptions = metav1.UpdateOptions{}
)
