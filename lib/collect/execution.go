package collect

import (
	"fmt"
	"regexp/syntax"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/mesosphere/dkp-diagnose/lib/collect/redact"
	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

// Paths of the files every bundle has besides the collectors' own.
const (
	versionFile        = "version.yaml"
	executionDir       = "execution-data/"
	summaryFile        = executionDir + "summary.json"
	redactionFile      = executionDir + "redaction-report.json"
	resolvedSpecFile   = executionDir + "spec.yaml"
	bundleFormatNumber = "dkp-diagnose"
)

// runSummary is execution-data/summary.json: what ran, for how long, and
// what failed, so that support can tell missing data from absent data.
type runSummary struct {
	Tool       string            `json:"tool"`
	Version    string            `json:"version"`
	Server     string            `json:"server"`
	Started    time.Time         `json:"started"`
	DurationMs int64             `json:"durationMs"`
	Collectors []CollectorResult `json:"collectors"`
}

func writeExecutionData(out *Output, s *spec.Spec, res *Result, report redact.Report, opts *Options) error {
	version := map[string]any{
		"apiVersion": spec.APIVersion,
		"kind":       spec.KindSupportBundle,
		"spec": map[string]any{
			"runner":        bundleFormatNumber,
			"versionNumber": opts.ToolVersion,
		},
	}
	vy, err := yaml.Marshal(version)
	if err != nil {
		return fmt.Errorf("encode %s: %w", versionFile, err)
	}
	if err := out.WriteFile(versionFile, vy); err != nil {
		return err
	}
	sum := runSummary{
		Tool: "dkp-diagnose", Version: opts.ToolVersion, Server: res.Server, Started: res.Started,
		DurationMs: res.Duration.Milliseconds(), Collectors: res.Collectors,
	}
	if err := out.WriteJSON(summaryFile, sum); err != nil {
		return err
	}
	if err := out.WriteJSON(redactionFile, report); err != nil {
		return err
	}
	sy, err := yaml.Marshal(bundleSpec(s))
	if err != nil {
		return fmt.Errorf("encode %s: %w", resolvedSpecFile, err)
	}
	return out.WriteFile(resolvedSpecFile, sy)
}

// bundleSpec is the spec as execution-data/spec.yaml shows it: a Redactor
// rule's literal values, and regexes that are nothing but literals, are the
// very secrets the rule hides, so they are masked (the rule's name,
// selectors and paths stay, to tell which rules ran). The spec itself is
// not changed.
func bundleSpec(s *spec.Spec) *spec.Spec {
	if s == nil || len(s.Redactors) == 0 {
		return s
	}
	out := *s
	out.Redactors = make([]*spec.Redact, len(s.Redactors))
	for i, r := range s.Redactors {
		if r == nil {
			continue
		}
		c := *r
		c.Removals.Values = make([]string, len(r.Removals.Values))
		for j := range r.Removals.Values {
			c.Removals.Values[j] = redact.Mask
		}
		c.Removals.Regex = make([]spec.Regex, len(r.Removals.Regex))
		for j, re := range r.Removals.Regex {
			if literalRegex(re.Redactor) {
				re.Redactor = redact.Mask
			}
			if literalRegex(re.Selector) {
				re.Selector = redact.Mask
			}
			c.Removals.Regex[j] = re
		}
		out.Redactors[i] = &c
	}
	return &out
}

// literalRegex reports whether a regex matches only literal strings (a
// string, or alternatives of strings, maybe in groups): such a regex is a
// list of the secrets themselves. An empty one is not.
func literalRegex(expr string) bool {
	if expr == "" {
		return false
	}
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return false
	}
	var literal func(re *syntax.Regexp) bool
	literal = func(re *syntax.Regexp) bool {
		switch re.Op {
		case syntax.OpLiteral, syntax.OpEmptyMatch:
			return true
		case syntax.OpCapture, syntax.OpConcat, syntax.OpAlternate:
			for _, sub := range re.Sub {
				if !literal(sub) {
					return false
				}
			}
			return true
		case syntax.OpCharClass:
			// (?i) literals parse as classes of one letter in two
			// cases: ranges of single characters.
			for i := 0; i+1 < len(re.Rune); i += 2 {
				if re.Rune[i] != re.Rune[i+1] {
					return false
				}
			}
			return len(re.Rune) <= 4
		}
		return false
	}
	return literal(re)
}
