package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// collector holds what every item needs.
type collector struct {
	host    hostFS
	out     *outputDir
	since   time.Duration
	timeout time.Duration
	now     time.Time
	log     io.Writer
	// run starts a program of the host inside the host root; tests
	// replace it with a fake.
	run hostRunner

	criOnce sync.Once
	cri     *criSnapshot
	criErr  error
}

// file is one output file of an item. Name is relative to the output
// folder; an item may produce several (static_pod_manifests/<file>).
type file struct {
	name string
	data []byte
	// err, when set, is written as <name>-error.txt instead of data, so an
	// item with many files can fail for one and still write the others.
	err error
}

// item is one unit of collection. collect returns the files to write, or
// an error that is written as <name>-error.txt. Files returned together
// with an error are written too.
type item struct {
	name    string
	collect func(ctx context.Context, c *collector) ([]file, error)
}

// single wraps the common case of an item producing one file named after
// the item.
func single(name string, f func(ctx context.Context, c *collector) ([]byte, error)) item {
	return item{name: name, collect: func(ctx context.Context, c *collector) ([]file, error) {
		data, err := f(ctx, c)
		if err != nil {
			return nil, err
		}
		return []file{{name: name, data: data}}, nil
	}}
}

// defaultItems lists what the collector writes, in order. Names follow the
// file names of the origin document's node-diagnostics data folder where
// it has them.
func defaultItems() []item {
	return []item{
		single("os_release", collectOSRelease),
		single("kernel", collectKernel),
		single("hostname", collectHostname),
		single("kubelet_config.yaml", collectKubeletConfig),
		single("kubelet_flags", collectKubeletFlags),
		single("containerd_config.toml", collectContainerdConfig),
		single("certs_expiration", collectCerts),
		single("certs_expiration_kubeadm", collectCertsKubeadm),
		{name: "static_pod_manifests", collect: collectManifests},
		single("disk_usage", collectDiskUsage),
		single("memory", collectMemory),
		single("mounts", collectMounts),
		single("sysctls", collectSysctls),
		single("systemd_units", collectSystemdUnits),
		single("services_systemctl", collectServices),
		single("journal_kubelet", journalCollector(unitLogs("kubelet"))),
		single("journal_containerd", runtimeJournal("containerd", "/run/containerd/containerd.sock")),
		single("journal_crio", runtimeJournal("crio", "/var/run/crio/crio.sock")),
		single("journal_kernel", journalCollector(kernelLogs)),
		single("ip_addr", collectAddresses),
		single("ip_route", collectRoutes),
		single("iptables_save", collectIptables),
		single("nft_ruleset", collectNftables),
		single("resolv_conf", collectResolvConf),
		single("whoami_validate", collectWhoami),
		single("containers_crictl", collectContainersCRI),
		single("pods_crictl", collectPodsCRI),
		single("images_crictl", collectImagesCRI),
	}
}

// naError marks an item that does not apply to this node (no CRI-O on
// a containerd node, no nft program): it writes no file, not even an
// error file, and the summary says why.
type naError struct{ reason string }

func (e *naError) Error() string { return "not applicable: " + e.reason }

// notApplicable returns the error of an item that does not apply.
func notApplicable(reason string) error { return &naError{reason: reason} }

// result is what one item ended with, for the summary.
type result struct {
	name     string
	duration time.Duration
	err      error
}

// summaryName is the file listing every item's outcome: the first thing
// to read when a node's data looks incomplete.
const summaryName = "collector_summary"

// collectAll runs items one after another. An item that fails or exceeds
// the timeout writes its error file and the next starts; only a failure to
// write into the output folder stops the run.
func (c *collector) collectAll(ctx context.Context, items []item) error {
	var results []result
	var writeErrs []error
	for _, it := range items {
		start := time.Now()
		files, err := c.runItem(ctx, it)
		for _, f := range files {
			var werr error
			if f.err != nil {
				werr = c.out.writeError(f.name, f.err)
			} else {
				werr = c.out.write(f.name, f.data)
			}
			if werr != nil {
				writeErrs = append(writeErrs, fmt.Errorf("%s: %w", f.name, werr))
			}
		}
		var na *naError
		if err != nil && !errors.As(err, &na) {
			if werr := c.out.writeError(it.name, err); werr != nil {
				writeErrs = append(writeErrs, fmt.Errorf("%s: %w", it.name, werr))
			}
		}
		r := result{name: it.name, duration: time.Since(start), err: err}
		results = append(results, r)
		fmt.Fprintln(c.log, r.line())
	}
	if err := c.out.write(summaryName, c.summary(results)); err != nil {
		writeErrs = append(writeErrs, err)
	}
	// Every write failing means the folder is unusable (full, read-only);
	// a single bad file name from the host is not worth failing the pod.
	if len(writeErrs) > 0 && len(writeErrs) >= len(items) {
		return errors.Join(writeErrs...)
	}
	for _, err := range writeErrs {
		fmt.Fprintf(c.log, "write failed: %v\n", err)
	}
	return nil
}

// runItem runs one item with the per-item timeout. The item runs in its
// own goroutine so a read that hangs (a dead NFS mount under /var) cannot
// stall the others; its late result is dropped and it is never written, so
// nothing races with the files of later items.
func (c *collector) runItem(ctx context.Context, it item) ([]file, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("not collected: %w", err)
	}
	ictx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	type outcome struct {
		files []file
		err   error
	}
	done := make(chan outcome, 1)
	go func() {
		defer func() {
			// A bug in one item (a parser panicking on odd host content)
			// must not lose the others.
			if p := recover(); p != nil {
				done <- outcome{err: fmt.Errorf("panic: %v", p)}
			}
		}()
		files, err := it.collect(ictx, c)
		done <- outcome{files, err}
	}()
	select {
	case o := <-done:
		return o.files, o.err
	case <-ictx.Done():
		if ctx.Err() != nil {
			return nil, fmt.Errorf("interrupted: %w", ctx.Err())
		}
		return nil, fmt.Errorf("timed out after %s", c.timeout)
	}
}

func (r result) line() string {
	status := "ok"
	var na *naError
	if errors.As(r.err, &na) {
		return fmt.Sprintf("%-24s %8s  n/a: %s", r.name, r.duration.Round(time.Millisecond), oneLine(na.reason))
	}
	if r.err != nil {
		status = "error: " + oneLine(r.err.Error())
	}
	return fmt.Sprintf("%-24s %8s  %s", r.name, r.duration.Round(time.Millisecond), status)
}

func (c *collector) summary(results []result) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "node-collector %s\nstarted: %s\nhost root: %s\nsince: %s\ntimeout per item: %s\n\n",
		Version, c.now.UTC().Format(time.RFC3339), c.host.root, c.since, c.timeout)
	for _, r := range results {
		b.WriteString(r.line())
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// oneLine joins the lines of an error, blank ones dropped: one line per
// item in the summary.
func oneLine(s string) string {
	var parts []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, "; ")
}
