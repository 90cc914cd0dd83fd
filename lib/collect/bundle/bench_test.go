package bundle

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mesosphere/dkp-diagnose/lib/collect/internal/fixtures"
)

// corpus is JSON- and log-like text with varying values, so that it
// compresses about as well as real cluster data (roughly 5–10×).
var (
	corpusOnce sync.Once
	corpusJSON []byte
	corpusLogs []byte
)

func corpora() ([]byte, []byte) {
	corpusOnce.Do(func() {
		r := rand.New(rand.NewPCG(1, 2))
		var b bytes.Buffer
		phases := []string{"Running", "Pending", "Succeeded", "Failed"}
		for b.Len() < 8<<20 {
			fmt.Fprintf(&b, `{"metadata":{"name":"app-%x-%05x","namespace":"ns-%d","uid":"%08x-%04x-%04x-%04x-%012x",`+
				`"resourceVersion":"%d","creationTimestamp":"2026-%02d-%02dT%02d:%02d:%02dZ","labels":{"app":"app-%x","pod-template-hash":"%x"}},`+
				`"spec":{"nodeName":"node-%d","containers":[{"name":"c%d","image":"registry.example/img-%d:v1.%d.%d","resources":{"limits":{"cpu":"%dm","memory":"%dMi"}}}]},`+
				`"status":{"phase":"%s","podIP":"10.%d.%d.%d","restartCount":%d}},`+"\n",
				r.IntN(500), r.IntN(1<<20), r.IntN(40), r.Uint32(), r.IntN(1<<16), r.IntN(1<<16), r.IntN(1<<16), r.Uint64()&(1<<48-1),
				r.IntN(1e7), 1+r.IntN(12), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60), r.IntN(500), r.Uint32(),
				r.IntN(50), r.IntN(4), r.IntN(200), r.IntN(30), r.IntN(10), 100*(1+r.IntN(40)), 64*(1+r.IntN(64)),
				phases[r.IntN(len(phases))], r.IntN(256), r.IntN(256), r.IntN(256), r.IntN(5))
		}
		corpusJSON = b.Bytes()
		var l bytes.Buffer
		levels := []string{"INFO", "WARN", "ERROR", "DEBUG"}
		for l.Len() < 8<<20 {
			fmt.Fprintf(&l, "2026-11-25T09:%02d:%02d.%06dZ %s controller.go:%d reconcile object=ns-%d/app-%x latency=%dms attempt=%d\n",
				r.IntN(60), r.IntN(60), r.IntN(1e6), levels[r.IntN(4)], 100+r.IntN(900), r.IntN(40), r.IntN(1<<20), r.IntN(5000), r.IntN(9))
		}
		corpusLogs = l.Bytes()
	})
	return corpusJSON, corpusLogs
}

type benchFile struct {
	path string
	size int
	log  bool
	mode int // 0: WriteFile, 1: Write in chunks, 2: io.Copy
}

// benchFiles returns a fixed mix of files that adds up to about total bytes:
// many small JSON lists, some medium ones, a few big logs.
func benchFiles(total int) []benchFile {
	r := rand.New(rand.NewPCG(3, 4))
	var files []benchFile
	for sum, i := 0, 0; sum < total; i++ {
		var f benchFile
		switch x := r.IntN(100); {
		case x < 70:
			f = benchFile{path: fmt.Sprintf("cluster-resources/r%d/ns-%d.json", i%50, i), size: 2<<10 + r.IntN(30<<10), mode: i % 2}
		case x < 97:
			f = benchFile{path: fmt.Sprintf("cluster-resources/big/r%d.json", i), size: 100<<10 + r.IntN(900<<10), mode: 1}
		default:
			f = benchFile{path: fmt.Sprintf("allPodLogs/ns-%d/pod-%d-c.log", i%40, i), size: 2<<20 + r.IntN(6<<20), log: true, mode: 2}
		}
		f.size = min(f.size, total-sum, 8<<20-1)
		files = append(files, f)
		sum += f.size
	}
	return files
}

// heapSampler records the peak HeapInuse while it runs.
type heapSampler struct {
	peak atomic.Uint64
	stop chan struct{}
	done chan struct{}
}

func startHeapSampler() *heapSampler {
	s := &heapSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > s.peak.Load() {
				s.peak.Store(ms.HeapInuse)
			}
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *heapSampler) Stop() uint64 {
	close(s.stop)
	<-s.done
	return s.peak.Load()
}

func heapInuse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// writeBundle writes files into a new bundle in dir with the given number
// of goroutines, and closes it.
func writeBundle(tb testing.TB, dir string, opts Options, files []benchFile, workers int) *Writer {
	jsonData, logData := corpora()
	w, err := CreateWith(dir, "", now, opts)
	if err != nil {
		tb.Fatal(err)
	}
	work := make(chan int)
	errc := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range work {
				f := files[i]
				src := jsonData
				if f.log {
					src = logData
				}
				off := (i * 7919) % (len(src) - f.size)
				data := src[off : off+f.size]
				if err := writeOne(w, f, data); err != nil {
					errc <- err
					for range work {
					}
					return
				}
			}
		})
	}
	for i := range files {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errc)
	for err := range errc {
		_ = w.Abort()
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return w
}

func writeOne(w *Writer, f benchFile, data []byte) error {
	if f.mode == 0 {
		return w.WriteFile(f.path, data)
	}
	fw, err := w.Create(f.path)
	if err != nil {
		return err
	}
	if f.mode == 2 {
		// A plain reader, like an HTTP body: io.Copy uses fw's ReadFrom.
		_, err = io.Copy(fw, struct{ io.Reader }{bytes.NewReader(data)})
	} else {
		for len(data) > 0 && err == nil {
			n := min(len(data), 4<<10)
			_, err = fw.Write(data[:n])
			data = data[n:]
		}
	}
	if cerr := fw.Close(); err == nil {
		err = cerr
	}
	return err
}

// BenchmarkWriter writes a ~100 MB bundle (and a 25 MB one, to show that
// memory does not grow with size) of mixed JSON and logs from 8 goroutines.
// Metrics: MB/s of uncompressed input, peak-heap-MB (peak HeapInuse during
// the run minus the heap before it), ratio (input / archive size).
func BenchmarkWriter(b *testing.B) {
	for _, total := range []int{25 << 20, 100 << 20} {
		for _, lv := range []struct {
			name  string
			level int
		}{{"default", 0}, {"6", gzip.DefaultCompression}} {
			b.Run(fmt.Sprintf("total=%dMB/level=%s", total>>20, lv.name), func(b *testing.B) {
				benchWriter(b, total, Options{CompressionLevel: lv.level})
			})
		}
	}
	// With a copy of the object lists kept as they are written (what a
	// run that analyzes its bundles asks for, lib/collect's KeepFiles).
	b.Run("total=100MB/level=default/copy=objects", func(b *testing.B) {
		benchWriter(b, 100<<20, Options{CopyDir: filepath.Join(b.TempDir(), "copy"),
			CopyFiles: func(p string) bool { return strings.HasPrefix(p, "cluster-resources/") }})
	})
}

func benchWriter(b *testing.B, total int, opts Options) {
	files := benchFiles(total)
	corpora()
	dir := b.TempDir()
	b.SetBytes(int64(total))
	b.ReportAllocs()
	base := heapInuse()
	sampler := startHeapSampler()
	var size int64
	b.ResetTimer()
	start := fixtures.CPUTime()
	for range b.N {
		w := writeBundle(b, dir, opts, files, 8)
		size = w.BytesWritten()
		b.StopTimer()
		if err := os.Remove(w.Path()); err != nil {
			b.Fatal(err)
		}
		if opts.CopyDir != "" {
			if err := os.RemoveAll(opts.CopyDir); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(fixtures.CPUTime()-start)/float64(b.N), "cpu-ns/op")
	peak := sampler.Stop()
	b.ReportMetric(float64(peak-min(base, peak))/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(total)/float64(size), "ratio")
	b.ReportMetric(float64(len(files)), "files")
}

// TestMemoryBounded writes 38 MB, 28 MB of it in four big files, and checks that the
// heap stays far below that: memory grows with the files open at once, not
// with the data.
func TestMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	corpora()
	var files []benchFile
	for i := range 4 {
		files = append(files, benchFile{path: fmt.Sprintf("allPodLogs/ns/big%d.log", i), size: 7 << 20, log: true, mode: 1 + i%2})
	}
	for i := range 100 {
		files = append(files, benchFile{path: fmt.Sprintf("cluster-resources/r/%d.json", i), size: 100 << 10, mode: i % 3})
	}
	base := heapInuse()
	sampler := startHeapSampler()
	// HuffmanOnly: the fastest level; memory use does not depend on it.
	w := writeBundle(t, t.TempDir(), Options{CompressionLevel: gzip.HuffmanOnly}, files, 8)
	peak := sampler.Stop() - min(base, sampler.peak.Load())
	var in int
	for _, f := range files {
		in += f.size
	}
	t.Logf("wrote %d MB in %d files, %d spilled; peak heap above baseline %.1f MB", in>>20, len(files), w.spills.Load(), float64(peak)/(1<<20))
	if w.spills.Load() == 0 {
		t.Error("nothing spilled")
	}
	// 8 open files × 256 KiB spool + gzip/tar/bufio state + the test's own
	// garbage; anything that buffered whole files would exceed it.
	if limit := uint64(12 << 20); peak > limit {
		t.Errorf("peak heap %d MB above baseline, want < %d MB", peak>>20, limit>>20)
	}
	if w.Files() != int64(len(files)) {
		t.Errorf("Files() = %d, want %d", w.Files(), len(files))
	}
}
