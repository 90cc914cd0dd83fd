// Package app is the dkp-diagnose command line: cobra commands wired to the
// libraries. It lives apart from main so tests can run the real command
// in-process.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Version is set at build time with -ldflags "-X …/app.Version=…".
var Version = "dev"

// Run executes the command line and returns the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	// One lock for every writer of stderr, made here so that nothing
	// escapes it: the displays, client-go's log (a cancelled stream's
	// goroutine may still log after a run ends), the summary table and
	// the error line below.
	stderr = locked(stderr)
	// Until a run sets up its display: plain lines, warnings and errors.
	routeKlog((&plainDisplay{w: stderr, v: normal}).logWriter(), normal)
	cmd := NewRootCommand(stdout, stderr)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(stderr, "dkp-diagnose: %s\n", cleanText(ee.err.Error()))
		}
		return ee.code
	}
	// cobra's own errors: unknown flags, wrong arguments.
	fmt.Fprintf(stderr, "dkp-diagnose: %s\n", cleanText(err.Error()))
	return ExitUsage
}
