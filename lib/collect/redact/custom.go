package redact

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

// customRule is one compiled spec.Redact.
type customRule struct {
	id      int
	name    string
	globs   []string
	finders []finder
	yaml    *yamlRule
}

// compileCustom compiles custom rule i (its position in the spec) as rule id.
func compileCustom(i int, r *spec.Redact, id int, kw *keywordTable) (*customRule, error) {
	label := ruleLabel(i, r.Name)
	name := r.Name
	if name == "" {
		name = fmt.Sprintf("redactor-%d", i)
	}
	if strings.HasPrefix(name, "builtin.") {
		return nil, fmt.Errorf("%s: names starting with \"builtin.\" are reserved", label)
	}
	c := &customRule{id: id, name: name}

	globs := r.FileSelector.Files
	if r.FileSelector.File != "" {
		globs = append([]string{r.FileSelector.File}, globs...)
	}
	for _, g := range globs {
		g = strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(g), "./"), "/")
		if g == "" {
			continue
		}
		if _, err := path.Match(g, ""); err != nil {
			return nil, fmt.Errorf("%s: fileSelector %q: %w", label, g, err)
		}
		c.globs = append(c.globs, g)
	}

	var values [][]byte
	for _, v := range r.Removals.Values {
		if v != "" {
			values = append(values, []byte(v))
		}
	}
	if len(values) > 0 {
		c.finders = append(c.finders, &valuesFinder{rule: id, values: values})
	}

	for j, rx := range r.Removals.Regex {
		if rx.Redactor == "" {
			return nil, fmt.Errorf("%s: regex[%d]: redactor is empty", label, j)
		}
		red, err := regexp.Compile(rx.Redactor)
		if err != nil {
			return nil, fmt.Errorf("%s: regex[%d] redactor %q: %w", label, j, rx.Redactor, err)
		}
		rf := &regexFinder{rule: id, re: red, kws: kw.addAll(regexKeywords(rx.Redactor)...), gate: newLiteralGate(rx.Redactor)}
		if rx.Selector == "" {
			c.finders = append(c.finders, rf)
			continue
		}
		sel, err := regexp.Compile(rx.Selector)
		if err != nil {
			return nil, fmt.Errorf("%s: regex[%d] selector %q: %w", label, j, rx.Selector, err)
		}
		c.finders = append(c.finders, &selectorFinder{
			rule: id, sel: sel, kws: kw.addAll(regexKeywords(rx.Selector)...), red: rf,
		})
	}

	if len(r.Removals.YamlPath) > 0 {
		y := &yamlRule{rule: id}
		for _, p := range r.Removals.YamlPath {
			segs, err := parseYAMLPath(p)
			if err != nil {
				return nil, fmt.Errorf("%s: yamlPath %q: %w", label, p, err)
			}
			y.add(segs)
		}
		c.yaml = y
	}
	if len(c.finders) == 0 && c.yaml == nil {
		return nil, fmt.Errorf("%s: %w", label, errNoRemovals)
	}
	return c, nil
}

var errNoRemovals = errors.New("no removals (values, regex or yamlPath)")

func (c *customRule) hasSelector() bool { return len(c.globs) > 0 }

// selects reports whether the rule applies to bundle file p (glob rules in
// doc.go).
func (c *customRule) selects(p string) bool {
	if len(c.globs) == 0 {
		return true
	}
	for _, g := range c.globs {
		if globMatch(g, p) {
			return true
		}
	}
	return false
}

func globMatch(g, p string) bool {
	if ok, _ := path.Match(g, p); ok {
		return true
	}
	if !strings.Contains(g, "/") {
		if ok, _ := path.Match(g, path.Base(p)); ok {
			return true
		}
	}
	for i := 0; i < len(p); i++ {
		if p[i] == '/' {
			if ok, _ := path.Match(g, p[:i]); ok {
				return true
			}
		}
	}
	return false
}

// valuesFinder masks literal strings wherever they occur (case-sensitive).
type valuesFinder struct {
	rule   int
	values [][]byte
}

func (f *valuesFinder) keyed() bool { return false }

func (f *valuesFinder) find(w *writer, line []byte) {
	for _, v := range f.values {
		for off := 0; off < len(line); {
			i := bytes.Index(line[off:], v)
			if i < 0 {
				break
			}
			w.add(off+i, off+i+len(v), f.rule)
			off += i + len(v)
		}
	}
}

// selectorFinder arms its redactor for the next line when a line matches its
// selector.
type selectorFinder struct {
	rule int
	sel  *regexp.Regexp
	kws  []int
	red  *regexFinder
}

func (f *selectorFinder) keyed() bool { return len(f.kws) > 0 }

func (f *selectorFinder) find(w *writer, line []byte) {
	if w.hasAny(f.kws) && f.sel.Match(line) {
		w.arm(f, f.rule)
	}
}

func (f *selectorFinder) armed(w *writer, line []byte, rule int) {
	if w.hasAny(f.red.kws) {
		f.red.apply(w, line, rule)
	}
}
