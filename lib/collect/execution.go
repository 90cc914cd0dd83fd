package collect

import (
	"fmt"
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
