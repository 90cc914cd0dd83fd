package e2e

import (
	"bytes"
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mesosphere/dkp-diagnose/cmd/dkp-diagnose/app"
	"github.com/mesosphere/dkp-diagnose/e2e/clitest"
	"github.com/mesosphere/dkp-diagnose/e2e/framework"
	"github.com/mesosphere/dkp-diagnose/lib/collect"
	"github.com/mesosphere/dkp-diagnose/lib/incluster"
)

// playJobPods does the work of the in-cluster run's pods, which kwok does
// not run: for each pod of the run's Job it runs the pod's own command line
// (its container's arguments, JOB_COMPLETION_INDEX set, the test's admin
// kubeconfig standing for the service account) with a folder of its own
// as the pod's root, which the CLI then reads with `tar cf -` over exec.
// It returns each worker's stderr by shard index.
func playJobPods(t *testing.T, mgmt *framework.Cluster, shards int) map[int]string {
	t.Helper()
	ctx := context.Background()
	job := waitForJob(t, mgmt, shards)
	c := job.Spec.Template.Spec.Containers[0]
	pods, err := mgmt.Client.CoreV1().Pods(job.Namespace).List(ctx, metav1.ListOptions{LabelSelector: collect.LabelRun + "=" + job.Labels[collect.LabelRun]})
	require.NoError(t, err)
	logs := map[int]string{}
	for _, p := range pods.Items {
		i := incluster.IndexOf(&p)
		root := t.TempDir()
		args := append([]string(nil), c.Args...)
		for j := range args {
			switch {
			case j > 0 && args[j-1] == "--in-cluster-hold":
				args[j] = "0s" // kwok's pod lives on; the test's process may not
			case j > 0 && args[j-1] == "--output-dir":
				args[j] = filepath.Join(root, strings.TrimPrefix(args[j], "/"))
			}
		}
		args = append(args, "--kubeconfig", mgmt.KubeconfigPath)
		t.Setenv("JOB_COMPLETION_INDEX", strconv.Itoa(i))
		w := clitest.Run(t, args...)
		require.Contains(t, []int{app.ExitOK, app.ExitPartial}, w.Code, "worker %d: %s", i, w.Stderr)
		require.NoError(t, mgmt.SetPodRoot(ctx, p.Namespace, p.Name, root))
		logs[i] = w.Stderr
	}
	return logs
}

// TestInClusterBootstrap (issue #18): `--in-cluster --bootstrap` collects
// the bootstrap cluster, which only the operator's machine reaches, from
// the CLI while the Job collects the management cluster's fleet: the
// bootstrap cluster and the Cluster API cluster only it manages locally,
// the cluster both manage once (by the Job, as the management cluster's),
// all in one summary.json with the rows, statuses and prefixes of a local
// run with the same flags, and one fleet report.
func TestInClusterBootstrap(t *testing.T) {
	const shards = 2
	cs := startClusters(t, "w1", "b1", "boot")
	mgmt := framework.Start(t, framework.Options{Name: "mgmt", Workers: 1, JobPodsRun: true})
	installCAPI(t, mgmt, "clusters-v1beta2.yaml")
	installCAPI(t, cs["boot"], "clusters-v1beta2.yaml")
	addCAPICluster(t, mgmt, "v1beta2", "fleet", "w1", cs["w1"])
	addCAPICluster(t, cs["boot"], "v1beta2", "fleet", "w1", cs["w1"]) // both list it: the Job's
	addCAPICluster(t, cs["boot"], "v1beta2", "boot-ns", "b1", cs["b1"])
	ctx := context.Background()

	out := t.TempDir()
	type result struct {
		code           int
		stdout, stderr string
	}
	done := make(chan result, 1)
	go func() {
		var o, e bytes.Buffer
		code := app.Run(ctx, []string{"--kubeconfig", mgmt.KubeconfigPath, "--in-cluster", "--shards", strconv.Itoa(shards),
			"--bootstrap-kubeconfig", cs["boot"].KubeconfigPath,
			"--in-cluster-image", "dkp-diagnose.local/dkp-diagnose:test", "--in-cluster-poll", "200ms", "--output-dir", out}, &o, &e)
		done <- result{code, o.String(), e.String()}
	}()
	playJobPods(t, mgmt, shards)
	var res result
	select {
	case res = <-done:
	case <-time.After(5 * time.Minute):
		t.Fatal("the CLI did not finish")
	}
	t.Logf("in-cluster run: exit %d\nstderr:\n%s", res.code, res.stderr)
	require.Equal(t, app.ExitOK, res.code)
	assert.Empty(t, inClusterLeftovers(t, mgmt), "nothing of the run is left")

	local := t.TempDir()
	lres := clitest.Run(t, "--kubeconfig", mgmt.KubeconfigPath, "--bootstrap-kubeconfig", cs["boot"].KubeconfigPath, "--all-clusters", "--output-dir", local)
	require.Equal(t, app.ExitOK, lres.Code, lres.Stderr)
	rows := func(s app.Summary) []string {
		var out []string
		for _, r := range s.Targets {
			if strings.HasPrefix(r.Skipped, "same cluster as") {
				continue // the local run lists fleet/w1 twice; the in-cluster run gives it to the Job
			}
			out = append(out, strings.Join([]string{string(r.Role), r.Label(), r.Status, r.Prefix}, " "))
		}
		return out
	}
	findings := func(s app.Summary) []string {
		var out []string
		for _, f := range s.Findings {
			out = append(out, strings.Join([]string{f.Analyzer, string(f.Severity), f.Object, f.Cluster}, " "))
		}
		return out
	}
	in, loc := clitest.ReadSummary(t, out), clitest.ReadSummary(t, local)
	assert.Equal(t, rows(loc), rows(in), "the rows of a local run with the same flags")
	// The fleet's findings read every bundle, the shards' and the local
	// part's: the cluster both manage is found as a local run finds it.
	require.NotEmpty(t, findings(loc))
	assert.Equal(t, findings(loc), findings(in), "the fleet findings of a local run")
	got := map[string]string{}
	for _, r := range in.Targets {
		got[string(r.Role)+"/"+r.Label()] = filepath.Dir(r.Bundle)
		assert.FileExists(t, r.Bundle)
	}
	assert.Equal(t, map[string]string{"bootstrap/konvoy-capi-bootstrapper": out, "current/mgmt": out,
		"workload/boot-ns/b1": out, "workload/fleet/w1": out}, got)
	shardTargets := 0
	for _, s := range in.Shards {
		shardTargets += s.Targets
	}
	assert.Equal(t, 2, shardTargets, "the Job collected the management cluster and fleet/w1; the CLI the rest")
	assert.FileExists(t, filepath.Join(out, "report.html"), "one fleet report, from every part")
	for i, r := range in.Targets {
		if l := loc.Targets[i]; l.Bundle != "" && r.Bundle != "" {
			assert.Equal(t, withoutRun(bundleNames(t, l.Bundle)), withoutRun(bundleNames(t, r.Bundle)), "%s: same files", l.Label())
		}
	}
}
