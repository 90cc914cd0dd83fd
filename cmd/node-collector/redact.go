package main

import (
	"regexp"
	"strings"
)

// hidden replaces every redacted value; it is the mask the other
// dkp-diagnose redactors use.
const hidden = "***HIDDEN***"

var (
	// secretFlag matches command-line flags whose name ends in a secret
	// word (--token=, --bootstrap-token=, --etcd-password=,
	// --oidc-client-secret=). Flags naming files that hold secrets
	// (--token-auth-file, --tls-private-key-file) stay readable: they are
	// paths and matter for diagnosis.
	secretFlag = regexp.MustCompile(`(?i)(--[a-z0-9_-]*(?:token|password|passwd|secret)=)(["']?)([^\s"',]+)`)

	// secretFlagAlone is a secret flag whose value is the next argument,
	// as in `- --token` followed by `- abc`.
	secretFlagAlone = regexp.MustCompile(`(?i)^\s*-\s+["']?--[a-z0-9_-]*(?:token|password|passwd|secret)["']?\s*$`)

	// listValue is a YAML list item holding a scalar.
	listValue = regexp.MustCompile(`^(\s*-\s+)(\S.*)$`)

	// secretYAMLKey is a YAML mapping key ending in a secret word
	// (password:, bearerToken:, clientSecret:).
	secretYAMLKey = regexp.MustCompile(`(?i)^(\s*(?:-\s+)?["']?[a-z0-9_.-]*(?:password|passwd|token|secret)["']?\s*:\s+)(\S.*)$`)

	// secretAssign is a TOML or shell assignment of a secret: the auth,
	// password and identitytoken of containerd's registry configuration,
	// Authorization headers, FOO_TOKEN=... in environment files.
	secretAssign = regexp.MustCompile(`(?i)^(\s*(?:export\s+)?["']?[a-z0-9_.-]*(?:password|passwd|token|secret|auth|authorization)["']?\s*=\s*)(\S.*)$`)

	// secretEnvAssign is an upper-case environment assignment whose name
	// contains a secret word anywhere (API_KEY_FILE=, DB_PASSWORD_X=).
	secretEnvAssign = regexp.MustCompile(`^(\s*(?:export\s+)?[A-Z0-9_]*(?:PASSWORD|TOKEN|SECRET|KEY)[A-Z0-9_]*=)(\S.*)$`)

	// envName is the name line of a YAML env entry.
	envName = regexp.MustCompile(`^(\s*)(-\s+)?name:\s*["']?([^"'\s#]+)["']?\s*(#.*)?$`)

	// envValue is the value line of a YAML env entry.
	envValue = regexp.MustCompile(`^(\s*)(-\s+)?value:\s*(\S.*)?$`)

	// flowEnv is an env entry written in flow style: {name: X_TOKEN, value: y}.
	flowEnv = regexp.MustCompile(`(?i)(name:\s*["']?[a-z0-9_.-]*(?:password|passwd|token|secret|key)[a-z0-9_.-]*["']?\s*,\s*value:\s*)("[^"]*"|'[^']*'|[^,}\s]+)`)

	// inlineEnvSecret is an upper-case environment assignment inside a
	// line: systemd's Environment=KUBELET_TOKEN=… in unit files and
	// systemctl show, env dumps in logs. KEY is left out here: inside
	// free text it names too much that is not secret.
	inlineEnvSecret = regexp.MustCompile(`\b([A-Z][A-Z0-9_]*(?:PASSWORD|PASSWD|TOKEN|SECRET)[A-Z0-9_]*=)("[^"]*"|'[^']*'|[^\s"']+)`)

	// bearerToken is an Authorization header's credential, in logs of
	// HTTP clients (kubelet, containerd's registry client).
	bearerToken = regexp.MustCompile(`(?i)(\b(?:bearer|basic)\s+)[A-Za-z0-9._~+/-]{8,}=*`)

	// jwt is a JSON Web Token (service account tokens): three base64url
	// parts, header and payload both JSON objects ("eyJ").
	jwt = regexp.MustCompile(`\beyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`)

	// secretEnvNameRe decides which env variables hold secrets.
	secretEnvNameRe = regexp.MustCompile(`(?i)password|passwd|token|secret|key`)
)

// redact masks secret-looking values line by line in configuration text
// (YAML manifests, TOML, environment files) and in what the collector
// writes from logs, systemd and the runtime. It has no YAML parser
// (the collector stays small) and errs on the side of hiding: a value it
// cannot place is left alone only when its key says nothing secret.
func redact(text string) string {
	lines := strings.Split(text, "\n")
	redactEnvEntries(lines)
	pending := false
	for i, line := range lines {
		if pending {
			if m := listValue.FindStringSubmatch(line); m != nil {
				lines[i] = m[1] + hidden
			}
			pending = false
		}
		if secretFlagAlone.MatchString(line) {
			pending = true
		}
		line = lines[i]
		line = secretFlag.ReplaceAllString(line, "${1}${2}"+hidden)
		line = flowEnv.ReplaceAllString(line, "${1}"+hidden)
		line = inlineEnvSecret.ReplaceAllString(line, "${1}"+hidden)
		line = bearerToken.ReplaceAllString(line, "${1}"+hidden)
		line = jwt.ReplaceAllString(line, hidden)
		if m := secretYAMLKey.FindStringSubmatch(line); m != nil && !isBoolOrEmpty(m[2]) && !strings.Contains(m[2], hidden) {
			line = m[1] + hidden
		}
		if m := secretAssign.FindStringSubmatch(line); m != nil && !isBoolOrEmpty(m[2]) && !strings.Contains(m[2], hidden) {
			line = m[1] + hidden
		}
		if m := secretEnvAssign.FindStringSubmatch(line); m != nil && !strings.Contains(m[2], hidden) {
			line = m[1] + hidden
		}
		lines[i] = line
	}
	return strings.Join(lines, "\n")
}

// isBoolOrEmpty keeps settings like automountServiceAccountToken: false
// and empty placeholders (password = "") readable.
func isBoolOrEmpty(v string) bool {
	v = strings.Trim(strings.TrimSpace(v), `"'`)
	switch strings.ToLower(v) {
	case "", "true", "false", "{}", "[]", "null", "~":
		return true
	}
	return false
}

// redactEnvEntries hides the value of every `- name: X / value: Y` entry
// whose name looks secret, whichever order name and value come in and
// including block scalars (value: |) spanning several lines.
func redactEnvEntries(lines []string) {
	for i, line := range lines {
		m := envName.FindStringSubmatch(line)
		if m == nil || !secretEnvNameRe.MatchString(m[3]) {
			continue
		}
		keyCol := len(m[1]) + len(m[2])
		start := i
		if m[2] == "" {
			// The entry's "- " is on an earlier line with the same key column.
			for j := i - 1; j >= 0; j-- {
				if strings.TrimSpace(lines[j]) == "" {
					continue
				}
				ind := indent(lines[j])
				if d := listValue.FindStringSubmatch(lines[j]); d != nil && len(d[1]) == keyCol {
					start = j
					break
				}
				if ind < keyCol {
					break
				}
			}
		}
		for j := start; j < len(lines); j++ {
			if j > start && strings.TrimSpace(lines[j]) != "" && indent(lines[j]) < keyCol {
				break
			}
			v := envValue.FindStringSubmatch(lines[j])
			if v == nil || len(v[1])+len(v[2]) != keyCol || v[3] == "" || strings.Contains(v[3], hidden) {
				continue
			}
			prefix := lines[j][:len(lines[j])-len(v[3])]
			lines[j] = prefix + hidden
			if strings.HasPrefix(v[3], "|") || strings.HasPrefix(v[3], ">") {
				// Block scalar: its lines are indented deeper than the key.
				for k := j + 1; k < len(lines) && (strings.TrimSpace(lines[k]) == "" || indent(lines[k]) > keyCol); k++ {
					if strings.TrimSpace(lines[k]) != "" {
						lines[k] = strings.Repeat(" ", indent(lines[k])) + hidden
					}
				}
			}
		}
	}
}

// indent counts the leading spaces of a line.
func indent(line string) int {
	return len(line) - len(strings.TrimLeft(line, " "))
}
