package bundle

import (
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sync"
)

// copier keeps plain copies of some of a bundle's files in a folder, written
// as the files are committed (see Options.CopyDir). Reading a finished
// archive back means decompressing all of it, pod logs included; analysis
// right after collection needs only the small files, so a copy of those,
// made while their content is still at hand, saves that pass entirely.
//
// Paths are the Writer's: checked by checkPath (clean, relative, no ".."),
// never both a file and a folder, so plain paths under dir stay inside it;
// a link is reserved as a file, so no file is ever created through one.
//
// The copy is a convenience: a failure to write it is recorded (Err) and
// ends the copying, never the bundle.
type copier struct {
	dir  string
	want func(string) bool

	mu   sync.Mutex
	made map[string]bool // folders created under dir
	err  error
}

func newCopier(dir string, want func(string) bool) (*copier, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("copy folder: %w", err)
	}
	return &copier{dir: dir, want: want, made: map[string]bool{}}, nil
}

// wants reports whether p is to be copied (and copying has not failed).
func (c *copier) wants(p string) bool {
	if c == nil || !c.want(p) {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err == nil
}

func (c *copier) fail(p string, err error) {
	c.mu.Lock()
	if c.err == nil {
		c.err = fmt.Errorf("copy %q to %q: %w", p, c.dir, err)
	}
	c.mu.Unlock()
}

// target makes p's folder and returns p's path on disk.
func (c *copier) target(p string) (string, error) {
	if d := path.Dir(p); d != "." {
		c.mu.Lock()
		made := c.made[d]
		c.mu.Unlock()
		if !made {
			if err := os.MkdirAll(filepath.Join(c.dir, filepath.FromSlash(d)), 0o700); err != nil {
				return "", err
			}
			c.mu.Lock()
			c.made[d] = true
			c.mu.Unlock()
		}
	}
	return filepath.Join(c.dir, filepath.FromSlash(p)), nil
}

// file copies one file: data, or size bytes of the spill file r from its
// start (r's offset is left anywhere). From a file, the kernel copies
// (copy_file_range where the platform has it): no buffer, no user-space
// copy.
func (c *copier) file(p string, data []byte, r *os.File, size int64) {
	if !c.wants(p) {
		return
	}
	err := func() error {
		name, err := c.target(p)
		if err != nil {
			return err
		}
		f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		if r == nil {
			_, err = f.Write(data)
		} else if _, err = r.Seek(0, io.SeekStart); err == nil {
			_, err = io.Copy(f, io.LimitReader(r, size))
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	}()
	if err != nil {
		c.fail(p, err)
	}
}

// link copies a symbolic link, relative target as in the archive.
func (c *copier) link(p, rel string) {
	if !c.wants(p) {
		return
	}
	name, err := c.target(p)
	if err == nil {
		err = os.Symlink(rel, name)
	}
	if err != nil {
		c.fail(p, err)
	}
}

// CopyErr returns why the copy of Options.CopyDir stopped, or nil when it
// holds every selected file committed so far (or no copy was asked for).
func (w *Writer) CopyErr() error {
	if w.copy == nil {
		return nil
	}
	w.copy.mu.Lock()
	defer w.copy.mu.Unlock()
	return w.copy.err
}
