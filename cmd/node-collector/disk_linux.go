//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
)

// diskPaths are the host folders whose filesystems are reported; the
// kubelet evicts pods when the ones holding /var/lib/kubelet and
// /var/lib/containerd run low.
var diskPaths = []string{"/", "/var", "/var/lib/kubelet", "/var/lib/containerd", "/var/log"}

// collectDiskUsage reports statfs(2) of each host folder. Folders on the
// same filesystem show the same numbers; that is how the reader sees
// whether /var is a separate disk.
func collectDiskUsage(_ context.Context, c *collector) ([]byte, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "%-22s %12s %12s %12s %5s %12s %12s\n", "PATH", "SIZE", "USED", "AVAIL", "USE%", "INODES", "IFREE")
	var errs []error
	for _, p := range diskPaths {
		rp, err := c.host.resolve(p)
		if err != nil {
			if p == "/" || p == "/var" {
				errs = append(errs, err)
			}
			continue
		}
		var st syscall.Statfs_t
		if err := syscall.Statfs(rp, &st); err != nil {
			errs = append(errs, fmt.Errorf("statfs %s: %w", p, err))
			continue
		}
		bs := uint64(st.Bsize)
		if st.Frsize > 0 {
			bs = uint64(st.Frsize)
		}
		size, free, avail := st.Blocks*bs, st.Bfree*bs, st.Bavail*bs
		used := size - free
		pct := 0.0
		// df's definition: used over what non-root users can reach.
		if used+avail > 0 {
			pct = float64(used) * 100 / float64(used+avail)
		}
		fmt.Fprintf(&b, "%-22s %12s %12s %12s %4.0f%% %12d %12d\n", p, human(size), human(used), human(avail), pct, st.Files, st.Ffree)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w\n%s", errors.Join(errs...), b.String())
	}
	return []byte(b.String()), nil
}

// human formats bytes in binary units, like df -h.
func human(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%dB", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f%ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// uname returns the kernel name, release and version from uname(2).
func uname() (string, error) {
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		return "", err
	}
	return strings.Join([]string{cstr(u.Sysname[:]), cstr(u.Nodename[:]), cstr(u.Release[:]), cstr(u.Version[:]), cstr(u.Machine[:])}, " "), nil
}

// cstr converts a NUL-terminated C array; its element type differs
// between architectures (int8 on amd64, uint8 on arm).
func cstr[T int8 | uint8](a []T) string {
	var s strings.Builder
	for _, ch := range a {
		if ch == 0 {
			break
		}
		s.WriteByte(byte(ch))
	}
	return s.String()
}
