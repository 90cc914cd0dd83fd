package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
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
	"k8s.io/client-go/rest"

	"github.com/mesosphere/dkp-diagnose/e2e/clitest"
	"github.com/mesosphere/dkp-diagnose/lib/collect"
	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
	"github.com/mesosphere/dkp-diagnose/lib/fleet"
	"github.com/mesosphere/dkp-diagnose/lib/incluster"
	"github.com/mesosphere/dkp-diagnose/lib/targets"
)

// clusterFront is one "cluster" of the simulated fleet: an address of its
// own in front of a real API server, answering with a kube-system UID of
// its own (so that de-duplication sees fifty clusters, not two), and
// recording the User-Agent of every request it passes on.
type clusterFront struct {
	url string
	uid string

	mu     sync.Mutex
	agents map[string]int
}

// startFront serves a front for backend on a fresh local port; the front
// adds the backend's admin credentials, so the kubeconfig pointing at it
// needs none.
func startFront(t *testing.T, backend *rest.Config, uid string) *clusterFront {
	t.Helper()
	tr, err := rest.TransportFor(backend)
	require.NoError(t, err)
	target, err := url.Parse(backend.Host)
	require.NoError(t, err)
	f := &clusterFront{uid: uid, agents: map[string]int{}}
	proxy := &httputil.ReverseProxy{
		Transport:     tr,
		FlushInterval: -1,
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			if r.In.URL.Path == "/api/v1/namespaces/kube-system" {
				r.Out.Header.Set("Accept", "application/json")
			}
		},
		ModifyResponse: func(resp *http.Response) error {
			if resp.Request.URL.Path != "/api/v1/namespaces/kube-system" || resp.StatusCode != http.StatusOK {
				return nil
			}
			var ns map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&ns); err != nil {
				return err
			}
			resp.Body.Close()
			ns["metadata"].(map[string]any)["uid"] = f.uid
			data, _ := json.Marshal(ns)
			resp.Body = io.NopCloser(bytes.NewReader(data))
			resp.ContentLength = int64(len(data))
			resp.Header.Set("Content-Length", strconv.Itoa(len(data)))
			return nil
		},
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.agents[r.UserAgent()]++
		f.mu.Unlock()
		proxy.ServeHTTP(w, r)
	}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	f.url = "http://" + ln.Addr().String()
	return f
}

// shardAgents are the User-Agents of the shards' collection requests that
// reached the front.
func (f *clusterFront) shardAgents() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for a := range f.agents {
		if strings.HasPrefix(a, "sim-shard-") {
			out = append(out, a)
		}
	}
	return out
}

// frontKubeconfig is a kubeconfig naming only the front's address: the
// front holds the credentials.
func frontKubeconfig(name, server string) []byte {
	return fmt.Appendf(nil, `apiVersion: v1
kind: Config
clusters:
- name: %[1]s
  cluster: {server: %[2]q}
users:
- name: %[1]s-admin
  user: {}
contexts:
- name: %[1]s
  context: {cluster: %[1]s, user: %[1]s-admin}
current-context: %[1]s
`, name, server)
}

const simSpec = `apiVersion: troubleshoot.sh/v1beta2
kind: SupportBundle
metadata: {name: sim}
spec:
  collectors:
    - clusterInfo: {}
    - clusterResources: {namespaces: [default]}
`

// TestInClusterSimulation (issue #18): 50 Cluster API clusters, each
// behind its own address in front of one of two real API servers, sharded
// over 5 Job indexes run as 5 in-process workers with the management
// cluster's config, as the Job's pods would. Index 3 is given a broken
// config for the management cluster. Every cluster of the 4 good shards is
// collected exactly once (one shard's User-Agent at its front, one bundle,
// one summary row); index 3's clusters are failed rows naming the shard,
// and the merged run is partial, not failed.
func TestInClusterSimulation(t *testing.T) {
	const clusters, shards, broken = 50, 5, 3
	cs := startClusters(t, "mgmt", "w1", "w2")
	mgmt := cs["mgmt"]
	installCAPI(t, mgmt, "clusters-v1beta2.yaml")
	ctx := context.Background()
	mustCreateNamespace(t, mgmt.Client, "fleet")
	gvr := schema.GroupVersionResource{Group: "cluster.x-k8s.io", Version: "v1beta2", Resource: "clusters"}
	fronts := map[string]*clusterFront{}
	for i := range clusters {
		name := fmt.Sprintf("sim-%02d", i)
		backend := cs[[]string{"w1", "w2"}[i%2]]
		f := startFront(t, backend.RESTConfig(), fmt.Sprintf("00000000-0000-0000-0000-%012d", i))
		fronts[name] = f
		_, err := mgmt.Dynamic.Resource(gvr).Namespace("fleet").Create(ctx, &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "Cluster",
			"metadata": map[string]any{"name": name, "namespace": "fleet"},
		}}, metav1.CreateOptions{})
		require.NoError(t, err)
		_, err = mgmt.Client.CoreV1().Secrets("fleet").Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: name + "-kubeconfig"},
			Data:       map[string][]byte{"value": frontKubeconfig(name, f.url)},
		}, metav1.CreateOptions{})
		require.NoError(t, err)
	}
	s, err := spec.Parse("sim.yaml", []byte(simSpec))
	require.NoError(t, err)
	work, err := collect.NewPlan(s, collect.PlanOptions{Redact: true})
	require.NoError(t, err)

	out := t.TempDir()
	results := make([]*incluster.ShardResult, shards)
	errs := make([]error, shards)
	began := time.Now()
	var wg sync.WaitGroup
	for i := range shards {
		wg.Go(func() {
			cfg := mgmt.RESTConfig()
			if i == broken {
				cfg.Host = "https://127.0.0.1:1" // nothing listens there
			}
			results[i], errs[i] = incluster.RunWorker(ctx, incluster.WorkerOptions{
				Shard:          incluster.Shard{Index: i, Count: shards},
				Management:     cfg,
				ManagementName: "mgmt",
				Request:        targets.Request{AllClusters: true},
				Work:           work,
				Fleet:          fleet.Options{OutputDir: filepath.Join(out, "pod", strconv.Itoa(i)), UserAgent: fmt.Sprintf("sim-shard-%d", i)},
			})
		})
	}
	wg.Wait()
	wall := time.Since(began)
	t.Logf("%d clusters over %d shards (one broken): %s wall time", clusters, shards, wall.Round(time.Millisecond))

	for i := range shards {
		if i == broken {
			require.Error(t, errs[i])
			assert.Contains(t, errs[i].Error(), "management cluster https://127.0.0.1:1 does not answer")
		} else {
			require.NoError(t, errs[i], "shard %d", i)
		}
		// What each pod leaves for the CLI to copy: its result file.
		r, err := incluster.ReadShardResult(filepath.Join(out, "pod", strconv.Itoa(i), incluster.ShardFile(incluster.Shard{Index: i, Count: shards})))
		require.NoError(t, err)
		assert.Equal(t, results[i].Error, r.Error)
		results[i] = r
	}

	var expected []incluster.Identity
	expected = append(expected, incluster.Identity{Role: targets.RoleCurrent, Name: "mgmt"})
	for name := range fronts {
		expected = append(expected, incluster.Identity{Role: targets.RoleWorkload, Namespace: "fleet", Name: name})
	}
	sum := incluster.Merge(results, incluster.MergeOptions{Count: shards, Expected: expected})

	rows := map[string]fleet.TargetSummary{}
	for _, r := range sum.Targets {
		id := string(r.Role) + "/" + r.Label()
		_, dup := rows[id]
		assert.False(t, dup, "%s appears once in the merged summary", id)
		rows[id] = r
	}
	require.Len(t, rows, clusters+1, "every cluster and the management cluster, once")
	lost := 0
	for name, f := range fronts {
		shard := incluster.ShardOf(incluster.Identity{Role: targets.RoleWorkload, Namespace: "fleet", Name: name}, shards)
		row := rows["workload/fleet/"+name]
		if shard == broken {
			lost++
			assert.Equal(t, fleet.StatusFailed, row.Status, name)
			assert.Contains(t, row.Error, "not collected: shard 3/5: management cluster", name)
			assert.Empty(t, f.shardAgents(), "no shard collected %s", name)
			continue
		}
		assert.Equal(t, fleet.StatusOK, row.Status, "%s: %s", name, row.Error)
		assert.Equal(t, []string{fmt.Sprintf("sim-shard-%d", shard)}, f.shardAgents(), "%s collected by its shard alone", name)
		require.FileExists(t, row.Bundle)
		assert.Equal(t, filepath.Join(out, "pod", strconv.Itoa(shard)), filepath.Dir(row.Bundle), name)
		files := clitest.OpenBundle(t, row.Bundle)
		assert.Contains(t, files, "cluster-info/cluster_version.json", name)
	}
	assert.Positive(t, lost, "the broken shard owns clusters")
	assert.Less(t, lost, clusters/2)

	bundles := 0
	for i := range shards {
		entries, err := os.ReadDir(filepath.Join(out, "pod", strconv.Itoa(i)))
		require.NoError(t, err)
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".tar.gz") {
				bundles++
			}
		}
	}
	collected := 0
	for _, r := range sum.Targets {
		if r.Bundle != "" {
			collected++
		}
	}
	assert.Equal(t, collected, bundles, "one bundle per collected row, none twice")

	require.Len(t, sum.Shards, shards)
	assert.Equal(t, fleet.StatusFailed, sum.Shards[broken].Status)
	assert.Contains(t, sum.Notes, sum.Shards[broken].Error)
	assert.Equal(t, fleet.StatusPartial, sum.Status(), "a failed shard is not fatal")
	assert.Equal(t, fleet.ExitPartial, sum.ExitCode())
}
