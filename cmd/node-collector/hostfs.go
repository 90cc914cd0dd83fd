package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Read limits. Configuration files are small; anything bigger is cut
// rather than refused, so the item still shows what it can.
const (
	maxConfigBytes = 1 << 20
	maxLogBytes    = 2 << 20
	maxSymlinks    = 40
)

// hostFS reads the node's filesystem through the folder it is mounted at.
// Symbolic links are followed as the host would follow them: an absolute
// target (e.g. kubelet-client-current.pem -> /var/lib/kubelet/pki/...)
// starts again at the host root instead of at the container's /, and ".."
// never climbs above the host root.
type hostFS struct{ root string }

// resolve returns the container path of the absolute host path p.
func (h hostFS) resolve(p string) (string, error) { return h.resolveFor("stat", p) }

// resolveFor is resolve naming op in its errors, so a missing file reads
// "open /etc/x: no such file or directory" as it would on the host.
func (h hostFS) resolveFor(op, p string) (string, error) {
	if !path.IsAbs(p) {
		return "", fmt.Errorf("host path %q is not absolute", p)
	}
	pending := strings.Split(p, "/")
	cur := "/"
	links := 0
	for len(pending) > 0 {
		part := pending[0]
		pending = pending[1:]
		switch part {
		case "", ".":
			continue
		case "..":
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, part)
		fi, err := os.Lstat(filepath.Join(h.root, filepath.FromSlash(next)))
		if err != nil {
			return "", &fs.PathError{Op: op, Path: p, Err: unwrapPathError(err)}
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		if links++; links > maxSymlinks {
			return "", &fs.PathError{Op: op, Path: p, Err: errors.New("too many symbolic links")}
		}
		target, err := os.Readlink(filepath.Join(h.root, filepath.FromSlash(next)))
		if err != nil {
			return "", &fs.PathError{Op: op, Path: p, Err: unwrapPathError(err)}
		}
		if path.IsAbs(target) {
			cur = "/"
		}
		pending = append(strings.Split(target, "/"), pending...)
	}
	return filepath.Join(h.root, filepath.FromSlash(cur)), nil
}

// unwrapPathError drops the container path from err so messages name the
// host path the reader of the bundle knows.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// stat follows links within the host.
func (h hostFS) stat(p string) (fs.FileInfo, error) {
	rp, err := h.resolve(p)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(rp)
	if err != nil {
		return nil, &fs.PathError{Op: "stat", Path: p, Err: unwrapPathError(err)}
	}
	return fi, nil
}

// lexists reports whether p exists without following its last element,
// so a dangling link counts.
func (h hostFS) lexists(p string) bool {
	dir, err := h.resolve(path.Dir(p))
	if err != nil {
		return false
	}
	_, err = os.Lstat(filepath.Join(dir, path.Base(p)))
	return err == nil
}

// open opens a regular file of the host. Other kinds (FIFOs, devices,
// sockets) are refused: reading them could block or never end.
func (h hostFS) open(p string) (*os.File, fs.FileInfo, error) {
	rp, err := h.resolveFor("open", p)
	if err != nil {
		return nil, nil, err
	}
	f, err := os.Open(rp)
	if err != nil {
		return nil, nil, &fs.PathError{Op: "open", Path: p, Err: unwrapPathError(err)}
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, &fs.PathError{Op: "stat", Path: p, Err: unwrapPathError(err)}
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, &fs.PathError{Op: "open", Path: p, Err: fmt.Errorf("not a regular file (%s)", fi.Mode().Type())}
	}
	return f, fi, nil
}

// readFile reads at most limit bytes of p; longer content is cut and
// marked. Files of /proc report size 0, so the limit is applied while
// reading, not from the size.
func (h hostFS) readFile(p string, limit int64) ([]byte, error) {
	f, _, err := h.open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: p, Err: unwrapPathError(err)}
	}
	if int64(len(data)) > limit {
		data = append(data[:limit:limit], truncatedMarker...)
	}
	return data, nil
}

// readTail reads the last limit bytes of p, starting at a line boundary,
// and reports whether older content was skipped.
func (h hostFS) readTail(p string, limit int64) ([]byte, bool, error) {
	f, fi, err := h.open(p)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	skipped := false
	if fi.Size() > limit {
		if _, err := f.Seek(fi.Size()-limit, io.SeekStart); err != nil {
			return nil, false, &fs.PathError{Op: "seek", Path: p, Err: unwrapPathError(err)}
		}
		skipped = true
	}
	// The file may grow while it is read (a live log): never read more
	// than the limit.
	data, err := io.ReadAll(io.LimitReader(f, limit))
	if err != nil {
		return nil, false, &fs.PathError{Op: "read", Path: p, Err: unwrapPathError(err)}
	}
	if skipped {
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			data = data[i+1:]
		}
	}
	return data, skipped, nil
}

// readDir lists a host folder, following links to it.
func (h hostFS) readDir(p string) ([]fs.DirEntry, error) {
	rp, err := h.resolveFor("readdir", p)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(rp)
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: p, Err: unwrapPathError(err)}
	}
	return entries, nil
}

// firstFile reads the first of paths that exists and returns which one it
// was; the error of the last candidate is returned when none can be read.
func (h hostFS) firstFile(limit int64, paths ...string) ([]byte, string, error) {
	var errs []error
	for _, p := range paths {
		data, err := h.readFile(p, limit)
		if err == nil {
			return data, p, nil
		}
		errs = append(errs, err)
	}
	return nil, "", errors.Join(errs...)
}
