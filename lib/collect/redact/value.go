package redact

import "bytes"

// valueSpan finds the value that starts at line[j] (right after "key:" or
// "key=" and its blanks) and returns the range to mask:
//
//   - a double-quoted string, at any JSON escape level ("v", \"v\",
//     \\\"v\\\"): its content, up to the matching closing quote;
//   - a single-quoted string: its content;
//   - otherwise a bare value: with lineStart (a YAML key that starts its
//     line, `password: two words`), to the end of the line (or a lone \r);
//     else one token, up to a blank or one of ,;&"'`)}]\.
//
// Nothing is masked for an empty value, for something that is not a scalar
// value ({, [, YAML block and anchor indicators, a comment, a second "=" as in
// "token == nil"), for an already masked value, and for bare true/false/null
// and the like (automountServiceAccountToken: true is no secret).
func valueSpan(line []byte, j int, lineStart bool) (s, e int, ok bool) {
	n := len(line)
	if j >= n {
		return 0, 0, false
	}
	switch c := line[j]; c {
	case '"', '\\':
		k := 0
		for j+k < n && line[j+k] == '\\' {
			k++
		}
		if j+k < n && line[j+k] == '"' {
			s = j + k + 1
			e = quotedEnd(line, s, k)
			return s, e, e > s && !isBenign(line[s:e])
		}
		if c == '"' {
			return 0, 0, false
		}
		// A bare value that starts with a backslash.
	case '\'':
		s = j + 1
		e = s
		for e < n {
			if line[e] == '\'' {
				if e+1 < n && line[e+1] == '\'' { // YAML's escaped quote
					e += 2
					continue
				}
				break
			}
			e++
		}
		return s, e, e > s && !isBenign(line[s:e])
	case '{', '[', '|', '>', '&', '*', '!', '#', '=', ':', ',', ';', '`':
		return 0, 0, false
	case '<':
		if bytes.HasPrefix(line[j:], []byte("<set to the key ")) {
			return 0, 0, false // kubectl describe: a reference, not a value
		}
	}
	if lineStart {
		e = len(line)
		if i := bytes.IndexByte(line[j:], '\r'); i >= 0 {
			e = j + i
		}
		// Blanks are trimmed back to the value's start at most: before it
		// lie the key and its separator ("pW: \r" has no value at all).
		e = j + len(bytes.TrimRight(line[j:e], " \t"))
	} else {
		e = j
		for e < n && !isValueStop(line[e]) {
			e++
		}
	}
	v := line[j:e]
	if len(v) == 0 || isBenign(v) {
		return 0, 0, false
	}
	return j, e, true
}

func isValueStop(c byte) bool {
	switch c {
	case ' ', '\t', '\r', ',', ';', '&', '"', '\'', '`', ')', '}', ']', '\\':
		return true
	}
	return false
}

// benign are bare values that are not secrets, in lower case.
var benign = map[string]bool{
	"true": true, "false": true, "null": true, "nil": true, "none": true,
	"yes": true, "no": true, "on": true, "off": true, "~": true,
	"<nil>": true, "<none>": true, "\"\"": true, "''": true,
}

func isBenign(v []byte) bool {
	if len(v) > 6 {
		return isMaskValue(v) || isReference(v) || isPathValue(v)
	}
	return benign[string(bytes.ToLower(v))]
}

// isReference: a variable reference such as $(DB_PASSWORD) or ${TOKEN},
// which names a secret held elsewhere.
func isReference(v []byte) bool {
	n := len(v)
	if n < 4 || v[0] != '$' {
		return false
	}
	if !(v[1] == '(' && v[n-1] == ')' || v[1] == '{' && v[n-1] == '}') {
		return false
	}
	for _, c := range v[2 : n-1] {
		if !isKeyChar(c) {
			return false
		}
	}
	return true
}

// pathPrefixes start a file path, not a secret (password: /run/secrets/db,
// --kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key).
var pathPrefixes = []string{"/etc/", "/var/", "/run/", "/home/", "/root/", "/tmp/", "/opt/", "/usr/", "/srv/", "/secrets/", "/mnt/", "/data/", "~/", "./"}

// isPathValue: one token that starts like a file path.
func isPathValue(v []byte) bool {
	if bytes.ContainsAny(v, " \t") {
		return false
	}
	for _, p := range pathPrefixes {
		if bytes.HasPrefix(v, []byte(p)) {
			return true
		}
	}
	return false
}

// quotedEnd returns where the content of a double-quoted string ends, given
// where it starts (s) and the number of backslashes k0 before its opening
// quote (0 for plain JSON, 1 for JSON inside a JSON string, 3 for one more
// level, and so on).
//
// At escape level k0, the closing quote is preceded by exactly k0
// backslashes (after any pairs that encode a backslash of the level below),
// while a quote that belongs to the value itself is encoded one level
// deeper. Counting the run of k backslashes before a quote: the quote is
// part of the value if and only if k+1 is a multiple of m = 2*(k0+1)
// (level 0: k odd, as in \" or \\\"; level 1: k = 3, 7, ...). Any other
// quote ends the value (for k0 = 0 and k even, the backslashes are escaped
// backslashes of the value). The value then ends where the closing
// sequence, its last k0 backslashes and the quote, begins. An unterminated
// string runs to the end of the line.
func quotedEnd(line []byte, s, k0 int) int {
	m := 2 * (k0 + 1)
	n := len(line)
	for i := s; i < n; {
		switch line[i] {
		case '\\':
			k := 0
			for i+k < n && line[i+k] == '\\' {
				k++
			}
			if i+k < n && line[i+k] == '"' {
				if (k+1)%m == 0 {
					i += k + 1
					continue
				}
				if k >= k0 {
					return i + k - k0
				}
				return i
			}
			i += k
		case '"':
			return i
		default:
			i++
		}
	}
	return n
}

// atLineStart reports whether the key at line[keyS] is the first thing on
// its line, after indentation and YAML list dashes ("- password: x") or an
// "export ".
func atLineStart(line []byte, keyS int) bool {
	p := bytes.TrimLeft(line[:keyS], " \t")
	for len(p) > 0 && p[0] == '-' {
		if len(p) == 1 || p[1] == ' ' || p[1] == '\t' {
			p = bytes.TrimLeft(p[1:], " \t")
			continue
		}
		return false
	}
	p = bytes.TrimPrefix(p, []byte("export "))
	return len(p) == 0
}
