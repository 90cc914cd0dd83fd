// Command node-collector reads a Kubernetes node's host filesystem, mounted
// into its container (by default at /host), and writes one file per
// diagnostic item into an output folder. It is the open replacement of the
// closed dkp-diagnostics-node-collector image that the execCopyFromHost
// collector runs in a privileged DaemonSet on every node.
//
// A failing item writes <item>-error.txt and the others go on: a partial
// picture of a sick node is worth more than none. The exit code is non-zero
// only when the output folder itself cannot be used or the flags are wrong.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Version is the collector's version, set at build time with
// -ldflags "-X main.Version=...".
var Version = "dev"

// hostRun runs the host's own programs (journalctl, systemctl, ip,
// iptables-save, nft) inside the host root; tests replace it.
var hostRun hostRunner = chrootRun

func main() {
	// SIGTERM arrives when the DaemonSet is deleted mid-run: stop starting
	// items, but keep what was written.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if code, ok := multiCall(ctx, os.Args[0], os.Args[1:], os.Stdout, os.Stderr); ok {
		os.Exit(code)
	}
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run parses args, collects every item and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("node-collector", flag.ContinueOnError)
	fs.SetOutput(stderr)
	hostRoot := fs.String("host-root", "/host", "where the node's root filesystem is mounted")
	output := fs.String("output", "/output", "folder the item files are written to")
	since := fs.Duration("since", 24*time.Hour, "how far back kubelet and containerd logs go")
	timeout := fs.Duration("timeout", 30*time.Second, "time limit of each item")
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *showVersion {
		fmt.Fprintln(stdout, Version)
		return 0
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "node-collector: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if *since <= 0 || *timeout <= 0 {
		fmt.Fprintln(stderr, "node-collector: --since and --timeout must be positive")
		return 2
	}
	out, err := openOutput(*output)
	if err != nil {
		fmt.Fprintf(stderr, "node-collector: %v\n", err)
		return 1
	}
	c := &collector{
		host:    hostFS{root: *hostRoot},
		out:     out,
		since:   *since,
		timeout: *timeout,
		now:     time.Now(),
		log:     stdout,
		run:     hostRun,
	}
	if err := c.collectAll(ctx, defaultItems()); err != nil {
		fmt.Fprintf(stderr, "node-collector: %v\n", err)
		return 1
	}
	return 0
}
