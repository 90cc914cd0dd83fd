package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mesosphere/dkp-diagnose/config"
	"github.com/mesosphere/dkp-diagnose/e2e/framework"
	"github.com/mesosphere/dkp-diagnose/e2e/seed"
	"github.com/mesosphere/dkp-diagnose/lib/collect"
	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

// Environment of BenchmarkScale.
const (
	envScales  = "BENCH_SCALES"  // scales, comma- or blank-separated; default "0.1,1"
	envRounds  = "BENCH_ROUNDS"  // rounds per scale; default 3
	envDoc     = "BENCH_DOC"     // markdown file whose results section is replaced
	envProfile = "BENCH_PROFILE" // folder for a CPU and a peak heap profile of one in-process collect.Run per scale
	envCommand = "BENCH_COMMAND" // the command line recorded in the doc
	envDKPBin  = "BENCH_DKP_BIN" // dkp-diagnose binaries to measure instead of building ./cmd/dkp-diagnose: path or label=path, comma-separated
	envTools   = "BENCH_TOOLS"   // the tools to run, comma-separated: dkp-diagnose, floor, kubectl; default all
)

const (
	toolDKP     = "dkp-diagnose"
	toolFloor   = "floor"
	toolKubectl = "kubectl cluster-info dump"
)

// tool is one column of the comparison: a kind of tool and, for
// dkp-diagnose, the binary measured.
type tool struct {
	name string // as the table shows it
	kind string // toolDKP, toolFloor or toolKubectl
	bin  string // the dkp-diagnose binary
}

// toolKinds maps the names BENCH_TOOLS accepts to kinds.
var toolKinds = map[string]string{"dkp-diagnose": toolDKP, "floor": toolFloor, "kubectl": toolKubectl}

// parseTools reads BENCH_TOOLS. Leaving out kubectl (~160 s a round at
// scale 1) makes an iteration on dkp-diagnose several times shorter.
func parseTools(v string) ([]string, error) {
	if v == "" {
		return []string{toolDKP, toolFloor, toolKubectl}, nil
	}
	var kinds []string
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
		kind, ok := toolKinds[f]
		if !ok {
			return nil, fmt.Errorf("%s: unknown tool %q (want dkp-diagnose, floor or kubectl)", envTools, f)
		}
		if !slices.Contains(kinds, kind) {
			kinds = append(kinds, kind)
		}
	}
	return kinds, nil
}

// dkpBinaries reads BENCH_DKP_BIN: several binaries (say, before and after
// a change) measured on the same seeded cluster, interleaved, compare far
// better than two runs on two clusters of a busy machine.
func dkpBinaries(v string) ([]tool, error) {
	var out []tool
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		label, path, ok := strings.Cut(f, "=")
		if !ok {
			label, path = filepath.Base(f), f
		}
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("%s: %w", envDKPBin, err)
		}
		out = append(out, tool{name: toolDKP + " (" + label + ")", kind: toolDKP, bin: path})
	}
	if len(out) == 1 {
		out[0].name = toolDKP
	}
	return out, nil
}

// BenchmarkScale is the harness of issue #8. It ignores b.N: run it with
// -benchtime 1x (make bench does).
func BenchmarkScale(b *testing.B) {
	if os.Getenv(framework.BinDirEnv) == "" {
		b.Skipf("%s is not set: the scale benchmark needs the control-plane binaries; run `make bench`, or `export %s=$(hack/test-bins.sh)` first",
			framework.BinDirEnv, framework.BinDirEnv)
	}
	kinds, err := parseTools(os.Getenv(envTools))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := exec.LookPath("kubectl"); err != nil && slices.Contains(kinds, toolKubectl) {
		b.Skipf("kubectl is not in PATH: it is the reference point of the scale benchmark (%s=dkp-diagnose,floor leaves it out)", envTools)
	}
	scales, err := parseScales(os.Getenv(envScales))
	if err != nil {
		b.Fatal(err)
	}
	rounds := 3
	if v := os.Getenv(envRounds); v != "" {
		if rounds, err = strconv.Atoi(v); err != nil || rounds < 1 {
			b.Fatalf("%s=%q: want a positive number", envRounds, v)
		}
	}
	var tools []tool
	for _, kind := range kinds {
		if kind != toolDKP {
			tools = append(tools, tool{name: kind, kind: kind})
			continue
		}
		bins, err := dkpBinaries(os.Getenv(envDKPBin))
		if err != nil {
			b.Fatal(err)
		}
		if len(bins) == 0 {
			bins = []tool{{name: toolDKP, kind: toolDKP, bin: buildCLI(b)}}
		}
		for _, t := range bins {
			b.Logf("measuring %s: %s", t.name, t.bin)
		}
		tools = append(tools, bins...)
	}
	specFile := writeSpec(b)
	var results []scaleResult
	for _, scale := range scales {
		results = append(results, runScale(b, tools, specFile, scale, rounds))
	}
	table := markdownTable(results, tools, rounds)
	b.Logf("\n%s", table)
	fmt.Println(table)
	if doc := os.Getenv(envDoc); doc != "" {
		if err := writeDoc(doc, table); err != nil {
			b.Fatal(err)
		}
		b.Logf("results written to %s", doc)
	}
}

func parseScales(v string) ([]float64, error) {
	if v == "" {
		v = "0.1,1"
	}
	var out []float64
	// Commas or blanks: BENCH_SCALES="0.1 1" reads as well as "0.1,1".
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
		s, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || s <= 0 || s > 5 {
			return nil, fmt.Errorf("%s: bad scale %q (want 0 < scale ≤ 5)", envScales, f)
		}
		out = append(out, s)
	}
	return out, nil
}

// buildCLI builds the real binary: its peak RSS is the honest memory figure.
func buildCLI(b *testing.B) string {
	bin := filepath.Join(b.TempDir(), "dkp-diagnose")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/mesosphere/dkp-diagnose/cmd/dkp-diagnose")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build dkp-diagnose: %v\n%s", err, out)
	}
	return bin
}

type scaleResult struct {
	sizes   seed.Sizes
	samples map[string][]sample
}

func runScale(b *testing.B, tools []tool, specFile string, scale float64, rounds int) scaleResult {
	sz := seed.For(scale)
	name := "bench-" + strings.ReplaceAll(strconv.FormatFloat(scale, 'f', -1, 64), ".", "p")
	flags, auditLog, err := auditFlags(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	c := framework.Start(b, framework.Options{Name: name, Workers: sz.Nodes, APIServerFlags: flags})
	defer c.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Minute)
	defer cancel()
	if _, err := seed.WriteLog(c); err != nil {
		b.Fatal(err)
	}
	if err := seed.Seed(ctx, b, c, sz); err != nil {
		b.Fatalf("seed scale %g: %v", scale, err)
	}
	res := scaleResult{sizes: sz, samples: map[string][]sample{}}
	work := b.TempDir()
	for round := 1; round <= rounds; round++ {
		// Rotate the order so no tool always runs right after another.
		for i := range tools {
			tool := tools[(i+round-1)%len(tools)]
			out := filepath.Join(work, fmt.Sprintf("%s-%d-%d", strings.Fields(tool.kind)[0], i, round))
			if err := os.MkdirAll(out, 0o755); err != nil {
				b.Fatal(err)
			}
			agent := map[string]string{toolDKP: dkpAgent, toolFloor: floorAgent, toolKubectl: kubectlAgent}[tool.kind]
			s, err := measure(auditLog, agent, c, func() (sample, error) {
				switch tool.kind {
				case toolDKP:
					return runDKP(ctx, tool.bin, specFile, c.KubeconfigPath, out)
				case toolFloor:
					return runFloor(ctx, c.RESTConfig(), out)
				default:
					return runKubectl(ctx, c.KubeconfigPath, out)
				}
			})
			if err != nil {
				b.Fatalf("scale %g round %d %s: %v", scale, round, tool.name, err)
			}
			b.Logf("scale %g round %d %-26s wall %-8s rss %6.1f MiB  size %7.1f MiB  reads %5.0f (LIST %4.0f, log %4.0f, other GET %3.0f)  CPU tool %s cluster %s machine %s (%.0f%% busy)",
				scale, round, tool.name, s.wall.Round(time.Millisecond), float64(s.rssKiB)/1024, float64(s.bytes)/(1<<20),
				s.requests.reads(), s.requests.lists, s.requests.logs, s.requests.otherReads,
				s.cpu.Round(10*time.Millisecond), s.clusterCPU.Round(10*time.Millisecond), s.machineCPU.Round(10*time.Millisecond), 100*s.busy)
			res.samples[tool.name] = append(res.samples[tool.name], s)
			// Keep the disk small: a round's output is measured, then gone.
			if err := os.RemoveAll(out); err != nil {
				b.Fatal(err)
			}
		}
	}
	if dir := os.Getenv(envProfile); dir != "" {
		profileCollect(b, ctx, c, specFile, scale, dir)
	}
	return res
}

// profileCollect runs collect.Run in-process once with the CLI's settings
// under the CPU profiler, and keeps a heap profile of its peak live heap.
func profileCollect(b *testing.B, ctx context.Context, c *framework.Cluster, specFile string, scale float64, dir string) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	s, err := spec.LoadFiles(specFile)
	if err != nil {
		b.Fatal(err)
	}
	cfg := c.RESTConfig()
	cfg.QPS, cfg.Burst = cliQPS, cliBurst
	file := filepath.Join(dir, fmt.Sprintf("cpu-scale-%g.pprof", scale))
	f, err := os.Create(file)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	// Sample every 64 KiB allocated rather than 512 KiB: the peak is a few
	// MiB of buffers, which the default rate sees as a handful of samples.
	defer func(rate int) { runtime.MemProfileRate = rate }(runtime.MemProfileRate)
	runtime.MemProfileRate = 64 << 10
	runtime.GC() // the harness's own garbage is not the run's
	peak := watchPeakHeap()
	cpu, clusterCPU := framework.SelfCPUTime(), c.CPUTime()
	work, err := collect.NewPlan(s.WithDefaults(), collect.PlanOptions{Redact: true})
	if err != nil {
		b.Fatal(err)
	}
	res, err := collect.Run(ctx, cfg, work, collect.Options{OutputDir: b.TempDir(), Concurrency: cliConcurrency})
	cpu, clusterCPU = framework.SelfCPUTime()-cpu, c.CPUTime()-clusterCPU
	pprof.StopCPUProfile()
	live, heapProfile := peak()
	if err != nil {
		b.Fatal(err)
	}
	heapFile := filepath.Join(dir, fmt.Sprintf("heap-peak-scale-%g.pprof", scale))
	if err := os.WriteFile(heapFile, heapProfile, 0o644); err != nil {
		b.Fatal(err)
	}
	b.Logf("scale %g: in-process collect.Run took %s, CPU %s (cluster %s); CPU profile in %s; peak live heap %.1f MiB, its heap profile in %s", scale,
		res.Duration.Round(time.Millisecond), cpu.Round(10*time.Millisecond), clusterCPU.Round(10*time.Millisecond), file,
		float64(live)/(1<<20), heapFile)
}

// watchPeakHeap samples the live heap (as of the last GC) until the
// returned func is called, which returns its peak and a heap profile taken
// then. Peak RSS follows the peak live heap (the GC lets the heap grow to
// about twice it), so that profile shows what to make smaller; one taken at
// the end of a run shows what is left, not what peaked.
func watchPeakHeap() func() (uint64, []byte) {
	stop, done := make(chan struct{}), make(chan struct{})
	var peak uint64
	var profile bytes.Buffer
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	go func() {
		defer close(done)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if live := sample[0].Value.Uint64(); live > peak {
				peak = live
				profile.Reset()
				_ = pprof.Lookup("heap").WriteTo(&profile, 0)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() (uint64, []byte) {
		close(stop)
		<-done
		return peak, profile.Bytes()
	}
}

func median[T any](xs []T, key func(T) float64) float64 {
	v := make([]float64, len(xs))
	for i, x := range xs {
		v[i] = key(x)
	}
	slices.Sort(v)
	if len(v) == 0 {
		return 0
	}
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func markdownTable(results []scaleResult, tools []tool, rounds int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Medians of %d interleaved rounds, measured %s on %s (load average at the end: %s).\n\n",
		rounds, time.Now().UTC().Format("2006-01-02"), machine(), loadAvg())
	b.WriteString("| scale | tool | wall time | × floor | peak RSS | API reads (LIST + log + other GET) | output | CPU: tool / cluster / machine (busy) |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range results {
		floor := median(r.samples[toolFloor], func(s sample) float64 { return s.wall.Seconds() })
		for _, tool := range tools {
			ss := r.samples[tool.name]
			wall := median(ss, func(s sample) float64 { return s.wall.Seconds() })
			ratio := "—"
			if floor > 0 {
				ratio = fmt.Sprintf("%.2f", wall/floor)
			}
			rss := "—"
			if m := median(ss, func(s sample) float64 { return float64(s.rssKiB) }); m > 0 {
				rss = fmt.Sprintf("%.0f MiB", m/1024)
			}
			note := ""
			if tool.kind == toolDKP {
				note = " (gzip tar)"
			}
			fmt.Fprintf(&b, "| %g | %s | %.2f s | %s | %s | %.0f (%.0f + %.0f + %.0f) | %.1f MiB%s | %.1f / %.1f / %.1f s (%.0f%%) |\n",
				r.sizes.Scale, tool.name, wall, ratio, rss,
				median(ss, func(s sample) float64 { return s.requests.reads() }),
				median(ss, func(s sample) float64 { return s.requests.lists }),
				median(ss, func(s sample) float64 { return s.requests.logs }),
				median(ss, func(s sample) float64 { return s.requests.otherReads }),
				median(ss, func(s sample) float64 { return float64(s.bytes) })/(1<<20), note,
				median(ss, func(s sample) float64 { return s.cpu.Seconds() }),
				median(ss, func(s sample) float64 { return s.clusterCPU.Seconds() }),
				median(ss, func(s sample) float64 { return s.machineCPU.Seconds() }),
				100*median(ss, func(s sample) float64 { return s.busy }))
		}
	}
	b.WriteString("\nScales:\n\n")
	for _, r := range results {
		fmt.Fprintf(&b, "- %g: %s, %d KiB of log per container\n", r.sizes.Scale, r.sizes, seed.LogBytes>>10)
	}
	return b.String()
}

func machine() string {
	n := "?"
	if out, err := exec.Command("nproc").Output(); err == nil {
		n = strings.TrimSpace(string(out))
	}
	return n + " CPUs"
}

func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(data))[:3], " ")
}

const (
	docBegin = "<!-- bench:results:begin -->"
	docEnd   = "<!-- bench:results:end -->"
)

// writeDoc replaces the results section of the doc (between docBegin and
// docEnd) with the table and the command that produced it.
func writeDoc(path, table string) error {
	old, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	text := string(old)
	i, j := strings.Index(text, docBegin), strings.Index(text, docEnd)
	if i < 0 || j < i {
		return fmt.Errorf("%s has no %s … %s section", path, docBegin, docEnd)
	}
	command := os.Getenv(envCommand)
	if command == "" {
		command = "go test ./bench -run '^$' -bench BenchmarkScale -benchtime 1x -timeout 120m"
	}
	section := fmt.Sprintf("%s\nProduced by `%s` (%s=%q).\n\n%s%s", docBegin, command, envScales, os.Getenv(envScales), table, docEnd)
	return os.WriteFile(path, []byte(text[:i]+section+text[j+len(docEnd):]), 0o644)
}

// writeSpec writes the built-in spec with node-diagnostics excluded: the
// benchmark measures reading the API, and the floor has no DaemonSet to run.
func writeSpec(b *testing.B) string {
	const entry = "    - execCopyFromHost:\n"
	text := string(config.DefaultSpec)
	if !strings.Contains(text, entry) {
		b.Fatalf("the built-in spec has no %q entry to exclude", strings.TrimSpace(entry))
	}
	text = strings.Replace(text, entry, entry+"        exclude: true\n", 1)
	p := filepath.Join(b.TempDir(), "default-without-node-diagnostics.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		b.Fatal(err)
	}
	return p
}
