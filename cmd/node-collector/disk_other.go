//go:build !linux

package main

import (
	"context"
	"errors"
)

// The collector runs on Linux nodes only; these stubs keep the package
// buildable (go vet, editors) elsewhere.

func collectDiskUsage(context.Context, *collector) ([]byte, error) {
	return nil, errors.New("disk usage is only collected on Linux")
}

func uname() (string, error) { return "", errors.New("uname is only available on Linux") }
