// Package archive extracts tar streams that come from inside a cluster (a
// pod's `tar cf -`) into bundle files. The stream is untrusted: a node or a
// container under investigation may be compromised, so nothing in it may
// place a file outside the folder it is extracted to, or fill the disk.
package archive

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// Limits bound what one extraction may write.
type Limits struct {
	// MaxFileBytes is the largest single file kept; bigger files are
	// refused. Zero means DefaultMaxFileBytes.
	MaxFileBytes int64
	// MaxTotalBytes bounds all files together; once reached, the rest is
	// refused. Zero means DefaultMaxTotalBytes.
	MaxTotalBytes int64
}

// Defaults sized for node diagnostics: configs, certificates and log tails
// are small; a core dump or a disk image is not what a bundle is for.
const (
	DefaultMaxFileBytes  = 64 << 20
	DefaultMaxTotalBytes = 512 << 20
)

// CreateFunc opens a file at a slash-separated path relative to the target
// folder. Extract only passes clean, relative paths that stay inside it.
// Returning ErrSkip passes over the entry: its content is not read (a
// reader that can seek, as archive/tar uses, skips it without reading).
type CreateFunc func(name string) (io.WriteCloser, error)

// ErrSkip, returned by a CreateFunc, leaves an entry out: neither written
// nor counted, nor refused.
var ErrSkip = errors.New("skip entry")

// Refusal is an entry that was not extracted, and why.
type Refusal struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// Result is what an extraction did.
type Result struct {
	Files   int       `json:"files"`
	Bytes   int64     `json:"bytes"`
	Refused []Refusal `json:"refused,omitempty"`
	Links   []Link    `json:"links,omitempty"`
}

// Link is a symbolic or hard link found in the archive whose target stays
// inside the folder. Bundles hold regular files only, so links are listed,
// not made.
type Link struct {
	Name   string `json:"name"`
	Target string `json:"target"`
	// Hard is set for a hard link, whose Target is another member's name;
	// a symbolic link's Target is relative to its own folder.
	Hard bool `json:"hard,omitempty"`
}

// Extract reads a tar stream and writes its regular files through create.
// Entries whose names or link targets leave the folder, device files, FIFOs
// and content over the limits are refused and listed in the result; they do
// not stop the extraction. The error is for a stream that cannot be read or
// a file that cannot be written.
func Extract(r io.Reader, create CreateFunc, lim Limits) (*Result, error) {
	if lim.MaxFileBytes <= 0 {
		lim.MaxFileBytes = DefaultMaxFileBytes
	}
	if lim.MaxTotalBytes <= 0 {
		lim.MaxTotalBytes = DefaultMaxTotalBytes
	}
	res := &Result{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return res, nil
		}
		if err != nil {
			return res, fmt.Errorf("read archive: %w", err)
		}
		if h.Typeflag == tar.TypeDir {
			continue // folders exist implicitly through their files
		}
		name, ok := Clean(h.Name)
		if !ok {
			res.refuse(h.Name, "path leaves the target folder")
			continue
		}
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeRegA:
		case tar.TypeSymlink:
			if !linkInside(name, h.Linkname) {
				res.refuse(h.Name, fmt.Sprintf("symlink to %q leaves the target folder", h.Linkname))
				continue
			}
			res.Links = append(res.Links, Link{Name: name, Target: h.Linkname})
			continue
		case tar.TypeLink:
			// A hard link names another member; its content was (or will
			// be) extracted under that name.
			target, ok := Clean(h.Linkname)
			if !ok {
				res.refuse(h.Name, fmt.Sprintf("hard link to %q leaves the target folder", h.Linkname))
				continue
			}
			res.Links = append(res.Links, Link{Name: name, Target: target, Hard: true})
			continue
		case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
			res.refuse(h.Name, "device files and FIFOs are not extracted")
			continue
		default:
			res.refuse(h.Name, fmt.Sprintf("entry type %q is not extracted", h.Typeflag))
			continue
		}
		if h.Size > lim.MaxFileBytes {
			res.refuse(h.Name, fmt.Sprintf("%d bytes is over the %d-byte file limit", h.Size, lim.MaxFileBytes))
			continue
		}
		if res.Bytes+h.Size > lim.MaxTotalBytes {
			res.refuse(h.Name, fmt.Sprintf("the extraction reached its %d-byte limit", lim.MaxTotalBytes))
			continue
		}
		if err := copyEntry(create, name, tr, h.Size); err != nil {
			if errors.Is(err, ErrSkip) {
				continue
			}
			return res, err
		}
		res.Files++
		res.Bytes += h.Size
	}
}

func copyEntry(create CreateFunc, name string, r io.Reader, size int64) (err error) {
	w, err := create(name)
	if err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	defer func() {
		if cerr := w.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("write %s: %w", name, cerr)
		}
	}()
	// The header's size is what tar.Reader delivers at most, so the limit
	// checked above holds for the content too.
	if _, err := io.CopyN(w, r, size); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

func (r *Result) refuse(name, reason string) {
	r.Refused = append(r.Refused, Refusal{Name: name, Reason: reason})
}

// Clean turns an archive member name into a clean relative path, and reports
// false when it is absolute after tar's usual stripping of leading "/" is
// undone, or climbs out of the folder with "..". The root itself ("." or
// "/") is not a file name.
func Clean(name string) (string, bool) {
	if strings.ContainsRune(name, 0) || strings.Contains(name, `\`) {
		return "", false
	}
	name = strings.TrimLeft(name, "/")
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "", false
		}
	}
	p := path.Clean(name)
	if p == "." || p == "" {
		return "", false
	}
	return p, true
}

// linkInside reports whether a symlink at name pointing to target resolves
// inside the folder. Absolute targets point into the host or container the
// archive came from, never into the folder.
func linkInside(name, target string) bool {
	if target == "" || path.IsAbs(target) {
		return false
	}
	p := path.Join(path.Dir(name), target)
	return p != ".." && !strings.HasPrefix(p, "../")
}
