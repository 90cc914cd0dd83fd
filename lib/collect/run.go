package collect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/mesosphere/dkp-diagnose/lib/analyze/troubleshoot"
	"github.com/mesosphere/dkp-diagnose/lib/collect/bundle"
	"github.com/mesosphere/dkp-diagnose/lib/collect/internal/liveness"
	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

// Options are the settings of one run against one cluster.
type Options struct {
	// OutputDir is where the bundle is written (created if missing).
	OutputDir string
	// Prefix goes before "support-bundle-…" in the bundle name.
	Prefix string
	// Concurrency bounds collectors running at once and, inside each, the
	// lists and log streams in flight.
	Concurrency int
	// Timeout bounds the whole run; what was collected by then is kept.
	Timeout time.Duration
	// Namespace is the kubeconfig context's namespace: where namespaced
	// lists fall back to when a cluster-wide list is forbidden.
	Namespace string
	// ToolVersion is written into version.yaml and execution data.
	ToolVersion string
	// Now is the clock (tests pin it); defaults to time.Now.
	Now func() time.Time
	// Log receives progress for humans; defaults to a discarding logger.
	Log *slog.Logger
	// Observer, if set, is told when collectors start and finish.
	Observer Observer
	// NodeCollectorImage is the image of execCopyFromHost collectors whose
	// spec leaves image empty (the default spec does), so an air-gapped site
	// points every run at its own registry; empty means
	// DefaultNodeCollectorImage.
	NodeCollectorImage string
	// ImagePullSecret names a secret (in the collector's namespace) used to
	// pull images of collectors whose spec names none.
	ImagePullSecret string
	// SkipAnalysis turns off the troubleshoot analyzers of the spec, which
	// otherwise run over the bundle before it is closed and leave their
	// results in it as analysis.json ("[]" without analyzers, as
	// troubleshoot writes it).
	SkipAnalysis bool
	// KeepFiles, when set, selects bundle files (by their path in the
	// bundle, e.g. "cluster-resources/nodes.json") to keep as plain files
	// in a hidden folder of OutputDir, written as they are collected:
	// Result.KeptFiles. A caller that analyzes the bundle right after
	// (lib/analyze/fleetsteps) reads them there instead of decompressing
	// the archive again. The caller removes the folder.
	KeepFiles func(name string) bool

	// Reachable says the caller has just seen the cluster's API server
	// answer (lib/targets' probe does that for a fleet), so Run skips its
	// own reachability check. Left false, Run asks /version first and, when
	// the server does not answer, fails the collectors with that reason
	// instead of letting each time out.
	Reachable bool

	// StallAfter is how long an API server may send nothing while requests
	// wait, its health check failing, before the run declares it stalled:
	// the collectors still running then fail with that reason at once
	// instead of each waiting out its own deadline. Zero means 10 s.
	StallAfter time.Duration

	// runID labels the objects this run creates in the cluster.
	runID string
	// redact is the plan's Redact: collectors that mask values themselves
	// (secret) follow it.
	redact bool
}

// Observer follows a run's progress (for progress displays).
type Observer interface {
	CollectorStarted(title string)
	CollectorFinished(r CollectorResult)
}

// Outcome of one collector.
type Outcome string

// Outcomes.
const (
	OutcomeOK       Outcome = "ok"
	OutcomePartial  Outcome = "partial"
	OutcomeFailed   Outcome = "failed"
	OutcomeExcluded Outcome = "excluded"
)

// CollectorResult is how one collector fared.
type CollectorResult struct {
	Title    string        `json:"collector"`
	Type     string        `json:"type"`
	Outcome  Outcome       `json:"outcome"`
	Started  time.Time     `json:"started,omitzero"`
	Duration time.Duration `json:"-"`
	Millis   int64         `json:"durationMs"`
	Errors   []string      `json:"errors,omitempty"`
}

// Result is what a run produced.
type Result struct {
	// Path is the bundle file.
	Path string
	// Name is the bundle name (its root folder).
	Name string
	// Server is the API server collected from.
	Server string
	// Bytes is the bundle's size.
	Bytes      int64
	Started    time.Time
	Duration   time.Duration
	Collectors []CollectorResult
	// Redactions counts what was redacted (details are in the bundle).
	Redactions int
	// Stopped says why collection ended before every collector did, when
	// it was the run's Timeout or an API server that stopped answering:
	// otherwise a time limit reads like a slow or dead cluster in the
	// collectors' "context deadline exceeded", and a dead cluster like a
	// slow one.
	Stopped string
	// Leftovers are objects the run created in the cluster and could not
	// remove (the API server went away): each with its expiry and the
	// command that removes it.
	Leftovers []Leftover
	// Analysis holds the results of the spec's troubleshoot analyzers (also
	// in the bundle as analysis.json); nil when the spec has none.
	Analysis []*troubleshoot.Result
	// AnalysisError says why the analyzers could not run; the bundle is
	// written all the same.
	AnalysisError error
	// KeptFiles is the folder holding the files Options.KeepFiles
	// selected, in the bundle's layout (the folder is the bundle's root);
	// empty without KeepFiles or when the copy failed (the bundle is
	// complete all the same). The caller removes it.
	KeptFiles string
}

// Failed counts collectors that failed or were partial.
func (r *Result) Failed() int {
	n := 0
	for _, c := range r.Collectors {
		if c.Outcome == OutcomeFailed || c.Outcome == OutcomePartial {
			n++
		}
	}
	return n
}

// Validate checks what can be checked of s without a cluster: every
// collector's settings and every redaction rule. NewPlan checks the same;
// Validate is for callers that only want the verdict (spec linting, tests).
func Validate(s *spec.Spec) error {
	_, err := NewPlan(s, PlanOptions{})
	return err
}

// ErrInterrupted is returned when the caller's context is cancelled: the
// bundle is discarded rather than written half-done.
var ErrInterrupted = errors.New("interrupted")

// Run collects the plan p (see NewPlan) from the cluster at cfg into one
// bundle. It returns an error only when no bundle could be written (bad output
// dir, write failure, interruption); collector failures are in the Result and
// the bundle. With an error the Result is nil, or holds only Server and the
// Leftovers the run could not remove from the cluster. One plan may run
// against many clusters at once.
func Run(ctx context.Context, cfg *rest.Config, p *Plan, opts Options) (*Result, error) {
	opts.defaults()
	opts.redact = p.redact
	s, collectors := p.spec, p.collectors
	// The compiled rules are shared; each bundle counts its own redactions.
	rules := p.rules.Clone()
	env, err := newEnv(cfg, &opts)
	if err != nil {
		return nil, err
	}
	started := opts.Now().UTC()
	keep, err := newKeptFiles(&opts, s.Analyzers)
	if err != nil {
		return nil, err
	}
	defer keep.remove()
	bw, err := bundle.CreateWith(opts.OutputDir, opts.Prefix, started, keep.options())
	if err != nil {
		return nil, err
	}
	env.Out = &Output{bundle: bw, redact: rules}
	if so, ok := opts.Observer.(SizeObserver); ok {
		so.BundleOpened(bw.BytesWritten)
	}
	res := &Result{Path: bw.Path(), Name: bw.Name(), Started: started, Server: cfg.Host}

	timeCtx := ctx
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		timeCtx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	// The watchdog ends the run's context, with itself as the cause, when
	// the API server stops answering.
	runCtx, stop := context.WithCancelCause(timeCtx)
	defer stop(nil)
	wctx, wstop := context.WithCancel(runCtx)
	stalled := make(chan *liveness.StalledError, 1)
	go func() { stalled <- env.watchdog.Run(wctx, time.Second, stop) }()
	var unreachable error
	res.Collectors, unreachable = runCollectors(runCtx, env, collectors)
	wstop()
	stall := <-stalled
	// What could not be removed is said whatever else happens to the
	// bundle: interrupted or not, the objects are in the cluster.
	res.Leftovers = env.left.all()
	warnLeftovers := sync.OnceFunc(func() {
		for _, l := range res.Leftovers {
			opts.Log.Warn("left in the cluster: "+l.String(), "expires", l.Expires.Format(time.RFC3339), "remove", l.Command)
		}
	})
	fail := func(err error) (*Result, error) {
		warnLeftovers()
		_ = bw.Abort()
		if len(res.Leftovers) > 0 {
			return &Result{Server: res.Server, Leftovers: res.Leftovers}, err
		}
		return nil, err
	}
	if ctx.Err() != nil {
		return fail(ErrInterrupted)
	}
	var gone *liveness.StalledError
	if stall == nil && unreachable == nil && res.Failed() > 0 {
		// The collectors may have failed on their own, at once, against
		// a server that went away (connections refused): their first
		// error would then read like one collector's problem. (A server
		// unreachable from the start is said so by every collector.)
		gone = env.watchdog.Check(ctx)
	}
	switch {
	case stall != nil:
		res.Stopped = stall.Error() + ": collection stopped, what was collected by then is kept"
		opts.Log.Warn(res.Stopped)
	case gone != nil:
		res.Stopped = gone.Error() + ": the collectors failed, what was collected before is kept"
		opts.Log.Warn(res.Stopped)
	case errors.Is(timeCtx.Err(), context.DeadlineExceeded):
		res.Stopped = fmt.Sprintf("time limit of %s reached: collection stopped, what was collected by then is kept", opts.Timeout)
		opts.Log.Warn(res.Stopped)
	}
	warnLeftovers() // after the cause
	if err := env.Out.Fatal(); err != nil {
		return fail(err)
	}
	res.Duration = opts.Now().Sub(started)
	report := rules.Report()
	res.Redactions = report.Total
	if err := writeExecutionData(env.Out, s, res, report, &opts); err != nil {
		return fail(err)
	}
	if !opts.SkipAnalysis {
		res.Analysis, res.AnalysisError = analyzeBundle(ctx, bw, s.Analyzers, opts.OutputDir, keep.dirFor(bw))
		if ctx.Err() != nil {
			return fail(ErrInterrupted)
		}
		if res.AnalysisError != nil {
			opts.Log.Warn("analysis failed; the bundle is kept without analysis.json", "err", res.AnalysisError)
		}
	}
	if err := bw.Close(); err != nil {
		return fail(err)
	}
	res.Bytes = bw.BytesWritten()
	if opts.KeepFiles != nil {
		res.KeptFiles = keep.hand(bw)
	}
	return res, nil
}

func (o *Options) defaults() {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Concurrency < 1 {
		o.Concurrency = 4
	}
	if o.OutputDir == "" {
		o.OutputDir = "."
	}
	if o.runID == "" {
		o.runID = newRunID()
	}
	if o.StallAfter <= 0 {
		o.StallAfter = liveness.DefaultStallAfter
	}
}

func newEnv(cfg *rest.Config, opts *Options) (*Env, error) {
	cfg = withWarnings(cfg, opts.Log)
	// The watchdog's question must not queue behind the run's own
	// requests: its client has no rate limit, and its requests are not
	// the ones watched.
	pcfg := rest.CopyConfig(cfg)
	pcfg.QPS, pcfg.RateLimiter = -1, nil
	probe, err := kubernetes.NewForConfig(pcfg)
	if err != nil {
		return nil, fmt.Errorf("health check client: %w", err)
	}
	wd := liveness.New(cfg.Host, liveness.ReadyzProbe(probe.Discovery().RESTClient()), liveness.Options{StallAfter: opts.StallAfter})
	cfg = rest.CopyConfig(cfg)
	cfg.Wrap(wd.Wrap)
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("dynamic client: %w", err)
	}
	return &Env{Client: cs, Dynamic: dyn, Config: cfg, Options: opts, Log: opts.Log, left: &leftovers{}, watchdog: wd}, nil
}

// runCollectors runs the planned collectors, at most Concurrency at once.
// clusterInfo runs first on its own: when the cluster cannot be reached, the
// others are recorded as failed with that reason instead of each timing out,
// and the reason is returned.
func runCollectors(ctx context.Context, env *Env, cs []planned) ([]CollectorResult, error) {
	results := make([]CollectorResult, len(cs))
	var unreachable error
	if !env.Options.Reachable {
		unreachable = probe(ctx, env)
	}
	if unreachable == nil && needsSweep(cs) {
		sweepFirst(ctx, env)
	}
	var mu sync.Mutex // observers need not be concurrency-safe
	notify := func(f func(Observer)) {
		if o := env.Options.Observer; o != nil {
			mu.Lock()
			defer mu.Unlock()
			f(o)
		}
	}
	var g errgroup.Group
	g.SetLimit(env.Options.Concurrency)
	for i, p := range cs {
		results[i] = CollectorResult{Title: p.title, Type: p.key}
		switch {
		case p.excluded:
			results[i].Outcome = OutcomeExcluded
		case unreachable != nil && p.key != "data":
			results[i].Outcome = OutcomeFailed
			results[i].Errors = []string{because(ctx, unreachable)}
		default:
			g.Go(func() error {
				notify(func(o Observer) { o.CollectorStarted(p.title) })
				results[i] = runOne(ctx, env, p)
				notify(func(o Observer) { o.CollectorFinished(results[i]) })
				return nil
			})
			continue
		}
		notify(func(o Observer) { o.CollectorFinished(results[i]) })
	}
	_ = g.Wait()
	return results, unreachable
}

func runOne(ctx context.Context, parent *Env, p planned) CollectorResult {
	env := &Env{Client: parent.Client, Dynamic: parent.Dynamic, Config: parent.Config,
		Out: parent.Out, Log: parent.Log.With("collector", p.title), Title: p.title, Options: parent.Options,
		left: parent.left, watchdog: parent.watchdog}
	start := env.Options.Now()
	env.Log.Debug("collector started")
	err := p.collector.Collect(ctx, env)
	d := env.Options.Now().Sub(start)
	r := CollectorResult{Title: p.title, Type: p.key, Started: start.UTC(), Duration: d, Millis: d.Milliseconds(), Outcome: OutcomeOK}
	// Why it failed comes first: it is what progress lines and the run
	// summary show of a collector ("clean up: …" after a stall is not).
	if err != nil {
		r.Errors = appendNew(r.Errors, because(ctx, err))
		r.Outcome = OutcomeFailed
	}
	for _, e := range env.partialErrors() {
		r.Errors = appendNew(r.Errors, because(ctx, e))
		if r.Outcome == OutcomeOK {
			r.Outcome = OutcomePartial
		}
	}
	env.Log.Debug("collector finished", "outcome", r.Outcome, "duration", d)
	return r
}

// because is err's text, or the cause of the run's end when err is only
// its symptom: "API server at … stopped answering after 10s (…)" says
// what happened where "context canceled" does not.
func because(ctx context.Context, err error) string {
	return causeOf(ctx, err).Error()
}

// causeOf is the stall that ended the run when err is a symptom of it (a
// cancelled request, a clean-up that ran out of time), err otherwise.
func causeOf(ctx context.Context, err error) error {
	var stall *liveness.StalledError
	if !errors.As(context.Cause(ctx), &stall) {
		return err
	}
	symptom := errors.As(err, new(*liveness.StalledError)) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		strings.Contains(err.Error(), context.Canceled.Error()) || strings.Contains(err.Error(), context.DeadlineExceeded.Error())
	if !symptom {
		return err
	}
	var cleanup *cleanupError
	if errors.As(err, &cleanup) {
		return &cleanupError{err: stall}
	}
	return stall
}

// appendNew appends s to list unless it is there: a stall fails many
// requests of a collector with one reason.
func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// probe asks the server for its version; a failure other than an API error
// (refused, timeout, TLS, unauthorised) means nothing else will work either.
func probe(ctx context.Context, env *Env) error {
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	_, err := env.restClient().Get().AbsPath("/version").DoRaw(pctx)
	if err == nil {
		return nil
	}
	return fmt.Errorf("cluster unreachable: %w", err)
}
