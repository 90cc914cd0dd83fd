package bundle

import (
	"archive/tar"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"testing"
	"time"
)

// now is the fixed time of the bundles in these tests.
var now = time.Date(2026, 11, 25, 9, 10, 11, 0, time.UTC)

const wantName = "support-bundle-2026-11-25T09_10_11"

// newWriter creates a bundle in a fresh directory; it is aborted at the end
// of the test unless closed.
func newWriter(t testing.TB, opts Options) *Writer {
	t.Helper()
	w, err := CreateWith(t.TempDir(), "", now, opts)
	if err != nil {
		t.Fatalf("CreateWith: %v", err)
	}
	t.Cleanup(func() { _ = w.Abort() })
	return w
}

// dirNames lists a directory, sorted, including hidden files.
func dirNames(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func mustWrite(t testing.TB, w *Writer, path string, data []byte) {
	t.Helper()
	if err := w.WriteFile(path, data); err != nil {
		t.Fatalf("WriteFile(%q): %v", path, err)
	}
}

func mustClose(t testing.TB, w *Writer) {
	t.Helper()
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func mustReadAll(t testing.TB, path string) map[string][]byte {
	t.Helper()
	got, err := ReadAll(path)
	if err != nil {
		t.Fatalf("ReadAll: %v", err)
	}
	return got
}

// headers returns every tar header of the bundle at path, in order.
func headers(t testing.TB, path string) []*tar.Header {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var hdrs []*tar.Header
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return hdrs
		}
		if err != nil {
			t.Fatal(err)
		}
		hdrs = append(hdrs, h)
	}
}

// randomBytes returns n incompressible bytes.
func randomBytes(seed uint64, n int) []byte {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	b := make([]byte, n)
	_, _ = rand.NewChaCha8(key).Read(b)
	return b
}

// failAfter passes through limit bytes, then fails every write with err.
type failAfter struct {
	w     io.Writer
	limit int64
	err   error
}

func (f *failAfter) Write(p []byte) (int, error) {
	if int64(len(p)) <= f.limit {
		f.limit -= int64(len(p))
		return f.w.Write(p)
	}
	n, _ := f.w.Write(p[:f.limit])
	f.limit = 0
	return n, f.err
}

// mountTmpfs mounts a tmpfs with the given options on a fresh directory and
// unmounts it at the end of the test; it skips the test where that is not
// possible (not Linux, not root, no mount privilege).
func mountTmpfs(t *testing.T, opts string) string {
	t.Helper()
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		t.Skip("needs root on Linux to mount a tmpfs")
	}
	if _, err := exec.LookPath("mount"); err != nil {
		t.Skip("no mount command")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", opts, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}
