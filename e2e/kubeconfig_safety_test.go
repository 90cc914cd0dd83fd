package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/mesosphere/dkp-diagnose/cmd/dkp-diagnose/app"
	"github.com/mesosphere/dkp-diagnose/e2e/clitest"
	"github.com/mesosphere/dkp-diagnose/e2e/framework"
)

// addCAPIClusterKubeconfig creates a Cluster object namespace/name on mgmt
// whose "<name>-kubeconfig" secret holds kc as it is.
func addCAPIClusterKubeconfig(t *testing.T, mgmt *framework.Cluster, version, namespace, name string, kc *clientcmdapi.Config) {
	t.Helper()
	addCAPICluster(t, mgmt, version, namespace, name, nil)
	data, err := clientcmd.Write(*kc)
	require.NoError(t, err)
	putKubeconfigSecret(t, mgmt, namespace, name, data)
}

// withUser returns a copy of the admin kubeconfig of c whose only user is u.
func withUser(t *testing.T, c *framework.Cluster, u *clientcmdapi.AuthInfo) *clientcmdapi.Config {
	t.Helper()
	kc, err := clientcmd.LoadFromFile(c.KubeconfigPath)
	require.NoError(t, err)
	ctx := kc.Contexts[kc.CurrentContext]
	kc.AuthInfos = map[string]*clientcmdapi.AuthInfo{ctx.AuthInfo: u}
	return kc
}

// watchFIFOs reports whether anything opened one of the FIFOs for reading: a
// writer's non-blocking open succeeds only while a reader has it open, and a
// reader blocks in open until a writer comes, so a reader is never missed.
func watchFIFOs(t *testing.T, paths ...string) (stop func() []string) {
	t.Helper()
	for _, p := range paths {
		require.NoError(t, syscall.Mkfifo(p, 0o600))
	}
	done := make(chan struct{})
	var mu sync.Mutex
	var opened []string
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			for _, p := range paths {
				if f, err := os.OpenFile(p, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
					f.Close() // the reader gets EOF and goes on
					mu.Lock()
					opened = append(opened, p)
					mu.Unlock()
				}
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	return func() []string {
		close(done)
		wg.Wait()
		return opened
	}
}

// TestTargetsRefuseUnsafeKubeconfigs: kubeconfig secrets are data, never
// code. Three Cluster objects hold kubeconfigs that would run code or read
// local files on the operator's machine — an exec plugin that writes a
// marker file, an exec plugin that hangs, and references to local files
// (FIFOs, so a read would be seen and would hang). --all-clusters collects
// the management cluster and the one healthy workload cluster, runs no
// plugin, opens no file, and says for each refused target why. A fourth
// Cluster reaches w1 through a kubeconfig with a wrong CA: w1 is still
// collected and the broken one is dropped as its duplicate, with the reason. Naming one of
// them in --allow-kubeconfig-exec lets its plugin run.
func TestTargetsRefuseUnsafeKubeconfigs(t *testing.T) {
	cs := startClusters(t, "mgmt", "w1")
	mgmt, w1 := cs["mgmt"], cs["w1"]
	installCAPI(t, mgmt, "clusters-v1beta2.yaml")
	addCAPICluster(t, mgmt, "v1beta2", "fleet", "w1", w1)

	// A second Cluster object reaching w1's API server through a
	// kubeconfig with the wrong CA (mgmt's), sorted before w1: the one that
	// works is collected, this one is dropped with the reason.
	wrongCA, err := clientcmd.LoadFromFile(w1.KubeconfigPath)
	require.NoError(t, err)
	mgmtKC, err := clientcmd.LoadFromFile(mgmt.KubeconfigPath)
	require.NoError(t, err)
	for _, c := range wrongCA.Clusters {
		c.CertificateAuthorityData = mgmtKC.Clusters[mgmtKC.Contexts[mgmtKC.CurrentContext].Cluster].CertificateAuthorityData
	}
	addCAPIClusterKubeconfig(t, mgmt, "v1beta2", "fleet", "a-wrong-ca", wrongCA)

	dir := t.TempDir()
	marker := filepath.Join(dir, "plugin-ran")
	// The marker plugin answers with w1's own client certificate, so the
	// opted-in run below reaches w1 through it.
	w1kc, err := clientcmd.LoadFromFile(w1.KubeconfigPath)
	require.NoError(t, err)
	admin := w1kc.AuthInfos[w1kc.Contexts[w1kc.CurrentContext].AuthInfo]
	cred, err := json.Marshal(map[string]any{
		"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
		"status": map[string]any{"clientCertificateData": string(admin.ClientCertificateData), "clientKeyData": string(admin.ClientKeyData)},
	})
	require.NoError(t, err)
	credFile := writeFile(t, dir, "cred.json", string(cred))
	plugin := func(script string) *clientcmdapi.AuthInfo {
		return &clientcmdapi.AuthInfo{Exec: &clientcmdapi.ExecConfig{
			APIVersion: "client.authentication.k8s.io/v1", Command: "/bin/sh", Args: []string{"-c", script},
			InteractiveMode: clientcmdapi.NeverExecInteractiveMode,
		}}
	}
	addCAPIClusterKubeconfig(t, mgmt, "v1beta2", "fleet", "exec-marker",
		withUser(t, w1, plugin("touch "+marker+" && cat "+credFile)))
	addCAPIClusterKubeconfig(t, mgmt, "v1beta2", "fleet", "exec-hang", withUser(t, w1, plugin("sleep 3600")))

	fifos := map[string]string{}
	for _, n := range []string{"cert", "key", "token", "ca"} {
		fifos[n] = filepath.Join(dir, n+".fifo")
	}
	stopWatch := watchFIFOs(t, fifos["cert"], fifos["key"], fifos["token"], fifos["ca"])
	files := withUser(t, w1, &clientcmdapi.AuthInfo{ClientCertificate: fifos["cert"], ClientKey: fifos["key"], TokenFile: fifos["token"]})
	for _, c := range files.Clusters {
		c.CertificateAuthorityData, c.CertificateAuthority = nil, fifos["ca"]
	}
	addCAPIClusterKubeconfig(t, mgmt, "v1beta2", "fleet", "local-files", files)

	// A plugin that ran and hung would hold the run forever: bound the
	// wait so the test fails instead of timing out the package.
	out := t.TempDir()
	resCh := make(chan clitest.Result, 1)
	go func() {
		resCh <- clitest.Run(t, "--kubeconfig", mgmt.KubeconfigPath, "--all-clusters", "--output-dir", out, "--output", "json")
	}()
	var res clitest.Result
	select {
	case res = <-resCh:
	case <-time.After(3 * time.Minute):
		t.Fatal("the run did not end: a refused kubeconfig's plugin or file held it")
	}
	assert.Empty(t, stopWatch(), "no local file named by a kubeconfig secret is opened")
	assert.NoFileExists(t, marker, "no exec plugin of a kubeconfig secret runs")

	require.Equal(t, app.ExitOK, res.Code, "refusals are skips, the rest is collected")
	assertOwnStderr(t, res.Stderr)
	sum := clitest.ReadSummary(t, out)
	got := byID(sum)
	assert.Equal(t, "ok", got["current/mgmt"].Status)
	assert.Equal(t, "ok", got["workload/fleet/w1"].Status)
	assertFromCluster(t, got["workload/fleet/w1"].Bundle, "w1", []string{"mgmt", "w1"})
	wrong := got["workload/fleet/a-wrong-ca"]
	assert.Equal(t, "skipped", wrong.Status)
	assert.Contains(t, wrong.Skipped, "same cluster as workload fleet/w1")
	assert.Contains(t, wrong.Skipped, "workload fleet/a-wrong-ca did not answer:")
	assert.Contains(t, wrong.Skipped, "certificate")

	for id, want := range map[string][]string{
		"workload/fleet/exec-marker": {`runs the exec credential plugin "/bin/sh"`},
		"workload/fleet/exec-hang":   {`runs the exec credential plugin "/bin/sh"`},
		"workload/fleet/local-files": {
			`reads the local file "` + fifos["cert"] + `" (client-certificate)`,
			`reads the local file "` + fifos["key"] + `" (client-key)`,
			`reads the local file "` + fifos["token"] + `" (tokenFile)`,
			`reads the local file "` + fifos["ca"] + `" (certificate-authority)`,
		},
	} {
		tg := got[id]
		assert.Equal(t, "skipped", tg.Status, id)
		assert.Empty(t, tg.Bundle, id)
		assert.Contains(t, tg.Skipped, "refused: ", id)
		for _, w := range want {
			assert.Contains(t, tg.Skipped, w, id)
			assert.Contains(t, res.Stderr, w, "%s: stderr says why", id)
		}
	}

	t.Run("allowed by name", func(t *testing.T) {
		out := t.TempDir()
		res := clitest.Run(t, "--kubeconfig", mgmt.KubeconfigPath, "--cluster", "fleet/exec-marker",
			"--allow-kubeconfig-exec", "fleet/exec-marker", "--output-dir", out, "--output", "json")
		require.Equal(t, app.ExitOK, res.Code)
		assert.FileExists(t, marker, "the operator trusted this cluster's plugin")
		got := byID(clitest.ReadSummary(t, out))
		tg := got["workload/fleet/exec-marker"]
		assert.Equal(t, "ok", tg.Status, "%+v", tg)
		assertFromCluster(t, tg.Bundle, "w1", []string{"mgmt", "w1"})
	})

	t.Run("bad flag", func(t *testing.T) {
		res := clitest.Run(t, "targets", "--kubeconfig", mgmt.KubeconfigPath, "--allow-kubeconfig-exec", "exec-marker")
		assert.Equal(t, app.ExitUsage, res.Code)
		assert.Contains(t, res.Stderr, `--allow-kubeconfig-exec "exec-marker": want NAMESPACE/NAME`)
	})
}
