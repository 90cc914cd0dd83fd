package framework

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Options shape a cluster started by Start.
type Options struct {
	// Name is used for the kubeconfig context and node names. It must be a
	// DNS label; empty means "e2e-<n>".
	Name string
	// Workers is the number of fake worker nodes; 0 means 2 and a negative
	// value means none.
	Workers int
	// NoControlPlaneNode leaves out the tainted control-plane node.
	NoControlPlaneNode bool
	// BinDir overrides the binaries folder; empty means BinDir(tb).
	BinDir string
	// APIServerFlags are appended to the kube-apiserver command line, e.g. to
	// turn on audit logging or a feature gate for one test.
	APIServerFlags []string
	// StuckNodes adds Ready worker nodes named <name>-stuck-<n> on which no
	// pod ever becomes ready: the sick node a collector must not wait for
	// forever.
	StuckNodes int
	// JobPodsRun keeps the pods of Jobs running, as a long-running worker
	// (an in-cluster run's) does, instead of kwok completing them at once.
	JobPodsRun bool
}

// Cluster is a running control plane (etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler) whose nodes are played by kwok.
// All of its files live in a temporary folder of the test.
type Cluster struct {
	// Name is Options.Name, also the kubeconfig context name.
	Name string
	// KubeconfigPath is an admin (system:masters) kubeconfig with embedded
	// certificates, usable by kubectl and by dkp-diagnose.
	KubeconfigPath string
	// Client and Dynamic act as the admin.
	Client  kubernetes.Interface
	Dynamic dynamic.Interface
	// Dir holds everything of the cluster; LogDir the component logs.
	Dir    string
	LogDir string

	tb          testing.TB
	binDir      string
	cfg         *rest.Config
	pki         *pki
	ports       clusterPorts
	shimDir     string
	fixturesDir string
	nodes       []string
	cpNode      string
	stuckNodes  []string
	jobPodsRun  bool

	mu       sync.Mutex
	procs    []*process
	users    int
	stopOnce sync.Once
}

// startTimeout bounds one attempt to bring a cluster up; it normally takes a
// few seconds, more while the 2 CI cores also compile.
const startTimeout = 2 * time.Minute

var (
	clusterCount atomic.Int32
	dnsLabel     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?$`)
)

// Start brings up a cluster and returns once its nodes are Ready and pods can
// be created in the default namespace. The cluster is stopped by a cleanup of
// tb; when the test failed, the cleanup logs the tail of each component log.
// A port taken by another process between choosing and binding it makes
// Start try again with fresh ports.
func Start(tb testing.TB, opts Options) *Cluster {
	tb.Helper()
	if opts.BinDir == "" {
		opts.BinDir = BinDir(tb)
	}
	if opts.Name == "" {
		opts.Name = fmt.Sprintf("e2e-%d", clusterCount.Add(1))
	}
	if !dnsLabel.MatchString(opts.Name) {
		tb.Fatalf("cluster name %q is not a DNS label", opts.Name)
	}
	switch {
	case opts.Workers == 0:
		opts.Workers = 2
	case opts.Workers < 0:
		opts.Workers = 0
	}
	var err error
	for attempt := 1; attempt <= 3; attempt++ {
		began := time.Now()
		c := &Cluster{Name: opts.Name, tb: tb, binDir: opts.BinDir, Dir: tb.TempDir()}
		tb.Cleanup(c.cleanup)
		if err = c.boot(opts); err == nil {
			tb.Logf("cluster %s ready in %s; KUBECONFIG=%s", c.Name, time.Since(began).Round(time.Millisecond), c.KubeconfigPath)
			return c
		}
		clash := c.portClash()
		c.Stop()
		if !clash {
			break
		}
		tb.Logf("cluster %s: a port was taken by someone else, retrying: %v", opts.Name, err)
	}
	tb.Fatalf("start cluster %s: %v", opts.Name, err)
	return nil
}

// boot runs one attempt of Start.
func (c *Cluster) boot(opts Options) error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	c.LogDir = filepath.Join(c.Dir, "logs")
	if err := os.MkdirAll(c.LogDir, 0o755); err != nil {
		return fmt.Errorf("create log dir: %w", err)
	}
	var err error
	if c.pki, err = newPKI(filepath.Join(c.Dir, "pki")); err != nil {
		return err
	}
	ports, err := freePorts(4)
	if err != nil {
		return err
	}
	c.ports = clusterPorts{etcdClient: ports[0], etcdPeer: ports[1], apiserver: ports[2], kwok: ports[3]}
	server := fmt.Sprintf("https://127.0.0.1:%d", c.ports.apiserver)
	c.KubeconfigPath = filepath.Join(c.Dir, "kubeconfig")
	if err := writeKubeconfig(c.KubeconfigPath, c.Name, server, c.pki.CA, c.pki.Admin, "admin"); err != nil {
		return err
	}
	c.cfg = restConfig(server, c.pki.CA, c.pki.Admin)
	if c.Client, err = kubernetes.NewForConfig(c.cfg); err != nil {
		return fmt.Errorf("admin client: %w", err)
	}
	if c.Dynamic, err = dynamic.NewForConfig(c.cfg); err != nil {
		return fmt.Errorf("admin dynamic client: %w", err)
	}

	if err := c.startEtcd(c.ports); err != nil {
		return err
	}
	if err := c.startAPIServer(c.ports, opts.APIServerFlags); err != nil {
		return err
	}
	if err := c.waitReadyz(ctx); err != nil {
		return err
	}
	if err := c.startControllerManager(); err != nil {
		return err
	}
	if err := c.startScheduler(); err != nil {
		return err
	}
	c.stuckNodes = stuckNodeNames(c.Name, opts.StuckNodes)
	c.jobPodsRun = opts.JobPodsRun
	if err := c.startKwok(ctx, c.ports.kwok); err != nil {
		return err
	}
	if err := c.createNodes(ctx, opts.Workers, !opts.NoControlPlaneNode); err != nil {
		return err
	}
	if err := c.waitNodesReady(ctx); err != nil {
		return err
	}
	return c.waitDefaultServiceAccount(ctx)
}

// waitReadyz polls the apiserver until /readyz answers ok.
func (c *Cluster) waitReadyz(ctx context.Context) error {
	var last error
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		if err := c.checkAlive(); err != nil {
			return false, err
		}
		_, last = c.Client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		return last == nil, nil
	})
	if err != nil {
		return fmt.Errorf("wait for apiserver /readyz (last: %v): %w", last, err)
	}
	return nil
}

// checkAlive fails when a component died, so waits end with its log instead
// of a timeout.
func (c *Cluster) checkAlive() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.procs {
		if done, _ := p.exited(); done {
			return p.errExited()
		}
	}
	return nil
}

// portClash reports whether a component failed because its port was taken.
func (c *Cluster) portClash() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.procs {
		if data, err := os.ReadFile(p.logPath); err == nil && strings.Contains(string(data), "address already in use") {
			return true
		}
	}
	return false
}

// RESTConfig returns a copy of the admin client config.
func (c *Cluster) RESTConfig() *rest.Config { return rest.CopyConfig(c.cfg) }

// PIDs returns the process ids of all components, stopped ones included.
func (c *Cluster) PIDs() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	pids := make([]int, 0, len(c.procs))
	for _, p := range c.procs {
		pids = append(pids, p.pid())
	}
	return pids
}

// NodeNames returns all fake nodes, the control-plane node first.
func (c *Cluster) NodeNames() []string { return append([]string(nil), c.nodes...) }

// ControlPlaneNode is the tainted control-plane node, "" with NoControlPlaneNode.
func (c *Cluster) ControlPlaneNode() string { return c.cpNode }
