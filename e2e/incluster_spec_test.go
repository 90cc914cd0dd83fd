package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mesosphere/dkp-diagnose/cmd/dkp-diagnose/app"
	"github.com/mesosphere/dkp-diagnose/e2e/clitest"
	"github.com/mesosphere/dkp-diagnose/e2e/framework"
	"github.com/mesosphere/dkp-diagnose/lib/collect"
	"github.com/mesosphere/dkp-diagnose/lib/incluster"
)

// siteToken is seeded in every cluster and must not reach a bundle: the
// user's Redactor removes it.
const siteToken = "zebra-quartz-4411"

// TestInClusterUserSpec (issue #18): `--in-cluster` with a config profile
// naming two spec files and a redactor file runs the user's spec in the
// Job's pods, as a local run does. The files go to the pods in a Secret of
// the run's namespace, mounted at incluster.SpecPath: the test plays the
// pods as TestInClusterCLI does, with the Secret's keys, read back from
// the cluster, written into the folder standing for SpecPath, so what the
// worker reads is what the Secret holds. The bundles hold the spec's
// collectors' files (a ConfigMap, a data file from each spec file), the
// seeded token redacted, the same files as a local run with the same
// profile; the Secret is gone with the rest of the run.
func TestInClusterUserSpec(t *testing.T) {
	const shards = 2
	cs := startClusters(t, "w1")
	mgmt := framework.Start(t, framework.Options{Name: "mgmt", Workers: 1, JobPodsRun: true})
	installCAPI(t, mgmt, "clusters-v1beta2.yaml")
	addCAPICluster(t, mgmt, "v1beta2", "fleet", "w1", cs["w1"])
	ctx := context.Background()
	for _, c := range []*framework.Cluster{mgmt, cs["w1"]} {
		mustCreateNamespace(t, c.Client, "site-check")
		_, err := c.Client.CoreV1().ConfigMaps("site-check").Create(ctx, &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: "marker"},
			Data:       map[string]string{"note": "owner=ticket-7731 token=" + siteToken}}, metav1.CreateOptions{})
		require.NoError(t, err)
	}

	// A profile beside its files, as docs/profiles.md has it: relative
	// paths are the config file's folder's.
	cfgDir := t.TempDir()
	files := map[string]string{
		"site.yaml": `apiVersion: troubleshoot.sh/v1beta2
kind: SupportBundle
metadata:
  name: site
spec:
  collectors:
    - configMap:
        name: marker
        namespace: site-check
        includeAllData: true
    - data:
        name: site/first.txt
        data: "from the first spec, token=` + siteToken + `"
    - data:
        name: site/both.txt
        data: "the same in both spec files"
`,
		"extra spec.yaml": `apiVersion: troubleshoot.sh/v1beta2
kind: SupportBundle
metadata:
  name: extra
spec:
  collectors:
    - data:
        name: site/second.txt
        data: "from the second spec"
    - data:
        name: site/both.txt
        data: "the same in both spec files"
        exclude: true
`,
		"site-redactors.yaml": `apiVersion: troubleshoot.sh/v1beta2
kind: Redactor
metadata:
  name: site-token
spec:
  redactors:
    - name: token
      removals:
        values: ["` + siteToken + `"]
`,
	}
	for n, c := range files {
		writeFile(t, cfgDir, n, c)
	}
	cfg := writeFile(t, cfgDir, "config.yaml", `
profiles:
  site:
    specs: [site.yaml, extra spec.yaml]
    redactors: [site-redactors.yaml]
`)
	profile := []string{"--config", cfg, "--profile", "site", "--kubeconfig", mgmt.KubeconfigPath}

	out := t.TempDir()
	wait := startCLI(t, append(profile, "--in-cluster", "--shards", strconv.Itoa(shards),
		"--in-cluster-image", "dkp-diagnose.local/dkp-diagnose:test", "--in-cluster-poll", "200ms", "--output-dir", out)...)

	job := waitForJob(t, mgmt, shards)
	pod := job.Spec.Template.Spec
	c := pod.Containers[0]
	assert.Contains(t, c.VolumeMounts, corev1.VolumeMount{Name: "spec", MountPath: incluster.SpecPath, ReadOnly: true})
	var secretName string
	for _, v := range pod.Volumes {
		if v.Name == "spec" && v.Secret != nil {
			secretName = v.Secret.SecretName
		}
	}
	require.NotEmpty(t, secretName, "the spec volume is a Secret")
	// While the run goes on the Secret is there, holding the files as
	// they are, in the order given.
	sec, err := mgmt.Client.CoreV1().Secrets(job.Namespace).Get(ctx, secretName, metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, job.Labels[collect.LabelRun], sec.Labels[collect.LabelRun], "labelled as the run")
	assert.Equal(t, map[string][]byte{"spec-0-site.yaml": []byte(files["site.yaml"]), "spec-1-extra-spec.yaml": []byte(files["extra spec.yaml"]),
		"redactors-0-site-redactors.yaml": []byte(files["site-redactors.yaml"])}, sec.Data)
	specRoot := t.TempDir() // stands for SpecPath in the pods
	for k, v := range sec.Data {
		require.NoError(t, os.WriteFile(filepath.Join(specRoot, k), v, 0o400))
	}

	mounted := 0
	for _, a := range c.Args {
		if strings.HasPrefix(a, incluster.SpecPath+"/") {
			mounted++
		}
	}
	require.Equal(t, 3, mounted, "the worker reads every file from the mount: %v", c.Args)
	playJobPods(t, mgmt, job, specRoot)
	res := wait()
	t.Logf("in-cluster run: exit %d\nstderr:\n%s", res.code, res.stderr)
	require.Equal(t, app.ExitOK, res.code)
	// The clash of the two files (the second excludes what the first
	// collects: neither runs) is said once, by the CLI, as a local run
	// says it; not by each shard.
	assert.Equal(t, 1, strings.Count(res.stderr, "specs conflict: "), "the spec files' clash is said once")
	assert.Empty(t, inClusterLeftovers(t, mgmt), "nothing of the run is left")
	_, err = mgmt.Client.CoreV1().Secrets(job.Namespace).Get(ctx, secretName, metav1.GetOptions{})
	assert.True(t, apierrors.IsNotFound(err), "the spec Secret is gone: %v", err)

	local := t.TempDir()
	lres := clitest.Run(t, append(profile, "--all-clusters", "--output-dir", local)...)
	require.Equal(t, app.ExitOK, lres.Code)
	assert.Equal(t, 1, strings.Count(lres.Stderr, "specs conflict: "))
	in, loc := clitest.ReadSummary(t, out), clitest.ReadSummary(t, local)
	require.Len(t, in.Targets, 2)
	require.Len(t, in.Targets, len(loc.Targets))
	for i := range loc.Targets {
		l, r := loc.Targets[i], in.Targets[i]
		require.Equal(t, "ok", r.Status, r.Label())
		assert.Equal(t, l.Label(), r.Label())
		assert.Equal(t, withoutRun(bundleNames(t, l.Bundle)), withoutRun(bundleNames(t, r.Bundle)), "%s: the files of a local run", r.Label())

		b := clitest.OpenBundle(t, r.Bundle)
		var cm struct {
			Data map[string]string `json:"data"`
		}
		require.NoError(t, json.Unmarshal(b["configmaps/site-check/marker.json"], &cm), "%s: the spec's configMap collector", r.Label())
		assert.Equal(t, "owner=ticket-7731 token=***HIDDEN***", cm.Data["note"], "%s: the user's Redactor applied", r.Label())
		assert.Equal(t, "from the first spec, token=***HIDDEN***", string(b["site/first.txt"]))
		assert.Equal(t, "from the second spec", string(b["site/second.txt"]), "the second spec file too")
		assert.NotContains(t, b, "site/both.txt", "excluded by the second spec file")
		for n, data := range b {
			assert.NotContains(t, string(data), siteToken, "%s: %s", r.Label(), n)
			if strings.HasPrefix(n, "configmaps/") {
				assert.Equal(t, "configmaps/site-check/marker.json", n, "the user's spec, not the built-in one (which collects every config map)")
			}
		}
	}
}
