//go:build linux

package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// maxStderr bounds the error text kept of a failing host program.
const maxStderr = 8 << 10

// hostNetNS is the network namespace host programs join, relative to the
// host root: the host init's (a variable for the tests: a sandbox may
// forbid opening its init's).
var hostNetNS = "proc/1/ns/net"

// chrootRun runs cmd with the host root as its root directory (chroot(2);
// the privileged pod has CAP_SYS_CHROOT), so the program finds the
// host's libraries, configuration, journal and sockets where it expects
// them. With netns it also joins the host init's network namespace first.
func chrootRun(ctx context.Context, root string, hc hostCmd) (hostOutput, error) {
	if !hc.netns {
		return startChroot(ctx, root, hc)
	}
	type result struct {
		out hostOutput
		err error
	}
	done := make(chan result, 1)
	// setns(2) changes the calling thread only, and a child process
	// inherits the namespaces of the thread that forks it. The goroutine
	// keeps its thread and never unlocks it: the thread, now in another
	// namespace, ends with the goroutine instead of serving others.
	go func() {
		runtime.LockOSThread()
		if err := joinNetNS(filepath.Join(root, hostNetNS)); err != nil {
			done <- result{err: fmt.Errorf("%w: %w", errJoinNetNS, err)}
			return
		}
		out, err := startChroot(ctx, root, hc)
		done <- result{out, err}
	}()
	r := <-done
	return r.out, r.err
}

// joinNetNS moves the calling thread into the network namespace of the
// file nsPath.
func joinNetNS(nsPath string) error {
	f, err := os.Open(nsPath)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
		return &fs.PathError{Op: "setns", Path: nsPath, Err: err}
	}
	return nil
}

func startChroot(ctx context.Context, root string, hc hostCmd) (hostOutput, error) {
	// A path with a slash is not looked up in the container's PATH; it
	// is resolved after the chroot, inside the host root.
	cmd := exec.CommandContext(ctx, hc.path, hc.args...)
	cmd.Dir = "/"
	cmd.Env = hostEnv
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root}
	stdout := &tailBuffer{limit: hc.limit}
	stderr := &tailBuffer{limit: maxStderr}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Run()
	out := hostOutput{stdout: stdout.bytes(), cut: stdout.cut}
	if err != nil {
		msg := strings.TrimSpace(string(stderr.bytes()))
		if ctx.Err() != nil {
			return out, fmt.Errorf("%s: %w", hc, ctx.Err())
		}
		return out, fmt.Errorf("%s (in the host root %s): %w: %s", hc, root, err, msg)
	}
	return out, nil
}
