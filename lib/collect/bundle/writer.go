package bundle

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// DefaultSpoolThreshold is how many bytes an open file keeps in memory
	// before its content spills to a temporary file.
	DefaultSpoolThreshold = 256 << 10
	// DefaultCompressionLevel is the gzip level used unless Options say
	// otherwise. Compression runs on one goroutine (archive order, see
	// compressor), beside the collectors. Level 1 costs about a fifth of the
	// CPU of level 6 for a ratio of about 4.5 instead of 5.5 on JSON; CPU is
	// what the API server, on a small control-plane node, needs too.
	DefaultCompressionLevel = gzip.BestSpeed

	fileMode = 0o644
	dirMode  = 0o755
	linkMode = 0o777
	// archiveBuffer batches the small writes of the gzip compressor into
	// few system calls.
	archiveBuffer = 256 << 10
	// minSpoolBuffer is the first allocation of a file's spool buffer.
	minSpoolBuffer = 4 << 10
)

// Errors a caller may test for with errors.Is.
var (
	// ErrInvalidPath: a path that is empty, absolute, not clean, holds ".."
	// or conflicts with a file or directory already in the bundle.
	ErrInvalidPath = errors.New("invalid path")
	// ErrDuplicate: a path was created twice.
	ErrDuplicate = errors.New("duplicate path")
	// ErrClosed: the bundle was closed or aborted.
	ErrClosed = errors.New("bundle closed")
	// ErrFilesOpen: Close was called while files were still open.
	ErrFilesOpen = errors.New("files still open")
)

// Options tune a Writer. The zero value gives the defaults.
type Options struct {
	// SpoolThreshold is how many bytes an open file keeps in memory before it
	// spills to a temporary file in the output directory. 0: the default.
	SpoolThreshold int
	// CompressionLevel is a compress/gzip level (gzip.BestSpeed …
	// gzip.BestCompression, gzip.HuffmanOnly). 0: the default; there is no
	// way to ask for gzip.NoCompression.
	CompressionLevel int
	// CopyDir and CopyFiles, when both set, keep a plain copy of the files
	// whose path (relative to the bundle root, as given to Create) CopyFiles
	// accepts: each is written under CopyDir, in the bundle's layout, when it
	// is committed, so that a caller analyzing the bundle right after reads
	// those files there rather than decompressing the whole archive again.
	// CopyDir is created if missing; the caller removes it. A failure to
	// copy does not fail the bundle: CopyErr reports it.
	CopyDir   string
	CopyFiles func(path string) bool

	// wrap, for tests, wraps the archive's temporary file (to inject errors).
	wrap func(io.Writer) io.Writer
}

type state = int32

const (
	stateOpen    state = iota
	stateClosing       // Close is finishing the archive
	stateClosed        // renamed into place
	stateFailed        // Close failed; temporary file removed
	stateAborted       // Abort; temporary file removed
)

// Writer streams one support bundle. Its methods are safe for concurrent use;
// each file writer returned by Create is meant for one goroutine at a time.
type Writer struct {
	dir, name, path, tmp string
	now                  time.Time
	threshold            int
	copy                 *copier   // nil without Options.CopyDir
	bufs                 sync.Pool // *[]byte spool buffers, cap ≤ threshold

	// The archive, guarded by commitMu. The tar stream goes through comp,
	// which compresses on its own goroutine, into bw and f.
	commitMu sync.Mutex
	f        *os.File
	bw       *bufio.Writer
	comp     *compressor
	tw       *tar.Writer
	dirs     map[string]struct{} // directory entries written
	fileGone bool                // f closed, and renamed or removed

	// Bookkeeping, guarded by mu. Lock order: commitMu before mu.
	mu       sync.Mutex
	st       atomic.Int32        // written under mu, read anywhere
	reserved map[string]struct{} // every file path created
	resDirs  map[string]struct{} // every parent directory of those
	open     map[string]struct{} // paths created and not yet closed
	err      error               // first archive write error; sticky

	written atomic.Int64 // compressed bytes
	files   atomic.Int64 // files committed
	spills  atomic.Int64 // files that spilled to disk
}

// Create reserves a bundle name in dir (creating dir if missing) and opens its
// temporary file, with default Options. The name is FileName(prefix, now),
// or the same with "-1", "-2", … before ".tar.gz" when it is taken by a final
// file or by another writer's temporary file. The archive is created with
// mode 0600: a bundle holds cluster data. Errors name dir, on one line.
// The caller must Close or Abort the Writer.
func Create(dir, prefix string, now time.Time) (*Writer, error) {
	return CreateWith(dir, prefix, now, Options{})
}

// CreateWith is Create with Options.
func CreateWith(dir, prefix string, now time.Time, opts Options) (*Writer, error) {
	if dir == "" {
		dir = "."
	}
	fail := func(err error) (*Writer, error) {
		return nil, fmt.Errorf("create bundle in %q: %w", dir, err)
	}
	if err := validPrefix(prefix); err != nil {
		return fail(err)
	}
	threshold := opts.SpoolThreshold
	if threshold <= 0 {
		threshold = DefaultSpoolThreshold
	}
	level := opts.CompressionLevel
	if level == 0 {
		level = DefaultCompressionLevel
	}
	if level < gzip.HuffmanOnly || level > gzip.BestCompression {
		return fail(fmt.Errorf("invalid compression level %d", level))
	}
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return fail(err)
	}
	var cp *copier
	if opts.CopyDir != "" && opts.CopyFiles != nil {
		var err error
		if cp, err = newCopier(opts.CopyDir, opts.CopyFiles); err != nil {
			return fail(err)
		}
	}
	name, f, err := reserve(dir, prefix, now)
	if err != nil {
		return fail(err)
	}
	w := &Writer{
		dir:       dir,
		name:      name,
		path:      filepath.Join(dir, name+Ext),
		tmp:       f.Name(),
		now:       now.UTC().Truncate(time.Second),
		threshold: threshold,
		copy:      cp,
		f:         f,
		dirs:      map[string]struct{}{},
		reserved:  map[string]struct{}{},
		resDirs:   map[string]struct{}{},
		open:      map[string]struct{}{},
	}
	var out io.Writer = f
	if opts.wrap != nil {
		out = opts.wrap(f)
	}
	w.bw = bufio.NewWriterSize(out, archiveBuffer)
	w.comp, err = newCompressor(countingWriter{w.bw, &w.written}, level)
	if err != nil { // unreachable: level checked above
		w.cleanup()
		return fail(err)
	}
	w.tw = tar.NewWriter(w.comp)
	if err := w.tw.WriteHeader(w.dirHeader(name)); err != nil {
		w.cleanup()
		return fail(err)
	}
	return w, nil
}

// Name returns the archive's root folder name, e.g.
// "support-bundle-2026-11-25T09_10_11" or "…-1"; it is the file name without
// ".tar.gz".
func (w *Writer) Name() string { return w.name }

// Path returns the final path of the .tar.gz. It is valid before Close; the
// file exists there only after a successful Close.
func (w *Writer) Path() string { return w.path }

// BytesWritten returns the compressed bytes produced so far (some may still
// be buffered on their way to disk).
func (w *Writer) BytesWritten() int64 { return w.written.Load() }

// Files returns the number of files in the archive so far.
func (w *Writer) Files() int64 { return w.files.Load() }

// Create opens a file at path, relative to the bundle root, "/"-separated
// (e.g. "cluster-resources/pods/default.json"). The content goes into the
// archive when the returned writer is closed; a writer that is never closed
// keeps the bundle from closing. Create is safe for concurrent use; the
// returned writer is not (one goroutine at a time). A path can be created
// once only.
func (w *Writer) Create(path string) (io.WriteCloser, error) {
	if err := w.reservePath(path); err != nil {
		return nil, err
	}
	fw := &fileWriter{w: w, path: path}
	if b, ok := w.bufs.Get().(*[]byte); ok {
		fw.bufp, fw.buf = b, (*b)[:0]
	}
	return fw, nil
}

// WriteFile writes data as the file at path in one go (see Create).
func (w *Writer) WriteFile(path string, data []byte) error {
	if err := w.reservePath(path); err != nil {
		return err
	}
	defer w.release(path)
	w.copy.file(path, data, nil, 0)
	return w.commit(path, data, nil, int64(len(data)), nil)
}

// Close finishes the archive (tar and gzip trailers), syncs it to disk and
// renames it to Path. It fails, changing nothing, while files are still open:
// close them and retry, or Abort. Any other failure, including an earlier
// write error, removes the temporary file: nothing is left under Path.
func (w *Writer) Close() error {
	w.mu.Lock()
	switch w.st.Load() {
	case stateOpen:
	case stateAborted:
		w.mu.Unlock()
		return fmt.Errorf("close bundle %q: %w (aborted)", w.path, ErrClosed)
	default:
		w.mu.Unlock()
		return fmt.Errorf("close bundle %q: %w", w.path, ErrClosed)
	}
	if n := len(w.open); n > 0 {
		names := make([]string, 0, n)
		for p := range w.open {
			names = append(names, p)
		}
		w.mu.Unlock()
		sort.Strings(names)
		if len(names) > 5 {
			names = append(names[:5], "…")
		}
		return fmt.Errorf("close bundle %q: %w: %d (%s)", w.path, ErrFilesOpen, n, strings.Join(names, ", "))
	}
	w.st.Store(stateClosing)
	err := w.err
	w.mu.Unlock()

	w.commitMu.Lock()
	defer w.commitMu.Unlock()
	if err == nil && w.st.Load() == stateAborted { // a concurrent Abort won
		return fmt.Errorf("close bundle %q: %w (aborted)", w.path, ErrClosed)
	}
	if err == nil {
		err = w.finish()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		w.cleanup()
		w.st.Store(stateFailed)
		return fmt.Errorf("close bundle %q: %w", w.path, err)
	}
	w.st.Store(stateClosed)
	return nil
}

// finish writes the trailers, syncs and renames. Called with commitMu held.
func (w *Writer) finish() error {
	if err := w.tw.Close(); err != nil {
		return err
	}
	if err := w.comp.Close(); err != nil {
		return err
	}
	if err := w.bw.Flush(); err != nil {
		return err
	}
	if err := w.f.Sync(); err != nil {
		return err
	}
	if err := w.f.Close(); err != nil {
		return err
	}
	if err := os.Rename(w.tmp, w.path); err != nil {
		return err
	}
	w.fileGone = true
	syncDir(w.dir)
	return nil
}

// Abort discards the bundle: the temporary file is removed and files still
// open fail on their next Write or Close. It is idempotent, safe after a
// failed Close, and a no-op after a successful one.
func (w *Writer) Abort() error {
	w.mu.Lock()
	switch w.st.Load() {
	case stateClosed, stateFailed, stateAborted:
		w.mu.Unlock()
		return nil
	}
	w.st.Store(stateAborted)
	w.mu.Unlock()

	w.commitMu.Lock()
	defer w.commitMu.Unlock()
	if err := w.cleanup(); err != nil {
		return fmt.Errorf("abort bundle %q: %w", w.path, err)
	}
	return nil
}

// cleanup stops the compressor, then closes and removes the temporary file
// once. Called with commitMu held (or before the Writer is shared).
func (w *Writer) cleanup() error {
	if w.comp != nil {
		w.comp.abort()
	}
	if w.fileGone {
		return nil
	}
	w.fileGone = true
	// Removed while still open, so still locked: once the lock goes, the
	// name may be another writer's.
	err := os.Remove(w.tmp)
	_ = w.f.Close()
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// reservePath checks path and records it as created and open.
func (w *Writer) reservePath(p string) error {
	if err := checkPath(p); err != nil {
		return fmt.Errorf("create %q in bundle %q: %w: %v", p, w.path, ErrInvalidPath, err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.st.Load() != stateOpen {
		return fmt.Errorf("create %q in bundle %q: %w", p, w.path, ErrClosed)
	}
	if w.err != nil {
		return fmt.Errorf("create %q in bundle %q: earlier write failed: %w", p, w.path, w.err)
	}
	if _, dup := w.reserved[p]; dup {
		return fmt.Errorf("create %q in bundle %q: %w", p, w.path, ErrDuplicate)
	}
	if _, isDir := w.resDirs[p]; isDir {
		return fmt.Errorf("create %q in bundle %q: %w: already a directory", p, w.path, ErrInvalidPath)
	}
	var conflict string
	parents(p, func(d string) bool {
		if _, isFile := w.reserved[d]; isFile {
			conflict = d
			return false
		}
		return true
	})
	if conflict != "" {
		return fmt.Errorf("create %q in bundle %q: %w: %q is a file", p, w.path, ErrInvalidPath, conflict)
	}
	w.reserved[p] = struct{}{}
	w.open[p] = struct{}{}
	parents(p, func(d string) bool {
		w.resDirs[d] = struct{}{}
		return true
	})
	return nil
}

// release marks path as no longer open.
func (w *Writer) release(p string) {
	w.mu.Lock()
	delete(w.open, p)
	w.mu.Unlock()
}

// Link adds a symbolic link at path to the file target, both relative to
// the bundle root and "/"-separated, as troubleshoot.sh links a logs
// collector's files to the pod logs under cluster-resources: one copy of
// the content, two places to find it. The link is stored relative to its
// folder ("../../cluster-resources/…"), so that it resolves wherever the
// archive is unpacked. The target need not be written yet. A path can be
// created once only, file or link.
func (w *Writer) Link(path, target string) error {
	if err := checkPath(target); err != nil {
		return fmt.Errorf("link %q to %q in bundle %q: %w: %v", path, target, w.path, ErrInvalidPath, err)
	}
	if err := w.reservePath(path); err != nil {
		return err
	}
	defer w.release(path)
	rel := relativeTo(path, target)
	w.copy.link(path, rel)
	return w.append(path, func() error {
		if err := w.writeParents(path); err != nil {
			return err
		}
		return w.tw.WriteHeader(&tar.Header{
			Typeflag: tar.TypeSymlink,
			Name:     w.name + "/" + path,
			Linkname: rel,
			Mode:     linkMode,
			ModTime:  w.now,
		})
	})
}

// commit appends one file to the archive: data if r is nil, else size bytes
// read from r through buf.
func (w *Writer) commit(p string, data []byte, r io.Reader, size int64, buf []byte) error {
	return w.append(p, func() error { return w.writeEntry(p, data, r, size, buf) })
}

// append adds the entry write writes to the archive. Any failure once the
// archive has been touched is sticky: the bundle cannot be completed.
func (w *Writer) append(p string, write func() error) error {
	w.commitMu.Lock()
	defer w.commitMu.Unlock()
	w.mu.Lock()
	st, sticky := w.st.Load(), w.err
	w.mu.Unlock()
	switch {
	case st != stateOpen:
		return fmt.Errorf("write %q to bundle %q: %w", p, w.path, ErrClosed)
	case sticky != nil:
		return fmt.Errorf("write %q to bundle %q: earlier write failed: %w", p, w.path, sticky)
	}
	if err := write(); err != nil {
		w.mu.Lock()
		w.err = err
		w.mu.Unlock()
		return fmt.Errorf("write %q to bundle %q: %w", p, w.path, err)
	}
	w.files.Add(1)
	return nil
}

// writeEntry writes the missing parent directory entries, the header and
// the content of one file. Called with commitMu held.
func (w *Writer) writeEntry(p string, data []byte, r io.Reader, size int64, buf []byte) error {
	if err := w.writeParents(p); err != nil {
		return err
	}
	hdr := &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     w.name + "/" + p,
		Mode:     fileMode,
		Size:     size,
		ModTime:  w.now,
	}
	if err := w.tw.WriteHeader(hdr); err != nil {
		return err
	}
	var dst io.Writer = w.tw
	if size >= bigFile {
		// Members of its own (member.go): a reader that does not want
		// this file skips it without decompressing it.
		if err := w.comp.Cut(); err != nil {
			return err
		}
		dst = &cutBeforeLast{w: w.tw, c: w.comp, left: size}
	}
	if r == nil {
		_, err := dst.Write(data)
		return err
	}
	var n int64
	for n < size {
		m, err := r.Read(buf[:min(int64(len(buf)), size-n)])
		if m > 0 {
			if _, err := dst.Write(buf[:m]); err != nil {
				return err
			}
			n += int64(m)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("read spool file: %w", err)
		}
	}
	if n != size {
		return fmt.Errorf("read spool file: got %d of %d bytes", n, size)
	}
	return nil
}

// cutBeforeLast writes a file's content and ends the gzip member before
// its last byte, the one archive/tar reads when it skips the file.
type cutBeforeLast struct {
	w    io.Writer
	c    *compressor
	left int64
}

func (x *cutBeforeLast) Write(p []byte) (int, error) {
	if int64(len(p)) < x.left || len(p) == 0 {
		x.left -= int64(len(p))
		return x.w.Write(p)
	}
	n, err := x.w.Write(p[:len(p)-1])
	if err != nil {
		return n, err
	}
	if err := x.c.Cut(); err != nil {
		return n, err
	}
	m, err := x.w.Write(p[len(p)-1:])
	x.left -= int64(n + m)
	return n + m, err
}

// writeParents writes the directory entries of p's parents not yet
// written. Called with commitMu held.
func (w *Writer) writeParents(p string) error {
	var err error
	parents(p, func(d string) bool {
		if _, done := w.dirs[d]; done {
			return true
		}
		w.dirs[d] = struct{}{}
		err = w.tw.WriteHeader(w.dirHeader(w.name + "/" + d))
		return err == nil
	})
	return err
}

func (w *Writer) dirHeader(name string) *tar.Header {
	return &tar.Header{
		Typeflag: tar.TypeDir,
		Name:     name + "/",
		Mode:     dirMode,
		ModTime:  w.now,
	}
}

// countingWriter counts the bytes that pass through it.
type countingWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (c countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// syncDir makes a rename durable where the platform allows it; failures are
// ignored (the archive itself has been synced).
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
