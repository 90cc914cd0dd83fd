package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

func collectKubeletConfig(_ context.Context, c *collector) ([]byte, error) {
	data, err := c.host.readFile("/var/lib/kubelet/config.yaml", maxConfigBytes)
	if err != nil {
		return nil, err
	}
	return []byte(redact(string(data))), nil
}

func collectContainerdConfig(_ context.Context, c *collector) ([]byte, error) {
	// Registry credentials (auth, password, identitytoken) may be inline.
	data, err := c.host.readFile("/etc/containerd/config.toml", maxConfigBytes)
	if err != nil {
		return nil, err
	}
	return []byte(redact(string(data))), nil
}

// kubeletFlagFiles are where kubelet's command line is assembled from:
// kubeadm's flags, the distribution's defaults and systemd drop-ins.
var kubeletFlagFiles = []string{
	"/var/lib/kubelet/kubeadm-flags.env",
	"/etc/default/kubelet",
	"/etc/sysconfig/kubelet",
}

// kubeletDropInDirs hold kubelet.service drop-ins (10-kubeadm.conf).
var kubeletDropInDirs = []string{
	"/etc/systemd/system/kubelet.service.d",
	"/usr/lib/systemd/system/kubelet.service.d",
	"/lib/systemd/system/kubelet.service.d",
}

// maxDropIns bounds how many drop-in files are read.
const maxDropIns = 50

// collectKubeletFlags concatenates every file that contributes to
// kubelet's flags, each under a header naming it. Missing files are noted;
// the item fails only when none exists.
func collectKubeletFlags(_ context.Context, c *collector) ([]byte, error) {
	paths := slices.Clone(kubeletFlagFiles)
	for _, dir := range kubeletDropInDirs {
		entries, err := c.host.readDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if !e.IsDir() && len(paths) < len(kubeletFlagFiles)+maxDropIns {
				paths = append(paths, path.Join(dir, e.Name()))
			}
		}
	}
	var b strings.Builder
	var errs []error
	found := 0
	for _, p := range paths {
		data, err := c.host.readFile(p, maxConfigBytes)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
			fmt.Fprintf(&b, "# %s: %v\n\n", p, unwrapPathError(err))
			continue
		}
		found++
		fmt.Fprintf(&b, "# %s\n%s\n", p, strings.TrimRight(redact(string(data)), "\n"))
		b.WriteString("\n")
	}
	if found == 0 {
		return nil, fmt.Errorf("no kubelet flag file found:\n%s", b.String())
	}
	return []byte(b.String()), errors.Join(errs...)
}
