package collect

import (
	"context"
	"fmt"

	"github.com/mesosphere/dkp-diagnose/lib/analyze/bundlefs"
	"github.com/mesosphere/dkp-diagnose/lib/analyze/troubleshoot"
	"github.com/mesosphere/dkp-diagnose/lib/collect/bundle"
	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

// analyzeBundle runs the spec's troubleshoot analyzers over what bw holds
// so far and adds their results as analysis.json, troubleshoot's file for
// them, before the bundle is closed ("[]" when there are none, as
// troubleshoot writes it). The bundle is read back through a
// snapshot of the archive, extracted next to it (same disk as the bundle,
// removed afterwards), so memory does not grow with the bundle.
//
// A failure here is the analysis's, not the bundle's: it is returned for
// the Result and the bundle is kept.
func analyzeBundle(ctx context.Context, bw *bundle.Writer, analyzers []*spec.Analyze, dir string) ([]*troubleshoot.Result, error) {
	if len(analyzers) == 0 {
		// troubleshoot writes "[]" then; nothing to read back.
		if err := bw.WriteFile(troubleshoot.AnalysisFile, []byte("[]")); err != nil {
			return nil, fmt.Errorf("analyze: %w", err)
		}
		return nil, nil
	}
	snap, err := bw.Snapshot()
	if err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	b, err := bundlefs.ExtractTar(snap, bundlefs.Options{TempDir: dir})
	_ = snap.Close()
	if err != nil {
		return nil, fmt.Errorf("analyze: read bundle back: %w", err)
	}
	defer b.Close()
	results, err := troubleshoot.Run(ctx, b, analyzers)
	if err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	data, err := troubleshoot.MarshalAnalysis(results)
	if err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	if err := bw.WriteFile(troubleshoot.AnalysisFile, data); err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	return results, nil
}
