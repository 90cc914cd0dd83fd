package app

import (
	"fmt"
	"io"
	"time"

	"github.com/mesosphere/dkp-diagnose/lib/collect"
)

// lineProgress prints one plain line per finished collector: readable in a
// terminal, a CI log or a pipe alike.
type lineProgress struct {
	w      io.Writer
	target string
}

func (p *lineProgress) CollectorStarted(string) {}

func (p *lineProgress) CollectorFinished(r collect.CollectorResult) {
	line := fmt.Sprintf("%s: %-28s %-8s %s", p.target, r.Title, r.Outcome, r.Duration.Round(time.Millisecond))
	if len(r.Errors) > 0 {
		line += fmt.Sprintf("  (%d errors, first: %s)", len(r.Errors), firstLine(r.Errors[0]))
	}
	fmt.Fprintln(p.w, line)
}

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
