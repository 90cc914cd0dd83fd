package redact

import (
	"bytes"
	"regexp"
)

// envPairFinder masks env-style name/value pairs whose name is sensitive:
//
//	"name": "DB_PASSWORD",        - name: DB_PASSWORD
//	"value": "s3cr3t"               value: s3cr3t
//
// and the same on one line ({"name":"DB_PASSWORD","value":"s3cr3t"}).
type envPairFinder struct {
	name     int
	kws      []int
	re       *regexp.Regexp
	sameLine *regexp.Regexp
	next     *envValue
}

func (f *envPairFinder) find(w *writer, line []byte) {
	if !w.has(f.name) || !w.hasAny(f.kws) {
		return
	}
	// The keywords alone let through most log lines ("namespace" and
	// "token" are common words); the regex, case-insensitive with a lazy
	// run before the sensitive word, costs far more than this check.
	if !mayHaveSensitiveName(line) {
		return
	}
	for _, m := range f.matches(line) {
		rule, _ := sensitiveTail(line[m[2]:m[3]])
		rest := line[m[5]:]
		if len(bytes.Trim(rest, " \t,")) == 0 {
			w.arm(f.next, rule)
			continue
		}
		if v := f.sameLine.FindIndex(rest); v != nil {
			if s, e, ok := valueSpan(line, m[5]+v[1], false); ok {
				w.add(s, e, rule)
			}
		}
	}
}

// matches are the regex's matches whose name is sensitive.
func (f *envPairFinder) matches(line []byte) [][]int {
	all := f.re.FindAllSubmatchIndex(line, -1)
	out := all[:0]
	for _, m := range all {
		if _, ok := sensitiveTail(line[m[2]:m[3]]); ok {
			out = append(out, m)
		}
	}
	return out
}

// mayHaveSensitiveName is the prefilter of envPairFinder's regex: it
// reports false only for lines the regex cannot match. A match needs
//
//	name  \\*["']?  [ \t]*  [:=]  [ \t]*  \\*["']?  <key characters ending in a sensitive word>
//
// where "name" starts the line or follows a byte that is not a key
// character, and the key characters end the run (the regex wants a
// non-key character or the end after the closing quote, and quotes and
// backslashes are not key characters). The check is ASCII; where the
// regex's case folding reaches beyond ASCII — a byte >= 0x80 before "name"
// or inside the name's run, which may be KELVIN SIGN or LONG S standing
// for "k" or "s" — it says yes and leaves the decision to the regex.
func mayHaveSensitiveName(line []byte) bool {
	n := len(line)
	for i := 0; i+4 <= n; i++ {
		// c|0x20 folds ASCII upper to lower case; no other byte folds onto
		// these letters.
		if line[i]|0x20 != 'n' || line[i+1]|0x20 != 'a' || line[i+2]|0x20 != 'm' || line[i+3]|0x20 != 'e' {
			continue
		}
		if i > 0 && line[i-1] < 0x80 && isKeyChar(line[i-1]) {
			continue // "hostname", "pod_name"
		}
		j := skipQuote(line, i+4)
		for j < n && (line[j] == ' ' || line[j] == '\t') {
			j++
		}
		if j >= n || (line[j] != ':' && line[j] != '=') {
			continue
		}
		j++
		for j < n && (line[j] == ' ' || line[j] == '\t') {
			j++
		}
		s := skipQuote(line, j)
		e := s
		for e < n && isKeyChar(line[e]) {
			e++
		}
		if e < n && line[e] >= 0x80 {
			return true // a rune the regex may fold onto a key letter
		}
		if _, ok := sensitiveTail(line[s:e]); ok {
			return true
		}
	}
	return false
}

// skipQuote skips `\\*["']?` at line[j:]: the backslashes of a JSON escape
// level and an opening or closing quote.
func skipQuote(line []byte, j int) int {
	for j < len(line) && line[j] == '\\' {
		j++
	}
	if j < len(line) && (line[j] == '"' || line[j] == '\'') {
		j++
	}
	return j
}

// envValue masks the value of a `"value": ...` line armed by envPairFinder.
type envValue struct{ re *regexp.Regexp }

func (f *envValue) armed(w *writer, line []byte, rule int) {
	m := f.re.FindSubmatchIndex(line)
	if m == nil {
		return
	}
	lineStart := m[3] == m[2] // unquoted key: YAML, the value runs to the end
	if s, e, ok := valueSpan(line, m[1], lineStart); ok {
		w.add(s, e, rule)
	}
}
