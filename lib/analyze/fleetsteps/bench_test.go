package fleetsteps

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mesosphere/dkp-diagnose/lib/analyze/builtin"
	"github.com/mesosphere/dkp-diagnose/lib/analyze/bundlefs"
	"github.com/mesosphere/dkp-diagnose/lib/analyze/internal/benchbundle"
	"github.com/mesosphere/dkp-diagnose/lib/analyze/troubleshoot"
	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

// BenchmarkAnalyzeArchive is the analysis of a scale-1-shaped bundle
// archive (benchbundle: 137 MiB, 540 MB of pod logs) from the file: open
// it extracting what the analyzers read, then the built-in analyzers and
// the spec's troubleshoot analyzers, side by side, as `dkp-diagnose
// analyze BUNDLE SPEC` does. "objects" has analyzers of the object lists
// only; "logs" adds a textAnalyze over every pod log, which needs them all.
// ns/op is the wall time; cpu-ms/op the CPU time of the process;
// peak-heap-MiB the peak heap in use above what the process held before.
func BenchmarkAnalyzeArchive(b *testing.B) {
	for _, c := range []struct{ name, spec string }{{"objects", benchbundle.SpecNoLogs}, {"logs", benchbundle.Spec}} {
		b.Run(c.name, func(b *testing.B) {
			path := benchbundle.Archive(b)
			s, err := spec.Parse("bench.yaml", []byte(c.spec))
			require.NoError(b, err)
			tsReads := troubleshoot.Reads(s.Analyzers)
			want := func(name string) bool { return Reads(name) || tsReads(name) }
			opts := builtin.Options{Now: time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)}
			base := benchbundle.HeapInuse()
			sampler := benchbundle.StartHeapSampler()
			cpu0 := benchbundle.CPUTime()
			b.ReportAllocs()
			b.ResetTimer()
			var results int
			for b.Loop() {
				bfs, err := bundlefs.Open(path, bundlefs.Options{Want: want})
				require.NoError(b, err)
				found, rs, err := AnalyzeBundle(context.Background(), bfs, opts, s.Analyzers)
				require.NoError(b, err)
				require.NoError(b, bfs.Close())
				results = len(found) + len(rs)
			}
			b.StopTimer()
			b.ReportMetric(float64((benchbundle.CPUTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
			peak := sampler.Stop()
			b.ReportMetric(float64(peak-min(peak, base))/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(results), "results")
			fi, err := os.Stat(path)
			require.NoError(b, err)
			b.ReportMetric(float64(fi.Size())/(1<<20), "bundle-MiB")
		})
	}
}
