package redact

import (
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

// Mask replaces every redacted value.
const Mask = "***HIDDEN***"

// DefaultMaxLine is the longest line the writer holds in memory. A longer
// line is redacted in chunks of at most this size (cut, where possible, after
// a space or comma so that a value is not split); it is never dropped.
const DefaultMaxLine = 1 << 20

// flushSize is how much redacted output a writer gathers before it writes to
// its destination.
const flushSize = 64 << 10

// Set is a compiled set of rules, safe for concurrent use by many writers.
// Rules are read-only once compiled; the only shared mutable state is the
// report, which writers merge into when they are closed.
type Set struct {
	rules    []ruleInfo // by rule id: built-ins first, then custom rules in spec order
	builtins []finder   // line finders of the built-in rules (nil without defaults)
	custom   []*customRule
	kw       keywordTable
	match    *matcher // finds the keywords of kw in a line
	maxLine  int

	// structure: objects are redacted by structure too (Object); with the
	// built-in rules. The structure rules' ids start at structBase.
	structure  bool
	structBase int
	walkers    sync.Pool // *objWalker, recycled between objects

	// outBufs recycles the writers' output buffers (*[]byte). Without it
	// each file grew its own to flushSize by appending: half of all the
	// bytes a collection allocated, which sets how often the GC runs and how
	// much garbage it finds still in use, and so peak memory.
	outBufs sync.Pool

	mu     sync.Mutex
	counts map[countKey]int
	errs   []FileError
}

// outBuf returns an empty output buffer of capacity flushSize or more.
func (s *Set) outBuf() []byte {
	if b, ok := s.outBufs.Get().(*[]byte); ok {
		return (*b)[:0]
	}
	return make([]byte, 0, flushSize)
}

// putOutBuf recycles a writer's output buffer; one grown far past
// flushSize by a long redacted line is left to the GC rather than kept.
func (s *Set) putOutBuf(b []byte) {
	if cap(b) < flushSize || cap(b) > 2*flushSize {
		return
	}
	s.outBufs.Put(&b)
}

// ruleInfo names a rule in the report.
type ruleInfo struct {
	name    string
	builtin bool
}

type countKey struct {
	file string
	rule int
}

// New compiles the built-in rules (when defaults is true) plus the custom
// rules. A bad regex, yamlPath or file glob is an error naming the redactor
// (by Name, or by its index when it has none) and the pattern; all bad rules
// are reported, on one line. Nil entries in custom are ignored.
func New(custom []*spec.Redact, defaults bool) (*Set, error) {
	s := &Set{maxLine: DefaultMaxLine, counts: map[countKey]int{}}
	if defaults {
		b, err := compileBuiltins(&s.kw)
		if err != nil {
			return nil, err
		}
		s.builtins = b
		for _, name := range builtinNames {
			s.rules = append(s.rules, ruleInfo{name: name, builtin: true})
		}
		s.structure, s.structBase = true, len(s.rules)
		for _, name := range structureNames {
			s.rules = append(s.rules, ruleInfo{name: name, builtin: true})
		}
	}
	var errs []error
	for i, r := range custom {
		if r == nil {
			continue
		}
		c, err := compileCustom(i, r, len(s.rules), &s.kw)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		s.custom = append(s.custom, c)
		s.rules = append(s.rules, ruleInfo{name: c.name})
	}
	if len(errs) > 0 {
		return nil, ruleErrors(errs)
	}
	m, err := newMatcher(s.kw.words)
	if err != nil {
		return nil, err
	}
	s.match = m
	return s, nil
}

// Writer returns a writer that redacts what is written to it as bundle file
// p (the path inside the bundle, without the root folder; it selects custom
// rules by their fileSelector and names the file in the report) and writes the
// result to dst. Close flushes, closes dst and adds the file's counts to the
// report.
//
// The writer streams line by line: memory is bounded by the longest line
// (lines longer than DefaultMaxLine are redacted in chunks). The exception is
// a file that a yamlPath rule selects: it is buffered whole until Close,
// because a path can only be resolved on the parsed document. A .yaml or
// .yml file is held up to maxAnchorBuffer, so that an anchor's value can be
// hidden when a later sensitive key aliases it (hideAliasedAnchors).
//
// With a nil Set (redaction off), or when no rule applies to p, data passes
// through unchanged.
//
// aliases are further paths the file is found at in the bundle (links to
// it): a custom rule whose fileSelector selects one of them applies too.
func (s *Set) Writer(p string, dst io.WriteCloser, aliases ...string) io.WriteCloser {
	if s == nil {
		return passThrough{dst}
	}
	p = cleanPath(p)
	w := &writer{s: s, path: p, dst: dst, maxLine: s.maxLine}
	w.finders = append(w.finders, s.builtins...)
	for _, c := range s.custom {
		if !c.selects(p) && !slices.ContainsFunc(aliases, func(a string) bool { return c.selects(cleanPath(a)) }) {
			continue
		}
		w.finders = append(w.finders, c.finders...)
		if c.yaml != nil && c.yaml.applies(p, c.hasSelector()) {
			w.yaml = append(w.yaml, c.yaml)
		}
	}
	if len(w.finders) == 0 && len(w.yaml) == 0 {
		return passThrough{dst}
	}
	for _, f := range w.finders {
		if !f.keyed() {
			w.always = append(w.always, f)
		}
	}
	w.counts = make([]int, len(s.rules))
	w.kwMark = make([]uint32, len(s.kw.words))
	w.anchors = s.builtins != nil && len(w.yaml) == 0 && isYAMLPath(p)
	return w
}

// cleanPath normalises a bundle path: forward slashes, no leading "/" or
// "./", no "..".
func cleanPath(p string) string {
	p = strings.ReplaceAll(p, "\\", "/")
	return strings.TrimPrefix(path.Clean("/"+p), "/")
}

// passThrough is the writer of a nil Set: no redaction.
type passThrough struct{ io.WriteCloser }

// merge adds a closed writer's counts and errors to the report.
func (s *Set) merge(file string, counts []int, errs []FileError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, n := range counts {
		if n > 0 {
			s.counts[countKey{file, id}] += n
		}
	}
	s.errs = append(s.errs, errs...)
}

// ruleErrors are the errors of every bad rule, on one line.
type ruleErrors []error

func (e ruleErrors) Error() string {
	msgs := make([]string, len(e))
	for i, err := range e {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

func (e ruleErrors) Unwrap() []error { return e }

// ruleLabel names a custom rule in errors: by name, or by index.
func ruleLabel(i int, name string) string {
	if name != "" {
		return fmt.Sprintf("redactor %q", name)
	}
	return fmt.Sprintf("redactor #%d", i)
}
