package kinde2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/mesosphere/dkp-diagnose/cmd/dkp-diagnose/app"
	"github.com/mesosphere/dkp-diagnose/e2e/clitest"
	"github.com/mesosphere/dkp-diagnose/e2e/framework"
)

const fleetNamespace = "fleet"

// TestBootstrapAllClustersFromKind: before the pivot, the Cluster API
// objects live in the bootstrap cluster, and the current kubeconfig context
// is that cluster too (kind-konvoy-capi-bootstrapper, as `kind create
// cluster` leaves it). A second Kind cluster is registered there as a Cluster
// with its <name>-kubeconfig secret. `--bootstrap --all-clusters` writes two
// bundles, each from its own cluster, and collects the bootstrap cluster once.
func TestBootstrapAllClustersFromKind(t *testing.T) {
	boot, work := clusters(t)
	registerWorkload(t, boot, work)
	t.Setenv("KUBECONFIG", boot.KubeconfigPath)
	out := t.TempDir()

	res := clitest.Run(t, "--bootstrap", "--all-clusters", "--output-dir", out)
	require.Equal(t, app.ExitOK, res.Code, res.Stderr)
	require.Len(t, res.BundlePaths(), 2, res.Stdout)

	// Collected: the bootstrap cluster and the workload cluster. Skipped as
	// seen twice: the current context (it is the bootstrap cluster). Its
	// Cluster API clusters are listed once, so the workload cluster has
	// one row, not a second one skipped as a duplicate.
	sum := clitest.ReadSummary(t, out)
	byRole := map[string]app.TargetSummary{}
	for _, tg := range sum.Targets {
		if tg.Status == "skipped" {
			assert.Contains(t, tg.Skipped, "same cluster as", "%+v", tg)
			continue
		}
		require.NotContains(t, byRole, string(tg.Role), "one collected target per role: %+v", sum.Targets)
		byRole[string(tg.Role)] = tg
	}
	require.Len(t, byRole, 2, "%+v", sum.Targets)
	assert.Len(t, sum.Targets, 3, "bootstrap, current (skipped: the same cluster), the workload cluster once")

	for role, want := range map[string]*kindCluster{"bootstrap": boot, "workload": work} {
		tg := byRole[role]
		require.Equal(t, "ok", tg.Status, "%s: %+v", role, tg)
		files := clitest.OpenBundle(t, tg.Bundle)
		assert.Equal(t, []string{want.nodeName()}, clitest.ListNames(t, files["cluster-resources/nodes.json"]),
			"%s bundle %s holds the nodes of %s", role, filepath.Base(tg.Bundle), want.Name)
		assert.NotEmpty(t, files["allPodLogs/kube-system/kube-apiserver-"+want.nodeName()+"-kube-apiserver.log"])
		assert.NotEmpty(t, files["node-diagnostics/"+want.nodeName()+"/data/kubelet_config.yaml"],
			"%s: node-diagnostics files: %v", role, fileNames(files, "node-diagnostics/"))
		assertNothingOfOurs(t, want)
	}
	assert.Equal(t, "bootstrap-"+bootstrapName+"-", clitest.PrefixOf(byRole["bootstrap"].Bundle))
	assert.Equal(t, "workload-"+fleetNamespace+"-"+workloadName+"-", clitest.PrefixOf(byRole["workload"].Bundle))
	assert.Equal(t, "secret "+fleetNamespace+"/"+workloadName+"-kubeconfig on bootstrap cluster "+bootstrapName, byRole["workload"].Source)
}

// registerWorkload installs the Cluster API clusters CRD on mgmt and creates
// the Cluster fleet/<work> with the <work>-kubeconfig secret Cluster API
// would write, holding work's kubeconfig as seen from this host.
func registerWorkload(t *testing.T, mgmt, work *kindCluster) {
	t.Helper()
	ctx := context.Background()
	crd := filepath.Join("..", "testdata", "capi", "clusters-v1beta2.yaml")
	require.NoError(t, framework.InstallCRDs(ctx, mgmt.Dynamic, crd))

	_, err := mgmt.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fleetNamespace}}, metav1.CreateOptions{})
	if !apierrors.IsAlreadyExists(err) {
		require.NoError(t, err)
	}
	gvr := schema.GroupVersionResource{Group: "cluster.x-k8s.io", Version: "v1beta2", Resource: "clusters"}
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "cluster.x-k8s.io/v1beta2",
		"kind":       "Cluster",
		"metadata":   map[string]any{"name": work.Name, "namespace": fleetNamespace},
		"spec":       map[string]any{"paused": false},
	}}
	_, err = mgmt.Dynamic.Resource(gvr).Namespace(fleetNamespace).Create(ctx, obj, metav1.CreateOptions{})
	if !apierrors.IsAlreadyExists(err) {
		require.NoError(t, err)
	}
	kc, err := os.ReadFile(work.KubeconfigPath)
	require.NoError(t, err)
	_, err = mgmt.Client.CoreV1().Secrets(fleetNamespace).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name:   work.Name + "-kubeconfig",
			Labels: map[string]string{"cluster.x-k8s.io/cluster-name": work.Name},
		},
		Type: "cluster.x-k8s.io/secret",
		Data: map[string][]byte{"value": kc},
	}, metav1.CreateOptions{})
	if !apierrors.IsAlreadyExists(err) {
		require.NoError(t, err)
	}
}
