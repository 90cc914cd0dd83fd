package kinde2e

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"
	kindexec "sigs.k8s.io/kind/pkg/exec"

	"github.com/mesosphere/dkp-diagnose/cmd/dkp-diagnose/app"
	"github.com/mesosphere/dkp-diagnose/e2e/clitest"
	"github.com/mesosphere/dkp-diagnose/lib/collect"
)

// TestNodeCollectorImageOnKindNode: the node-collector image built by
// hack/kind (no registry) is in the node's containerd and runs there as a
// plain privileged pod with host PID and the node's root at /host, reading
// the node's real kubelet configuration and certificates. Its namespace is
// deleted again.
func TestNodeCollectorImageOnKindNode(t *testing.T) {
	boot, _ := clusters(t)
	e := settings
	images := nodeOutput(t, boot, "ctr", "-n", "k8s.io", "images", "ls", "-q")
	assert.Contains(t, strings.Fields(images), fullRef(e.collectorImage), "image in the node's containerd")

	ctx := context.Background()
	ns := "dkp-e2e-node-collector"
	_, err := boot.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { deleteNamespace(t, boot, ns) })

	pod := collectorPod(ns, e.collectorImage)
	_, err = boot.Client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
	require.NoError(t, err)
	var phase corev1.PodPhase
	err = wait.PollUntilContextTimeout(ctx, time.Second, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		p, err := boot.Client.CoreV1().Pods(ns).Get(ctx, pod.Name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		phase = p.Status.Phase
		return phase == corev1.PodSucceeded || phase == corev1.PodFailed, nil
	})
	require.NoError(t, err, "pod phase %s", phase)
	logs, err := boot.Client.CoreV1().Pods(ns).GetLogs(pod.Name, &corev1.PodLogOptions{}).DoRaw(ctx)
	require.NoError(t, err)
	t.Logf("node-collector on %s:\n%s", boot.nodeName(), logs)
	require.Equal(t, corev1.PodSucceeded, phase)
	for _, item := range []string{"kubelet_config.yaml", "certs_expiration", "static_pod_manifests", "whoami_validate"} {
		assert.Regexp(t, regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(item)+`\s+\S+\s+ok$`), string(logs), "item %s read from the real node", item)
	}
}

// TestExecCopyFromHostOnKind: the execCopyFromHost collector runs our
// node-collector image (by its local name, never pulled) as a DaemonSet on
// the real Kind node and copies its output into
// <name>/<node>/data/: the node's real kubelet configuration (with the
// failCgroupV1 patch these tests give every cluster) and the expiry of the
// certificates kubeadm made. Afterwards nothing of ours is left in the
// cluster.
func TestExecCopyFromHostOnKind(t *testing.T) {
	boot, _ := clusters(t)
	noKubeconfig(t)
	dir := t.TempDir()
	specFile := filepath.Join(dir, "spec.yaml")
	writeSpec(t, specFile, fmt.Sprintf(`apiVersion: troubleshoot.sh/v1beta2
kind: SupportBundle
metadata:
  name: kind-node-diagnostics
spec:
  collectors:
    - execCopyFromHost:
        name: kind-node-diag
        namespace: default
        image: %s
        imagePullPolicy: Never
        command: [/node-collector]
        args: [--host-root, /host, --output, /output]
        timeout: 60s
        daemonSetTimeout: 120s
        includeControlPlane: true
        privileged: true
        hostPID: true
        extractArchive: true
`, settings.collectorImage))
	out := filepath.Join(dir, "out")

	res := clitest.Run(t, "--bootstrap", "--output-dir", out, specFile)
	require.Equal(t, app.ExitOK, res.Code, res.Stderr)
	require.Len(t, res.BundlePaths(), 1)
	files := clitest.OpenBundle(t, res.BundlePaths()[0])

	data := "kind-node-diag/" + boot.nodeName() + "/data/"
	realConfig := nodeOutput(t, boot, "cat", "/var/lib/kubelet/config.yaml")
	got := string(files[data+"kubelet_config.yaml"])
	require.NotEmpty(t, got, "%s missing; bundle has %v", data+"kubelet_config.yaml", fileNames(files, "kind-node-diag/"))
	assert.Contains(t, got, "failCgroupV1: false", "the node's own kubelet config")
	for _, line := range []string{"cgroupDriver: systemd", "staticPodPath: /etc/kubernetes/manifests"} {
		assert.Contains(t, realConfig, line)
		assert.Contains(t, got, line)
	}
	certs := string(files[data+"certs_expiration"])
	assert.Regexp(t, `(?m)^/etc/kubernetes/pki/apiserver\.crt subject=.* notAfter=\S+ daysLeft=3\d\d$`, certs, "kubeadm's one-year certificate")
	assert.Contains(t, certs, "/etc/kubernetes/pki/ca.crt")
	assert.NotEmpty(t, files[data+"static_pod_manifests/kube-apiserver.yaml"])
	assertNodeDiagnostics(t, boot, files, data, time.Now())
	assertNothingOfOurs(t, boot)
}

// nodeCollectorFiles are the files node-collector writes on a Kind
// control-plane node (docs/node-collector.md). journal_crio is not
// applicable (containerd runs there) and writes nothing.
var nodeCollectorFiles = []string{
	"os_release", "kernel", "hostname", "kubelet_config.yaml", "kubelet_flags", "containerd_config.toml",
	"certs_expiration", "certs_expiration_kubeadm", "disk_usage", "memory", "mounts", "sysctls",
	"systemd_units", "services_systemctl", "journal_kubelet", "journal_containerd", "journal_kernel",
	"ip_addr", "ip_route", "iptables_save", "nft_ruleset", "resolv_conf", "whoami_validate",
	"containers_crictl", "pods_crictl", "images_crictl", "collector_summary",
}

// assertNodeDiagnostics checks what node-collector read on the real node:
// every item's file and no error file; the control plane's API server
// running in the CRI listing; kubelet journal lines of the last minutes
// (the node's binary journal, read by its own journalctl); the pod CIDR
// route of the node's bridge; kubeadm's expiry table.
func assertNodeDiagnostics(t *testing.T, c *kindCluster, files map[string][]byte, data string, collected time.Time) {
	t.Helper()
	for name := range files {
		if strings.HasPrefix(name, data) && strings.HasSuffix(name, "-error.txt") {
			t.Errorf("%s: %s", name, files[name])
		}
	}
	for _, name := range nodeCollectorFiles {
		assert.NotEmpty(t, files[data+name], "%s missing; bundle has %v", data+name, fileNames(files, data))
	}
	summary := string(files[data+"collector_summary"])
	assert.Regexp(t, `(?m)^journal_crio\s+\S+\s+n/a: no crio.service unit`, summary)
	assert.NotContains(t, summary, "error:")
	t.Logf("collector_summary:\n%s", summary)

	ctrs := string(files[data+"containers_crictl"])
	assert.Regexp(t, `(?m)^# containers \(crictl ps -a\) from /run/containerd/containerd.sock \(containerd `, ctrs)
	assert.Regexp(t, `(?m)^[0-9a-f]{13}\s+\S*kube-apiserver:v1\.37\.2\s+\S+\s+Running\s+kube-apiserver\s+\d+\s+\d+\s+-\s+-\s+\S+\s+-\s+[0-9a-f]{13}\s+kube-apiserver-`+regexp.QuoteMeta(c.nodeName())+`\s+kube-system$`, ctrs)
	assert.Regexp(t, `(?m)\s+Ready\s+etcd-`+regexp.QuoteMeta(c.nodeName())+`\s+kube-system\s`, string(files[data+"pods_crictl"]))
	assert.Regexp(t, `(?m)^\S*coredns\s+v1\.14\.6\s+[0-9a-f]{13}\s+\S+B$`, string(files[data+"images_crictl"]))

	journal := string(files[data+"journal_kubelet"])
	assert.Contains(t, journal, "# source: journalctl --unit=kubelet.service (the host's journal in ")
	recent := 0
	for _, line := range strings.Split(journal, "\n") {
		stamp, _, _ := strings.Cut(line, " ")
		if ts, err := time.Parse("2006-01-02T15:04:05.999999-0700", stamp); err == nil && collected.Sub(ts) < 10*time.Minute && strings.Contains(line, " kubelet[") {
			recent++
		}
	}
	assert.Positive(t, recent, "kubelet journal lines of the last 10 minutes in:\n%.3000s", journal)
	assert.Contains(t, string(files[data+"journal_containerd"]), "# source: journalctl --unit=containerd.service")

	node, err := c.Client.CoreV1().Nodes().Get(context.Background(), c.nodeName(), metav1.GetOptions{})
	require.NoError(t, err)
	require.NotEmpty(t, node.Spec.PodCIDR, "node %s has no pod CIDR", c.nodeName())
	routes := string(files[data+"ip_route"])
	assert.Regexp(t, `(?m)^`+regexp.QuoteMeta(node.Spec.PodCIDR)+` dev cni0 `, routes, "the pod CIDR route of the node's bridge")
	assert.Contains(t, string(files[data+"ip_addr"]), "cni0")
	assert.Contains(t, string(files[data+"iptables_save"]), "KUBE-SERVICES", "kube-proxy's rules")
	assert.Contains(t, string(files[data+"services_systemctl"]), "Id=kubelet.service\n")
	assert.Regexp(t, `(?m)^ActiveState=active$`, string(files[data+"services_systemctl"]))

	kubeadm := string(files[data+"certs_expiration_kubeadm"])
	assert.Regexp(t, `(?m)^CERTIFICATE\s+EXPIRES\s+RESIDUAL TIME\s+CERTIFICATE AUTHORITY\s+EXTERNALLY MANAGED$`, kubeadm)
	assert.Regexp(t, `(?m)^apiserver\s+[A-Z][a-z]{2} \d\d, \d{4} \d\d:\d\d UTC\s+36[45]d\s+ca\s+no$`, kubeadm, "kubeadm's one-year certificate, days left")
	assert.Regexp(t, `(?m)^admin.conf\s+.*\s+36[45]d\s+ca\s+no$`, kubeadm)
	assert.Regexp(t, `(?m)^ca\s+.* UTC\s+9y\s+no$`, kubeadm)
	t.Logf("certs_expiration_kubeadm:\n%s", kubeadm)
}

// assertNothingOfOurs checks that no DaemonSet or pod dkp-diagnose created
// is left in the cluster.
func assertNothingOfOurs(t *testing.T, c *kindCluster) {
	t.Helper()
	ctx := context.Background()
	sel := metav1.ListOptions{LabelSelector: collect.LabelManagedBy + "=" + collect.ManagedBy}
	ds, err := c.Client.AppsV1().DaemonSets("").List(ctx, sel)
	require.NoError(t, err)
	assert.Empty(t, ds.Items, "DaemonSets of ours left in %s", c.Name)
	pods, err := c.Client.CoreV1().Pods("").List(ctx, sel)
	require.NoError(t, err)
	assert.Empty(t, pods.Items, "pods of ours left in %s", c.Name)
}

// nodeOutput runs a command in the cluster's node container and returns
// its stdout.
func nodeOutput(t *testing.T, c *kindCluster, command string, args ...string) string {
	t.Helper()
	nodes, err := c.provider.ListNodes(c.Name)
	require.NoError(t, err)
	require.Len(t, nodes, 1)
	var stdout bytes.Buffer
	cmd := nodes[0].Command(command, args...)
	cmd.SetStdout(&stdout)
	if err := cmd.Run(); err != nil {
		var out []byte
		if re := kindexec.RunErrorForError(err); re != nil {
			out = re.Output
		}
		t.Fatalf("%s %v on %s: %v: %s", command, args, nodes[0], err, out)
	}
	return stdout.String()
}

// collectorPod runs node-collector once, as execCopyFromHost's DaemonSet
// does: privileged, in the host's PID namespace, host root at /host.
func collectorPod(ns, image string) *corev1.Pod {
	hostPathDir := corev1.HostPathDirectory
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "node-collector", Namespace: ns},
		Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			HostPID:       true,
			Tolerations:   []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
			Containers: []corev1.Container{{
				Name:            "collector",
				Image:           image,
				ImagePullPolicy: corev1.PullNever,
				Args:            []string{"--host-root", "/host", "--output", "/output"},
				SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)},
				VolumeMounts:    []corev1.VolumeMount{{Name: "host", MountPath: "/host", ReadOnly: true}},
			}},
			Volumes: []corev1.Volume{{Name: "host", VolumeSource: corev1.VolumeSource{
				HostPath: &corev1.HostPathVolumeSource{Path: "/", Type: &hostPathDir},
			}}},
		},
	}
}

// deleteNamespace deletes ns and waits until it is gone, so the cluster is
// left as it was.
func deleteNamespace(t *testing.T, c *kindCluster, ns string) {
	t.Helper()
	ctx := context.Background()
	err := c.Client.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{})
	if apierrors.IsNotFound(err) {
		return
	}
	require.NoError(t, err)
	err = wait.PollUntilContextTimeout(ctx, time.Second, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := c.Client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	assert.NoError(t, err, "namespace %s still there", ns)
}
