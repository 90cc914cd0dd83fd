package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/mesosphere/dkp-diagnose/lib/collect/redact"
	"github.com/mesosphere/dkp-diagnose/lib/collect/redactcheck"
)

// newRedactCommand is "dkp-diagnose redact --check BUNDLE...": a review of
// finished bundles for what the built-in rules would still hide.
func newRedactCommand(o *options, stdout io.Writer) *cobra.Command {
	var check bool
	cmd := &cobra.Command{
		Use:   "redact --check BUNDLE...",
		Short: "Report what the built-in redaction rules would still hide in finished bundles",
		Long: `redact --check scans support bundles — .tar.gz archives or extracted
folders, written by dkp-diagnose or by troubleshoot.sh — with the built-in
redaction rules and lists, per file and rule, every place they would mask:
line, column and length, never the value. Run it on a bundle before it
leaves the company. The exit code is 0 when nothing was found, 4 when
something was, 2 when a bundle cannot be read. --output json prints the
findings as JSON. See docs/redaction.md.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if !check {
				return usageError(errors.New("redact: --check is required (rewriting a bundle is not supported)"))
			}
			if o.output != "text" && o.output != "json" {
				return usageError(fmt.Errorf("--output %q: want text or json", o.output))
			}
			rules, err := redact.New(nil, true)
			if err != nil {
				return failedError(err)
			}
			var results []*redactcheck.Result
			found := 0
			for _, b := range args {
				res, err := redactcheck.Bundle(rules, b)
				if err != nil {
					return usageError(err)
				}
				results = append(results, res)
				found += len(res.Findings)
			}
			if err := printCheck(stdout, o.output, results); err != nil {
				return failedError(err)
			}
			if found > 0 {
				return &exitError{code: ExitFound}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&check, "check", false, "scan the bundles and report what would be hidden (required)")
	return cmd
}

// printCheck writes the results as text (one line per finding, then the
// counts per file and rule) or as JSON.
func printCheck(w io.Writer, format string, results []*redactcheck.Result) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(results)
	}
	for _, r := range results {
		files := map[string]bool{}
		for _, c := range r.Counts {
			files[c.File] = true
		}
		if _, err := fmt.Fprintf(w, "%s: %d findings in %d of %d files\n", r.Bundle, len(r.Findings), len(files), r.Files); err != nil {
			return err
		}
		for _, f := range r.Findings {
			rule := f.Rule
			if f.Detail != "" {
				rule += " (" + f.Detail + ")"
			}
			if _, err := fmt.Fprintf(w, "  %s:%d:%d: %s, %d bytes\n", f.File, f.Line, f.Column, rule, f.Length); err != nil {
				return err
			}
		}
		for _, c := range r.Counts {
			if _, err := fmt.Fprintf(w, "  %6d  %s  %s\n", c.Matches, c.Rule, c.File); err != nil {
				return err
			}
		}
	}
	return nil
}
