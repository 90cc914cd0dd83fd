package collect

import (
	"regexp/syntax"

	"github.com/mesosphere/dkp-diagnose/lib/collect/redact"
	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

// bundleSpec is the spec as execution-data/spec.yaml shows it: a Redactor
// rule's literal values, and regexes that are nothing but literals, are the
// very secrets the rule hides, so they are masked (the rule's name,
// selectors and paths stay, to tell which rules ran). The spec itself is
// not changed.
func bundleSpec(s *spec.Spec) *spec.Spec {
	if s == nil || len(s.Redactors) == 0 {
		return s
	}
	out := *s
	out.Redactors = make([]*spec.Redact, len(s.Redactors))
	for i, r := range s.Redactors {
		if r == nil {
			continue
		}
		c := *r
		c.Removals.Values = make([]string, len(r.Removals.Values))
		for j := range r.Removals.Values {
			c.Removals.Values[j] = redact.Mask
		}
		c.Removals.Regex = make([]spec.Regex, len(r.Removals.Regex))
		for j, re := range r.Removals.Regex {
			if literalRegex(re.Redactor) {
				re.Redactor = redact.Mask
			}
			if literalRegex(re.Selector) {
				re.Selector = redact.Mask
			}
			c.Removals.Regex[j] = re
		}
		out.Redactors[i] = &c
	}
	return &out
}

// literalRegex reports whether a regex matches only literal strings (a
// string, or alternatives of strings, maybe in groups): such a regex is a
// list of the secrets themselves. An empty one is not.
func literalRegex(expr string) bool {
	if expr == "" {
		return false
	}
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return false
	}
	var literal func(re *syntax.Regexp) bool
	literal = func(re *syntax.Regexp) bool {
		switch re.Op {
		case syntax.OpLiteral, syntax.OpEmptyMatch:
			return true
		case syntax.OpCapture, syntax.OpConcat, syntax.OpAlternate:
			for _, sub := range re.Sub {
				if !literal(sub) {
					return false
				}
			}
			return true
		case syntax.OpCharClass:
			// (?i) literals parse as classes of one letter in two
			// cases: ranges of single characters.
			for i := 0; i+1 < len(re.Rune); i += 2 {
				if re.Rune[i] != re.Rune[i+1] {
					return false
				}
			}
			return len(re.Rune) <= 4
		}
		return false
	}
	return literal(re)
}
