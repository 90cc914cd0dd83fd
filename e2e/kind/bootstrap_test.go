package kinde2e

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mesosphere/dkp-diagnose/cmd/dkp-diagnose/app"
	"github.com/mesosphere/dkp-diagnose/e2e/clitest"
)

// TestBootstrapFromKind: with no kubeconfig at all, `dkp-diagnose
// --bootstrap` finds the Kind cluster konvoy-capi-bootstrapper through the
// kind library (container engine detected, cluster listed by name, its
// kubeconfig read from the node) and writes a bootstrap bundle holding the
// real logs of every kube-system container the kubelet runs and, from the
// default spec's node-diagnostics, the node's own files.
func TestBootstrapFromKind(t *testing.T) {
	boot, _ := clusters(t)
	noKubeconfig(t)
	out := t.TempDir()

	res := clitest.Run(t, "--bootstrap", "--output-dir", out)
	require.Equal(t, app.ExitOK, res.Code, res.Stderr)
	paths := res.BundlePaths()
	require.Len(t, paths, 1, res.Stdout)
	assert.Equal(t, "bootstrap-"+bootstrapName+"-", clitest.PrefixOf(paths[0]))

	sum := clitest.ReadSummary(t, out)
	require.Len(t, sum.Targets, 1)
	assert.Equal(t, "Kind cluster "+bootstrapName, sum.Targets[0].Source, "found through the kind provider, not a kubeconfig")
	assert.Equal(t, "ok", sum.Targets[0].Status)

	files := clitest.OpenBundle(t, paths[0])
	assert.Equal(t, []string{boot.nodeName()}, clitest.ListNames(t, files["cluster-resources/nodes.json"]))

	// Every container of every kube-system pod has its log, and the logs are
	// the programs' own output, not placeholders.
	pods, err := boot.Client.CoreV1().Pods("kube-system").List(context.Background(), metav1.ListOptions{})
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(pods.Items), kubeSystemPods)
	for _, p := range pods.Items {
		for _, c := range p.Spec.Containers {
			name := "allPodLogs/kube-system/" + p.Name + "-" + c.Name + ".log"
			assert.NotEmpty(t, files[name], "%s missing or empty", name)
		}
	}
	apiserver := string(files["allPodLogs/kube-system/kube-apiserver-"+boot.nodeName()+"-kube-apiserver.log"])
	assert.Contains(t, apiserver, "Serving securely on", "the API server's own log")
	etcd := string(files["allPodLogs/kube-system/etcd-"+boot.nodeName()+"-etcd.log"])
	assert.Contains(t, etcd, `"msg":`, "etcd's JSON log")
	var coredns int
	for name, data := range files {
		if strings.HasPrefix(name, "allPodLogs/kube-system/coredns-") && strings.Contains(string(data), "CoreDNS-1.14.6") {
			coredns++
		}
	}
	assert.Equal(t, 2, coredns, "both CoreDNS replicas logged their banner")

	// The default spec's node-diagnostics (execCopyFromHost with the
	// node-collector image under its default name, pre-loaded) ran on the
	// real node and left nothing behind.
	data := "node-diagnostics/" + boot.nodeName() + "/data/"
	assert.Contains(t, string(files[data+"kubelet_config.yaml"]), "failCgroupV1: false",
		"the node's kubelet config; node-diagnostics files: %v", fileNames(files, "node-diagnostics/"))
	assert.Contains(t, string(files[data+"certs_expiration"]), "/etc/kubernetes/pki/apiserver.crt")
	assertNothingOfOurs(t, boot)
}
