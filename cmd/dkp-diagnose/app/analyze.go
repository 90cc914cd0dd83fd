package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/mesosphere/dkp-diagnose/lib/analyze"
	"github.com/mesosphere/dkp-diagnose/lib/analyze/builtin"
	"github.com/mesosphere/dkp-diagnose/lib/analyze/bundlefs"
	"github.com/mesosphere/dkp-diagnose/lib/analyze/fleetsteps"
	"github.com/mesosphere/dkp-diagnose/lib/analyze/troubleshoot"
	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

type analyzeOptions struct {
	specs   []string
	output  string
	builtin bool
}

func newAnalyzeCommand(stdout, stderr io.Writer) *cobra.Command {
	o := &analyzeOptions{}
	cmd := &cobra.Command{
		Use:   "analyze BUNDLE...",
		Short: "Find what is wrong in support bundles, offline",
		Long: `analyze runs analyzers over support bundles: dkp-diagnose's or troubleshoot.sh's,
as .tar.gz files or extracted folders, or a folder holding the bundles of one run.

With --spec, the troubleshoot analyzers of the spec files run (the analyzers:
of SupportBundle documents and kind: Analyzer documents). Without, the
results recorded in each bundle's analysis.json at collection time are read.
The built-in analyzers (Cluster API conditions, failing workloads, nodes,
certificates) run as well unless --builtin=false.
The exit code is 4 when an outcome is a failure. See docs/analyze.md.`,
		Args:          cobra.MinimumNArgs(1),
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.Context(), args, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.specs, "spec", nil, "spec file whose analyzers to run (repeatable); default: each bundle's analysis.json")
	f.StringVarP(&o.output, "output", "o", "text", "stdout format: text (a table) or json (troubleshoot's analysis.json format)")
	f.BoolVar(&o.builtin, "builtin", true, "also run the built-in analyzers (Cluster API, workloads, nodes, certificates); false: troubleshoot analyzers only")
	return cmd
}

// bundleAnalysis is what analyze found in one bundle.
type bundleAnalysis struct {
	path    string
	results []*troubleshoot.Result
}

func (o *analyzeOptions) run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if o.output != "text" && o.output != "json" {
		return usageError(fmt.Errorf("--output %q: want text or json", o.output))
	}
	var analyzers []*spec.Analyze
	if len(o.specs) > 0 {
		s, err := spec.LoadFiles(o.specs...)
		if err != nil {
			return usageError(err)
		}
		if len(s.Analyzers) == 0 {
			return usageError(fmt.Errorf("spec %s: no analyzers", strings.Join(o.specs, ", ")))
		}
		analyzers = s.Analyzers
	}
	paths, err := expandBundles(args)
	if err != nil {
		return usageError(err)
	}
	var all []bundleAnalysis
	for _, p := range paths {
		rs, err := analyzeOne(ctx, p, analyzers, o.builtin)
		if err != nil {
			return usageError(err)
		}
		all = append(all, bundleAnalysis{path: p, results: rs})
	}
	if o.output == "json" {
		err = writeAnalysisJSON(stdout, all)
	} else {
		err = writeAnalysisTable(stdout, all)
	}
	if err != nil {
		return failedError(err)
	}
	counts := map[analyze.Severity]int{}
	for _, b := range all {
		for _, r := range b.results {
			counts[r.Severity()]++
		}
	}
	fmt.Fprintf(stderr, "%d bundle(s): %d fail, %d warn, %d pass\n", len(all),
		counts[analyze.SeverityFail], counts[analyze.SeverityWarn], counts[analyze.SeverityPass])
	if counts[analyze.SeverityFail] > 0 {
		return findingsExit()
	}
	return nil
}

// expandBundles turns arguments into bundle paths: an archive or a bundle
// folder as is, a folder of archives (one run's output) into its archives.
func expandBundles(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		fi, err := os.Stat(a)
		if err != nil {
			return nil, fmt.Errorf("bundle: %w", err)
		}
		if !fi.IsDir() || bundlefs.IsBundleDir(a) {
			out = append(out, a)
			continue
		}
		archives, err := bundlefs.Archives(a)
		if err != nil {
			return nil, fmt.Errorf("bundle folder %q: %w", a, err)
		}
		if len(archives) == 0 {
			return nil, fmt.Errorf("bundle folder %q: neither a bundle nor a folder of .tar.gz bundles", a)
		}
		out = append(out, archives...)
	}
	return out, nil
}

// analyzeOne opens a bundle and runs analyzers over it, or reads its
// analysis.json when there are none; the bundle analyzers' findings follow.
// Of an archive, only the files the analyzers read are extracted (pod logs
// are most of a bundle, and read only by a spec's textAnalyze).
func analyzeOne(ctx context.Context, p string, analyzers []*spec.Analyze, useBuiltin bool) ([]*troubleshoot.Result, error) {
	tsReads := troubleshoot.Reads(analyzers)
	want := func(name string) bool {
		return name == troubleshoot.AnalysisFile || tsReads(name) || (useBuiltin && builtin.Reads(name))
	}
	b, err := bundlefs.Open(p, bundlefs.Options{Want: want})
	if err != nil {
		return nil, err
	}
	defer b.Close()
	var (
		rs    []*troubleshoot.Result
		found []analyze.Finding
	)
	switch {
	case useBuiltin:
		found, rs, err = fleetsteps.AnalyzeBundle(ctx, b, builtin.Options{}, analyzers)
	case analyzers != nil:
		rs, err = troubleshoot.Run(ctx, b, analyzers)
	}
	if err != nil {
		return nil, fmt.Errorf("analyze %s: %w", p, err)
	}
	if analyzers == nil {
		data, err := fs.ReadFile(b, troubleshoot.AnalysisFile)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("bundle %s: %w", p, err)
		default:
			if rs, err = troubleshoot.ParseAnalysis(data); err != nil {
				return nil, fmt.Errorf("bundle %s: %w", p, err)
			}
		}
	}
	for _, f := range found {
		rs = append(rs, resultOf(f))
	}
	return rs, nil
}

// resultOf shows a finding as a troubleshoot result, so that one table and
// one analysis.json format hold both.
func resultOf(f analyze.Finding) *troubleshoot.Result {
	r := &troubleshoot.Result{Title: f.Title, Message: f.Message, Analyzer: f.Analyzer, File: f.File}
	switch f.Severity {
	case analyze.SeverityFail:
		r.IsFail = true
	case analyze.SeverityWarn:
		r.IsWarn = true
	case analyze.SeverityPass:
		r.IsPass = true
	}
	return r
}

func writeAnalysisJSON(w io.Writer, all []bundleAnalysis) error {
	var v any
	if len(all) == 1 {
		v = troubleshoot.Analysis(all[0].results)
	} else {
		m := map[string][]*troubleshoot.AnalysisEntry{}
		for _, b := range all {
			m[b.path] = troubleshoot.Analysis(b.results)
		}
		v = m
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "    ")
	return enc.Encode(v)
}

func writeAnalysisTable(w io.Writer, all []bundleAnalysis) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for i, b := range all {
		if len(all) > 1 {
			if i > 0 {
				fmt.Fprintln(tw)
			}
			fmt.Fprintf(tw, "%s\n", filepath.Base(b.path))
		}
		if len(b.results) == 0 {
			fmt.Fprintln(tw, "no analyzer results")
			continue
		}
		findings := troubleshoot.Findings(b.results)
		analyze.Sort(findings)
		fmt.Fprintln(tw, "SEVERITY\tCHECK\tMESSAGE\tFILE")
		for _, f := range findings {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Severity, oneLine(f.Title), oneLine(f.Message), f.File)
		}
	}
	return tw.Flush()
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 160 {
		s = s[:157] + "..."
	}
	return s
}
