package kinde2e

import (
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

// TestInClusterOnKind (issue #18): the bootstrap Kind cluster as the
// management cluster, holding a Cluster API Cluster whose kubeconfig
// secret names the workload Kind cluster by its internal address.
// `--all-clusters --in-cluster` runs the Job from the image built by
// hack/kind/dkp-diagnose-image.sh (loaded into the node, no registry): the
// bundles and summary come back, the same files as a local run's (the
// secret then pointing at the address this host reaches), and nothing of
// the run is left in the management cluster.
func TestInClusterOnKind(t *testing.T) {
	mgmt, work := clusters(t)
	image, archive := os.Getenv(imageTagEnv), os.Getenv(imageFileEnv)
	if image == "" || archive == "" {
		t.Fatalf("%s and %s are not set: run `make kind-e2e`", imageTagEnv, imageFileEnv)
	}
	nodes, err := mgmt.provider.ListNodes(mgmt.Name)
	require.NoError(t, err)
	for _, n := range nodes {
		f, err := os.Open(archive)
		require.NoError(t, err)
		require.NoError(t, nodeutils.LoadImageArchive(n, f))
		f.Close()
	}
	registerWorkload(t, mgmt, work)
	setWorkloadSecret(t, mgmt, work, internalKubeconfig(t, work))
	t.Setenv("KUBECONFIG", mgmt.KubeconfigPath)

	// A redactor file reaches the pods in the run's Secret, mounted
	// read-only for the pod's non-root user (fsGroup): it hides the
	// management node's name.
	node := nodes[0].String()
	redactors := filepath.Join(t.TempDir(), "site-redactors.yaml")
	writeSpec(t, redactors, "apiVersion: troubleshoot.sh/v1beta2\nkind: Redactor\nspec:\n  redactors:\n    - removals:\n        values: [\""+node+"\"]\n")

	out := t.TempDir()
	began := time.Now()
	res := clitest.Run(t, "--all-clusters", "--in-cluster", "--shards", "2", "--in-cluster-image", image, "--output-dir", out, "--redactors", redactors)
	inClusterTime := time.Since(began)
	require.Contains(t, []int{app.ExitOK, app.ExitPartial}, res.Code, res.Stderr)
	in := clitest.ReadSummary(t, out)
	require.Len(t, in.Shards, 2)

	ctx := context.Background()
	sel := metav1.ListOptions{LabelSelector: collect.LabelManagedBy + "=" + collect.ManagedBy}
	nss, err := mgmt.Client.CoreV1().Namespaces().List(ctx, sel)
	require.NoError(t, err)
	assert.Empty(t, nss.Items, "no namespace of the run is left")
	crs, err := mgmt.Client.RbacV1().ClusterRoles().List(ctx, sel)
	require.NoError(t, err)
	assert.Empty(t, crs.Items, "no ClusterRole of the run is left")
	assertNothingOfOurs(t, mgmt)
	assertNothingOfOurs(t, work)

	kc, err := os.ReadFile(work.KubeconfigPath)
	require.NoError(t, err)
	setWorkloadSecret(t, mgmt, work, kc)
	local := t.TempDir()
	began = time.Now()
	lres := clitest.Run(t, "--all-clusters", "--output-dir", local, "--redactors", redactors)
	localTime := time.Since(began)
	require.Contains(t, []int{app.ExitOK, app.ExitPartial}, lres.Code, lres.Stderr)
	t.Logf("wall time: in-cluster %s (2 shards), local %s", inClusterTime.Round(time.Millisecond), localTime.Round(time.Millisecond))
	loc := clitest.ReadSummary(t, local)
	require.Len(t, in.Targets, len(loc.Targets))
	for i := range loc.Targets {
		l, r := loc.Targets[i], in.Targets[i]
		assert.Equal(t, l.Label(), r.Label())
		assert.Equal(t, l.Prefix, r.Prefix)
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
