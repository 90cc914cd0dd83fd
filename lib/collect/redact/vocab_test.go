package redact

import (
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

func TestVocabulary(t *testing.T) {
	const s = "Zq8sEcr3tVal"
	for _, in := range []string{
		"DB_PASS=" + s, "LDAP_BIND_PW=" + s, "bindPW: " + s, "pass: " + s, "ENCRYPTION_KEY=" + s,
		"SECRET_KEY_BASE=" + s, "licenseKey: " + s, "auth: " + s, `"auth": "` + s + `"`, "credentials: " + s,
		"creds=" + s, "SENTRY_DSN=" + s, "dsn: " + s, "--db-pass=" + s, "run --db-pass " + s, "sessionKey: " + s,
		"a.b.password=" + s, `password = "` + s + `"`, "signing_key = " + s, "connectionString: " + s,
		"keytool -storepass " + s, "-keypass " + s, "basicAuth=" + s, "jwtKey: " + s, "certificateKey: " + s,
		"X-Auth-Token: " + s, "app.secret_key_base: " + s, "DB_PWD=" + s, "masterKey: " + s,
	} {
		hidden(t, in+"\n", []string{s})
	}
}

func TestVocabularyAllowList(t *testing.T) {
	testUnchanged(t,
		"publicKey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKq\n",
		"keyName: my-key\n",
		"tokenTTL: 24h\n",
		"passwordPolicy: strict\n",
		"tokenBucket: 100\n",
		"bypass: all\n",
		"oauth: enabled-everywhere\n",
		"existingSecret: grafana-admin\n",
		"PWD=/home/user\n",
		"ca.crt: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t\n",
		"caBundle: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t\n",
		"    - --kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key\n",
		"    - --service-account-key-file=/etc/kubernetes/pki/sa.pub\n",
		"password: $(DB_PASSWORD)\n",
		"token bucket refilled with 100 tokens\n",
		"ttl: 24h0m0s\n",
		"uid: 4f6d1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b\n",
		"resourceVersion: \"123456\"\n",
		"image: docker.io/library/nginx@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31\n",
	)
}

func TestYAMLForms(t *testing.T) {
	const s1, s2 = "Blk1SecretLine", "Blk2SecretLine"
	in := lines("db:", "  password: |", "    "+s1, "", "    "+s2, "  user: bob", "next: 1")
	out := hidden(t, in, []string{s1, s2}, "user: bob", "next: 1")
	var v map[string]any
	if err := yaml.Unmarshal([]byte(out), &v); err != nil {
		t.Errorf("block scalar output is not YAML: %v\n%s", err, out)
	}
	hidden(t, lines("password: >-", "  "+s1, "  "+s2, "kind: x"), []string{s1, s2}, "kind: x")
	hidden(t, lines("password: &pw !!str "+s1, "other: *pw"), []string{s1}, "other: *pw")
	hidden(t, lines("- token: !secret "+s1), []string{s1})
	out = hidden(t, lines("spec:", "  password:", "    "+s1, "  user: bob"), []string{s1}, "user: bob")
	if err := yaml.Unmarshal([]byte(out), &v); err != nil {
		t.Errorf("next-line value output is not YAML: %v\n%s", err, out)
	}
	hidden(t, lines("credentials:", "  username: bob", "  password: "+s1), []string{s1}, "username: bob")
	hidden(t, lines("password: two "+s1), []string{s1, "two"})
	hidden(t, lines(`"password": two `+s1), []string{s1, "two"})
	hidden(t, lines("DB_PASSWORD=two "+s1), []string{s1, "two"})
	hidden(t, lines("password = two "+s1), []string{s1, "two"})
	hidden(t, `"Env": ["DB_PASSWORD=two `+s1+`", "X=1"]`, []string{s1, "two"}, `"X=1"`)
	// logfmt keeps one token.
	hidden(t, "password=x"+s1+" user=bob\n", []string{s1}, "user=bob")
}

// TestLongLineCut: a line longer than maxLine, cut between a key and its
// value or inside the value, still hides the value.
func TestLongLineCut(t *testing.T) {
	const secret = "CutSecretValue0123456789"
	for _, tc := range []struct {
		name string
		in   func(pad int) string
	}{
		{"between key and value", func(pad int) string { return strings.Repeat("x", pad) + " password: " + secret + " tail\n" }},
		{"inside the value", func(pad int) string { return strings.Repeat("x", pad) + " password=" + secret + "\n" }},
	} {
		for pad := 40; pad < 80; pad++ {
			s := mustNew(t, nil, true)
			s.maxLine = 64
			in := tc.in(pad)
			for _, out := range []string{redactString(t, s, "f.log", in), redactBytewise(t, s, "f.log", in)} {
				for i := 6; i <= len(secret); i++ {
					if strings.Contains(out, secret[:i]) || strings.Contains(out, secret[len(secret)-i:]) {
						t.Fatalf("%s, pad %d: part of the secret leaked: %q", tc.name, pad, out)
					}
				}
			}
		}
	}
}

func TestYAMLSequenceValue(t *testing.T) {
	const s1, s2 = "SeqSecretOne1", "SeqSecretTwo2"
	out := hidden(t, lines("credentials:", "- "+s1, "- "+s2, "user: bob"), []string{s1, s2}, "user: bob")
	out2 := hidden(t, lines("  secret:", "    - "+s1, "    - "+s2, "  user: bob"), []string{s1, s2}, "user: bob")
	for _, o := range []string{out, out2} {
		var v any
		if err := yaml.Unmarshal([]byte(o), &v); err != nil {
			t.Errorf("not YAML: %v\n%s", err, o)
		}
	}
	// A list of mappings under a sensitive key is left to the key rules.
	testUnchanged(t, lines("credentials:", "- name: admin", "  role: viewer"))
}
