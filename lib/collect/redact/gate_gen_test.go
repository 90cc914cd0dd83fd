package redact

import (
	"math/rand/v2"
	"regexp"
	"regexp/syntax"
	"strings"
	"testing"
)

// TestLiteralGateNecessaryOnMatches: a gate never turns away a line its
// regex matches, checked on strings generated FROM each regex (a random walk
// of its syntax tree), so that every rule is tried on many real matches —
// random text alone rarely matches a token rule — set in random context.
// A gate that rejected one of them would let that secret through.
func TestLiteralGateNecessaryOnMatches(t *testing.T) {
	set, err := loadTokenRules()
	if err != nil {
		t.Fatal(err)
	}
	var exprs []string
	for _, r := range builtinRegexes(t) {
		exprs = append(exprs, r.String())
	}
	for _, r := range set.rules {
		exprs = append(exprs, r.src)
	}
	contexts := []string{"", " ", "token=", "\"", "x ", "password: ", "Authorization: Bearer ", "url=https://", "\t", "{\"key\":\""}
	rnd := rand.New(rand.NewPCG(7, 8))
	var tried, gated int
	for _, expr := range exprs {
		re := regexp.MustCompile(expr)
		g := newLiteralGate(expr)
		if g == nil {
			continue // no gate: every line reaches the regex
		}
		gated++
		parsed, err := syntax.Parse(expr, syntax.Perl)
		if err != nil {
			t.Fatalf("%q: %v", expr, err)
		}
		parsed = parsed.Simplify()
		for range genRounds {
			var b strings.Builder
			genMatch(rnd, parsed, &b, 0)
			line := contexts[rnd.IntN(len(contexts))] + b.String() + contexts[rnd.IntN(len(contexts))]
			if !re.MatchString(line) {
				continue // an assertion (\b, ^, $) the walk did not satisfy
			}
			tried++
			if !g.pass([]byte(line)) {
				t.Fatalf("gate of %q rejects %q, which the regex matches", expr, line)
			}
		}
	}
	t.Logf("%d gated regexes, %d generated matches passed their gate", gated, tried)
	if tried < 50*gated {
		t.Fatalf("only %d matches generated for %d gated regexes: the generator is too weak to check them", tried, gated)
	}
}

// genMatch appends to b a random string re's syntax tree accepts (empty-
// width assertions are ignored; the caller keeps only real matches).
func genMatch(rnd *rand.Rand, re *syntax.Regexp, b *strings.Builder, depth int) {
	if depth > 40 {
		return
	}
	fold := re.Flags&syntax.FoldCase != 0
	switch re.Op {
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if fold && rnd.IntN(2) == 0 {
				r = []rune(strings.ToUpper(string(r)))[0]
			}
			b.WriteRune(r)
		}
	case syntax.OpCharClass:
		if len(re.Rune) == 0 {
			return
		}
		i := rnd.IntN(len(re.Rune)/2) * 2
		lo, hi := re.Rune[i], re.Rune[i+1]
		if hi > 0x7e && lo <= 0x7e {
			hi = 0x7e // keep to ASCII where the class allows: tokens are ASCII
		}
		b.WriteRune(lo + rune(rnd.IntN(int(hi-lo)+1)))
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		b.WriteByte(byte('!' + rnd.IntN(94)))
	case syntax.OpCapture:
		genMatch(rnd, re.Sub[0], b, depth+1)
	case syntax.OpConcat:
		for _, s := range re.Sub {
			genMatch(rnd, s, b, depth+1)
		}
	case syntax.OpAlternate:
		genMatch(rnd, re.Sub[rnd.IntN(len(re.Sub))], b, depth+1)
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		lo, hi := 0, 1
		switch re.Op {
		case syntax.OpStar:
			lo, hi = 0, 4
		case syntax.OpPlus:
			lo, hi = 1, 5
		case syntax.OpRepeat:
			lo, hi = re.Min, re.Max
			if hi < 0 {
				hi = lo + 4
			}
		}
		for n := lo + rnd.IntN(hi-lo+1); n > 0; n-- {
			genMatch(rnd, re.Sub[0], b, depth+1)
		}
	}
}

// genRounds is how many matches are generated per regex.
var genRounds = 200
