package redact

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"io"
	"unicode/utf8"

	"sigs.k8s.io/yaml"

	"github.com/mesosphere/dkp-diagnose/lib/collect/internal/jsonscan"
)

// The helpers of the object walk: JSON scanning (lib/collect/internal/
// jsonscan, structure only, as the list code scans: encoding/json checks
// the rest when the file is indented), the field-name vocabulary, payload
// decoding and the line rules run over a string's text.

// stringEnd returns the index after the string whose opening quote is at
// d[i]; skipJSON the index after the value at d[i]. They put jsonscan's
// errors in the walk's (end, ok) terms: a malformed object is left to the
// line rules, whatever is wrong with it.
func stringEnd(d []byte, i int) (int, bool) {
	end, err := jsonscan.SkipString(d, i)
	return end, err == nil
}

func skipJSON(d []byte, i int) (int, bool) {
	end, err := jsonscan.SkipValue(d, i)
	return end, err == nil
}

// unquoteRaw returns the content of a JSON string (with its quotes), decoded
// only when it has escapes.
func unquoteRaw(q []byte) []byte {
	if len(q) < 2 {
		return nil
	}
	raw := q[1 : len(q)-1]
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw
	}
	var s string
	if json.Unmarshal(q, &s) != nil {
		return raw
	}
	return []byte(s)
}

// quoteJSON encodes text as a JSON string, without HTML escapes.
func quoteJSON(text []byte) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(string(text)) // a string always encodes
	return bytes.TrimRight(b.Bytes(), "\n")
}

// sensitiveField reports whether a field, env var or flag named k holds a
// secret. Names are compared with case and separators ignored
// ("client_secret" is "clientSecret"), by how they END, so that
// "secretName", "tokenTTL", "passwordPolicy", "keyName" and "publicKey" stay
// readable. Short words need a word boundary before them: "bindPW",
// "DB_PASS", "db-pwd", but not "bypass".
func sensitiveField(k []byte) bool {
	if len(k) == 0 || len(k) > 128 {
		return false
	}
	var buf [128]byte
	n := 0
	for _, c := range k {
		switch {
		case c >= 'A' && c <= 'Z':
			buf[n] = c + 'a' - 'A'
			n++
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			buf[n] = c
			n++
		}
	}
	norm := buf[:n]
	if allowedKeys[string(norm)] {
		return false // names a Secret (existingSecret)
	}
	if _, ok := sensitiveTail(k); ok {
		return true // the line rules' vocabulary
	}
	if n > 0 {
		for _, suf := range suffixesByLast[norm[n-1]] {
			if bytes.HasSuffix(norm, suf) {
				return true
			}
		}
	}
	for _, exact := range sensitiveExact {
		if bytes.Equal(norm, exact) {
			return true
		}
	}
	if bytes.HasSuffix(k, []byte(".key")) || bytes.HasSuffix(k, []byte("-key")) && bytes.HasPrefix(norm, []byte("ssh")) {
		return true // tls.key, ca.key, sa.key, ssh-...-key
	}
	switch w := lastWord(k); len(w) {
	case 2, 3, 4, 6:
		return equalFold(w, "pw") || equalFold(w, "pwd") || equalFold(w, "pass") || equalFold(w, "passwd")
	}
	return false
}

// equalFold is bytes.EqualFold with a lower-case ASCII word, without
// allocating.
func equalFold(b []byte, word string) bool {
	if len(b) != len(word) {
		return false
	}
	for i := range b {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != word[i] {
			return false
		}
	}
	return true
}

// suffixesByLast indexes sensitiveSuffixes by their last byte: most names
// end in a letter no suffix ends in, and cost one lookup.
var suffixesByLast = func() (t [256][][]byte) {
	for _, s := range sensitiveSuffixes {
		t[s[len(s)-1]] = append(t[s[len(s)-1]], s)
	}
	return t
}()

// sensitiveSuffixes end the (normalised) names of secrets.
var sensitiveSuffixes = bytesList(
	"password", "passwd", "passphrase", "secret", "token",
	"credential", "credentials",
	"apikey", "accesskey", "secretkey", "privatekey", "signingkey", "encryptionkey",
	"licensekey", "masterkey", "sharedkey", "clientkey", "sessionkey", "hmackey",
	"clientkeydata", "secretkeybase", "connectionstring", "cookie", "dsn",
	"authorization", "bootstrapdata", "userdata", "customdata",
)

// sensitiveExact are names that are secrets only on their own ("auth" of a
// docker config).
var sensitiveExact = bytesList("auth", "pin", "sig", "signature")

func bytesList(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

// lastWord is the last word of a name: after the last separator or
// lower-to-upper case change ("bindPW" → "PW", "DB_PASS" → "PASS",
// "dbPass" → "Pass").
func lastWord(k []byte) []byte {
	i := len(k)
	for i > 0 {
		c := k[i-1]
		if c == '_' || c == '-' || c == '.' || c == ' ' {
			break
		}
		if i < len(k) && isLower(c) && isUpper(k[i]) {
			break
		}
		i--
	}
	return k[i:]
}

func isLower(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

// isBase64Text reports whether raw may be base64 (standard or URL
// alphabet, padding only at the end) holding a payload: mixed case, so that
// hex digests, UUIDs and words are not decoded.
func isBase64Text(raw []byte) bool {
	var upper, lower bool
	for i, c := range raw {
		switch {
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= 'a' && c <= 'z':
			lower = true
		case c >= '0' && c <= '9', c == '+', c == '/', c == '-', c == '_':
		case c == '=':
			if len(raw)-i > 2 {
				return false
			}
		default:
			return false
		}
	}
	return upper && lower
}

// decodeBase64 decodes raw in whichever base64 variant it is in.
func decodeBase64(raw []byte) ([]byte, bool) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		dst := make([]byte, enc.DecodedLen(len(raw)))
		n, err := enc.Decode(dst, raw)
		if err == nil {
			return dst[:n], true
		}
	}
	return nil, false
}

func isGzip(b []byte) bool { return len(b) > 2 && b[0] == 0x1f && b[1] == 0x8b }

// gunzip decompresses b, up to maxDecoded bytes.
func gunzip(b []byte) ([]byte, bool) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, false
	}
	out, err := io.ReadAll(io.LimitReader(zr, maxDecoded+1))
	if err != nil || len(out) > maxDecoded {
		return nil, false
	}
	return out, true
}

// isText: valid UTF-8 without NUL bytes (in its first 4 KiB).
func isText(b []byte) bool {
	if len(b) > 4096 {
		b = b[:4096]
		for len(b) > 0 && !utf8.FullRune(b[len(b)-1:]) && b[len(b)-1] >= 0x80 {
			b = b[:len(b)-1] // a rune cut by the window
		}
	}
	return bytes.IndexByte(b, 0) < 0 && utf8.Valid(b)
}

func hasPrivateKey(b []byte) bool {
	return bytes.Contains(b, []byte("PRIVATE KEY-----")) || bytes.Contains(b, []byte("PRIVATE KEY BLOCK-----"))
}

func hasSecretManifest(b []byte) bool {
	return bytes.Contains(b, []byte("kind: Secret")) || bytes.Contains(b, []byte(`"kind":"Secret"`)) ||
		bytes.Contains(b, []byte(`"kind": "Secret"`))
}

// yamlDocs splits a YAML stream at its "---" lines.
func yamlDocs(t []byte) [][]byte {
	var docs [][]byte
	start := 0
	for i := 0; i <= len(t); {
		j := bytes.IndexByte(t[i:], '\n')
		end := len(t)
		if j >= 0 {
			end = i + j
		}
		line := t[i:end]
		if bytes.HasPrefix(line, []byte("---")) {
			if i > start {
				docs = append(docs, t[start:i])
			}
			start = end + 1
		}
		if j < 0 {
			break
		}
		i = end + 1
	}
	if start < len(t) {
		docs = append(docs, t[start:])
	}
	return docs
}

// yamlToJSON converts one YAML document to JSON; only a mapping or a list
// counts (a plain string parses as YAML too).
func yamlToJSON(doc []byte) ([]byte, bool) {
	j, err := yaml.YAMLToJSON(doc)
	if err != nil || len(j) == 0 || (j[0] != '{' && j[0] != '[') {
		return nil, false
	}
	return j, true
}

// lineText runs the line rules (built-in, and the custom rules that select
// file; not yamlPath) over text, and returns the result, the matches by
// rule id and their total. Nothing goes to the report.
func (s *Set) lineText(file string, text []byte) ([]byte, []int, int) {
	var out bytes.Buffer
	lw, ok := s.Writer(file, nopCloser{&out}).(*writer)
	if !ok {
		return text, nil, 0
	}
	lw.yaml = nil
	lw.feed(text)
	if len(lw.buf) > 0 {
		lw.processLine(lw.buf)
	}
	lw.flush()
	if lw.out != nil {
		s.putOutBuf(lw.out)
	}
	n := 0
	for _, k := range lw.counts {
		n += k
	}
	if n == 0 {
		return text, nil, 0
	}
	return out.Bytes(), lw.counts, n
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// yamlMaybeSensitive is the cheap test before text is parsed as YAML: does
// any line have a key (or an env-style name) the structure rules act on, a
// long base64 token, or a JWK? Parsing every config file and manifest of a
// Helm release would cost more than all the rest of the walk.
func yamlMaybeSensitive(t []byte) bool {
	for len(t) > 0 {
		line := t
		if i := bytes.IndexByte(t, '\n'); i >= 0 {
			line, t = t[:i], t[i+1:]
		} else {
			t = nil
		}
		line = bytes.TrimLeft(line, " \t")
		line = bytes.TrimLeft(line, "- ")
		c := bytes.IndexByte(line, ':')
		if c <= 0 {
			continue
		}
		key := bytes.Trim(line[:c], `"' `)
		if sensitiveField(key) || string(key) == "kty" {
			return true
		}
		v := bytes.Trim(bytes.TrimSpace(line[c+1:]), `"'`)
		if len(v) >= minEncoded && isBase64Text(v) {
			return true
		}
		if string(key) == "name" && sensitiveField(v) || string(key) == "kind" && isSecretKind(string(v)) {
			return true
		}
	}
	return false
}
