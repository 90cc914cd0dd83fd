package redact

import (
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

// chunkInput mixes the corpus with the multi-line cases: PEM blocks, env
// pairs, selectors, CRLF, a last line without newline.
func chunkInput() string {
	var b strings.Builder
	b.Write(corpus(128 << 10))
	b.WriteString(lines(`  "name": "DB_PASSWORD",`, `  "value": "s3cr3t"`, "-----BEGIN PRIVATE KEY-----", pemBody[0], pemBody[1], "-----END PRIVATE KEY-----"))
	b.WriteString("password: crlf\r\nsel\nline after selector\r\n")
	b.WriteString(strings.Repeat("x", 300) + " token=abc " + strings.Repeat("y", 300) + "\n")
	b.WriteString("no newline at the end password=zz")
	return b.String()
}

func chunkRules() []*spec.Redact {
	return []*spec.Redact{{Name: "sel", Removals: spec.Removals{Regex: []spec.Regex{{Selector: "^sel$", Redactor: "after"}}}}}
}

// TestChunkedWrites: the output does not depend on how the input is split
// into writes (one write, byte by byte, random sizes), also when lines are
// longer than the line limit and are cut into chunks.
func TestChunkedWrites(t *testing.T) {
	in := chunkInput()
	for _, maxLine := range []int{DefaultMaxLine, 256, 7} {
		s := mustNew(t, chunkRules(), true)
		s.maxLine = maxLine
		one := redactString(t, s, "f.log", in)
		if maxLine == DefaultMaxLine {
			for _, want := range []string{`"value": "` + M + `"`, "password: \"" + M + "\"\r\n", "line " + M + " selector\r\n", "password=" + M} {
				if !strings.Contains(one, want) {
					t.Errorf("one write: output lacks %q", want)
				}
			}
		}
		if got := redactBytewise(t, s, "f.log", in); got != one {
			t.Errorf("maxLine %d: byte-by-byte writes differ from one write (%d vs %d bytes)", maxLine, len(got), len(one))
		}
		r := rand.New(rand.NewPCG(uint64(maxLine), 9))
		for round := 0; round < 5; round++ {
			var out sink
			w := s.Writer("f.log", &out)
			for rest := in; len(rest) > 0; {
				n := min(1+r.IntN(3*maxLine), len(rest))
				if _, err := io.WriteString(w, rest[:n]); err != nil {
					t.Fatal(err)
				}
				rest = rest[n:]
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if out.String() != one {
				t.Errorf("maxLine %d: random writes differ from one write", maxLine)
			}
		}
		// 7 runs (one, bytewise, 5 random): every count is a multiple.
		for _, f := range s.Report().Files {
			if f.Matches%7 != 0 {
				t.Errorf("maxLine %d: %s counted %d over 7 runs", maxLine, f.Redactor, f.Matches)
			}
		}
	}
}

// TestLongLine: a line longer than the limit is redacted in chunks; no byte
// is lost or added, and memory stays bounded.
func TestLongLine(t *testing.T) {
	s := mustNew(t, nil, true)
	filler := strings.Repeat("abcdefghij ", 1<<17) // 1.4 MiB
	in := "password=s3cr3t " + filler + "token: t0k3n, " + filler + "AKIAIOSFODNN7EXAMPLE " + filler + "end\n"
	want := "password=" + M + " " + filler + "token: \"" + M + "\", " + filler + M + " " + filler + "end\n"
	var out sink
	w := s.Writer("big.log", &out).(*writer)
	for rest := in; len(rest) > 0; {
		n := min(64<<10, len(rest))
		io.WriteString(w, rest[:n])
		rest = rest[n:]
		if len(w.buf) > DefaultMaxLine {
			t.Fatalf("buffer grew to %d bytes", len(w.buf))
		}
	}
	w.Close()
	if got := out.String(); got != want {
		t.Errorf("long line: got %d bytes, want %d", len(got), len(want))
	}
	r := s.Report()
	if r.Total != 3 {
		t.Errorf("total = %d, want 3: %+v", r.Total, r.Files)
	}
	// No separator at all: chunks are cut at the limit, nothing lost.
	blob := strings.Repeat("A", 3*DefaultMaxLine+17)
	if got := redactString(t, s, "blob", blob); got != blob {
		t.Errorf("blob changed (%d vs %d bytes)", len(got), len(blob))
	}
}

func TestNilSetPassThrough(t *testing.T) {
	var s *Set
	in := "password=s3cr3t\n-----BEGIN PRIVATE KEY-----\nMIIE\n"
	var out sink
	w := s.Writer("f", &out)
	io.WriteString(w, in)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if out.String() != in || out.closed != 1 {
		t.Errorf("nil Set: got %q, closed %d", out.String(), out.closed)
	}
	if r := s.Report(); r.Total != 0 || r.Files == nil || r.Redactors == nil {
		t.Errorf("nil Set report = %+v", r)
	}
	// No rule at all (defaults off, no custom): also pass-through.
	s2 := mustNew(t, nil, false)
	if _, ok := s2.Writer("f", &out).(passThrough); !ok {
		t.Errorf("a Set without rules does not pass through")
	}
	// Rules that select other files only: pass-through.
	s3 := mustNew(t, []*spec.Redact{{FileSelector: spec.FileSelector{File: "*.json"}, Removals: spec.Removals{Values: []string{"x"}}}}, false)
	if _, ok := s3.Writer("a.log", &out).(passThrough); !ok {
		t.Errorf("unselected file does not pass through")
	}
}

func TestLineEndings(t *testing.T) {
	s := mustNew(t, nil, true)
	for in, want := range map[string]string{
		"password: a1\r\n":     "password: \"" + M + "\"\r\n",
		"password: a1":         "password: \"" + M + "\"",
		"\n\npassword=a1\n\n":  "\n\n" + "password=" + M + "\n\n",
		"":                     "",
		"token=a1\rtoken=b2\n": "token=" + M + "\rtoken=" + M + "\n",
		"x\r\n\r\n-----BEGIN PRIVATE KEY-----\r\nMIIE\r\n-----END PRIVATE KEY-----\r\n": "x\r\n\r\n-----BEGIN PRIVATE KEY-----\r\n" + M + "\r\n-----END PRIVATE KEY-----\r\n",
	} {
		if got := redactString(t, s, "f", in); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}

func TestWriterLifecycle(t *testing.T) {
	s := mustNew(t, nil, true)
	var out sink
	w := s.Writer("f", &out)
	io.WriteString(w, "password=a1")
	if out.Len() != 0 {
		t.Errorf("an unfinished line was written early: %q", out.String())
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil || out.closed != 1 {
		t.Errorf("second Close: err %v, dst closed %d times", err, out.closed)
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Errorf("Write after Close succeeded")
	}
	if matches(s.Report(), "f", "builtin.password") != 1 {
		t.Errorf("counts merged twice or not at all: %+v", s.Report().Files)
	}

	// A failing destination: the error surfaces, dst is still closed.
	bad := &sink{err: errSink}
	w = s.Writer("g", bad)
	big := strings.Repeat("line of text\n", 20000)
	_, werr := io.WriteString(w, big)
	cerr := w.Close()
	if werr == nil && cerr == nil {
		t.Errorf("destination error lost")
	}
	if bad.closed != 1 {
		t.Errorf("dst closed %d times after error", bad.closed)
	}
}

// TestConcurrentWriters: many writers share one Set (run with -race).
func TestConcurrentWriters(t *testing.T) {
	rules := append(chunkRules(), &spec.Redact{Name: "lit", Removals: spec.Removals{Values: []string{"kube-system"}}})
	s := mustNew(t, rules, true)
	in := chunkInput()
	ref := mustNew(t, rules, true)
	want := redactString(t, ref, "ref", in)
	wantTotal := ref.Report().Total

	const n = 32
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var out sink
			w := s.Writer(fmt.Sprintf("allPodLogs/ns/pod-%02d.log", i), &out)
			for rest := in; len(rest) > 0; {
				k := min(1+i*97, len(rest))
				if _, err := io.WriteString(w, rest[:k]); err != nil {
					errs <- err
					return
				}
				rest = rest[k:]
			}
			if err := w.Close(); err != nil {
				errs <- err
				return
			}
			if out.String() != want {
				errs <- fmt.Errorf("writer %d: output differs", i)
			}
			_ = s.Report() // concurrently with other writers
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	r := s.Report()
	if r.Total != n*wantTotal {
		t.Errorf("total = %d, want %d", r.Total, n*wantTotal)
	}
	for _, red := range r.Redactors {
		if red.Matches > 0 && red.Files != n {
			t.Errorf("%s: in %d files, want %d", red.Name, red.Files, n)
		}
	}
}

func TestEmitUnchangedLinesUnbuffered(t *testing.T) {
	// Lines larger than the flush size go straight through.
	s := mustNew(t, nil, true)
	in := strings.Repeat("z", 200<<10) + "\n" + "ok\n"
	if got := redactString(t, s, "f", in); got != in {
		t.Errorf("big unchanged line altered")
	}
}

// TestRecycledOutputBuffers: a writer that takes over an earlier writer's
// output buffer writes only its own file, whatever the earlier one left in
// it, and does not keep a buffer that a long redacted line grew.
func TestRecycledOutputBuffers(t *testing.T) {
	s := mustNew(t, nil, true)
	long := "password: " + strings.Repeat("x", 3*flushSize) + "\n"
	files := []string{
		strings.Repeat("a line of the first file, longer than the next\n", 500),
		"short\n",
		long,
		"token: abc\nafter\n",
		"",
		"last\n",
	}
	for i, in := range files {
		// A Set of its own: a buffer no other file used.
		want := redactString(t, mustNew(t, nil, true), fmt.Sprintf("f%d.log", i), in)
		if got := redactString(t, s, fmt.Sprintf("f%d.log", i), in); got != want {
			t.Errorf("file %d: got %.60q…, want %.60q…", i, got, want)
		}
	}
	if b, ok := s.outBufs.Get().(*[]byte); ok && (len(*b) != 0 || cap(*b) > 2*flushSize) {
		t.Errorf("pooled buffer of len %d, cap %d", len(*b), cap(*b))
	}
}
