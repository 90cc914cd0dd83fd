package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/mesosphere/dkp-diagnose/lib/collect"
	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
	"github.com/mesosphere/dkp-diagnose/lib/targets"
)

// SummaryFile is the run summary written beside the bundles.
const SummaryFile = "summary.json"

// Target statuses in the run summary.
const (
	StatusOK      = "ok"
	StatusPartial = "partial"
	StatusFailed  = "failed"
	StatusSkipped = "skipped"
)

// Summary is a run's summary: every target, with its bundle or why there is
// none. It is printed as a table on stderr, as JSON on stdout with
// --output json, and written to <output-dir>/summary.json.
type Summary struct {
	Started    time.Time       `json:"started"`
	DurationMs int64           `json:"durationMs"`
	OutputDir  string          `json:"outputDir"`
	Targets    []TargetSummary `json:"targets"`
	Notes      []string        `json:"notes,omitempty"`
}

// TargetSummary is one target's line in the summary.
type TargetSummary struct {
	Role      targets.Role `json:"role"`
	Name      string       `json:"name"`
	Namespace string       `json:"namespace,omitempty"`
	Source    string       `json:"source,omitempty"`
	Server    string       `json:"server,omitempty"`
	Prefix    string       `json:"prefix,omitempty"`
	// Status is ok, partial (some collectors failed), failed (no collector
	// succeeded, or no bundle) or skipped.
	Status     string               `json:"status"`
	Bundle     string               `json:"bundle,omitempty"`
	Bytes      int64                `json:"bytes,omitempty"`
	DurationMs int64                `json:"durationMs,omitempty"`
	Collectors *CollectorCounts     `json:"collectors,omitempty"`
	Error      string               `json:"error,omitempty"`
	Skipped    string               `json:"skippedReason,omitempty"`
	Probe      *targets.ProbeResult `json:"probe,omitempty"`
}

// CollectorCounts counts collector outcomes of one bundle.
type CollectorCounts struct {
	Total    int `json:"total"`
	OK       int `json:"ok"`
	Failed   int `json:"failed"`
	Excluded int `json:"excluded,omitempty"`
}

func (o *options) checkOutputFormat() error {
	if o.output != "text" && o.output != "json" {
		return fmt.Errorf("--output %q: want text or json", o.output)
	}
	return nil
}

// resolve turns the target flags into a plan.
func (o *options) resolve(ctx context.Context, probe bool) (*targets.Plan, error) {
	if err := o.checkOutputFormat(); err != nil {
		return nil, err
	}
	var only []targets.ClusterRef
	for _, c := range o.clusters {
		r, err := targets.ParseClusterRef(c)
		if err != nil {
			return nil, err
		}
		only = append(only, r)
	}
	policy, err := o.kubeconfigPolicy()
	if err != nil {
		return nil, err
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = o.kubeconfig
	plan, err := targets.Resolve(ctx, targets.Request{
		Rules:     rules,
		Overrides: &o.overrides,
		Bootstrap: o.bootstrap || o.bootstrapKubeconfig != "",
		BootstrapOpts: targets.BootstrapOptions{
			ClusterName: o.bootstrapClusterName,
			Kubeconfig:  o.bootstrapKubeconfig,
		},
		AllClusters: o.allClusters,
		Only:        only,
		Kubeconfigs: policy,
		Probe:       probe,
		Prefix:      o.prefix,
	})
	if err != nil {
		return nil, err
	}
	for _, d := range plan.Duplicates {
		plan.Skipped = append(plan.Skipped, targets.Skipped{
			Role: d.Dropped.Role, Name: d.Dropped.Name, Namespace: d.Dropped.Namespace, Source: d.Dropped.Source,
			Reason: fmt.Sprintf("same cluster as %s %s (%s), collected once", d.Kept.Role, d.Kept.Label(), d.Why),
		})
	}
	for _, t := range plan.Targets {
		t.Config.QPS, t.Config.Burst = o.qps, o.burst
		t.Config.UserAgent = "dkp-diagnose/" + Version
	}
	return plan, nil
}

// collectAll collects from every target of the plan, o.parallelTargets at a
// time; one target failing never stops the others.
func (o *options) collectAll(ctx context.Context, plan *targets.Plan, s *spec.Spec, base collect.Options, d display, stdout, stderr io.Writer) error {
	o.multi = len(plan.Targets)+len(plan.Skipped) > 1
	started := time.Now()
	results := make([]TargetSummary, len(plan.Targets))
	progress := make([]*targetProgress, len(plan.Targets))
	for i, t := range plan.Targets {
		progress[i] = d.target(t, len(s.Collectors))
	}
	sem := make(chan struct{}, o.parallelTargets)
	var wg sync.WaitGroup
	for i, t := range plan.Targets {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = o.collectOne(ctx, t, s, base, d, progress[i])
		})
	}
	wg.Wait()
	d.close()
	// Error texts come from API servers: keep their control characters
	// off the terminal and out of CI logs.
	stderr = cleanWriter{w: stderr}

	sum := &Summary{Started: started.UTC(), DurationMs: time.Since(started).Milliseconds(), OutputDir: o.outputDir, Targets: results, Notes: plan.Notes}
	for _, sk := range plan.Skipped {
		ts := TargetSummary{Role: sk.Role, Name: sk.Name, Namespace: sk.Namespace, Source: sk.Source, Status: StatusSkipped, Skipped: sk.Reason}
		if sk.Failure {
			ts.Status, ts.Error, ts.Skipped = StatusFailed, sk.Reason, ""
		}
		sum.Targets = append(sum.Targets, ts)
	}
	if err := writeSummary(o.outputDir, sum); err != nil {
		fmt.Fprintf(stderr, "dkp-diagnose: write %s: %v\n", SummaryFile, err)
	}
	if o.verbosity() > quiet {
		printSummaryTable(stderr, sum)
	}
	if o.output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(sum); err != nil {
			return failedError(err)
		}
	} else {
		for _, t := range sum.Targets {
			if t.Bundle != "" {
				fmt.Fprintln(stdout, t.Bundle)
			}
		}
	}
	return exitFor(ctx, sum)
}

// exitFor: 0 when every target is ok, 1 when no bundle was written at all, 3
// when bundles were written but a target failed or was partial.
func exitFor(ctx context.Context, sum *Summary) error {
	bundles, bad := 0, 0
	var firstErr string
	for _, t := range sum.Targets {
		if t.Bundle != "" {
			bundles++
		}
		if t.Status == StatusFailed || t.Status == StatusPartial {
			bad++
			if firstErr == "" && t.Error != "" {
				firstErr = t.Error
			}
		}
	}
	switch {
	case bundles == 0 && ctx.Err() != nil:
		return failedError(errors.New("interrupted: no bundle written"))
	case bundles == 0 && len(sum.Targets) == 1 && firstErr != "":
		return failedError(errors.New(firstErr))
	case bundles == 0 && firstErr != "":
		return failedError(fmt.Errorf("no bundle written; first error: %s", firstErr))
	case bundles == 0:
		return failedError(errors.New("no bundle written"))
	case bad > 0:
		return partialExit()
	}
	return nil
}

func (o *options) collectOne(ctx context.Context, t *targets.Target, s *spec.Spec, base collect.Options, d display, p *targetProgress) TargetSummary {
	ts := TargetSummary{Role: t.Role, Name: t.Name, Namespace: t.Namespace, Source: t.Source, Server: t.Server, Prefix: t.Prefix, Probe: t.Probe}
	defer func() { p.end(ts) }()
	opts := base
	opts.Log = newLogger(d.logWriter(), o.verbosity(), t)
	opts.Namespace = t.DefaultNamespace
	opts.Prefix = t.Prefix
	opts.Observer = p
	p.begin(t.Config.Host)
	began := time.Now()
	res, err := collect.Run(ctx, t.Config, s, opts)
	if err != nil {
		ts.Status, ts.Error, ts.DurationMs = StatusFailed, err.Error(), time.Since(began).Milliseconds()
		if errors.Is(err, collect.ErrInterrupted) {
			ts.Error = "interrupted: no bundle written"
		}
		if o.multi {
			d.warnf("%s: %s", targetLabel(t), ts.Error)
		}
		return ts
	}
	c := &CollectorCounts{Total: len(res.Collectors)}
	for _, r := range res.Collectors {
		switch r.Outcome {
		case collect.OutcomeFailed, collect.OutcomePartial:
			c.Failed++
			if ts.Error == "" && len(r.Errors) > 0 {
				ts.Error = firstLine(r.Errors[0])
			}
		case collect.OutcomeExcluded:
			c.Excluded++
		default:
			c.OK++
		}
	}
	if res.Stopped != "" {
		ts.Error = res.Stopped // the cause, not its symptom in a collector
	}
	ts.Bundle, ts.Bytes, ts.DurationMs, ts.Collectors = res.Path, res.Bytes, res.Duration.Milliseconds(), c
	switch {
	case c.Failed == 0:
		ts.Status = StatusOK
	case c.OK == 0:
		ts.Status = StatusFailed
	default:
		ts.Status = StatusPartial
	}
	d.infof("wrote %s (%d bytes, %d collectors, %d failed, %d redactions) in %s",
		res.Path, res.Bytes, len(res.Collectors), res.Failed(), res.Redactions, res.Duration.Round(time.Millisecond))
	return ts
}

// writeSummary writes summary.json atomically.
func writeSummary(dir string, sum *Summary) error {
	data, err := json.MarshalIndent(sum, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".summary-*.json")
	if err != nil {
		return err
	}
	if _, err := f.Write(append(data, '\n')); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), filepath.Join(dir, SummaryFile))
}

func printSummaryTable(w io.Writer, sum *Summary) {
	fmt.Fprintln(w, "\nsummary:")
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ROLE\tCLUSTER\tSTATUS\tCOLLECTORS OK/FAILED\tSIZE\tTIME\tBUNDLE OR REASON")
	for _, t := range sum.Targets {
		cols, size, dur := "-", "-", "-"
		if t.Collectors != nil {
			cols = fmt.Sprintf("%d/%d", t.Collectors.OK, t.Collectors.Failed)
		}
		if t.Bundle != "" {
			size = humanBytes(t.Bytes)
			dur = (time.Duration(t.DurationMs) * time.Millisecond).String()
		}
		what := t.Bundle
		switch {
		case t.Status == StatusSkipped:
			what = t.Skipped
		case t.Bundle == "":
			what = t.Error
		case t.Error != "":
			what += "  (" + truncate(t.Error, 100) + ")"
		}
		label := t.Name
		if t.Namespace != "" {
			label = t.Namespace + "/" + t.Name
		}
		// Names and errors come from kubeconfigs and API servers: a tab in
		// them would shift the table's columns.
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.Role, cleanText(label), t.Status, cols, size, dur, cleanText(what))
	}
	tw.Flush()
	fmt.Fprintf(w, "%d targets in %s; summary in %s\n", len(sum.Targets),
		(time.Duration(sum.DurationMs) * time.Millisecond).Round(time.Millisecond), filepath.Join(sum.OutputDir, SummaryFile))
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1fMiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1fKiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%dB", n)
}

func truncate(s string, n int) string {
	s = firstLine(s)
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// syncWriter serialises writes of concurrent targets to stderr.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// TargetList is what "dkp-diagnose targets --output json" prints.
type TargetList struct {
	Targets []*targets.Target `json:"targets"`
	Skipped []targets.Skipped `json:"skipped,omitempty"`
	Notes   []string          `json:"notes,omitempty"`
}

// listTargets prints the resolved targets with their reachability and
// collects nothing. Exit 3 when a target is unreachable or could not be
// resolved.
func (o *options) listTargets(ctx context.Context, stdout, stderr io.Writer) error {
	plan, err := o.resolve(ctx, true)
	if err != nil {
		return usageError(err)
	}
	for _, n := range plan.Notes {
		fmt.Fprintln(stderr, cleanText(n))
	}
	if o.output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(TargetList{Targets: plan.Targets, Skipped: plan.Skipped, Notes: plan.Notes}); err != nil {
			return failedError(err)
		}
	} else {
		printTargetTable(stdout, plan)
	}
	if unreachable(plan) {
		return partialExit()
	}
	return nil
}

// unreachable reports whether a probed plan has a target that did not
// answer or could not be resolved.
func unreachable(plan *targets.Plan) bool {
	for _, t := range plan.Targets {
		if t.Probe == nil || !t.Probe.Reachable {
			return true
		}
	}
	for _, s := range plan.Skipped {
		if s.Failure {
			return true
		}
	}
	return false
}

// printTargetTable prints a probed plan's targets, then the skipped ones.
func printTargetTable(w io.Writer, plan *targets.Plan) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ROLE\tCLUSTER\tSERVER\tREACHABLE\tPREFIX\tSOURCE OR REASON")
	for _, t := range plan.Targets {
		reach := "no"
		if t.Probe != nil && t.Probe.Reachable {
			reach = "yes " + t.Probe.Version
		} else if t.Probe != nil {
			reach = "no: " + truncate(t.Probe.Error, 80)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.Role, cleanText(t.Label()), t.Server, cleanText(reach), t.Prefix, cleanText(t.Source))
	}
	for _, s := range plan.Skipped {
		status := "skipped"
		if s.Failure {
			status = "failed"
		}
		fmt.Fprintf(tw, "%s\t%s\t-\t%s\t-\t%s\n", s.Role, cleanText(s.Label()), status, cleanText(s.Reason))
	}
	tw.Flush()
}

func newTargetsCommand(o *options, stdout, stderr io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "targets",
		Short: "List the clusters a run would collect from, with their reachability, without collecting",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := o.applySettings(cmd, nil); err != nil {
				return usageError(err)
			}
			return o.listTargets(cmd.Context(), stdout, stderr)
		},
	}
}
