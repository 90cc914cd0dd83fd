package targets

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// maxPrefixBody bounds the readable part of a derived prefix, so that bundle
// names stay well under file name limits.
const maxPrefixBody = 80

// DerivePrefix returns the default bundle name prefix of a target, from its
// role and name alone, so the same cluster always yields the same prefix:
//
//	current    current-<context>-
//	bootstrap  bootstrap-<kind cluster name>-
//	workload   workload-<namespace>-<cluster>-
//
// Each name is made DNS-safe: lower case, every run of characters other
// than a-z, 0-9 and "-" becomes one "-", leading and trailing "-" are
// dropped. When that changed the name (e.g. a context "admin@Prod") or the
// result is longer than 80 characters, an 8-hex-digit hash of the original
// role, namespace and name is appended so that two different names never
// meet. The role word keeps the roles apart.
func DerivePrefix(role Role, namespace, name string) string {
	parts := []string{string(role)}
	lossy := false
	for i, p := range []string{namespace, name} {
		if i == 0 && p == "" && role != RoleWorkload {
			continue // only workload clusters have a namespace
		}
		s := dnsSafe(p)
		if s != p || s == "" {
			lossy = true
		}
		if s == "" {
			s = "x"
		}
		parts = append(parts, s)
	}
	body := strings.Join(parts, "-")
	if len(body) > maxPrefixBody {
		body = strings.TrimRight(body[:maxPrefixBody], "-")
		lossy = true
	}
	if lossy {
		body += "-" + shortHash(string(role), namespace, name)
	}
	return body + "-"
}

// dnsSafe lowercases s and turns every run of other characters than
// [a-z0-9-] into one "-".
func dnsSafe(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
			continue
		}
		if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.Trim(b.String(), "-")
}

func shortHash(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:4])
}

// AssignPrefixes sets the Prefix of every target. A run of only the current
// context keeps troubleshoot's original name (empty prefix). Otherwise each
// target gets DerivePrefix; workload prefixes that still meet (namespace
// "a-b" with cluster "c" and namespace "a" with cluster "b-c") get the hash
// of their full identity appended. userPrefix (--bundle-prefix) replaces the
// prefix of a single target and goes before every derived prefix otherwise.
func AssignPrefixes(ts []*Target, userPrefix string) {
	if len(ts) == 1 && (ts[0].Role == RoleCurrent || userPrefix != "") {
		ts[0].Prefix = userPrefix
		return
	}
	seen := map[string][]*Target{}
	for _, t := range ts {
		t.Prefix = DerivePrefix(t.Role, t.Namespace, t.Name)
		seen[t.Prefix] = append(seen[t.Prefix], t)
	}
	for p, group := range seen {
		if len(group) < 2 {
			continue
		}
		for _, t := range group {
			t.Prefix = strings.TrimSuffix(p, "-") + "-" + shortHash(string(t.Role), t.Namespace, t.Name, "collision") + "-"
		}
	}
	for _, t := range ts {
		t.Prefix = userPrefix + t.Prefix
	}
}
