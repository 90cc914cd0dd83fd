package redact

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// yamlPath rules: the path syntax and what is masked are documented in
// doc.go (package documentation).

type segKind uint8

const (
	segKey segKind = iota
	segIndex
	segAny
)

type seg struct {
	kind  segKind
	key   string
	index int
}

// parseYAMLPath parses a path (see above).
func parseYAMLPath(p string) ([]seg, error) {
	if strings.TrimSpace(p) == "" {
		return nil, errors.New("empty path")
	}
	var segs []seg
	expect := true // a segment must come next
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == '.':
			if expect {
				return nil, fmt.Errorf("empty segment at offset %d", i)
			}
			expect = true
			i++
		case c == '[':
			j := strings.IndexByte(p[i:], ']')
			if j < 0 {
				return nil, fmt.Errorf("unterminated [ at offset %d", i)
			}
			inner := strings.TrimSpace(p[i+1 : i+j])
			if inner == "*" {
				segs = append(segs, seg{kind: segAny})
			} else {
				n, err := strconv.Atoi(inner)
				if err != nil || n < 0 {
					return nil, fmt.Errorf("bad index [%s] at offset %d", inner, i)
				}
				segs = append(segs, seg{kind: segIndex, index: n})
			}
			i += j + 1
			expect = false
		case !expect:
			return nil, fmt.Errorf("want '.' or '[' at offset %d", i)
		case c == '"':
			var key strings.Builder
			j := i + 1
			for ; j < len(p) && p[j] != '"'; j++ {
				if p[j] == '\\' && j+1 < len(p) {
					j++
				}
				key.WriteByte(p[j])
			}
			if j >= len(p) {
				return nil, fmt.Errorf("unterminated quote at offset %d", i)
			}
			segs = append(segs, seg{kind: segKey, key: key.String()})
			i = j + 1
			expect = false
		default:
			var key strings.Builder
			j := i
			for ; j < len(p) && p[j] != '.' && p[j] != '['; j++ {
				if p[j] == '\\' && j+1 < len(p) {
					j++
				}
				key.WriteByte(p[j])
			}
			if k := key.String(); k == "*" {
				segs = append(segs, seg{kind: segAny})
			} else {
				segs = append(segs, seg{kind: segKey, key: k})
			}
			i = j
			expect = false
		}
	}
	if expect {
		return nil, errors.New("path ends with '.'")
	}
	return segs, nil
}

// matchKey: does s select mapping key k?
func (s seg) matchKey(k string) bool {
	return s.kind == segAny || (s.kind == segKey && s.key == k)
}

// matchIndex: does s select list item i?
func (s seg) matchIndex(i int) bool {
	switch s.kind {
	case segAny:
		return true
	case segIndex:
		return s.index == i
	}
	n, err := strconv.Atoi(s.key)
	return err == nil && n == i
}

// yamlRule is the yamlPath part of one custom rule.
type yamlRule struct {
	rule  int
	paths [][]seg
}

func (y *yamlRule) add(segs []seg) {
	y.paths = append(y.paths, segs)
	if first := segs[0]; first.kind != segAny && !(first.kind == segKey && first.key == "items") {
		y.paths = append(y.paths, append([]seg{{kind: segKey, key: "items"}, {kind: segAny}}, segs...))
	}
}

// applies reports whether the rule's paths apply to file p that the rule's
// fileSelector selected. A rule without a fileSelector applies its paths
// only to .yaml, .yml and .json files, so that it does not make every file
// of the bundle buffered whole.
func (y *yamlRule) applies(p string, selected bool) bool {
	if selected {
		return true
	}
	l := strings.ToLower(p)
	return strings.HasSuffix(l, ".yaml") || strings.HasSuffix(l, ".yml") || strings.HasSuffix(l, ".json")
}

// applyYAML applies the writer's yamlPath rules to a whole file and returns
// the result (data itself when nothing was masked).
func (w *writer) applyYAML(data []byte) []byte {
	for _, y := range w.yaml {
		out, n, err := y.apply(data)
		if err != nil {
			w.errs = append(w.errs, FileError{File: w.path, Redactor: w.s.rules[y.rule].name, Error: err.Error()})
			continue
		}
		w.counts[y.rule] += n
		data = out
	}
	return data
}

// apply masks the rule's paths in data (JSON or YAML) and returns the new
// data and the number of values masked.
func (y *yamlRule) apply(data []byte) ([]byte, int, error) {
	t := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(t) == 0 {
		return data, 0, nil
	}
	if t[0] == '{' || t[0] == '[' {
		if out, n, err := y.applyJSON(data); err == nil {
			return out, n, nil
		}
		// Not JSON after all (YAML flow style): try YAML.
	}
	return y.applyYAMLDocs(data)
}

// --- JSON: find the byte ranges of selected values, then splice.

type jsonEdit struct{ start, end int }

type pathState struct{ path, depth int }

type jsonScan struct {
	data  []byte
	pos   int
	paths [][]seg
	edits []jsonEdit
	level int
}

var errJSON = errors.New("not valid JSON")

const maxJSONDepth = 10000

func (y *yamlRule) applyJSON(data []byte) ([]byte, int, error) {
	j := &jsonScan{data: data, paths: y.paths}
	all := make([]pathState, len(y.paths))
	for i := range y.paths {
		all[i] = pathState{path: i}
	}
	for {
		j.ws()
		if j.pos >= len(data) {
			break
		}
		if err := j.value(all); err != nil {
			return nil, 0, err
		}
	}
	if len(j.edits) == 0 {
		return data, 0, nil
	}
	var out bytes.Buffer
	out.Grow(len(data))
	last := 0
	for _, e := range j.edits {
		out.Write(data[last:e.start])
		out.WriteString(`"` + Mask + `"`)
		last = e.end
	}
	out.Write(data[last:])
	return out.Bytes(), len(j.edits), nil
}

func (j *jsonScan) ws() {
	for j.pos < len(j.data) {
		switch j.data[j.pos] {
		case ' ', '\t', '\r', '\n':
			j.pos++
		default:
			return
		}
	}
}

// value scans one value; states are the paths (and how far along them)
// that have led here.
func (j *jsonScan) value(states []pathState) error {
	j.ws()
	if j.pos >= len(j.data) {
		return errJSON
	}
	for _, st := range states {
		if st.depth == len(j.paths[st.path]) {
			start := j.pos
			if err := j.skip(); err != nil {
				return err
			}
			if string(j.data[start:j.pos]) != `"`+Mask+`"` {
				j.edits = append(j.edits, jsonEdit{start, j.pos})
			}
			return nil
		}
	}
	if len(states) == 0 {
		return j.skip()
	}
	j.level++
	defer func() { j.level-- }()
	if j.level > maxJSONDepth {
		return errJSON
	}
	switch j.data[j.pos] {
	case '{':
		return j.object(states)
	case '[':
		return j.array(states)
	}
	return j.skip()
}

func (j *jsonScan) object(states []pathState) error {
	j.pos++ // {
	j.ws()
	if j.pos < len(j.data) && j.data[j.pos] == '}' {
		j.pos++
		return nil
	}
	var child []pathState
	for {
		j.ws()
		if j.pos >= len(j.data) || j.data[j.pos] != '"' {
			return errJSON
		}
		ks := j.pos
		if err := j.str(); err != nil {
			return err
		}
		key, err := jsonKey(j.data[ks:j.pos])
		if err != nil {
			return err
		}
		j.ws()
		if j.pos >= len(j.data) || j.data[j.pos] != ':' {
			return errJSON
		}
		j.pos++
		child = child[:0]
		for _, st := range states {
			if j.paths[st.path][st.depth].matchKey(key) {
				child = append(child, pathState{st.path, st.depth + 1})
			}
		}
		if err := j.value(child); err != nil {
			return err
		}
		if done, err := j.next('}'); done || err != nil {
			return err
		}
	}
}

func (j *jsonScan) array(states []pathState) error {
	j.pos++ // [
	j.ws()
	if j.pos < len(j.data) && j.data[j.pos] == ']' {
		j.pos++
		return nil
	}
	var child []pathState
	for i := 0; ; i++ {
		child = child[:0]
		for _, st := range states {
			if j.paths[st.path][st.depth].matchIndex(i) {
				child = append(child, pathState{st.path, st.depth + 1})
			}
		}
		if err := j.value(child); err != nil {
			return err
		}
		if done, err := j.next(']'); done || err != nil {
			return err
		}
	}
}

// next consumes what follows a member or element: "," (another one comes)
// or closer (the object or array is done).
func (j *jsonScan) next(closer byte) (done bool, err error) {
	j.ws()
	if j.pos >= len(j.data) {
		return false, errJSON
	}
	switch j.data[j.pos] {
	case ',':
		j.pos++
		return false, nil
	case closer:
		j.pos++
		return true, nil
	}
	return false, errJSON
}

// str scans a string starting at its opening quote.
func (j *jsonScan) str() error {
	for i := j.pos + 1; i < len(j.data); i++ {
		switch j.data[i] {
		case '\\':
			i++
		case '"':
			j.pos = i + 1
			return nil
		case '\n':
			return errJSON
		}
	}
	return errJSON
}

// skip scans one value without looking inside it.
func (j *jsonScan) skip() error {
	j.ws()
	depth := 0
	for j.pos < len(j.data) {
		switch c := j.data[j.pos]; c {
		case '"':
			if err := j.str(); err != nil {
				return err
			}
			if depth == 0 {
				return nil
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth < 0 {
				return errJSON
			}
			if depth == 0 {
				j.pos++
				return nil
			}
		case ' ', '\t', '\r', '\n', ',', ':':
			if depth == 0 {
				return errJSON
			}
		default:
			if depth == 0 { // number, true, false, null
				start := j.pos
				for j.pos < len(j.data) && isJSONLiteralByte(j.data[j.pos]) {
					j.pos++
				}
				if j.pos == start {
					return errJSON
				}
				return nil
			}
		}
		j.pos++
	}
	return errJSON
}

func isJSONLiteralByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '+' || c == '.'
}

func jsonKey(raw []byte) (string, error) {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1]), nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", errJSON
	}
	return s, nil
}

// --- YAML: edit the node tree, re-encode if anything changed.

func (y *yamlRule) applyYAMLDocs(data []byte) ([]byte, int, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, 0, fmt.Errorf("yamlPath: file is neither JSON nor YAML: %w", err)
		}
		docs = append(docs, &doc)
	}
	n := 0
	for _, doc := range docs {
		for _, p := range y.paths {
			n += maskYAML(doc, p, 0)
		}
	}
	if n == 0 {
		return data, 0, nil
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	for _, doc := range docs {
		if err := enc.Encode(doc); err != nil {
			return nil, 0, fmt.Errorf("yamlPath: re-encode: %w", err)
		}
	}
	if err := enc.Close(); err != nil {
		return nil, 0, fmt.Errorf("yamlPath: re-encode: %w", err)
	}
	return out.Bytes(), n, nil
}

// maskYAML masks what path[i:] selects below n and returns how many values
// it masked.
func maskYAML(n *yaml.Node, path []seg, i int) int {
	if n.Kind == yaml.DocumentNode {
		c := 0
		for _, sub := range n.Content {
			c += maskYAML(sub, path, i)
		}
		return c
	}
	if i == len(path) {
		if n.Kind == yaml.ScalarNode && n.Value == Mask {
			return 0
		}
		*n = yaml.Node{
			Kind: yaml.ScalarNode, Tag: "!!str", Value: Mask, Style: yaml.DoubleQuotedStyle,
			Anchor:      n.Anchor,
			HeadComment: n.HeadComment, LineComment: n.LineComment, FootComment: n.FootComment,
		}
		return 1
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	c := 0
	s := path[i]
	switch n.Kind {
	case yaml.MappingNode:
		for k := 0; k+1 < len(n.Content); k += 2 {
			if s.matchKey(n.Content[k].Value) {
				c += maskYAML(n.Content[k+1], path, i+1)
			}
		}
	case yaml.SequenceNode:
		for k, item := range n.Content {
			if s.matchIndex(k) {
				c += maskYAML(item, path, i+1)
			}
		}
	}
	return c
}
