package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
)

// hostBinDirs are where a host's own programs (journalctl, systemctl, ip,
// iptables-save, nft) live, searched in this order.
var hostBinDirs = []string{"/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin"}

// hostCmd is one program of the host to run inside the host root. The
// image is FROM scratch: the journal, systemd's state and the packet
// filter are read by the host's own tools, which match the host's
// formats and kernel exactly (a journal compressed with zstd, nft rules
// of the host's nftables version).
type hostCmd struct {
	// path is the program's absolute path on the host (hostProgram).
	path string
	args []string
	// netns runs the program in the network namespace of the host's init
	// (<host-root>/proc/1/ns/net), so ip, iptables-save and nft see the
	// node's interfaces and rules even when the pod has its own network.
	netns bool
	// limit bounds the stdout kept: the last limit bytes, whole lines.
	limit int64
}

func (h hostCmd) String() string { return strings.Join(append([]string{h.path}, h.args...), " ") }

// hostOutput is what a host program printed.
type hostOutput struct {
	stdout []byte
	// cut reports that older output was dropped to stay within limit.
	cut bool
}

// hostRunner runs cmd inside the host root mounted at root.
type hostRunner func(ctx context.Context, root string, cmd hostCmd) (hostOutput, error)

// errNoHostProgram is returned when the host has no such program: the
// item falls back (text logs) or is not applicable.
var errNoHostProgram = errors.New("program not found on the host")

// errJoinNetNS is returned when the host's network namespace cannot be
// joined (no CAP_SYS_ADMIN): network items then run in the pod's own,
// which is the host's only with hostNetwork, and say so.
var errJoinNetNS = errors.New("cannot join the host's network namespace")

// hostProgram finds a program of the host by name, following the host's
// links (usr-merged hosts link /sbin to /usr/sbin; iptables-save is an
// alternatives link).
func (c *collector) hostProgram(name string) (string, error) {
	for _, dir := range hostBinDirs {
		p := path.Join(dir, name)
		if fi, err := c.host.stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: %w (looked in %s)", name, errNoHostProgram, strings.Join(hostBinDirs, ", "))
}

// runHost finds and runs a host program with the collector's runner.
func (c *collector) runHost(ctx context.Context, netns bool, limit int64, name string, args ...string) (hostOutput, hostCmd, error) {
	p, err := c.hostProgram(name)
	if err != nil {
		return hostOutput{}, hostCmd{}, err
	}
	hc := hostCmd{path: p, args: args, netns: netns, limit: limit}
	out, err := c.run(ctx, c.host.root, hc)
	return out, hc, err
}

// hostEnv is the environment of host programs: plain output, no pager,
// no colours, and a UTF-8 locale where the host has one.
var hostEnv = []string{
	"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
	"LANG=C.UTF-8",
	"TERM=dumb",
	"SYSTEMD_PAGER=",
	"SYSTEMD_COLORS=0",
	"SYSTEMD_LESS=",
}

// tailBuffer keeps the last limit bytes written to it, so a program
// printing a day of logs costs bounded memory and the newest lines stay.
type tailBuffer struct {
	limit int64
	buf   bytes.Buffer
	cut   bool
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	n := len(p)
	t.buf.Write(p)
	if t.limit > 0 && int64(t.buf.Len()) > 2*t.limit {
		t.buf.Next(t.buf.Len() - int(t.limit))
		t.cut = true
	}
	return n, nil
}

// bytes returns what was kept, from a line boundary when older output
// was dropped.
func (t *tailBuffer) bytes() []byte {
	b := t.buf.Bytes()
	if t.limit > 0 && int64(len(b)) > t.limit {
		b = b[int64(len(b))-t.limit:]
		t.cut = true
	}
	if t.cut {
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return b
}
