package collect

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"sigs.k8s.io/yaml"

	"github.com/mesosphere/dkp-diagnose/lib/collect/redact"
	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

// Paths of the files every bundle has besides the collectors' own.
const (
	versionFile        = "version.yaml"
	executionDir       = "execution-data/"
	summaryFile        = executionDir + "summary.json"
	summaryTextFile    = executionDir + "summary.txt"
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
	// Stopped is Result.Stopped: the run's time limit ended collection.
	Stopped string `json:"stopped,omitempty"`
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
		DurationMs: res.Duration.Milliseconds(), Collectors: res.Collectors, Stopped: res.Stopped,
	}
	if err := out.WriteJSON(summaryFile, sum); err != nil {
		return err
	}
	if err := out.WriteFile(summaryTextFile, summaryText(res)); err != nil {
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

// summaryText is execution-data/summary.txt in troubleshoot.sh's layout:
// each collector's time, longest first, marked with its outcome. It is for
// people; summary.json is for programs.
func summaryText(res *Result) []byte {
	const legend = "Succeeded (S), eXcluded (X), Failed (F), Partial (P)\n"
	const rule = "=============================================\n"
	p := message.NewPrinter(language.English) // 1,234ms, as troubleshoot.sh writes
	cs := slices.Clone(res.Collectors)
	slices.SortStableFunc(cs, func(a, b CollectorResult) int { return cmp.Compare(b.Duration, a.Duration) })
	mark := map[Outcome]string{OutcomeOK: "S", OutcomeExcluded: "X", OutcomeFailed: "F", OutcomePartial: "P"}
	width := 0
	for _, c := range cs {
		width = max(width, len(c.Title)+4)
	}
	var b strings.Builder
	b.WriteString("============ Collectors summary =============\n" + legend + rule)
	if len(cs) == 0 {
		b.WriteString("No collectors executed\n")
	}
	for _, c := range cs {
		b.WriteString(p.Sprintf("%-*s : %dms\n", width, c.Title+" ("+mark[c.Outcome]+")", c.Duration.Milliseconds()))
	}
	b.WriteString("\n============ Redactors summary =============\nNo redactors executed\n")
	b.WriteString("\n============= Analyzers summary =============\n" + legend + rule + "No analyzers executed\n")
	b.WriteString(p.Sprintf("\nDuration: %dms\n", res.Duration.Milliseconds()))
	return []byte(b.String())
}
