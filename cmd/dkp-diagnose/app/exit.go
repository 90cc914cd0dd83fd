package app

// Exit codes (documented in docs/usage.md).
const (
	// ExitOK: every bundle was written and every collector succeeded.
	ExitOK = 0
	// ExitFailed: the run failed and wrote no bundle (cluster write error,
	// interrupted, …).
	ExitFailed = 1
	// ExitUsage: bad input — flags, spec, kubeconfig, output directory.
	ExitUsage = 2
	// ExitPartial: bundles were written but some collectors or targets
	// failed; the bundle's execution-data says which.
	ExitPartial = 3
	// ExitFound: "redact --check" found something the rules would hide.
	ExitFound = 4
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
