package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/utils/ptr"

	"github.com/mesosphere/dkp-diagnose/cmd/dkp-diagnose/app"
	"github.com/mesosphere/dkp-diagnose/e2e/clitest"
	"github.com/mesosphere/dkp-diagnose/e2e/framework"
	"github.com/mesosphere/dkp-diagnose/lib/analyze"
	"github.com/mesosphere/dkp-diagnose/lib/analyze/builtin"
	"github.com/mesosphere/dkp-diagnose/lib/analyze/bundlefs"
	"github.com/mesosphere/dkp-diagnose/lib/analyze/correlate"
	"github.com/mesosphere/dkp-diagnose/lib/analyze/report"
)

// analyzeSpec collects what the built-in analyzers read: resources,
// secrets (their names tell whether a kubeconfig secret exists) and the
// node collector's files, whose fixtures the test sets per node.
const analyzeSpec = `apiVersion: troubleshoot.sh/v1beta2
kind: SupportBundle
spec:
  collectors:
    - clusterInfo: {}
    - clusterResources: {}
    - secret:
        selector: [""]
    - execCopyFromHost:
        name: node-diagnostics
        namespace: diag
        image: registry.example/diag/collector:1.2
        command: ["/collect", "--out", "/output"]
        timeout: 4s
        daemonSetTimeout: 4s
        includeControlPlane: true
        extractArchive: true
`

// certReport is a node collector certs_expiration line.
func certReport(path string, daysLeft int) string {
	notAfter := time.Now().Add(time.Duration(daysLeft)*24*time.Hour + time.Hour).UTC().Format(time.RFC3339)
	line := fmt.Sprintf("%s subject=%q issuer=%q notBefore=2025-01-01T00:00:00Z notAfter=%s daysLeft=%d", path, "CN="+filepath.Base(path), "CN=kubernetes", notAfter, daysLeft)
	if daysLeft < 0 {
		line += " EXPIRED"
	}
	return line + "\n"
}

// certRoots writes each node's node-collector output: healthy
// certificates, except where certs names a node's report.
func certRoots(t *testing.T, nodes []string, certs map[string]string) string {
	dir := t.TempDir()
	for _, n := range nodes {
		report, ok := certs[n]
		if !ok {
			report = certReport("/etc/kubernetes/pki/ca.crt", 3000) + certReport("/var/lib/kubelet/pki/kubelet.crt", 300)
		}
		writeFile(t, dir, filepath.Join(n, "data", "certs_expiration"), report)
	}
	return dir
}

// createObjects creates every object of a YAML file with the dynamic
// client, status included (the test CRDs have no status subresource).
func createObjects(t *testing.T, c *framework.Cluster, file string) {
	t.Helper()
	f, err := os.Open(file)
	require.NoError(t, err)
	defer f.Close()
	dec := utilyaml.NewYAMLOrJSONDecoder(f, 4096)
	for {
		obj := &unstructured.Unstructured{}
		err := dec.Decode(&obj.Object)
		if errors.Is(err, io.EOF) {
			return
		}
		require.NoError(t, err, file)
		gv, err := schema.ParseGroupVersion(obj.GetAPIVersion())
		require.NoError(t, err)
		gvr := gv.WithResource(strings.ToLower(obj.GetKind()) + "s")
		_, err = c.Dynamic.Resource(gvr).Namespace(obj.GetNamespace()).Create(context.Background(), obj, metav1.CreateOptions{})
		require.NoError(t, err, "%s %s", obj.GetKind(), obj.GetName())
	}
}

// breakWorkloads gives c pods that cannot start, a failed Job, a Pending
// claim and a webhook without endpoints, each made by the real control
// plane where it can (scheduler, Job controller, PV controller) and
// otherwise by setting the pod status a kubelet would report, on the
// stuck node where kwok leaves pods alone.
func breakWorkloads(t *testing.T, c *framework.Cluster) {
	t.Helper()
	ctx := context.Background()
	stuck := c.StuckNodes()[0]
	mustCreateNamespace(t, c.Client, "app")
	mustCreateNamespace(t, c.Client, "hooks")
	pods := c.Client.CoreV1().Pods("app")

	pod := func(name, node string, cpu string) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "app"},
			Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "main", Image: "registry.example/app/" + name + ":1"}}}}
		if cpu != "" {
			p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu)}
		}
		return p
	}
	setStatus := func(name string, cs corev1.ContainerStatus) {
		p, err := pods.Create(ctx, pod(name, stuck, ""), metav1.CreateOptions{})
		require.NoError(t, err)
		cs.Name, cs.Image = "main", p.Spec.Containers[0].Image
		p.Status = corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{cs},
			Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue}}}
		_, err = pods.UpdateStatus(ctx, p, metav1.UpdateOptions{})
		require.NoError(t, err, name)
	}
	setStatus("crashy", corev1.ContainerStatus{RestartCount: 7,
		State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 5m0s restarting failed container"}},
		LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 137, Reason: "OOMKilled"}}})
	setStatus("nopull", corev1.ContainerStatus{
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: `Back-off pulling image "registry.example/app/nopull:1"`}}})

	// Nothing has 1000 CPUs: the scheduler says so.
	_, err := pods.Create(ctx, pod("huge", "", "1000"), metav1.CreateOptions{})
	require.NoError(t, err)

	// The Job controller fails a Job past its deadline; its pod waits on
	// the stuck node meanwhile.
	job := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "migrate", Namespace: "app"},
		Spec: batchv1.JobSpec{ActiveDeadlineSeconds: ptr.To(int64(1)), BackoffLimit: ptr.To(int32(0)),
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{NodeName: stuck, RestartPolicy: corev1.RestartPolicyNever,
				Containers: []corev1.Container{{Name: "main", Image: "registry.example/app/migrate:1"}}}}}}
	_, err = c.Client.BatchV1().Jobs("app").Create(ctx, job, metav1.CreateOptions{})
	require.NoError(t, err)

	_, err = c.Client.CoreV1().PersistentVolumeClaims("app").Create(ctx, &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "data", Namespace: "app"},
		Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: ptr.To("missing"), AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)

	// A webhook whose service selects no pod. Its rules match a resource
	// nobody creates, so it breaks nothing else of the test.
	_, err = c.Client.CoreV1().Services("hooks").Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "nohook", Namespace: "hooks"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "nohook"}, Ports: []corev1.ServicePort{{Port: 443}}}}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = c.Client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, &admissionv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "dkp-test-nohook"},
		Webhooks: []admissionv1.ValidatingWebhook{{
			Name:                    "check.dkp.example.com",
			ClientConfig:            admissionv1.WebhookClientConfig{Service: &admissionv1.ServiceReference{Namespace: "hooks", Name: "nohook", Path: ptr.To("/validate")}},
			Rules:                   []admissionv1.RuleWithOperations{{Operations: []admissionv1.OperationType{admissionv1.Create}, Rule: admissionv1.Rule{APIGroups: []string{"dkp.example.com"}, APIVersions: []string{"v1"}, Resources: []string{"widgets"}}}},
			FailurePolicy:           ptr.To(admissionv1.Fail),
			SideEffects:             ptr.To(admissionv1.SideEffectClassNone),
			AdmissionReviewVersions: []string{"v1"},
		}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)

	// Wait for the control plane's verdicts before collecting.
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		p, err := pods.Get(ctx, "huge", metav1.GetOptions{})
		if err != nil {
			return false, nil //nolint:nilerr // keep polling
		}
		j, err := c.Client.BatchV1().Jobs("app").Get(ctx, "migrate", metav1.GetOptions{})
		if err != nil {
			return false, nil //nolint:nilerr // keep polling
		}
		unschedulable, failed := false, false
		for _, cond := range p.Status.Conditions {
			unschedulable = unschedulable || (cond.Type == corev1.PodScheduled && cond.Status == corev1.ConditionFalse)
		}
		for _, cond := range j.Status.Conditions {
			failed = failed || (cond.Type == batchv1.JobFailed && cond.Status == corev1.ConditionTrue)
		}
		return unschedulable && failed, nil
	})
	require.NoError(t, err, "scheduler and Job controller verdicts")
}

// analyzedRun is what the lead's wiring does after a run: every bundle
// through the built-in analyzers, the run's targets through the fleet
// correlation, and the report.
type analyzedRun struct {
	findings map[string][]analyze.Finding // by target ID
	all      []analyze.Finding
	run      report.Run
}

// analyzeOutput analyzes the bundles a run wrote into out, as its
// summary lists them.
func analyzeOutput(t *testing.T, out string, opts builtin.Options) analyzedRun {
	t.Helper()
	sum := clitest.ReadSummary(t, out)
	res := analyzedRun{findings: map[string][]analyze.Finding{}}
	var targets []correlate.Target
	for _, ts := range sum.Targets {
		id := string(ts.Role) + "/" + ts.Name
		if ts.Namespace != "" {
			id = string(ts.Role) + "/" + ts.Namespace + "/" + ts.Name
		}
		tg := correlate.Target{ID: id, Role: ts.Role, Name: ts.Name, Namespace: ts.Namespace, Status: ts.Status, Error: ts.Error + ts.Skipped}
		cl := report.Cluster{ID: id, Role: ts.Role, Name: ts.Name, Namespace: ts.Namespace, Status: ts.Status, Error: tg.Error}
		if ts.Bundle != "" {
			b, err := bundlefs.Open(ts.Bundle, bundlefs.Options{})
			require.NoError(t, err)
			t.Cleanup(func() { b.Close() })
			tg.FS, tg.Bundle, cl.Bundle = b, filepath.Base(ts.Bundle), filepath.Base(ts.Bundle)
			for _, f := range builtin.Analyze(b, opts) {
				f.Cluster, f.Bundle = id, tg.Bundle
				res.findings[id] = append(res.findings[id], f)
				res.all = append(res.all, f)
			}
		}
		targets = append(targets, tg)
		res.run.Clusters = append(res.run.Clusters, cl)
	}
	for _, f := range correlate.Findings(targets) {
		res.findings[f.Cluster] = append(res.findings[f.Cluster], f)
		res.all = append(res.all, f)
	}
	res.run.Findings = res.all
	return res
}

// find returns the single finding of analyzer id about obj among fs.
func find(t *testing.T, fs []analyze.Finding, id, obj string) analyze.Finding {
	t.Helper()
	var out []analyze.Finding
	for _, f := range fs {
		if f.Analyzer == id && f.Object == obj {
			out = append(out, f)
		}
	}
	require.Len(t, out, 1, "one %s finding about %s among:\n%s", id, obj, listFindings(fs))
	return out[0]
}

func listFindings(fs []analyze.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "  %s %s [%s] %s (%s)\n", f.Severity, f.Analyzer, f.Object, f.Title, f.File)
	}
	return b.String()
}

// TestAnalyzeFleet: a management cluster whose Cluster API objects are
// broken (v1beta2 and v1beta1), with pods that cannot start, a failed Job,
// a Pending claim, a webhook without endpoints and certificates expired or
// about to; a live workload cluster missing a Machine's node; a workload
// cluster that is down; a provisioned Cluster without kubeconfig secret.
// One --all-clusters run collects them; the built-in analyzers, the fleet
// correlation and the report find each problem with its severity and the
// file it cites, and the healthy workload cluster has no failure.
func TestAnalyzeFleet(t *testing.T) {
	for _, version := range []string{"v1beta2", "v1beta1"} {
		t.Run(version, func(t *testing.T) { analyzeFleet(t, version) })
	}
}

func analyzeFleet(t *testing.T, version string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cs := map[string]*framework.Cluster{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, o := range []framework.Options{{Name: "mgmt", Workers: 1, StuckNodes: 1}, {Name: "w1", Workers: 1}, {Name: "dead", Workers: -1}} {
		wg.Go(func() {
			c := framework.Start(t, o)
			mu.Lock()
			cs[o.Name] = c
			mu.Unlock()
		})
	}
	wg.Wait()
	mgmt, w1 := cs["mgmt"], cs["w1"]
	require.NotNil(t, mgmt)
	require.NotNil(t, w1)
	require.NotNil(t, cs["dead"])

	require.NoError(t, mgmt.InstallCRDs(ctx, filepath.Join("testdata", "capi", "clusters-"+version+".yaml"), filepath.Join("testdata", "capi", "more-"+version+".yaml")))
	mustCreateNamespace(t, mgmt.Client, "fleet")
	createObjects(t, mgmt, filepath.Join("testdata", "capi", "fleet-"+version+".yaml"))
	// The API server sets the deletion time: a Machine held by its finalizer.
	gvr := schema.GroupVersionResource{Group: "cluster.x-k8s.io", Version: version, Resource: "machines"}
	require.NoError(t, mgmt.Dynamic.Resource(gvr).Namespace("fleet").Delete(ctx, "w1-md-0-c", metav1.DeleteOptions{}))
	// A node whose kubelet never reports, behind the Running Machine
	// w1-extra.
	require.NoError(t, w1.AddNotReadyNode(ctx, "w1-sick"))
	addKubeconfigSecret(t, mgmt, w1, "fleet", "w1")
	addKubeconfigSecret(t, mgmt, cs["dead"], "fleet", "dead")
	cs["dead"].StopAPIServer()

	cp, worker := mgmt.ControlPlaneNode(), mgmt.Name+"-worker-1"
	certs := map[string]string{}
	if version == "v1beta2" {
		breakWorkloads(t, mgmt)
		certs[cp] = certReport("/etc/kubernetes/pki/apiserver.crt", -3) + certReport("/etc/kubernetes/pki/ca.crt", 3000)
		certs[worker] = certReport("/var/lib/kubelet/pki/kubelet.crt", 10)
	}
	for _, c := range []*framework.Cluster{mgmt, w1} {
		mustCreateNamespace(t, c.Client, "diag")
		roots := certRoots(t, c.NodeNames(), certs)
		c.RootPodsByNode(ctx, "diag", ours, func(node string) string { return filepath.Join(roots, node) })
	}

	out := t.TempDir()
	res := clitest.Run(t, "--kubeconfig", mgmt.KubeconfigPath, "--all-clusters", "--output-dir", out, writeFile(t, t.TempDir(), "spec.yaml", analyzeSpec))
	require.Equal(t, app.ExitPartial, res.Code, "a dead cluster makes the run partial")

	run := analyzeOutput(t, out, builtin.Options{})
	m := run.findings["current/mgmt"]

	// The run itself did the same analysis: every finding is in its
	// summary.json, its report is beside the bundles, and the terminal
	// names the worst of each cluster.
	sum := clitest.ReadSummary(t, out)
	inSummary := map[string]bool{}
	key := func(f analyze.Finding) string {
		return f.Cluster + "|" + f.Analyzer + "|" + f.Object + "|" + string(f.Severity) + "|" + f.File
	}
	for _, ts := range sum.Targets {
		for _, f := range ts.Findings {
			inSummary[key(f)] = true
		}
	}
	for _, f := range sum.Findings {
		inSummary[key(f)] = true
	}
	for _, f := range run.all {
		assert.True(t, inSummary[key(f)], "the run's summary.json lacks %s", key(f))
	}
	for _, name := range []string{report.HTMLFile, report.MarkdownFile} {
		assert.FileExists(t, filepath.Join(out, name))
	}
	// The run analyzed copies of the files it needed, kept while writing
	// (the findings above match those of the whole bundles); they are gone.
	entries, err := os.ReadDir(out)
	require.NoError(t, err)
	for _, e := range entries {
		assert.False(t, strings.HasPrefix(e.Name(), "."), "left in the output folder: %s", e.Name())
	}
	assert.Contains(t, res.Stderr, "current/mgmt: ")
	assert.Contains(t, res.Stderr, "every finding: "+filepath.Join(out, report.HTMLFile))
	t.Logf("management cluster findings:\n%s", listFindings(m))
	crFile := func(res string) string { return "cluster-resources/custom-resources/" + res + "/fleet.json" }

	// The Cluster's condition tree, its first false condition surfaced.
	f := find(t, m, builtin.IDClusterAPICluster, "Cluster fleet/w1")
	assert.Equal(t, analyze.SeverityFail, f.Severity)
	assert.Equal(t, crFile("clusters.cluster.x-k8s.io"), f.File)
	assert.Contains(t, f.Message, "InfrastructureReady=False: LoadBalancerFailed: load balancer is down")
	for _, node := range []string{"├─ClusterInfrastructure DockerCluster/w1", "├─ControlPlane KubeadmControlPlane/w1-cp", "│ └─Machine/w1-cp-0 → Node/w1-control-plane",
		"└─Workers", "  ├─MachineDeployment/w1-md-0", "  │ ├─Machine/w1-md-0-a → Node/w1-gone", "  │ ├─Machine/w1-md-0-b", "  │ └─Machine/w1-md-0-c → Node/w1-worker-1",
		"  └─Machine/w1-extra → Node/w1-sick"} {
		assert.Contains(t, f.Message, node)
	}
	assert.Equal(t, analyze.SeverityInfo, find(t, m, builtin.IDClusterAPICluster, "Cluster fleet/dead").Severity)
	infraSev := analyze.SeverityWarn
	if version == "v1beta1" {
		infraSev = analyze.SeverityFail // severity Error
	}
	f = find(t, m, builtin.IDClusterAPIConditions, "DockerCluster fleet/w1")
	assert.Equal(t, infraSev, f.Severity)
	assert.Equal(t, crFile("dockerclusters.infrastructure.cluster.x-k8s.io"), f.File)
	f = find(t, m, builtin.IDClusterAPIConditions, "MachineDeployment fleet/w1-md-0")
	assert.Equal(t, analyze.SeverityWarn, f.Severity)
	assert.Equal(t, crFile("machinedeployments.cluster.x-k8s.io"), f.File)
	f = find(t, m, builtin.IDReplicas, "MachineDeployment fleet/w1-md-0")
	assert.Equal(t, "MachineDeployment fleet/w1-md-0 has 1 of 3 replicas available", f.Title)
	f = find(t, m, builtin.IDMachineNoNode, "Machine fleet/w1-md-0-b")
	assert.Equal(t, analyze.SeverityWarn, f.Severity)
	assert.Equal(t, crFile("machines.cluster.x-k8s.io"), f.File)
	// The first false condition, in the object's order: v1beta1 sorts
	// conditions by name after Ready.
	cause := "InfrastructureReady=False: WaitingForInfrastructure: VM is being created"
	if version == "v1beta1" {
		cause = "HealthCheckSucceeded=False: NodeStartupTimeout"
	}
	assert.Contains(t, f.Message, "phase Provisioning; "+cause)
	f = find(t, m, builtin.IDMachineHealthCheck, "MachineHealthCheck fleet/w1-mhc")
	assert.Contains(t, f.Title, "1 of 3 machines unhealthy, remediation blocked")
	assert.Contains(t, f.Message, "w1-md-0-b (NodeStartupTimeout")
	assert.Equal(t, crFile("machinehealthchecks.cluster.x-k8s.io"), f.File)
	for _, fi := range m {
		assert.NotEqual(t, builtin.IDMachineStuck, fi.Analyzer, "just created: not stuck yet")
	}

	// Past the threshold (here: at once) the same Machines are stuck.
	stuck := analyzeOutput(t, out, builtin.Options{StuckAfter: time.Nanosecond}).findings["current/mgmt"]
	f = find(t, stuck, builtin.IDMachineStuck, "Machine fleet/w1-md-0-b")
	assert.Equal(t, analyze.SeverityFail, f.Severity)
	assert.Contains(t, f.Title, "stuck provisioning")
	f = find(t, stuck, builtin.IDMachineStuck, "Machine fleet/w1-md-0-c")
	assert.Contains(t, f.Title, "stuck deleting")
	assert.Contains(t, f.Message, "pod app/db is protected by a PodDisruptionBudget")

	// Across the fleet.
	f = find(t, run.findings["workload/fleet/w1"], correlate.IDMachineNode, "Machine fleet/w1-md-0-a")
	assert.Equal(t, analyze.SeverityFail, f.Severity)
	assert.Contains(t, f.Title, "node w1-gone is missing")
	assert.Equal(t, crFile("machines.cluster.x-k8s.io"), f.File)
	assert.True(t, strings.HasPrefix(f.Bundle, "current-mgmt-"), f.Bundle)
	f = find(t, run.findings["workload/fleet/w1"], correlate.IDMachineNode, "Machine fleet/w1-extra")
	assert.Equal(t, analyze.SeverityFail, f.Severity)
	assert.Contains(t, f.Title, "node w1-sick is NotReady")
	assert.Equal(t, crFile("machines.cluster.x-k8s.io"), f.File)
	f = find(t, run.findings["workload/fleet/w1"], builtin.IDNodeNotReady, "Node w1-sick")
	assert.Equal(t, analyze.SeverityFail, f.Severity)
	assert.Equal(t, builtin.NodesFile, f.File)
	f = find(t, run.findings["workload/fleet/dead"], correlate.IDUnreachable, "Cluster fleet/dead")
	assert.Equal(t, analyze.SeverityFail, f.Severity)
	assert.Contains(t, f.Message, "cluster unreachable")
	assert.Equal(t, crFile("clusters.cluster.x-k8s.io"), f.File)
	f = find(t, run.findings["workload/fleet/nosecret"], correlate.IDNoKubeconfig, "Cluster fleet/nosecret")
	assert.Equal(t, analyze.SeverityFail, f.Severity)
	assert.Contains(t, f.Message, "no secrets/fleet/nosecret-kubeconfig.json")

	// The healthy workload cluster: no failure, in its own bundle or about it
	// but for the Machines whose nodes it lacks or has NotReady.
	for _, fi := range run.findings["workload/fleet/w1"] {
		if fi.Analyzer != correlate.IDMachineNode && fi.Object != "Node w1-sick" {
			assert.NotEqual(t, analyze.SeverityFail, fi.Severity, "healthy cluster: %+v", fi)
		}
	}
	assert.NotEmpty(t, run.findings["workload/fleet/w1"][0].Bundle)

	if version == "v1beta2" {
		assertWorkloadFindings(t, m, cp, worker)
	}
	t.Run("report", func(t *testing.T) { assertReport(t, out, run) })
}

// assertWorkloadFindings checks what breakWorkloads and the certificate
// fixtures left in the management cluster's bundle.
func assertWorkloadFindings(t *testing.T, m []analyze.Finding, cp, worker string) {
	f := find(t, m, builtin.IDPodCrashLoop, "Pod app/crashy")
	assert.Equal(t, analyze.SeverityFail, f.Severity)
	assert.Equal(t, "cluster-resources/pods/app.json", f.File)
	assert.Contains(t, f.Message, "main (7 restarts, last exit 137 OOMKilled)")
	assert.Equal(t, analyze.SeverityWarn, find(t, m, builtin.IDPodOOMKilled, "Pod app/crashy").Severity)
	f = find(t, m, builtin.IDPodImagePull, "Pod app/nopull")
	assert.Equal(t, analyze.SeverityFail, f.Severity)
	assert.Contains(t, f.Message, "image registry.example/app/nopull:1")
	f = find(t, m, builtin.IDPodPending, "Pod app/huge")
	assert.Equal(t, analyze.SeverityWarn, f.Severity)
	assert.Contains(t, f.Title, "Unschedulable")
	assert.Contains(t, f.Message, "Insufficient cpu", "the scheduler's own message")
	f = find(t, m, builtin.IDJobFailed, "Job app/migrate")
	assert.Equal(t, analyze.SeverityFail, f.Severity)
	assert.Contains(t, f.Title, "DeadlineExceeded")
	assert.Equal(t, "cluster-resources/jobs/app.json", f.File)
	f = find(t, m, builtin.IDPVCPending, "PersistentVolumeClaim app/data")
	assert.Equal(t, analyze.SeverityWarn, f.Severity)
	assert.Equal(t, "cluster-resources/pvcs/app.json", f.File)
	f = find(t, m, builtin.IDWebhookNoEndpoints, "ValidatingWebhookConfiguration dkp-test-nohook")
	assert.Equal(t, analyze.SeverityFail, f.Severity)
	assert.Contains(t, f.Title, "hooks/nohook has no endpoints")
	assert.Contains(t, f.Message, "cluster-resources/endpointslices/hooks.json")
	f = find(t, m, builtin.IDCertExpiry, "Node "+cp)
	assert.Equal(t, analyze.SeverityFail, f.Severity)
	assert.Contains(t, f.Title, "apiserver.crt on node "+cp+" has expired")
	assert.Equal(t, "node-diagnostics/"+cp+"/data/certs_expiration", f.File)
	f = find(t, m, builtin.IDCertExpiry, "Node "+worker)
	assert.Equal(t, analyze.SeverityWarn, f.Severity)
	assert.Contains(t, f.Title, "expires in 10 days")
	var scheduling bool
	for _, fi := range m {
		if fi.Analyzer == builtin.IDWarningEvents && strings.Contains(fi.Title, "FailedScheduling on Pod in app") {
			scheduling = true
			assert.Equal(t, "cluster-resources/events/app.json", fi.File)
			assert.Positive(t, fi.Count)
		}
	}
	assert.True(t, scheduling, "Warning events grouped:\n%s", listFindings(m))
}

// assertReport writes the report and loads report.html in headless
// Chromium: the rendered page holds every cluster and every finding.
func assertReport(t *testing.T, out string, run analyzedRun) {
	require.NoError(t, report.WriteFiles(out, run.run))
	md, err := os.ReadFile(filepath.Join(out, report.MarkdownFile))
	require.NoError(t, err)
	dom := renderedDOM(t, filepath.Join(out, report.HTMLFile))
	text := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\u00a0", "&nbsp;")
	for _, c := range run.run.Clusters {
		assert.Contains(t, dom, `data-cluster="`+c.ID+`"`, "cluster section")
		assert.Contains(t, string(md), c.Label())
	}
	for _, f := range run.all {
		assert.Contains(t, dom, text.Replace(f.Title), "finding in the rendered page")
		if f.File != "" {
			assert.Contains(t, dom, "<code>"+f.File+"</code>")
		}
	}
	assert.Equal(t, len(run.all), strings.Count(dom, `class="finding"`), "every finding once")
}

// renderedDOM loads a file in headless Chromium, offline, and returns
// the DOM it rendered.
func renderedDOM(t *testing.T, path string) string {
	t.Helper()
	bin := chromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--user-data-dir="+t.TempDir(),
		"--dump-dom", "file://"+path)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	dom, err := cmd.Output()
	require.NoError(t, err, "chromium: %s", stderr.String())
	require.Contains(t, string(dom), "dkp-diagnose report", "chromium rendered the page")
	return string(dom)
}

// ChromiumEnv names the browser the report tests load report.html in
// (`make e2e` sets it from hack/chromium.sh).
const ChromiumEnv = "DKP_TEST_CHROMIUM"

// chromium returns the browser's path: skipped without it, failed under
// CI=true, as for the control-plane binaries.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv(ChromiumEnv); p != "" {
		return p
	}
	msg := ChromiumEnv + " is not set; run `make e2e`, or `export " + ChromiumEnv + "=$(hack/chromium.sh)` first"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}
