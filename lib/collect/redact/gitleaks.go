package redact

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
	glconfig "github.com/zricethezav/gitleaks/v8/config"
)

// Token shapes come from gitleaks' default rule set (its embedded
// gitleaks.toml: some two hundred vendor token formats, each a regex with
// keywords, an optional secret group, an entropy floor and allow-lists),
// so that the list is maintained upstream and follows new formats with a
// version bump. Only gitleaks' config package is used: its detector pulls
// in archive, git and terminal libraries a redactor has no use for, and
// works on whole fragments where redaction streams lines. The matcher here
// applies the rules the way gitleaks' detector does, per line: a rule runs
// only on a line that holds one of its keywords (found by the same
// Aho-Corasick pass as every other keyword), its secret is the rule's
// secret group or else the first non-empty group, and a finding is dropped
// when its entropy is at or below the rule's floor or a global or rule
// allow-list accepts it.

// gitleaksSkipped are the default rules this package does not take from
// gitleaks, because a built-in rule of its own covers them in a way that
// suits a bundle better:
//
//	generic-api-key         the key vocabulary (builtin.password … builtin.credentials):
//	                        format-aware, with an allow-list; gitleaks' generic rule
//	                        fires on every "key"/"api"/"token" line and would wipe
//	                        ordinary Kubernetes fields
//	jwt                     builtin.jwt (any position, also base64-encoded)
//	private-key             builtin.private-key (multi-line PEM, line by line)
//	kubernetes-secret-yaml  spans lines; Secrets are handled as objects
//	pkcs12-file             matches file names only
var gitleaksSkipped = map[string]bool{
	"generic-api-key":        true,
	"jwt":                    true,
	"private-key":            true,
	"kubernetes-secret-yaml": true,
	"pkcs12-file":            true,
}

// tokenRule is one gitleaks rule, ready to run on a line.
type tokenRule struct {
	id      string
	src     string         // the regex, compiled on first use (see compiled)
	group   int            // secret group; 0: the first non-empty group, else the match
	entropy float64        // a secret must have more Shannon entropy than this
	path    *regexp.Regexp // optional: only files whose bundle path matches
	kws     []string       // lower case; the rule runs only on lines with one
	allow   []*glconfig.Allowlist

	once sync.Once
	re   *regexp.Regexp // nil until compiled, or if src does not compile
	gate *literalGate   // the rule runs only when its regex's literals pass
}

// compiled compiles the rule's regex and gate the first time a line has
// one of its keywords. Most of gitleaks' ~200 regexes never meet their
// keywords in a bundle; compiling them all up front allocated 9 MB (kept:
// 2.4 MB) at the start of every run. The default rules all compile
// (TestTokenRulesCompile); a regex that did not would leave its rule
// inert.
func (r *tokenRule) compiled() *regexp.Regexp {
	r.once.Do(func() {
		re, err := regexp.Compile(r.src)
		if err != nil || r.group > re.NumSubexp() {
			return
		}
		r.re, r.gate = re, newLiteralGate(r.src)
	})
	return r.re
}

// tokenRuleSet is gitleaks' default configuration, compiled.
type tokenRuleSet struct {
	rules []*tokenRule
	allow []*glconfig.Allowlist // global allow-lists
}

// loadTokenRules reads gitleaks' default rules once per process.
var loadTokenRules = sync.OnceValues(func() (*tokenRuleSet, error) {
	// gitleaks reads its TOML through viper; a TOML decoder fills the same
	// struct (field names match its keys case-insensitively, as viper's
	// do), which keeps a config library out of lib/.
	var vc glconfig.ViperConfig
	if _, err := toml.Decode(glconfig.DefaultConfig, &vc); err != nil {
		return nil, fmt.Errorf("gitleaks default rules: %w", err)
	}
	dropSkipped(&vc)
	// Translate compiles every rule's regex; it is given a stand-in with
	// as many groups as the secret group needs (its checks pass), and the
	// rule's own regex is compiled when first needed.
	srcs := make(map[string]string, len(vc.Rules))
	for i := range vc.Rules {
		r := &vc.Rules[i]
		if r.Regex != "" {
			srcs[r.ID] = r.Regex
			r.Regex = "x" + strings.Repeat("()", max(r.SecretGroup, 0))
		}
	}
	cfg, err := vc.Translate()
	if err != nil {
		return nil, fmt.Errorf("gitleaks default rules: %w", err)
	}
	set := &tokenRuleSet{allow: cfg.Allowlists}
	for _, r := range cfg.GetOrderedRules() {
		if gitleaksSkipped[r.RuleID] || r.Regex == nil || len(r.Keywords) == 0 || r.SkipReport {
			// A rule without keywords would run on every line; the
			// default set has none but the path-only rule skipped above.
			continue
		}
		set.rules = append(set.rules, &tokenRule{
			id: r.RuleID, src: srcs[r.RuleID], group: r.SecretGroup, entropy: r.Entropy,
			path: r.Path, kws: r.Keywords, allow: r.Allowlists,
		})
	}
	return set, nil
})

// dropSkipped removes the rules of gitleaksSkipped from vc before it is
// translated, unless another rule requires one. Translating compiles every
// rule's regexes and builds an Aho-Corasick trie of every allow-list's stop
// words; generic-api-key alone, with its stop words, was two thirds of the
// 23 MiB that loading the rules allocated, all of it garbage at once, but
// counted in the peak memory of a run.
func dropSkipped(vc *glconfig.ViperConfig) {
	required := map[string]bool{}
	for _, r := range vc.Rules {
		for _, req := range r.Required {
			required[req.ID] = true
		}
	}
	drop := func(id string) bool { return gitleaksSkipped[id] && !required[id] }
	rules := vc.Rules[:0]
	for _, r := range vc.Rules {
		if !drop(r.ID) {
			rules = append(rules, r)
		}
	}
	vc.Rules = rules
	// An allow-list for dropped rules only would otherwise become global.
	lists := vc.Allowlists[:0]
	for _, a := range vc.Allowlists {
		if len(a.TargetRules) > 0 {
			a.TargetRules = slices.DeleteFunc(a.TargetRules, drop)
			if len(a.TargetRules) == 0 {
				continue
			}
		}
		lists = append(lists, a)
	}
	vc.Allowlists = lists
}

// tokenFinder runs the gitleaks rules whose keywords a line holds.
type tokenFinder struct {
	set *tokenRuleSet
	// byKW[kw] are the keywords (and their rules) that keyword id kw, the
	// first tokenKWPrefix bytes of each, stands for in the matcher (a
	// slice: it is looked up for every keyword found on every line).
	byKW [][]tokenKeyword
}

// tokenKeyword is one gitleaks keyword and the rules it triggers.
type tokenKeyword struct {
	word  []byte // lower case; empty when the matcher's keyword is the whole word
	rules []int32
}

// tokenKWPrefix is how much of a gitleaks keyword the matcher looks for.
// Gitleaks has some 240 keywords, many of them vendor names; whole, they
// would make the matcher's table ten times larger and scanning, which
// every byte of a bundle goes through, slower for its cache misses. A
// prefix is as good a prefilter (a line with the keyword has its prefix);
// the rest is checked only on the lines that have the prefix.
const tokenKWPrefix = 5

// newTokenFinder interns the keywords of set's rules into kw.
func newTokenFinder(set *tokenRuleSet, kw *keywordTable) *tokenFinder {
	f := &tokenFinder{set: set}
	words := map[string][]int32{}
	var order []string
	for i, r := range set.rules {
		for _, k := range r.kws {
			if _, ok := words[k]; !ok {
				order = append(order, k)
			}
			words[k] = append(words[k], int32(i))
		}
	}
	for _, k := range order {
		prefix, word := k, []byte(nil)
		if len(k) > tokenKWPrefix {
			prefix, word = k[:tokenKWPrefix], []byte(k)
		}
		id := kw.add(prefix)
		for len(f.byKW) <= id {
			f.byKW = append(f.byKW, nil)
		}
		f.byKW[id] = append(f.byKW[id], tokenKeyword{word: word, rules: words[k]})
	}
	return f
}

func (f *tokenFinder) keyed() bool { return true }

func (f *tokenFinder) find(w *writer, line []byte) {
	if len(w.hits) == 0 {
		return
	}
	if w.tokenMark == nil {
		w.tokenMark = make([]uint32, len(f.set.rules))
	}
	for _, kw := range w.hits {
		if int(kw) >= len(f.byKW) {
			continue // a keyword of a later rule
		}
		for _, k := range f.byKW[kw] {
			if k.word != nil && indexFold(line, k.word) < 0 {
				continue
			}
			for _, ri := range k.rules {
				if w.tokenMark[ri] == w.gen {
					continue
				}
				w.tokenMark[ri] = w.gen
				f.apply(w, line, int(ri))
			}
		}
	}
}

// apply runs rule ri on line, as gitleaks' detector would on a one-line
// fragment, and masks each secret it keeps.
func (f *tokenFinder) apply(w *writer, line []byte, ri int) {
	r := f.set.rules[ri]
	if r.path != nil && !r.path.MatchString(w.path) {
		return
	}
	re := r.compiled()
	if re == nil || !r.gate.pass(line) {
		return
	}
	for _, m := range re.FindAllSubmatchIndex(line, -1) {
		s, e := m[0], m[1]
		switch {
		case r.group > 0 && 2*r.group+1 < len(m):
			s, e = m[2*r.group], m[2*r.group+1]
		case r.group == 0:
			for g := 1; 2*g+1 < len(m); g++ {
				if m[2*g] >= 0 && m[2*g+1] > m[2*g] {
					s, e = m[2*g], m[2*g+1]
					break
				}
			}
		}
		if s < 0 || s >= e {
			continue
		}
		secret := string(line[s:e])
		if isMaskValue(line[s:e]) || strings.Contains(secret, Mask) {
			continue
		}
		if r.entropy != 0 && shannonEntropy(secret) <= r.entropy {
			continue
		}
		match := string(line[m[0]:m[1]])
		if allowed(f.set.allow, secret, match, line) || allowed(r.allow, secret, match, line) {
			continue
		}
		w.addDetail(s, e, rGitleaks, ri)
	}
}

// allowed reports whether one of the allow-lists accepts a finding, by the
// regex and stop-word checks that apply to a line of a file (commits and
// paths play no part here; an AND list that needs one is never met).
func allowed(lists []*glconfig.Allowlist, secret, match string, line []byte) bool {
	for _, a := range lists {
		target := secret
		switch a.RegexTarget {
		case "match":
			target = match
		case "line":
			target = string(line)
		}
		regexOK := a.RegexAllowed(target)
		stopOK, _ := a.ContainsStopWord(secret)
		if a.MatchCondition == glconfig.AllowlistMatchAnd {
			if len(a.Commits) > 0 || len(a.Paths) > 0 {
				continue
			}
			if (len(a.Regexes) == 0 || regexOK) && (len(a.StopWords) == 0 || stopOK) {
				return true
			}
			continue
		}
		if regexOK || stopOK {
			return true
		}
	}
	return false
}

// shannonEntropy is the Shannon entropy of s in bits per byte, as gitleaks
// computes it for ASCII text.
func shannonEntropy(s string) float64 {
	if s == "" {
		return 0
	}
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	n := float64(len(s))
	h := 0.0
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}
