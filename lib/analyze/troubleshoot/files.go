package troubleshoot

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
)

// bundle reads a bundle's files as troubleshoot's analyzers do: one file by
// name, or every file matching a glob, minus excluded globs.
type bundle struct {
	fsys fs.FS
	// lastFile is the last file read, the one a result cites.
	lastFile string
	// buf is reused by each: its callbacks see a file's content only until
	// they return, so reading a thousand pod logs allocates one buffer.
	buf []byte
}

// notFoundError is troubleshoot's types.NotFoundError: analyzers that treat
// a missing file specially test for it.
type notFoundError struct{ name string }

func (e *notFoundError) Error() string { return fmt.Sprintf("file %s was not collected", e.name) }

// read returns one file's content.
func (b *bundle) read(name string) ([]byte, error) {
	name = path.Clean(name)
	data, err := fs.ReadFile(b.fsys, name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &notFoundError{name: name}
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	b.lastFile = name
	return data, nil
}

// glob returns the files matching pattern and no exclude pattern, sorted
// (troubleshoot uses filepath.Glob, whose syntax fs.Glob shares).
func (b *bundle) glob(pattern string, exclude []string) ([]string, error) {
	pattern = path.Clean(pattern)
	names, err := fs.Glob(b.fsys, pattern)
	if err != nil {
		return nil, fmt.Errorf("invalid glob %q: %w", pattern, err)
	}
	var skip []string
	for _, ex := range exclude {
		m, err := fs.Glob(b.fsys, path.Clean(ex))
		if err != nil {
			return nil, fmt.Errorf("invalid glob %q: %w", ex, err)
		}
		skip = append(skip, m...)
	}
	out := names[:0]
	for _, n := range names {
		if !slices.Contains(skip, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

// each reads the files of glob one at a time, so that memory holds one
// file, not all of them. fn must not keep data after it returns.
func (b *bundle) each(pattern string, exclude []string, fn func(name string, data []byte) error) error {
	names, err := b.glob(pattern, exclude)
	if err != nil {
		return err
	}
	for _, n := range names {
		data, err := b.readInto(n)
		if err != nil {
			var nf *notFoundError
			if errors.As(err, &nf) {
				continue // a dangling link: troubleshoot's ReadFile fails on it too
			}
			return err
		}
		if err := fn(n, data); err != nil {
			return err
		}
	}
	return nil
}

// readInto reads a file into b.buf, growing it as needed.
func (b *bundle) readInto(name string) ([]byte, error) {
	f, err := b.fsys.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &notFoundError{name: name}
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("read %s: is a folder", name)
	}
	b.buf = b.buf[:0]
	if need := int(fi.Size()) + 512; cap(b.buf) < need {
		b.buf = make([]byte, 0, need)
	}
	for {
		n, err := f.Read(b.buf[len(b.buf):cap(b.buf)])
		b.buf = b.buf[:len(b.buf)+n]
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		if len(b.buf) == cap(b.buf) { // the file grew: make room
			b.buf = append(b.buf, 0)[:len(b.buf)]
		}
	}
	b.lastFile = name
	return b.buf, nil
}
