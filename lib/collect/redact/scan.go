package redact

import (
	"fmt"
	"io"
	"slices"
)

// Finding is one place where the rules would mask something: the file, the
// line (1-based), the column (1-based, in bytes) and the length of the
// masked text, and the rule. It never holds the text itself.
type Finding struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
	Length int    `json:"length"`
	Rule   string `json:"rule"`
	// Detail names the member of a rule family that matched: for
	// builtin.gitleaks, the gitleaks rule id ("github-pat").
	Detail string `json:"detail,omitempty"`
}

// Scan reads r as bundle file p and returns what the rules would mask in
// it, in file order, without writing anything. It is the read-only
// counterpart of Writer: the same rules, the same line state, the same file
// selection for custom rules (yamlPath rules, which edit whole documents,
// are not applied). Scanning does not add to the Set's report.
func (s *Set) Scan(p string, r io.Reader) ([]Finding, error) {
	if s == nil {
		return nil, nil
	}
	pw, ok := s.Writer(p, discard{}).(*writer)
	if !ok {
		// No rule applies to p.
		_, err := io.Copy(io.Discard, r)
		return nil, err
	}
	w := *pw
	w.yaml = nil
	w.record, w.line = true, 1
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			w.feed(buf[:n])
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("scan %s: %w", p, err)
		}
	}
	if len(w.buf) > 0 {
		w.processLine(w.buf)
	}
	if w.out != nil {
		s.putOutBuf(w.out)
	}
	return w.findings, nil
}

// discard is a WriteCloser that drops what it is given.
type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
func (discard) Close() error                { return nil }

// recordSpans adds the current line's spans to the findings, one per rule
// and place.
func (w *writer) recordSpans() {
	spans := slices.Clone(w.spans)
	slices.SortFunc(spans, func(a, b span) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return a.rule - b.rule
	})
	for i, sp := range spans {
		if i > 0 && spans[i-1].start == sp.start && spans[i-1].end == sp.end && spans[i-1].rule == sp.rule {
			continue
		}
		f := Finding{File: w.path, Line: w.line, Column: w.col + sp.start + 1, Length: sp.end - sp.start, Rule: w.s.rules[sp.rule].name}
		if sp.detail >= 0 && sp.rule == rGitleaks && w.s.builtins != nil {
			if set, err := loadTokenRules(); err == nil && sp.detail < len(set.rules) {
				f.Detail = set.rules[sp.detail].id
			}
		}
		w.findings = append(w.findings, f)
	}
}
