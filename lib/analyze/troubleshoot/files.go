package troubleshoot

import (
	"errors"
	"fmt"
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
// file, not all of them.
func (b *bundle) each(pattern string, exclude []string, fn func(name string, data []byte) error) error {
	names, err := b.glob(pattern, exclude)
	if err != nil {
		return err
	}
	for _, n := range names {
		data, err := b.read(n)
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
