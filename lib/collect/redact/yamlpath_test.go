package redact

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
	yaml "go.yaml.in/yaml/v3"
)

func TestParseYAMLPath(t *testing.T) {
	key := func(k string) seg { return seg{kind: segKey, key: k} }
	idx := func(i int) seg { return seg{kind: segIndex, index: i} }
	anySeg := seg{kind: segAny}
	for in, want := range map[string][]seg{
		"data.password":  {key("data"), key("password")},
		"spec.*.token":   {key("spec"), anySeg, key("token")},
		"items.[0].x":    {key("items"), idx(0), key("x")},
		"items[12].x":    {key("items"), idx(12), key("x")},
		"items.[*].x":    {key("items"), anySeg, key("x")},
		"a[0][1]":        {key("a"), idx(0), idx(1)},
		`data."tls.key"`: {key("data"), key("tls.key")},
		`data.tls\.key`:  {key("data"), key("tls.key")},
		`metadata.annotations.kubectl\.kubernetes\.io/last-applied-configuration`: {
			key("metadata"), key("annotations"), key("kubectl.kubernetes.io/last-applied-configuration")},
		"x": {key("x")},
	} {
		got, err := parseYAMLPath(in)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q = %+v, want %+v", in, got, want)
		}
	}
	for _, bad := range []string{"", "  ", "a..b", ".a", "a.", "a[x]", "a[-1]", "a[0", `a."b`, "a[0]b"} {
		if _, err := parseYAMLPath(bad); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}

func yamlRules(paths ...string) []*spec.Redact {
	return []*spec.Redact{{Name: "yp", Removals: spec.Removals{YamlPath: paths}}}
}

func TestYAMLPathJSONKeepsFormat(t *testing.T) {
	s := mustNew(t, yamlRules("data.password", "spec.*.token", "list.[1]", "obj", `data."tls.key"`), false)
	in := `{
  "data": {
    "password": "cGFzcw==",
    "user": "Ym9i",
    "tls.key": "a2V5"
  },
  "spec": {"a": {"token": 1, "x": 2}, "b": {"token": {"nested": [1, "two"]}}},
  "list": [ "keep", "drop", "keep" ],
  "obj": {"whole": true},
  "escaped\"key": "v"
}
`
	want := `{
  "data": {
    "password": "` + M + `",
    "user": "Ym9i",
    "tls.key": "` + M + `"
  },
  "spec": {"a": {"token": "` + M + `", "x": 2}, "b": {"token": "` + M + `"}},
  "list": [ "keep", "` + M + `", "keep" ],
  "obj": "` + M + `",
  "escaped\"key": "v"
}
`
	if got := redactString(t, s, "cluster-resources/x.json", in); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if n := matches(s.Report(), "cluster-resources/x.json", "yp"); n != 6 {
		t.Errorf("matches = %d, want 6", n)
	}
}

// TestYAMLPathList: a path written for one object applies to every item of
// a List, as the cluster-resources collector writes them; JSON lines too.
func TestYAMLPathList(t *testing.T) {
	s := mustNew(t, yamlRules("data.password"), false)
	list := `{"kind":"SecretList","items":[{"data":{"password":"a"}},{"data":{"user":"u"}},{"data":{"password":"b"}}]}`
	got := redactString(t, s, "cluster-resources/secrets/default.json", list)
	want := `{"kind":"SecretList","items":[{"data":{"password":"` + M + `"}},{"data":{"user":"u"}},{"data":{"password":"` + M + `"}}]}`
	if got != want {
		t.Errorf("list: got %s", got)
	}
	jsonl := "{\"data\":{\"password\":\"a\"}}\n{\"data\":{\"password\":\"b\"}}\n"
	if got := redactString(t, s, "x.json", jsonl); got != strings.ReplaceAll(strings.ReplaceAll(jsonl, `"a"`, `"`+M+`"`), `"b"`, `"`+M+`"`) {
		t.Errorf("json lines: got %s", got)
	}
	if n := matches(s.Report(), "x.json", "yp"); n != 2 {
		t.Errorf("matches = %d", n)
	}
}

func TestYAMLPathYAML(t *testing.T) {
	s := mustNew(t, yamlRules("stringData.password", "items.[0].token", "config.*.apiKey"), false)
	in := `# a secret
apiVersion: v1
kind: Secret
stringData:
  password: hunter2 # the password
  user: bob
---
items:
  - token: abc
  - token: def
config:
  a: {apiKey: k1, keep: 1}
  b:
    apiKey:
      nested: k2
`
	out := redactString(t, s, "secrets.yaml", in)
	dec := yaml.NewDecoder(strings.NewReader(out))
	var doc1, doc2 map[string]any
	if err := dec.Decode(&doc1); err != nil {
		t.Fatalf("output is not YAML: %v\n%s", err, out)
	}
	if err := dec.Decode(&doc2); err != nil {
		t.Fatalf("second document: %v\n%s", err, out)
	}
	sd := doc1["stringData"].(map[string]any)
	if sd["password"] != M || sd["user"] != "bob" {
		t.Errorf("stringData = %v", sd)
	}
	items := doc2["items"].([]any)
	if items[0].(map[string]any)["token"] != M || items[1].(map[string]any)["token"] != "def" {
		t.Errorf("items = %v", items)
	}
	cfg := doc2["config"].(map[string]any)
	if cfg["a"].(map[string]any)["apiKey"] != M || cfg["b"].(map[string]any)["apiKey"] != M || cfg["a"].(map[string]any)["keep"] != 1 {
		t.Errorf("config = %v", cfg)
	}
	if !strings.Contains(out, "# a secret") || !strings.Contains(out, "# the password") {
		t.Errorf("comments lost:\n%s", out)
	}
	if strings.Contains(out, "hunter2") || strings.Contains(out, "k1") || strings.Contains(out, "k2") {
		t.Errorf("secret left:\n%s", out)
	}
	if n := matches(s.Report(), "secrets.yaml", "yp"); n != 4 {
		t.Errorf("matches = %d, want 4", n)
	}
	// Nothing selected: the file is left byte for byte.
	plain := "a: 1\n# c\nb:   [1, 2]\n"
	if got := redactString(t, s, "other.yaml", plain); got != plain {
		t.Errorf("unmatched YAML was rewritten: %q", got)
	}
}

// TestYAMLPathThenLineRules: line rules run on the result of yamlPath rules.
func TestYAMLPathThenLineRules(t *testing.T) {
	rules := yamlRules("data.custom")
	rules[0].Removals.Values = []string{"lit"}
	s := mustNew(t, rules, true)
	in := `{"data": {"custom": "x", "password": "y", "other": "lit"}}`
	want := `{"data": {"custom": "` + M + `", "password": "` + M + `", "other": "` + M + `"}}`
	if got := redactString(t, s, "f.json", in); got != want {
		t.Errorf("got %s", got)
	}
}

func TestYAMLPathFiles(t *testing.T) {
	// Without fileSelector: .yaml, .yml and .json files only.
	s := mustNew(t, yamlRules("a"), false)
	for file, masked := range map[string]bool{"x.json": true, "x.YAML": true, "d/x.yml": true, "x.log": false, "x.txt": false} {
		got := redactString(t, s, file, "a: 1\n")
		if (got != "a: 1\n") != masked {
			t.Errorf("%s: got %q", file, got)
		}
	}
	// With a fileSelector: exactly the selected files.
	rules := yamlRules("a")
	rules[0].FileSelector.File = "*.txt"
	s = mustNew(t, rules, false)
	if got := redactString(t, s, "x.txt", "a: 1\n"); got != `a: "`+M+`"`+"\n" {
		t.Errorf("x.txt: got %q", got)
	}
	if got := redactString(t, s, "x.json", `{"a": 1}`); got != `{"a": 1}` {
		t.Errorf("x.json: got %q", got)
	}
}

// TestYAMLPathBuffersWholeFile: nothing reaches dst before Close.
func TestYAMLPathBuffersWholeFile(t *testing.T) {
	s := mustNew(t, yamlRules("a"), false)
	var out sink
	w := s.Writer("x.json", &out)
	w.Write([]byte("{\"a\": 1,\n"))
	w.Write([]byte("\"b\": 2}\n"))
	if out.Len() != 0 {
		t.Errorf("wrote %q before Close", out.String())
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if want := "{\"a\": \"" + M + "\",\n\"b\": 2}\n"; out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

func TestYAMLPathInvalid(t *testing.T) {
	s := mustNew(t, yamlRules("a"), true)
	in := "{not: [valid\npassword=x1\n"
	got := redactString(t, s, "broken.json", in)
	if want := "{not: [valid\npassword=" + M + "\n"; got != want {
		t.Errorf("got %q, want %q (line rules still apply)", got, want)
	}
	r := s.Report()
	if len(r.Errors) != 1 || r.Errors[0].File != "broken.json" || r.Errors[0].Redactor != "yp" || r.Errors[0].Error == "" {
		t.Errorf("errors = %+v", r.Errors)
	}
	// Already masked values do not count again.
	s = mustNew(t, yamlRules("a"), false)
	redactString(t, s, "x.json", `{"a": "`+M+`"}`)
	if r := s.Report(); r.Total != 0 {
		t.Errorf("masked value counted: %+v", r.Files)
	}
	// Valid JSON output for deep documents.
	deep := strings.Repeat(`{"a":`, 50) + `"v"` + strings.Repeat("}", 50)
	s = mustNew(t, yamlRules(strings.TrimSuffix(strings.Repeat("a.", 50), ".")), false)
	out := redactString(t, s, "d.json", deep)
	if !json.Valid([]byte(out)) || !strings.Contains(out, M) {
		t.Errorf("deep: %s", out)
	}
}
