package collect

import (
	"context"
	"fmt"
	"os"

	"github.com/mesosphere/dkp-diagnose/lib/analyze/bundlefs"
	"github.com/mesosphere/dkp-diagnose/lib/analyze/troubleshoot"
	"github.com/mesosphere/dkp-diagnose/lib/collect/bundle"
	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

// analyzeBundle runs the spec's troubleshoot analyzers over what bw holds
// so far and adds their results as analysis.json, troubleshoot's file for
// them, before the bundle is closed ("[]" when there are none, as
// troubleshoot writes it).
//
// The analyzers read the plain copy of their files the bundle writer kept
// in kept (see keptFiles): nothing is decompressed. Without it (the copy
// failed) the bundle is read back through a snapshot of the archive,
// extracted next to it (same disk as the bundle, removed afterwards), so
// memory does not grow with the bundle either way.
//
// A failure here is the analysis's, not the bundle's: it is returned for
// the Result and the bundle is kept.
func analyzeBundle(ctx context.Context, bw *bundle.Writer, analyzers []*spec.Analyze, dir, kept string) ([]*troubleshoot.Result, error) {
	if len(analyzers) == 0 {
		// troubleshoot writes "[]" then; nothing to read back.
		if err := bw.WriteFile(troubleshoot.AnalysisFile, []byte("[]")); err != nil {
			return nil, fmt.Errorf("analyze: %w", err)
		}
		return nil, nil
	}
	var (
		b   *bundlefs.Bundle
		err error
	)
	if kept != "" {
		b, err = bundlefs.OpenDir(kept)
	} else {
		b, err = snapshotBundle(bw, analyzers, dir)
	}
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

// snapshotBundle extracts the files the analyzers read from a snapshot of
// the archive bw is writing.
func snapshotBundle(bw *bundle.Writer, analyzers []*spec.Analyze, dir string) (*bundlefs.Bundle, error) {
	snap, err := bw.Snapshot()
	if err != nil {
		return nil, err
	}
	defer snap.Close()
	return bundlefs.ExtractTar(snap, bundlefs.Options{TempDir: dir, Want: troubleshoot.Reads(analyzers)})
}

// keptFiles is the plain copy of a bundle's files the bundle writer keeps
// (bundle.Options.CopyDir) for the analysis that follows collection: the
// files the spec's troubleshoot analyzers read, and those the caller asked
// to keep (Options.KeepFiles). They are a small part of a bundle (pod logs
// are most of it), and written while collected, they spare a full
// decompression of the finished archive.
type keptFiles struct {
	dir  string
	want func(string) bool
}

// newKeptFiles makes the copy's folder, hidden in the output folder (on the
// bundle's disk, not in memory, not in a tmpfs /tmp), when anything is to
// be kept; a zero keptFiles keeps nothing.
func newKeptFiles(opts *Options, analyzers []*spec.Analyze) (*keptFiles, error) {
	var wants []func(string) bool
	if opts.KeepFiles != nil {
		wants = append(wants, opts.KeepFiles)
	}
	if !opts.SkipAnalysis && len(analyzers) > 0 {
		wants = append(wants, troubleshoot.Reads(analyzers))
	}
	if len(wants) == 0 {
		return &keptFiles{}, nil
	}
	if err := os.MkdirAll(opts.OutputDir, 0o755); err != nil {
		return nil, fmt.Errorf("create bundle in %q: %w", opts.OutputDir, err)
	}
	dir, err := bundle.MkdirTemp(opts.OutputDir)
	if err != nil {
		return nil, fmt.Errorf("create bundle in %q: %w", opts.OutputDir, err)
	}
	return &keptFiles{dir: dir, want: func(name string) bool {
		for _, w := range wants {
			if w(name) {
				return true
			}
		}
		return false
	}}, nil
}

func (k *keptFiles) options() bundle.Options {
	return bundle.Options{CopyDir: k.dir, CopyFiles: k.want}
}

// dirFor returns the copy's folder while it is complete, else "".
func (k *keptFiles) dirFor(bw *bundle.Writer) string {
	if k.dir == "" || bw.CopyErr() != nil {
		return ""
	}
	return k.dir
}

// hand gives the folder to the caller (remove no longer removes it); ""
// when the copy is not complete.
func (k *keptFiles) hand(bw *bundle.Writer) string {
	dir := k.dirFor(bw)
	if dir != "" {
		k.dir = ""
	}
	return dir
}

// remove deletes the folder unless it was handed over.
func (k *keptFiles) remove() {
	if k.dir != "" {
		_ = bundle.RemoveTemp(k.dir)
		k.dir = ""
	}
}
