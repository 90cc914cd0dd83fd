package app

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Tar is the program when called as "tar", as the dkp-diagnose image links
// it: the in-cluster CLI copies a worker pod's output with
// `tar cf - -C DIR NAME...` over exec, like the node collectors' copy, and
// a FROM scratch image has no tar of its own. Only that form is
// understood: regular files and folders, written to stdout.
func Tar(args []string, stdout, stderr io.Writer) int {
	if err := tarCreate(args, stdout); err != nil {
		fmt.Fprintln(stderr, "tar:", err)
		return 2
	}
	return 0
}

func tarCreate(args []string, stdout io.Writer) error {
	if len(args) < 2 || args[0] != "cf" || args[1] != "-" {
		return errors.New("usage: tar cf - [-C DIR] NAME...")
	}
	args = args[2:]
	dir := "."
	if len(args) >= 2 && args[0] == "-C" {
		dir, args = args[1], args[2:]
	}
	if len(args) == 0 {
		return errors.New("no file named")
	}
	// Every name is checked before anything is written: a missing one
	// fails the whole command, with no partial archive.
	for _, n := range args {
		if _, err := os.Lstat(filepath.Join(dir, n)); err != nil {
			return err
		}
	}
	tw := tar.NewWriter(stdout)
	for _, n := range args {
		err := filepath.WalkDir(filepath.Join(dir, n), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			if !info.Mode().IsRegular() && !info.IsDir() {
				return nil // bundles and result files only: no links, devices
			}
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			h, err := tar.FileInfoHeader(info, "")
			if err != nil {
				return err
			}
			h.Name = filepath.ToSlash(rel)
			if info.IsDir() {
				h.Name += "/"
			}
			if err := tw.WriteHeader(h); err != nil {
				return err
			}
			if info.IsDir() {
				return nil
			}
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = io.CopyN(tw, f, info.Size())
			return err
		})
		if err != nil {
			return err
		}
	}
	return tw.Close()
}
