package redact

import (
	"bytes"
	"strings"
)

// YAML anchors and aliases: a value set under an ordinary key and used, by
// alias, under a sensitive one is a secret where it is set:
//
//	defaults:
//	  shared: &dbpw s3cr3t      <- masked here
//	database:
//	  password: *dbpw
//
// Line rules cannot see this (the anchor comes first), so text that is
// read whole (a config map's value, a .yaml file) goes through
// hideAliasedAnchors before them: one pass collects the anchors that
// sensitive keys alias, a second masks the value each of those anchors is
// set on, wherever it is.

// maxAnchorBuffer bounds how much of a .yaml file the writer holds to look
// for aliases before it streams; an alias past it is not traced back.
const maxAnchorBuffer = 1 << 20

// isYAMLPath reports whether bundle file p is a YAML file, which the writer
// reads whole (up to maxAnchorBuffer) for hideAliasedAnchors.
func isYAMLPath(p string) bool {
	return strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")
}

// hideAliasedAnchors masks the values of the anchors that text aliases
// under sensitive keys, and returns the text and how many it masked, by
// rule. text is returned unchanged (and counts nil) when there is none.
func (s *Set) hideAliasedAnchors(text []byte) ([]byte, []int) {
	if bytes.IndexByte(text, '&') < 0 || bytes.IndexByte(text, '*') < 0 {
		return text, nil
	}
	names := secretAliases(text)
	if len(names) == 0 {
		return text, nil
	}
	var out []byte
	var counts []int
	block := -1  // >= 0: dropping the lines of an anchored node nested below this column
	seq := false // and "- " items at that column (a sequence under a key)
	for rest := text; len(rest) > 0; {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i+1], rest[i+1:]
		} else {
			rest = nil
		}
		content := bytes.TrimRight(line, "\r\n")
		eol := line[len(content):]
		if block >= 0 {
			ind := indentOf(content)
			if ind == len(content) || ind > block || seq && ind == block && isSeqItem(content[ind:]) {
				// A line of the node, which is the mask now: it goes,
				// and the line count stays.
				out = append(out, eol...)
				continue
			}
			block = -1
		}
		start, keyed, valueS, name, ok := anchorOn(content)
		rule, hidden := names[string(name)]
		if !ok || !hidden {
			out = append(out, line...)
			continue
		}
		if counts == nil {
			counts = make([]int, len(s.rules))
		}
		counts[rule]++
		// The anchored node, whatever it is, becomes the mask: a scalar
		// on the anchor's line (so that every alias of it reads as the
		// mask too); the lines of a node below it go.
		v := bytes.TrimRight(content[valueS:], " \t")
		out = append(out, content[:valueS]...)
		if c := content[valueS-1]; c != ' ' && c != '\t' {
			out = append(out, ' ') // "key: &a" at the end of the line
		}
		out = append(out, quotedMask...)
		if len(v) == 0 || v[0] == '#' || isBlockHeader(v) {
			if c := bytes.IndexByte(v, '#'); c >= 0 {
				out = append(out, ' ')
				out = append(out, v[c:]...)
			}
			block, seq = start, keyed
		} else if c := bytes.Index(v, []byte(" #")); c >= 0 && v[0] != '"' && v[0] != '\'' && v[0] != '{' && v[0] != '[' {
			out = append(out, v[c:]...)
		}
		out = append(out, eol...)
	}
	return out, counts
}

// secretAliases returns the anchor names that text uses as the value of a
// sensitive key (`password: *name`, also in a flow mapping), with the key's
// rule.
func secretAliases(text []byte) map[string]int {
	var names map[string]int
	for off := 0; ; {
		i := bytes.IndexByte(text[off:], '*')
		if i < 0 {
			return names
		}
		p := off + i
		off = p + 1
		// `key: *name`: a ':' and blanks before the '*'.
		q := p
		for q > 0 && (text[q-1] == ' ' || text[q-1] == '\t') {
			q--
		}
		if q == p || q == 0 || text[q-1] != ':' {
			continue
		}
		ke := q - 1
		if ke > 0 && (text[ke-1] == '"' || text[ke-1] == '\'') {
			ke--
		}
		ks := ke
		for ks > 0 && isKeyChar(text[ks-1]) {
			ks--
		}
		rule, ok := sensitiveTail(text[ks:ke])
		if !ok {
			continue
		}
		name := anchorName(text[p+1:])
		if len(name) == 0 {
			continue
		}
		if names == nil {
			names = map[string]int{}
		}
		names[string(name)] = rule
	}
}

// anchorOn finds an anchor set on a line: after "key:" or a sequence dash
// (or at the start of the line), "&name". It returns the column of the
// anchored node's key (or of its dash, keyed false): the lines nested
// deeper belong to the node; where its value starts after the anchor (and
// a tag); and the name.
func anchorOn(line []byte) (start int, keyed bool, valueS int, name []byte, ok bool) {
	for off := 0; ; {
		i := bytes.IndexByte(line[off:], '&')
		if i < 0 {
			return 0, false, 0, nil, false
		}
		p := off + i
		off = p + 1
		if !propertyPos(line, p) {
			continue
		}
		n := anchorName(line[p+1:])
		if len(n) == 0 {
			continue
		}
		start = indentOf(line)
		for start < p && isSeqItem(line[start:]) {
			next := start + 1 + indentOf(line[start+1:])
			if next >= p {
				break // "- &a": the item itself is anchored
			}
			start = next
		}
		keyed = start < p && line[start] != '-' && line[start] != '&' && line[start] != '!'
		return start, keyed, skipYAMLProperties(line, p), n, true
	}
}

// propertyPos reports whether line[p] starts a node property: at the start
// of the line's content, after "key:" or a sequence dash (and blanks), or
// after another property (a tag: "!!str &a").
func propertyPos(line []byte, p int) bool {
	q := p
	for q > 0 && (line[q-1] == ' ' || line[q-1] == '\t') {
		q--
	}
	switch {
	case q == 0:
		return true
	case q == p:
		return false // "a&b"
	case line[q-1] == ':' || line[q-1] == '-':
		return true
	}
	t := q
	for t > 0 && line[t-1] != ' ' && line[t-1] != '\t' {
		t--
	}
	return line[t] == '!' && propertyPos(line, t)
}

// anchorName is the anchor or alias name at the start of b: up to a blank or
// a flow indicator.
func anchorName(b []byte) []byte {
	e := 0
	for e < len(b) {
		switch b[e] {
		case ' ', '\t', '\r', '\n', ',', '[', ']', '{', '}':
			return b[:e]
		}
		e++
	}
	return b[:e]
}

func indentOf(line []byte) int {
	i := 0
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	return i
}
