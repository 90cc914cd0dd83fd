// Package fleetsteps plugs diagnosis into a fleet run (lib/fleet): each
// bundle is analyzed by the built-in analyzers as soon as it is written, its
// troubleshoot analyzers' results (analysis.json, written by collect) are
// taken in as findings, and once every target is done the bundles are
// correlated across the fleet and the report (report.html, report.md) is
// written beside them.
//
// It is its own package so that lib/fleet stays a generic multi-cluster run
// and lib/analyze knows nothing of how a run is orchestrated.
package fleetsteps

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/mesosphere/dkp-diagnose/lib/analyze"
	"github.com/mesosphere/dkp-diagnose/lib/analyze/builtin"
	"github.com/mesosphere/dkp-diagnose/lib/analyze/bundlefs"
	"github.com/mesosphere/dkp-diagnose/lib/analyze/correlate"
	"github.com/mesosphere/dkp-diagnose/lib/analyze/report"
	"github.com/mesosphere/dkp-diagnose/lib/analyze/troubleshoot"
	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
	"github.com/mesosphere/dkp-diagnose/lib/fleet"
	"github.com/mesosphere/dkp-diagnose/lib/targets"
)

// AnalysisFile is where collect writes the troubleshoot analyzers' results
// inside a bundle.
const AnalysisFile = "analysis.json"

// Diagnosis holds one run's open bundles between its bundle step and its
// run step. Make one per run with New.
type Diagnosis struct {
	// Builtin tunes the built-in analyzers.
	Builtin builtin.Options
	// Tool is the version line shown in the report.
	Tool string
	// NoReport leaves report.html and report.md unwritten (findings still
	// go into the summary).
	NoReport bool

	mu      sync.Mutex
	bundles map[string]*bundlefs.Bundle // by target ID
}

// New returns a Diagnosis for one run.
func New(opts builtin.Options, tool string) *Diagnosis {
	return &Diagnosis{Builtin: opts, Tool: tool, bundles: map[string]*bundlefs.Bundle{}}
}

// Options adds the diagnosis steps to a fleet run's options, and has each
// target's collection keep a plain copy of the files they read (see Reads):
// the bundle steps read those rather than decompressing every bundle
// again, pod logs and all, right after it was written.
func (d *Diagnosis) Options(o *fleet.Options) {
	o.BundleSteps = append(o.BundleSteps, d.BundleStep)
	o.RunSteps = append(o.RunSteps, d.RunStep)
	if prev := o.Collect.KeepFiles; prev != nil {
		o.Collect.KeepFiles = func(name string) bool { return prev(name) || Reads(name) }
	} else {
		o.Collect.KeepFiles = Reads
	}
}

// Reads reports whether the diagnosis steps read the bundle file name
// (relative to the bundle's root): what the built-in analyzers and
// correlation read, analysis.json and version.yaml.
func Reads(name string) bool {
	return name == AnalysisFile || name == bundlefs.VersionFile || correlate.Reads(name)
}

// BundleStep analyzes one written bundle and adds its findings to s. The
// bundle stays open until RunStep, which correlates it with the others.
// It reads the files collection kept (s.KeptFiles) when there are some,
// else the files it needs from the archive.
func (d *Diagnosis) BundleStep(ctx context.Context, t *targets.Target, s *fleet.TargetSummary) error {
	if s.Bundle == "" {
		return nil
	}
	var (
		b   *bundlefs.Bundle
		err error
	)
	if s.KeptFiles != "" {
		b, err = bundlefs.OpenDir(s.KeptFiles)
	} else {
		b, err = bundlefs.Open(s.Bundle, bundlefs.Options{Want: Reads})
	}
	if err != nil {
		return fmt.Errorf("analyze %s: %w", s.Bundle, err)
	}
	id, name := t.ID(), filepath.Base(s.Bundle)
	found := builtin.Analyze(b, d.Builtin)
	ts, err := recorded(b)
	found = append(found, ts...)
	for i := range found {
		found[i].Cluster, found[i].Bundle = id, name
	}
	analyze.Sort(found)
	s.Findings = append(s.Findings, found...)
	d.mu.Lock()
	d.bundles[id] = b
	d.mu.Unlock()
	if err != nil {
		return fmt.Errorf("analyze %s: %w", s.Bundle, err)
	}
	return ctx.Err()
}

// recorded reads the troubleshoot analyzers' results collect wrote into the
// bundle; a bundle without analysis.json has none.
func recorded(fsys fs.FS) ([]analyze.Finding, error) {
	data, err := fs.ReadFile(fsys, AnalysisFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	rs, err := troubleshoot.ParseAnalysis(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", AnalysisFile, err)
	}
	return troubleshoot.Findings(rs), nil
}

// OpenBundles makes the bundles of sum's targets that no bundle step of
// d saw readable by RunStep: bundles written elsewhere and brought here
// (an in-cluster run's shards, copied back from their pods), so that the
// fleet's correlations see every cluster's files. Each is read as the
// bundle step reads one (only the files the analyzers want). Bundles that
// are not local files (uploaded: a URL) are left out, and so is a bundle
// that cannot be opened, with its error.
func (d *Diagnosis) OpenBundles(sum *fleet.Summary) error {
	var errs []error
	for i := range sum.Targets {
		ts := &sum.Targets[i]
		if ts.Bundle == "" || strings.Contains(ts.Bundle, "://") {
			continue
		}
		id := targetID(ts)
		d.mu.Lock()
		seen := d.bundles[id] != nil
		d.mu.Unlock()
		if seen {
			continue
		}
		b, err := bundlefs.Open(ts.Bundle, bundlefs.Options{Want: Reads})
		if err != nil {
			errs = append(errs, fmt.Errorf("analyze %s: %w", ts.Bundle, err))
			continue
		}
		d.mu.Lock()
		d.bundles[id] = b
		d.mu.Unlock()
	}
	return errors.Join(errs...)
}

// RunStep correlates the run's bundles, adds the fleet findings to sum and
// writes the report beside the bundles; it closes every bundle it opened.
func (d *Diagnosis) RunStep(ctx context.Context, sum *fleet.Summary) error {
	d.mu.Lock()
	defer func() {
		for _, b := range d.bundles {
			b.Close()
		}
		clear(d.bundles)
		d.mu.Unlock()
	}()
	var (
		cts []correlate.Target
		run = report.Run{Tool: d.Tool, Generated: time.Now().UTC()}
	)
	for i := range sum.Targets {
		ts := &sum.Targets[i]
		id := targetID(ts)
		ct := correlate.Target{ID: id, Role: ts.Role, Name: ts.Name, Namespace: ts.Namespace,
			Status: ts.Status, Error: ts.Error + ts.Skipped}
		rc := report.Cluster{ID: id, Role: ts.Role, Name: ts.Name, Namespace: ts.Namespace,
			Status: ts.Status, Error: ct.Error}
		if b := d.bundles[id]; b != nil {
			ct.FS, ct.Bundle, rc.Bundle = b, filepath.Base(ts.Bundle), filepath.Base(ts.Bundle)
		}
		cts = append(cts, ct)
		run.Clusters = append(run.Clusters, rc)
		run.Findings = append(run.Findings, ts.Findings...)
	}
	sum.Findings = append(sum.Findings, correlate.Findings(cts)...)
	analyze.Sort(sum.Findings)
	run.Findings = append(run.Findings, sum.Findings...)
	if d.NoReport {
		return ctx.Err()
	}
	if err := report.WriteFiles(sum.OutputDir, run); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// targetID is the ID targets.Target.ID gives the same target.
func targetID(ts *fleet.TargetSummary) string {
	t := targets.Target{Role: ts.Role, Name: ts.Name, Namespace: ts.Namespace}
	return t.ID()
}

// AnalyzeBundle runs the built-in analyzers and the troubleshoot analyzers
// over one bundle side by side (they read the same files, and each is a
// single goroutine's work: on two cores the pair takes the longer one's
// time), as the analyze command does offline. Its error is
// troubleshoot.Run's.
func AnalyzeBundle(ctx context.Context, fsys fs.FS, opts builtin.Options, analyzers []*spec.Analyze) ([]analyze.Finding, []*troubleshoot.Result, error) {
	var found []analyze.Finding
	done := make(chan struct{})
	go func() {
		defer close(done)
		found = builtin.Analyze(fsys, opts)
	}()
	var (
		rs  []*troubleshoot.Result
		err error
	)
	if len(analyzers) > 0 {
		rs, err = troubleshoot.Run(ctx, fsys, analyzers)
	}
	<-done
	return found, rs, err
}
