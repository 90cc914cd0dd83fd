package framework

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// ports of one cluster; each cluster gets its own set.
type clusterPorts struct {
	etcdClient, etcdPeer, apiserver, kwok int
}

func (c *Cluster) startEtcd(p clusterPorts) error {
	client := fmt.Sprintf("http://127.0.0.1:%d", p.etcdClient)
	peer := fmt.Sprintf("http://127.0.0.1:%d", p.etcdPeer)
	args := []string{
		"--name=" + c.Name,
		"--data-dir=" + filepath.Join(c.Dir, "etcd-data"),
		"--listen-client-urls=" + client,
		"--advertise-client-urls=" + client,
		"--listen-peer-urls=" + peer,
		"--initial-advertise-peer-urls=" + peer,
		"--initial-cluster=" + c.Name + "=" + peer,
		// A test cluster's data dies with the test; fsync only costs time.
		"--unsafe-no-fsync=true",
		"--quota-backend-bytes=4294967296",
		"--log-level=warn",
	}
	return c.start("etcd", args, nil)
}

func (c *Cluster) startAPIServer(p clusterPorts, extra []string) error {
	k := c.pki
	args := []string{
		"--etcd-servers=" + fmt.Sprintf("http://127.0.0.1:%d", p.etcdClient),
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(p.apiserver),
		"--tls-cert-file=" + k.APIServer.CertFile,
		"--tls-private-key-file=" + k.APIServer.KeyFile,
		"--client-ca-file=" + k.CA.CertFile,
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file=" + k.SAPubFile,
		"--service-account-signing-key-file=" + k.SAKeyFile,
		"--service-cluster-ip-range=10.0.0.0/24",
		// Real clusters authorize with RBAC; tests of permission errors
		// (UserKubeconfig) depend on it.
		"--authorization-mode=Node,RBAC",
		"--allow-privileged=true",
		// A single apiserver on loopback; the default reconciler would
		// publish 127.0.0.1 as the kubernetes Service endpoint and complain.
		"--endpoint-reconciler-type=none",
		"--kubelet-client-certificate=" + k.KubeletClient.CertFile,
		"--kubelet-client-key=" + k.KubeletClient.KeyFile,
		"--kubelet-certificate-authority=" + k.CA.CertFile,
		"--kubelet-preferred-address-types=InternalIP",
		// Without a request-header CA every client of the apiserver's
		// extension-apiserver-authentication ConfigMap logs about it.
		"--requestheader-client-ca-file=" + k.FrontProxyCA.CertFile,
		"--requestheader-allowed-names=front-proxy-client",
		"--requestheader-username-headers=X-Remote-User",
		"--requestheader-group-headers=X-Remote-Group",
		"--requestheader-extra-headers-prefix=X-Remote-Extra-",
		"--proxy-client-cert-file=" + k.ProxyClient.CertFile,
		"--proxy-client-key-file=" + k.ProxyClient.KeyFile,
		"--profiling=false",
	}
	return c.start("kube-apiserver", append(args, extra...), nil)
}

func (c *Cluster) startControllerManager() error {
	k := c.pki
	args := []string{
		"--kubeconfig=" + c.KubeconfigPath,
		// No serving port: nothing scrapes it, and it saves a port.
		"--secure-port=0",
		"--leader-elect=false",
		"--controllers=*",
		"--service-account-private-key-file=" + k.SAKeyFile,
		"--root-ca-file=" + k.CA.CertFile,
		"--cluster-signing-cert-file=" + k.CA.CertFile,
		"--cluster-signing-key-file=" + k.CA.KeyFile,
		// The default client rate (20 QPS) makes ReplicaSets of hundreds of
		// pods take tens of seconds; benchmarks need the server to be the limit.
		"--kube-api-qps=500",
		"--kube-api-burst=1000",
	}
	return c.start("kube-controller-manager", args, nil)
}

// schedulerConfig raises the client rate: with the default the scheduler
// binds about 50 pods/s, the bottleneck of every pod-heavy test.
const schedulerConfig = `apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
leaderElection:
  leaderElect: false
clientConnection:
  kubeconfig: %q
  qps: 1000
  burst: 2000
`

func (c *Cluster) startScheduler() error {
	path := filepath.Join(c.Dir, "kube-scheduler.yaml")
	if err := os.WriteFile(path, fmt.Appendf(nil, schedulerConfig, c.KubeconfigPath), 0o600); err != nil {
		return fmt.Errorf("write scheduler config: %w", err)
	}
	args := []string{"--config=" + path, "--secure-port=0"}
	return c.start("kube-scheduler", args, nil)
}

// start runs one component from the bin folder and tracks it for Stop.
func (c *Cluster) start(name string, args, env []string) error {
	p, err := startProcess(name, c.LogDir, filepath.Join(c.binDir, name), args, env)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.procs = append(c.procs, p)
	c.mu.Unlock()
	return nil
}
