package e2e

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mesosphere/dkp-diagnose/e2e/clitest"
)

// troubleshootBinEnv names troubleshoot.sh's support-bundle binary, built
// by hack/troubleshoot-bin.sh (`make e2e` sets it).
const troubleshootBinEnv = "DKP_TEST_TROUBLESHOOT_BIN"

// troubleshootBin returns the support-bundle binary. Without it the test
// skips, except under CI=true, where it fails (as framework.BinDir).
func troubleshootBin(t *testing.T) string {
	t.Helper()
	bin := os.Getenv(troubleshootBinEnv)
	if bin == "" {
		msg := fmt.Sprintf("%s is not set; run `make e2e`, or `export %s=$(hack/troubleshoot-bin.sh)` first", troubleshootBinEnv, troubleshootBinEnv)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	_, err := os.Stat(bin)
	require.NoError(t, err, "%s", troubleshootBinEnv)
	return bin
}

// compatSpec is collected by both tools: troubleshoot.sh's default
// collectors plus a logs collector with no selector, and the files the
// secret and configMap analyzers read.
const compatSpec = `apiVersion: troubleshoot.sh/v1beta2
kind: SupportBundle
metadata:
  name: compat
spec:
  collectors:
    - clusterInfo: {}
    - clusterResources: {}
    - logs:
        name: app-b-logs
        namespace: app-b
    - secret:
        name: db-creds
        namespace: app-b
        key: password
    - configMap:
        name: app-config
        namespace: app-a
        key: endpoint
`

// compatAnalyzers covers 17 analyzer types (22 analyzers), several aimed at namespaces
// that have none of the analyzed kind, where an empty list must give the
// same outcome as troubleshoot's own empty list.
const compatAnalyzers = `apiVersion: troubleshoot.sh/v1beta2
kind: Analyzer
metadata:
  name: compat
spec:
  analyzers:
    - clusterVersion:
        outcomes:
          - fail: {when: "< 1.20.0", message: too old}
          - pass: {message: recent}
    - nodeResources:
        checkName: nodes
        outcomes:
          - fail: {when: "count() < 1", message: no nodes}
          - pass: {message: has nodes}
    - deploymentStatus:
        name: web
        namespace: app-a
        outcomes:
          - fail: {when: "< 1", message: web down}
          - pass: {message: web up}
    - deploymentStatus:
        checkName: deployment in a namespace without any
        name: web
        namespace: app-b
        outcomes:
          - fail: {when: "absent", message: absent}
          - fail: {when: "< 1", message: down}
          - pass: {message: up}
    - statefulsetStatus:
        name: db
        namespace: app-a
        outcomes:
          - fail: {when: "absent", message: no db}
          - pass: {message: db}
    - jobStatus:
        name: migrate
        namespace: app-b
        outcomes:
          - fail: {when: "absent", message: no job}
          - pass: {message: job}
    - replicasetStatus:
        selector: ["app=web"]
        namespace: app-a
        outcomes:
          - fail: {when: "< 1", message: no ready replicaset}
          - pass: {message: replicaset ready}
    - clusterPodStatuses:
        namespaces: [app-a, app-b, default, kube-system]
        outcomes:
          - fail: {when: "!= Healthy", message: "{{ .Namespace }}/{{ .Name }} is {{ .Status.Reason }}"}
    - clusterContainerStatuses:
        namespaces: [app-a, app-b]
        outcomes:
          - fail: {when: "restartCount > 3", message: "{{ .Namespace }}/{{ .PodName }} restarts"}
    - event:
        checkName: failed scheduling in kube-system
        namespace: kube-system
        reason: FailedScheduling
        kind: Pod
        outcomes:
          - fail: {when: "true", message: failed scheduling}
          - pass: {when: "false", message: none}
    - event:
        checkName: scaling in app-a
        namespace: app-a
        reason: ScalingReplicaSet
        kind: Deployment
        outcomes:
          - pass: {when: "true", message: scaled}
          - fail: {when: "false", message: never scaled}
    - textAnalyze:
        checkName: logger ready
        fileName: cluster-resources/pods/logs/app-b/logger/main.log
        regex: ready to serve
        outcomes:
          - pass: {when: "true", message: ready}
          - fail: {when: "false", message: not ready}
    - textAnalyze:
        checkName: logger through the collector's path
        fileName: app-b-logs/logger/main.log
        regex: starting logger
        outcomes:
          - pass: {when: "true", message: started}
          - fail: {when: "false", message: not started}
    - customResourceDefinition:
        customResourceDefinitionName: widgets.example.dkp.io
        outcomes:
          - fail: {message: no widgets CRD}
          - pass: {message: widgets CRD}
    - customResourceDefinition:
        checkName: absent CRD
        customResourceDefinitionName: nothings.example.dkp.io
        outcomes:
          - fail: {message: no nothings CRD}
          - pass: {message: nothings CRD}
    - clusterResource:
        kind: deployment
        namespace: app-a
        name: web
        yamlPath: spec.replicas
        expectedValue: "2"
        outcomes:
          - pass: {when: "true", message: two replicas}
          - fail: {when: "false", message: not two}
    - clusterResource:
        checkName: configmap in another namespace
        kind: configmap
        namespace: app-b
        name: app-config
        yamlPath: data.endpoint
        outcomes:
          - fail: {message: missing}
          - pass: {message: found}
    - secret:
        secretName: db-creds
        namespace: app-b
        key: password
        outcomes:
          - fail: {message: no password}
          - pass: {message: password}
    - configMap:
        configMapName: app-config
        namespace: app-a
        key: endpoint
        outcomes:
          - fail: {message: no endpoint}
          - pass: {message: endpoint}
    - storageClass:
        storageClassName: standard
        outcomes:
          - fail: {message: no standard class}
          - pass: {message: standard class}
    - ingress:
        ingressName: web
        namespace: app-a
        outcomes:
          - fail: {message: no ingress}
          - pass: {message: ingress}
    - yamlCompare:
        checkName: namespaces list
        fileName: cluster-resources/namespaces.json
        path: kind
        value: NamespaceList
        outcomes:
          - pass: {when: "true", message: a list}
          - fail: {when: "false", message: not a list}
`

// TestTroubleshootSameOutcomes collects one seeded cluster with
// troubleshoot.sh's support-bundle and with dkp-diagnose, from the same
// spec, runs `support-bundle analyze` on both bundles and expects the same
// outcome from every analyzer. It also checks that every path of
// troubleshoot's bundle has its place in ours, and logs both path lists.
func TestTroubleshootSameOutcomes(t *testing.T) {
	bin := troubleshootBin(t)
	c := startCollectCluster(t)
	dir := t.TempDir()
	specFile := writeFile(t, dir, "spec.yaml", compatSpec)
	analyzerFile := writeFile(t, dir, "analyzers.yaml", compatAnalyzers)

	theirs := filepath.Join(dir, "theirs")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, specFile, "--kubeconfig", c.KubeconfigPath, "--interactive=false",
		"--auto-update=false", "--load-cluster-specs=false", "-o", theirs)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir)
	outb, err := cmd.CombinedOutput()
	require.NoError(t, err, "support-bundle: %s", outb)
	theirs += ".tar.gz"

	out := filepath.Join(dir, "ours")
	res := clitest.Run(t, "--kubeconfig", c.KubeconfigPath, "--output-dir", out, specFile)
	require.Equal(t, 0, res.Code, res.Stderr)
	ours := res.BundlePaths()[0]

	analyze := func(bundle string) []outcome {
		cmd := exec.CommandContext(ctx, bin, "analyze", analyzerFile, "--bundle", bundle, "--output", "json")
		cmd.Env = append(os.Environ(), "HOME="+dir)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		data, err := cmd.Output()
		require.NoError(t, err, "support-bundle analyze %s: %s", bundle, stderr.String())
		var results []outcome
		require.NoError(t, json.Unmarshal(data, &results), "%s", data)
		slices.SortFunc(results, func(a, b outcome) int { return strings.Compare(a.key(), b.key()) })
		return results
	}
	want, got := analyze(theirs), analyze(ours)
	for _, r := range want {
		t.Logf("troubleshoot: %s", r.key())
	}
	// clusterPodStatuses, clusterContainerStatuses and a replicasetStatus
	// with a selector report failing objects only; the 19 others once.
	assert.GreaterOrEqual(t, len(want), 19, "results from every analyzer")
	assert.Equal(t, outcomeKeys(want), outcomeKeys(got), "support-bundle analyze gives the same outcomes on both bundles")

	theirPaths, ourPaths := tarPaths(t, theirs), tarPaths(t, ours)
	t.Logf("troubleshoot.sh bundle:\n%s", strings.Join(theirPaths, "\n"))
	t.Logf("dkp-diagnose bundle:\n%s", strings.Join(ourPaths, "\n"))
	var missing []string
	for _, p := range theirPaths {
		if !slices.Contains(ourPaths, p) && !explainedMissing(p, ourPaths) {
			missing = append(missing, p)
		}
	}
	assert.Empty(t, missing, "paths of troubleshoot's bundle missing in ours")
}

// explainedMissing are troubleshoot.sh's paths dkp-diagnose leaves out
// (docs/bundle-layout.md): the analysis of the spec's analyzers, and the
// previous log of a container that never restarted. troubleshoot asks for
// every container's previous log, which a kubelet refuses unless the
// container restarted but kwok serves; dkp-diagnose asks only for
// containers that restarted.
func explainedMissing(p string, ours []string) bool {
	if current, ok := strings.CutSuffix(p, "-previous.log"); ok {
		return slices.Contains(ours, current+".log")
	}
	return p == "analysis.json"
}

// outcome is one result of `support-bundle analyze --output json`.
type outcome struct {
	Title   string `json:"title"`
	IsPass  bool   `json:"isPass"`
	IsWarn  bool   `json:"isWarn"`
	IsFail  bool   `json:"isFail"`
	Message string `json:"message"`
}

func (o outcome) key() string {
	return fmt.Sprintf("%s: pass=%t warn=%t fail=%t: %s", o.Title, o.IsPass, o.IsWarn, o.IsFail, o.Message)
}

func outcomeKeys(os []outcome) []string {
	out := make([]string, len(os))
	for i, o := range os {
		out[i] = o.key()
	}
	return out
}

// tarPaths lists the files and links of a bundle below its root folder,
// sorted: `tar tzf` without the folder names.
func tarPaths(t *testing.T, bundle string) []string {
	t.Helper()
	f, err := os.Open(bundle)
	require.NoError(t, err)
	defer f.Close()
	gz, err := gzip.NewReader(f)
	require.NoError(t, err)
	tr := tar.NewReader(gz)
	var out []string
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		if h.Typeflag == tar.TypeDir {
			continue
		}
		_, rest, _ := strings.Cut(strings.TrimPrefix(h.Name, "./"), "/")
		out = append(out, rest)
	}
	slices.Sort(out)
	return out
}
