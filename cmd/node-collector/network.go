package main

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// hostSection is one command of an item that runs several: its header
// and output (or error) form one part of the file.
type hostSection struct {
	name string
	args []string
}

// maxCommandBytes bounds what one host command may print into a file
// (a node with thousands of services has long iptables rules).
const maxCommandBytes = 3 << 20

// runSections runs each section's host program in the host's network
// namespace and writes its output under a `# <command>` header, redacted.
// A failing section is noted in the file; the item fails only when every
// section failed, and is not applicable when the host has none of the
// programs.
func (c *collector) runSections(ctx context.Context, netns bool, sections ...hostSection) ([]byte, error) {
	var b strings.Builder
	var errs []error
	missing := 0
	for _, s := range sections {
		out, hc, err := c.runHost(ctx, netns, maxCommandBytes, s.name, s.args...)
		if errors.Is(err, errJoinNetNS) {
			fmt.Fprintf(&b, "# %v\n# run in the collector's own network namespace: the node's only with hostNetwork\n", err)
			out, hc, err = c.runHost(ctx, false, maxCommandBytes, s.name, s.args...)
		}
		if errors.Is(err, errNoHostProgram) {
			missing++
			fmt.Fprintf(&b, "# %s %s: %v\n\n", s.name, strings.Join(s.args, " "), err)
			errs = append(errs, err)
			continue
		}
		fmt.Fprintf(&b, "# %s\n", hc)
		if err != nil {
			fmt.Fprintf(&b, "# error: %v\n\n", err)
			errs = append(errs, err)
			continue
		}
		if out.cut {
			fmt.Fprintf(&b, "# (only the last %d MiB)\n", maxCommandBytes>>20)
		}
		b.WriteString(strings.TrimRight(redact(string(out.stdout)), "\n"))
		b.WriteString("\n\n")
	}
	switch {
	case missing == len(sections):
		return nil, notApplicable(errors.Join(errs...).Error())
	case len(errs) == len(sections):
		return nil, errors.Join(errs...)
	}
	return []byte(b.String()), nil
}

// collectAddresses is `ip address` of the node (every interface and
// address, the CNI's bridge and veths included).
func collectAddresses(ctx context.Context, c *collector) ([]byte, error) {
	return c.runSections(ctx, true, hostSection{"ip", []string{"address", "show"}})
}

// collectRoutes is the node's routing: policy rules and the IPv4 and IPv6
// routes of every table, where the pod CIDR routes of the CNI show.
func collectRoutes(ctx context.Context, c *collector) ([]byte, error) {
	return c.runSections(ctx, true,
		hostSection{"ip", []string{"-4", "route", "show", "table", "all"}},
		hostSection{"ip", []string{"-6", "route", "show", "table", "all"}},
		hostSection{"ip", []string{"rule", "show"}},
	)
}

// collectIptables is the packet filter as iptables shows it: the host's
// own iptables-save is the variant (nft or legacy) the host selected.
func collectIptables(ctx context.Context, c *collector) ([]byte, error) {
	return c.runSections(ctx, true,
		hostSection{"iptables-save", nil},
		hostSection{"ip6tables-save", nil},
	)
}

// collectNftables is every nftables table: kube-proxy's nftables mode
// and the iptables-nft tables alike.
func collectNftables(ctx context.Context, c *collector) ([]byte, error) {
	return c.runSections(ctx, true, hostSection{"nft", []string{"list", "ruleset"}})
}

// kubeletResolvConf is the kubelet's resolvConf setting: the file whose
// nameservers and search domains pods with dnsPolicy Default get
// (kubeadm sets /run/systemd/resolve/resolv.conf on systemd-resolved hosts).
var kubeletResolvConf = regexp.MustCompile(`(?m)^resolvConf:\s*["']?([^"'\s#]*)`)

// collectResolvConf writes the host's /etc/resolv.conf and the kubelet's
// resolvConf (when it is another file), each under a header.
func collectResolvConf(_ context.Context, c *collector) ([]byte, error) {
	paths := []string{"/etc/resolv.conf"}
	kubelet := "/etc/resolv.conf (the kubelet's default)"
	if data, err := c.host.readFile("/var/lib/kubelet/config.yaml", maxConfigBytes); err == nil {
		if m := kubeletResolvConf.FindSubmatch(data); m != nil {
			switch p := string(m[1]); p {
			case "":
				kubelet = `"" (the kubelet gives pods no host DNS)`
			default:
				kubelet = p
				if p != "/etc/resolv.conf" {
					paths = append(paths, p)
				}
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# kubelet resolvConf: %s\n\n", kubelet)
	read := 0
	var errs []error
	for _, p := range paths {
		data, err := c.host.readFile(p, maxConfigBytes)
		if err != nil {
			fmt.Fprintf(&b, "# %s: %v\n\n", p, unwrapPathError(err))
			errs = append(errs, err)
			continue
		}
		read++
		// Show where a link (/etc/resolv.conf -> ../run/systemd/resolve/stub-resolv.conf) leads.
		src := p
		if rp, err := c.host.resolve(p); err == nil {
			if target := strings.TrimPrefix(rp, c.host.root); target != p && target != "" {
				src += " -> " + target
			}
		}
		fmt.Fprintf(&b, "# %s\n%s\n\n", src, strings.TrimRight(string(data), "\n"))
	}
	if read == 0 {
		return nil, errors.Join(errs...)
	}
	return []byte(redact(b.String())), nil
}
