package fleet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"golang.org/x/sync/errgroup"
	"k8s.io/client-go/rest"

	"github.com/mesosphere/dkp-diagnose/lib/collect"
	"github.com/mesosphere/dkp-diagnose/lib/collect/bundle"
	"github.com/mesosphere/dkp-diagnose/lib/targets"
)

// DefaultParallel is how many targets are collected at once when
// Options.Parallel is not set.
const DefaultParallel = 3

// Options are the settings of one fleet run.
type Options struct {
	// OutputDir is where the bundles and the summary are written (created
	// if missing); empty means the working directory.
	OutputDir string
	// Parallel bounds the targets collected at once; below 1 means
	// DefaultParallel.
	Parallel int
	// Collect are the settings of each target's collection. Run sets
	// OutputDir, Prefix, Namespace, Observer, Log and Reachable for each
	// target; the rest (concurrency, timeout, images, …) applies as given.
	Collect collect.Options
	// QPS, Burst and UserAgent, when set, replace those of each target's
	// client configuration (on a copy: the plan is left alone).
	QPS       float32
	Burst     int
	UserAgent string
	// Log receives the collect library's log of every target, each record
	// with a "target" attribute; nil discards it.
	Log *slog.Logger
	// Observer, if set, follows the run's progress.
	Observer Observer
	// BundleSteps run on each bundle once it is written, in order.
	BundleSteps []BundleStep
	// RunSteps run once after every target finished, in order, before the
	// summary is written.
	RunSteps []RunStep
}

// Observer follows a fleet run. Its methods are called from the targets'
// goroutines, so for different targets at the same time: implementations
// must be safe for concurrent use.
type Observer interface {
	// TargetStarted is called when a target's collection begins (Parallel
	// bounds how many are under way). The collect.Observer it returns, if
	// not nil, follows that target's collectors.
	TargetStarted(t *targets.Target) collect.Observer
	// TargetFinished is called once the target is done: its bundle written
	// and the bundle steps run, or its collection failed.
	TargetFinished(t *targets.Target, s TargetSummary)
}

// BundleStep runs on a target's bundle once it is written (s.Bundle is its
// path), in the target's turn: Parallel bounds steps too. It may add
// findings to s.Findings. An error is recorded in the summary's notes; it
// changes neither the target's status nor the exit code.
type BundleStep func(ctx context.Context, t *targets.Target, s *TargetSummary) error

// RunStep runs once every target finished, before the summary is written:
// it may add fleet findings to sum.Findings or write files beside the
// bundles (a fleet report). An error is recorded in the summary's notes.
type RunStep func(ctx context.Context, sum *Summary) error

// Run collects the collection plan work from every target of plan,
// o.Parallel at a time; one target failing never stops the others. The
// plan's skipped clusters (unresolvable, duplicates) become summary rows
// too. It then runs the run steps and writes the summary (see
// WriteSummary).
//
// The returned Summary says how each target fared; Summary.ExitCode turns
// it into an exit code. The error is non-nil for missing arguments or when
// the summary file could not be written — the Summary is returned then too.
func Run(ctx context.Context, plan *targets.Plan, work *collect.Plan, o Options) (*Summary, error) {
	if plan == nil || work == nil {
		return nil, errors.New("fleet: a target plan and a collection plan are required")
	}
	if o.Parallel < 1 {
		o.Parallel = DefaultParallel
	}
	if o.OutputDir == "" {
		o.OutputDir = "."
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	started := time.Now()
	results := make([]TargetSummary, len(plan.Targets))
	stepErrs := make([][]string, len(plan.Targets))
	var g errgroup.Group
	g.SetLimit(o.Parallel)
	for i, t := range plan.Targets {
		g.Go(func() error {
			results[i], stepErrs[i] = collectOne(ctx, t, work, &o)
			return nil
		})
	}
	_ = g.Wait()

	sum := &Summary{Started: started.UTC(), OutputDir: o.OutputDir, Targets: results,
		Notes: append([]string(nil), plan.Notes...), Interrupted: ctx.Err() != nil}
	for _, errs := range stepErrs {
		sum.Notes = append(sum.Notes, errs...)
	}
	for _, sk := range plan.Skipped {
		ts := TargetSummary{Role: sk.Role, Name: sk.Name, Namespace: sk.Namespace, Source: sk.Source, Status: StatusSkipped, Skipped: sk.Reason}
		if sk.Failure {
			ts.Status, ts.Error, ts.Skipped = StatusFailed, sk.Reason, ""
		}
		sum.Targets = append(sum.Targets, ts)
	}
	for _, step := range o.RunSteps {
		if err := step(ctx, sum); err != nil {
			sum.Notes = append(sum.Notes, err.Error())
		}
	}
	for i := range sum.Targets {
		if dir := sum.Targets[i].KeptFiles; dir != "" {
			if err := bundle.RemoveTemp(dir); err != nil {
				sum.Notes = append(sum.Notes, fmt.Sprintf("remove kept bundle files: %v", err))
			}
			sum.Targets[i].KeptFiles = ""
		}
	}
	sum.DurationMs = time.Since(started).Milliseconds()
	if err := os.MkdirAll(o.OutputDir, 0o755); err != nil {
		return sum, fmt.Errorf("write %s: %w", SummaryFile, err)
	}
	if _, err := WriteSummary(o.OutputDir, sum); err != nil {
		return sum, fmt.Errorf("write %s: %w", SummaryFile, err)
	}
	return sum, nil
}

// collectOne collects one target and runs the bundle steps on its bundle;
// it returns the target's summary line and the steps' errors.
func collectOne(ctx context.Context, t *targets.Target, work *collect.Plan, o *Options) (ts TargetSummary, stepErrs []string) {
	ts = TargetSummary{Role: t.Role, Name: t.Name, Namespace: t.Namespace, Source: t.Source, Server: t.Server, Prefix: t.Prefix, Probe: t.Probe}
	opts := o.Collect
	opts.OutputDir = o.OutputDir
	opts.Prefix = t.Prefix
	opts.Namespace = t.DefaultNamespace
	opts.Log = o.Log.With("target", t.ID())
	// A target that answered the resolver's probe moments ago is not asked
	// again; one that did not gets collect's own, longer check, as it may
	// only have been slow.
	opts.Reachable = t.Probe != nil && t.Probe.Reachable
	opts.Observer = nil
	if o.Observer != nil {
		if obs := o.Observer.TargetStarted(t); obs != nil {
			opts.Observer = obs
		}
		defer func() { o.Observer.TargetFinished(t, ts) }()
	}
	began := time.Now()
	res, err := collect.Run(ctx, o.clientConfig(t.Config), work, opts)
	if err != nil {
		ts.Status, ts.Error, ts.DurationMs = StatusFailed, err.Error(), time.Since(began).Milliseconds()
		if res != nil {
			ts.Leftovers = res.Leftovers
		}
		if errors.Is(err, collect.ErrInterrupted) {
			ts.Error = "interrupted: no bundle written"
		}
		return ts, nil
	}
	c := &CollectorCounts{Total: len(res.Collectors)}
	for _, r := range res.Collectors {
		switch r.Outcome {
		case collect.OutcomeFailed, collect.OutcomePartial:
			c.Failed++
			if ts.Error == "" && len(r.Errors) > 0 {
				ts.Error = r.Errors[0]
			}
		case collect.OutcomeExcluded:
			c.Excluded++
		default:
			c.OK++
		}
	}
	if res.Stopped != "" {
		ts.Error = res.Stopped // the cause (time limit, stalled server), not its symptom in a collector
	}
	ts.Bundle, ts.Bytes, ts.DurationMs, ts.Collectors, ts.Redactions = res.Path, res.Bytes, res.Duration.Milliseconds(), c, res.Redactions
	ts.Leftovers = res.Leftovers
	ts.KeptFiles = res.KeptFiles
	switch {
	case c.Failed == 0:
		ts.Status = StatusOK
	case c.OK == 0:
		ts.Status = StatusFailed
	default:
		ts.Status = StatusPartial
	}
	for _, step := range o.BundleSteps {
		if err := step(ctx, t, &ts); err != nil {
			stepErrs = append(stepErrs, fmt.Sprintf("%s: %v", t.ID(), err))
		}
	}
	return ts, stepErrs
}

// clientConfig is cfg with the run's client settings.
func (o *Options) clientConfig(cfg *rest.Config) *rest.Config {
	if o.QPS == 0 && o.Burst == 0 && o.UserAgent == "" {
		return cfg
	}
	c := rest.CopyConfig(cfg)
	if o.QPS != 0 {
		c.QPS = o.QPS
	}
	if o.Burst != 0 {
		c.Burst = o.Burst
	}
	if o.UserAgent != "" {
		c.UserAgent = o.UserAgent
	}
	return c
}
