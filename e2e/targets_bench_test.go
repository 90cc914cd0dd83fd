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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/mesosphere/dkp-diagnose/cmd/dkp-diagnose/app"
	"github.com/mesosphere/dkp-diagnose/config"
	"github.com/mesosphere/dkp-diagnose/e2e/clitest"
	"github.com/mesosphere/dkp-diagnose/e2e/framework"
	"github.com/mesosphere/dkp-diagnose/e2e/seed"
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
// three clusters behind 20 ms of latency each (DKP_BENCH_TARGETS_LATENCY),
// collected together with --parallel-targets 3 and 1, against each one
// alone; figures are logged.
// It runs only from `make bench-targets`, never as part of `make test`.
//
// It measures the clusters empty, then holding the scale benchmark's
// workload at scale 0.02 (4 namespaces, 40 pods with logs, 100 custom
// objects); DKP_BENCH_TARGETS_SCALES changes that ("0", "0,0.05"). Empty,
// a collection is a few round trips, and the few more that finding the
// workload clusters takes weigh more than on any real fleet; with a
// workload, the three control planes compete for the machine's cores.
func TestTargetsParallelWallTime(t *testing.T) {
	if os.Getenv("DKP_BENCH_TARGETS") == "" {
		t.Skip("a measurement: run it with `make bench-targets`")
	}
	delay := 20 * time.Millisecond
	if v := os.Getenv("DKP_BENCH_TARGETS_LATENCY"); v != "" {
		var err error
		delay, err = time.ParseDuration(v)
		require.NoError(t, err, "DKP_BENCH_TARGETS_LATENCY")
	}
	scales := []float64{0, 0.02}
	if v := os.Getenv("DKP_BENCH_TARGETS_SCALES"); v != "" {
		scales = nil
		for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
			sc, err := strconv.ParseFloat(f, 64)
			require.NoError(t, err, "DKP_BENCH_TARGETS_SCALES")
			scales = append(scales, sc)
		}
	}
	// Seeding adds to what is there: at most one scale above 0, after 0.
	require.True(t, slices.IsSorted(scales) && (len(scales) < 2 || scales[len(scales)-2] == 0), "DKP_BENCH_TARGETS_SCALES=%v: 0 and one scale, in that order", scales)
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
	// measure runs the command once per args, all at the same time.
	measure := func(args ...[]string) (run, []clitest.Result) {
		var cluster time.Duration
		for _, c := range cs {
			cluster -= c.CPUTime()
		}
		began, cpu, machine := time.Now(), framework.SelfCPUTime(), framework.ReadMachineCPU()
		outs, res := make([]string, len(args)), make([]clitest.Result, len(args))
		var wg sync.WaitGroup
		for i, a := range args {
			outs[i] = t.TempDir()
			wg.Go(func() { res[i] = clitest.Run(t, append(a, "--output-dir", outs[i])...) })
		}
		wg.Wait()
		r := run{wall: time.Since(began), cpu: framework.SelfCPUTime() - cpu}
		var collecting time.Duration
		for i, out := range outs {
			require.Equal(t, app.ExitOK, res[i].Code, res[i].Stderr)
			sum := clitest.ReadSummary(t, out)
			collecting = max(collecting, time.Duration(sum.DurationMs)*time.Millisecond)
			for _, ts := range sum.Targets {
				r.targets = append(r.targets, fmt.Sprintf("%s %dms", ts.Name, ts.DurationMs))
			}
		}
		r.resolve = r.wall - collecting
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
	rounds := 5
	if v := os.Getenv("DKP_BENCH_ROUNDS"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err, "DKP_BENCH_ROUNDS")
		rounds = n
	}
	// The built-in spec, and the same without node diagnostics as the
	// scale benchmark runs it: its DaemonSet is most of what the
	// clusters' controllers, scheduler and kwok do for a collection.
	noNodes := filepath.Join(t.TempDir(), "default-without-node-diagnostics.yaml")
	const entry = "    - execCopyFromHost:\n"
	require.Contains(t, string(config.DefaultSpec), entry)
	require.NoError(t, os.WriteFile(noNodes, []byte(strings.Replace(string(config.DefaultSpec), entry, entry+"        exclude: true\n", 1)), 0o644))
	for _, scale := range scales {
		if scale > 0 {
			sz := seed.For(scale)
			require.Equal(t, 1, sz.Nodes, "scale %g needs %d nodes; the clusters here have one", scale, sz.Nodes)
			var wg sync.WaitGroup
			for _, c := range cs {
				_, err := seed.WriteLog(c)
				require.NoError(t, err)
				wg.Go(func() { assert.NoError(t, seed.Seed(t.Context(), t, c, sz), "seed %s", c.Name) })
			}
			wg.Wait()
			require.False(t, t.Failed())
		}
		for _, spec := range []struct {
			name string
			args []string
		}{{"built-in spec", nil}, {"built-in spec without node diagnostics", []string{noNodes}}} {
			alone := func(n string) []string { return append([]string{"--kubeconfig", kcs[n]}, spec.args...) }
			all := func(parallel string) []string {
				return append([]string{"--kubeconfig", kcs["mgmt"], "--all-clusters", "--parallel-targets", parallel}, spec.args...)
			}
			cases := []struct {
				name string
				args [][]string
			}{
				{"mgmt", [][]string{alone("mgmt")}},
				{"w1", [][]string{alone("w1")}},
				{"w2", [][]string{alone("w2")}},
				{"parallel", [][]string{all("3")}},
				{"serial", [][]string{all("1")}},
				// Three runs, one per cluster, at the same time: what
				// collecting the three clusters at once costs this machine,
				// whatever the tool does; the clusters share its 2 cores.
				{"three at once", [][]string{alone("mgmt"), alone("w1"), alone("w2")}},
			}
			runs := map[string][]run{}
			for round := range rounds {
				for k := range cases {
					c := cases[(k+round)%len(cases)]
					r, res := measure(c.args...)
					if c.name == "parallel" {
						require.Len(t, res[0].BundlePaths(), 3)
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
			par, three := median("parallel"), median("three at once")
			t.Logf("%s, latency %s, workload scale %g, medians of %d rounds; alone: mgmt %s, w1 %s, w2 %s", spec.name, delay, scale, rounds, show(median("mgmt")), show(median("w1")), show(median("w2")))
			t.Logf("%s: all three --parallel-targets 3: %s = %.2f x the slowest alone (from the start of collection: %.2f x)", spec.name, show(par),
				par.wall.Seconds()/slowest.wall.Seconds(), (par.wall-par.resolve).Seconds()/slowest.wall.Seconds())
			t.Logf("%s: all three --parallel-targets 1: %s", spec.name, show(median("serial")))
			t.Logf("%s: three runs at once, one per cluster: %s = %.2f x the slowest alone; --parallel-targets 3 takes %.2f x that", spec.name, show(three),
				three.wall.Seconds()/slowest.wall.Seconds(), par.wall.Seconds()/three.wall.Seconds())
		}
	}
}

var (
	metav1GetOptions    = metav1.GetOptions{}
	metav1UpdateOptions = metav1.UpdateOptions{}
)
