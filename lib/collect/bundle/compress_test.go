package bundle

import (
	"bytes"
	stdgzip "compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/mesosphere/dkp-diagnose/lib/collect/internal/fixtures"
)

// gunzip decompresses b with the standard library's reader.
func gunzip(t testing.TB, b []byte) []byte {
	t.Helper()
	r, err := stdgzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCompressorRoundTrip: whatever the write sizes (less than, exactly
// and more than a chunk; more than all chunks at once), the standard
// library reads back what went in.
func TestCompressorRoundTrip(t *testing.T) {
	jsonData, _ := corpora()
	for _, size := range []int{0, 1, chunkSize - 1, chunkSize, chunkSize + 1, 3 * chunkSize, (chunks + 3) * chunkSize} {
		for _, step := range []int{1000, chunkSize, 5 * chunkSize} {
			if size > 2*chunkSize && step == 1000 {
				continue // slow under -race, and nothing new
			}
			t.Run(fmt.Sprintf("size=%d/step=%d", size, step), func(t *testing.T) {
				var out bytes.Buffer
				c, err := newCompressor(&out, stdgzip.BestSpeed)
				if err != nil {
					t.Fatal(err)
				}
				in := jsonData[:size]
				for b := in; len(b) > 0; {
					n := min(step, len(b))
					if m, err := c.Write(b[:n]); err != nil || m != n {
						t.Fatalf("Write = %d, %v", m, err)
					}
					b = b[n:]
				}
				if err := c.Close(); err != nil {
					t.Fatal(err)
				}
				if got := gunzip(t, out.Bytes()); !bytes.Equal(got, in) {
					t.Fatalf("read back %d bytes, wrote %d", len(got), len(in))
				}
				if _, err := c.Write([]byte("x")); !errors.Is(err, ErrClosed) {
					t.Errorf("Write after Close = %v, want ErrClosed", err)
				}
				if err := c.Close(); !errors.Is(err, ErrClosed) {
					t.Errorf("second Close = %v, want ErrClosed", err)
				}
				c.abort() // a no-op after Close
			})
		}
	}
}

// TestCompressorErrorSticky: a failing destination surfaces in a later
// Write (not only at Close) and in every call after it, and Write never
// blocks although the goroutine no longer compresses.
func TestCompressorErrorSticky(t *testing.T) {
	c, err := newCompressor(&failAfter{w: io.Discard, limit: 1000, err: syscall.ENOSPC}, stdgzip.BestSpeed)
	if err != nil {
		t.Fatal(err)
	}
	data := randomBytes(9, chunkSize)
	var werr error
	for i := 0; i < 4*chunks && werr == nil; i++ {
		_, werr = c.Write(data)
	}
	if !errors.Is(werr, syscall.ENOSPC) {
		t.Fatalf("Write = %v after %d chunks, want ENOSPC", werr, 4*chunks)
	}
	if _, err := c.Write(data); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("next Write = %v, want ENOSPC", err)
	}
	if err := c.Close(); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("Close = %v, want ENOSPC", err)
	}
}

// blockingWriter blocks every Write until release is closed.
type blockingWriter struct{ release chan struct{} }

func (b blockingWriter) Write(p []byte) (int, error) {
	<-b.release
	return len(p), nil
}

// TestCompressorBounded: while the destination is stuck, Write accepts
// about chunks × chunkSize bytes and then waits; abort ends the goroutine
// without compressing the rest.
func TestCompressorBounded(t *testing.T) {
	dst := blockingWriter{release: make(chan struct{})}
	c, err := newCompressor(dst, stdgzip.BestSpeed)
	if err != nil {
		t.Fatal(err)
	}
	data := randomBytes(4, chunkSize) // incompressible: gzip must write
	accepted := make(chan int, 64)
	go func() {
		for range 3 * chunks {
			if _, err := c.Write(data); err != nil {
				break
			}
			accepted <- 1
		}
		close(accepted)
	}()
	n := 0
	timeout := time.After(500 * time.Millisecond)
wait:
	for {
		select {
		case _, ok := <-accepted:
			if !ok {
				break wait
			}
			n++
		case <-timeout:
			break wait
		}
	}
	t.Logf("%d chunks accepted while the destination was stuck", n)
	if n == 0 {
		t.Error("no chunk accepted: Write waits for the compressor")
	}
	// The goroutine holds one chunk in gz.Write, chunks-1 wait in the
	// queue, and Write fills the last; a gzip member is compressed into
	// memory before it is written (member.go), maxMember bytes at most.
	if n > chunks+1 {
		t.Errorf("%d chunks accepted while the destination was stuck, want at most %d", n, chunks+1)
	}
	close(dst.release)
	for range accepted {
	}
	c.abort()
	select {
	case <-c.done:
	default:
		t.Error("goroutine still running after abort")
	}
}

// TestBundleReadableByTar: a bundle of many chunks is a valid gzip stream
// for the gzip and tar commands, which support engineers use on it.
func TestBundleReadableByTar(t *testing.T) {
	tarCmd, err := exec.LookPath("tar")
	if err != nil {
		t.Skip("no tar command")
	}
	jsonData, logData := corpora()
	w := newWriter(t, Options{})
	mustWrite(t, w, "cluster-resources/pods/default.json", jsonData[:3<<20])
	f, err := w.Create("allPodLogs/default/app.log")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(f, bytes.NewReader(logData[:5<<20])); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	mustClose(t, w)
	dir := t.TempDir()
	if out, err := exec.Command(tarCmd, "xzf", w.Path(), "-C", dir).CombinedOutput(); err != nil {
		t.Fatalf("tar xzf: %v\n%s", err, out)
	}
	for p, want := range map[string][]byte{
		"cluster-resources/pods/default.json": jsonData[:3<<20],
		"allPodLogs/default/app.log":          logData[:5<<20],
	} {
		got, err := os.ReadFile(filepath.Join(dir, w.Name(), p))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: %d bytes extracted, %d written", p, len(got), len(want))
		}
	}
}

// BenchmarkCompressor compares the compression stage of the bundle before
// (compress/gzip inline) and now (klauspost/compress's gzip on the
// compressor's goroutine), on the JSON and log corpora at level 1. cpu-ns/op
// is the process's CPU time: the figure that matters on a machine whose
// cores the API server needs too.
func BenchmarkCompressor(b *testing.B) {
	jsonData, logData := corpora()
	in := append(append([]byte(nil), jsonData...), logData...)
	run := func(b *testing.B, mk func(io.Writer) io.WriteCloser) {
		b.SetBytes(int64(len(in)))
		var out int
		start := fixtures.CPUTime()
		for range b.N {
			var cw counter
			z := mk(&cw)
			for off := 0; off < len(in); off += 32 << 10 {
				if _, err := z.Write(in[off:min(off+32<<10, len(in))]); err != nil {
					b.Fatal(err)
				}
			}
			if err := z.Close(); err != nil {
				b.Fatal(err)
			}
			out = int(cw)
		}
		b.ReportMetric(float64(fixtures.CPUTime()-start)/float64(b.N), "cpu-ns/op")
		b.ReportMetric(float64(len(in))/float64(out), "ratio")
	}
	b.Run("stdlib-inline", func(b *testing.B) {
		run(b, func(w io.Writer) io.WriteCloser {
			z, _ := stdgzip.NewWriterLevel(w, stdgzip.BestSpeed)
			return z
		})
	})
	b.Run("compressor", func(b *testing.B) {
		run(b, func(w io.Writer) io.WriteCloser {
			c, err := newCompressor(w, stdgzip.BestSpeed)
			if err != nil {
				b.Fatal(err)
			}
			return c
		})
	})
}

type counter int

func (c *counter) Write(p []byte) (int, error) { *c += counter(len(p)); return len(p), nil }
