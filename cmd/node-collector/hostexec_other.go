//go:build !linux

package main

import (
	"context"
	"errors"
)

// chrootRun needs Linux's chroot(2) and setns(2); the collector only
// runs on Linux nodes, other builds are for development.
func chrootRun(context.Context, string, hostCmd) (hostOutput, error) {
	return hostOutput{}, errors.New("running host programs needs Linux")
}
