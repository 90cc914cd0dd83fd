package redact

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// anchorDoc sets values under ordinary keys and uses them, by alias, under
// sensitive ones: every form of anchored node (a plain, a quoted and a
// tagged scalar, a block scalar, a next-line value, a mapping), and
// ordinary anchors that stay.
const anchorDoc = `defaults:
  shared: &dbpw anchoredPlain111
  quoted: &q "anchoredQuoted222" # note
  tagged: !!str &t anchoredTagged333
  block: &blk |
    anchoredBlock444
    second line
  next: &nx
    anchoredNextLine555
  creds: &c
    user: admin
    code: anchoredMap666
    inner: &in anchoredInner888
  - &item anchoredItem777
  replicas: &r 3
  region: &reg eu-west-1
database:
  password: *dbpw
  "clientSecret": *q
  token: *t
  privateKey: *blk
  apiKey: *nx
  credentials: *c
  pass: *item
  size: *r
  zone: *reg
flow: {password: *dbpw, other: x}
`

var anchorSecrets = []string{"anchoredPlain111", "anchoredQuoted222", "anchoredTagged333", "anchoredBlock444",
	"second line", "anchoredNextLine555", "anchoredMap666", "anchoredItem777", "anchoredInner888"}

func TestAliasedAnchorsHidden(t *testing.T) {
	s := mustNew(t, nil, true)
	check := func(t *testing.T, out string) {
		t.Helper()
		for _, sec := range anchorSecrets {
			if strings.Contains(out, sec) {
				t.Errorf("%q is still in\n%s", sec, out)
			}
		}
		for _, keep := range []string{"replicas: &r 3", "region: &reg eu-west-1", "size: *r", "zone: *reg", "defaults:", "shared: &dbpw "} {
			if !strings.Contains(out, keep) {
				t.Errorf("%q was lost from\n%s", keep, out)
			}
		}
	}
	t.Run("yaml file", func(t *testing.T) {
		out := redactString(t, s, "node-diagnostics/n1/app.yaml", anchorDoc)
		check(t, out)
		if strings.Contains(redactBytewise(t, s, "node-diagnostics/n1/app.yaml", anchorDoc), "anchoredPlain111") {
			t.Error("written byte by byte, the anchored value stays")
		}
		if n := matches(s.Report(), "node-diagnostics/n1/app.yaml", "builtin.password"); n == 0 {
			t.Error("the masked anchors were not counted")
		}
	})
	// The document less what makes it invalid YAML (the sequence item in
	// a mapping, and the flow line whose mask the line rules write bare).
	valid := anchorDoc[:strings.Index(anchorDoc, "flow:")]
	valid = strings.Replace(valid, "  - &item anchoredItem777\n", "", 1)
	valid = strings.Replace(valid, "  pass: *item\n", "", 1)
	for _, doc := range []string{anchorDoc, valid} {
		t.Run("config map value", func(t *testing.T) {
			// Valid YAML is parsed too (aliases resolved) to see that
			// nothing is left: the anchors' masks must satisfy that, or
			// the whole value would be masked and the ordinary lines lost.
			obj := jsonString(t, map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
				"metadata": map[string]any{"name": "app"}, "data": map[string]any{"app.yaml": doc}})
			out := s.Object("cluster-resources/configmaps/default.json", "", []byte(obj))
			check(t, jsonUnescape(t, string(out)))
		})
	}
	t.Run("still YAML", func(t *testing.T) {
		out := redactString(t, s, "x.yaml", valid)
		var v map[string]any
		if err := yaml.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("redacted YAML does not parse: %v\n%s", err, out)
		}
	})
}

// jsonUnescape turns the escaped newlines and quotes of a JSON document
// back into text, so that substrings of a multi-line value can be found.
func jsonUnescape(t *testing.T, s string) string {
	t.Helper()
	return strings.NewReplacer(`\n`, "\n", `\"`, `"`).Replace(s)
}

func TestSecretAliases(t *testing.T) {
	got := secretAliases([]byte(anchorDoc))
	for _, name := range []string{"dbpw", "q", "t", "blk", "nx", "c", "item"} {
		if _, ok := got[name]; !ok {
			t.Errorf("alias %q under a sensitive key not found", name)
		}
	}
	for _, name := range []string{"r", "reg"} {
		if _, ok := got[name]; ok {
			t.Errorf("alias %q under an ordinary key taken as secret", name)
		}
	}
}
