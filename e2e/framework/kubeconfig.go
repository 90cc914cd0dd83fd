package framework

import (
	"fmt"
	"path/filepath"
	"regexp"
	"testing"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// writeKubeconfig writes a kubeconfig with the certificates embedded, so the
// file stays valid wherever it is copied and needs no other file.
func writeKubeconfig(path, clusterName, server string, ca, client *keyPair, user string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[clusterName] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: ca.CertPEM}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{ClientCertificateData: client.CertPEM, ClientKeyData: client.KeyPEM}
	cfg.Contexts[clusterName] = &clientcmdapi.Context{Cluster: clusterName, AuthInfo: user}
	cfg.CurrentContext = clusterName
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return fmt.Errorf("write kubeconfig %s: %w", path, err)
	}
	return nil
}

// restConfig is what a client of the given key pair uses to reach server.
func restConfig(server string, ca, client *keyPair) *rest.Config {
	return &rest.Config{
		Host: server,
		TLSClientConfig: rest.TLSClientConfig{
			CAData:   ca.CertPEM,
			CertData: client.CertPEM,
			KeyData:  client.KeyPEM,
		},
		// Tests create objects in bursts; the client-side default (5 QPS)
		// would make them measure the rate limiter instead of the server.
		QPS:   500,
		Burst: 1000,
	}
}

var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// UserKubeconfig writes a kubeconfig for a non-admin user: a client
// certificate signed by the cluster CA with CN=user and O=groups. The user
// has no permissions until the test binds some, which is how tests exercise
// RBAC denial.
func (c *Cluster) UserKubeconfig(tb testing.TB, user string, groups ...string) string {
	tb.Helper()
	c.mu.Lock()
	c.users++
	file := fmt.Sprintf("user-%d-%s", c.users, unsafeFileChars.ReplaceAllString(user, "_"))
	c.mu.Unlock()
	client := certSpec{usage: clientUsage}
	kp, err := c.pki.issue(c.pki.CA, file, user, groups, client)
	if err != nil {
		tb.Fatalf("cluster %s: issue certificate for user %q: %v", c.Name, user, err)
	}
	path := filepath.Join(c.Dir, file+".kubeconfig")
	if err := writeKubeconfig(path, c.Name, c.cfg.Host, c.pki.CA, kp, user); err != nil {
		tb.Fatalf("cluster %s: %v", c.Name, err)
	}
	return path
}
