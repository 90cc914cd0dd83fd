package bundle

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ReadAll reads the bundle at path (a .tar.gz) into memory, for tests: file
// path relative to the root folder → content. It fails if the archive has
// more than one root folder, an entry outside a root folder, a path twice, or
// an entry that is neither a regular file nor a directory.
func ReadAll(path string) (map[string][]byte, error) {
	files := map[string][]byte{}
	_, err := walk(path, func(name string, r io.Reader) error {
		data, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		files[name] = data
		return nil
	})
	if err != nil {
		return nil, err
	}
	return files, nil
}

// List returns the paths, relative to the root folder, of the regular files
// in the bundle at path, in archive order. Checks as ReadAll.
func List(path string) ([]string, error) {
	var names []string
	_, err := walk(path, func(name string, _ io.Reader) error {
		names = append(names, name)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return names, nil
}

// RootName returns the name of the single root folder of the bundle at path.
func RootName(path string) (string, error) {
	return walk(path, func(string, io.Reader) error { return nil })
}

// Walk calls fn for each regular file of a finished bundle, ours or
// troubleshoot.sh's, with its path below the root folder: path is a
// gzip-compressed tar archive (checked as ReadAll does) or a folder, such as
// an extracted bundle, whose files are named relative to it. Symbolic links
// in a folder are not followed.
func Walk(path string, fn func(name string, r io.Reader) error) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("read bundle %q: %w", path, err)
	}
	if !fi.IsDir() {
		_, err := walk(path, fn)
		return err
	}
	return filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("read bundle %q: %w", path, err)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(path, p)
		if err != nil {
			return fmt.Errorf("read bundle %q: %w", path, err)
		}
		f, err := os.Open(p)
		if err != nil {
			return fmt.Errorf("read bundle %q: %w", path, err)
		}
		defer f.Close()
		if err := fn(filepath.ToSlash(rel), f); err != nil {
			return fmt.Errorf("read bundle %q: file %q: %w", path, filepath.ToSlash(rel), err)
		}
		return nil
	})
}

// walk calls fn for each regular file of the bundle at path, with its name
// below the root folder, and returns the root folder's name.
func walk(path string, fn func(name string, r io.Reader) error) (string, error) {
	fail := func(err error) (string, error) {
		return "", fmt.Errorf("read bundle %q: %w", path, err)
	}
	f, err := os.Open(path)
	if err != nil {
		return fail(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return fail(err)
	}
	defer gz.Close()
	tr := tar.NewReader(gz)
	root := ""
	seen := map[string]struct{}{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fail(err)
		}
		name := strings.TrimSuffix(hdr.Name, "/")
		top, rest, _ := strings.Cut(name, "/")
		switch {
		case top == "":
			return fail(fmt.Errorf("entry %q: no root folder", hdr.Name))
		case root == "":
			root = top
		case top != root:
			return fail(fmt.Errorf("more than one root folder: %q and %q", root, top))
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			continue
		case tar.TypeReg:
		default:
			return fail(fmt.Errorf("entry %q: unexpected type %q", hdr.Name, hdr.Typeflag))
		}
		if rest == "" {
			return fail(fmt.Errorf("entry %q: file at the top, outside a root folder", hdr.Name))
		}
		if _, dup := seen[rest]; dup {
			return fail(fmt.Errorf("entry %q: duplicate", hdr.Name))
		}
		seen[rest] = struct{}{}
		if err := fn(rest, tr); err != nil {
			return fail(fmt.Errorf("entry %q: %w", hdr.Name, err))
		}
	}
	// Read to the end so that gzip verifies its checksum.
	if _, err := io.Copy(io.Discard, gz); err != nil {
		return fail(err)
	}
	if root == "" {
		return fail(errors.New("empty archive"))
	}
	return root, nil
}
