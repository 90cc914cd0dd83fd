package app

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mesosphere/dkp-diagnose/lib/targets"
)

// plainDisplay writes one timestamped line per event and nothing else: what
// CI logs, pipes and files want. Every line is stripped of control
// characters.
type plainDisplay struct {
	w io.Writer // a syncWriter: targets print concurrently
	v verbosity
}

func (d *plainDisplay) target(t *targets.Target, total int) *targetProgress {
	return &targetProgress{d: d, label: targetLabel(t), total: total, state: stateWaiting,
		lines: d.v >= normal, verbose: d.v >= verbose}
}

func (d *plainDisplay) infof(format string, args ...any) {
	if d.v >= normal {
		d.line(fmt.Sprintf(format, args...))
	}
}

func (d *plainDisplay) warnf(format string, args ...any) {
	d.line(fmt.Sprintf(format, args...))
}

// line prints s, each of its lines with the time in front.
func (d *plainDisplay) line(s string) {
	now := time.Now().UTC().Format(time.RFC3339)
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString(now + " " + cleanText(l) + "\n")
	}
	_, _ = io.WriteString(d.w, b.String())
}

func (d *plainDisplay) logWriter() io.Writer { return lineFunc(d.line) }

func (d *plainDisplay) close() {}

// lineFunc adapts a line printer to io.Writer for slog handlers, which write
// one whole record per call.
type lineFunc func(string)

func (f lineFunc) Write(p []byte) (int, error) {
	f(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

// targetLabel names a target in progress lines: its label, with the role
// unless it is the current cluster.
func targetLabel(t *targets.Target) string {
	if t.Role == targets.RoleCurrent {
		return t.Label()
	}
	return string(t.Role) + " " + t.Label()
}
