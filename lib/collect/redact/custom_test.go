package redact

import (
	"strings"
	"testing"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

func TestCustomValues(t *testing.T) {
	s := mustNew(t, []*spec.Redact{{
		Name:     "literal",
		Removals: spec.Removals{Values: []string{"hunter2", "Zebra", ""}},
	}}, false)
	in := lines("login hunter2 and hunter2again", "zebra Zebra ZEBRA", "nothing here")
	want := lines("login "+M+" and "+M+"again", "zebra "+M+" ZEBRA", "nothing here")
	if got := redactString(t, s, "a.log", in); got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if n := matches(s.Report(), "a.log", "literal"); n != 3 {
		t.Errorf("matches = %d, want 3", n)
	}
}

func TestCustomRegex(t *testing.T) {
	s := mustNew(t, []*spec.Redact{
		{Name: "whole", Removals: spec.Removals{Regex: []spec.Regex{{Redactor: `\b10\.\d+\.\d+\.\d+\b`}}}},
		{Name: "group", Removals: spec.Removals{Regex: []spec.Regex{{Redactor: `(?i)(user=)(?P<mask>[a-z]+)`}}}},
		// The mask group does not take part in every match: nothing then.
		{Name: "optional", Removals: spec.Removals{Regex: []spec.Regex{{Redactor: `id:(?P<mask>\d+)?x`}}}},
	}, false)
	in := lines("from 10.0.0.1 to 10.1.2.3, not 110.0.0.1", "USER=Bob user=alice", "id:42x id:x")
	want := lines("from "+M+" to "+M+", not 110.0.0.1", "USER="+M+" user="+M, "id:"+M+"x id:x")
	if got := redactString(t, s, "a.log", in); got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	r := s.Report()
	for name, n := range map[string]int{"whole": 2, "group": 2, "optional": 1} {
		if got := matches(r, "a.log", name); got != n {
			t.Errorf("%s: %d matches, want %d", name, got, n)
		}
	}
}

func TestCustomSelector(t *testing.T) {
	s := mustNew(t, []*spec.Redact{{
		Name: "ceph",
		Removals: spec.Removals{Regex: []spec.Regex{{
			Selector: `(?i)"entity": *"(osd|client|mgr)\..*[0-9]+"`,
			Redactor: `(?i)("key": *")(?P<mask>.{20}.*==)(")`,
		}}},
	}}, false)
	key := `"key": "AQBnZW5lcmF0ZWQga2V5IGZvciB0ZXN0aW5n=="`
	in := lines(
		`  "entity": "osd.0",`,
		"    "+key+",", // after the selector: masked
		"    "+key+",", // two lines after: not
		`  "entity": "client.admin1",`,
		`  "caps": {},`, // the armed line does not match the redactor
		"    "+key,      // so this one is not masked either
		"    "+key,      // no selector before
	)
	want := lines(
		`  "entity": "osd.0",`,
		`    "key": "`+M+`",`,
		"    "+key+",",
		`  "entity": "client.admin1",`,
		`  "caps": {},`,
		"    "+key,
		"    "+key,
	)
	if got := redactString(t, s, "ceph.json", in); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if n := matches(s.Report(), "ceph.json", "ceph"); n != 1 {
		t.Errorf("matches = %d, want 1", n)
	}
	// Consecutive selector lines arm each next line.
	s = mustNew(t, []*spec.Redact{{Removals: spec.Removals{Regex: []spec.Regex{{Selector: `^name=`, Redactor: `=(?P<mask>.*)`}}}}}, false)
	if got := redactString(t, s, "x", lines("name=a", "name=b", "value=c")); got != lines("name=a", "name="+M, "value="+M) {
		t.Errorf("chained selectors: %q", got)
	}
}

func TestCustomFileSelector(t *testing.T) {
	rules := []*spec.Redact{
		{Name: "one", FileSelector: spec.FileSelector{File: "cluster-resources/secrets/*.json"}, Removals: spec.Removals{Values: []string{"S1"}}},
		{Name: "base", FileSelector: spec.FileSelector{Files: []string{"*.log"}}, Removals: spec.Removals{Values: []string{"S2"}}},
		{Name: "dir", FileSelector: spec.FileSelector{Files: []string{"/allPodLogs/kube-system", "nothing/*"}}, Removals: spec.Removals{Values: []string{"S3"}}},
		{Name: "all", Removals: spec.Removals{Values: []string{"S4"}}},
	}
	s := mustNew(t, rules, false)
	in := "S1 S2 S3 S4\n"
	for file, want := range map[string]string{
		"cluster-resources/secrets/default.json":     M + " S2 S3 " + M + "\n",
		"/cluster-resources/secrets/default.json":    M + " S2 S3 " + M + "\n",
		"cluster-resources/secrets/sub/x.json":       "S1 S2 S3 " + M + "\n",
		"allPodLogs/kube-system/etcd-0-etcd.log":     "S1 " + M + " " + M + " " + M + "\n",
		"allPodLogs/default/app-0-app.log":           "S1 " + M + " S3 " + M + "\n",
		"node-logs/n1/data/kubelet.log":              "S1 " + M + " S3 " + M + "\n",
		"cluster-resources/pods/kube-system.json":    "S1 S2 S3 " + M + "\n",
		"allPodLogs/kube-system-other/x-y.txt":       "S1 S2 S3 " + M + "\n",
		"./allPodLogs/kube-system/nested/deep/f.txt": "S1 S2 " + M + " " + M + "\n",
	} {
		if got := redactString(t, s, file, in); got != want {
			t.Errorf("%s: got %q, want %q", file, got, want)
		}
	}
}

func TestCustomErrors(t *testing.T) {
	for _, c := range []struct {
		rules []*spec.Redact
		want  []string // substrings of the error
	}{
		{[]*spec.Redact{{Name: "bad-re", Removals: spec.Removals{Regex: []spec.Regex{{Redactor: `(unclosed`}}}}},
			[]string{`redactor "bad-re"`, `regex[0] redactor "(unclosed"`, "missing closing )"}},
		{[]*spec.Redact{{Removals: spec.Removals{Values: []string{"x"}}}, {Removals: spec.Removals{Regex: []spec.Regex{{Redactor: "ok"}, {Selector: `[z-a]`, Redactor: "x"}}}}},
			[]string{"redactor #1", `regex[1] selector "[z-a]"`}},
		{[]*spec.Redact{{Name: "empty", Removals: spec.Removals{Regex: []spec.Regex{{Selector: "x"}}}}},
			[]string{`redactor "empty"`, "regex[0]: redactor is empty"}},
		{[]*spec.Redact{{Name: "yp", Removals: spec.Removals{YamlPath: []string{"a..b"}}}},
			[]string{`redactor "yp"`, `yamlPath "a..b"`, "empty segment"}},
		{[]*spec.Redact{{Name: "glob", FileSelector: spec.FileSelector{File: "a/[b"}, Removals: spec.Removals{Values: []string{"x"}}}},
			[]string{`redactor "glob"`, `fileSelector "a/[b"`}},
		{[]*spec.Redact{{Name: "noop"}},
			[]string{`redactor "noop"`, "no removals"}},
		{[]*spec.Redact{{Name: "builtin.password", Removals: spec.Removals{Values: []string{"x"}}}},
			[]string{"reserved"}},
		// Every bad rule is reported, not only the first.
		{[]*spec.Redact{{Name: "a", Removals: spec.Removals{Regex: []spec.Regex{{Redactor: "("}}}}, {Name: "b", Removals: spec.Removals{Regex: []spec.Regex{{Redactor: "["}}}}},
			[]string{`redactor "a"`, `redactor "b"`}},
	} {
		s, err := New(c.rules, true)
		if err == nil {
			t.Errorf("New(%+v) = %v, want an error", c.rules[0], s)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not contain %q", err, w)
			}
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("error %q is not one line", err)
		}
	}
}

func TestCustomUnnamedReportName(t *testing.T) {
	s := mustNew(t, []*spec.Redact{nil, {Removals: spec.Removals{Values: []string{"x1"}}}}, false)
	redactString(t, s, "f", "x1\n")
	r := s.Report()
	if len(r.Redactors) != 1 || r.Redactors[0].Name != "redactor-1" || r.Redactors[0].Matches != 1 || r.Redactors[0].Builtin {
		t.Errorf("redactors = %+v", r.Redactors)
	}
}

// TestCustomWithBuiltins: custom rules add to the built-in ones.
func TestCustomWithBuiltins(t *testing.T) {
	s := mustNew(t, []*spec.Redact{{Name: "host", Removals: spec.Removals{Values: []string{"db.internal"}}}}, true)
	got := redactString(t, s, "f", "password=x1 host=db.internal\n")
	if want := "password=" + M + " host=" + M + "\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	r := s.Report()
	if r.Redactors[0].Name != "builtin.password" || r.Redactors[len(r.Redactors)-1].Name != "host" {
		t.Errorf("rule order: %+v", r.Redactors)
	}
}

// TestCustomPrefilterCase: keywords derived from a regex never skip a line
// the regex matches, whatever the case (also the Unicode folds of k and s).
func TestCustomPrefilterCase(t *testing.T) {
	s := mustNew(t, []*spec.Redact{
		{Name: "ci", Removals: spec.Removals{Regex: []spec.Regex{{Redactor: `(?i)mask(?P<mask>ed)`}}}},
		{Name: "cs", Removals: spec.Removals{Regex: []spec.Regex{{Redactor: `Secret-(?P<mask>\d+)`}}}},
	}, false)
	in := lines("MASKED masked maSKed", "ma\u017fked", "ma\u017F\u212Aed", "Secret-1 secret-2 SECRET-3")
	want := lines("MASK"+M+" mask"+M+" maSK"+M, "ma\u017fk"+M, "ma\u017f\u212a"+M, "Secret-"+M+" secret-2 SECRET-3")
	if got := redactString(t, s, "f", in); got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

// TestBuiltinsAreKeyed: every built-in rule has keywords, so that a line
// without any skips all regexes (the main performance lever).
func TestBuiltinsAreKeyed(t *testing.T) {
	s := mustNew(t, nil, true)
	w := s.Writer("f", &sink{}).(*writer)
	if len(w.always) != 0 {
		t.Errorf("%d built-in finders run on every line", len(w.always))
	}
	s = mustNew(t, []*spec.Redact{
		{Removals: spec.Removals{Regex: []spec.Regex{{Redactor: `[0-9]{4}[a-z]{4}`}}}},
		{Removals: spec.Removals{Regex: []spec.Regex{{Redactor: `(?i)card=[0-9]+`}}}},
	}, true)
	w = s.Writer("f", &sink{}).(*writer)
	if len(w.always) != 1 {
		t.Errorf("%d finders run on every line, want 1 (the regex without a literal)", len(w.always))
	}
}

// TestCustomFileSelectorAlias: a rule selecting a link's path (allPodLogs/*)
// applies to the file the link points to, and the report names the file.
func TestCustomFileSelectorAlias(t *testing.T) {
	s := mustNew(t, []*spec.Redact{{
		Name:         "site",
		FileSelector: spec.FileSelector{Files: []string{"allPodLogs/*"}},
		Removals:     spec.Removals{Values: []string{"db.internal"}},
	}}, false)
	var out sink
	w := s.Writer("cluster-resources/pods/logs/ns/web/main.log", &out, "allPodLogs/ns/web-main.log")
	if _, err := w.Write([]byte("to db.internal\n")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "to "+M+"\n" {
		t.Errorf("got %q", got)
	}
	if n := matches(s.Report(), "cluster-resources/pods/logs/ns/web/main.log", "site"); n != 1 {
		t.Errorf("matches = %d, want 1", n)
	}
	if got := redactString(t, s, "other/web-main.log", "to db.internal\n"); got != "to db.internal\n" {
		t.Errorf("a file no selector names: %q", got)
	}
}
