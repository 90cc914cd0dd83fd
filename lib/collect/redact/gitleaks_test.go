package redact

import (
	"bytes"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// TestLiteralGateNecessary: a gate never turns away a line its regex
// matches. Lines are random mixes of each regex's own literals, word and
// punctuation bytes, so that matches are frequent.
func TestLiteralGateNecessary(t *testing.T) {
	set, err := loadTokenRules()
	if err != nil {
		t.Fatal(err)
	}
	exprs := []string{`\bs\.[a-z]{3}`, `(?i)\bAPI-[0-9]{2}`, `x(?:ab|cd)\b`, `(?:^|\s)-p(?P<mask>\S+)`,
		`\bcurl\b.*(?:-u|--user)[ =](?P<mask>\S+)`, `(?:ab|cd)[a-z]{8}(?:x|y[0-9]{10})`, `(?:q[a-c]{8,}|r[^"]{9})`, `(?i)key[a-z0-9/+]{8}`}
	for _, r := range builtinRegexes(t) {
		exprs = append(exprs, r.String())
	}
	for _, r := range set.rules {
		exprs = append(exprs, r.src)
	}
	rnd := rand.New(rand.NewPCG(5, 6))
	for _, expr := range exprs {
		re := regexp.MustCompile(expr)
		g := newLiteralGate(expr)
		pieces := []string{" ", ".", "-", "_", "a", "Z", "0", "x", "\n", "=", "\"", ":"}
		if g != nil {
			for _, c := range g.clauses {
				for _, l := range c {
					pieces = append(pieces, string(l.lit), string(bytes.ToUpper(l.lit)))
				}
			}
			if g.run != nil {
				// Runs of the class, a little shorter and longer than needed.
				var run []byte
				for c := range 256 {
					if g.run.class[c] && c != '\n' {
						run = append(run, byte(c))
					}
				}
				for _, n := range []int{g.run.min - 1, g.run.min, g.run.min + 3} {
					p := make([]byte, n)
					for i := range p {
						p[i] = run[rnd.IntN(len(run))]
					}
					pieces = append(pieces, string(p))
				}
			}
		}
		for range 300 {
			var b []byte
			for n := rnd.IntN(40); n > 0; n-- {
				b = append(b, pieces[rnd.IntN(len(pieces))]...)
			}
			if re.Match(b) && !g.pass(b) {
				t.Fatalf("gate of %q rejects %q, which the regex matches", expr, b)
			}
		}
	}
}

func TestLiteralGateShape(t *testing.T) {
	g := newLiteralGate(`\b((?:hvs\.[\w-]{90,120}|s\.(?i:[a-z0-9]{24})))(?:$|\s)`)
	if g == nil || len(g.clauses) != 1 || len(g.clauses[0]) != 2 || !g.clauses[0][0].wb || g.clauses[0][0].fold {
		t.Fatalf("vault gate = %+v, want two case-sensitive literals after \\b", g)
	}
	for line, want := range map[string]bool{
		"pods.status":                      false,
		"token s.abcdefghijklmnopqrstuvwx": true,
		"token s.abc":                      false, // no run of 24
		"x=hvs." + strings.Repeat("a", 90): true,
		"HVS.abc S.x":                      false,
		"nothing in here":                  false,
		"(s.0123456789ab0123456789ab)":     true,
	} {
		if got := g.pass([]byte(line)); got != want {
			t.Errorf("pass(%q) = %v, want %v", line, got, want)
		}
	}
}

// builtinRegexes are the regexes of the built-in regexFinders, which get a
// gate too.
func builtinRegexes(t *testing.T) []*regexp.Regexp {
	var out []*regexp.Regexp
	for _, f := range mustNew(t, nil, true).builtins {
		if rf, ok := f.(*regexFinder); ok {
			out = append(out, rf.re)
		}
	}
	return out
}

// TestTokenRulesCompile: every gitleaks rule taken compiles, with its
// secret group, and has keywords (the rules compile on first use, where an
// error would leave a rule inert).
func TestTokenRulesCompile(t *testing.T) {
	set, err := loadTokenRules()
	if err != nil {
		t.Fatal(err)
	}
	if len(set.rules) < 150 {
		t.Fatalf("%d gitleaks rules, want the default set (~200)", len(set.rules))
	}
	for _, r := range set.rules {
		re, err := regexp.Compile(r.src)
		if err != nil {
			t.Errorf("%s: %v", r.id, err)
			continue
		}
		if r.group > re.NumSubexp() || r.compiled() == nil || len(r.kws) == 0 {
			t.Errorf("%s: group %d of %d, compiled %v, keywords %q", r.id, r.group, re.NumSubexp(), r.compiled() != nil, r.kws)
		}
	}
}
