package app

import "github.com/mesosphere/dkp-diagnose/lib/fleet"

// Exit codes (documented in docs/usage.md). 0, 1 and 3 are lib/fleet's
// rule for a run (fleet.Summary.ExitCode); 2 is the command's own.
const (
	// ExitOK: every bundle was written and every collector succeeded.
	ExitOK = fleet.ExitOK
	// ExitFailed: the run failed and wrote no bundle (cluster write error,
	// interrupted, …).
	ExitFailed = fleet.ExitFailed
	// ExitUsage: bad input — flags, spec, kubeconfig, output directory.
	ExitUsage = 2
	// ExitPartial: bundles were written but some collectors or targets
	// failed; the bundle's execution-data says which.
	ExitPartial = fleet.ExitPartial
	// ExitFound: "redact --check" found something the rules would hide.
	ExitFound = 4
	// ExitFindings: "analyze" found an analyzer outcome that is a failure;
	// the same code as ExitFound: the command found what it looks for.
	ExitFindings = ExitFound
)

// exitError carries an exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return "exit status"
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

func usageError(err error) error  { return &exitError{code: ExitUsage, err: err} }
func failedError(err error) error { return &exitError{code: ExitFailed, err: err} }
func partialExit() error          { return &exitError{code: ExitPartial} }
func findingsExit() error         { return &exitError{code: ExitFindings} }
