package redact

import (
	"bytes"
	"encoding/base64"
	"regexp"
)

// Built-in rule ids: their index in builtinNames, and so their rule id in a
// Set built with defaults (built-ins come first).
const (
	rPassword = iota
	rToken
	rSecret
	rAccessKey
	rCredentials
	rClientKeyData
	rConnString
	rAWSKeyID
	rAWSSecret
	rAuthorization
	rJWT
	rPrivateKey
	rPrivateKeyB64
	rGitleaks
	rURLToken
	rWebhook
	rSignedURL
	rCookie
)

// builtinNames are the report names of the built-in rules; see doc.go for
// what each one masks.
var builtinNames = []string{
	rPassword:      "builtin.password",
	rToken:         "builtin.token",
	rSecret:        "builtin.secret",
	rAccessKey:     "builtin.access-key",
	rCredentials:   "builtin.credentials",
	rClientKeyData: "builtin.client-key-data",
	rConnString:    "builtin.connection-string",
	rAWSKeyID:      "builtin.aws-access-key-id",
	rAWSSecret:     "builtin.aws-secret-key",
	rAuthorization: "builtin.authorization",
	rJWT:           "builtin.jwt",
	rPrivateKey:    "builtin.private-key",
	rPrivateKeyB64: "builtin.private-key-base64",
	rGitleaks:      "builtin.gitleaks",
	rURLToken:      "builtin.url-token",
	rWebhook:       "builtin.webhook-url",
	rSignedURL:     "builtin.signed-url",
	rCookie:        "builtin.cookie",
}

// A key is sensitive when it ENDS with a sensitive word, after any prefix of
// key characters (letters, digits, "_", ".", "-"): "DB_PASSWORD",
// "clientSecret" and "refresh-token" are, "tokenizer", "secretName" and
// "password_file" are not. Short words must start a word of the key (after
// a separator or at a lower-to-upper case change): "DB_PASS", "bindPW",
// "sentryDsn" and "basicAuth" are sensitive, "bypass", "oauth" are not.
// sensitiveTail applies the rule; the vocabulary is in docs/redaction.md.

// sensitiveKeywords are the prefilter keywords of sensitiveTail: every key
// it accepts contains one of them.
var sensitiveKeywords = []string{"pass", "pwd", "pw", "secret", "token", "key", "credential", "creds", "auth", "dsn", "connection"}

// longTails are sensitive at the end of any key; shortTails only as a word
// of their own in the key. Both are indexed by their last letter, so that
// the common case, a word that ends in none of them, costs one lookup.
var longTails, shortTails = tailIndex(
	tail{"password", rPassword}, tail{"passwd", rPassword}, tail{"passphrase", rPassword},
	tail{"passcode", rPassword}, tail{"storepass", rPassword}, tail{"keypass", rPassword},
	tail{"secret", rSecret},
	tail{"token", rToken},
	tail{"credential", rCredentials}, tail{"credentials", rCredentials},
), tailIndex(
	tail{"pass", rPassword}, tail{"pwd", rPassword}, tail{"pw", rPassword},
	tail{"creds", rCredentials}, tail{"auth", rCredentials},
	tail{"dsn", rConnString},
)

type tail struct {
	word string
	rule int
}

// tailIndex groups tails by their last letter.
func tailIndex(ts ...tail) *[256][]tail {
	var idx [256][]tail
	for _, t := range ts {
		c := t.word[len(t.word)-1]
		idx[c] = append(idx[c], t)
		idx[c-'a'+'A'] = append(idx[c-'a'+'A'], t)
	}
	return &idx
}

// keyPrefixes make "…key" sensitive: the word before "key".
var keyPrefixes = []string{
	"api", "access", "secret", "private", "encryption", "encrypt", "decryption", "crypt", "cipher",
	"license", "licence", "signing", "sign", "master", "session", "hmac", "jwt", "ssh", "shared",
	"account", "storage", "app", "auth", "sas", "primary", "secondary", "product", "activation",
	"unseal", "recovery", "webhook", "pgp", "gpg", "certificate", "bootstrap", "join", "cluster",
}

// allowedKeys end with a sensitive word but name something public: a
// reference to a Secret by name. Compared in lower case with separators
// removed.
var allowedKeys = map[string]bool{
	"existingsecret": true, "useexistingsecret": true, "tlssecret": true, "casecret": true,
	"imagepullsecret": true, "secretrefsecret": true,
}

// sensitiveTail reports whether key k ends with a sensitive word and which
// rule it belongs to. "pwd" needs a separator before it ("db_pwd"), so the
// shell's PWD (a directory) is left alone.
func sensitiveTail(k []byte) (int, bool) {
	if len(k) < 2 {
		return 0, false
	}
	rule, ok := tailRule(k)
	if !ok || allowedKey(k) {
		return 0, false
	}
	return rule, true
}

func tailRule(k []byte) (int, bool) {
	last := k[len(k)-1]
	for _, t := range longTails[last] {
		if hasSuffixFold(k, t.word) {
			return t.rule, true
		}
	}
	for _, t := range shortTails[last] {
		if hasSuffixFold(k, t.word) && wordStart(k, len(k)-len(t.word)) {
			if t.word == "pwd" && len(k) == 3 {
				return 0, false // the shell's working directory
			}
			return t.rule, true
		}
	}
	switch last | 0x20 {
	case 'y', 'e', 'a', 'g':
	default:
		return 0, false
	}
	switch {
	case hasSuffixFold(k, "key"):
		p := trimKeySep(k[:len(k)-3])
		for _, w := range keyPrefixes {
			if hasSuffixFold(p, w) && wordStart(p, len(p)-len(w)) {
				return rAccessKey, true
			}
		}
	case hasSuffixFold(k, "data"):
		p := trimKeySep(k[:len(k)-4])
		if hasSuffixFold(p, "key") && hasSuffixFold(trimKeySep(p[:len(p)-3]), "client") {
			return rClientKeyData, true
		}
	case hasSuffixFold(k, "base"):
		// Rails' secret_key_base.
		p := trimKeySep(k[:len(k)-4])
		if hasSuffixFold(p, "key") && hasSuffixFold(trimKeySep(p[:len(p)-3]), "secret") {
			return rAccessKey, true
		}
	case hasSuffixFold(k, "string"):
		p := trimKeySep(k[:len(k)-6])
		if hasSuffixFold(p, "connection") {
			return rConnString, true
		}
	}
	return 0, false
}

// wordStart reports whether k[i:] starts a word of key k: at its start
// (after leading dashes), after a separator, or at a change from a lower
// case letter or digit to an upper case one ("bindPW").
func wordStart(k []byte, i int) bool {
	if i <= 0 {
		return true
	}
	prev := k[i-1]
	if isKeySep(prev) {
		return true
	}
	c := k[i]
	return c >= 'A' && c <= 'Z' && (prev >= 'a' && prev <= 'z' || prev >= '0' && prev <= '9')
}

// allowedKey: is k, without separators and in lower case, on allowedKeys?
func allowedKey(k []byte) bool {
	var b [48]byte
	n := 0
	for _, c := range k {
		if isKeySep(c) {
			continue
		}
		if n == len(b) {
			return false
		}
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[n] = c
		n++
	}
	return allowedKeys[string(b[:n])]
}

// hasSuffixFold is bytes.HasSuffix, ASCII case-insensitively (suffix is
// lower case).
func hasSuffixFold(b []byte, suffix string) bool {
	if len(b) < len(suffix) {
		return false
	}
	b = b[len(b)-len(suffix):]
	for i := 0; i < len(suffix); i++ {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != suffix[i] {
			return false
		}
	}
	return true
}

func isKeySep(c byte) bool { return c == '_' || c == '.' || c == '-' }

func trimKeySep(b []byte) []byte {
	if len(b) > 0 && isKeySep(b[len(b)-1]) {
		return b[:len(b)-1]
	}
	return b
}

func isKeyChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || isKeySep(c)
}

func compileBuiltins(kw *keywordTable) ([]finder, error) {
	tokens, err := loadTokenRules()
	if err != nil {
		return nil, err
	}
	sens := kw.addAll(sensitiveKeywords...)
	fs := []finder{
		&pemFinder{
			kw: kw.add("private key"),
			// Labels such as RSA, EC, OPENSSH, ENCRYPTED or PGP ... BLOCK.
			begin: regexp.MustCompile(`-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----`),
			end:   regexp.MustCompile(`-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----`),
		},
		&keyValueFinder{kws: sens, next: &flagValue{}},
		&envPairFinder{
			name: kw.add("name"),
			kws:  sens,
			// "name": "DB_PASSWORD" (or name: DB_PASSWORD, or \"name\"...):
			// an env-style entry whose name ends in a sensitive tail; the
			// value follows on the same line or on the next one.
			re: regexp.MustCompile(`(?i)(?:^|[^a-z0-9_.-])name\\*["']?[ \t]*[:=][ \t]*\\*["']?` +
				`(?P<tail>[a-z0-9_.-]+)(?P<close>\\*["']?)(?:$|[^a-z0-9_.-])`),
			sameLine: regexp.MustCompile(`(?i)^[ \t]*,?[ \t]*\\*["']?value\\*["']?[ \t]*[:=][ \t]*`),
			next:     &envValue{re: regexp.MustCompile(`(?i)^[ \t]*(?:-[ \t]+)?(\\*["']?)value\\*["']?[ \t]*[:=][ \t]*`)},
		},
		&regexFinder{
			rule: rConnString,
			kws:  kw.addAll("://"),
			also: kw.addAll("@"),
			// scheme://user:password@host — the user may be empty
			// (redis://:pw@host); the password runs to the LAST "@" before
			// a "/", blank or quote, so an unencoded "@" in it is covered.
			re:   regexp.MustCompile(`(?i)[a-z][a-z0-9+.-]*://[^\s:/?#@"'\\]*:(?P<mask>[^\s/?#"'\\]+)@`),
			skip: isMaskValue,
			pre:  hasUserinfo,
		},
		&regexFinder{
			rule: rConnString,
			kws:  kw.addAll("@tcp(", "@unix(", "@udp("),
			// Go MySQL DSN: user:password@tcp(host:3306)/db.
			re:   regexp.MustCompile(`(?i)[a-z0-9._-]+:(?P<mask>[^\s@/"'\\]+)@(?:tcp|unix|udp)\(`),
			skip: isMaskValue,
		},
		&adoFinder{
			kws:  kw.addAll("password", "pwd"),
			semi: kw.add(";"),
			// ADO.NET / ODBC: Server=x;User Id=u;Password=p w;
			re: regexp.MustCompile(`(?i)(?:^|[;\s"'])(?:password|pwd)[ \t]*=[ \t]*(?P<mask>[^;"'\r\n]*)`),
		},
		&regexFinder{
			rule: rAWSKeyID,
			kws:  kw.addAll("akia", "asia"),
			// Long-term (AKIA) and temporary (ASIA) access key ids.
			re: regexp.MustCompile(`\b(?:AKIA|ASIA)[A-Z0-9]{16}\b`),
		},
		&regexFinder{
			rule: rAWSSecret,
			kws:  kw.addAll("secret"),
			also: kw.addAll("key"),
			// A 40-character base64 string shortly after a name such as
			// aws_secret_access_key, AWS Secret Key or SecretAccessKey.
			re: regexp.MustCompile(`(?i)(?:aws[ _.-]?secret[ _.-]?(?:access[ _.-]?)?key|secret[ _.-]?access[ _.-]?key)` +
				`[\\"' \t:=]{1,10}(?P<mask>[a-z0-9/+]{40})(?:[^a-z0-9/+=]|$)`),
		},
		&authFinder{
			kws: kw.addAll("authorization", "bearer"),
			// Authorization: <scheme> <credentials> (header, JSON field or
			// YAML key); the scheme is optional.
			// A Go map dump writes it Authorization:[Basic …].
			header: regexp.MustCompile(`(?i)authorization\\*["']?[ \t]*[:=][ \t]*\\*["']?\[?` +
				`(?:(?P<scheme>basic|bearer|token|apikey|api-key|key|dpop|mac|oauth)[ \t]+)?(?P<mask>[^\s"'\\,;{}\[\]]+)`),
			// Schemes whose credentials are a list of parameters (Digest
			// username="…", response="…"; AWS4-HMAC-SHA256 Credential=…,
			// Signature=…): everything after the scheme.
			params: regexp.MustCompile(`(?i)authorization\\*["']?[ \t]*[:=][ \t]*(?P<open>\\*["']|\[)?` +
				`(?:digest|negotiate|ntlm|aws4-hmac-sha256|hmac-sha256|hmac|sharedkey|sharedkeylite|signature)[ \t]+`),
			// bearer <token> anywhere (curl -H, logs).
			bearer: regexp.MustCompile(`(?i)\bbearer[ \t]+(?P<mask>[a-z0-9._~+/-]{8,}=*)`),
		},
		&regexFinder{
			rule: rJWT,
			kws:  kw.addAll("eyj"),
			// header.payload.signature, the first two base64url JSON
			// objects (base64 of `{"` is "eyJ"); the signature may be empty.
			re: regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`),
		},
		&regexFinder{
			rule: rJWT,
			kws:  kw.addAll("zxlkagjhy2lp"),
			// A JWT stored base64-encoded (Secret data): base64 of
			// `eyJhbGciO`, the start of every JWT whose header begins
			// with "alg" (all Kubernetes service account tokens).
			re: regexp.MustCompile(`ZXlKaGJHY2lP[A-Za-z0-9+/]{20,}={0,2}`),
		},
		&b64KeyFinder{
			kw: kw.add("ls0tls1crudjti"),
			// base64 of "-----BEGIN " (Secret data, kubeconfig
			// client-key-data): decoded and checked for "PRIVATE KEY".
			re: regexp.MustCompile(`LS0tLS1CRUdJTi[A-Za-z0-9+/]*={0,2}`),
		},
	}
	fs = append(fs, shapeFinders(kw)...)
	for _, f := range fs {
		if rf, ok := f.(*regexFinder); ok {
			rf.gate = newLiteralGate(rf.re.String())
		}
	}
	return append(fs, newTokenFinder(tokens, kw)), nil
}

// regexFinder masks every match of re (its group "mask" if it has one).
type regexFinder struct {
	rule int
	kws  []int // a line must contain one of these
	also []int // and, if set, one of these
	re   *regexp.Regexp
	skip func(v []byte) bool // optional: leave a match alone
	// gate (derived from re) and pre (by hand, optional) turn away lines
	// that have the keywords but cannot match, before re searches them.
	gate *literalGate
	pre  func(line []byte) bool
}

func (f *regexFinder) keyed() bool    { return len(f.kws) > 0 }
func (f *keyValueFinder) keyed() bool { return true }
func (f *envPairFinder) keyed() bool  { return true }
func (f *adoFinder) keyed() bool      { return true }
func (f *authFinder) keyed() bool     { return true }
func (f *pemFinder) keyed() bool      { return true }
func (f *b64KeyFinder) keyed() bool   { return true }

func (f *regexFinder) find(w *writer, line []byte) {
	if !w.hasAny(f.kws) || !w.hasAny(f.also) || !f.gate.pass(line) || f.pre != nil && !f.pre(line) {
		return
	}
	f.apply(w, line, f.rule)
}

func (f *regexFinder) apply(w *writer, line []byte, rule int) {
	g := f.re.SubexpIndex("mask")
	if g < 0 {
		g = 0
	}
	for _, m := range f.re.FindAllSubmatchIndex(line, -1) {
		s, e := m[2*g], m[2*g+1]
		if s < 0 || s == e {
			continue
		}
		if f.skip != nil && f.skip(line[s:e]) {
			continue
		}
		w.add(s, e, rule)
	}
}

// keyValueFinder masks the values of sensitive keys: `key: v`, `"key": "v"`,
// `KEY=v`, `--key=v`, `--key v`, `\"key\":\"v\"` (JSON inside a JSON
// string), and a --flag whose value is the next list element.
//
// It works on the line's key-character runs rather than with a regex (a
// case-insensitive regex with a free prefix before the sensitive word is
// slow). For each run, maximal so that "tokenizer" is never "token" +
// "izer", that ends with a sensitive word, it looks at what follows:
//
//	close  the key's closing quote, after as many backslashes as its JSON
//	       escape level (\" inside a JSON string)
//	sep    ":" or "=" with blanks around: a value follows (valueSpan);
//	       blanks only: a --flag's value may follow;
//	       nothing (end of line, ",", ...): a --flag's value may be the next
//	       list element.
type keyValueFinder struct {
	kws  []int
	next *flagValue
}

func (f *keyValueFinder) find(w *writer, line []byte) {
	if !w.hasAny(f.kws) {
		return
	}
	n := len(line)
	for i := 0; i < n; {
		if !isKeyChar(line[i]) {
			i++
			continue
		}
		keyS := i
		for i < n && isKeyChar(line[i]) {
			i++
		}
		rule, ok := sensitiveTail(line[keyS:i])
		if !ok || (keyS >= 2 && line[keyS-1] == '/' && line[keyS-2] == '/') {
			// Not sensitive, or the user of scheme://user:password@
			// (see builtin.connection-string).
			continue
		}
		closeE := i
		for closeE < n && line[closeE] == '\\' {
			closeE++
		}
		if closeE < n && (line[closeE] == '"' || line[closeE] == '\'') {
			closeE++
		} else {
			closeE = i
		}
		quotedKey := closeE > i
		flag := line[keyS] == '-'
		j := closeE
		for j < n && (line[j] == ' ' || line[j] == '\t') {
			j++
		}
		switch {
		case j < n && (line[j] == ':' || line[j] == '='):
			sepChar, sepPos := line[j], j
			j++
			for j < n && (line[j] == ' ' || line[j] == '\t') {
				j++
			}
			openS := keyS
			if quotedKey && keyS > 0 && (line[keyS-1] == '"' || line[keyS-1] == '\'') {
				openS = keyS - 1
			}
			startsLine := !flag && atLineStart(line, openS)
			yamlKey := sepChar == ':' && startsLine
			if sepChar == ':' {
				j = skipYAMLProperties(line, j)
			}
			if j >= n || (yamlKey && line[j] == '#') {
				switch {
				case w.chunk:
					// The line was cut here: the value starts the next chunk.
					w.arm(chunkValue{}, rule)
				case yamlKey:
					// password:
					//   s3cr3t
					w.startBlock(openS, rule, true)
				}
				continue
			}
			if yamlKey && isBlockHeader(line[j:]) {
				// password: |   (or >-, |2 …): the indented lines below.
				w.startBlock(openS, rule, false)
				continue
			}
			s, e, ok := 0, 0, false
			switch {
			case sepChar == '=' && !quotedKey && keyS > 0 && line[keyS-1] == '"' && line[j] != '"' && line[j] != '\\':
				// "DB_PASSWORD=two words" (a docker Env list): to the
				// closing quote of the element.
				k0 := 0
				for q := keyS - 2; q >= 0 && line[q] == '\\'; q-- {
					k0++
				}
				s, e = j, quotedEnd(line, j, k0)
				ok = e > s && !isBenign(line[s:e])
			default:
				// A bare YAML value runs to the end of the line, also after
				// a quoted key; so does the value of an env variable
				// (UPPER_CASE=…) or an INI/TOML key (key = …) that starts
				// its line. KEY=v is one token in logfmt.
				toEOL := yamlKey || sepChar == '=' && startsLine && (sepPos > closeE || isEnvName(line[keyS:i]))
				lim := n
				if quotedKey && toEOL {
					// "password": 123,  (JSON): the comma stays.
					lim = len(bytes.TrimRight(bytes.TrimRight(line, " \t"), ","))
				}
				s, e, ok = valueSpan(line[:lim], j, toEOL)
			}
			if ok {
				w.add(s, e, rule)
				i = max(i, e)
				if w.chunk && e == n {
					w.arm(chunkValue{}, rule)
				}
			}
		case !flag:
			// A key without ":" or "=" is a word in a sentence
			// ("password reset page loaded"): nothing to mask.
		case j > closeE && j < n:
			// --password value
			if line[j] != '-' {
				if s, e, ok := valueSpan(line, j, false); ok {
					w.add(s, e, rule)
					i = max(i, e)
				}
			}
		default:
			// "--password", "value" on one line, or "--password", at the
			// end of the line (an argument list, one element per line):
			// the value is on the next line.
			rest := bytes.TrimLeft(line[closeE:], " \t")
			if len(rest) > 0 && rest[0] == ',' {
				rest = bytes.TrimLeft(rest[1:], " \t")
			}
			if len(rest) == 0 {
				if quotedKey || atLineStart(line, keyS) {
					w.arm(f.next, rule)
				}
				continue
			}
			if quotedKey {
				off := n - len(rest)
				if s, e, ok := valueSpan(line, off, false); ok && s > off {
					w.add(s, e, rule)
					i = max(i, e)
				}
			}
		}
	}
}

// isEnvName: an environment variable's name (upper case, digits, "_").
func isEnvName(k []byte) bool {
	upper := false
	for _, c := range k {
		switch {
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= '0' && c <= '9', c == '_':
		default:
			return false
		}
	}
	return upper
}

// skipYAMLProperties skips a YAML anchor (&name) and tag (!!str, !secret)
// before a value, with their blanks.
func skipYAMLProperties(line []byte, j int) int {
	for j < len(line) && (line[j] == '&' || line[j] == '!') {
		e := j
		for e < len(line) && line[e] != ' ' && line[e] != '\t' {
			e++
		}
		if e < len(line) {
			for e < len(line) && (line[e] == ' ' || line[e] == '\t') {
				e++
			}
		}
		j = e
	}
	return j
}

// isBlockHeader: a YAML block scalar header (|, >, with chomping and
// indentation indicators, and maybe a comment) and nothing else.
func isBlockHeader(v []byte) bool {
	if len(v) == 0 || v[0] != '|' && v[0] != '>' {
		return false
	}
	i := 1
	for i < len(v) && (v[i] == '-' || v[i] == '+' || v[i] >= '1' && v[i] <= '9') {
		i++
	}
	rest := bytes.TrimLeft(v[i:], " \t")
	return len(rest) == 0 || rest[0] == '#' && len(rest) < len(v[i:])
}

// chunkValue masks the start of the next chunk of a line that was cut
// (longer than the writer's maxLine) right at or inside a sensitive value.
type chunkValue struct{}

func (chunkValue) armed(w *writer, line []byte, rule int) {
	e := 0
	for e < len(line) && !isValueStop(line[e]) {
		e++
	}
	if e == 0 {
		// The value itself starts here (the cut fell between key and value).
		s, en, ok := valueSpan(line, 0, false)
		if !ok {
			return
		}
		e = en
		w.addSpan(s, e, rule)
	} else {
		w.addSpan(0, e, rule)
	}
	if w.chunk && e == len(line) {
		w.arm(chunkValue{}, rule)
	}
}

// flagValue masks the next line's list element after a --flag element:
//
//	"--password",      - --password
//	"s3cr3t"           - s3cr3t
type flagValue struct{}

func (flagValue) armed(w *writer, line []byte, rule int) {
	i := 0
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	if i+1 < len(line) && line[i] == '-' && (line[i+1] == ' ' || line[i+1] == '\t') {
		i += 2
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
	}
	if i >= len(line) || line[i] == '-' {
		return // another flag
	}
	s, e, ok := valueSpan(line, i, true)
	if !ok || (s < len(line) && line[s] == '-') {
		return
	}
	w.add(s, e, rule)
}

// adoFinder masks Password=/Pwd= in ADO.NET and ODBC connection strings: the
// value runs to the next ";" and may contain blanks. To leave the shell's
// PWD=/some/dir alone, a ";" must end the value or precede the key.
type adoFinder struct {
	kws  []int
	semi int
	re   *regexp.Regexp
}

func (f *adoFinder) find(w *writer, line []byte) {
	if !w.has(f.semi) || !w.hasAny(f.kws) {
		return
	}
	for _, m := range f.re.FindAllSubmatchIndex(line, -1) {
		s, e := m[2], m[3]
		ended := e < len(line) && line[e] == ';'
		before := bytes.TrimRight(line[:m[0]+1], " \t")
		started := len(before) > 0 && before[len(before)-1] == ';'
		if !ended && !started {
			continue
		}
		v := bytes.TrimRight(line[s:e], " \t")
		if len(v) == 0 || isMaskValue(v) {
			continue
		}
		w.add(s, s+len(v), rConnString)
	}
}

// authFinder masks Authorization header credentials and bearer tokens.
type authFinder struct {
	kws    []int
	header *regexp.Regexp
	params *regexp.Regexp
	bearer *regexp.Regexp
}

func (f *authFinder) find(w *writer, line []byte) {
	if !w.hasAny(f.kws) {
		return
	}
	for _, m := range f.header.FindAllSubmatchIndex(line, -1) {
		s, e := m[4], m[5]
		v := line[s:e]
		if isMaskValue(v) {
			continue
		}
		// Without a scheme, only a value that looks like a credential:
		// "authorization: denied" stays.
		if m[2] < 0 && !looksLikeToken(v, 16) {
			continue
		}
		w.add(s, e, rAuthorization)
	}
	for _, m := range f.params.FindAllSubmatchIndex(line, -1) {
		s, e := m[1], len(line)
		if m[2] >= 0 {
			open := line[m[2]:m[3]]
			if open[0] == '[' {
				if i := bytes.IndexByte(line[s:], ']'); i >= 0 {
					e = s + i
				}
			} else {
				e = quotedEnd(line, s, len(open)-1)
			}
		}
		s, e = trimBlank(line, s, e)
		if s < e && !isMaskValue(line[s:e]) {
			w.add(s, e, rAuthorization)
		}
	}
	for _, m := range f.bearer.FindAllSubmatchIndex(line, -1) {
		s, e := m[2], m[3]
		// "Bearer authentication failed" is prose: a token has a digit
		// (or, if long, mixed case).
		if !looksLikeToken(line[s:e], 8) {
			continue
		}
		w.add(s, e, rAuthorization)
	}
}

// looksLikeToken: at least min bytes and a digit, or 20+ bytes of mixed
// case.
func looksLikeToken(v []byte, min int) bool {
	if len(v) < min || isMaskValue(v) {
		return false
	}
	var digit, upper, lower bool
	for _, c := range v {
		switch {
		case c >= '0' && c <= '9':
			digit = true
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= 'a' && c <= 'z':
			lower = true
		}
	}
	return digit || (len(v) >= 20 && upper && lower)
}

// maxPEMLines bounds a PEM block whose END line never comes (a truncated
// log): after that many body lines the block is considered over.
const maxPEMLines = 1000

// pemFinder masks PEM private keys. The BEGIN and END lines stay; what is
// between them is masked:
//   - on one line, as in a JSON string with \n escapes
//     ("-----BEGIN PRIVATE KEY-----\nMII...\n-----END PRIVATE KEY-----\n"),
//     the text between the markers (less the escaped newlines next to them);
//   - across lines, every body line (its indentation stays, so a YAML block
//     scalar remains valid). A body line must look like PEM (base64, or a
//     "Proc-Type:"-style header): a line that does not ends the block, so a
//     log message quoting a BEGIN line does not mask the rest of the log.
//
// A key counts one match, at its BEGIN.
type pemFinder struct {
	kw         int
	begin, end *regexp.Regexp
}

func (f *pemFinder) find(w *writer, line []byte) {
	pos := 0
	if w.pemIn {
		if loc := f.end.FindIndex(line); loc != nil {
			s, e := trimBlank(line, 0, loc[0])
			w.addSpan(s, e, rPrivateKey)
			w.pemIn = false
			pos = loc[1]
		} else if looksLikePEMBody(line) && w.pemLines < maxPEMLines {
			s, e := trimBlank(line, 0, len(line))
			w.addSpan(s, e, rPrivateKey)
			w.pemLines++
			return
		} else {
			w.pemIn = false
		}
	}
	if !w.has(f.kw) {
		return
	}
	for pos < len(line) {
		loc := f.begin.FindIndex(line[pos:])
		if loc == nil {
			return
		}
		bodyS := pos + loc[1]
		if e := f.end.FindIndex(line[bodyS:]); e != nil {
			w.count(rPrivateKey)
			s, en := trimEscapedNewlines(line, bodyS, bodyS+e[0])
			w.addSpan(s, en, rPrivateKey)
			pos = bodyS + e[1]
			continue
		}
		// No END on this line: the block goes on below (or past a chunk
		// cut) if the rest of the line is empty or starts the body; else
		// the marker is only quoted (`expected "-----BEGIN ...-----"`).
		s, e := trimEscapedNewlines(line, bodyS, len(line))
		if s < e && !isBase64Char(line[s]) {
			pos = bodyS
			continue
		}
		w.count(rPrivateKey)
		w.addSpan(s, e, rPrivateKey)
		w.pemIn = true
		w.pemLines = 0
		return
	}
}

// looksLikePEMBody: blank, base64 text, or an RFC 1421 header line.
func looksLikePEMBody(line []byte) bool {
	t := bytes.TrimSpace(line)
	if i := bytes.Index(t, []byte(": ")); i > 0 {
		for _, c := range t[:i] {
			if !(c == '-' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
				return false
			}
		}
		return true
	}
	for _, c := range t {
		if !isBase64Char(c) && c != '=' {
			return false
		}
	}
	return true
}

func isBase64Char(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/'
}

// trimBlank narrows [s, e) to exclude surrounding blanks.
func trimBlank(line []byte, s, e int) (int, int) {
	for s < e && (line[s] == ' ' || line[s] == '\t') {
		s++
	}
	for e > s && (line[e-1] == ' ' || line[e-1] == '\t') {
		e--
	}
	return s, e
}

// trimEscapedNewlines narrows [s, e) to exclude blanks and escaped newlines
// (\n, \r\n, \\n at any JSON nesting level) at both ends, so that
// "BEGIN-----\nMII...\n-----END" keeps its line structure visible.
func trimEscapedNewlines(line []byte, s, e int) (int, int) {
	for s < e {
		if line[s] == ' ' || line[s] == '\t' {
			s++
			continue
		}
		if line[s] == '\\' {
			j := s
			for j < e && line[j] == '\\' {
				j++
			}
			if j < e && (line[j] == 'n' || line[j] == 'r') {
				s = j + 1
				continue
			}
		}
		break
	}
	e = trimTrailingEscapes(line, s, e)
	return s, e
}

func trimTrailingEscapes(line []byte, s, e int) int {
	for e > s {
		if line[e-1] == ' ' || line[e-1] == '\t' {
			e--
			continue
		}
		if e-s >= 2 && (line[e-1] == 'n' || line[e-1] == 'r') && line[e-2] == '\\' {
			j := e - 2
			for j > s && line[j-1] == '\\' {
				j--
			}
			e = j
			continue
		}
		break
	}
	return e
}

// b64KeyFinder masks base64-encoded PEM private keys.
type b64KeyFinder struct {
	kw int
	re *regexp.Regexp
}

func (f *b64KeyFinder) find(w *writer, line []byte) {
	if !w.has(f.kw) {
		return
	}
	var dec [72]byte
	for _, m := range f.re.FindAllIndex(line, -1) {
		tok := line[m[0]:m[1]]
		if len(tok) > 96 {
			tok = tok[:96]
		}
		tok = tok[:len(tok)/4*4]
		n, _ := base64.StdEncoding.Decode(dec[:], tok)
		if bytes.Contains(dec[:n], []byte("PRIVATE KEY")) {
			w.add(m[0], m[1], rPrivateKeyB64)
		}
	}
}

// isMaskValue reports values that need no masking: already masked.
func isMaskValue(v []byte) bool {
	return bytes.Equal(v, []byte(Mask))
}
