package e2e

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mesosphere/dkp-diagnose/cmd/dkp-diagnose/app"
	"github.com/mesosphere/dkp-diagnose/e2e/clitest"
	"github.com/mesosphere/dkp-diagnose/e2e/framework"
	"github.com/mesosphere/dkp-diagnose/lib/collect"
	"github.com/mesosphere/dkp-diagnose/lib/incluster"
)

// inClusterLeftovers lists what carries our managed-by label in the cluster: namespaces,
// ClusterRoles and bindings, pods.
func inClusterLeftovers(t *testing.T, c *framework.Cluster) []string {
	t.Helper()
	ctx := context.Background()
	sel := metav1.ListOptions{LabelSelector: collect.LabelManagedBy + "=" + collect.ManagedBy}
	var out []string
	nss, err := c.Client.CoreV1().Namespaces().List(ctx, sel)
	require.NoError(t, err)
	for _, o := range nss.Items {
		out = append(out, "namespace/"+o.Name)
	}
	crs, err := c.Client.RbacV1().ClusterRoles().List(ctx, sel)
	require.NoError(t, err)
	for _, o := range crs.Items {
		out = append(out, "clusterrole/"+o.Name)
	}
	crbs, err := c.Client.RbacV1().ClusterRoleBindings().List(ctx, sel)
	require.NoError(t, err)
	for _, o := range crbs.Items {
		out = append(out, "clusterrolebinding/"+o.Name)
	}
	pods, err := c.Client.CoreV1().Pods("").List(ctx, sel)
	require.NoError(t, err)
	for _, o := range pods.Items {
		out = append(out, "pod/"+o.Namespace+"/"+o.Name)
	}
	return out
}

// waitForJob returns the in-cluster run's Job once its controller made a
// pod for each of its indexes.
func waitForJob(t *testing.T, c *framework.Cluster, shards int) *batchv1.Job {
	t.Helper()
	ctx := context.Background()
	var job *batchv1.Job
	require.Eventually(t, func() bool {
		jobs, err := c.Client.BatchV1().Jobs("").List(ctx, metav1.ListOptions{LabelSelector: collect.LabelManagedBy + "=" + collect.ManagedBy})
		if err != nil || len(jobs.Items) != 1 {
			return false
		}
		job = &jobs.Items[0]
		pods, err := c.Client.CoreV1().Pods(job.Namespace).List(ctx, metav1.ListOptions{LabelSelector: collect.LabelRun + "=" + job.Labels[collect.LabelRun]})
		return err == nil && len(pods.Items) == shards
	}, 2*time.Minute, 200*time.Millisecond, "the run's Job and its pods")
	return job
}

// TestInClusterCLI (issue #18): `dkp-diagnose --all-clusters --in-cluster`
// against a real management cluster. The Job's pods are kwok's (no image
// runs here), so the test plays them: for each index it runs the pod's own
// command line — the Job's container arguments, JOB_COMPLETION_INDEX set —
// with the pod's output folder as the pod's root, which the CLI then reads
// with `tar cf -` over exec. The CLI copies each shard back, writes one
// summary.json with the same targets as a local run and bundles with the
// same files, and leaves nothing in the cluster.
func TestInClusterCLI(t *testing.T) {
	const shards = 2
	cs := startClusters(t, "w1")
	// The Job's pods keep running, as the workers hold their output.
	mgmt := framework.Start(t, framework.Options{Name: "mgmt", Workers: 1, JobPodsRun: true})
	installCAPI(t, mgmt, "clusters-v1beta2.yaml")
	addCAPICluster(t, mgmt, "v1beta2", "fleet", "w1", cs["w1"])
	addCAPICluster(t, mgmt, "v1beta2", "fleet", "provisioning", nil)

	out := t.TempDir()
	began := time.Now()
	wait := startCLI(t, "--kubeconfig", mgmt.KubeconfigPath, "--all-clusters", "--in-cluster", "--shards", strconv.Itoa(shards),
		"--in-cluster-image", "dkp-diagnose.local/dkp-diagnose:test", "--in-cluster-poll", "200ms", "--output-dir", out)
	job := waitForJob(t, mgmt, shards)
	assert.Equal(t, "dkp-diagnose.local/dkp-diagnose:test", job.Spec.Template.Spec.Containers[0].Image)
	playJobPods(t, mgmt, job, "")
	res := wait()
	t.Logf("in-cluster run: exit %d in %s\nstderr:\n%s", res.code, time.Since(began).Round(time.Millisecond), res.stderr)
	require.Equal(t, app.ExitOK, res.code)
	assert.Empty(t, inClusterLeftovers(t, mgmt), "nothing of the run is left")
	// The pods' logs are followed: kwok's pods log the framework's line.
	assert.Contains(t, res.stderr, "shard 0/2: "+framework.DefaultLogLine)
	assert.Contains(t, res.stderr, "shard 1/2: "+framework.DefaultLogLine)

	local := t.TempDir()
	lres := clitest.Run(t, "--kubeconfig", mgmt.KubeconfigPath, "--all-clusters", "--output-dir", local)
	require.Equal(t, app.ExitOK, lres.Code)
	// kwok's pods log no progress events (TestInClusterResume has some):
	// each shard's result still shows its targets as a local run's lines
	// do, their start and their bundle.
	labels := []string{"mgmt", "workload fleet/w1"}
	fromResults := progressLines(t, res.stderr, out, labels)
	assert.Len(t, fromResults, 4)
	assert.Subset(t, progressLines(t, lres.Stderr, local, labels), fromResults)
	in, loc := clitest.ReadSummary(t, out), clitest.ReadSummary(t, local)
	require.Len(t, in.Shards, shards)
	require.Len(t, in.Targets, len(loc.Targets))
	for i := range loc.Targets {
		l, r := loc.Targets[i], in.Targets[i]
		assert.Equal(t, []string{string(l.Role), l.Label(), l.Status, l.Prefix}, []string{string(r.Role), r.Label(), r.Status, r.Prefix}, "row %d", i)
		if l.Bundle == "" {
			continue
		}
		assert.Equal(t, out, filepath.Dir(r.Bundle), "copied into --output-dir")
		assert.Equal(t, withoutRun(bundleNames(t, l.Bundle)), withoutRun(bundleNames(t, r.Bundle)), "%s: same files", l.Label())
	}
	assert.FileExists(t, filepath.Join(out, "report.html"), "the fleet report, made from every shard")
	entries, err := os.ReadDir(out)
	require.NoError(t, err)
	for _, e := range entries {
		assert.False(t, strings.HasPrefix(e.Name(), "shard-") || strings.HasSuffix(e.Name(), ".part"), "no shard file or partial copy left: %s", e.Name())
	}
}

// withoutRun drops the files an in-cluster run's own objects add to the
// management cluster's bundle (its namespace's lists, its pods' logs).
func withoutRun(names []string) []string {
	var out []string
	for _, n := range names {
		if !strings.Contains(n, "dkp-diagnose-") {
			out = append(out, n)
		}
	}
	return out
}

// TestInClusterInterrupted (issue #18): Ctrl-C while the Job runs removes
// everything the run created.
func TestInClusterInterrupted(t *testing.T) {
	mgmt := framework.Start(t, framework.Options{Name: "mgmt", Workers: 1, JobPodsRun: true})
	installCAPI(t, mgmt, "clusters-v1beta2.yaml")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	var errb bytes.Buffer
	out := t.TempDir()
	go func() {
		done <- app.Run(ctx, []string{"--kubeconfig", mgmt.KubeconfigPath, "--in-cluster", "--shards", "2",
			"--in-cluster-image", "dkp-diagnose.local/dkp-diagnose:test", "--output-dir", out}, &bytes.Buffer{}, &errb)
	}()
	waitForJob(t, mgmt, 2)
	cancel() // Ctrl-C
	select {
	case code := <-done:
		t.Logf("exit %d\n%s", code, errb.String())
		assert.NotEqual(t, app.ExitOK, code)
	case <-time.After(3 * time.Minute):
		t.Fatal("the CLI did not stop")
	}
	assert.Empty(t, inClusterLeftovers(t, mgmt), "nothing of the run is left")
	// The summary says what a local run's says after Ctrl-C.
	sum := clitest.ReadSummary(t, out)
	assert.True(t, sum.Interrupted)
	require.NotEmpty(t, sum.Targets)
	for _, tg := range sum.Targets {
		assert.Equal(t, "interrupted: no bundle written", tg.Error, tg.Name)
	}
	assert.NotContains(t, errb.String(), "left no result")
}

// TestInClusterResume (issue #18): a run whose CLI went away (its objects
// left in the cluster, the pods done and holding their output) is
// finished by `--in-cluster --run-id ID`: the shards' bundles come back,
// with the run's own shard count, and then nothing is left. An unknown run
// ID is bad input.
func TestInClusterResume(t *testing.T) {
	cs := startClusters(t, "w1")
	mgmt := framework.Start(t, framework.Options{Name: "mgmt", Workers: 1, JobPodsRun: true})
	installCAPI(t, mgmt, "clusters-v1beta2.yaml")
	addCAPICluster(t, mgmt, "v1beta2", "fleet", "w1", cs["w1"])
	ctx := context.Background()

	// What a CLI that lost its connection leaves: the run's objects.
	run := &incluster.RunSpec{RunID: "lost1", Image: "dkp-diagnose.local/dkp-diagnose:test", Shards: 2, Lifetime: time.Hour}
	require.NoError(t, incluster.Create(ctx, mgmt.Client, run))
	job := waitForJob(t, mgmt, 2)
	pods, err := mgmt.Client.CoreV1().Pods(job.Namespace).List(ctx, metav1.ListOptions{LabelSelector: collect.LabelRun + "=lost1"})
	require.NoError(t, err)
	for _, p := range pods.Items {
		root := t.TempDir()
		t.Setenv("JOB_COMPLETION_INDEX", strconv.Itoa(incluster.IndexOf(&p)))
		w := clitest.Run(t, "--in-cluster-worker", "2", "--in-cluster-management-name", "mgmt", "--in-cluster-hold", "0s",
			"--output-dir", filepath.Join(root, "output"), "--all-clusters", "--kubeconfig", mgmt.KubeconfigPath)
		require.Equal(t, app.ExitOK, w.Code, w.Stderr)
		require.NoError(t, mgmt.SetPodRoot(ctx, p.Namespace, p.Name, root))
		// What the worker wrote is its pod's log: its progress events.
		require.NoError(t, mgmt.SetPodLogs(ctx, p.Namespace, p.Name, map[string]string{incluster.WorkerContainer: w.Stderr}))
	}

	bad := clitest.Run(t, "--kubeconfig", mgmt.KubeconfigPath, "--in-cluster", "--run-id", "nope", "--output-dir", t.TempDir())
	assert.Equal(t, app.ExitUsage, bad.Code)
	assert.Contains(t, bad.Stderr, "--run-id nope: no such in-cluster run")

	out := t.TempDir()
	// Redactors given now cannot reach pods that already ran: said so.
	redactors := writeFile(t, t.TempDir(), "late.yaml", "apiVersion: troubleshoot.sh/v1beta2\nkind: Redactor\nspec:\n  redactors:\n    - removals:\n        values: [late]\n")
	res := clitest.Run(t, "--kubeconfig", mgmt.KubeconfigPath, "--in-cluster", "--run-id", "lost1", "--shards", "5",
		"--in-cluster-poll", "200ms", "--output-dir", out, "--redactors", redactors)
	require.Equal(t, app.ExitOK, res.Code)
	assert.Contains(t, res.Stderr, "in-cluster run lost1: resuming")
	assert.Contains(t, res.Stderr, "its pods run the spec the run started with; the spec and redactor files given now are not sent")
	sum := clitest.ReadSummary(t, out)
	assert.Len(t, sum.Shards, 2, "the run's own shard count")
	got := map[string]string{}
	for _, r := range sum.Targets {
		got[string(r.Role)+"/"+r.Label()] = r.Status
		if r.Bundle != "" {
			assert.FileExists(t, r.Bundle)
		}
	}
	assert.Equal(t, map[string]string{"current/mgmt": "ok", "workload/fleet/w1": "ok"}, got)
	assert.Empty(t, inClusterLeftovers(t, mgmt), "nothing of the run is left")

	// The progress of the workers, read from their logs, is shown as a
	// local run of the same clusters shows its own, line for line; none of
	// the events' JSON.
	local := t.TempDir()
	lres := clitest.Run(t, "--kubeconfig", mgmt.KubeconfigPath, "--all-clusters", "--output-dir", local)
	require.Equal(t, app.ExitOK, lres.Code)
	labels := []string{"mgmt", "workload fleet/w1"}
	want := progressLines(t, lres.Stderr, local, labels)
	assert.Len(t, want, 2*(1+6+1), "a line when each target starts, one per collector, one per bundle")
	assert.ElementsMatch(t, want, progressLines(t, res.Stderr, out, labels))
	assert.NotContains(t, res.Stderr, incluster.EventPrefix)
	assertOwnStderr(t, res.Stderr)
}

var (
	plainTime   = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ `)
	durations   = regexp.MustCompile(`\b(\d+h)?(\d+m)?\d+(\.\d+)?(ns|µs|ms|s|m|h)\b`)
	bundleTimes = regexp.MustCompile(`support-bundle-[^ ]*\.tar\.gz`)
	amounts     = regexp.MustCompile(`\d+ (bytes|redactions)`)
)

// progressLines are the plain progress lines of a run's stderr about the
// targets of labels (their start, collectors, bundle), without what
// differs from run to run: times, durations, sizes, bundle times, the
// output folder.
func progressLines(t *testing.T, stderr, dir string, labels []string) []string {
	t.Helper()
	progress, _, found := strings.Cut(stderr, "\nsummary:\n")
	require.True(t, found, "a summary table follows")
	var out []string
	for _, l := range strings.Split(progress, "\n") {
		l = plainTime.ReplaceAllString(l, "")
		ours := strings.HasPrefix(l, "wrote ")
		for _, label := range labels {
			ours = ours || strings.HasPrefix(l, label+": ") || strings.HasPrefix(l, "collecting from "+label+" (")
		}
		if !ours {
			continue
		}
		l = strings.ReplaceAll(l, dir+"/", "OUT/")
		l = bundleTimes.ReplaceAllString(l, "support-bundle-TIME.tar.gz")
		l = amounts.ReplaceAllString(l, "N $1")
		out = append(out, durations.ReplaceAllString(l, "D"))
	}
	return out
}
