package redact

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// envPairRegex is the compiled regex of the built-in env-pair finder.
func envPairRegex(t *testing.T) *envPairFinder {
	t.Helper()
	for _, f := range mustNew(t, nil, true).builtins {
		if e, ok := f.(*envPairFinder); ok {
			return e
		}
	}
	t.Fatal("no envPairFinder among the built-ins")
	return nil
}

// matchFunc adapts the finder's matches to the MatchString of a regex.
type matchFunc func([]byte) [][]int

func (m matchFunc) MatchString(s string) bool { return len(m([]byte(s))) > 0 }

// TestMayHaveSensitiveNameCases: lines the prefilter must pass (the regex
// matches them) and lines it should reject.
func TestMayHaveSensitiveNameCases(t *testing.T) {
	f := envPairRegex(t)
	re := matchFunc(f.matches)
	pass := []string{
		`  "name": "DB_PASSWORD",`,
		`- name: MYSQL_ROOT_PASSWORD`,
		`{"name":"DB_PASSWORD","value":"s3cr3t"}`,
		`"env": "[{\"name\":\"API_TOKEN\",\"value\":\"x\"}]"`,
		`"a": "{\\\"name\\\": \\\"api-key\\\"}"`,
		`NAME = 'client.key.data'`,
		`name:db_pwd`,
		`x name=secret y`,
		`"Name"	:	"AccessKey"`,
		// A non-ASCII rune before "name" is no key character.
		"\u00e9name: token",
	}
	for _, l := range pass {
		if !re.MatchString(l) {
			t.Errorf("test case %q does not match the regex; fix the case", l)
		}
		if !mayHaveSensitiveName([]byte(l)) {
			t.Errorf("prefilter rejects %q, which the regex matches", l)
		}
	}
	reject := []string{
		`2026-11-25T06:00:00Z stdout F level=info i=1 namespace token cache id=1`,
		`  "namespace": "token",`,
		`  "hostname": "DB_PASSWORD",`,
		`  "name": "kube-api-access-x1y2z",`,
		`  "name": "tokenizer",`,
		`  "name": "password_file",`,
		`name: PWD`,
		`the name of the token`,
	}
	for _, l := range reject {
		if re.MatchString(l) {
			t.Errorf("test case %q matches the regex; fix the case", l)
		}
		if mayHaveSensitiveName([]byte(l)) {
			t.Errorf("prefilter passes %q", l)
		}
	}
}

// TestMayHaveSensitiveNameNeverHidesAMatch: on random lines built from the
// pieces the regex looks at, the prefilter passes every line the regex
// matches. Skipping a line the regex would match would leak a secret.
func TestMayHaveSensitiveNameNeverHidesAMatch(t *testing.T) {
	re := matchFunc(envPairRegex(t).matches)
	pieces := []string{
		"name", "NAME", "Name", "nam", "host", "_", ".", "-", " ", "\t", ":", "=", `"`, "'", `\`, `\\`, ",", "{", "}",
		"password", "PASSWD", "passphrase", "pwd", "_PWD", "secret", "token", "TOKEN", "key", "api", "access", "private",
		"client", "data", "credential", "credentials", "s", "k", "x", "9",
		"\u212a", "\u017f", "\u00e9", "\xff", "\xe2\x84",
	}
	r := rand.New(rand.NewPCG(5, 6))
	matched := 0
	for range 200000 {
		var b strings.Builder
		piece := func() { b.WriteString(pieces[r.IntN(len(pieces))]) }
		if r.IntN(2) == 0 {
			for range 1 + r.IntN(10) {
				piece()
			}
		} else {
			// Shaped like a name/value pair, with random pieces in
			// between, to get near the regex's edges.
			for range r.IntN(3) {
				piece()
			}
			b.WriteString([]string{"name", "NAME", "nAmE"}[r.IntN(3)])
			for range r.IntN(3) {
				b.WriteString([]string{`\`, `"`, "'", " ", "\t", ":", "="}[r.IntN(7)])
			}
			for range r.IntN(4) {
				piece()
			}
			for range r.IntN(3) {
				b.WriteString([]string{`\`, `"`, "'", " ", ","}[r.IntN(5)])
			}
			for range r.IntN(3) {
				piece()
			}
		}
		l := b.String()
		if !re.MatchString(l) {
			continue
		}
		matched++
		if !mayHaveSensitiveName([]byte(l)) {
			t.Fatalf("prefilter rejects %q, which the regex matches", l)
		}
	}
	t.Logf("%d of 200000 random lines matched the regex", matched)
	if matched < 100 {
		t.Fatalf("only %d random lines matched the regex: the test explores too little", matched)
	}
}
