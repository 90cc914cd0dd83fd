package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/mesosphere/dkp-diagnose/lib/analyze"
	"github.com/mesosphere/dkp-diagnose/lib/analyze/builtin"
	"github.com/mesosphere/dkp-diagnose/lib/analyze/fleetsteps"
	"github.com/mesosphere/dkp-diagnose/lib/analyze/report"
	"github.com/mesosphere/dkp-diagnose/lib/collect"
	"github.com/mesosphere/dkp-diagnose/lib/fleet"
	"github.com/mesosphere/dkp-diagnose/lib/targets"
)

// The run summary is lib/fleet's; these names keep the command's API (and
// the tests reading summary.json through it) as it was.
type (
	// Summary is fleet.Summary: summary.json.
	Summary = fleet.Summary
	// TargetSummary is fleet.TargetSummary.
	TargetSummary = fleet.TargetSummary
	// CollectorCounts is fleet.CollectorCounts.
	CollectorCounts = fleet.CollectorCounts
)

// SummaryFile is the run summary written beside the bundles.
const SummaryFile = fleet.SummaryFile

// Target statuses in the run summary.
const (
	StatusOK      = fleet.StatusOK
	StatusPartial = fleet.StatusPartial
	StatusFailed  = fleet.StatusFailed
	StatusSkipped = fleet.StatusSkipped
)

func (o *options) checkOutputFormat() error {
	if o.output != "text" && o.output != "json" {
		return fmt.Errorf("--output %q: want text or json", o.output)
	}
	return nil
}

// resolve turns the target flags into a plan; the library's typed errors
// and skip reasons get the flag hints they call for. edit, if given,
// changes the request the flags make (an in-cluster run's local part).
func (o *options) resolve(ctx context.Context, probe bool, edit ...func(*targets.Request)) (*targets.Plan, error) {
	if err := o.checkOutputFormat(); err != nil {
		return nil, err
	}
	var only []targets.ClusterRef
	for _, c := range o.clusters {
		r, err := targets.ParseClusterRef(c)
		if err != nil {
			return nil, withFlagHint(err)
		}
		only = append(only, r)
	}
	policy, err := o.kubeconfigPolicy()
	if err != nil {
		return nil, err
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = o.kubeconfig
	req := targets.Request{
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
	}
	for _, e := range edit {
		e(&req)
	}
	plan, err := targets.Resolve(ctx, req)
	if err != nil {
		return nil, withFlagHint(err)
	}
	for i, sk := range plan.Skipped {
		if sk.Err != nil {
			plan.Skipped[i].Reason = withFlagHint(sk.Err).Error()
		}
	}
	return plan, nil
}

// collectAll runs the fleet over the plan, showing its progress on d, then
// prints the summary: a table on stderr, bundle paths or the JSON summary on
// stdout.
func (o *options) collectAll(ctx context.Context, plan *targets.Plan, work *collect.Plan, base collect.Options, d display, stdout, stderr io.Writer) error {
	sum, err := fleet.Run(ctx, plan, work, o.fleetOptions(base, d, o.rowsObserver(plan, work, d), true))
	d.close()
	return o.finishRun(sum, err, stdout, stderr)
}

// rowsObserver shows the plan's targets as rows of d.
func (o *options) rowsObserver(plan *targets.Plan, work *collect.Plan, d display) *fleetObserver {
	obs := &fleetObserver{d: d, rows: map[*targets.Target]*targetProgress{}, multi: len(plan.Targets)+len(plan.Skipped) > 1}
	for _, t := range plan.Targets {
		obs.rows[t] = d.target(t, len(work.Collectors()))
	}
	return obs
}

// fleetOptions are the settings of a fleet run from the flags, its
// library log on d and its progress to obs. With analysis on, each
// bundle is analysed; the fleet report is made too when report is set
// (a run that is part of a larger one leaves it to the whole).
func (o *options) fleetOptions(base collect.Options, d display, obs fleet.Observer, report bool) fleet.Options {
	fo := fleet.Options{
		OutputDir: o.outputDir, Parallel: o.parallelTargets, Collect: base,
		QPS: o.qps, Burst: o.burst, UserAgent: "dkp-diagnose/" + Version,
		Log: newLogger(d.logWriter(), o.verbosity()), Observer: obs,
	}
	if o.analyze {
		fleetsteps.New(builtin.Options{}, "dkp-diagnose "+Version).Options(&fo)
		if !report {
			fo.RunSteps = nil
		}
	}
	return fo
}

// finishRun prints a run's summary — a table on stderr, bundle paths or
// the JSON summary on stdout — and turns it into the exit code.
func (o *options) finishRun(sum *Summary, err error, stdout, stderr io.Writer) error {
	// Error texts come from API servers: keep their control characters
	// off the terminal and out of CI logs.
	stderr = cleanWriter{w: stderr}
	if sum == nil {
		return failedError(err)
	}
	if err != nil {
		fmt.Fprintf(stderr, "dkp-diagnose: %v\n", err)
	}
	if o.verbosity() > quiet {
		printSummaryTable(stderr, sum)
		if o.analyze {
			printTopFindings(stderr, sum, topFindings)
		}
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
	switch sum.ExitCode() {
	case fleet.ExitFailed:
		return failedError(sum.Err())
	case fleet.ExitPartial:
		return partialExit()
	}
	return nil
}

// fleetObserver shows a fleet run on the display: each target's row (its
// targetProgress, the collect.Observer of its collectors) and a line when
// it is done.
type fleetObserver struct {
	d     display
	rows  map[*targets.Target]*targetProgress // filled before the run, read-only during it
	multi bool                                // more than one target: name the target in failures
}

// TargetStarted implements fleet.Observer.
func (f *fleetObserver) TargetStarted(t *targets.Target) collect.Observer {
	p := f.rows[t]
	p.begin(t.Config.Host)
	return p
}

// TargetFinished implements fleet.Observer.
func (f *fleetObserver) TargetFinished(t *targets.Target, ts TargetSummary) {
	f.rows[t].end(ts)
	targetEnded(f.d, t, ts, f.multi)
}

// targetEnded prints a finished target's line: its bundle or, when the
// run has several targets, why it has none.
func targetEnded(d display, t *targets.Target, ts TargetSummary, multi bool) {
	if ts.Bundle == "" {
		if multi {
			d.warnf("%s: %s", targetLabel(t), ts.Error)
		}
		return
	}
	var total, failed int
	if ts.Collectors != nil {
		total, failed = ts.Collectors.Total, ts.Collectors.Failed
	}
	d.infof("wrote %s (%d bytes, %d collectors, %d failed, %d redactions) in %s",
		ts.Bundle, ts.Bytes, total, failed, ts.Redactions, time.Duration(ts.DurationMs)*time.Millisecond)
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

// topFindings is how many findings per cluster the terminal shows; the
// report has them all.
const topFindings = 3

// printTopFindings lists each cluster's worst failures and warnings, and
// where the whole report is.
func printTopFindings(w io.Writer, sum *Summary, n int) {
	var all []analyze.Finding
	for _, t := range sum.Targets {
		all = append(all, t.Findings...)
	}
	all = append(all, sum.Findings...)
	top := report.Top(all, n)
	if len(top) == 0 {
		// The analyzers read only what was collected: after a failed
		// target or Ctrl-C, "nothing found" would overstate it.
		scope := ""
		if sum.Interrupted || sum.Status() != fleet.StatusOK {
			scope = " in the bundles written"
		}
		fmt.Fprintf(w, "no failures or warnings found%s; report in %s\n", scope, filepath.Join(sum.OutputDir, report.HTMLFile))
		return
	}
	counts := map[string]map[analyze.Severity]int{}
	for _, f := range all {
		if counts[f.Cluster] == nil {
			counts[f.Cluster] = map[analyze.Severity]int{}
		}
		counts[f.Cluster][f.Severity]++
	}
	ids := make([]string, 0, len(top))
	for id := range top {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		c := counts[id]
		fmt.Fprintf(w, "%s: %d failures, %d warnings\n", cleanText(id), c[analyze.SeverityFail], c[analyze.SeverityWarn])
		for _, f := range top[id] {
			line := f.Title
			if f.Object != "" {
				line = f.Object + ": " + line
			}
			fmt.Fprintf(w, "  %-4s %s\n", f.Severity, cleanText(line))
		}
	}
	fmt.Fprintf(w, "every finding: %s\n", filepath.Join(sum.OutputDir, report.HTMLFile))
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

// locked returns w behind a lock: w itself when it already is a
// syncWriter, so that every writer handed the same stderr shares one lock.
func locked(w io.Writer) *syncWriter {
	if s, ok := w.(*syncWriter); ok {
		return s
	}
	return &syncWriter{w: w}
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
