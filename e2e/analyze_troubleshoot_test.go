package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/mesosphere/dkp-diagnose/e2e/clitest"
	"github.com/mesosphere/dkp-diagnose/e2e/framework"
	"github.com/mesosphere/dkp-diagnose/lib/analyze/troubleshoot"
)

// tsAnalyzeSpec collects logs of one pod and runs troubleshoot analyzers of
// most kinds, some passing, some failing, one unsupported.
const tsAnalyzeSpec = `apiVersion: troubleshoot.sh/v1beta2
kind: SupportBundle
metadata: {name: analyze}
spec:
  collectors:
  - logs: {collectorName: app-logs, namespace: app-b, selector: [app=logger]}
  analyzers:
  - clusterVersion:
      outcomes:
      - fail: {when: "< 1.20.0", message: too old}
      - pass: {message: "supported"}
  - nodeResources:
      checkName: nodes
      outcomes:
      - fail: {when: "count() < 1", message: no nodes}
      - pass: {message: "{{ .NodeCount }} node(s)"}
  - deploymentStatus:
      name: web
      namespace: app-a
      outcomes:
      - fail: {when: "< 2", message: web degraded}
      - pass: {message: web up}
  - deploymentStatus:
      checkName: web in empty-ns
      name: web
      namespace: empty-ns
      outcomes:
      - fail: {when: absent, message: no web in empty-ns}
      - pass: {message: web found}
  - jobStatus: {namespaces: [empty-ns]}
  - clusterPodStatuses:
      namespaces: [app-c]
      outcomes:
      - fail: {when: "== Pending", message: "{{ .Name }} is pending: {{ .Status.Message }}"}
  - event:
      checkName: scheduling
      namespace: app-c
      kind: Pod
      reason: FailedScheduling
      outcomes:
      - fail: {when: "true", message: "cannot schedule {{ .InvolvedObject.Name }}"}
      - pass: {when: "false", message: all scheduled}
  - textAnalyze:
      checkName: db errors
      collectorName: app-logs
      fileName: logger/main.log
      regex: connection refused
      outcomes:
      - fail: {when: "true", message: db unreachable}
      - pass: {when: "false", message: db reachable}
  - textAnalyze:
      checkName: version
      collectorName: app-logs
      fileName: "*/main.log"
      regexGroups: 'version=(?P<Version>[0-9.]+)'
      outcomes:
      - pass: {when: "Version == 1.4.2", message: "running {{ .Version }}"}
      - warn: {message: unexpected version}
  - customResourceDefinition:
      customResourceDefinitionName: machines.cluster.x-k8s.io
      outcomes:
      - fail: {message: Cluster API is not installed}
      - pass: {message: Cluster API installed}
  - storageClass: {outcomes: [{fail: {message: no default storage class}}, {pass: {message: default storage class}}]}
  - longhorn: {namespace: longhorn-system}
`

const analyzeLog = "starting version=1.4.2\nERROR: dial tcp 10.0.0.7:5432: connection refused\n"

// startTSAnalyzeCluster seeds a cluster with a healthy deployment, a pod that
// cannot be scheduled, a pod logging an error and a namespace with nothing
// in it.
func startTSAnalyzeCluster(t *testing.T) *framework.Cluster {
	t.Helper()
	c := framework.Start(t, framework.Options{Name: "analyze"})
	ctx := context.Background()
	for _, ns := range []string{"app-a", "app-b", "app-c", "empty-ns"} {
		mustCreateNamespace(t, c.Client, ns)
	}
	createDeployment(t, c.Client, "app-a", "web", 2)
	require.NoError(t, c.SetPodLogs(ctx, "app-b", "logger", map[string]string{"main": analyzeLog}))
	createPod(t, c.Client, "app-b", "logger", map[string]string{"app": "logger"}, "main")
	_, err := c.Client.CoreV1().Pods("app-c").Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "stuck"},
		Spec: corev1.PodSpec{
			NodeSelector: map[string]string{"no-such-label": "x"},
			Containers:   []corev1.Container{{Name: "main", Image: "example.invalid/stuck:1"}},
		},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	waitPodsRunning(t, c.Client, "app-a", "app=web", 2)
	waitPodsRunning(t, c.Client, "app-b", "app=logger", 1)
	require.NoError(t, c.SetPodLogs(ctx, "app-b", "logger", map[string]string{"main": analyzeLog}))
	// The scheduler's event for the stuck pod, which the event analyzer
	// looks for.
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		evs, err := c.Client.CoreV1().Events("app-c").List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, nil
		}
		return slices.ContainsFunc(evs.Items, func(e corev1.Event) bool { return e.Reason == "FailedScheduling" }), nil
	})
	require.NoError(t, err, "waiting for the FailedScheduling event")
	return c
}

type outcomeKey struct{ Severity, Title, Message string }

func outcomesOf(rs []*troubleshoot.Result) []outcomeKey {
	var out []outcomeKey
	for _, r := range rs {
		out = append(out, outcomeKey{string(r.Severity()), r.Title, r.Message})
	}
	return out
}

// TestAnalyzeAfterCollect: a run whose spec has analyzers writes their
// results into the bundle as analysis.json, and "analyze" offline finds the
// same outcomes in the bundle.
func TestAnalyzeAfterCollect(t *testing.T) {
	c := startTSAnalyzeCluster(t)
	dir := t.TempDir()
	specFile := filepath.Join(dir, "spec.yaml")
	require.NoError(t, os.WriteFile(specFile, []byte(tsAnalyzeSpec), 0o644))
	out := filepath.Join(dir, "out")
	res := clitest.Run(t, "--kubeconfig", c.KubeconfigPath, "--output-dir", out, specFile)
	require.Contains(t, []int{0, 3}, res.Code)
	paths := res.BundlePaths()
	require.Len(t, paths, 1)
	files := clitest.OpenBundle(t, paths[0])
	require.Contains(t, files, "analysis.json")
	results, err := troubleshoot.ParseAnalysis(files["analysis.json"])
	require.NoError(t, err)
	got := outcomesOf(results)

	want := []outcomeKey{
		{"pass", "Required Kubernetes Version", "supported"},
		{"pass", "nodes", ""}, // message checked below: the node count
		{"pass", "web Status", "web up"},
		{"fail", "Pod app-c/stuck status", ""}, // message checked below
		{"fail", "scheduling", "cannot schedule stuck"},
		{"fail", "db errors", "db unreachable"},
		{"pass", "version", "running 1.4.2"},
		{"fail", "Custom resource definition machines.cluster.x-k8s.io", "Cluster API is not installed"},
		{"fail", "Default Storage Class", "no default storage class"},
		{"warn", "longhorn analyzer", ""},
	}
	// troubleshoot's rule for a named deployment in a namespace: an empty
	// list there makes "absent" hold; no file for the namespace gives no
	// outcome at all.
	if _, ok := files["cluster-resources/deployments/empty-ns.json"]; ok {
		want = slices.Insert(want, 3, outcomeKey{"fail", "web Status", "no web in empty-ns"})
	}
	require.Len(t, got, len(want), "outcomes: %v", got)
	for i, w := range want {
		assert.Equal(t, w.Severity, got[i].Severity, "%d: %v", i, got[i])
		assert.Equal(t, w.Title, got[i].Title, "%d", i)
		if w.Message != "" {
			assert.Equal(t, w.Message, got[i].Message, "%d", i)
		}
	}
	byTitle := map[string]outcomeKey{}
	for _, o := range got {
		byTitle[o.Title] = o
	}
	assert.Equal(t, fmt.Sprintf("%d node(s)", len(c.NodeNames())), byTitle["nodes"].Message)
	// The pod's message is the scheduler's, from its PodScheduled condition.
	assert.Contains(t, byTitle["Pod app-c/stuck status"].Message, "stuck is pending: 0/")
	assert.Contains(t, byTitle["longhorn analyzer"].Message, "does not run longhorn analyzers")

	// Offline, the same spec over the same bundle: the same outcomes, and
	// exit 4 for the failures.
	offline := clitest.Run(t, "analyze", paths[0], "--spec", specFile, "-o", "json", "--builtin=false")
	assert.Equal(t, 4, offline.Code)
	again, err := troubleshoot.ParseAnalysis([]byte(offline.Stdout))
	require.NoError(t, err)
	assert.Equal(t, got, outcomesOf(again))
	// Without --spec, analyze reads the analysis.json the run recorded.
	recorded := clitest.Run(t, "analyze", out)
	assert.Equal(t, 4, recorded.Code)
	assert.Contains(t, recorded.Stdout, "db unreachable")
}

// comparableOutcome is what must agree between troubleshoot's analyze and
// ours: severity and title always; the message where troubleshoot's does
// not depend on Go map order.
type comparableOutcome struct {
	Severity, Title, Message string
}

// TestAnalyzeTroubleshootBundleLikeTroubleshoot: troubleshoot's own
// support-bundle collects the cluster; "support-bundle analyze" and
// "dkp-diagnose analyze" over that bundle give the same outcomes.
func TestAnalyzeTroubleshootBundleLikeTroubleshoot(t *testing.T) {
	bin := troubleshootBin(t)
	c := startTSAnalyzeCluster(t)
	dir := t.TempDir()
	specFile := filepath.Join(dir, "spec.yaml")
	// troubleshoot's own logs collector, which writes where textAnalyze
	// looks; the analyzers as above minus the one we do not run.
	spec := strings.Replace(tsAnalyzeSpec, "  - longhorn: {namespace: longhorn-system}\n", "", 1)
	require.NoError(t, os.WriteFile(specFile, []byte(spec), 0o644))
	bundlePath := filepath.Join(dir, "ts-bundle.tar.gz")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	collect := exec.CommandContext(ctx, bin, specFile, "--kubeconfig", c.KubeconfigPath, "--interactive=false", "--output", bundlePath)
	collect.Dir = dir
	outb, err := collect.CombinedOutput()
	require.NoError(t, err, "support-bundle: %s", outb)

	analyze := exec.CommandContext(ctx, bin, "analyze", specFile, "--bundle", bundlePath, "--output", "json")
	var stdout strings.Builder
	analyze.Stdout = &stdout
	analyze.Stderr = os.Stderr
	require.NoError(t, analyze.Run(), "support-bundle analyze")
	var theirs []*troubleshoot.Result
	require.NoError(t, json.Unmarshal([]byte(stdout.String()), &theirs), stdout.String())

	ours := clitest.Run(t, "analyze", bundlePath, "--spec", specFile, "-o", "json", "--builtin=false")
	require.Contains(t, []int{0, 4}, ours.Code)
	mine, err := troubleshoot.ParseAnalysis([]byte(ours.Stdout))
	require.NoError(t, err)

	norm := func(rs []*troubleshoot.Result) []comparableOutcome {
		var out []comparableOutcome
		for _, r := range rs {
			out = append(out, comparableOutcome{string(r.Severity()), r.Title, r.Message})
		}
		slices.SortFunc(out, func(a, b comparableOutcome) int {
			return strings.Compare(a.Severity+a.Title+a.Message, b.Severity+b.Title+b.Message)
		})
		return out
	}
	require.NotEmpty(t, theirs)
	assert.Equal(t, norm(theirs), norm(mine))
	// The spec decides both ways on this cluster: a comparison of passes
	// alone would prove little.
	sevs := map[string]int{}
	for _, o := range norm(theirs) {
		sevs[o.Severity]++
	}
	t.Logf("troubleshoot's outcomes by severity: %v", sevs)
	assert.Positive(t, sevs["fail"])
	assert.Positive(t, sevs["pass"])
	assert.Positive(t, sevs["warn"])
}
