package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
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
		{name: "static_pod_manifests", collect: collectManifests},
		single("disk_usage", collectDiskUsage),
		single("memory", collectMemory),
		single("mounts", collectMounts),
		single("sysctls", collectSysctls),
		single("systemd_units", collectSystemdUnits),
		single("journal_kubelet", journalCollector("kubelet")),
		single("journal_containerd", journalCollector("containerd")),
		single("whoami_validate", collectWhoami),
		single("containers", collectContainers),
	}
}

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
		if err != nil {
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
	if r.err != nil {
		// One line per item: the error's lines, blank ones dropped.
		var parts []string
		for _, l := range strings.Split(r.err.Error(), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				parts = append(parts, l)
			}
		}
		status = "error: " + strings.Join(parts, "; ")
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
