package troubleshoot

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mesosphere/dkp-diagnose/lib/analyze/bundlefs"
	"github.com/mesosphere/dkp-diagnose/lib/analyze/internal/benchbundle"
	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

// BenchmarkAnalyzeScaleBundle opens the scale-1-shaped bundle archive
// (benchbundle), extracting all of it, and runs troubleshoot analyzers of
// every family over it, textAnalyze over every pod log. It reports the peak heap in use above
// what the process held before (peak-heap-MiB) and the archive's size.
func BenchmarkAnalyzeScaleBundle(b *testing.B) {
	path := benchbundle.Archive(b)
	fi, err := os.Stat(path)
	require.NoError(b, err)
	s, err := spec.Parse("bench.yaml", []byte(benchbundle.Spec))
	require.NoError(b, err)
	base := benchbundle.HeapInuse()
	sampler := benchbundle.StartHeapSampler()
	cpu0 := benchbundle.CPUTime()
	b.ResetTimer()
	var results int
	for b.Loop() {
		bfs, err := bundlefs.Open(path, bundlefs.Options{})
		require.NoError(b, err)
		rs, err := Run(context.Background(), bfs, s.Analyzers)
		require.NoError(b, err)
		require.NoError(b, bfs.Close())
		results = len(rs)
	}
	b.StopTimer()
	b.ReportMetric(float64((benchbundle.CPUTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
	peak := sampler.Stop()
	b.ReportMetric(float64(fi.Size())/(1<<20), "bundle-MiB")
	b.ReportMetric(float64(peak-min(peak, base))/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(results), "results")
}

// BenchmarkAnalyzeScaleBundleRun is the analysis alone, over the bundle
// extracted once.
func BenchmarkAnalyzeScaleBundleRun(b *testing.B) {
	path := benchbundle.Archive(b)
	s, err := spec.Parse("bench.yaml", []byte(benchbundle.Spec))
	require.NoError(b, err)
	bfs, err := bundlefs.Open(path, bundlefs.Options{})
	require.NoError(b, err)
	defer bfs.Close()
	base := benchbundle.HeapInuse()
	sampler := benchbundle.StartHeapSampler()
	cpu0 := benchbundle.CPUTime()
	b.ResetTimer()
	for b.Loop() {
		_, err := Run(context.Background(), bfs, s.Analyzers)
		require.NoError(b, err)
	}
	b.StopTimer()
	b.ReportMetric(float64((benchbundle.CPUTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
	peak := sampler.Stop()
	b.ReportMetric(float64(peak-min(peak, base))/(1<<20), "peak-heap-MiB")
}
