package redact

import (
	"bytes"
	"math/rand/v2"
	"regexp"
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
	exprs := []string{`\bs\.[a-z]{3}`, `(?i)\bAPI-[0-9]{2}`, `x(?:ab|cd)\b`, `(?:^|\s)-p(?P<mask>\S+)`}
	for _, r := range set.rules {
		exprs = append(exprs, r.re.String())
	}
	rnd := rand.New(rand.NewPCG(5, 6))
	for _, expr := range exprs {
		re := regexp.MustCompile(expr)
		g := newLiteralGate(expr)
		pieces := []string{" ", ".", "-", "_", "a", "Z", "0", "x", "\n", "=", "\"", ":"}
		for _, l := range g {
			pieces = append(pieces, string(l.lit), string(bytes.ToUpper(l.lit)))
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
	if len(g) != 2 || !g[0].wb || g[0].fold {
		t.Fatalf("vault gate = %+v, want two case-sensitive literals after \\b", g)
	}
	for line, want := range map[string]bool{
		"pods.status":      false,
		"token s.abc":      true,
		"x=hvs.abc":        true,
		"HVS.abc S.x":      false,
		"nothing in here":  false,
		"(s.0123456789ab)": true,
	} {
		if got := g.pass([]byte(line)); got != want {
			t.Errorf("pass(%q) = %v, want %v", line, got, want)
		}
	}
}
