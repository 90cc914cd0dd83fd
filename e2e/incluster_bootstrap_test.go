package e2e

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mesosphere/dkp-diagnose/cmd/dkp-diagnose/app"
	"github.com/mesosphere/dkp-diagnose/e2e/clitest"
	"github.com/mesosphere/dkp-diagnose/e2e/framework"
)

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

	out := t.TempDir()
	wait := startCLI(t, "--kubeconfig", mgmt.KubeconfigPath, "--in-cluster", "--shards", strconv.Itoa(shards),
		"--bootstrap-kubeconfig", cs["boot"].KubeconfigPath,
		"--in-cluster-image", "dkp-diagnose.local/dkp-diagnose:test", "--in-cluster-poll", "200ms", "--output-dir", out)
	playJobPods(t, mgmt, waitForJob(t, mgmt, shards), "")
	res := wait()
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
