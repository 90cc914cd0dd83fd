package kinde2e

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/kind/pkg/cluster/nodeutils"

	"github.com/mesosphere/dkp-diagnose/cmd/dkp-diagnose/app"
	"github.com/mesosphere/dkp-diagnose/e2e/clitest"
	"github.com/mesosphere/dkp-diagnose/lib/collect"
	"github.com/mesosphere/dkp-diagnose/lib/targets"
)

// The dkp-diagnose image built by hack/kind/dkp-diagnose-image.sh.
const (
	imageTagEnv  = "DKP_KIND_DKP_DIAGNOSE_IMAGE"
	imageFileEnv = "DKP_KIND_DKP_DIAGNOSE_ARCHIVE"
)

// setWorkloadSecret points the fleet/<work> Cluster's kubeconfig secret on
// mgmt at kubeconfig.
func setWorkloadSecret(t *testing.T, mgmt, work *kindCluster, kubeconfig []byte) {
	t.Helper()
	ctx := context.Background()
	s, err := mgmt.Client.CoreV1().Secrets(fleetNamespace).Get(ctx, work.Name+"-kubeconfig", metav1.GetOptions{})
	require.NoError(t, err)
	s.Data = map[string][]byte{"value": kubeconfig}
	_, err = mgmt.Client.CoreV1().Secrets(fleetNamespace).Update(ctx, s, metav1.UpdateOptions{})
	require.NoError(t, err)
}

// internalKubeconfig is work's kubeconfig as a pod in another Kind cluster
// reaches it: the control-plane container's address on the engine's
// network, which its API server certificate names.
func internalKubeconfig(t *testing.T, work *kindCluster) []byte {
	t.Helper()
	nodes, err := work.provider.ListNodes(work.Name)
	require.NoError(t, err)
	require.Len(t, nodes, 1)
	ip, _, err := nodes[0].IP()
	require.NoError(t, err)
	cfg, err := clientcmd.LoadFromFile(work.KubeconfigPath)
	require.NoError(t, err)
	for _, c := range cfg.Clusters {
		c.Server = "https://" + ip + ":6443"
	}
	data, err := clientcmd.Write(*cfg)
	require.NoError(t, err)
	return data
}

// secondWorkloadName is the third Kind cluster, made for the in-cluster
// test alone (issue #18 asks for a fleet of two workload clusters) and
// deleted when it ends, to give the other tests their CPU back.
const secondWorkloadName = "dkp-e2e-workload-2"

// loadImage puts the dkp-diagnose image archive into every node of c.
func loadImage(t *testing.T, c *kindCluster, archive string) {
	t.Helper()
	nodes, err := c.provider.ListNodes(c.Name)
	require.NoError(t, err)
	for _, n := range nodes {
		f, err := os.Open(archive)
		require.NoError(t, err)
		require.NoError(t, nodeutils.LoadImageArchive(n, f))
		f.Close()
	}
}

// assertRunGone checks that nothing of an in-cluster run is left in the
// management cluster (its namespace, ClusterRole, pods) nor of its node
// collectors in any cluster.
func assertRunGone(t *testing.T, mgmt *kindCluster, work ...*kindCluster) {
	t.Helper()
	ctx := context.Background()
	sel := metav1.ListOptions{LabelSelector: collect.LabelManagedBy + "=" + collect.ManagedBy}
	nss, err := mgmt.Client.CoreV1().Namespaces().List(ctx, sel)
	require.NoError(t, err)
	assert.Empty(t, nss.Items, "no namespace of the run is left")
	crs, err := mgmt.Client.RbacV1().ClusterRoles().List(ctx, sel)
	require.NoError(t, err)
	assert.Empty(t, crs.Items, "no ClusterRole of the run is left")
	crbs, err := mgmt.Client.RbacV1().ClusterRoleBindings().List(ctx, sel)
	require.NoError(t, err)
	assert.Empty(t, crbs.Items, "no ClusterRoleBinding of the run is left")
	assertNothingOfOurs(t, mgmt)
	for _, w := range work {
		assertNothingOfOurs(t, w)
	}
}

// TestInClusterOnKind (issue #18): the bootstrap Kind cluster as the
// management cluster, holding Cluster API Clusters whose kubeconfig
// secrets name two workload Kind clusters by their internal addresses.
// `--all-clusters --in-cluster` runs the Job from the image built by
// hack/kind/dkp-diagnose-image.sh (loaded into the node, no registry): the
// bundles and summary come back, the same files as a local run's (the
// secrets then pointing at the addresses this host reaches), and nothing
// of the run is left. Ctrl-C in the middle of a second in-cluster run
// leaves nothing either.
func TestInClusterOnKind(t *testing.T) {
	mgmt, work := clusters(t)
	image, archive := os.Getenv(imageTagEnv), os.Getenv(imageFileEnv)
	if image == "" || archive == "" {
		t.Fatalf("%s and %s are not set: run `make kind-e2e`", imageTagEnv, imageFileEnv)
	}
	began := time.Now()
	more, err := createAll(settings, secondWorkloadName)
	require.NoError(t, err)
	work2 := more[secondWorkloadName]
	t.Cleanup(func() {
		if err := work2.delete(); err != nil {
			t.Log(err)
		}
	})
	t.Logf("Kind cluster %s ready in %s", secondWorkloadName, time.Since(began).Round(time.Second))
	loadImage(t, mgmt, archive)
	fleetWork := []*kindCluster{work, work2}
	for _, w := range fleetWork {
		registerWorkload(t, mgmt, w)
		setWorkloadSecret(t, mgmt, w, internalKubeconfig(t, w))
	}
	t.Setenv("KUBECONFIG", mgmt.KubeconfigPath)

	// A redactor file reaches the pods in the run's Secret, mounted
	// read-only for the pod's non-root user (fsGroup): it hides the
	// management node's name.
	nodes, err := mgmt.provider.ListNodes(mgmt.Name)
	require.NoError(t, err)
	node := nodes[0].String()
	redactors := filepath.Join(t.TempDir(), "site-redactors.yaml")
	writeSpec(t, redactors, "apiVersion: troubleshoot.sh/v1beta2\nkind: Redactor\nspec:\n  redactors:\n    - removals:\n        values: [\""+node+"\"]\n")

	out := t.TempDir()
	began = time.Now()
	res := clitest.Run(t, "--all-clusters", "--in-cluster", "--shards", "2", "--in-cluster-image", image, "--output-dir", out, "--redactors", redactors)
	inClusterTime := time.Since(began)
	require.Contains(t, []int{app.ExitOK, app.ExitPartial}, res.Code, res.Stderr)
	in := clitest.ReadSummary(t, out)
	require.Len(t, in.Shards, 2)
	assertRunGone(t, mgmt, fleetWork...)

	t.Run("interrupted", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan int, 1)
		var errb bytes.Buffer
		go func() {
			done <- app.Run(ctx, []string{"--all-clusters", "--in-cluster", "--shards", "2", "--in-cluster-image", image,
				"--output-dir", t.TempDir()}, &bytes.Buffer{}, &errb)
		}()
		// Ctrl-C once the workers collect: their pods run and the node
		// collectors' DaemonSets are out in the workload clusters.
		require.Eventually(t, func() bool {
			for _, w := range fleetWork {
				ds, err := w.Client.AppsV1().DaemonSets("").List(context.Background(), metav1.ListOptions{LabelSelector: collect.LabelManagedBy + "=" + collect.ManagedBy})
				if err == nil && len(ds.Items) > 0 {
					return true
				}
			}
			return false
		}, 3*time.Minute, 100*time.Millisecond, "the workers' node collectors start")
		cancel()
		select {
		case code := <-done:
			t.Logf("interrupted in-cluster run: exit %d\n%s", code, errb.String())
			assert.NotEqual(t, app.ExitOK, code)
		case <-time.After(3 * time.Minute):
			t.Fatal("the CLI did not stop")
		}
		// The workers end their node collectors when their pods are
		// removed; the CLI waits for the namespace to go.
		assert.Eventually(t, func() bool {
			for _, w := range fleetWork {
				ds, err := w.Client.AppsV1().DaemonSets("").List(context.Background(), metav1.ListOptions{LabelSelector: collect.LabelManagedBy + "=" + collect.ManagedBy})
				if err != nil || len(ds.Items) > 0 {
					return false
				}
			}
			return true
		}, 30*time.Second, 500*time.Millisecond, "the node collectors' DaemonSets are removed")
		assertRunGone(t, mgmt, fleetWork...)
	})

	for _, w := range fleetWork {
		kc, err := os.ReadFile(w.KubeconfigPath)
		require.NoError(t, err)
		setWorkloadSecret(t, mgmt, w, kc)
	}
	local := t.TempDir()
	began = time.Now()
	lres := clitest.Run(t, "--all-clusters", "--output-dir", local, "--redactors", redactors)
	localTime := time.Since(began)
	require.Contains(t, []int{app.ExitOK, app.ExitPartial}, lres.Code, lres.Stderr)
	t.Logf("wall time: in-cluster %s (2 shards), local %s, for the management cluster and 2 workload clusters",
		inClusterTime.Round(time.Millisecond), localTime.Round(time.Millisecond))
	loc := clitest.ReadSummary(t, local)
	require.Len(t, in.Targets, len(loc.Targets))
	require.Len(t, loc.Targets, 3, "the management cluster and two workload clusters")
	for i := range loc.Targets {
		l, r := loc.Targets[i], in.Targets[i]
		assert.Equal(t, l.Label(), r.Label())
		assert.Equal(t, l.Prefix, r.Prefix)
		assert.Equal(t, l.Status, r.Status, l.Label())
		if l.Bundle == "" || r.Bundle == "" {
			assert.Equal(t, l.Bundle == "", r.Bundle == "", l.Label())
			continue
		}
		assert.Equal(t, kindFiles(t, l.Bundle), kindFiles(t, r.Bundle), "%s: same files", l.Label())
		if r.Role == targets.RoleCurrent {
			nodesFile := string(clitest.OpenBundle(t, r.Bundle)["cluster-resources/nodes.json"])
			assert.Contains(t, nodesFile, "***HIDDEN***", "the pods applied the redactor file")
			assert.NotContains(t, nodesFile, node)
		}
	}
}

// kindFiles lists a bundle's files but for those that differ between any
// two runs (the run's own namespace, pods, Job and DaemonSet, and the
// logs of pods that come and go).
func kindFiles(t *testing.T, path string) []string {
	t.Helper()
	var out []string
	for n := range clitest.OpenBundle(t, path) {
		if strings.Contains(n, "dkp-diagnose") || strings.HasPrefix(n, "cluster-resources/daemonsets/") ||
			strings.HasPrefix(n, "cluster-resources/events") || strings.HasPrefix(n, "execution-data/") {
			continue
		}
		out = append(out, filepath.ToSlash(n))
	}
	sort.Strings(out)
	return out
}
