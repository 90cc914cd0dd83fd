package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeHostRunner stands for the host's programs: it records each command
// and answers with canned output by program name.
type fakeHostRunner struct {
	mu      sync.Mutex
	calls   []hostCmd
	outputs map[string]string
	errs    map[string]error
	// noNetNS refuses the host's network namespace, as for a pod
	// without CAP_SYS_ADMIN.
	noNetNS bool
}

// fakeRunner makes run() use a fake runner for the rest of the test, with
// the default answers of a containerd control-plane node overridden by
// outputs ("" entries answer nothing).
func fakeRunner(t *testing.T, outputs map[string]string) *fakeHostRunner {
	t.Helper()
	f := &fakeHostRunner{outputs: map[string]string{
		"systemctl": "Id=kubelet.service\nLoadState=loaded\nActiveState=active\nSubState=running\nActiveEnterTimestamp=Fri 2026-12-04 18:00:00 UTC\nExecMainStatus=0\nEnvironment=KUBELET_TOKEN=fixture-unit-token\n\n" +
			"Id=containerd.service\nLoadState=loaded\nActiveState=active\nNRestarts=2\n\nId=crio.service\nLoadState=not-found\nActiveState=inactive\n",
		"ip address show":                      "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536\n    inet 127.0.0.1/8 scope host lo\n2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500\n    inet 10.0.0.10/24 brd 10.0.0.255 scope global eth0\n",
		"ip -4 route show table all":           "default via 10.0.0.1 dev eth0\n10.244.0.0/24 dev cni0 proto kernel scope link src 10.244.0.1\n",
		"ip -6 route show table all":           "fe80::/64 dev eth0 proto kernel metric 256 pref medium\n",
		"ip rule show":                         "0:\tfrom all lookup local\n32766:\tfrom all lookup main\n",
		"iptables-save":                        "*nat\n:KUBE-SERVICES - [0:0]\n-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment \"default/kubernetes:https cluster IP\" -j KUBE-SVC-NPX46M4PTMTKRN6Y\nCOMMIT\n",
		"ip6tables-save":                       "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n",
		"nft list ruleset":                     "table ip nat {\n\tchain KUBE-SERVICES {\n\t}\n}\n",
		"journalctl --unit=kubelet.service":    "2026-12-04T18:00:00.000000+00:00 node kubelet[42]: I1204 18:00:00.000000 42 server.go:1] journal-kubelet-line --token=fixture-journal-token\n",
		"journalctl --unit=containerd.service": "2026-12-04T18:00:01.000000+00:00 node containerd[43]: journal-containerd-line\n",
		"journalctl --dmesg":                   "2026-12-04T18:00:02.000000+00:00 node kernel: Memory cgroup out of memory: Killed process 4711 (etcd)\n",
	}, errs: map[string]error{}}
	for k, v := range outputs {
		f.outputs[k] = v
	}
	old := hostRun
	hostRun = f.run
	t.Cleanup(func() { hostRun = old })
	return f
}

// key is the program name and its arguments that identify the answer:
// journalctl by its selector (the window changes with the clock).
func (f *fakeHostRunner) key(hc hostCmd) string {
	name := path.Base(hc.path)
	switch name {
	case "journalctl":
		return name + " " + hc.args[len(hc.args)-1]
	case "systemctl":
		return name
	}
	return strings.TrimSpace(name + " " + strings.Join(hc.args, " "))
}

func (f *fakeHostRunner) run(_ context.Context, _ string, hc hostCmd) (hostOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, hc)
	if hc.netns && f.noNetNS {
		return hostOutput{}, fmt.Errorf("%w: setns: operation not permitted", errJoinNetNS)
	}
	k := f.key(hc)
	if err, ok := f.errs[k]; ok {
		return hostOutput{}, err
	}
	out, ok := f.outputs[k]
	if !ok {
		return hostOutput{}, errors.New("fake host runner: no answer for " + k)
	}
	return hostOutput{stdout: []byte(out)}, nil
}

func (f *fakeHostRunner) commands() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var cmds []string
	for _, c := range f.calls {
		cmds = append(cmds, c.String())
	}
	return cmds
}

// TestBinaryJournalThroughHostJournalctl: a host with a binary journal is
// read by the host's journalctl with the unit (or --dmesg), the --since
// window as a Unix time, bounded lines and a fixed output format; its
// output is redacted and headed by its source. The text logs are not used.
func TestBinaryJournalThroughHostJournalctl(t *testing.T) {
	host := fakeHost(t)
	writeFile(t, host, "var/log/journal/0123456789abcdef/system.journal", "LPKSHHRH")
	f := fakeRunner(t, nil)
	before := time.Now()
	out := collect(t, host, "--since", "2h")

	since := func(cmd string) time.Time {
		for _, a := range strings.Fields(cmd) {
			if v, ok := strings.CutPrefix(a, "--since=@"); ok {
				var sec int64
				for _, ch := range v {
					sec = sec*10 + int64(ch-'0')
				}
				return time.Unix(sec, 0)
			}
		}
		return time.Time{}
	}
	var journal []string
	for _, cmd := range f.commands() {
		if strings.HasPrefix(cmd, "/usr/bin/journalctl ") {
			journal = append(journal, cmd)
			if d := before.Sub(since(cmd)); d < 2*time.Hour-time.Minute || d > 2*time.Hour+time.Minute {
				t.Errorf("%s: window of %s, want 2h", cmd, d)
			}
		}
	}
	for _, sel := range []string{"--unit=kubelet.service", "--unit=containerd.service", "--dmesg"} {
		if !slices.ContainsFunc(journal, func(c string) bool {
			return strings.HasPrefix(c, "/usr/bin/journalctl --no-pager --quiet --output=short-iso-precise --since=@") &&
				strings.HasSuffix(c, " --lines=50000 "+sel)
		}) {
			t.Errorf("no journalctl call for %s in %q", sel, journal)
		}
	}
	kl := read(t, out, "journal_kubelet")
	assertContains(t, "journal_kubelet", kl, "# source: journalctl --unit=kubelet.service (the host's journal in /var/log/journal), all entries, lines since ",
		"journal-kubelet-line --token="+hidden)
	assertAbsent(t, "journal_kubelet", kl, "fixture-journal-token", "kubelet-recent-line")
	assertContains(t, "journal_containerd", read(t, out, "journal_containerd"), "journal-containerd-line")
	assertContains(t, "journal_kernel", read(t, out, "journal_kernel"), "# source: journalctl --dmesg", "Memory cgroup out of memory: Killed process 4711")
}

// TestJournalFallsBackToText: when the host's journalctl fails, the text
// logs still answer, and a journal without journalctl is named.
func TestJournalFallsBackToText(t *testing.T) {
	host := fakeHost(t)
	writeFile(t, host, "var/log/journal/0123456789abcdef/system.journal", "LPKSHHRH")
	f := fakeRunner(t, nil)
	for _, sel := range []string{"--unit=kubelet.service", "--dmesg"} {
		f.errs["journalctl "+sel] = errors.New("/usr/bin/journalctl: exit status 1: Failed to open journal")
	}
	out := collect(t, host)
	assertContains(t, "journal_kubelet", read(t, out, "journal_kubelet"), "# source: /var/log/kubelet.log", "kubelet-last-line")
	assertContains(t, "journal_kernel", read(t, out, "journal_kernel"), "# source: /var/log/kern.log", "Out of memory: Killed process 4711")
}

func TestTailBuffer(t *testing.T) {
	tb := &tailBuffer{limit: 10}
	for i := range 100 {
		tb.Write([]byte{byte('a' + i%26), '\n'})
	}
	got := string(tb.bytes())
	if !tb.cut || len(got) > 10 || !strings.HasSuffix(got, "v\n") || strings.HasPrefix(got, "\n") {
		t.Errorf("tail = %q (cut %v)", got, tb.cut)
	}
	small := &tailBuffer{limit: 100}
	small.Write([]byte("one\ntwo\n"))
	if got := string(small.bytes()); got != "one\ntwo\n" || small.cut {
		t.Errorf("small = %q (cut %v)", got, small.cut)
	}
}

// TestChrootRunOnThisMachine runs a real program through chrootRun with
// this machine's root as the "host root", in and out of init's network
// namespace: the exec, chroot and setns plumbing the fakes stand for.
// Needs root (chroot(2), setns(2)).
func TestChrootRunOnThisMachine(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("chroot(2) and setns(2) need root")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := &collector{host: hostFS{root: "/"}, run: chrootRun}
	// This machine's init may be out of reach (a sandbox's PID 1): join
	// our own namespace, which still goes through setns(2).
	old := hostNetNS
	hostNetNS = "proc/self/ns/net"
	t.Cleanup(func() { hostNetNS = old })
	out, hc, err := c.runHost(ctx, false, 1<<20, "echo", "first", "second")
	if err != nil {
		t.Fatalf("%s: %v", hc, err)
	}
	if got := string(out.stdout); got != "first second\n" || out.cut {
		t.Errorf("echo: stdout %q, cut %v", got, out.cut)
	}
	out, _, err = c.runHost(ctx, true, 1<<20, "cat", "/proc/self/net/dev")
	if err != nil {
		t.Fatalf("in init's network namespace: %v", err)
	}
	if !bytes.Contains(out.stdout, []byte("lo:")) {
		t.Errorf("/proc/self/net/dev in init's namespace: %s", out.stdout)
	}
	_, _, err = c.runHost(ctx, false, 1<<20, "false")
	if err == nil || !strings.Contains(err.Error(), "exit status 1") {
		t.Errorf("false: err %v", err)
	}
	_, _, err = c.runHost(ctx, false, 1<<20, "no-such-program-here")
	if !errors.Is(err, errNoHostProgram) {
		t.Errorf("missing program: err %v", err)
	}
}

// TestNetworkWithoutHostNetNS: when the host's network namespace cannot
// be joined, the network programs run in the collector's own and the
// files say so.
func TestNetworkWithoutHostNetNS(t *testing.T) {
	host := fakeHost(t)
	f := fakeRunner(t, nil)
	f.noNetNS = true
	out := collect(t, host)
	assertContains(t, "ip_route", read(t, out, "ip_route"),
		"# cannot join the host's network namespace: setns: operation not permitted\n# run in the collector's own network namespace: the node's only with hostNetwork\n# /usr/bin/ip -4 route show table all\n",
		"10.244.0.0/24 dev cni0")
	var netns, plain int
	for _, c := range f.calls {
		if path.Base(c.path) == "ip" {
			if c.netns {
				netns++
			} else {
				plain++
			}
		}
	}
	if netns != 4 || plain != 4 {
		t.Errorf("ip runs: %d in the host's namespace, %d in the own; want 4 and 4", netns, plain)
	}
}
