package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/mesosphere/dkp-diagnose/cmd/dkp-diagnose/app"
	"github.com/mesosphere/dkp-diagnose/e2e/clitest"
	"github.com/mesosphere/dkp-diagnose/e2e/framework"
	"github.com/mesosphere/dkp-diagnose/lib/targets"
)

// startClusters starts clusters with the given names at once (each takes a
// few seconds) and creates a namespace "only-in-<name>" in each, so a bundle
// shows which cluster it came from.
func startClusters(t *testing.T, names ...string) map[string]*framework.Cluster {
	t.Helper()
	out := make(map[string]*framework.Cluster, len(names))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, n := range names {
		wg.Go(func() {
			c := framework.Start(t, framework.Options{Name: n, Workers: 1})
			mu.Lock()
			out[n] = c
			mu.Unlock()
		})
	}
	wg.Wait()
	for _, n := range names {
		require.NotNil(t, out[n], "cluster %s did not start", n)
		mustCreateNamespace(t, out[n].Client, "only-in-"+n)
	}
	return out
}

// installCAPI installs the Cluster API clusters CRD from testdata/capi.
func installCAPI(t *testing.T, c *framework.Cluster, crdFile string) {
	t.Helper()
	require.NoError(t, c.InstallCRDs(context.Background(), filepath.Join("testdata", "capi", crdFile)))
}

// addCAPICluster creates a Cluster object namespace/name on mgmt and, when
// target is not nil, its "<name>-kubeconfig" secret holding target's admin
// kubeconfig, as Cluster API does.
func addCAPICluster(t *testing.T, mgmt *framework.Cluster, version, namespace, name string, target *framework.Cluster) {
	t.Helper()
	ctx := context.Background()
	if _, err := mgmt.Client.CoreV1().Namespaces().Get(ctx, namespace, metav1.GetOptions{}); err != nil {
		mustCreateNamespace(t, mgmt.Client, namespace)
	}
	gvr := schema.GroupVersionResource{Group: "cluster.x-k8s.io", Version: version, Resource: "clusters"}
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "cluster.x-k8s.io/" + version,
		"kind":       "Cluster",
		"metadata":   map[string]any{"name": name, "namespace": namespace},
		"spec":       map[string]any{"paused": false},
	}}
	_, err := mgmt.Dynamic.Resource(gvr).Namespace(namespace).Create(ctx, obj, metav1.CreateOptions{})
	require.NoError(t, err)
	if target == nil {
		return
	}
	addKubeconfigSecret(t, mgmt, target, namespace, name)
}

// addKubeconfigSecret creates Cluster API's "<name>-kubeconfig" secret of
// cluster namespace/name on mgmt, holding the admin kubeconfig of target.
func addKubeconfigSecret(t *testing.T, mgmt, target *framework.Cluster, namespace, name string) {
	t.Helper()
	kc, err := os.ReadFile(target.KubeconfigPath)
	require.NoError(t, err)
	putKubeconfigSecret(t, mgmt, namespace, name, kc)
}

// putKubeconfigSecret creates Cluster API's "<name>-kubeconfig" secret of
// cluster namespace/name on mgmt, holding kubeconfig as it is.
func putKubeconfigSecret(t *testing.T, mgmt *framework.Cluster, namespace, name string, kubeconfig []byte) {
	t.Helper()
	_, err := mgmt.Client.CoreV1().Secrets(namespace).Create(context.Background(), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name:   name + "-kubeconfig",
			Labels: map[string]string{"cluster.x-k8s.io/cluster-name": name},
		},
		Type: "cluster.x-k8s.io/secret",
		Data: map[string][]byte{"value": kubeconfig},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
}

// byID indexes a summary by "role/namespace/name".
func byID(s app.Summary) map[string]app.TargetSummary {
	out := map[string]app.TargetSummary{}
	for _, t := range s.Targets {
		id := string(t.Role) + "/" + t.Name
		if t.Namespace != "" {
			id = string(t.Role) + "/" + t.Namespace + "/" + t.Name
		}
		out[id] = t
	}
	return out
}

// assertFromCluster checks that a bundle came from the cluster named name
// and from no other of all.
func assertFromCluster(t *testing.T, bundlePath, name string, all []string) {
	t.Helper()
	files := clitest.OpenBundle(t, bundlePath)
	ns := clitest.ListNames(t, files["cluster-resources/namespaces.json"])
	assert.Contains(t, ns, "only-in-"+name, "bundle %s is from %s", filepath.Base(bundlePath), name)
	for _, other := range all {
		if other != name {
			assert.NotContains(t, ns, "only-in-"+other, "bundle %s is not from %s", filepath.Base(bundlePath), other)
		}
	}
}

// TestTargetsAllClusters: a management cluster whose Cluster API objects
// describe two live workload clusters, one still provisioning (no kubeconfig
// secret), one whose apiserver is down, and itself (self-managed). One run
// with --all-clusters writes a bundle per reachable cluster, each from the
// right cluster, records the others, and exits 3. Both CRD variants: v1beta2
// (with v1beta1 served too) and v1beta1 only.
func TestTargetsAllClusters(t *testing.T) {
	for _, v := range []struct{ crd, version string }{
		{"clusters-v1beta2.yaml", "v1beta2"},
		{"clusters-v1beta1.yaml", "v1beta1"},
	} {
		t.Run(v.version, func(t *testing.T) {
			cs := startClusters(t, "mgmt", "w1", "w2", "dead")
			mgmt := cs["mgmt"]
			installCAPI(t, mgmt, v.crd)
			addCAPICluster(t, mgmt, v.version, "fleet", "w1", cs["w1"])
			addCAPICluster(t, mgmt, v.version, "fleet", "w2", cs["w2"])
			addCAPICluster(t, mgmt, v.version, "fleet", "dead", cs["dead"])
			addCAPICluster(t, mgmt, v.version, "fleet", "provisioning", nil)
			addCAPICluster(t, mgmt, v.version, "default", "mgmt", mgmt) // self-managed
			cs["dead"].StopAPIServer()
			live := []string{"mgmt", "w1", "w2"}

			// What an in-cluster run's CLI reads: the Cluster objects'
			// names, no kubeconfig secret.
			t.Run("cluster names only", func(t *testing.T) {
				cfg, err := clientcmd.BuildConfigFromFlags("", mgmt.KubeconfigPath)
				require.NoError(t, err)
				from := &targets.Target{Role: targets.RoleCurrent, Name: "mgmt", Config: cfg}
				refs, capi, err := targets.ClusterRefs(context.Background(), from, nil)
				require.NoError(t, err)
				assert.Equal(t, v.version, capi)
				assert.ElementsMatch(t, []targets.ClusterRef{{Namespace: "fleet", Name: "w1"}, {Namespace: "fleet", Name: "w2"},
					{Namespace: "fleet", Name: "dead"}, {Namespace: "fleet", Name: "provisioning"}, {Namespace: "default", Name: "mgmt"}}, refs)
				refs, _, err = targets.ClusterRefs(context.Background(), from, []targets.ClusterRef{{Namespace: "fleet", Name: "w2"}, {Namespace: "fleet", Name: "nope"}})
				require.NoError(t, err)
				assert.Equal(t, []targets.ClusterRef{{Namespace: "fleet", Name: "w2"}}, refs)
			})

			t.Run("targets", func(t *testing.T) {
				res := clitest.Run(t, "targets", "--kubeconfig", mgmt.KubeconfigPath, "--all-clusters", "--output", "json")
				assert.Equal(t, app.ExitPartial, res.Code, "a target is unreachable")
				var l app.TargetList
				require.NoError(t, json.Unmarshal([]byte(res.Stdout), &l), res.Stdout)
				reach := map[string]bool{}
				for _, tg := range l.Targets {
					require.NotNil(t, tg.Probe)
					reach[tg.ID()] = tg.Probe.Reachable
				}
				assert.Equal(t, map[string]bool{
					"current/mgmt": true, "workload/fleet/w1": true, "workload/fleet/w2": true, "workload/fleet/dead": false,
				}, reach)
				require.Len(t, l.Skipped, 2)
				assert.Contains(t, l.Skipped[0].Reason, "no kubeconfig secret fleet/provisioning-kubeconfig")
				assert.Contains(t, l.Skipped[1].Reason, "same cluster as current mgmt")
				assert.Contains(t, res.Stdout, `"prefix": "workload-fleet-w1-"`)
				assert.Len(t, bundleFilesIn(t, "."), 0, "nothing collected")
			})

			out := t.TempDir()
			began := time.Now()
			res := clitest.Run(t, "--kubeconfig", mgmt.KubeconfigPath, "--all-clusters", "--output-dir", out, "--output", "json")
			t.Logf("--all-clusters took %s", time.Since(began).Round(time.Millisecond))
			require.Equal(t, app.ExitPartial, res.Code, "a dead cluster makes the run partial")
			assert.Contains(t, res.Stderr, "1 without a usable kubeconfig")

			var fromStdout app.Summary
			require.NoError(t, json.Unmarshal([]byte(res.Stdout), &fromStdout), res.Stdout)
			sum := clitest.ReadSummary(t, out)
			assert.Equal(t, fromStdout, sum, "stdout JSON and summary.json agree")

			got := byID(sum)
			require.Len(t, got, 6, "%+v", sum.Targets)
			for id, name := range map[string]string{"current/mgmt": "mgmt", "workload/fleet/w1": "w1", "workload/fleet/w2": "w2"} {
				tg := got[id]
				assert.Equal(t, "ok", tg.Status, "%s: %+v", id, tg)
				require.NotEmpty(t, tg.Bundle, id)
				assert.Equal(t, out, filepath.Dir(tg.Bundle))
				assert.Positive(t, tg.Bytes)
				require.NotNil(t, tg.Collectors)
				assert.Zero(t, tg.Collectors.Failed)
				assert.Positive(t, tg.Collectors.OK)
				assertFromCluster(t, tg.Bundle, name, live)
			}
			assert.Equal(t, "current-mgmt-", clitest.PrefixOf(got["current/mgmt"].Bundle))
			assert.Equal(t, "workload-fleet-w1-", clitest.PrefixOf(got["workload/fleet/w1"].Bundle))
			assert.Equal(t, "workload-fleet-w2-", clitest.PrefixOf(got["workload/fleet/w2"].Bundle))
			assert.Equal(t, "secret fleet/w1-kubeconfig on current cluster mgmt", got["workload/fleet/w1"].Source)

			dead := got["workload/fleet/dead"]
			assert.Equal(t, "failed", dead.Status)
			assert.Contains(t, dead.Error, "cluster unreachable")
			require.NotEmpty(t, dead.Bundle, "an unreachable cluster still gets a bundle saying why")
			deadFiles := clitest.OpenBundle(t, dead.Bundle)
			assert.Contains(t, string(deadFiles["execution-data/summary.json"]), "cluster unreachable")
			assert.Equal(t, "workload-fleet-dead-", clitest.PrefixOf(dead.Bundle))

			prov := got["workload/fleet/provisioning"]
			assert.Equal(t, "skipped", prov.Status)
			assert.Contains(t, prov.Skipped, "no kubeconfig secret fleet/provisioning-kubeconfig")
			assert.Empty(t, prov.Bundle)

			self := got["workload/default/mgmt"]
			assert.Equal(t, "skipped", self.Status)
			assert.Contains(t, self.Skipped, "same cluster as current mgmt")

			var bundles []string
			for _, tg := range sum.Targets {
				if tg.Bundle != "" {
					bundles = append(bundles, filepath.Base(tg.Bundle))
				}
			}
			sort.Strings(bundles)
			found := bundleFilesIn(t, out)
			sort.Strings(found)
			assert.Equal(t, bundles, found, "one bundle per collected target, nothing else")
			assert.Len(t, found, 4)

			t.Run("cluster filter", func(t *testing.T) {
				out := t.TempDir()
				res := clitest.Run(t, "--kubeconfig", mgmt.KubeconfigPath, "--cluster", "fleet/w2", "--cluster", "fleet/nope", "--output-dir", out)
				assert.Equal(t, app.ExitPartial, res.Code, "--cluster naming a missing cluster fails it")
				got := byID(clitest.ReadSummary(t, out))
				assert.ElementsMatch(t, []string{"current/mgmt", "workload/fleet/w2", "workload/fleet/nope"}, keys(got))
				assert.Equal(t, "ok", got["workload/fleet/w2"].Status)
				assert.Equal(t, "failed", got["workload/fleet/nope"].Status)
				assert.Contains(t, got["workload/fleet/nope"].Error, "no such Cluster API cluster")
				assert.Len(t, res.BundlePaths(), 2, "text output: one bundle path per line")
				assertFromCluster(t, got["workload/fleet/w2"].Bundle, "w2", live)
			})
		})
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestTargetsBootstrap: before "clusterctl move" the Cluster objects live in
// the bootstrap cluster; --bootstrap --all-clusters finds them there, next to
// the current cluster (which has no Cluster API). Prefixes are the same on a
// second run (TestTargetsParallelWallTime measures the parallelism).
func TestTargetsBootstrap(t *testing.T) {
	cs := startClusters(t, "boot", "mgmt", "w1")
	boot := cs["boot"]
	installCAPI(t, boot, "clusters-v1beta2.yaml")
	addCAPICluster(t, boot, "v1beta2", "fleet", "w1", cs["w1"])
	all := []string{"boot", "mgmt", "w1"}

	run := func(t *testing.T, out string, extra ...string) (clitest.Result, app.Summary) {
		args := append([]string{"--kubeconfig", cs["mgmt"].KubeconfigPath, "--bootstrap", "--bootstrap-kubeconfig", boot.KubeconfigPath,
			"--all-clusters", "--output-dir", out}, extra...)
		began := time.Now()
		res := clitest.Run(t, args...)
		t.Logf("%v took %s", extra, time.Since(began).Round(time.Millisecond))
		return res, clitest.ReadSummary(t, out)
	}

	out1 := t.TempDir()
	res, sum := run(t, out1)
	require.Equal(t, app.ExitOK, res.Code, res.Stderr)
	assert.Contains(t, res.Stderr, "current cluster mgmt: Cluster API (clusters.cluster.x-k8s.io) is not installed")
	got := byID(sum)
	require.ElementsMatch(t, []string{"bootstrap/konvoy-capi-bootstrapper", "current/mgmt", "workload/fleet/w1"}, keys(got))
	for id, name := range map[string]string{"bootstrap/konvoy-capi-bootstrapper": "boot", "current/mgmt": "mgmt", "workload/fleet/w1": "w1"} {
		assert.Equal(t, "ok", got[id].Status, id)
		assertFromCluster(t, got[id].Bundle, name, all)
	}
	assert.Equal(t, "secret fleet/w1-kubeconfig on bootstrap cluster konvoy-capi-bootstrapper", got["workload/fleet/w1"].Source)
	paths := res.BundlePaths()
	require.Len(t, paths, 3)

	// Same prefixes on a second run, in another folder.
	out2 := t.TempDir()
	res2, _ := run(t, out2, "--parallel-targets", "1")
	require.Equal(t, app.ExitOK, res2.Code, res2.Stderr)
	var p1, p2 []string
	for _, p := range paths {
		p1 = append(p1, clitest.PrefixOf(p))
	}
	for _, p := range res2.BundlePaths() {
		p2 = append(p2, clitest.PrefixOf(p))
	}
	assert.Equal(t, []string{"bootstrap-konvoy-capi-bootstrapper-", "current-mgmt-", "workload-fleet-w1-"}, p1)
	assert.Equal(t, p1, p2, "prefixes are stable across runs")

	t.Run("bootstrap alone", func(t *testing.T) {
		out := t.TempDir()
		res := clitest.Run(t, "--bootstrap-kubeconfig", boot.KubeconfigPath, "--output-dir", out)
		require.Equal(t, app.ExitOK, res.Code, res.Stderr)
		paths := res.BundlePaths()
		require.Len(t, paths, 1)
		assert.Equal(t, "bootstrap-konvoy-capi-bootstrapper-", clitest.PrefixOf(paths[0]))
		assertFromCluster(t, paths[0], "boot", all)
	})

	t.Run("current context is the bootstrap cluster", func(t *testing.T) {
		out := t.TempDir()
		res := clitest.Run(t, "--kubeconfig", boot.KubeconfigPath, "--bootstrap-kubeconfig", boot.KubeconfigPath, "--all-clusters", "--output-dir", out)
		require.Equal(t, app.ExitOK, res.Code, res.Stderr)
		sum := clitest.ReadSummary(t, out)
		rows := map[string]int{}
		for _, tg := range sum.Targets {
			rows[tg.Namespace+"/"+tg.Name]++
		}
		assert.Equal(t, 1, rows["fleet/w1"], "one row for the workload cluster: %+v", sum.Targets)
		assert.Len(t, res.BundlePaths(), 2, "bootstrap and w1; the current context is the same cluster")
		assert.Contains(t, res.Stderr, "its Cluster API clusters are listed once")
		assert.Equal(t, 1, strings.Count(res.Stderr, "1 Cluster API clusters"), "counted once")
	})

	t.Run("missing kind cluster is one line", func(t *testing.T) {
		out := t.TempDir()
		res := clitest.Run(t, "--kubeconfig", cs["mgmt"].KubeconfigPath, "--bootstrap", "--bootstrap-cluster-name", "no-such-cluster", "--all-clusters", "--output-dir", out)
		assert.Equal(t, app.ExitPartial, res.Code, "the other targets are still collected")
		got := byID(clitest.ReadSummary(t, out))
		b := got["bootstrap/no-such-cluster"]
		assert.Equal(t, "failed", b.Status)
		assert.NotContains(t, b.Error, "\n")
		assert.Contains(t, b.Error, `bootstrap cluster "no-such-cluster"`)
		assert.Equal(t, "ok", got["current/mgmt"].Status)
		assert.True(t, strings.Contains(res.Stderr, "no-such-cluster"))
	})
}
