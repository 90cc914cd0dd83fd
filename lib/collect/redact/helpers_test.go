package redact

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

// sink is a WriteCloser that remembers what was written and whether it was
// closed.
type sink struct {
	bytes.Buffer
	closed int
	err    error // returned by Write when set
}

func (s *sink) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	return s.Buffer.Write(p)
}

func (s *sink) Close() error { s.closed++; return nil }

var errSink = errors.New("disk full")

func mustNew(t testing.TB, custom []*spec.Redact, defaults bool) *Set {
	t.Helper()
	s, err := New(custom, defaults)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// redactString runs in through a writer of s as file p in one write.
func redactString(t testing.TB, s *Set, p, in string) string {
	t.Helper()
	var out sink
	w := s.Writer(p, &out)
	if _, err := io.WriteString(w, in); err != nil {
		t.Fatalf("write: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if out.closed != 1 {
		t.Fatalf("dst closed %d times, want 1", out.closed)
	}
	return out.String()
}

// redactBytewise runs in through a writer one byte per Write.
func redactBytewise(t testing.TB, s *Set, p, in string) string {
	t.Helper()
	var out sink
	w := s.Writer(p, &out)
	for i := 0; i < len(in); i++ {
		if _, err := w.Write([]byte{in[i]}); err != nil {
			t.Fatalf("write: %v", err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	return out.String()
}

// matches returns the matches of rule name in file p of the report (0 if
// there is no entry).
func matches(r Report, p, name string) int {
	for _, f := range r.Files {
		if f.File == p && f.Redactor == name {
			return f.Matches
		}
	}
	return 0
}

func lines(ss ...string) string { return strings.Join(ss, "\n") + "\n" }
