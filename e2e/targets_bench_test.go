package e2e

import (
	"cmp"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
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

// latencyProxy forwards TCP to upstream and delivers every chunk coming
// back delay after it arrived, as a far-away API server would: a link with
// latency, not a slow one, so chunks in flight do not wait for each other.
func latencyProxy(t *testing.T, upstream string, delay time.Duration) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	type chunk struct {
		b  []byte
		at time.Time
	}
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
				inFlight := make(chan chunk, 4096)
				wg.Go(func() {
					defer close(inFlight)
					for {
						buf := make([]byte, 32<<10)
						n, err := u.Read(buf)
						if n > 0 {
							inFlight <- chunk{b: buf[:n], at: time.Now().Add(delay)}
						}
						if err != nil {
							return
						}
					}
				})
				wg.Go(func() {
					defer func() { _ = c.(*net.TCPConn).CloseWrite() }()
					for ch := range inFlight {
						time.Sleep(time.Until(ch.at))
						if _, err := c.Write(ch.b); err != nil {
							for range inFlight {
							}
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
	// Each run also records the CPU time of this process (the
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
	measure := func(args ...string) (run, clitest.Result) {
		var cluster time.Duration
		for _, c := range cs {
			cluster -= c.CPUTime()
		}
		began, cpu, machine := time.Now(), framework.SelfCPUTime(), framework.ReadMachineCPU()
		out := t.TempDir()
		res := clitest.Run(t, append(args, "--output-dir", out)...)
		r := run{wall: time.Since(began), cpu: framework.SelfCPUTime() - cpu}
		require.Equal(t, app.ExitOK, res.Code, res.Stderr)
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
		return r, res
	}
	show := func(r run) string {
		return fmt.Sprintf("%s (before collection %s, collection %s; CPU: dkp-diagnose %s, clusters %s; machine %.0f%% busy)", r.wall.Round(time.Millisecond),
			r.resolve.Round(time.Millisecond), strings.Join(r.targets, ", "),
			r.cpu.Round(10*time.Millisecond), r.clusterCPU.Round(10*time.Millisecond), 100*r.busy)
	}
	// Rounds of every case, in an order that rotates, so that noise on
	// the 2 shared cores spreads over all of them; medians are reported.
	cases := []struct {
		name string
		args []string
	}{
		{"mgmt", []string{"--kubeconfig", kcs["mgmt"]}},
		{"w1", []string{"--kubeconfig", kcs["w1"]}},
		{"w2", []string{"--kubeconfig", kcs["w2"]}},
		{"parallel", []string{"--kubeconfig", kcs["mgmt"], "--all-clusters", "--parallel-targets", "3"}},
		{"serial", []string{"--kubeconfig", kcs["mgmt"], "--all-clusters", "--parallel-targets", "1"}},
	}
	rounds := 5
	if v := os.Getenv("DKP_BENCH_ROUNDS"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err, "DKP_BENCH_ROUNDS")
		rounds = n
	}
	runs := map[string][]run{}
	for round := range rounds {
		for k := range cases {
			c := cases[(k+round)%len(cases)]
			r, res := measure(c.args...)
			if c.name == "parallel" {
				require.Len(t, res.BundlePaths(), 3)
			}
			runs[c.name] = append(runs[c.name], r)
		}
	}
	median := func(name string) run {
		rs := slices.Clone(runs[name])
		slices.SortFunc(rs, func(a, b run) int { return cmp.Compare(a.wall, b.wall) })
		return rs[len(rs)/2]
	}
	slowest := slices.MaxFunc([]run{median("mgmt"), median("w1"), median("w2")}, func(a, b run) int { return cmp.Compare(a.wall, b.wall) })
	par := median("parallel")
	t.Logf("latency %s, medians of %d rounds; alone: mgmt %s, w1 %s, w2 %s", delay, rounds, show(median("mgmt")), show(median("w1")), show(median("w2")))
	t.Logf("all three --parallel-targets 3: %s = %.2f x the slowest alone (from the start of collection: %.2f x)", show(par),
		par.wall.Seconds()/slowest.wall.Seconds(), (par.wall-par.resolve).Seconds()/slowest.wall.Seconds())
	t.Logf("all three --parallel-targets 1: %s", show(median("serial")))
}

var (
	metav1GetOptions    = metav1.GetOptions{}
	metav1UpdateOptions = metav1.UpdateOptions{}
)
