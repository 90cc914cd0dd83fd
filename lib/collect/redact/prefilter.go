package redact

import (
	"bytes"
	"fmt"
	"regexp/syntax"
	"slices"
	"strings"
)

// Regular expressions are the expensive part of redaction, and most lines of
// a bundle contain nothing to redact. So every rule names keywords, at least
// one of which a line must contain before the rule's regexes run on it. Lines
// are compared ASCII case-insensitively, so a keyword stands for every
// spelling of itself ("password" for "Password" and "PASSWORD"); one pass of
// an Aho-Corasick automaton (matcher) finds all keywords of a line.
//
// A keyword is only a necessary condition: skipping a line whose keywords are
// absent must never change the result. Built-in rules name their keywords by
// hand; for custom regexes they are derived from the parsed expression
// (requiredLiterals).

// keywordTable interns keywords so that a writer can remember, per line,
// which ones it has already looked for.
type keywordTable struct {
	words [][]byte
	index map[string]int
}

// add interns a keyword (in lower case) and returns its id.
func (t *keywordTable) add(word string) int {
	word = strings.ToLower(word)
	if id, ok := t.index[word]; ok {
		return id
	}
	if t.index == nil {
		t.index = map[string]int{}
	}
	t.words = append(t.words, []byte(word))
	t.index[word] = len(t.words) - 1
	return len(t.words) - 1
}

// addAll interns keywords and returns their ids.
func (t *keywordTable) addAll(words ...string) []int {
	ids := make([]int, len(words))
	for i, w := range words {
		ids[i] = t.add(w)
	}
	return ids
}

// maxPrefilterWords bounds how many alternatives a derived prefilter may
// have; beyond that, running the regex is about as cheap.
const maxPrefilterWords = 16

// requiredLiterals returns strings (lower case) of which every match of re
// contains at least one, or nil when no such set is known. It walks the parse
// tree: a literal requires itself; a concatenation requires what its most
// selective part requires; an alternation requires one of what each branch
// requires (so every branch must require something); a group or a repetition
// of at least one requires what its body requires. Anything else (classes,
// optional parts, anchors) requires nothing.
func requiredLiterals(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral:
		s := string(re.Rune)
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 {
				return nil // non-ASCII case folding is not mirrored by the matcher
			}
		}
		return []string{strings.ToLower(s)}
	case syntax.OpCapture, syntax.OpPlus:
		return requiredLiterals(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return requiredLiterals(re.Sub[0])
		}
	case syntax.OpConcat:
		var best []string
		bestLen := 0
		for _, sub := range re.Sub {
			lits := requiredLiterals(sub)
			if lits == nil {
				continue
			}
			if n := minLen(lits); n > bestLen {
				best, bestLen = lits, n
			}
		}
		return best
	case syntax.OpAlternate:
		var all []string
		for _, sub := range re.Sub {
			lits := requiredLiterals(sub)
			if lits == nil {
				return nil
			}
			all = append(all, lits...)
		}
		all = dedupe(all)
		if len(all) > maxPrefilterWords {
			return nil
		}
		return all
	}
	return nil
}

// regexKeywords derives the keywords of a regex source (see
// requiredLiterals); nil means the regex must run on every line.
func regexKeywords(expr string) []string {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	return requiredLiterals(re)
}

func minLen(ss []string) int {
	n := -1
	for _, s := range ss {
		if n < 0 || len(s) < n {
			n = len(s)
		}
	}
	return n
}

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	out := ss[:0]
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// matcher finds all keywords of a line in one pass: an Aho-Corasick
// automaton compiled to a full transition table, case-folded for ASCII
// letters. Bytes that occur in no keyword share one byte class, which keeps
// the table small enough for the L1 cache. Scanning costs two table lookups
// per byte, however many keywords there are.
type matcher struct {
	class  [256]uint8 // byte -> byte class
	nclass int
	// trans[row+class] = the next state's row<<1 | 1 if keywords end
	// there, where a state's row is state*nclass. Storing rows rather than
	// states keeps a multiplication out of the per-byte dependency chain.
	trans []uint32
	out   [][]int32 // keywords that end at a state (following fail links), by row/nclass
}

func newMatcher(words [][]byte) (*matcher, error) {
	m := &matcher{nclass: 1}
	for _, w := range words {
		for _, c := range w {
			if m.class[c] == 0 {
				m.class[c] = uint8(m.nclass)
				m.nclass++
			}
		}
	}
	// Keywords are lower case: an upper-case letter is its lower case.
	for c := 'A'; c <= 'Z'; c++ {
		m.class[c] = m.class[c+'a'-'A']
	}

	type node struct {
		next map[uint8]int
		fail int
		out  []int32
	}
	nodes := []node{{next: map[uint8]int{}}}
	for id, w := range words {
		s := 0
		for _, c := range w {
			cl := m.class[c]
			nx, ok := nodes[s].next[cl]
			if !ok {
				nodes = append(nodes, node{next: map[uint8]int{}})
				nx = len(nodes) - 1
				nodes[s].next[cl] = nx
			}
			s = nx
		}
		nodes[s].out = append(nodes[s].out, int32(id))
	}
	if len(nodes)*m.nclass >= 1<<31 {
		return nil, fmt.Errorf("rules too large: %d keyword states", len(nodes))
	}
	nc := m.nclass
	trans := make([]int, len(nodes)*nc)
	m.out = make([][]int32, len(nodes))
	// Breadth-first: a state's fail target is shallower, so its row is
	// complete when the state is processed.
	queue := []int{0}
	var order []int // states in breadth-first order
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		order = append(order, s)
		n := &nodes[s]
		if s != 0 {
			n.out = append(n.out, nodes[n.fail].out...)
		}
		m.out[s] = n.out
		for cl := 0; cl < nc; cl++ {
			if nx, ok := n.next[uint8(cl)]; ok {
				if s != 0 {
					nodes[nx].fail = trans[n.fail*nc+cl]
				}
				trans[s*nc+cl] = nx
				queue = append(queue, nx)
			} else if s != 0 {
				trans[s*nc+cl] = trans[n.fail*nc+cl]
			}
		}
	}
	// Number the states in breadth-first order, so that the shallow ones,
	// where scanning spends nearly all its time, have neighbouring rows:
	// with some 300 keywords the table is far larger than the L1 cache,
	// but its hot part is not. Tag each target with whether keywords end
	// there, so that scan looks at out only then.
	rank := make([]int, len(nodes))
	for r, s := range order {
		rank[s] = r
	}
	m.trans = make([]uint32, len(trans))
	out := make([][]int32, len(nodes))
	for _, s := range order {
		r := rank[s]
		out[r] = m.out[s]
		for cl := 0; cl < nc; cl++ {
			t := trans[s*nc+cl]
			v := uint32(rank[t]*nc) << 1
			if len(m.out[t]) > 0 {
				v |= 1
			}
			m.trans[r*nc+cl] = v
		}
	}
	m.out = out
	return m, nil
}

// scan marks (mark[kw] = gen) every keyword that occurs in line, ASCII case
// insensitively, appends each one found to hits (once per line), and returns
// hits. Two non-ASCII runes fold
// to ASCII letters under the case-insensitive matching of Go regexps:
// KELVIN SIGN (U+212A) to "k" and LATIN SMALL LETTER LONG S (U+017F) to "s".
// They count as those letters, so that the prefilter never rejects a line
// that a (?i) regex would match.
func (m *matcher) scan(line []byte, mark []uint32, gen uint32, hits []int32) []int32 {
	row := 0
	nc := m.nclass
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c >= 0x80 {
			switch {
			case c == 0xE2 && i+2 < len(line) && line[i+1] == 0x84 && line[i+2] == 0xAA:
				c = 'k'
				i += 2
			case c == 0xC5 && i+1 < len(line) && line[i+1] == 0xBF:
				c = 's'
				i++
			}
		}
		t := m.trans[row+int(m.class[c])]
		row = int(t >> 1)
		if t&1 != 0 {
			for _, kw := range m.out[row/nc] {
				if mark[kw] != gen {
					mark[kw] = gen
					hits = append(hits, kw)
				}
			}
		}
	}
	return hits
}

// A literalGate is a sharper prefilter for one regex than its keywords:
// conditions that every line holding a match meets, cheap to test. It has
// clauses, each a set of literals of which every match contains one, each
// with how it must occur (case-sensitively unless the regex folds case
// there, and after a word boundary when the regex puts \b right before it);
// and a run, a number of consecutive bytes of one class that every match
// contains (the [a-z0-9]{40} of a token). A line must pass all of them.
//
// Gitleaks' keywords are lower case and matched case-insensitively, so a
// rule for "API-…" or `\bs\.…` runs on every line with "kube-api-access" or
// "pods." in it, and curl's rules on every access log line of a curl user
// agent; the gate turns most of those away for the price of a few substring
// searches, where the regex would have searched the whole line (with
// backtracking, for most of them).
type literalGate struct {
	clauses [][]gateLit // all must pass: one literal of each occurs
	run     *gateRun    // nil, or a run that must occur
}

type gateLit struct {
	lit  []byte
	fold bool // ASCII case-insensitive
	wb   bool // a word boundary must precede it
}

// gateRun: at least min consecutive bytes of class. A class that holds a
// rune outside ASCII holds every byte >= 0x80, so that a run of runes is a
// run of bytes at least as long.
type gateRun struct {
	class *[256]bool
	min   int
}

// minGateRun is the shortest run worth a gate: shorter ones turn away too
// few lines to pay for the look.
const minGateRun = 8

// newLiteralGate derives the gate of regex expr; nil means none is known
// (the regex must run).
func newLiteralGate(expr string) *literalGate {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	g := gateOf(re)
	if len(g.clauses) == 0 && g.run == nil {
		return nil
	}
	return &g
}

// gateOf is requiredLiterals with case and word boundaries kept, every
// required set (not only the most selective one) and the longest required
// run of a class.
func gateOf(re *syntax.Regexp) literalGate {
	var g literalGate
	cl, _ := gateClauses(re)
	for _, c := range cl {
		g.clauses = append(g.clauses, c.lits)
	}
	g.run = gateRunOf(re)
	return g
}

// clause is one required literal set; atStart: every literal of it starts
// the match of the expression it was derived from.
type clause struct {
	lits    []gateLit
	atStart bool
}

// gateClauses returns the literal sets every match of re contains one of
// (each of them); nil when none is known.
func gateClauses(re *syntax.Regexp) (cls []clause, ok bool) {
	switch re.Op {
	case syntax.OpLiteral:
		fold := re.Flags&syntax.FoldCase != 0
		b := make([]byte, 0, len(re.Rune))
		for _, r := range re.Rune {
			if r >= 0x80 {
				return nil, false
			}
			// A folded letter may be matched by KELVIN SIGN or LONG S:
			// leave such literals to the regex.
			if fold && (r == 'k' || r == 'K' || r == 's' || r == 'S') {
				return nil, false
			}
			b = append(b, byte(r))
		}
		if fold {
			b = bytes.ToLower(b)
		}
		return []clause{{lits: []gateLit{{lit: b, fold: fold}}, atStart: true}}, true
	case syntax.OpCapture, syntax.OpPlus:
		return gateClauses(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return gateClauses(re.Sub[0])
		}
	case syntax.OpConcat:
		leading := true // only zero-width parts so far
		wb := false     // one of them is \b
		lit := -1       // cls[lit] is the literal of the part just before
		for _, sub := range re.Sub {
			switch sub.Op {
			case syntax.OpWordBoundary:
				wb = wb || leading
				lit = -1
				continue
			case syntax.OpBeginLine, syntax.OpBeginText, syntax.OpEmptyMatch:
				lit = -1
				continue
			}
			sc, _ := gateClauses(sub)
			merged := false
			if lit >= 0 && len(sc) > 0 && sc[0].atStart && len(cls[lit].lits)*len(sc[0].lits) <= maxPrefilterWords {
				// A literal right before literals that start the next
				// part: the two together ("-" and "H|-header", as the
				// parser factors "-H|--header") are required.
				cls[lit].lits = joinLits(cls[lit].lits, sc[0].lits)
				sc, merged = sc[1:], true
			}
			if !merged {
				lit = -1
			}
			for _, c := range sc {
				if !leading || !c.atStart {
					c.atStart = false
				} else if wb {
					c.lits = withBoundary(c.lits)
				}
				cls = append(cls, c)
			}
			if sub.Op == syntax.OpLiteral && !merged && len(sc) == 1 {
				lit = len(cls) - 1
			} else if sub.Op != syntax.OpLiteral {
				lit = -1
			}
			leading = false
		}
		return cls, len(cls) > 0
	case syntax.OpAlternate:
		// One of the branches matches: its most selective set is
		// required, and so is the union of those sets.
		var all []gateLit
		start := true
		for _, sub := range re.Sub {
			sc, ok := gateClauses(sub)
			if !ok || len(sc) == 0 {
				return nil, false
			}
			best := sc[0]
			for _, c := range sc[1:] {
				if minGateLen(c.lits) > minGateLen(best.lits) {
					best = c
				}
			}
			all = append(all, best.lits...)
			start = start && best.atStart
		}
		if len(all) > maxPrefilterWords {
			return nil, false
		}
		return []clause{{lits: all, atStart: start}}, true
	}
	return nil, false
}

// gateRunOf returns the longest run of one class that every match of re
// contains (at least minGateRun bytes), or nil.
func gateRunOf(re *syntax.Regexp) *gateRun {
	switch re.Op {
	case syntax.OpCapture, syntax.OpPlus:
		return gateRunOf(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= minGateRun && re.Sub[0].Op == syntax.OpCharClass {
			return &gateRun{class: byteClass(re.Sub[0].Rune), min: re.Min}
		}
		if re.Min >= 1 {
			return gateRunOf(re.Sub[0])
		}
	case syntax.OpConcat:
		var best *gateRun
		for _, sub := range re.Sub {
			if r := gateRunOf(sub); r != nil && (best == nil || r.min > best.min) {
				best = r
			}
		}
		return best
	case syntax.OpAlternate:
		// Each branch needs its own run: a run of the union of their
		// classes, as long as the shortest, is needed.
		var out *gateRun
		for _, sub := range re.Sub {
			r := gateRunOf(sub)
			if r == nil {
				return nil
			}
			if out == nil {
				c := *r.class
				out = &gateRun{class: &c, min: r.min}
				continue
			}
			for i, in := range r.class {
				out.class[i] = out.class[i] || in
			}
			out.min = min(out.min, r.min)
		}
		return out
	}
	return nil
}

// byteClass is the byte set of a character class (pairs of rune ranges, as
// syntax.Regexp.Rune holds them; case folding is already in them).
func byteClass(ranges []rune) *[256]bool {
	var c [256]bool
	for i := 0; i+1 < len(ranges); i += 2 {
		lo, hi := ranges[i], ranges[i+1]
		for r := lo; r <= hi && r < 0x80; r++ {
			c[r] = true
		}
		if hi >= 0x80 {
			for b := 0x80; b < 256; b++ {
				c[b] = true
			}
		}
	}
	return &c
}

// joinLits is every literal of a followed by one of b. Folding either
// folds the pair: a case-insensitive look finds at least what a sensitive
// one finds.
func joinLits(a, b []gateLit) []gateLit {
	var out []gateLit
	for _, x := range a {
		for _, y := range b {
			l := gateLit{lit: append(slices.Clip(x.lit), y.lit...), fold: x.fold || y.fold, wb: x.wb}
			if l.fold {
				l.lit = bytes.ToLower(l.lit)
			}
			out = append(out, l)
		}
	}
	return out
}

func minGateLen(g []gateLit) int {
	n := -1
	for _, l := range g {
		if n < 0 || len(l.lit) < n {
			n = len(l.lit)
		}
	}
	return n
}

func withBoundary(g []gateLit) []gateLit {
	out := make([]gateLit, len(g))
	for i, l := range g {
		l.wb = true
		out[i] = l
	}
	return out
}

// pass reports whether line may hold a match (false: it cannot).
func (g *literalGate) pass(line []byte) bool {
	if g == nil {
		return true
	}
	for _, c := range g.clauses {
		if !clausePass(c, line) {
			return false
		}
	}
	return g.run == nil || g.run.pass(line)
}

// clausePass: one of the literals occurs in line as the gate wants it.
func clausePass(c []gateLit, line []byte) bool {
	for _, l := range c {
		for off := 0; off+len(l.lit) <= len(line); {
			var i int
			if l.fold {
				i = indexFold(line[off:], l.lit)
			} else {
				i = bytes.Index(line[off:], l.lit)
			}
			if i < 0 {
				break
			}
			p := off + i
			if !l.wb || len(l.lit) == 0 || isWordByte(l.lit[0]) != (p > 0 && isWordByte(line[p-1])) {
				return true
			}
			off = p + 1
		}
	}
	return false
}

// pass: line holds r.min consecutive bytes of r.class.
func (r *gateRun) pass(line []byte) bool {
	n := 0
	for _, c := range line {
		if r.class[c] {
			n++
			if n >= r.min {
				return true
			}
		} else {
			n = 0
		}
	}
	return false
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// indexFold is bytes.Index, ASCII case-insensitively; lit is lower case.
func indexFold(s, lit []byte) int {
	if len(lit) == 0 {
		return 0
	}
	c0 := lit[0]
	for i := 0; i+len(lit) <= len(s); i++ {
		if s[i]|0x20 != c0 && s[i] != c0 {
			continue
		}
		if hasPrefixFold(s[i:], string(lit)) {
			return i
		}
	}
	return -1
}
