package kinde2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	kind "sigs.k8s.io/kind/pkg/cluster"
	"sigs.k8s.io/kind/pkg/cluster/nodeutils"
	kindcmd "sigs.k8s.io/kind/pkg/cmd"

	"github.com/mesosphere/dkp-diagnose/cmd/dkp-diagnose/app"
	"github.com/mesosphere/dkp-diagnose/lib/collect"
)

// kindConfig is the cluster config for node images built by hack/kind:
//   - disableDefaultCNI: kindnetd cannot be built here; the node image has a
//     bridge CNI config instead (enough for one node per cluster);
//   - failCgroupV1: false: the kubelet refuses cgroup v1 hosts by default
//     since v1.35 and this machine's Docker runs on cgroup v1 (harmless on
//     cgroup v2).
const kindConfig = `kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
networking:
  disableDefaultCNI: true
kubeadmConfigPatches:
- |
  kind: KubeletConfiguration
  failCgroupV1: false
`

// kubeSystemPods are the pods a ready single-node cluster runs: the static
// control plane, kube-proxy and two CoreDNS replicas.
const kubeSystemPods = 7

// kindCluster is a Kind cluster created by these tests.
type kindCluster struct {
	Name string
	// KubeconfigPath is the file kind wrote (context kind-<Name>), reaching
	// the API server from this host.
	KubeconfigPath string
	Config         *rest.Config
	Client         kubernetes.Interface
	Dynamic        dynamic.Interface

	provider *kind.Provider
	dir      string
}

func newProvider() *kind.Provider {
	return kind.NewProvider(kind.ProviderWithDocker(), kind.ProviderWithLogger(kindcmd.NewLogger()))
}

// createAll creates the named clusters at once from the node image, waits
// until each is ready and loads the node-collector image into it. Clusters
// left by an earlier, killed run are deleted first.
func createAll(e env, names ...string) (map[string]*kindCluster, error) {
	existing, err := newProvider().List()
	if err != nil {
		return nil, fmt.Errorf("list Kind clusters: %w", err)
	}
	out := make(map[string]*kindCluster, len(names))
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make([]error, len(names))
	for i, name := range names {
		wg.Go(func() {
			// A provider per cluster: kind's docker provider caches the
			// engine's info without a lock, so concurrent Creates on one
			// provider race (seen with -race).
			p := newProvider()
			if slices.Contains(existing, name) {
				if err := deleteLeftover(p, name); err != nil {
					errs[i] = err
					return
				}
			}
			c, err := create(p, e.nodeImage, name)
			if err != nil {
				errs[i] = err
				return
			}
			if err := c.loadNodeCollector(e.collectorArchive, e.collectorImage); err != nil {
				errs[i] = err
				return
			}
			mu.Lock()
			out[name] = c
			mu.Unlock()
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// deleteLeftover deletes a cluster a killed run left behind. Its kubeconfig
// went with that run's temporary folder: an empty one is given, so kind
// does not edit the user's own kubeconfig.
func deleteLeftover(p *kind.Provider, name string) error {
	dir, err := os.MkdirTemp("", "dkp-kind-leftover-")
	if err != nil {
		return fmt.Errorf("delete leftover cluster %s: %w", name, err)
	}
	defer os.RemoveAll(dir)
	if err := p.Delete(name, filepath.Join(dir, "kubeconfig")); err != nil {
		return fmt.Errorf("delete leftover cluster %s: %w", name, err)
	}
	return nil
}

// create makes one cluster. On failure the nodes' logs (kubelet,
// containerd, journal, pods) are kept in a folder named in the error.
func create(p *kind.Provider, image, name string) (*kindCluster, error) {
	dir, err := os.MkdirTemp("", "dkp-kind-"+name+"-")
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", name, err)
	}
	c := &kindCluster{Name: name, KubeconfigPath: filepath.Join(dir, "kubeconfig"), provider: p, dir: dir}
	began := time.Now()
	err = p.Create(name,
		kind.CreateWithNodeImage(image),
		kind.CreateWithRawConfig([]byte(kindConfig)),
		kind.CreateWithKubeconfigPath(c.KubeconfigPath),
		kind.CreateWithWaitForReady(3*time.Minute),
		kind.CreateWithRetain(true), // keep failed nodes until their logs are saved
		kind.CreateWithDisplayUsage(false),
		kind.CreateWithDisplaySalutation(false),
	)
	remember(c) // from here on TestMain deletes it, whatever happens
	if err != nil {
		return nil, c.failed(fmt.Errorf("kind create cluster: %w", err))
	}
	if err := c.connect(); err != nil {
		return nil, c.failed(err)
	}
	if err := c.waitReady(4 * time.Minute); err != nil {
		return nil, c.failed(err)
	}
	fmt.Fprintf(os.Stderr, "kind e2e: cluster %s created and ready in %s\n", name, time.Since(began).Round(time.Second))
	return c, nil
}

// failed saves the cluster's logs and says where they are.
func (c *kindCluster) failed(err error) error {
	logs := filepath.Join(os.TempDir(), fmt.Sprintf("dkp-kind-logs-%s-%d", c.Name, time.Now().Unix()))
	if lerr := c.provider.CollectLogs(c.Name, logs); lerr != nil {
		return fmt.Errorf("cluster %s: %w (and collecting its logs failed: %v)", c.Name, err, lerr)
	}
	return fmt.Errorf("cluster %s: %w (node logs in %s)", c.Name, err, logs)
}

// connect builds the clients from the kubeconfig kind wrote.
func (c *kindCluster) connect() error {
	cfg, err := clientcmd.BuildConfigFromFlags("", c.KubeconfigPath)
	if err != nil {
		return fmt.Errorf("kubeconfig %s: %w", c.KubeconfigPath, err)
	}
	c.Config = cfg
	if c.Client, err = kubernetes.NewForConfig(cfg); err != nil {
		return fmt.Errorf("client: %w", err)
	}
	if c.Dynamic, err = dynamic.NewForConfig(cfg); err != nil {
		return fmt.Errorf("dynamic client: %w", err)
	}
	return nil
}

// waitReady waits for what kind does not wait for: the default
// ServiceAccount (pods cannot be created before it) and every kube-system
// pod Running and Ready, so their logs exist.
func (c *kindCluster) waitReady(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var last string
	err := wait.PollUntilContextCancel(ctx, time.Second, true, func(ctx context.Context) (bool, error) {
		if _, err := c.Client.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{}); err != nil {
			last = "no default ServiceAccount yet: " + err.Error()
			return false, nil
		}
		pods, err := c.Client.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{})
		if err != nil {
			last = err.Error()
			return false, nil
		}
		var notReady []string
		for _, p := range pods.Items {
			if !podReady(&p) {
				notReady = append(notReady, p.Name+"("+string(p.Status.Phase)+")")
			}
		}
		if len(pods.Items) < kubeSystemPods || len(notReady) > 0 {
			last = fmt.Sprintf("%d kube-system pods, not ready: %v", len(pods.Items), notReady)
			return false, nil
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("wait for the cluster to be ready (%s): %w", last, err)
	}
	return nil
}

func podReady(p *corev1.Pod) bool {
	if p.Status.Phase != corev1.PodRunning {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// nodeName is the name of the cluster's only node (and its container).
func (c *kindCluster) nodeName() string { return c.Name + "-control-plane" }

// delete removes the cluster's node containers and its files.
func (c *kindCluster) delete() error {
	err := c.provider.Delete(c.Name, c.KubeconfigPath)
	if rerr := os.RemoveAll(c.dir); rerr != nil {
		err = errors.Join(err, rerr)
	}
	if err != nil {
		return fmt.Errorf("delete Kind cluster %s: %w", c.Name, err)
	}
	return nil
}

// loadNodeCollector puts the node-collector image into every node's
// containerd, as `kind load image-archive` does, and tags it there also as
// the image the default spec's execCopyFromHost asks for
// (collect.DefaultNodeCollectorImage of this build): there is no registry,
// so pods find it only this way, like on an air-gapped cluster with
// pre-loaded images.
func (c *kindCluster) loadNodeCollector(archive, image string) error {
	nodes, err := c.provider.ListNodes(c.Name)
	if err != nil {
		return fmt.Errorf("cluster %s: list nodes: %w", c.Name, err)
	}
	defaultRef := collect.DefaultNodeCollectorImage(app.Version)
	for _, n := range nodes {
		f, err := os.Open(archive)
		if err != nil {
			return fmt.Errorf("node-collector image archive: %w", err)
		}
		err = nodeutils.LoadImageArchive(n, f)
		f.Close()
		if err != nil {
			return fmt.Errorf("load %s into node %s: %w", archive, n, err)
		}
		if err := n.Command("ctr", "-n", "k8s.io", "images", "tag", "--force", fullRef(image), defaultRef).Run(); err != nil {
			return fmt.Errorf("node %s: tag %s as %s: %w", n, image, defaultRef, err)
		}
	}
	return nil
}

// fullRef is how containerd names an image: a name without a registry
// host is on docker.io.
func fullRef(ref string) string {
	if first, _, ok := strings.Cut(ref, "/"); ok && strings.ContainsAny(first, ".:") {
		return ref
	}
	return "docker.io/" + ref
}
