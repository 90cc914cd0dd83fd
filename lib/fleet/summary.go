package fleet

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/mesosphere/dkp-diagnose/lib/analyze"
	"github.com/mesosphere/dkp-diagnose/lib/collect"
	"github.com/mesosphere/dkp-diagnose/lib/targets"
)

// SummaryFile is the run summary written beside the bundles: always the
// latest run's. Each run's own copy is also kept as
// summary-<UTC start time>.json (see HistoryFile), so that runs into one
// folder lose no summary.
const SummaryFile = "summary.json"

// historyTimeFormat is the bundles' time format, so that a run's summary
// sorts and reads next to its bundles.
const historyTimeFormat = "2006-01-02T15_04_05"

// HistoryFile is the name of the kept copy of a summary of a run started at
// started: summary-<UTC time>.json.
func HistoryFile(started time.Time) string {
	return "summary-" + started.UTC().Format(historyTimeFormat) + ".json"
}

// Target statuses in the run summary.
const (
	StatusOK      = "ok"
	StatusPartial = "partial"
	StatusFailed  = "failed"
	StatusSkipped = "skipped"
)

// Exit codes of a process that runs the fleet (the CLI, an in-cluster Job),
// from Summary.ExitCode. 2 is left to the caller: bad input, before any run.
const (
	// ExitOK: every target's bundle was written and every collector
	// succeeded (skipped targets do not count).
	ExitOK = 0
	// ExitFailed: no bundle was written at all.
	ExitFailed = 1
	// ExitPartial: bundles were written but a target failed or was partial.
	ExitPartial = 3
)

// Summary is a run's summary: every target, with its bundle or why there is
// none. Its JSON form is summary.json; the CLI prints the same as a table,
// and as JSON with --output json.
type Summary struct {
	Started    time.Time       `json:"started"`
	DurationMs int64           `json:"durationMs"`
	OutputDir  string          `json:"outputDir"`
	Targets    []TargetSummary `json:"targets"`
	// Notes are one-line remarks: from resolving the targets ("no Cluster
	// API on …") and from steps that failed.
	Notes []string `json:"notes,omitempty"`
	// Interrupted is set when the run was stopped (its context cancelled)
	// before every target finished.
	Interrupted bool `json:"interrupted,omitempty"`
	// Findings are the fleet's findings, across bundles, added by run steps
	// (see Options.RunSteps).
	Findings []analyze.Finding `json:"findings,omitempty"`
	// Shards, for a run split over the pods of an in-cluster Job
	// (lib/incluster), say how each part fared. A failed shard makes the
	// run partial even when every row it reported is ok: its clusters may
	// be missing.
	Shards []ShardStatus `json:"shards,omitempty"`
}

// ShardStatus is one part of a sharded run.
type ShardStatus struct {
	Index int `json:"index"`
	Count int `json:"count"`
	// Status is ok (the shard ran; its targets say how they fared) or
	// failed (Error says why; its clusters were not collected).
	Status  string `json:"status"`
	Targets int    `json:"targets"`
	Error   string `json:"error,omitempty"`
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
	Status     string           `json:"status"`
	Bundle     string           `json:"bundle,omitempty"`
	Bytes      int64            `json:"bytes,omitempty"`
	DurationMs int64            `json:"durationMs,omitempty"`
	Collectors *CollectorCounts `json:"collectors,omitempty"`
	// Redactions counts the values redacted in the bundle.
	Redactions int `json:"redactions,omitempty"`
	// Error is why the target failed or, for an ok or partial target, the
	// first collector error; whole, as the library or API server said it.
	Error   string               `json:"error,omitempty"`
	Skipped string               `json:"skippedReason,omitempty"`
	Probe   *targets.ProbeResult `json:"probe,omitempty"`
	// Findings are what bundle steps (analyzers) found in the bundle.
	Findings []analyze.Finding `json:"findings,omitempty"`
	// Leftovers are objects the run created in the cluster and could not
	// remove, each with its expiry and the command that removes it.
	Leftovers []collect.Leftover `json:"leftovers,omitempty"`
	// KeptFiles is the folder of the bundle files Options.Collect.KeepFiles
	// selected (collect.Result.KeptFiles), for the steps to read instead of
	// the archive; empty when none were kept. Run removes it once the run
	// steps are done.
	KeptFiles string `json:"-"`
}

// Label is a short human name: "name" or "namespace/name".
func (t *TargetSummary) Label() string {
	if t.Namespace != "" {
		return t.Namespace + "/" + t.Name
	}
	return t.Name
}

// CollectorCounts counts collector outcomes of one bundle.
type CollectorCounts struct {
	Total    int `json:"total"`
	OK       int `json:"ok"`
	Failed   int `json:"failed"`
	Excluded int `json:"excluded,omitempty"`
}

// Status is the run's outcome as a whole: failed when no bundle was written
// at all, partial when bundles were written but a target failed or was
// partial, ok otherwise. Skipped targets do not count.
func (s *Summary) Status() string {
	bundles, bad := 0, 0
	for _, t := range s.Targets {
		if t.Bundle != "" {
			bundles++
		}
		if t.Status == StatusFailed || t.Status == StatusPartial {
			bad++
		}
	}
	for _, sh := range s.Shards {
		if sh.Status == StatusFailed {
			bad++
		}
	}
	switch {
	case bundles == 0:
		return StatusFailed
	case bad > 0:
		return StatusPartial
	}
	return StatusOK
}

// ExitCode is the exit code of a process whose work was this run: ExitOK,
// ExitFailed or ExitPartial, after Status.
func (s *Summary) ExitCode() int {
	switch s.Status() {
	case StatusFailed:
		return ExitFailed
	case StatusPartial:
		return ExitPartial
	}
	return ExitOK
}

// Err is a one-line reason for a failed run (no bundle written), nil
// otherwise: a partial run's reasons are in its targets.
func (s *Summary) Err() error {
	if s.Status() != StatusFailed {
		return nil
	}
	var firstErr string
	for _, t := range s.Targets {
		if t.Status == StatusFailed && t.Error != "" {
			firstErr = t.Error
			break
		}
	}
	for _, sh := range s.Shards {
		if firstErr == "" && sh.Status == StatusFailed {
			firstErr = sh.Error
		}
	}
	switch {
	case s.Interrupted:
		return errors.New("interrupted: no bundle written")
	case len(s.Targets) == 1 && firstErr != "":
		return errors.New(firstErr)
	case firstErr != "":
		return fmt.Errorf("no bundle written; first error: %s", firstErr)
	}
	return errors.New("no bundle written")
}

// WriteSummary writes s as dir/summary.json, replacing the previous run's
// atomically, and as dir/summary-<UTC start time>.json, which later runs
// leave alone (a second run started within the same second gets a "-2"
// suffix). It returns the kept copy's path.
func WriteSummary(dir string, s *Summary) (string, error) {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encode %s: %w", SummaryFile, err)
	}
	data = append(data, '\n')
	kept, err := writeNew(dir, HistoryFile(s.Started), data)
	if err != nil {
		return "", err
	}
	return kept, writeAtomic(filepath.Join(dir, SummaryFile), data)
}

// writeNew writes data to a file of that name, or name-2, name-3, … when
// it exists already.
func writeNew(dir, name string, data []byte) (string, error) {
	ext := filepath.Ext(name)
	base := name[:len(name)-len(ext)]
	for i := 1; ; i++ {
		p := filepath.Join(dir, name)
		if i > 1 {
			p = filepath.Join(dir, fmt.Sprintf("%s-%d%s", base, i, ext))
		}
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, os.ErrExist) && i < 100 {
			continue
		}
		if err != nil {
			return "", err
		}
		if _, err := f.Write(data); err != nil {
			f.Close()
			os.Remove(p)
			return "", err
		}
		if err := f.Close(); err != nil {
			os.Remove(p)
			return "", err
		}
		return p, nil
	}
}

// writeAtomic replaces p with data through a temporary file and a rename,
// so a reader never sees half a summary.
func writeAtomic(p string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(p), ".summary-*.json")
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), p)
}
