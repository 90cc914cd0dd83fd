package redact

import (
	"slices"
	"strings"
)

// Report is what was redacted: per file and per rule, how many matches. It
// never holds a redacted value. Its JSON form is stable: files are sorted by
// path then rule order, redactors are in rule order (built-ins first, then
// custom rules as the spec lists them) and every rule is listed, also with
// no match.
//
// A match is one masked value (one PEM key, however many lines). A value
// that two rules match counts for both, so Total, the sum of all matches,
// can exceed the number of masked places.
type Report struct {
	Total     int              `json:"total"`
	Files     []FileReport     `json:"files"`
	Redactors []RedactorReport `json:"redactors"`
	// Errors are files a yamlPath rule selected but could not parse.
	Errors []FileError `json:"errors,omitempty"`
}

// FileReport counts one rule's matches in one file.
type FileReport struct {
	File     string `json:"file"`
	Redactor string `json:"redactor"`
	Matches  int    `json:"matches"`
	Builtin  bool   `json:"builtin"`
}

// RedactorReport counts one rule's matches over the bundle.
type RedactorReport struct {
	Name    string `json:"name"`
	Builtin bool   `json:"builtin"`
	Matches int    `json:"matches"`
	Files   int    `json:"files"`
}

// FileError is a file a rule could not apply to, and why.
type FileError struct {
	File     string `json:"file"`
	Redactor string `json:"redactor"`
	Error    string `json:"error"`
}

// Report returns what the writers closed so far have redacted. It is safe to
// call at any time, also concurrently with writers; a writer's counts are
// added when it is closed. A nil Set reports nothing.
func (s *Set) Report() Report {
	r := Report{Files: []FileReport{}, Redactors: []RedactorReport{}}
	if s == nil {
		return r
	}
	s.mu.Lock()
	keys := make([]countKey, 0, len(s.counts))
	for k := range s.counts {
		keys = append(keys, k)
	}
	counts := make([]int, len(keys))
	for i, k := range keys {
		counts[i] = s.counts[k]
	}
	r.Errors = slices.Clone(s.errs)
	s.mu.Unlock()

	idx := make([]int, len(keys))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		if c := strings.Compare(keys[a].file, keys[b].file); c != 0 {
			return c
		}
		return keys[a].rule - keys[b].rule
	})
	r.Redactors = make([]RedactorReport, len(s.rules))
	for id, ri := range s.rules {
		r.Redactors[id] = RedactorReport{Name: ri.name, Builtin: ri.builtin}
	}
	for _, i := range idx {
		k, n := keys[i], counts[i]
		ri := s.rules[k.rule]
		r.Files = append(r.Files, FileReport{File: k.file, Redactor: ri.name, Matches: n, Builtin: ri.builtin})
		r.Redactors[k.rule].Matches += n
		r.Redactors[k.rule].Files++
		r.Total += n
	}
	slices.SortStableFunc(r.Errors, func(a, b FileError) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		return strings.Compare(a.Redactor, b.Redactor)
	})
	return r
}
