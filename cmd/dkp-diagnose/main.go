// Command dkp-diagnose writes support bundles from the clusters of a Cluster
// API fleet.
package main

import (
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/mesosphere/dkp-diagnose/cmd/dkp-diagnose/app"
)

func main() {
	// The image links the binary as tar too: the in-cluster CLI copies a
	// worker pod's output with `tar cf -` over exec.
	if filepath.Base(os.Args[0]) == "tar" {
		os.Exit(app.Tar(os.Args[1:], os.Stdout, os.Stderr))
	}
	// The first signal cancels the run (in-cluster objects get cleaned up,
	// no half bundle is left); a second one kills the process as usual.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() { <-ctx.Done(); stop() }()
	os.Exit(app.Run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}
