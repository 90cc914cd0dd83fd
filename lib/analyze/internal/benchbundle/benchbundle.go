// Package benchbundle builds the bundle the analysis benchmarks run over,
// shaped like the scale-1 collection benchmark's (docs/benchmarks.md), and
// measures a benchmark's CPU time and peak heap. It is for benchmarks
// only.
package benchbundle

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	bundlewriter "github.com/mesosphere/dkp-diagnose/lib/collect/bundle"
)

// The benchmark bundle: 200 namespaces × (5 two-replica Deployments and
// their ReplicaSets, 10 pods, 50 ConfigMaps, 20 events), 20 nodes, and one
// log per pod. DKP_BENCH_ANALYZE_LOG_KIB sets the log size (default 200,
// scale 1's): about 137 MiB compressed, 540 MB of logs.
const (
	benchNamespaces = 200
	benchNodes      = 20
)

var (
	benchOnce   sync.Once
	benchBundle string
	benchErr    error
)

func benchLogKiB() int {
	if v, err := strconv.Atoi(os.Getenv("DKP_BENCH_ANALYZE_LOG_KIB")); err == nil && v >= 0 {
		return v
	}
	return 200
}

// Archive writes the benchmark bundle once per process, in a temporary
// folder, and returns the archive's path.
func Archive(b *testing.B) string {
	b.Helper()
	benchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "dkp-analyze-bench-")
		if err != nil {
			benchErr = err
			return
		}
		benchBundle, benchErr = writeScaleBundle(dir, benchLogKiB())
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchBundle
}

func writeScaleBundle(dir string, logKiB int) (string, error) {
	w, err := bundlewriter.Create(dir, "scale-", time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC))
	if err != nil {
		return "", err
	}
	put := func(name, data string) {
		if err == nil {
			err = w.WriteFile(name, []byte(data))
		}
	}
	put("version.yaml", "apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\n")
	put("cluster-info/cluster_version.json", `{"info":{"major":"1","minor":"31"},"string":"v1.31.4"}`)
	var nodes []string
	for i := range benchNodes {
		nodes = append(nodes, fmt.Sprintf(`{"kind":"Node","apiVersion":"v1","metadata":{"name":"kwok-%d","labels":{"kubernetes.io/hostname":"kwok-%d","type":"kwok"}},"status":{"capacity":{"cpu":"32","memory":"256Gi","pods":"110"},"allocatable":{"cpu":"32","memory":"256Gi","pods":"110"},"conditions":[{"type":"Ready","status":"True","reason":"KubeletReady"}],"nodeInfo":{"architecture":"amd64","kubeletVersion":"fake"}}}`, i, i))
	}
	put("cluster-resources/nodes.json", listOf("NodeList", nodes))
	rng := rand.New(rand.NewPCG(1, 2))
	words := []string{"GET", "/api/v1", "200", "ok", "user", "cache", "miss", "hit", "took", "ms", "request", "db", "query", "retry"}
	logLine := func() string {
		var sb strings.Builder
		fmt.Fprintf(&sb, "2026-12-04T10:%02d:%02dZ", rng.IntN(60), rng.IntN(60))
		for range 8 {
			sb.WriteString(" ")
			sb.WriteString(words[rng.IntN(len(words))])
			sb.WriteString(strconv.Itoa(rng.IntN(1000)))
		}
		sb.WriteString("\n")
		return sb.String()
	}
	for n := range benchNamespaces {
		ns := fmt.Sprintf("bench-%03d", n)
		var deps, rss, pods, cms, events []string
		for d := range 5 {
			name := fmt.Sprintf("app-%d", d)
			deps = append(deps, fmt.Sprintf(`{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":%q,"namespace":%q,"labels":{"app":%q}},"spec":{"replicas":2,"selector":{"matchLabels":{"app":%q}},"template":{"metadata":{"labels":{"app":%q}},"spec":{"containers":[{"name":"main","image":"example.invalid/app:1"}]}}},"status":{"replicas":2,"readyReplicas":2,"availableReplicas":2,"updatedReplicas":2}}`, name, ns, name, name, name))
			rss = append(rss, fmt.Sprintf(`{"kind":"ReplicaSet","apiVersion":"apps/v1","metadata":{"name":"%s-5d8f","namespace":%q,"labels":{"app":%q}},"spec":{"replicas":2},"status":{"replicas":2,"readyReplicas":2,"availableReplicas":2}}`, name, ns, name))
			for r := range 2 {
				pod := fmt.Sprintf("%s-5d8f-%d", name, r)
				pods = append(pods, fmt.Sprintf(`{"kind":"Pod","apiVersion":"v1","metadata":{"name":%q,"namespace":%q,"uid":"%s-%s","labels":{"app":%q},"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"%s-5d8f","uid":"x","controller":true}]},"spec":{"nodeName":"kwok-%d","containers":[{"name":"main","image":"example.invalid/app:1","resources":{"requests":{"cpu":"10m","memory":"16Mi"}}}]},"status":{"phase":"Running","conditions":[{"type":"Initialized","status":"True"},{"type":"Ready","status":"True"},{"type":"ContainersReady","status":"True"},{"type":"PodScheduled","status":"True"}],"hostIP":"10.0.0.1","podIP":"10.1.0.1","startTime":"2026-12-04T09:00:00Z","containerStatuses":[{"name":"main","ready":true,"restartCount":0,"image":"example.invalid/app:1","imageID":"","started":true,"state":{"running":{"startedAt":"2026-12-04T09:00:01Z"}}}]}}`, pod, ns, ns, pod, name, name, rng.IntN(benchNodes)))
				var lb strings.Builder
				for lb.Len() < logKiB<<10 {
					lb.WriteString(logLine())
				}
				put(fmt.Sprintf("cluster-resources/pods/logs/%s/%s/main.log", ns, pod), lb.String())
			}
		}
		for c := range 50 {
			cms = append(cms, fmt.Sprintf(`{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"cm-%d","namespace":%q},"data":{"key":%q}}`, c, ns, strings.Repeat("v", 512)))
		}
		for e := range 20 {
			events = append(events, fmt.Sprintf(`{"kind":"Event","apiVersion":"v1","metadata":{"name":"ev-%d","namespace":%q},"involvedObject":{"kind":"Pod","namespace":%q,"name":"app-0-5d8f-0"},"reason":"Pulled","message":"Container image already present","type":"Normal"}`, e, ns, ns))
		}
		put("cluster-resources/deployments/"+ns+".json", listOf("DeploymentList", deps))
		put("cluster-resources/replicasets/"+ns+".json", listOf("ReplicaSetList", rss))
		put("cluster-resources/pods/"+ns+".json", listOf("PodList", pods))
		put("cluster-resources/configmaps/"+ns+".json", listOf("ConfigMapList", cms))
		put("cluster-resources/events/"+ns+".json", listOf("EventList", events))
		put("cluster-resources/statefulsets/"+ns+".json", listOf("StatefulSetList", nil))
		put("cluster-resources/jobs/"+ns+".json", listOf("JobList", nil))
	}
	if err != nil {
		_ = w.Abort()
		return "", err
	}
	return w.Path(), w.Close()
}

func listOf(kind string, items []string) string {
	return `{"kind":"` + kind + `","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[` + strings.Join(items, ",") + "]}"
}

// Spec has troubleshoot analyzers of every family; its textAnalyze reads
// every pod log.
const Spec = `apiVersion: troubleshoot.sh/v1beta2
kind: Analyzer
metadata: {name: bench}
spec:
  analyzers:
  - clusterVersion: {outcomes: [{fail: {when: "< 1.28.0", message: old}}, {pass: {message: ok}}]}
  - nodeResources: {outcomes: [{fail: {when: "count() < 3", message: few}}, {pass: {message: "{{ .NodeCount }} nodes"}}]}
  - nodeResources: {checkName: memory, outcomes: [{fail: {when: "sum(memoryCapacity) < 64Gi", message: small}}, {pass: {message: big}}]}
  - deploymentStatus: {}
  - deploymentStatus: {name: app-0, namespace: bench-007, outcomes: [{fail: {when: "< 2", message: down}}, {pass: {message: up}}]}
  - replicasetStatus: {}
  - statefulsetStatus: {}
  - jobStatus: {}
  - clusterPodStatuses: {outcomes: [{fail: {when: "== CrashLoopBackOff"}}, {warn: {when: "!= Healthy"}}]}
  - clusterContainerStatuses: {outcomes: [{fail: {when: "== OOMKilled"}}, {pass: {message: none}}]}
  - event: {namespace: bench-001, reason: FailedScheduling, outcomes: [{fail: {when: "true", message: x}}, {pass: {when: "false", message: none}}]}
  - textAnalyze:
      checkName: panics
      collectorName: cluster-resources/pods/logs
      fileName: "*/*/main.log"
      regex: 'panic: '
      outcomes: [{fail: {when: "true", message: panic}}, {pass: {when: "false", message: none}}]
`

// SpecNoLogs is Spec without its textAnalyze: analyzers that read object
// lists only, as a spec without log analyzers (the default spec has no
// analyzers at all).
var SpecNoLogs = Spec[:strings.Index(Spec, "  - textAnalyze:")]

// CPUTime is the process's user and system CPU time: on a loaded machine
// (CI, several jobs at once) wall time says more about the neighbours.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// HeapSampler records the peak HeapInuse while it runs.
type HeapSampler struct {
	peak atomic.Uint64
	stop chan struct{}
	done chan struct{}
}

// StartHeapSampler samples HeapInuse every 20 ms until Stop.
func StartHeapSampler() *HeapSampler {
	s := &HeapSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > s.peak.Load() {
				s.peak.Store(ms.HeapInuse)
			}
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// Stop ends the sampling and returns the peak.
func (s *HeapSampler) Stop() uint64 {
	close(s.stop)
	<-s.done
	return s.peak.Load()
}

// HeapInuse is the heap in use after a garbage collection: a baseline.
func HeapInuse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}
