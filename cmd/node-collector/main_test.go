package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// fakeHost copies testdata/host into a temporary folder and adds what
// cannot or should not be committed: generated certificates and keys,
// symbolic links (absolute ones, as real hosts have), timestamped logs
// and the containerd socket.
func fakeHost(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "host")
	if err := os.CopyFS(root, os.DirFS("testdata/host")); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ca, caKey := newCert(t, "kubernetes", nil, nil, now.Add(-time.Hour), now.Add(10*365*24*time.Hour+time.Hour), true)
	writeFile(t, root, "etc/kubernetes/pki/ca.crt", ca.pem)
	writeFile(t, root, "etc/kubernetes/pki/ca.key", keyPEM(t, caKey))
	api, _ := newCert(t, "kube-apiserver", ca.cert, caKey, now.Add(-time.Hour), now.Add(365*24*time.Hour+time.Hour), false)
	writeFile(t, root, "etc/kubernetes/pki/apiserver.crt", api.pem)
	expired, _ := newCert(t, "front-proxy-client", ca.cert, caKey, now.Add(-400*24*time.Hour), now.Add(-36*time.Hour), false)
	writeFile(t, root, "etc/kubernetes/pki/front-proxy-client.crt", expired.pem)
	etcdCA, _ := newCert(t, "etcd-ca", nil, nil, now.Add(-time.Hour), now.Add(3650*24*time.Hour+time.Hour), true)
	writeFile(t, root, "etc/kubernetes/pki/etcd/ca.crt", etcdCA.pem)
	writeFile(t, root, "etc/kubernetes/pki/bundle.pem", ca.pem+etcdCA.pem)
	kubelet, kubeletKey := newCert(t, "fixture-control-plane-0@1700000000", nil, nil, now.Add(-time.Hour), now.Add(30*24*time.Hour+time.Hour), false)
	writeFile(t, root, "var/lib/kubelet/pki/kubelet.crt", kubelet.pem)
	writeFile(t, root, "var/lib/kubelet/pki/kubelet.key", keyPEM(t, kubeletKey))
	client, clientKey := newCert(t, "system:node:fixture-control-plane-0", ca.cert, caKey, now.Add(-time.Hour), now.Add(200*24*time.Hour+time.Hour), false)
	writeFile(t, root, "var/lib/kubelet/pki/kubelet-client-2026-01-01-00-00-00.pem", client.pem+keyPEM(t, clientKey))
	symlink(t, root, "/var/lib/kubelet/pki/kubelet-client-2026-01-01-00-00-00.pem", "var/lib/kubelet/pki/kubelet-client-current.pem")

	symlink(t, root, "/usr/lib/systemd/system/kubelet.service", "etc/systemd/system/multi-user.target.wants/kubelet.service")
	symlink(t, root, "0123456789abcdef0123456789abcdef", "run/systemd/units/invocation:kubelet.service")

	klog := func(t time.Time, msg string) string {
		return "I" + t.Format("0102 15:04:05.000000") + "    4242 kubelet.go:1] " + msg + "\n"
	}
	writeFile(t, root, "var/log/kubelet.log",
		klog(now.Add(-48*time.Hour), "kubelet-old-line")+
			klog(now.Add(-time.Hour), "kubelet-recent-line")+
			"\tcontinuation of the recent line\n"+
			klog(now.Add(-time.Minute), "kubelet-last-line"))
	rfc := func(t time.Time, unit, msg string) string {
		return t.Format(time.RFC3339Nano) + " fixture-control-plane-0 " + unit + ": " + msg + "\n"
	}
	writeFile(t, root, "var/log/syslog",
		rfc(now.Add(-72*time.Hour), "containerd[4343]", "containerd-old-line")+
			rfc(now.Add(-2*time.Hour), "containerd[4343]", "containerd-recent-line")+
			rfc(now.Add(-time.Hour), "systemd[1]", "systemd-line")+
			rfc(now.Add(-time.Minute), "containerd", "containerd-last-line"))
	writeFile(t, root, "var/log/kern.log",
		rfc(now.Add(-30*time.Hour), "kernel", "kernel-old-line")+
			rfc(now.Add(-time.Hour), "kernel", "Out of memory: Killed process 4711 (etcd) total-vm:10GB")+
			rfc(now.Add(-time.Minute), "kernel", "blk_update_request: I/O error, dev sdb, sector 2048"))
	symlink(t, root, "../run/systemd/resolve/stub-resolv.conf", "etc/resolv.conf")
	// The host's programs: empty files, never run; the fake runner
	// answers for them.
	for _, p := range []string{"journalctl", "systemctl", "ip", "iptables-save", "ip6tables-save", "nft"} {
		writeFile(t, root, "usr/bin/"+p, "")
		if err := os.Chmod(filepath.Join(root, "usr/bin", p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	serveFakeCRI(t, filepath.Join(root, "run/containerd/containerd.sock"), &fakeCRI{created: time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)})
	fakeRunner(t, nil)
	return root
}

type generated struct {
	cert *x509.Certificate
	pem  string
}

var serial int64

func newCert(t *testing.T, cn string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, notBefore, notAfter time.Time, isCA bool) (generated, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial++
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		IsCA:                  isCA,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return generated{cert: cert, pem: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))}, key
}

func keyPEM(t *testing.T, key *ecdsa.PrivateKey) string {
	t.Helper()
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))
}

func writeFile(t *testing.T, root, rel, content string) {
	t.Helper()
	p := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, root, target, rel string) {
	t.Helper()
	p := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
}

// collect runs the program on host and returns the output folder.
func collect(t *testing.T, host string, extra ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "output")
	var stdout, stderr bytes.Buffer
	args := append([]string{"--host-root", host, "--output", out, "--timeout", "20s"}, extra...)
	if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit code %d, stderr:\n%s", code, stderr.String())
	}
	t.Logf("stdout:\n%s", stdout.String())
	return out
}

// outputFiles lists the output folder's files, slash-separated.
func outputFiles(t *testing.T, out string) []string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(out, p)
		names = append(names, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	return names
}

func read(t *testing.T, out, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func assertContains(t *testing.T, name, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s: missing %q in:\n%s", name, w, text)
		}
	}
}

func assertAbsent(t *testing.T, name, text string, unwanted ...string) {
	t.Helper()
	for _, u := range unwanted {
		if strings.Contains(text, u) {
			t.Errorf("%s: must not contain %q:\n%s", name, u, text)
		}
	}
}

// fullRun is every file a complete fake host yields. journal_crio is
// not applicable on a containerd node: no file.
var fullRun = []string{
	"certs_expiration",
	"certs_expiration_kubeadm",
	"collector_summary",
	"containerd_config.toml",
	"containers_crictl",
	"disk_usage",
	"hostname",
	"images_crictl",
	"ip_addr",
	"ip_route",
	"iptables_save",
	"journal_containerd",
	"journal_kernel",
	"journal_kubelet",
	"kernel",
	"kubelet_config.yaml",
	"kubelet_flags",
	"memory",
	"mounts",
	"nft_ruleset",
	"os_release",
	"pods_crictl",
	"resolv_conf",
	"services_systemctl",
	"static_pod_manifests/kube-apiserver.yaml",
	"static_pod_manifests/kube-vip.yaml",
	"sysctls",
	"systemd_units",
	"whoami_validate",
}

func TestCollectFakeHost(t *testing.T) {
	host := fakeHost(t)
	out := collect(t, host)

	if got := outputFiles(t, out); !slices.Equal(got, fullRun) {
		t.Fatalf("output files:\n got %q\nwant %q", got, fullRun)
	}

	assertContains(t, "os_release", read(t, out, "os_release"), `PRETTY_NAME="Ubuntu 22.04.4 LTS"`)
	assertContains(t, "kernel", read(t, out, "kernel"), "# source: <host-root>/proc/version", "5.15.0-105-generic")
	assertContains(t, "hostname", read(t, out, "hostname"), "fixture-control-plane-0")
	assertContains(t, "kubelet_config.yaml", read(t, out, "kubelet_config.yaml"), "kind: KubeletConfiguration", "cgroupDriver: systemd")
	assertContains(t, "kubelet_flags", read(t, out, "kubelet_flags"),
		"# /var/lib/kubelet/kubeadm-flags.env\nKUBELET_KUBEADM_ARGS=", "--node-ip=10.0.0.10",
		"# /etc/default/kubelet\nKUBELET_EXTRA_ARGS=",
		"# /etc/systemd/system/kubelet.service.d/10-kubeadm.conf\n",
		"# /etc/sysconfig/kubelet: no such file or directory")

	containerd := read(t, out, "containerd_config.toml")
	assertContains(t, "containerd_config.toml", containerd, "SystemdCgroup = true", `username = "fixture-user"`,
		"password = "+hidden, "identitytoken = "+hidden, `auth = ""`)
	assertAbsent(t, "containerd_config.toml", containerd, "containerd-fixture-password", "containerd-fixture-identitytoken")

	certs := read(t, out, "certs_expiration")
	lines := strings.Split(strings.TrimSpace(certs), "\n")
	if !slices.IsSorted(lines) {
		t.Errorf("certs_expiration is not sorted:\n%s", certs)
	}
	for _, want := range []string{
		`/etc/kubernetes/pki/apiserver.crt subject="CN=kube-apiserver" issuer="CN=kubernetes" notBefore=`,
		"daysLeft=365\n",
		`/etc/kubernetes/pki/front-proxy-client.crt subject="CN=front-proxy-client"`,
		"daysLeft=-2 EXPIRED\n",
		`/etc/kubernetes/pki/bundle.pem subject="CN=kubernetes"`,
		`/etc/kubernetes/pki/bundle.pem[1] subject="CN=etcd-ca"`,
		`/etc/kubernetes/pki/ca.crt subject="CN=kubernetes"`,
		`/etc/kubernetes/pki/etcd/ca.crt subject="CN=etcd-ca"`,
		`/var/lib/kubelet/pki/kubelet-client-current.pem subject="CN=system:node:fixture-control-plane-0" issuer="CN=kubernetes"`,
		`/var/lib/kubelet/pki/kubelet.crt subject="CN=fixture-control-plane-0@1700000000"`,
	} {
		assertContains(t, "certs_expiration", certs, want)
	}
	if n := strings.Count(certs, "EXPIRED"); n != 1 {
		t.Errorf("certs_expiration: %d EXPIRED markers, want 1:\n%s", n, certs)
	}
	if len(lines) != 9 {
		t.Errorf("certs_expiration: %d lines, want 9:\n%s", len(lines), certs)
	}
	assertAbsent(t, "certs_expiration", certs, "PRIVATE KEY", ".key")

	api := read(t, out, "static_pod_manifests/kube-apiserver.yaml")
	assertContains(t, "kube-apiserver.yaml", api,
		"- --token="+hidden+"\n",
		`- --oidc-client-secret="`+hidden+`"`,
		"- --tls-private-key-file=/etc/kubernetes/pki/apiserver.key",
		"- name: AUDIT_DB_PASSWORD\n      value: "+hidden+"\n",
		"- value: "+hidden+"\n      name: WEBHOOK_TOKEN",
		"value: http://proxy.fixture.local:3128",
		"name: SIGNING_KEY\n      value: "+hidden+"\n        "+hidden+"\n        "+hidden+"\n",
		"key: token",
		"image: registry.k8s.io/kube-apiserver:v1.29.4")
	assertAbsent(t, "kube-apiserver.yaml", api, "--token=abc", "oidc-fixture-secret", "fixture-db-password",
		"fixture-api-token", "fixture-multiline-key")
	vip := read(t, out, "static_pod_manifests/kube-vip.yaml")
	assertContains(t, "kube-vip.yaml", vip, "- --bootstrap-token\n    - "+hidden+"\n", "{name: vip_interface, value: eth0}",
		"{name: vip_leaderelection_token, value: "+hidden+"}")
	assertAbsent(t, "kube-vip.yaml", vip, "vip-fixture-bootstrap-token", "vip-fixture-flow-token")

	assertContains(t, "disk_usage", read(t, out, "disk_usage"), "PATH", "\n/ ", "\n/var ", "\n/var/lib/kubelet ", "\n/var/lib/containerd ")
	assertContains(t, "memory", read(t, out, "memory"), "MemTotal:       16374852 kB")
	assertContains(t, "mounts", read(t, out, "mounts"), "# source: <host-root>/proc/mounts", "/dev/sdb1 /var/lib/containerd xfs")
	sysctls := read(t, out, "sysctls")
	assertContains(t, "sysctls", sysctls, "net.ipv4.ip_forward = 1\n", "net.bridge.bridge-nf-call-iptables = 1\n",
		"fs.inotify.max_user_instances = 8192\n", "fs.inotify.max_user_watches = 524288\n",
		"vm.max_map_count = 262144\n", "kernel.pid_max = 4194304\n", "vm.swappiness = <unavailable: ")
	assertContains(t, "systemd_units", read(t, out, "systemd_units"),
		"kubelet.service\n  unit file: /usr/lib/systemd/system/kubelet.service\n  enabled: yes (multi-user.target.wants)\n"+
			"  drop-ins: /etc/systemd/system/kubelet.service.d/10-kubeadm.conf\n  active: yes (systemd invocation record present)\n  processes: pid 4242\n",
		"containerd.service\n  unit file: /usr/lib/systemd/system/containerd.service\n  enabled: no link",
		"  processes: pid 4343\n")

	kl := read(t, out, "journal_kubelet")
	assertContains(t, "journal_kubelet", kl, "# source: /var/log/kubelet.log, whole file, lines since ", "kubelet-recent-line",
		"continuation of the recent line", "kubelet-last-line")
	assertAbsent(t, "journal_kubelet", kl, "kubelet-old-line")
	cl := read(t, out, "journal_containerd")
	assertContains(t, "journal_containerd", cl, `# source: /var/log/syslog (lines matching \s`+"containerd", "containerd-recent-line", "containerd-last-line")
	assertAbsent(t, "journal_containerd", cl, "containerd-old-line", "systemd-line")

	who := read(t, out, "whoami_validate")
	assertContains(t, "whoami_validate", who, fmt.Sprintf("uid=%d ", os.Getuid()), "CapEff=", "CapBnd=", "host root "+host+": readable")
	summary := read(t, out, "collector_summary")
	assertContains(t, "collector_summary", summary, "host root: "+host, "certs_expiration", "ok",
		"  n/a: no crio.service unit, no /var/run/crio/crio.sock: crio does not run here\n")
	assertAbsent(t, "collector_summary", summary, "error")

	assertContains(t, "journal_kernel", read(t, out, "journal_kernel"), "# source: /var/log/kern.log", "Out of memory: Killed process 4711",
		"I/O error, dev sdb")
	assertAbsent(t, "journal_kernel", read(t, out, "journal_kernel"), "kernel-old-line")
	assertMatch(t, "certs_expiration_kubeadm", read(t, out, "certs_expiration_kubeadm"),
		`^CERTIFICATE\s+EXPIRES\s+RESIDUAL TIME\s+CERTIFICATE AUTHORITY\s+EXTERNALLY MANAGED\n`,
		`(?m)^!MISSING! admin.conf$`,
		`(?m)^apiserver\s+[A-Z][a-z]{2} \d\d, \d{4} \d\d:\d\d UTC\s+1y\s+ca\s+no$`,
		`(?m)^front-proxy-client\s+.* UTC\s+<invalid>\s+front-proxy-ca\s+no$`,
		`(?m)^!MISSING! etcd-server$`,
		`(?m)^CERTIFICATE AUTHORITY\s+EXPIRES\s+RESIDUAL TIME\s+EXTERNALLY MANAGED$`,
		`(?m)^ca\s+.* UTC\s+10y\s+no$`,
		`(?m)^etcd-ca\s+.* UTC\s+10y\s+yes$`,
		`(?m)^!MISSING! front-proxy-ca$`)
	services := read(t, out, "services_systemctl")
	assertContains(t, "services_systemctl", services, "# /usr/bin/systemctl show --no-pager --property=Id,LoadState,", " kubelet.service containerd.service crio.service\n",
		"Id=kubelet.service\nLoadState=loaded\nActiveState=active\n", "Environment=KUBELET_TOKEN="+hidden, "NRestarts=2")
	assertAbsent(t, "services_systemctl", services, "fixture-unit-token")
	assertContains(t, "ip_addr", read(t, out, "ip_addr"), "# /usr/bin/ip address show\n", "inet 10.0.0.10/24")
	assertContains(t, "ip_route", read(t, out, "ip_route"), "# /usr/bin/ip -4 route show table all\n", "10.244.0.0/24 dev cni0",
		"# /usr/bin/ip -6 route show table all\n", "# /usr/bin/ip rule show\n")
	assertContains(t, "iptables_save", read(t, out, "iptables_save"), "# /usr/bin/iptables-save\n*nat\n", "-j KUBE-SVC-NPX46M4PTMTKRN6Y", "# /usr/bin/ip6tables-save\n*filter")
	assertContains(t, "nft_ruleset", read(t, out, "nft_ruleset"), "# /usr/bin/nft list ruleset\ntable ip nat {")
	assertContains(t, "resolv_conf", read(t, out, "resolv_conf"),
		"# kubelet resolvConf: /run/systemd/resolve/resolv.conf\n",
		"# /etc/resolv.conf -> /run/systemd/resolve/stub-resolv.conf\nnameserver 127.0.0.53\n",
		"# /run/systemd/resolve/resolv.conf\n# This is /run/systemd/resolve/resolv.conf managed by man:systemd-resolved(8).\nnameserver 10.0.0.2\n")
}

// TestMissingSourcesWriteErrorFiles removes the sources of some items:
// each writes its error file and the rest are still collected.
func TestMissingSourcesWriteErrorFiles(t *testing.T) {
	host := fakeHost(t)
	for _, rel := range []string{"etc/containerd/config.toml", "run/containerd/containerd.sock", "var/log/syslog", "etc/kubernetes/manifests"} {
		if err := os.RemoveAll(filepath.Join(host, rel)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(host, "var/log/journal"), 0o755); err != nil {
		t.Fatal(err)
	}
	out := collect(t, host)

	got := outputFiles(t, out)
	var want []string
	for _, name := range fullRun {
		switch {
		case name == "containerd_config.toml", name == "journal_containerd", strings.HasSuffix(name, "_crictl"):
			want = append(want, name+"-error.txt")
		case strings.HasPrefix(name, "static_pod_manifests/"):
		default:
			want = append(want, name)
		}
	}
	want = append(want, "static_pod_manifests-error.txt")
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("output files:\n got %q\nwant %q", got, want)
	}
	assertContains(t, "containerd_config.toml-error.txt", read(t, out, "containerd_config.toml-error.txt"),
		"/etc/containerd/config.toml", "no such file or directory")
	assertAbsent(t, "containerd_config.toml-error.txt", read(t, out, "containerd_config.toml-error.txt"), host)
	assertContains(t, "journal_containerd-error.txt", read(t, out, "journal_containerd-error.txt"),
		"no journal or text log readable", "open /var/log/containerd.log: no such file", "open /var/log/syslog: no such file")
	assertContains(t, "containers_crictl-error.txt", read(t, out, "containers_crictl-error.txt"), "no container runtime (CRI) socket found")
	assertContains(t, "static_pod_manifests-error.txt", read(t, out, "static_pod_manifests-error.txt"), "/etc/kubernetes/manifests")
	assertContains(t, "collector_summary", read(t, out, "collector_summary"), "containerd_config.toml", "error: open /etc/containerd/config.toml")
}

// TestEmptyHostRoot: a host root with nothing in it still gives every
// item a file, mostly error files, and exit code 0.
func TestEmptyHostRoot(t *testing.T) {
	out := collect(t, t.TempDir())
	files := outputFiles(t, out)
	summary := read(t, out, "collector_summary")
	for _, it := range defaultItems() {
		if strings.Contains(summary, "\n"+it.name+" ") && strings.Contains(summary, "  n/a: ") {
			continue
		}
		if !slices.Contains(files, it.name) && !slices.Contains(files, it.name+"-error.txt") {
			t.Errorf("item %s wrote neither its file nor its error file: %q", it.name, files)
		}
	}
}

func TestUnusableOutput(t *testing.T) {
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"--host-root", t.TempDir(), "--output", filepath.Join(notDir, "out")}, &stdout, &stderr); code != 1 {
		t.Fatalf("exit code %d, want 1 (stderr %s)", code, stderr.String())
	}
	assertContains(t, "stderr", stderr.String(), "output folder")
	if code := run(context.Background(), []string{"--since", "0s"}, &stdout, &stderr); code != 2 {
		t.Fatalf("--since 0s: exit code %d, want 2", code)
	}
}

// TestItemTimeoutAndPanic: a hanging item and a panicking one each get an
// error file; the items after them still run.
func TestItemTimeoutAndPanic(t *testing.T) {
	out, err := openOutput(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	defer close(release)
	c := &collector{host: hostFS{root: t.TempDir()}, out: out, since: time.Hour, timeout: 50 * time.Millisecond, now: time.Now(), log: &bytes.Buffer{}}
	items := []item{
		{name: "hangs", collect: func(context.Context, *collector) ([]file, error) {
			<-release
			return []file{{name: "hangs", data: []byte("late")}}, nil
		}},
		{name: "panics", collect: func(context.Context, *collector) ([]file, error) { panic("boom") }},
		single("works", func(context.Context, *collector) ([]byte, error) { return []byte("fine\n"), nil }),
	}
	if err := c.collectAll(context.Background(), items); err != nil {
		t.Fatal(err)
	}
	assertContains(t, "hangs-error.txt", read(t, out.root, "hangs-error.txt"), "timed out after 50ms")
	assertContains(t, "panics-error.txt", read(t, out.root, "panics-error.txt"), "panic: boom")
	assertContains(t, "works", read(t, out.root, "works"), "fine")
	if _, err := os.Stat(filepath.Join(out.root, "hangs")); err == nil {
		t.Error("a timed-out item's late result was written")
	}
}

func TestOutputRefusesEscapingNames(t *testing.T) {
	out, err := openOutput(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"", "..", "../x", "/etc/passwd", "static_pod_manifests/../../x"} {
		if err := out.write(name, []byte("x")); err == nil {
			t.Errorf("write(%q) succeeded", name)
		}
	}
	big := bytes.Repeat([]byte("a"), maxItemBytes+10)
	if err := out.write("big", big); err != nil {
		t.Fatal(err)
	}
	if got := read(t, out.root, "big"); len(got) != maxItemBytes+len(truncatedMarker) || !strings.HasSuffix(got, truncatedMarker) {
		t.Errorf("big file: %d bytes, want %d ending with the marker", len(got), maxItemBytes+len(truncatedMarker))
	}
}
