package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/iotest"
	"time"
)

func TestHeadersAndOrder(t *testing.T) {
	w := newWriter(t, Options{})
	a, err := w.Create("cluster-resources/pods/default.json")
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, w, "version.yaml", []byte("v"))
	if _, err := io.WriteString(a, "[]"); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, w, "cluster-resources/nodes.json", []byte("{}"))
	if err := a.Close(); err != nil { // committed after nodes.json
		t.Fatal(err)
	}
	mustWrite(t, w, "cluster-info/cluster_version.json", nil)
	mustClose(t, w)

	root := w.Name() + "/"
	type entry struct {
		name string
		typ  byte
		mode int64
		size int64
	}
	var got []entry
	for _, h := range headers(t, w.Path()) {
		got = append(got, entry{h.Name, h.Typeflag, h.Mode, h.Size})
		if !h.ModTime.Equal(now) || h.Uid != 0 || h.Gid != 0 {
			t.Errorf("%s: mtime %v uid %d gid %d", h.Name, h.ModTime, h.Uid, h.Gid)
		}
	}
	want := []entry{
		{root, tar.TypeDir, 0o755, 0},
		{root + "version.yaml", tar.TypeReg, 0o644, 1},
		{root + "cluster-resources/", tar.TypeDir, 0o755, 0},
		{root + "cluster-resources/nodes.json", tar.TypeReg, 0o644, 2},
		{root + "cluster-resources/pods/", tar.TypeDir, 0o755, 0},
		{root + "cluster-resources/pods/default.json", tar.TypeReg, 0o644, 2},
		{root + "cluster-info/", tar.TypeDir, 0o755, 0},
		{root + "cluster-info/cluster_version.json", tar.TypeReg, 0o644, 0},
	}
	if !slices.Equal(got, want) {
		t.Errorf("entries\n got %v\nwant %v", got, want)
	}
	list, err := List(w.Path())
	if err != nil {
		t.Fatal(err)
	}
	wantList := []string{"version.yaml", "cluster-resources/nodes.json", "cluster-resources/pods/default.json", "cluster-info/cluster_version.json"}
	if !slices.Equal(list, wantList) {
		t.Errorf("List = %q, want %q", list, wantList)
	}
	if w.Files() != 4 {
		t.Errorf("Files() = %d, want 4", w.Files())
	}
	st, err := os.Stat(w.Path())
	if err != nil {
		t.Fatal(err)
	}
	if w.BytesWritten() != st.Size() {
		t.Errorf("BytesWritten() = %d, file size %d", w.BytesWritten(), st.Size())
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("bundle mode %v, want 0600", st.Mode().Perm())
	}
}

func TestDeterministic(t *testing.T) {
	build := func() []byte {
		w := newWriter(t, Options{SpoolThreshold: 1024})
		mustWrite(t, w, "a/b.json", bytes.Repeat([]byte(`{"k":"v"},`), 1000))
		f, _ := w.Create("c/d.log")
		_, _ = f.Write(randomBytes(1, 5000))
		_ = f.Close()
		mustClose(t, w)
		b, err := os.ReadFile(w.Path())
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if !bytes.Equal(build(), build()) {
		t.Error("same input, different bundles")
	}
}

func TestBadPathsRejected(t *testing.T) {
	w := newWriter(t, Options{})
	for _, p := range []string{
		"", "/etc/passwd", "../x", "a/../../x", "a/..", "..", ".", "./a", "a/./b",
		"a//b", "a/", "nul\x00",
	} {
		if f, err := w.Create(p); !errors.Is(err, ErrInvalidPath) {
			t.Errorf("Create(%q) = %v, want ErrInvalidPath", p, err)
			if f != nil {
				_ = f.Close()
			}
		}
		if err := w.WriteFile(p, nil); !errors.Is(err, ErrInvalidPath) {
			t.Errorf("WriteFile(%q) = %v, want ErrInvalidPath", p, err)
		}
	}
	// Names that merely look odd are fine.
	long := strings.Repeat("very-long-directory-name/", 12) + strings.Repeat("x", 150) + ".log"
	odd := []string{"a..b", ".hidden", "a/...", "dir with space/é.log", long}
	for _, p := range odd {
		mustWrite(t, w, p, []byte(p))
	}
	mustClose(t, w)
	got := mustReadAll(t, w.Path())
	if len(got) != len(odd) {
		t.Errorf("got %d files, want %d", len(got), len(odd))
	}
	for _, p := range odd {
		if string(got[p]) != p {
			t.Errorf("%q: got %q", p, got[p])
		}
	}
}

func TestDuplicatePathRejected(t *testing.T) {
	w := newWriter(t, Options{})
	mustWrite(t, w, "a/b.json", []byte("first"))
	if err := w.WriteFile("a/b.json", []byte("second")); !errors.Is(err, ErrDuplicate) {
		t.Errorf("second WriteFile = %v, want ErrDuplicate", err)
	}
	f, err := w.Create("c.log")
	if err != nil {
		t.Fatal(err)
	}
	// Duplicate while the first is still open, and after it is closed.
	if _, err := w.Create("c.log"); !errors.Is(err, ErrDuplicate) {
		t.Errorf("second Create (open) = %v, want ErrDuplicate", err)
	}
	_ = f.Close()
	if _, err := w.Create("c.log"); !errors.Is(err, ErrDuplicate) {
		t.Errorf("second Create (closed) = %v, want ErrDuplicate", err)
	}
	// A file where a directory is, and the other way round.
	if err := w.WriteFile("a", nil); !errors.Is(err, ErrInvalidPath) {
		t.Errorf("file over directory = %v, want ErrInvalidPath", err)
	}
	if err := w.WriteFile("c.log/x", nil); !errors.Is(err, ErrInvalidPath) {
		t.Errorf("file under file = %v, want ErrInvalidPath", err)
	}
	mustClose(t, w)
	got := mustReadAll(t, w.Path())
	if len(got) != 2 || string(got["a/b.json"]) != "first" {
		t.Errorf("got %q", got)
	}
}

func TestCloseWithOpenFile(t *testing.T) {
	w := newWriter(t, Options{})
	f, err := w.Create("logs/x.log")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.WriteString(f, "hello")
	err = w.Close()
	if !errors.Is(err, ErrFilesOpen) || !strings.Contains(err.Error(), "logs/x.log") || !strings.Contains(err.Error(), w.Path()) {
		t.Fatalf("Close with open file = %v, want ErrFilesOpen naming the file and bundle", err)
	}
	if _, err := os.Stat(w.Path()); !os.IsNotExist(err) {
		t.Fatalf("final file exists after failed Close: %v", err)
	}
	// Nothing was lost: close the file and retry.
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	mustClose(t, w)
	if got := mustReadAll(t, w.Path()); string(got["logs/x.log"]) != "hello" {
		t.Errorf("got %q", got)
	}
	if err := w.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close = %v, want ErrClosed", err)
	}
	if _, err := w.Create("late"); !errors.Is(err, ErrClosed) {
		t.Errorf("Create after Close = %v, want ErrClosed", err)
	}
	// Abort after a successful Close keeps the bundle.
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(w.Path()); err != nil {
		t.Errorf("Abort after Close removed the bundle: %v", err)
	}
}

func TestAbortLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	w, err := CreateWith(dir, "", now, Options{SpoolThreshold: 1024})
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, w, "done.json", []byte("{}"))
	spilled, err := w.Create("big.log")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := spilled.Write(randomBytes(2, 10_000)); err != nil {
		t.Fatal(err)
	}
	small, err := w.Create("small.log")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if got := dirNames(t, dir); len(got) != 0 {
		t.Errorf("after Abort dir holds %q", got)
	}
	if _, err := small.Write([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Abort = %v, want ErrClosed", err)
	}
	if err := spilled.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("Close of open file after Abort = %v, want ErrClosed", err)
	}
	if err := small.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("Close of open file after Abort = %v, want ErrClosed", err)
	}
	if err := w.Abort(); err != nil {
		t.Errorf("second Abort = %v", err)
	}
	if err := w.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("Close after Abort = %v, want ErrClosed", err)
	}
	if err := w.WriteFile("late", nil); !errors.Is(err, ErrClosed) {
		t.Errorf("WriteFile after Abort = %v, want ErrClosed", err)
	}
	if got := dirNames(t, dir); len(got) != 0 {
		t.Errorf("dir holds %q", got)
	}
}

func TestFileWriterClosedTwice(t *testing.T) {
	w := newWriter(t, Options{})
	f, _ := w.Create("a")
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("second Close = %v, want os.ErrClosed", err)
	}
	if _, err := f.Write([]byte("x")); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Write after Close = %v, want os.ErrClosed", err)
	}
	mustClose(t, w)
	if got := mustReadAll(t, w.Path()); len(got) != 1 || len(got["a"]) != 0 {
		t.Errorf("got %q", got)
	}
}

// TestSpillToDisk writes files around and far above the spool threshold with
// every way of writing, and checks content, spills and that no spool file
// is left.
func TestSpillToDisk(t *testing.T) {
	const threshold = 4096
	dir := t.TempDir()
	w, err := CreateWith(dir, "", now, Options{SpoolThreshold: threshold})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	want := map[string][]byte{}
	type writeFn func(io.Writer, []byte) error
	chunked := func(size int) writeFn {
		return func(dst io.Writer, data []byte) error {
			for len(data) > 0 {
				n := min(size, len(data))
				if m, err := dst.Write(data[:n]); err != nil || m != n {
					return fmt.Errorf("wrote %d of %d: %v", m, n, err)
				}
				data = data[n:]
			}
			return nil
		}
	}
	ways := map[string]writeFn{
		"write1":     chunked(1),
		"write1000":  chunked(1000),
		"write4096":  chunked(4096),
		"write10000": chunked(10000),
		"whole":      chunked(1 << 30),
		"string": func(dst io.Writer, data []byte) error {
			_, err := io.WriteString(dst, string(data))
			return err
		},
		"copy": func(dst io.Writer, data []byte) error {
			_, err := io.Copy(dst, iotest.OneByteReader(bytes.NewReader(data)))
			return err
		},
		"copyhalf": func(dst io.Writer, data []byte) error {
			_, err := io.Copy(dst, iotest.HalfReader(bytes.NewReader(data)))
			return err
		},
	}
	sizes := []int{0, 1, threshold - 1, threshold, threshold + 1, 3*threshold + 17, 200_000}
	var spillsWanted int64
	for way, fn := range ways {
		for i, size := range sizes {
			if way == "write1" && size > 20_000 {
				continue
			}
			p := fmt.Sprintf("%s/%d.bin", way, size)
			data := randomBytes(uint64(i+1), size)
			want[p] = data
			f, err := w.Create(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := fn(f, data); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			if size > threshold {
				spillsWanted++
			}
			if err := f.Close(); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
		}
	}
	// WriteFile never spools.
	big := randomBytes(99, 100_000)
	want["writefile/big.bin"] = big
	mustWrite(t, w, "writefile/big.bin", big)

	if got := w.spills.Load(); got != spillsWanted {
		t.Errorf("%d files spilled, want %d (those above the threshold)", got, spillsWanted)
	}
	if names := dirNames(t, dir); len(names) != 1 || !strings.HasSuffix(names[0], ".partial") {
		t.Errorf("spool files left in the output dir: %q", names)
	}
	mustClose(t, w)
	got := mustReadAll(t, w.Path())
	if len(got) != len(want) {
		t.Errorf("%d files, want %d", len(got), len(want))
	}
	for p, data := range want {
		if !bytes.Equal(got[p], data) {
			t.Errorf("%s: %d bytes differ from the %d written", p, len(got[p]), len(data))
		}
	}
	if names := dirNames(t, dir); len(names) != 1 || names[0] != w.Name()+".tar.gz" {
		t.Errorf("dir holds %q", names)
	}
}

// TestSpoolReadError: an error from the source of an io.Copy is returned and
// the file stays usable.
func TestSpoolReadError(t *testing.T) {
	w := newWriter(t, Options{SpoolThreshold: 16})
	f, _ := w.Create("a")
	boom := errors.New("boom")
	if _, err := io.Copy(f, io.MultiReader(strings.NewReader("0123456789abcdefXYZ"), iotest.ErrReader(boom))); !errors.Is(err, boom) {
		t.Fatalf("io.Copy = %v, want boom", err)
	}
	_, _ = io.WriteString(f, "!")
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	mustClose(t, w)
	if got := mustReadAll(t, w.Path()); string(got["a"]) != "0123456789abcdefXYZ!" {
		t.Errorf("got %q", got["a"])
	}
}

func TestConcurrentWriters(t *testing.T) {
	const (
		goroutines = 50
		perG       = 20
	)
	w := newWriter(t, Options{SpoolThreshold: 4 << 10})
	var (
		mu   sync.Mutex
		want = map[string][]byte{}
		wg   sync.WaitGroup
		errc = make(chan error, goroutines)
	)
	for g := range goroutines {
		wg.Go(func() {
			for i := range perG {
				seed := uint64(g*1000 + i)
				size := int(seed*7919) % 16_000 // 0 … 16 kB, many above the threshold
				var data []byte
				if i%2 == 0 {
					data = randomBytes(seed, size)
				} else {
					data = bytes.Repeat([]byte(fmt.Sprintf(`{"g":%d,"i":%d},`, g, i)), size/16)
				}
				p := fmt.Sprintf("g%02d/f%02d.json", g, i)
				var err error
				switch i % 3 {
				case 0:
					err = w.WriteFile(p, data)
				case 1:
					var f io.WriteCloser
					if f, err = w.Create(p); err == nil {
						_, err = io.Copy(f, iotest.HalfReader(bytes.NewReader(data)))
						if cerr := f.Close(); err == nil {
							err = cerr
						}
					}
				case 2:
					var f io.WriteCloser
					if f, err = w.Create(p); err == nil {
						for b := data; len(b) > 0 && err == nil; {
							n := min(len(b), 1000+i*100)
							_, err = f.Write(b[:n])
							b = b[n:]
						}
						if cerr := f.Close(); err == nil {
							err = cerr
						}
					}
				}
				if err != nil {
					errc <- err
					return
				}
				mu.Lock()
				want[p] = data
				mu.Unlock()
			}
		})
	}
	// BytesWritten and Files are read while writers run.
	done := make(chan struct{})
	go func() {
		defer close(done)
		for w.Files() < goroutines*perG && len(errc) == 0 {
			_ = w.BytesWritten()
			time.Sleep(time.Millisecond)
		}
	}()
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	<-done
	mustClose(t, w)
	got := mustReadAll(t, w.Path())
	if len(got) != goroutines*perG || w.Files() != goroutines*perG {
		t.Fatalf("%d files in bundle, Files() = %d, want %d", len(got), w.Files(), goroutines*perG)
	}
	for p, data := range want {
		if !bytes.Equal(got[p], data) {
			t.Errorf("%s: content differs (%d vs %d bytes)", p, len(got[p]), len(data))
		}
	}
	if w.spills.Load() == 0 {
		t.Error("no file spilled; the test does not exercise spilling")
	}
}

// TestWriteErrorInjected fails the archive's writes with ENOSPC after some
// bytes: the error names the bundle, and nothing remains under its name.
func TestWriteErrorInjected(t *testing.T) {
	for _, tc := range []struct {
		name  string
		limit int64
		size  int
	}{
		{"during a file", 100_000, 2 << 20},
		{"at close", 10, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			w, err := CreateWith(dir, "", now, Options{wrap: func(f io.Writer) io.Writer {
				return &failAfter{w: f, limit: tc.limit, err: syscall.ENOSPC}
			}})
			if err != nil {
				t.Fatal(err)
			}
			writeErr := w.WriteFile("big.bin", randomBytes(3, tc.size))
			if tc.size > archiveBuffer {
				if !errors.Is(writeErr, syscall.ENOSPC) || !strings.Contains(writeErr.Error(), w.Path()) {
					t.Errorf("WriteFile = %v, want ENOSPC naming %s", writeErr, w.Path())
				}
				// Later files report the earlier failure.
				if err := w.WriteFile("next", nil); !errors.Is(err, syscall.ENOSPC) {
					t.Errorf("WriteFile after failure = %v, want ENOSPC", err)
				}
			} else if writeErr != nil {
				t.Fatal(writeErr)
			}
			err = w.Close()
			if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), w.Path()) {
				t.Errorf("Close = %v, want ENOSPC naming %s", err, w.Path())
			}
			if got := dirNames(t, dir); len(got) != 0 {
				t.Errorf("after failed Close dir holds %q", got)
			}
			if err := w.Abort(); err != nil {
				t.Errorf("Abort after failed Close = %v", err)
			}
		})
	}
}

// TestDiskFull writes into a 1 MiB tmpfs: a real ENOSPC, both in the
// archive and in a spool file.
func TestDiskFull(t *testing.T) {
	t.Run("archive", func(t *testing.T) {
		dir := mountTmpfs(t, "size=1m")
		w, err := Create(dir, "", now)
		if err != nil {
			t.Fatal(err)
		}
		var firstErr error
		for i := 0; i < 16 && firstErr == nil; i++ {
			firstErr = w.WriteFile(fmt.Sprintf("f%d.bin", i), randomBytes(uint64(i), 256<<10))
		}
		if !errors.Is(firstErr, syscall.ENOSPC) || !strings.Contains(firstErr.Error(), w.Path()) {
			t.Errorf("WriteFile = %v, want ENOSPC naming %s", firstErr, w.Path())
		}
		err = w.Close()
		if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), w.Path()) {
			t.Errorf("Close = %v, want ENOSPC naming %s", err, w.Path())
		}
		if got := dirNames(t, dir); len(got) != 0 {
			t.Errorf("dir holds %q", got)
		}
		_ = w.Abort()
	})
	t.Run("spool", func(t *testing.T) {
		dir := mountTmpfs(t, "size=1m")
		w, err := CreateWith(dir, "", now, Options{SpoolThreshold: 64 << 10})
		if err != nil {
			t.Fatal(err)
		}
		f, err := w.Create("huge.log")
		if err != nil {
			t.Fatal(err)
		}
		data := randomBytes(7, 32<<10)
		var werr error
		for i := 0; i < 64 && werr == nil; i++ { // 2 MiB into a 1 MiB disk
			_, werr = f.Write(data)
		}
		if !errors.Is(werr, syscall.ENOSPC) || !strings.Contains(werr.Error(), w.Path()) || !strings.Contains(werr.Error(), "huge.log") {
			t.Errorf("Write = %v, want ENOSPC naming the file and %s", werr, w.Path())
		}
		if err := f.Close(); !errors.Is(err, syscall.ENOSPC) {
			t.Errorf("Close of the file = %v, want its write error", err)
		}
		// The spool's space is free again and the bundle is still good.
		mustWrite(t, w, "small.txt", []byte("ok"))
		mustClose(t, w)
		got := mustReadAll(t, w.Path())
		if len(got) != 1 || string(got["small.txt"]) != "ok" {
			t.Errorf("got %q", got)
		}
		if names := dirNames(t, dir); len(names) != 1 {
			t.Errorf("dir holds %q", names)
		}
	})
}

func TestReadAllRejectsTwoRoots(t *testing.T) {
	p := filepath.Join(t.TempDir(), "two.tar.gz")
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, name := range []string{"a/x", "b/y"} {
		_ = tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: 1})
		_, _ = tw.Write([]byte("1"))
	}
	_ = tw.Close()
	_ = gz.Close()
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadAll(p); err == nil || !strings.Contains(err.Error(), "more than one root folder") {
		t.Errorf("ReadAll = %v, want more than one root folder", err)
	}
	if _, err := List(p); err == nil {
		t.Error("List accepted two roots")
	}
}
