package redact

import (
	"bytes"
	"encoding/json"
	"slices"

	"github.com/mesosphere/dkp-diagnose/lib/collect/internal/jsonscan"
)

// Structure-aware redaction of Kubernetes objects. The line rules see one
// line of the indented JSON at a time: they cannot know that a value belongs
// to a Secret, that an env entry's name makes its value secret, or what a
// base64 or gzip payload holds. Object walks one object (a list item, as
// the API server encoded it) before its lines are written, and masks by
// structure:
//
//   - Secrets (and Secret-carrying kinds, "*Secret"): every value of data,
//     stringData and encryptedData, wherever the object holds them (also in
//     a template, as in a FederatedSecret);
//   - ConfigMaps: binaryData values; data values are kept and scanned like
//     every other string (below);
//   - fields named like a secret (sensitiveField: password, bindPW,
//     clientSecret, token, signingKey, …), scalar values or lists of them;
//   - env entries {"name": "DB_PASS", "value": "…"}, in any order;
//   - args and command lists: --db-pass=x, --password x, -u user:pass;
//   - JWK private members (d, p, q, dp, dq, qi, k) of an object with "kty";
//   - strings holding JSON (the last-applied-configuration annotation): the
//     JSON is redacted as the object it holds and written back;
//   - multi-line strings (config files in ConfigMaps, cloud-init, Helm
//     manifests): a PEM private key or a Secret manifest inside masks the
//     whole value; otherwise the line rules redact the text, and when the
//     structure rules still find something in the YAML or JSON it parses to,
//     the whole value is masked;
//   - base64 and gzip payloads (Helm releases, Dex connector configs,
//     bootstrap data, files[].content with encoding base64): decoded, up to
//     a few levels deep, and scanned by all of the above and the line rules;
//     when anything inside is secret the whole encoded value is masked, so
//     no re-encodable secret is left;
//   - bcrypt hashes ($2a$, $2b$, $2y$).
//
// The walk is a single pass over the bytes (no decoding into maps, no
// reflection): a clean object costs about one scan of its bytes, and is
// returned as it was, without a copy. Edits are spliced in at the end.

// Structure rule ids, relative to Set.structBase.
const (
	sSecretData = iota
	sConfigMapBinary
	sField
	sEnv
	sArg
	sJWK
	sEncoded
	sPrivateKey
	sSecretManifest
	sHash
)

// structureNames are the report names of the structure rules.
var structureNames = []string{
	sSecretData:      "structure.secret-data",
	sConfigMapBinary: "structure.configmap-binary-data",
	sField:           "structure.secret-field",
	sEnv:             "structure.env",
	sArg:             "structure.args",
	sJWK:             "structure.jwk-private",
	sEncoded:         "structure.encoded-payload",
	sPrivateKey:      "structure.private-key",
	sSecretManifest:  "structure.secret-manifest",
	sHash:            "structure.password-hash",
}

// Limits of payload decoding: a value is decoded at most maxDecodeDepth
// levels deep (base64 of gzip of JSON holding base64 is three), and a gzip
// payload is read up to maxDecoded bytes (a Helm release is a few MB; a
// larger one is treated as secret rather than read on).
const (
	maxDecodeDepth = 5
	maxDecoded     = 64 << 20
	// minEncoded is the shortest string tried as base64: shorter ones are
	// words, hashes and ids far more often than payloads.
	minEncoded = 20
)

var quotedMask = []byte(`"` + Mask + `"`)

// Object redacts one Kubernetes object, encoded as JSON, as bundle file
// file (which names it in the report) before its lines are written. kind is
// the object's kind when the object does not say (a list item); the
// object's own "kind" wins. It returns obj itself when nothing was masked.
// Malformed JSON is returned as it is (the line rules still apply). With a
// nil Set or without the built-in rules, Object does nothing.
func (s *Set) Object(file, kind string, obj []byte) []byte {
	if s == nil || !s.structure {
		return obj
	}
	file = cleanPath(file)
	var counts []int
	out := s.object(file, kind, obj, &counts)
	if counts != nil {
		s.merge(file, counts, nil)
	}
	return out
}

// Object is Set.Object for the writer's file: the counts go with the
// file's.
func (w *writer) Object(kind string, obj []byte) []byte {
	if !w.s.structure {
		return obj
	}
	var counts []int
	out := w.s.object(w.path, kind, obj, &counts)
	for i, n := range counts {
		w.counts[i] += n
	}
	return out
}

// object is Object with counts (by rule id, allocated on the first match)
// kept by the caller.
func (s *Set) object(file, kind string, obj []byte, counts *[]int) []byte {
	w, _ := s.walkers.Get().(*objWalker)
	if w == nil {
		w = &objWalker{}
	}
	w.s, w.file, w.counts, w.found = s, file, counts, false
	out, changed := w.doc(obj, kind, 0)
	w.data, w.counts = nil, nil
	if cap(w.edits) <= 1024 && cap(w.mem) <= 4096 {
		s.walkers.Put(w)
	}
	if !changed {
		return obj
	}
	return out
}

// objWalker walks a JSON document, collecting edits. Embedded documents
// (JSON in a string, decoded payloads) get a walker of their own.
type objWalker struct {
	s *Set
	// counts by rule id; nil pointer: a probe, which only asks whether
	// anything is secret and counts nothing.
	counts *[]int
	file   string   // the bundle file (selects custom rules for the line rules)
	found  bool     // a probe found something
	mem    []member // members of the objects being walked (a stack)
	edits  []edit   // of the document
	data   []byte   // the document
}

type edit struct {
	s, e int
	repl []byte
}

type member struct {
	ks, ke int // key, without quotes
	vs, ve int
	done   bool // masked as a whole already
}

// wctx is what an object's members inherit.
type wctx struct {
	kind    string // the object's kind (top level: the hint)
	secret  bool   // inside a Secret-like object
	depth   int    // decoding depth
	maskAll bool   // mask every scalar below
	rule    int    // the rule of maskAll
}

// count records one match of structure rule r.
func (w *objWalker) count(r int) {
	if w.counts == nil {
		w.found = true
		return
	}
	if *w.counts == nil {
		*w.counts = make([]int, len(w.s.rules))
	}
	(*w.counts)[w.s.structBase+r]++
}

// doc walks one JSON document and returns it with its edits applied, and
// whether there were any.
func (w *objWalker) doc(data []byte, kind string, depth int) ([]byte, bool) {
	w.data, w.edits, w.mem = data, w.edits[:0], w.mem[:0]
	i := jsonscan.SkipSpace(data, 0)
	if i >= len(data) || (data[i] != '{' && data[i] != '[') {
		return data, false
	}
	end, ok := w.value(i, wctx{kind: kind, depth: depth, secret: isSecretKind(kind)})
	if !ok || jsonscan.SkipSpace(data, end) != len(data) || len(w.edits) == 0 {
		return data, false
	}
	return applyEdits(data, w.edits), true
}

// applyEdits splices edits (non-overlapping) into data.
func applyEdits(data []byte, edits []edit) []byte {
	slices.SortFunc(edits, func(a, b edit) int { return a.s - b.s })
	n := len(data)
	for _, e := range edits {
		n += len(e.repl) - (e.e - e.s)
	}
	out := make([]byte, 0, n)
	last := 0
	for _, e := range edits {
		out = append(out, data[last:e.s]...)
		out = append(out, e.repl...)
		last = e.e
	}
	return append(out, data[last:]...)
}

func (w *objWalker) edit(s, e int, repl []byte) {
	w.edits = append(w.edits, edit{s, e, repl})
}

// dropEdits forgets the edits inside [s, e) (before the span is masked as a
// whole).
func (w *objWalker) dropEdits(s, e int) {
	w.edits = slices.DeleteFunc(w.edits, func(x edit) bool { return x.s >= s && x.e <= e })
}

// value walks the value at data[i] (no leading blanks) and returns the index
// after it.
func (w *objWalker) value(i int, c wctx) (int, bool) {
	d := w.data
	if i >= len(d) {
		return 0, false
	}
	switch d[i] {
	case '{':
		return w.object(i, c)
	case '[':
		return w.array(i, c)
	case '"':
		end, ok := stringEnd(d, i)
		if !ok {
			return 0, false
		}
		if c.maskAll {
			w.maskScalar(i, end, c.rule)
		} else {
			w.checkString(i, end, c)
		}
		return end, true
	}
	end, ok := skipJSON(d, i)
	if !ok {
		return 0, false
	}
	if c.maskAll {
		w.maskScalar(i, end, c.rule)
	}
	return end, true
}

// maskScalar masks the scalar d[s:e] (a string, or a number: a PIN is a
// secret too), unless it is empty, already masked, or true/false/null.
func (w *objWalker) maskScalar(s, e int, rule int) {
	v := w.data[s:e]
	switch string(v) {
	case `""`, "true", "false", "null", `"` + Mask + `"`:
		return
	}
	w.edit(s, e, quotedMask)
	w.count(rule)
}

// maskValue masks every scalar of the value at data[s:e].
func (w *objWalker) maskValue(s, e int, rule int, c wctx) {
	c.maskAll, c.rule = true, rule
	w.value(s, c)
}

func (w *objWalker) array(i int, c wctx) (int, bool) {
	d := w.data
	j := jsonscan.SkipSpace(d, i+1)
	if j < len(d) && d[j] == ']' {
		return j + 1, true
	}
	for {
		end, ok := w.value(j, c)
		if !ok {
			return 0, false
		}
		next, closed, ok := afterElement(d, end)
		if !ok || closed {
			return next, ok
		}
		j = next
	}
}

func (w *objWalker) object(i int, c wctx) (int, bool) {
	d := w.data
	base := len(w.mem)
	defer func() { w.mem = w.mem[:base] }()
	// What this object is: its own kind, else (top level) the hint.
	kind := c.kind
	own := wctx{depth: c.depth, secret: c.secret, maskAll: c.maskAll, rule: c.rule}
	var hasKty bool
	envName := -1 // 1: the "name" member is a sensitive env name, 0: it is not
	j := jsonscan.SkipSpace(d, i+1)
	if j < len(d) && d[j] == '}' {
		return j + 1, true
	}
	for {
		if j >= len(d) || d[j] != '"' {
			return 0, false
		}
		ke, ok := stringEnd(d, j)
		if !ok {
			return 0, false
		}
		k := jsonscan.SkipSpace(d, ke)
		if k >= len(d) || d[k] != ':' {
			return 0, false
		}
		vs := jsonscan.SkipSpace(d, k+1)
		if vs >= len(d) {
			return 0, false
		}
		key := d[j+1 : ke-1]
		m := member{ks: j + 1, ke: ke - 1, vs: vs}
		var end int
		switch {
		case c.maskAll:
			end, ok = w.value(vs, own)
		case string(key) == "managedFields":
			// Field names only, never values.
			end, ok = skipJSON(d, vs)
		case string(key) == "kind":
			end, ok = skipJSON(d, vs)
			if ok && d[vs] == '"' {
				kind = string(d[vs+1 : end-1])
				if isSecretKind(kind) {
					own.secret = true
				}
			}
		case string(key) == "kty":
			hasKty = true
			end, ok = skipJSON(d, vs)
		case own.secret && isSecretDataKey(key) && d[vs] == '{':
			end, ok = skipJSON(d, vs)
			if ok {
				w.maskValue(vs, end, sSecretData, own)
				m.done = true
			}
		case kind == "ConfigMap" && string(key) == "binaryData":
			end, ok = skipJSON(d, vs)
			if ok {
				w.maskValue(vs, end, sConfigMapBinary, own)
				m.done = true
			}
		case hasKty && isJWKPrivate(key):
			end, ok = skipJSON(d, vs)
			if ok {
				w.maskValue(vs, end, sJWK, own)
				m.done = true
			}
		case string(key) == "name" && d[vs] == '"':
			end, ok = skipJSON(d, vs)
			if ok {
				envName = 0
				if sensitiveField(unquoteRaw(d[vs:end])) {
					envName = 1
				}
			}
		case string(key) == "value" && envName == 1:
			end, ok = skipJSON(d, vs)
			if ok {
				w.maskValue(vs, end, sEnv, own)
				m.done = true
			}
		case (string(key) == "args" || string(key) == "command") && d[vs] == '[':
			end, ok = w.args(vs, own)
		case sensitiveField(key) && d[vs] != '{':
			end, ok = skipJSON(d, vs)
			if ok {
				w.maskValue(vs, end, sField, own)
				m.done = true
			}
		default:
			end, ok = w.value(vs, own)
		}
		if !ok {
			return 0, false
		}
		m.ve = end
		w.mem = append(w.mem, m)
		j = jsonscan.SkipSpace(d, end)
		if j >= len(d) {
			return 0, false
		}
		if d[j] == ',' {
			j = jsonscan.SkipSpace(d, j+1)
			continue
		}
		if d[j] != '}' {
			return 0, false
		}
		break
	}
	// What a later member told about an earlier one: "kind" after "data"
	// (kubectl writes keys sorted), "kty" after "d", "name" after "value".
	if !c.maskAll && (own.secret || kind == "ConfigMap" || hasKty || envName == 1) {
		for _, m := range w.mem[base:] {
			if m.done {
				continue
			}
			key := d[m.ks:m.ke]
			rule := -1
			switch {
			case own.secret && isSecretDataKey(key) && d[m.vs] == '{':
				rule = sSecretData
			case kind == "ConfigMap" && string(key) == "binaryData":
				rule = sConfigMapBinary
			case hasKty && isJWKPrivate(key):
				rule = sJWK
			case envName == 1 && string(key) == "value":
				rule = sEnv
			}
			if rule >= 0 {
				w.dropEdits(m.vs, m.ve)
				w.maskValue(m.vs, m.ve, rule, own)
			}
		}
	}
	return j + 1, true
}

// args walks an args or command list: --db-pass=x, --password x (the next
// element), -u user:pass (curl, the next element).
func (w *objWalker) args(i int, c wctx) (int, bool) {
	d := w.data
	j := jsonscan.SkipSpace(d, i+1)
	if j < len(d) && d[j] == ']' {
		return j + 1, true
	}
	maskNext := false
	for {
		var end int
		var ok bool
		if d[j] == '"' {
			end, ok = stringEnd(d, j)
			if !ok {
				return 0, false
			}
			arg := unquoteRaw(d[j:end])
			switch {
			case maskNext && len(arg) > 0 && arg[0] != '-':
				w.maskScalar(j, end, sArg)
				maskNext = false
			case len(arg) > 1 && arg[0] == '-':
				maskNext = false
				name := bytes.TrimLeft(arg, "-")
				if eq := bytes.IndexByte(name, '='); eq >= 0 {
					if eq+1 < len(name) && sensitiveField(name[:eq]) && string(name[eq+1:]) != Mask {
						repl, _ := json.Marshal(string(arg[:len(arg)-len(name)+eq+1]) + Mask)
						w.edit(j, end, repl)
						w.count(sArg)
					} else {
						w.checkString(j, end, c)
					}
				} else {
					maskNext = sensitiveField(name) || string(arg) == "-u" || string(arg) == "--user"
				}
			default:
				maskNext = false
				w.checkString(j, end, c)
			}
		} else {
			end, ok = w.value(j, c)
			if !ok {
				return 0, false
			}
		}
		next, closed, ok := afterElement(d, end)
		if !ok || closed {
			return next, ok
		}
		j = next
	}
}

// checkString looks at the content of the string d[s:e] (with its quotes).
func (w *objWalker) checkString(s, e int, c wctx) {
	raw := w.data[s+1 : e-1]
	if len(raw) < 16 {
		return
	}
	if isBcrypt(raw) {
		w.edit(s, e, quotedMask)
		w.count(sHash)
		return
	}
	esc := bytes.IndexByte(raw, '\\') >= 0
	if !esc {
		if len(raw) >= minEncoded && isBase64Text(raw) {
			w.encoded(s, e, raw, c)
		}
		return
	}
	// Escapes: JSON in a string, or multi-line text.
	first := raw[0]
	if first != '{' && first != '[' && !bytes.Contains(raw, []byte(`\n`)) {
		return
	}
	var text string
	if json.Unmarshal(w.data[s:e], &text) != nil {
		return
	}
	t := []byte(text)
	if (first == '{' || first == '[') && json.Valid(t) {
		sub := objWalker{s: w.s, file: w.file, counts: w.counts}
		out, changed := sub.doc(t, "", c.depth)
		if sub.found {
			w.found = true
		}
		if changed {
			w.edit(s, e, quoteJSON(out))
		}
		return // the line rules do the rest
	}
	w.text(s, e, t, c)
}

// text handles a multi-line string value: a config file, a script, a
// manifest.
func (w *objWalker) text(s, e int, t []byte, c wctx) {
	if hasPrivateKey(t) {
		w.edit(s, e, quotedMask)
		w.count(sPrivateKey)
		return
	}
	if hasSecretManifest(t) && w.probeYAML(t, c.depth+1) {
		w.edit(s, e, quotedMask)
		w.count(sSecretManifest)
		return
	}
	t, hidden := w.s.hideAliasedAnchors(t)
	out, counts, n := w.s.lineText(w.file, t)
	if hidden != nil {
		if counts == nil {
			out, counts = t, make([]int, len(w.s.rules))
		}
		for i, k := range hidden {
			counts[i] += k
			n += k
		}
	}
	if w.probeYAML(out, c.depth+1) {
		// Something the line rules left: mask the whole text rather
		// than guess which lines hold it.
		w.edit(s, e, quotedMask)
		w.count(sField)
		return
	}
	if n == 0 {
		return
	}
	w.edit(s, e, quoteJSON(out))
	if w.counts == nil {
		w.found = true
		return
	}
	if *w.counts == nil {
		*w.counts = make([]int, len(w.s.rules))
	}
	for i, k := range counts {
		(*w.counts)[i] += k
	}
}

// encoded handles a string that is valid base64: decoded (and gunzipped),
// the payload is scanned, and the whole value masked when anything in it is
// secret.
func (w *objWalker) encoded(s, e int, raw []byte, c wctx) {
	if c.depth >= maxDecodeDepth {
		return
	}
	dec, ok := decodeBase64(raw)
	if !ok {
		return
	}
	if w.secretIn(dec, c.depth+1) {
		w.edit(s, e, quotedMask)
		w.count(sEncoded)
	}
}

// secretIn reports whether a decoded payload holds anything secret.
func (w *objWalker) secretIn(b []byte, depth int) bool {
	if depth > maxDecodeDepth {
		return false
	}
	if isGzip(b) {
		var ok bool
		if b, ok = gunzip(b); !ok {
			return true // too large to look into, or broken: do not pass it on
		}
	}
	if hasPrivateKey(b) {
		return true
	}
	if !isText(b) {
		return false
	}
	t := bytes.TrimSpace(b)
	if isBcrypt(t) {
		return true
	}
	if len(t) >= minEncoded && isBase64Text(t) {
		if dec, ok := decodeBase64(t); ok {
			return w.secretIn(dec, depth+1)
		}
	}
	if len(t) > 0 && (t[0] == '{' || t[0] == '[') && json.Valid(t) {
		p := objWalker{s: w.s, file: w.file}
		if _, changed := p.doc(t, "", depth); p.found || changed {
			return true
		}
	} else if w.probeYAML(t, depth) {
		return true
	}
	_, _, n := w.s.lineText(w.file, t)
	return n > 0
}

// probeYAML reports whether the structure rules find anything in t read as
// YAML (every document of a stream; text that is not YAML finds nothing).
func (w *objWalker) probeYAML(t []byte, depth int) bool {
	if depth > maxDecodeDepth || !yamlMaybeSensitive(t) {
		return false
	}
	for _, doc := range yamlDocs(t) {
		j, ok := yamlToJSON(doc)
		if !ok {
			continue
		}
		p := objWalker{s: w.s, file: w.file}
		if _, changed := p.doc(j, "", depth); p.found || changed {
			return true
		}
	}
	return false
}

// isBcrypt: a bcrypt password hash ($2a$10$…), as Dex stores passwords.
func isBcrypt(v []byte) bool {
	return len(v) == 60 && v[0] == '$' && v[1] == '2' && v[3] == '$'
}

func isSecretKind(kind string) bool {
	return kind == "Secret" || len(kind) > 6 && kind[len(kind)-6:] == "Secret"
}

func isSecretDataKey(k []byte) bool {
	switch string(k) {
	case "data", "stringData", "encryptedData":
		return true
	}
	return false
}

// isJWKPrivate: the private members of a JSON Web Key (RFC 7518 §6).
func isJWKPrivate(k []byte) bool {
	switch string(k) {
	case "d", "p", "q", "dp", "dq", "qi", "k", "oth":
		return true
	}
	return false
}

// afterElement reads what follows an array element ending at end: a comma
// (next is the following element's start) or the closing bracket (closed,
// next is past it); anything else is malformed (ok false).
func afterElement(d []byte, end int) (next int, closed, ok bool) {
	j := jsonscan.SkipSpace(d, end)
	if j >= len(d) {
		return 0, false, false
	}
	switch d[j] {
	case ',':
		return jsonscan.SkipSpace(d, j+1), false, true
	case ']':
		return j + 1, true, true
	}
	return 0, false, false
}
