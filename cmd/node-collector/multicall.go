package main

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The image is FROM scratch, yet the DaemonSet's keeper container must
// idle and then hand its output over through `tar cf -` (how the CLI copies
// files out of a pod, as kubectl cp does). So the binary is also `sleep`
// and `tar` when called by those names (symlinks in the image), doing just
// what the collectors ask of them.

// multiCall runs the applet named by argv0, if any.
func multiCall(ctx context.Context, argv0 string, args []string, stdout, stderr io.Writer) (code int, ok bool) {
	switch filepath.Base(argv0) {
	case "sleep":
		return sleepMain(ctx, args, stderr), true
	case "tar":
		return tarMain(args, stdout, stderr), true
	}
	return 0, false
}

// sleepMain sleeps for a number of seconds or "infinity", ending early (and
// cleanly) on SIGTERM so that removing the DaemonSet is quick even though
// the process is PID 1, which gets no default signal handling.
func sleepMain(ctx context.Context, args []string, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "sleep: usage: sleep SECONDS|infinity")
		return 2
	}
	d := time.Duration(1<<63 - 1)
	if args[0] != "infinity" {
		n, err := strconv.ParseFloat(args[0], 64)
		if err != nil || n < 0 {
			fmt.Fprintf(stderr, "sleep: invalid time interval %q\n", args[0])
			return 2
		}
		if n < float64(d/time.Second) {
			d = time.Duration(n * float64(time.Second))
		}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
	return 0
}

// tarMain understands `tar cf - [-C DIR] PATH...`: an archive of the paths
// (relative to DIR) on stdout. Symlinks are archived as links, never
// followed; other special files are left out.
func tarMain(args []string, stdout, stderr io.Writer) int {
	if len(args) < 3 || strings.TrimPrefix(args[0], "-") != "cf" || args[1] != "-" {
		fmt.Fprintln(stderr, "tar: only `tar cf - [-C DIR] PATH...` is supported")
		return 2
	}
	args = args[2:]
	dir := "."
	if args[0] == "-C" && len(args) >= 3 {
		dir, args = args[1], args[2:]
	}
	tw := tar.NewWriter(stdout)
	failed := false
	for _, p := range args {
		err := filepath.WalkDir(filepath.Join(dir, p), func(full string, d fs.DirEntry, err error) error {
			if err != nil {
				fmt.Fprintf(stderr, "tar: %v\n", err)
				failed = true
				return nil
			}
			rel, err := filepath.Rel(dir, full)
			if err != nil {
				return err
			}
			return addEntry(tw, full, filepath.ToSlash(rel), d)
		})
		if err != nil {
			fmt.Fprintf(stderr, "tar: %v\n", err)
			return 2
		}
	}
	if err := tw.Close(); err != nil {
		fmt.Fprintf(stderr, "tar: %v\n", err)
		return 2
	}
	if failed {
		return 1
	}
	return 0
}

func addEntry(tw *tar.Writer, full, name string, d fs.DirEntry) error {
	info, err := d.Info()
	if err != nil {
		return err
	}
	link := ""
	switch {
	case info.Mode()&fs.ModeSymlink != 0:
		if link, err = os.Readlink(full); err != nil {
			return err
		}
	case info.IsDir(), info.Mode().IsRegular():
	default:
		return nil
	}
	h, err := tar.FileInfoHeader(info, link)
	if err != nil {
		return err
	}
	h.Name = name
	if info.IsDir() && name != "." {
		h.Name += "/"
	}
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return nil
	}
	f, err := os.Open(full)
	if err != nil {
		return err
	}
	defer f.Close()
	// Copy what the header promised even if the file grew meanwhile (a
	// log being written): tar.Writer rejects more.
	_, err = io.CopyN(tw, f, h.Size)
	return err
}
