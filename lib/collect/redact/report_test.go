package redact

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"regexp/syntax"
	"slices"
	"strings"
	"testing"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

func TestReport(t *testing.T) {
	s := mustNew(t, []*spec.Redact{
		{Name: "lit", Removals: spec.Removals{Values: []string{"s3cr3t-literal"}}},
		{Name: "unused", Removals: spec.Removals{Values: []string{"never-seen"}}},
	}, true)
	redactString(t, s, "b/two.log", lines("password=pw1", "token: tk1", "password=pw2"))
	redactString(t, s, "a/one.log", lines("password=pw3 s3cr3t-literal", "-----BEGIN PRIVATE KEY-----", "MIIE", "MIIE", "-----END PRIVATE KEY-----"))
	redactString(t, s, "c/none.log", "nothing to see\n")

	r := s.Report()
	wantFiles := []FileReport{
		{File: "a/one.log", Redactor: "builtin.password", Matches: 1, Builtin: true},
		{File: "a/one.log", Redactor: "builtin.private-key", Matches: 1, Builtin: true},
		{File: "a/one.log", Redactor: "lit", Matches: 1},
		{File: "b/two.log", Redactor: "builtin.password", Matches: 2, Builtin: true},
		{File: "b/two.log", Redactor: "builtin.token", Matches: 1, Builtin: true},
	}
	if !reflect.DeepEqual(r.Files, wantFiles) {
		t.Errorf("files =\n%+v\nwant\n%+v", r.Files, wantFiles)
	}
	if r.Total != 6 {
		t.Errorf("total = %d, want 6", r.Total)
	}
	if len(r.Redactors) != len(builtinNames)+2 {
		t.Fatalf("%d redactors, want every rule listed", len(r.Redactors))
	}
	for i, name := range builtinNames {
		if r.Redactors[i].Name != name || !r.Redactors[i].Builtin {
			t.Errorf("redactors[%d] = %+v, want built-in %s", i, r.Redactors[i], name)
		}
	}
	byName := map[string]RedactorReport{}
	sum := 0
	for _, red := range r.Redactors {
		byName[red.Name] = red
		sum += red.Matches
	}
	if sum != r.Total {
		t.Errorf("redactor matches sum to %d, total is %d", sum, r.Total)
	}
	for name, want := range map[string]RedactorReport{
		"builtin.password": {Name: "builtin.password", Builtin: true, Matches: 3, Files: 2},
		"builtin.jwt":      {Name: "builtin.jwt", Builtin: true},
		"lit":              {Name: "lit", Matches: 1, Files: 1},
		"unused":           {Name: "unused"},
	} {
		if byName[name] != want {
			t.Errorf("%s = %+v, want %+v", name, byName[name], want)
		}
	}

	// JSON: stable, and free of the secrets.
	a, _ := json.Marshal(s.Report())
	b, _ := json.Marshal(s.Report())
	if string(a) != string(b) {
		t.Errorf("report JSON is not stable")
	}
	for _, secret := range []string{"pw1", "pw2", "pw3", "tk1", "s3cr3t-literal", "MIIE"} {
		if strings.Contains(string(a), secret) {
			t.Errorf("report contains %q", secret)
		}
	}
	var generic map[string]any
	json.Unmarshal(a, &generic)
	for _, k := range []string{"total", "files", "redactors"} {
		if _, ok := generic[k]; !ok {
			t.Errorf("report JSON lacks %q: %s", k, a)
		}
	}
	if _, ok := generic["errors"]; ok {
		t.Errorf("empty errors are not omitted")
	}
	files := generic["files"].([]any)
	if f := files[0].(map[string]any); f["file"] != "a/one.log" || f["redactor"] != "builtin.password" || f["matches"] != 1.0 || f["builtin"] != true {
		t.Errorf("file entry JSON = %v", f)
	}
}

// TestReportEmpty: an empty report serialises with empty lists.
func TestReportEmpty(t *testing.T) {
	s := mustNew(t, nil, false)
	data, _ := json.Marshal(s.Report())
	if string(data) != `{"total":0,"files":[],"redactors":[]}` {
		t.Errorf("empty report = %s", data)
	}
}

// TestMatcher: the keyword automaton agrees with a plain search.
func TestMatcher(t *testing.T) {
	var kw keywordTable
	words := []string{"pass", "password", "sword", "word", "token", "ken", "://", "eyj", "a", "private key", "asia", "akia"}
	for _, w := range words {
		kw.add(w)
	}
	m, err := newMatcher(kw.words)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	alphabet := "pasworkdtenASWORDTKEN:/ eyjJivtk\u212a\u017f"
	mark := make([]uint32, len(words))
	for gen := uint32(1); gen < 5000; gen++ {
		var sb strings.Builder
		for n := r.IntN(30); n > 0; n-- {
			rs := []rune(alphabet)
			sb.WriteRune(rs[r.IntN(len(rs))])
		}
		line := sb.String()
		hits := m.scan([]byte(line), mark, gen, nil)
		found := len(hits) > 0
		folded := strings.ToLower(strings.NewReplacer("\u212a", "k", "\u017f", "s").Replace(line))
		anyWord := false
		for id, w := range words {
			want := strings.Contains(folded, w)
			anyWord = anyWord || want
			if got := mark[id] == gen; got != want {
				t.Fatalf("line %q, keyword %q: found %v, want %v", line, w, got, want)
			}
		}
		if found != anyWord {
			t.Fatalf("line %q: scan returned %v", line, found)
		}
	}
}

func TestRequiredLiterals(t *testing.T) {
	for expr, want := range map[string][]string{
		`password`:                           {"password"},
		`(?i)PassWord`:                       {"password"},
		`(?i)(password|passwd|secret)\s*=`:   {"passw", "secret"},
		`user=(?P<mask>\w+)`:                 {"user="},
		`\b10\.\d+\.\d+\.\d+\b`:              {"10."},
		`(?i)("key": *")(?P<mask>.{20}.*==)`: {`"key":`},
		`a+bc`:                               {"bc"},
		`(?:abc)+`:                           {"abc"},
		`x{2,}`:                              {"x"},
		`.*`:                                 nil,
		`[a-z]+`:                             nil,
		`(?:abc)?def|ghi`:                    {"def", "ghi"},
		`(?:abc|[0-9])`:                      nil,
		`\x{212a}elvin`:                      nil, // non-ASCII literal: no keyword
		`caf\x{e9}`:                          nil,
	} {
		re, err := syntax.Parse(expr, syntax.Perl)
		if err != nil {
			t.Fatal(err)
		}
		got := requiredLiterals(re)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", expr, got, want)
		}
	}
}
