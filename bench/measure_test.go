package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/mesosphere/dkp-diagnose/e2e/framework"
)

// sample is one measured run of one tool.
type sample struct {
	wall     time.Duration
	inner    time.Duration // the tool's own figure (collect.Result.Duration), 0 if none
	rssKiB   int64         // peak RSS (VmHWM) of the child process, 0 when run in-process
	bytes    int64         // bundle / output size on disk
	requests requestCount

	// CPU time (user + system) during the run: of the tool (the child, or
	// the benchmark process for the in-process floor), of the cluster's
	// components, and of the whole machine, with the fraction of all
	// cores' time that was busy.
	cpu, clusterCPU, machineCPU time.Duration
	busy                        float64
}

// requestCount counts the reads one tool sent, from the apiserver's audit log.
type requestCount struct {
	lists, logs, otherReads, writes float64
}

func (r requestCount) reads() float64 { return r.lists + r.logs + r.otherReads }

// auditPolicy logs every read at Metadata level (user agent, verb,
// resource) and nothing of the seeding's writes and the components'
// watches. apiserver_request_total on /metrics cannot tell clients apart,
// and it does not count pods/log (a long-running request) as a GET.
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived, ResponseStarted]
rules:
- level: None
  verbs: [watch, create, update, patch, delete, deletecollection]
- level: Metadata
`

// auditFlags turns on the audit log of the bench cluster.
func auditFlags(dir string) (flags []string, logPath string, err error) {
	policy := filepath.Join(dir, "audit-policy.yaml")
	if err := os.WriteFile(policy, []byte(auditPolicy), 0o644); err != nil {
		return nil, "", err
	}
	logPath = filepath.Join(dir, "audit.log")
	return []string{"--audit-policy-file=" + policy, "--audit-log-path=" + logPath, "--audit-log-format=json", "--audit-log-mode=blocking"}, logPath, nil
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// countRequests counts the audit events from offset on whose user agent
// starts with agent.
func countRequests(path string, offset int64, agent string) (requestCount, error) {
	var rc requestCount
	f, err := os.Open(path)
	if err != nil {
		return rc, err
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return rc, err
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var ev struct {
			Verb      string `json:"verb"`
			UserAgent string `json:"userAgent"`
			ObjectRef *struct {
				Resource    string `json:"resource"`
				Subresource string `json:"subresource"`
			} `json:"objectRef"`
		}
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || !strings.HasPrefix(ev.UserAgent, agent) {
			continue
		}
		switch {
		case ev.ObjectRef != nil && ev.ObjectRef.Subresource == "log":
			rc.logs++
		case ev.Verb == "list":
			rc.lists++
		case ev.Verb == "get":
			rc.otherReads++
		default:
			rc.writes++
		}
	}
	return rc, sc.Err()
}

// measure wraps one run with the audit log count of the agent's requests
// and the CPU time the cluster and the machine used meanwhile.
func measure(auditLog, agent string, c *framework.Cluster, run func() (sample, error)) (sample, error) {
	offset := fileSize(auditLog)
	clusterBefore, machineBefore := c.CPUTime(), framework.ReadMachineCPU()
	s, err := run()
	if err != nil {
		return s, err
	}
	s.clusterCPU = c.CPUTime() - clusterBefore
	s.busy, s.machineCPU = framework.ReadMachineCPU().BusySince(machineBefore)
	time.Sleep(200 * time.Millisecond) // let the last events reach the file
	s.requests, err = countRequests(auditLog, offset, agent)
	return s, err
}

var wroteRE = regexp.MustCompile(`(?m)\) in ([0-9.]+[a-zµ]+)\s*$`)

// runDKP runs the dkp-diagnose binary with its defaults (default spec, qps
// 100, burst 200, concurrency 8, redaction on).
func runDKP(ctx context.Context, bin, specFile, kubeconfig, outDir string) (sample, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "--kubeconfig", kubeconfig, "--output-dir", outDir, specFile)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	began := time.Now()
	rss, err := runPeakRSS(cmd)
	s := sample{wall: time.Since(began), rssKiB: rss, cpu: childCPU(cmd)}
	if err != nil {
		return s, fmt.Errorf("dkp-diagnose: %w\n%s", err, tail(stderr.String()))
	}
	path := strings.TrimSpace(stdout.String())
	fi, err := os.Stat(path)
	if err != nil {
		return s, fmt.Errorf("dkp-diagnose bundle: %w", err)
	}
	s.bytes = fi.Size()
	// The "wrote … in <d>" line comes before the summary table.
	if m := wroteRE.FindStringSubmatch(stderr.String()); m != nil {
		s.inner, _ = time.ParseDuration(m[1])
	}
	return s, nil
}

// runKubectl runs `kubectl cluster-info dump -A --output-directory`.
func runKubectl(ctx context.Context, kubeconfig, outDir string) (sample, error) {
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "kubectl", "--kubeconfig", kubeconfig, "cluster-info", "dump", "-A", "--output-directory", outDir)
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	began := time.Now()
	rss, err := runPeakRSS(cmd)
	s := sample{wall: time.Since(began), rssKiB: rss, cpu: childCPU(cmd)}
	if err != nil {
		return s, fmt.Errorf("kubectl cluster-info dump: %w\n%s", err, tail(stderr.String()))
	}
	s.bytes = duBytes(outDir)
	return s, nil
}

// runPeakRSS runs cmd and returns its peak RSS in KiB. ru_maxrss of the
// child (ProcessState.SysUsage) is not honest here: Go starts children with
// vfork (CLONE_VM), and the kernel folds the high-water mark of the mm the
// child leaves at exec — the benchmark process's own — into ru_maxrss. So
// the child's VmHWM (the high-water mark of its own mm) is sampled from
// /proc every 10 ms; the figure misses at most the last 10 ms of growth.
func runPeakRSS(cmd *exec.Cmd) (int64, error) {
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	var peak int64
	sampled := make(chan struct{})
	stop := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			if kib := vmHWM(status); kib > peak {
				peak = kib
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	// The child's mm is gone once it exits: the last tick before that is
	// the final figure.
	err := cmd.Wait()
	close(stop)
	<-sampled
	return peak, err
}

// childCPU is the CPU time (user + system) of a child that has exited.
// Unlike ru_maxrss (see runPeakRSS), the CPU times of wait4 are the
// child's own.
func childCPU(cmd *exec.Cmd) time.Duration {
	if cmd.ProcessState == nil {
		return 0
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

// vmHWM reads VmHWM (KiB) from a /proc/<pid>/status file; 0 if unreadable.
func vmHWM(path string) int64 {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}

func duBytes(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

func tail(s string) string {
	if len(s) > 2000 {
		return "…" + s[len(s)-2000:]
	}
	return s
}

// floorResources are the LISTs of the default spec: clusterResources'
// standard resources (lib/collect/resources.go), secrets (the secret
// collector) and, found through the CRD list, every custom resource. Keep
// in step with lib/collect/resources.go.
var floorResources = []string{
	"/api/v1/namespaces", "/api/v1/nodes", "/api/v1/persistentvolumes", "/api/v1/pods", "/api/v1/events",
	"/api/v1/services", "/api/v1/endpoints", "/api/v1/configmaps", "/api/v1/serviceaccounts",
	"/api/v1/persistentvolumeclaims", "/api/v1/limitranges", "/api/v1/resourcequotas", "/api/v1/secrets",
	"/apis/apps/v1/deployments", "/apis/apps/v1/statefulsets", "/apis/apps/v1/daemonsets", "/apis/apps/v1/replicasets",
	"/apis/batch/v1/jobs", "/apis/batch/v1/cronjobs", "/apis/autoscaling/v2/horizontalpodautoscalers",
	"/apis/networking.k8s.io/v1/ingresses", "/apis/networking.k8s.io/v1/networkpolicies", "/apis/networking.k8s.io/v1/ingressclasses",
	"/apis/discovery.k8s.io/v1/endpointslices", "/apis/policy/v1/poddisruptionbudgets",
	"/apis/rbac.authorization.k8s.io/v1/roles", "/apis/rbac.authorization.k8s.io/v1/rolebindings",
	"/apis/rbac.authorization.k8s.io/v1/clusterroles", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
	"/apis/coordination.k8s.io/v1/leases", "/apis/storage.k8s.io/v1/storageclasses", "/apis/storage.k8s.io/v1/volumeattachments",
	"/apis/storage.k8s.io/v1/csidrivers", "/apis/storage.k8s.io/v1/csinodes", "/apis/scheduling.k8s.io/v1/priorityclasses",
	"/apis/node.k8s.io/v1/runtimeclasses", "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations",
	"/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations", "/apis/apiregistration.k8s.io/v1/apiservices",
	"/apis/certificates.k8s.io/v1/certificatesigningrequests", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
}

// User agents the audit log tells the tools apart by.
const (
	dkpAgent     = "dkp-diagnose/"
	floorAgent   = "dkp-bench-floor"
	kubectlAgent = "kubectl"
)

// Client settings of the dkp-diagnose CLI (cmd/dkp-diagnose/app/root.go).
const (
	cliQPS         = 100
	cliBurst       = 200
	cliConcurrency = 8
	cliMaxLines    = 10000   // lib/collect/pod_logs.go defaultMaxLines
	cliMaxBytes    = 5 << 20 // defaultMaxBytes
)

// runFloor is the least any collector of the same data must do: one
// paginated cluster-wide LIST (page 500) of every resource type the default
// spec lists, the logs of every running container, all written to disk
// raw, cliConcurrency requests in flight, with the CLI's QPS and burst.
func runFloor(ctx context.Context, base *rest.Config, outDir string) (sample, error) {
	cfg := rest.CopyConfig(base)
	cfg.QPS, cfg.Burst = cliQPS, cliBurst
	cfg.UserAgent = floorAgent
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return sample{}, err
	}
	rc := cs.CoreV1().RESTClient()
	began, cpuBefore := time.Now(), framework.SelfCPUTime()
	sem := make(chan struct{}, cliConcurrency)
	var wg sync.WaitGroup
	var errMu sync.Mutex
	var firstErr error
	fail := func(err error) {
		errMu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		errMu.Unlock()
	}
	var spawn func(job func() error)
	spawn = func(job func() error) {
		wg.Go(func() {
			sem <- struct{}{}
			err := job()
			<-sem
			if err != nil {
				fail(err)
			}
		})
	}
	fetchLog := func(ns, pod, container string) error {
		f, err := os.Create(filepath.Join(outDir, "logs", ns+"_"+pod+"_"+container+".log"))
		if err != nil {
			return err
		}
		defer f.Close()
		lines, limit := int64(cliMaxLines), int64(cliMaxBytes)
		stream, err := cs.CoreV1().Pods(ns).GetLogs(pod, &corev1.PodLogOptions{Container: container, TailLines: &lines, LimitBytes: &limit}).Stream(ctx)
		if err != nil {
			return fmt.Errorf("logs %s/%s/%s: %w", ns, pod, container, err)
		}
		defer stream.Close()
		_, err = io.Copy(f, stream)
		return err
	}
	var list func(path string) error
	list = func(path string) error {
		f, err := os.Create(filepath.Join(outDir, strings.ReplaceAll(strings.Trim(path, "/"), "/", "_")+".json"))
		if err != nil {
			return err
		}
		defer f.Close()
		cont := ""
		for {
			req := rc.Get().AbsPath(path).SetHeader("Accept", "application/json").Param("limit", "500")
			if cont != "" {
				req = req.Param("continue", cont)
			}
			raw, err := req.DoRaw(ctx)
			if err != nil {
				return fmt.Errorf("list %s: %w", path, err)
			}
			if _, err := f.Write(raw); err != nil {
				return err
			}
			// Only what the floor must know to go on: the continue token,
			// and for pods and CRDs what to fetch next.
			var page struct {
				Metadata struct {
					Continue string `json:"continue"`
				} `json:"metadata"`
				Items []json.RawMessage `json:"items"`
			}
			if err := json.Unmarshal(raw, &page); err != nil {
				return err
			}
			for _, it := range page.Items {
				switch {
				case strings.HasSuffix(path, "/pods"):
					var p corev1.Pod
					if err := json.Unmarshal(it, &p); err != nil {
						return err
					}
					for _, st := range p.Status.ContainerStatuses {
						if st.State.Running != nil || st.State.Terminated != nil {
							ns, name, c := p.Namespace, p.Name, st.Name
							spawn(func() error { return fetchLog(ns, name, c) })
						}
					}
				case strings.HasSuffix(path, "/customresourcedefinitions"):
					var crd struct {
						Spec struct {
							Group    string                  `json:"group"`
							Names    struct{ Plural string } `json:"names"`
							Versions []struct {
								Name    string `json:"name"`
								Storage bool   `json:"storage"`
							} `json:"versions"`
						} `json:"spec"`
					}
					if err := json.Unmarshal(it, &crd); err != nil {
						return err
					}
					for _, v := range crd.Spec.Versions {
						if v.Storage {
							p := "/apis/" + crd.Spec.Group + "/" + v.Name + "/" + crd.Spec.Names.Plural
							spawn(func() error { return list(p) })
						}
					}
				}
			}
			if cont = page.Metadata.Continue; cont == "" {
				return nil
			}
		}
	}
	if err := os.MkdirAll(filepath.Join(outDir, "logs"), 0o755); err != nil {
		return sample{}, err
	}
	for _, p := range floorResources {
		spawn(func() error { return list(p) })
	}
	wg.Wait()
	s := sample{wall: time.Since(began), cpu: framework.SelfCPUTime() - cpuBefore}
	s.bytes = duBytes(outDir)
	return s, firstErr
}
