package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	yaml "go.yaml.in/yaml/v3"
)

// Spec is the merged result of one or more spec files: what a run collects
// and which custom redaction rules apply.
type Spec struct {
	Collectors []*Collect `json:"collectors"`
	Redactors  []*Redact  `json:"redactors,omitempty"`
	// Analyzers are the troubleshoot analyzers of SupportBundle and
	// Analyzer documents, run over the bundle after collection.
	Analyzers []*Analyze `json:"analyzers,omitempty"`
	// Sources names the files (or built-in specs) merged into this spec.
	Sources []string `json:"sources,omitempty"`
	// Conflicts are collectors of different files that write to the same
	// place, found by Merge; the caller shows them.
	Conflicts []Conflict `json:"-"`

	origins map[*Collect]origin
}

// LoadFiles reads and merges spec files in order. Every error names the file
// and, where it is about a field, the line.
func LoadFiles(paths ...string) (*Spec, error) {
	files, err := ReadFiles(paths...)
	if err != nil {
		return nil, err
	}
	return ParseFiles(files...)
}

// File is a spec file as read: its name, in errors and Sources, and its
// bytes.
type File struct {
	Name string
	Data []byte
}

// ReadFiles reads spec files, in order, without parsing them: a caller
// that both parses a file and hands it on (an in-cluster run gives its
// pods the same bytes) reads it once, which also makes /dev/stdin and a
// shell's <(...) work.
func ReadFiles(paths ...string) ([]File, error) { return readFiles("spec", paths) }

// ReadRedactorFiles is ReadFiles for files given as redactors (Redactor
// documents): an unreadable file is reported as such.
func ReadRedactorFiles(paths ...string) ([]File, error) { return readFiles("redactors", paths) }

func readFiles(what string, paths []string) ([]File, error) {
	out := make([]File, 0, len(paths))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", what, err)
		}
		out = append(out, File{Name: p, Data: data})
	}
	return out, nil
}

// ParseFiles parses files read by ReadFiles and merges them in order.
func ParseFiles(files ...File) (*Spec, error) {
	out := &Spec{}
	for _, f := range files {
		s, err := Parse(f.Name, f.Data)
		if err != nil {
			return nil, err
		}
		out.Merge(s)
	}
	return out, nil
}

// Parse reads the YAML documents of one file (name is used in errors only).
func Parse(name string, data []byte) (*Spec, error) {
	out := &Spec{Sources: []string{name}}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	docs := 0
	for {
		var node yaml.Node
		err := dec.Decode(&node)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %s", name, yamlMessage(err))
		}
		if len(node.Content) == 0 || isNull(node.Content[0]) {
			continue // an empty document between separators
		}
		docs++
		if err := parseDocument(name, node.Content[0], out); err != nil {
			return nil, err
		}
	}
	if docs == 0 {
		return nil, fmt.Errorf("%s: no SupportBundle, Analyzer or Redactor document", name)
	}
	return out, nil
}

func parseDocument(file string, n *yaml.Node, out *Spec) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("%s:%d: a spec document must be a mapping with apiVersion and kind", file, n.Line)
	}
	var tm TypeMeta
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch n.Content[i].Value {
		case "apiVersion":
			tm.APIVersion = n.Content[i+1].Value
		case "kind":
			tm.Kind = n.Content[i+1].Value
		}
	}
	if tm.APIVersion != APIVersion {
		return fmt.Errorf("%s:%d: apiVersion %q is not supported, want %q", file, n.Line, tm.APIVersion, APIVersion)
	}
	switch tm.Kind {
	case KindSupportBundle:
		var sb SupportBundle
		if err := decodeStrict(file, n, &sb); err != nil {
			return err
		}
		for i, c := range sb.Spec.Collectors {
			if c == nil {
				return fmt.Errorf("%s:%d: spec.collectors[%d] is empty", file, n.Line, i)
			}
			line := collectorLine(n, i)
			if _, _, err := c.Collector(); err != nil {
				return fmt.Errorf("%s:%d: spec.collectors[%d]: %w", file, line, i, err)
			}
			if err := checkPaths(c); err != nil {
				return fmt.Errorf("%s:%d: %s: %w", file, line, c.Identity(), err)
			}
			out.setOrigin(c, file, line)
		}
		out.Collectors = append(out.Collectors, sb.Spec.Collectors...)
		as, err := parseAnalyzers(file, n)
		if err != nil {
			return err
		}
		out.Analyzers = append(out.Analyzers, as...)
	case KindAnalyzer:
		var a Analyzer
		if err := decodeStrict(file, n, &a); err != nil {
			return err
		}
		as, err := parseAnalyzers(file, n)
		if err != nil {
			return err
		}
		out.Analyzers = append(out.Analyzers, as...)
	case KindRedactor:
		var r Redactor
		if err := decodeStrict(file, n, &r); err != nil {
			return err
		}
		out.Redactors = append(out.Redactors, r.Spec.Redactors...)
	default:
		return fmt.Errorf("%s:%d: unknown kind %q, want %s, %s or %s", file, n.Line, tm.Kind, KindSupportBundle, KindAnalyzer, KindRedactor)
	}
	return nil
}

// decodeStrict checks n against v's type (unknown fields, scalar types, with
// line numbers) and then decodes it through JSON, so that the json tags are
// the one source of field names.
func decodeStrict(file string, n *yaml.Node, v any) error {
	if err := check(n, typeOf(v), ""); err != nil {
		return fmt.Errorf("%s:%w", file, err)
	}
	var generic any
	if err := n.Decode(&generic); err != nil {
		return fmt.Errorf("%s:%d: %s", file, n.Line, yamlMessage(err))
	}
	raw, err := json.Marshal(generic)
	if err != nil {
		return fmt.Errorf("%s:%d: %w", file, n.Line, err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s:%d: %w", file, n.Line, err)
	}
	return nil
}

// Merge appends other's collectors, redactors, analyzers and sources to s.
// A collector of other that writes where one of s from another file does is
// recorded in s.Conflicts; when one of the two is excluded, both are.
func (s *Spec) Merge(other *Spec) {
	s.mergeConflicts(other)
	for c, o := range other.origins {
		s.setOrigin(c, o.file, o.line)
	}
	s.Collectors = append(s.Collectors, other.Collectors...)
	s.Redactors = append(s.Redactors, other.Redactors...)
	s.Analyzers = append(s.Analyzers, other.Analyzers...)
	s.Sources = append(s.Sources, other.Sources...)
	s.Conflicts = append(s.Conflicts, other.Conflicts...)
}

// WithDefaults returns s with clusterInfo and clusterResources added at the
// front when the spec does not name them: like upstream, every bundle has
// them unless a spec excludes them explicitly.
func (s *Spec) WithDefaults() *Spec {
	var info, res bool
	for _, c := range s.Collectors {
		info = info || c.ClusterInfo != nil
		res = res || c.ClusterResources != nil
	}
	out := *s
	out.Collectors = nil
	if !info {
		out.Collectors = append(out.Collectors, &Collect{ClusterInfo: &ClusterInfo{}})
	}
	if !res {
		out.Collectors = append(out.Collectors, &Collect{ClusterResources: &ClusterResources{}})
	}
	out.Collectors = append(out.Collectors, s.Collectors...)
	return &out
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// yamlMessage drops the library's "yaml: " prefix so that errors read
// "file:line: message" like a compiler's.
func yamlMessage(err error) string {
	msg := err.Error()
	if len(msg) > 6 && msg[:6] == "yaml: " {
		return msg[6:]
	}
	return msg
}

// collectorLine finds the line of spec.collectors[i] for error messages.
func collectorLine(doc *yaml.Node, i int) int {
	specNode := mapValue(doc, "spec")
	if specNode == nil {
		return doc.Line
	}
	cs := mapValue(specNode, "collectors")
	if cs == nil || cs.Kind != yaml.SequenceNode || i >= len(cs.Content) {
		return doc.Line
	}
	return cs.Content[i].Line
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
