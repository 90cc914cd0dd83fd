// Package bundlefs opens a support bundle — a .tar.gz written by
// dkp-diagnose or by troubleshoot.sh, or a folder it was extracted to — as
// an [io/fs.FS] rooted at the bundle's root folder, so analyzers read paths
// such as "cluster-resources/pods/kube-system.json" whatever the bundle's
// form.
//
// A gzip stream cannot be read at an offset, so an archive is extracted
// once, streaming, into a private temporary folder (removed by Close): the
// memory used does not depend on the bundle's size, and every later read is
// a plain file read. Extraction goes through lib/collect/archive's checks
// (no path leaves the folder, no device files, size limits) and through an
// [os.Root], so that links inside the archive cannot reach outside it
// either. Symbolic and hard links whose targets stay inside the bundle are
// recreated: troubleshoot-compatible bundles keep one copy of a pod log and
// link its other names to it.
package bundlefs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	// klauspost's gzip reads the same format at about twice the speed of
	// compress/gzip; decompression is most of the time an archive takes
	// to open.
	"github.com/klauspost/compress/gzip"

	"github.com/mesosphere/dkp-diagnose/lib/collect/archive"
	"github.com/mesosphere/dkp-diagnose/lib/collect/bundle"
)

// VersionFile is the file at the top of every bundle (troubleshoot's
// constants.VERSION_FILENAME); it marks a folder as a bundle's root.
const VersionFile = "version.yaml"

// Limits of an extraction: far above any bundle we write, they only stop an
// archive that would fill the disk.
const (
	DefaultMaxFileBytes  = 8 << 30
	DefaultMaxTotalBytes = 64 << 30
)

// Options tune Open. The zero value gives the defaults.
type Options struct {
	// TempDir is where archives are extracted; empty means os.TempDir().
	TempDir string
	// MaxFileBytes and MaxTotalBytes bound an extraction; 0 means
	// DefaultMaxFileBytes and DefaultMaxTotalBytes.
	MaxFileBytes  int64
	MaxTotalBytes int64
	// Want, when set, selects the archive's files to extract, by their
	// path in the bundle (slash-separated, relative to its root folder):
	// the others are read past, not written, and are missing from the FS.
	// version.yaml is always extracted. Analyzers that declare what they
	// read (builtin.Reads, troubleshoot.Reads) need neither the pod logs
	// nor the disk writes of most of a bundle. A folder bundle is opened
	// whole.
	Want func(name string) bool
}

// Bundle is an open bundle. Its FS is rooted at the bundle's root folder.
// Close removes what Open extracted.
type Bundle struct {
	fs.FS
	name    string
	dir     string
	tmp     string // extraction folder to remove; empty for a folder bundle
	root    *os.Root
	refused []archive.Refusal
}

// Name returns the bundle's name: its root folder's name (for an archive
// written by dkp-diagnose or troubleshoot, the file name without .tar.gz).
func (b *Bundle) Name() string { return b.name }

// Dir returns the folder on disk the FS reads from.
func (b *Bundle) Dir() string { return b.dir }

// Refused lists the archive entries that were not extracted and why
// (entries leaving the bundle, device files, over the size limits).
func (b *Bundle) Refused() []archive.Refusal { return b.refused }

// Close releases the bundle and removes its extracted copy, if any.
func (b *Bundle) Close() error {
	var errs []error
	if b.root != nil {
		errs = append(errs, b.root.Close())
		b.root = nil
	}
	if b.tmp != "" {
		if err := os.RemoveAll(b.tmp); err != nil {
			errs = append(errs, fmt.Errorf("remove extracted bundle: %w", err))
		}
		b.tmp = ""
	}
	return errors.Join(errs...)
}

// IsArchive reports whether p names a gzip-compressed tar by its extension.
func IsArchive(p string) bool {
	return strings.HasSuffix(p, ".tar.gz") || strings.HasSuffix(p, ".tgz")
}

// Open opens the bundle at p: a .tar.gz/.tgz archive or a folder (the
// bundle's root folder, or a folder holding it). Errors name p.
func Open(p string, opts Options) (*Bundle, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("open bundle: %w", err)
	}
	if fi.IsDir() {
		dir, err := findRoot(p)
		if err != nil {
			return nil, fmt.Errorf("open bundle %q: %w", p, err)
		}
		b, err := fromDir(dir, "")
		if err != nil {
			return nil, fmt.Errorf("open bundle %q: %w", p, err)
		}
		return b, nil
	}
	x, err := newExtraction(opts)
	if err != nil {
		return nil, fmt.Errorf("open bundle %q: %w", p, err)
	}
	res, err := x.archive(p, opts.Want)
	if err == nil && opts.Want != nil {
		// A wanted link to a file that was not: read the archive once
		// more for those files alone (troubleshoot's bundles link
		// logs collectors' files to the pod logs).
		if need := x.linkedSkipped(res.Links); len(need) > 0 {
			_, err = x.archive(p, func(name string) bool { return need[name] })
		}
	}
	if err != nil {
		x.remove()
		return nil, fmt.Errorf("open bundle %q: %w", p, err)
	}
	b, err := x.open(res)
	if err != nil {
		return nil, fmt.Errorf("open bundle %q: %w", p, err)
	}
	return b, nil
}

// OpenDir opens the folder dir as a bundle's root folder, as it is: for a
// partial copy of a bundle (lib/collect's KeepFiles), which need not hold
// the files Open looks for to find the root. Close leaves dir alone.
func OpenDir(dir string) (*Bundle, error) {
	b, err := fromDir(dir, "")
	if err != nil {
		return nil, fmt.Errorf("open bundle folder %q: %w", dir, err)
	}
	return b, nil
}

// ExtractTar extracts an uncompressed tar stream of a bundle into a
// temporary folder and opens it. It is Open for a stream that is not a file
// (a bundle still being written, see lib/collect/bundle's Snapshot). With
// opts.Want, a wanted link to a file not wanted is left dangling: a stream
// cannot be read twice.
func ExtractTar(r io.Reader, opts Options) (*Bundle, error) {
	x, err := newExtraction(opts)
	if err != nil {
		return nil, err
	}
	res, err := x.tar(r, opts.Want)
	if err != nil {
		x.remove()
		return nil, err
	}
	return x.open(res)
}

// extraction is one archive's extraction into a temporary folder: one pass
// over the archive, or two when wanted links point at files not wanted.
type extraction struct {
	tmp     string
	lim     archive.Limits
	made    map[string]bool // folders created
	skipped map[string]bool // regular files not extracted, by archive name
}

func newExtraction(opts Options) (*extraction, error) {
	if opts.MaxFileBytes <= 0 {
		opts.MaxFileBytes = DefaultMaxFileBytes
	}
	if opts.MaxTotalBytes <= 0 {
		opts.MaxTotalBytes = DefaultMaxTotalBytes
	}
	tmp, err := os.MkdirTemp(opts.TempDir, ".dkp-diagnose-bundle-")
	if err != nil {
		return nil, fmt.Errorf("extract: %w", err)
	}
	return &extraction{tmp: tmp, lim: archive.Limits{MaxFileBytes: opts.MaxFileBytes, MaxTotalBytes: opts.MaxTotalBytes},
		made: map[string]bool{}, skipped: map[string]bool{}}, nil
}

func (x *extraction) remove() { _ = os.RemoveAll(x.tmp) }

// archive extracts the .tar.gz at p. Ours (lib/collect/bundle's member
// sizes) is read with a bundle.SkipReader: the content of files not wanted
// is passed over without being decompressed.
func (x *extraction) archive(p string, want func(string) bool) (*archive.Result, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if want != nil {
		fi, err := f.Stat()
		if err != nil {
			return nil, err
		}
		sr, ok, err := bundle.NewSkipReader(f, fi.Size())
		if err != nil {
			return nil, err
		}
		if ok {
			defer sr.Close()
			return x.tar(sr, want)
		}
	}
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("not a .tar.gz: %w", err)
	}
	defer gz.Close()
	return x.tar(gz, want)
}

// tar extracts the regular files of a tar stream that want accepts (all
// with a nil want) and lists its links; the folder's checks and limits are
// archive.Extract's.
func (x *extraction) tar(r io.Reader, want func(string) bool) (*archive.Result, error) {
	// Regular files are created by plain path: Extract passes clean
	// relative names only, and links are made after every file (through
	// the os.Root below), so no folder on the way can be a link yet. This
	// is a third of an extraction's time cheaper than resolving each name
	// through the root. Folders are made here, in archive order, before
	// the disk writer (writer.go) opens files in them.
	dw := newDiskWriter()
	create := func(name string) (io.WriteCloser, error) {
		if !wanted(want, name) {
			x.skipped[name] = true
			return nil, archive.ErrSkip
		}
		delete(x.skipped, name)
		if d := path.Dir(name); d != "." && !x.made[d] {
			if err := os.MkdirAll(filepath.Join(x.tmp, filepath.FromSlash(d)), 0o700); err != nil {
				return nil, err
			}
			for ; d != "."; d = path.Dir(d) {
				x.made[d] = true
			}
		}
		return dw.create(filepath.Join(x.tmp, filepath.FromSlash(name)))
	}
	res, err := archive.Extract(r, create, x.lim)
	if werr := dw.finish(); err == nil && werr != nil {
		err = werr
	}
	if err != nil {
		return nil, fmt.Errorf("extract: %w", err)
	}
	if want != nil {
		links := res.Links[:0]
		for _, l := range res.Links {
			if wanted(want, l.Name) {
				links = append(links, l)
			}
		}
		res.Links = links
	}
	return res, nil
}

// wanted reports whether want accepts the archive entry name: by its path
// in the archive or below the archive's top folder (the bundle's root
// folder, but for an archive without one). A bundle's top files are
// always wanted: they tell its root folder.
func wanted(want func(string) bool, name string) bool {
	if want == nil || want(name) {
		return true
	}
	rel := name
	if i := strings.IndexByte(name, '/'); i >= 0 {
		rel = name[i+1:]
	}
	switch rel {
	case VersionFile:
		return true
	}
	return want(rel)
}

// linkedSkipped returns the files not extracted that the links (those
// extracted) point at. A link to a link to such a file stays dangling.
func (x *extraction) linkedSkipped(links []archive.Link) map[string]bool {
	need := map[string]bool{}
	for _, l := range links {
		t := l.Target
		if !l.Hard {
			t = path.Join(path.Dir(l.Name), l.Target)
		}
		if x.skipped[t] {
			need[t] = true
		}
	}
	return need
}

// open makes the extracted links and opens the bundle's root folder.
func (x *extraction) open(res *archive.Result) (*Bundle, error) {
	if len(res.Links) > 0 {
		root, err := os.OpenRoot(x.tmp)
		if err == nil {
			err = makeLinks(root, res)
			_ = root.Close()
		}
		if err != nil {
			x.remove()
			return nil, fmt.Errorf("extract: %w", err)
		}
	}
	dir, err := findRoot(x.tmp)
	if err != nil {
		x.remove()
		return nil, err
	}
	b, err := fromDir(dir, x.tmp)
	if err != nil {
		x.remove()
		return nil, err
	}
	b.refused = res.Refused
	return b, nil
}

// makeLinks recreates the archive's links once every regular file is in
// place. Extract has checked that each target stays inside the folder; the
// os.Root keeps a chain of links from leading out of it.
func makeLinks(root *os.Root, res *archive.Result) error {
	for _, l := range res.Links {
		if d := path.Dir(l.Name); d != "." {
			if err := root.MkdirAll(d, 0o700); err != nil {
				return fmt.Errorf("link %s: %w", l.Name, err)
			}
		}
		_ = root.Remove(l.Name) // a later entry replaces an earlier one, as tar does
		var err error
		if l.Hard {
			err = root.Link(l.Target, l.Name)
		} else {
			err = root.Symlink(l.Target, l.Name)
		}
		if err != nil {
			res.Refused = append(res.Refused, archive.Refusal{Name: l.Name, Reason: fmt.Sprintf("link to %q: %v", l.Target, err)})
		}
	}
	return nil
}

// findRoot returns the bundle's root folder inside dir: dir itself when it
// holds version.yaml or troubleshoot's top-level folders, else its only
// sub-folder, else the one sub-folder that holds version.yaml.
func findRoot(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	if len(entries) == 0 {
		return "", errors.New("empty bundle")
	}
	var dirs []string
	for _, e := range entries {
		switch e.Name() {
		case VersionFile, "cluster-resources", "cluster-info":
			return dir, nil
		}
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		}
	}
	if len(dirs) == 1 {
		return filepath.Join(dir, dirs[0]), nil
	}
	var found []string
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(dir, d, VersionFile)); err == nil {
			found = append(found, d)
		}
	}
	if len(found) == 1 {
		return filepath.Join(dir, found[0]), nil
	}
	return "", fmt.Errorf("no bundle root folder (no %s at the top, and not one folder holding it)", VersionFile)
}

func fromDir(dir, tmp string) (*Bundle, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &Bundle{FS: root.FS(), name: filepath.Base(dir), dir: dir, tmp: tmp, root: root}, nil
}

// IsBundleDir reports whether the folder p is a bundle (its root folder, or
// a folder holding exactly one), as opposed to a folder of bundle archives.
func IsBundleDir(p string) bool {
	_, err := findRoot(p)
	if err != nil {
		return false
	}
	archives, _ := Archives(p)
	return len(archives) == 0 || hasVersion(p)
}

func hasVersion(p string) bool {
	_, err := os.Stat(filepath.Join(p, VersionFile))
	return err == nil
}

// Archives lists the bundle archives (.tar.gz, .tgz) directly in folder p,
// sorted by name: the bundles of one run.
func Archives(p string) ([]string, error) {
	entries, err := os.ReadDir(p)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if e.Type().IsRegular() && IsArchive(e.Name()) {
			out = append(out, filepath.Join(p, e.Name()))
		}
	}
	slices.Sort(out)
	return out, nil
}
