package redactcheck

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mesosphere/dkp-diagnose/lib/collect/bundle"
	"github.com/mesosphere/dkp-diagnose/lib/collect/redact"
)

const (
	dbPassword = "Rk7vQ2mZp9Lx"
	ghToken    = "ghp_Ab3Cd5Ef7Gh9Ij1Kl3Mn5Op7Qr9St1Uv3Wx5"
)

// files are a small bundle's contents: secrets in a pod list and a log,
// and a file with nothing to hide.
var files = map[string]string{
	"cluster-resources/pods/default.json": "{\n  \"env\": [\n    {\"name\": \"DB_PASSWORD\", \"value\": \"" + dbPassword + "\"}\n  ]\n}\n",
	"allPodLogs/default/app/app.log":      "starting\nclone https://" + ghToken + "@github.com/o/r.git\nAuthorization: Basic dXNlcjpwYXNzd29yZA==\n",
	"cluster-info/cluster_version.json":   "{\"major\": \"1\", \"minor\": \"29\"}\n",
}

func rules(t *testing.T) *redact.Set {
	t.Helper()
	s, err := redact.New(nil, true)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// writeBundle writes files as a .tar.gz bundle in dir, through s's
// writers when s is not nil (as a collection does).
func writeBundle(t *testing.T, dir string, s *redact.Set) string {
	t.Helper()
	w, err := bundle.Create(dir, "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		f, err := w.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		dst := s.Writer(name, f)
		if _, err := io.WriteString(dst, content); err != nil {
			t.Fatal(err)
		}
		if err := dst.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.Path()
}

func TestBundleFindsWhatWouldBeHidden(t *testing.T) {
	var nilSet *redact.Set
	raw := writeBundle(t, t.TempDir(), nilSet)
	res, err := Bundle(rules(t), raw)
	if err != nil {
		t.Fatal(err)
	}
	if res.Files != 3 {
		t.Errorf("scanned %d files, want 3", res.Files)
	}
	want := map[string]redact.Finding{
		"builtin.password":      {File: "cluster-resources/pods/default.json", Line: 3, Column: 39, Length: len(dbPassword)},
		"builtin.url-token":     {File: "allPodLogs/default/app/app.log", Line: 2, Column: 15, Length: len(ghToken)},
		"builtin.gitleaks":      {File: "allPodLogs/default/app/app.log", Line: 2, Column: 15, Length: len(ghToken)},
		"builtin.authorization": {File: "allPodLogs/default/app/app.log", Line: 3, Column: 22, Length: 20},
	}
	got := map[string]redact.Finding{}
	for _, f := range res.Findings {
		got[f.Rule] = f
	}
	for rule, w := range want {
		g, ok := got[rule]
		if !ok {
			t.Errorf("no %s finding; findings: %+v", rule, res.Findings)
			continue
		}
		if g.File != w.File || g.Line != w.Line || g.Column != w.Column || g.Length != w.Length {
			t.Errorf("%s at %s:%d:%d+%d, want %s:%d:%d+%d", rule, g.File, g.Line, g.Column, g.Length, w.File, w.Line, w.Column, w.Length)
		}
	}
	if got["builtin.gitleaks"].Detail != "github-pat" {
		t.Errorf("gitleaks detail = %q, want github-pat", got["builtin.gitleaks"].Detail)
	}
	data, _ := json.Marshal(res)
	for _, secret := range []string{dbPassword, ghToken, "dXNlcjpwYXNzd29yZA=="} {
		if strings.Contains(string(data), secret) {
			t.Errorf("the result holds the secret %q", secret)
		}
	}
	var sum int
	for _, c := range res.Counts {
		sum += c.Matches
	}
	if sum != len(res.Findings) || len(res.Counts) != 4 {
		t.Errorf("counts %+v do not add up to %d findings", res.Counts, len(res.Findings))
	}
}

// TestRedactedBundleIsClean: a bundle written through the redactor passes
// the check; so does the same bundle extracted to a folder.
func TestRedactedBundleIsClean(t *testing.T) {
	s := rules(t)
	path := writeBundle(t, t.TempDir(), s)
	res, err := Bundle(s, path)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 0 || res.Files != 3 {
		t.Errorf("redacted bundle: %d files, findings %+v", res.Files, res.Findings)
	}
	dir := t.TempDir()
	all, err := bundle.ReadAll(path)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range all {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, err = Bundle(s, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 0 || res.Files != 3 {
		t.Errorf("extracted folder: %d files, findings %+v", res.Files, res.Findings)
	}
}

func TestBundleBadInput(t *testing.T) {
	dir := t.TempDir()
	notGzip := filepath.Join(dir, "bundle.tar.gz")
	if err := os.WriteFile(notGzip, []byte("not a bundle"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(dir, "missing.tar.gz"), notGzip} {
		if _, err := Bundle(rules(t), p); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("Bundle(%q) error = %v, want one naming the bundle", p, err)
		}
	}
}
