package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// withSource prefixes content with the host path it came from, because
// several items fall back between candidate files and the reader must know
// which one was used.
func withSource(src string, data []byte) []byte {
	return append([]byte("# source: "+src+"\n"), data...)
}

func collectOSRelease(_ context.Context, c *collector) ([]byte, error) {
	// /etc/os-release is the standard; /usr/lib/os-release is the vendor
	// copy it usually links to.
	data, _, err := c.host.firstFile(maxConfigBytes, "/etc/os-release", "/usr/lib/os-release")
	return data, err
}

// collectKernel reads the host's /proc/version. With the host root bind
// mounted recursively, <host-root>/proc is the host's procfs; otherwise the
// container's own /proc/version is used: the kernel is shared, so it is
// the same text.
func collectKernel(_ context.Context, c *collector) ([]byte, error) {
	data, err := c.host.readFile("/proc/version", maxConfigBytes)
	if err == nil {
		return withSource("<host-root>/proc/version", data), nil
	}
	own, ownErr := os.ReadFile("/proc/version")
	if ownErr == nil {
		return withSource("/proc/version (container; the kernel is the host's)", own), nil
	}
	if u, uerr := uname(); uerr == nil {
		return withSource("uname(2)", []byte(u+"\n")), nil
	}
	return nil, errors.Join(err, ownErr)
}

func collectHostname(_ context.Context, c *collector) ([]byte, error) {
	data, src, err := c.host.firstFile(4096, "/etc/hostname", "/proc/sys/kernel/hostname")
	if err != nil {
		return nil, err
	}
	return withSource(src, data), nil
}

func collectMemory(_ context.Context, c *collector) ([]byte, error) {
	// meminfo is global unless something like lxcfs overlays it, so the
	// container's copy is a valid fallback.
	data, err := c.host.readFile("/proc/meminfo", maxConfigBytes)
	if err == nil {
		return withSource("<host-root>/proc/meminfo", data), nil
	}
	own, ownErr := os.ReadFile("/proc/meminfo")
	if ownErr != nil {
		return nil, errors.Join(err, ownErr)
	}
	return withSource("/proc/meminfo (container)", own), nil
}

// collectMounts prefers the mount table of the host's init process: the
// host's procfs resolves /proc/mounts (a link to self/mounts) to the
// collector's own mount namespace, which is the container's.
func collectMounts(_ context.Context, c *collector) ([]byte, error) {
	data, src, err := c.host.firstFile(maxConfigBytes, "/proc/1/mounts", "/proc/mounts")
	if err == nil {
		return withSource("<host-root>"+src, data), nil
	}
	// With hostPID the container's /proc/1 is the host's init.
	own, ownErr := os.ReadFile("/proc/1/mounts")
	if ownErr != nil {
		return nil, errors.Join(err, ownErr)
	}
	return withSource("/proc/1/mounts (container; the host's only with hostPID)", own), nil
}

// sysctlKeys are the kernel settings Kubernetes nodes commonly depend on.
// net.* values are per network namespace: they are the host's only when
// the pod runs with hostNetwork.
var sysctlKeys = []string{
	"net.ipv4.ip_forward",
	"net.ipv6.conf.all.forwarding",
	"net.bridge.bridge-nf-call-iptables",
	"net.bridge.bridge-nf-call-ip6tables",
	"net.ipv4.conf.all.rp_filter",
	"net.netfilter.nf_conntrack_max",
	"net.core.somaxconn",
	"fs.inotify.max_user_instances",
	"fs.inotify.max_user_watches",
	"fs.file-max",
	"fs.nr_open",
	"vm.max_map_count",
	"vm.overcommit_memory",
	"vm.panic_on_oom",
	"vm.swappiness",
	"kernel.pid_max",
	"kernel.panic",
	"kernel.panic_on_oops",
	"kernel.keys.root_maxkeys",
	"kernel.keys.root_maxbytes",
}

func collectSysctls(_ context.Context, c *collector) ([]byte, error) {
	var b strings.Builder
	found := 0
	for _, key := range sysctlKeys {
		p := "/proc/sys/" + strings.ReplaceAll(key, ".", "/")
		data, err := c.host.readFile(p, 4096)
		if err != nil {
			fmt.Fprintf(&b, "%s = <unavailable: %v>\n", key, unwrapPathError(err))
			continue
		}
		found++
		fmt.Fprintf(&b, "%s = %s\n", key, strings.Join(strings.Fields(string(data)), " "))
	}
	if found == 0 {
		return []byte(b.String()), fmt.Errorf("no sysctl readable under <host-root>/proc/sys:\n%s", b.String())
	}
	return []byte(b.String()), nil
}

// systemdUnits are the units whose state is reported.
var systemdUnits = []string{"kubelet.service", "containerd.service"}

// unitDirs are where unit files live, in systemd's order of precedence.
var unitDirs = []string{"/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system"}

// collectSystemdUnits reports what the files of systemd tell about a
// unit: where it is defined, whether it is enabled, its drop-ins, whether
// systemd recorded an invocation (it does while the unit is active) and
// which host processes run its binary. systemctl cannot run from a
// scratch image, so this is best effort.
func collectSystemdUnits(ctx context.Context, c *collector) ([]byte, error) {
	procs, procErr := c.processesByName(ctx, "kubelet", "containerd")
	var b strings.Builder
	for _, unit := range systemdUnits {
		fmt.Fprintf(&b, "%s\n", unit)
		def := c.unitFile(unit)
		fmt.Fprintf(&b, "  unit file: %s\n", orNone(def))
		var wants []string
		for _, target := range []string{"multi-user.target.wants", "default.target.wants", "kubernetes.target.wants"} {
			if _, err := c.host.stat(path.Join("/etc/systemd/system", target, unit)); err == nil {
				wants = append(wants, target)
			}
		}
		if len(wants) > 0 {
			fmt.Fprintf(&b, "  enabled: yes (%s)\n", strings.Join(wants, ", "))
		} else {
			fmt.Fprintf(&b, "  enabled: no link in /etc/systemd/system/*.target.wants\n")
		}
		// A unit in /etc/systemd/system linked to /dev/null is masked.
		if rp, err := c.host.resolve(path.Join("/etc/systemd/system", unit)); err == nil && rp == filepath.Join(c.host.root, "dev", "null") {
			fmt.Fprintf(&b, "  masked: yes\n")
		}
		var dropIns []string
		for _, dir := range unitDirs {
			entries, err := c.host.readDir(path.Join(dir, unit+".d"))
			if err != nil {
				continue
			}
			for _, e := range entries {
				if strings.HasSuffix(e.Name(), ".conf") {
					dropIns = append(dropIns, path.Join(dir, unit+".d", e.Name()))
				}
			}
		}
		fmt.Fprintf(&b, "  drop-ins: %s\n", orNone(strings.Join(dropIns, ", ")))
		// The record is a link to the invocation ID, which dangles by
		// design: test the link itself.
		if c.host.lexists("/run/systemd/units/invocation:" + unit) {
			fmt.Fprintf(&b, "  active: yes (systemd invocation record present)\n")
		} else {
			fmt.Fprintf(&b, "  active: unknown (no /run/systemd/units/invocation:%s)\n", unit)
		}
		name := strings.TrimSuffix(unit, ".service")
		switch {
		case procErr != nil:
			fmt.Fprintf(&b, "  processes: unknown (%v)\n", procErr)
		case len(procs[name]) == 0:
			fmt.Fprintf(&b, "  processes: none found\n")
		default:
			fmt.Fprintf(&b, "  processes: pid %s\n", strings.Join(procs[name], ", "))
		}
	}
	return []byte(b.String()), nil
}

// unitFile is the host path of unit's definition, "" when none exists.
func (c *collector) unitFile(unit string) string {
	for _, dir := range unitDirs {
		if fi, err := c.host.stat(path.Join(dir, unit)); err == nil && fi.Mode().IsRegular() {
			return path.Join(dir, unit)
		}
	}
	return ""
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// maxProcs bounds the walk over the host's process table.
const maxProcs = 100000

// processesByName finds host processes whose command name is one of
// names, by reading <host-root>/proc/<pid>/comm.
func (c *collector) processesByName(ctx context.Context, names ...string) (map[string][]string, error) {
	entries, err := c.host.readDir("/proc")
	if err != nil {
		return nil, err
	}
	found := map[string][]string{}
	for i, e := range entries {
		if i >= maxProcs || ctx.Err() != nil {
			break
		}
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		comm, err := c.host.readFile("/proc/"+e.Name()+"/comm", 64)
		if err != nil {
			continue
		}
		name := strings.TrimSpace(string(comm))
		if slices.Contains(names, name) {
			found[name] = append(found[name], e.Name())
		}
	}
	return found, nil
}

// capNames are the Linux capabilities by bit number (capability.h).
var capNames = []string{
	"CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
	"SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
	"IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
	"SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
	"LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
	"WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
}

// decodeCaps names the bits of a hexadecimal capability mask.
func decodeCaps(hex string) (string, error) {
	mask, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
	if err != nil {
		return "", err
	}
	var names []string
	for bit := range 64 {
		if mask&(1<<bit) == 0 {
			continue
		}
		if bit < len(capNames) {
			names = append(names, capNames[bit])
		} else {
			names = append(names, fmt.Sprintf("CAP_%d", bit))
		}
	}
	return strings.Join(names, ","), nil
}

// procSelfStatus is the collector's own status file (not the host's): it
// shows the security context the pod really got.
var procSelfStatus = "/proc/self/status"

func collectWhoami(_ context.Context, c *collector) ([]byte, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "uid=%d euid=%d gid=%d egid=%d\n", os.Getuid(), os.Geteuid(), os.Getgid(), os.Getegid())
	if groups, err := os.Getgroups(); err == nil {
		fmt.Fprintf(&b, "groups=%v\n", groups)
	}
	status, err := os.ReadFile(procSelfStatus)
	if err != nil {
		return []byte(b.String()), fmt.Errorf("capabilities unknown: %w\n%s", err, b.String())
	}
	for _, line := range strings.Split(string(status), "\n") {
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		switch key {
		case "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb":
			names, err := decodeCaps(val)
			if err != nil {
				names = "<" + err.Error() + ">"
			}
			fmt.Fprintf(&b, "%s\n", strings.TrimSpace(key+"="+val+" "+names))
		case "NoNewPrivs", "Seccomp":
			fmt.Fprintf(&b, "%s=%s\n", key, val)
		}
	}
	// Proves the host mount works, the point of the privileged pod.
	if _, err := c.host.stat("/etc"); err != nil {
		fmt.Fprintf(&b, "host root %s: not readable (%v)\n", c.host.root, err)
	} else {
		fmt.Fprintf(&b, "host root %s: readable\n", c.host.root)
	}
	return []byte(b.String()), nil
}
