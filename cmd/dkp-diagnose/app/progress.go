package app

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/mesosphere/dkp-diagnose/lib/collect"
	"github.com/mesosphere/dkp-diagnose/lib/targets"
)

// display shows a run's progress on stderr: redrawn in place on a terminal
// (liveDisplay), plain timestamped lines anywhere else (plainDisplay), so
// that CI logs and pipes never receive control characters.
type display interface {
	// target registers a target, waiting until its collection begins; total
	// is the number of collectors of the spec.
	target(t *targets.Target, total int) *targetProgress
	// infof prints a progress line, unless quiet.
	infof(format string, args ...any)
	// warnf prints a line even when quiet: something went wrong.
	warnf(format string, args ...any)
	// logWriter receives the collect library's slog output, a record per
	// Write.
	logWriter() io.Writer
	// close stops live drawing (leaving the final state on screen) before
	// the summary table is printed.
	close()
}

// verbosity of stderr: -q gives quiet, each -v one more.
type verbosity int

const (
	quiet verbosity = iota - 1
	normal
	verbose
	debug
)

func (o *options) verbosity() verbosity {
	switch {
	case o.quiet:
		return quiet
	case o.verbose >= 2:
		return debug
	case o.verbose == 1:
		return verbose
	}
	return normal
}

// logLevel is the collect library's log level for a verbosity.
func (v verbosity) logLevel() slog.Level {
	switch v {
	case quiet:
		return slog.LevelError
	case verbose:
		return slog.LevelInfo
	case debug:
		return slog.LevelDebug
	}
	return slog.LevelWarn
}

// newDisplay picks the live display when stderr is a terminal and progress
// is wanted, the plain one otherwise.
func newDisplay(stderr io.Writer, v verbosity) display {
	if _, _, ok := terminalSize(stderr); ok && v != quiet {
		return newLiveDisplay(stderr, v, func() (int, int, bool) { return terminalSize(stderr) })
	}
	return &plainDisplay{w: locked(stderr), v: v}
}

// terminalSize reports whether w is a terminal that understands cursor
// movement, and its width and height.
func terminalSize(w io.Writer) (width, height int, ok bool) {
	if s, ok := w.(*syncWriter); ok {
		w = s.w
	}
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) || os.Getenv("TERM") == "dumb" {
		return 0, 0, false
	}
	width, height, err := term.GetSize(int(f.Fd()))
	if err != nil || width <= 0 {
		width = 80
	}
	if err != nil || height <= 0 {
		height = 24
	}
	return width, height, true
}

// newLogger is the run's logger for the libraries: no time (the display
// adds one where it is wanted), leveled by verbosity; lib/fleet names the
// target in each record.
func newLogger(w io.Writer, v verbosity) *slog.Logger {
	h := slog.NewTextHandler(w, &slog.HandlerOptions{
		Level: v.logLevel(),
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	})
	return slog.New(h)
}

// cleanText replaces control characters (an API error can hold any) by
// spaces, so a message can neither move the cursor nor break a log line.
func cleanText(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, s)
}

// cleanWriter applies cleanText to everything but newlines; it passes text
// from elsewhere (the summary table, error lines) through to stderr.
type cleanWriter struct{ w io.Writer }

func (c cleanWriter) Write(p []byte) (int, error) {
	q := make([]byte, len(p))
	for i, b := range p {
		if (b < 0x20 && b != '\n') || b == 0x7f {
			b = ' '
		}
		q[i] = b
	}
	if _, err := c.w.Write(q); err != nil {
		return 0, err
	}
	return len(p), nil
}

// firstLine is s up to its first newline, at most 160 bytes.
func firstLine(s string) string {
	for i, c := range s {
		if c == '\n' {
			return s[:i]
		}
	}
	if len(s) > 160 {
		return s[:160] + "…"
	}
	return s
}

// collectorLine is a finished collector in a line of text.
func collectorLine(target string, r collect.CollectorResult) string {
	line := fmt.Sprintf("%s: %-28s %-8s %s", target, r.Title, r.Outcome, r.Duration.Round(time.Millisecond))
	if len(r.Errors) > 0 {
		line += fmt.Sprintf("  (%d errors, first: %s)", len(r.Errors), firstLine(r.Errors[0]))
	}
	return line
}
