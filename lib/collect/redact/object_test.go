package redact

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

func gzB64(t testing.TB, s string) string {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b.Bytes())
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func jsonString(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// objCase: an object, the secrets that must be gone from the result (also
// base64-encoded), and what must stay.
type objCase struct {
	name    string
	kind    string
	obj     string
	secrets []string
	keep    []string
	rule    string // a structure rule that must have counted
}

func TestObject(t *testing.T) {
	pem := "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAsecretpemCANARY\n-----END RSA PRIVATE KEY-----\n"
	helmRelease := jsonString(t, map[string]any{
		"name": "web", "config": map[string]any{"db": map[string]any{"host": "db", "bindPW": "helmBindPW77x"}},
		"manifest": "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n",
	})
	helmManifest := jsonString(t, map[string]any{
		"name":     "web2",
		"manifest": "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  k: " + b64("manifestSecret99") + "\n",
	})
	helmClean := jsonString(t, map[string]any{"name": "clean", "config": map[string]any{"replicas": 2},
		"manifest": "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n"})
	cases := []objCase{{
		name: "secret list item", kind: "Secret",
		obj:     `{"metadata":{"name":"x","annotations":{"a":"b"}},"data":{"k":"` + b64("plainSecretValue1") + `","tls.crt":"` + b64("cert") + `"},"stringData":{"p":"stringSecret22"},"type":"Opaque"}`,
		secrets: []string{"plainSecretValue1", "stringSecret22"}, keep: []string{`"k"`, `"tls.crt"`, `"Opaque"`}, rule: "structure.secret-data",
	}, {
		name:    "secret kind after data (kubectl order)",
		obj:     `{"apiVersion":"v1","data":{"k":"` + b64("laterKindSecret") + `"},"kind":"Secret","metadata":{"name":"x"}}`,
		secrets: []string{"laterKindSecret"}, keep: []string{`"k"`},
	}, {
		name: "last-applied of a secret", kind: "Secret",
		obj: `{"metadata":{"name":"x","annotations":{"kubectl.kubernetes.io/last-applied-configuration":` +
			jsonString(t, `{"apiVersion":"v1","data":{"pw":"`+b64("lastAppliedSecret1")+`"},"kind":"Secret","metadata":{"name":"x"}}`+"\n") + `}},"data":{"pw":"` + b64("lastAppliedSecret1") + `"}}`,
		secrets: []string{"lastAppliedSecret1"}, keep: []string{`\"pw\"`, "last-applied-configuration"},
	}, {
		name: "last-applied of a deployment with env", kind: "Deployment",
		obj: `{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":` +
			jsonString(t, `{"kind":"Deployment","spec":{"template":{"spec":{"containers":[{"env":[{"name":"LDAP_BIND_PW","value":"envInLastApplied1"},{"name":"LOG_LEVEL","value":"debug-level-beacon"}]}]}}}}`) + `}}}`,
		secrets: []string{"envInLastApplied1"}, keep: []string{"debug-level-beacon", "LDAP_BIND_PW"},
	}, {
		name: "federated secret", kind: "FederatedSecret",
		obj:     `{"spec":{"template":{"data":{"token":"` + b64("federatedSecret1") + `"},"type":"Opaque"},"placement":{"clusters":[{"name":"c1"}]}}}`,
		secrets: []string{"federatedSecret1"}, keep: []string{`"c1"`},
	}, {
		name: "configmap binary and helm release", kind: "ConfigMap",
		obj: `{"metadata":{"name":"sh.helm.release.v1.web.v1","labels":{"owner":"helm"}},"data":{"release":"` + gzB64(t, helmRelease) + `",` +
			`"release2":"` + gzB64(t, helmManifest) + `","clean":"` + gzB64(t, helmClean) + `"},"binaryData":{"blob":"` + b64("binarySecret1") + `"}}`,
		secrets: []string{"helmBindPW77x", "manifestSecret99", "binarySecret1"}, keep: []string{gzB64(t, helmClean)},
		rule: "structure.encoded-payload",
	}, {
		name: "configmap text values", kind: "ConfigMap",
		obj: `{"data":{"Corefile":".:53 {\n    errors\n    forward . /etc/resolv.conf\n}\n",` +
			`"app.yaml":"db:\n  host: x\n  bindPW: bindInYaml1\n  pool: 5\n",` +
			`"props":"db.password=propsSecret1\nlog.level=info\n",` +
			`"key.pem":"` + strings.ReplaceAll(pem, "\n", `\n`) + `"}}`,
		secrets: []string{"bindInYaml1", "propsSecret1", "secretpemCANARY"}, keep: []string{"forward . /etc/resolv.conf", "log.level=info"},
	}, {
		name: "configmap with a secret manifest", kind: "ConfigMap",
		obj:     `{"data":{"s.yaml":"apiVersion: v1\nkind: Secret\nmetadata:\n  name: a\ndata:\n  x: ` + b64("manifestInCM1") + `\n  y: ` + b64("short1") + `\n"}}`,
		secrets: []string{"manifestInCM1", "short1"}, rule: "structure.secret-manifest",
	}, {
		name: "pod env and args", kind: "Pod",
		obj: `{"spec":{"containers":[{"name":"c","args":["--db-pass=argSecret1","--password","argSecret2","-u","user:curlSecret1","--verbose","--log-level=info"],` +
			`"env":[{"value":"envSecretFirst","name":"DB_PASS"},{"name":"ENCRYPTION_KEY","value":"envSecret2"},{"name":"SECRET_KEY_BASE","value":"envSecret3"},` +
			`{"name":"TOKEN_BUCKET_SIZE","value":"100"},{"name":"PATH","value":"/usr/bin:/bin"},{"name":"x","valueFrom":{"secretKeyRef":{"name":"s","key":"password"}}}],` +
			`"imagePullSecrets":[{"name":"regcred"}]}],"automountServiceAccountToken":true}}`,
		secrets: []string{"argSecret1", "argSecret2", "curlSecret1", "envSecretFirst", "envSecret2", "envSecret3"},
		keep:    []string{"--log-level=info", `"100"`, "/usr/bin:/bin", `"password"`, "regcred", "--db-pass=", "true"},
	}, {
		name: "custom resource fields", kind: "LDAPConfig",
		obj: `{"spec":{"bindPW":"crSecret1","clientSecret":"crSecret2","publicKey":"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ","keyName":"my-key","tokenTTL":"24h",` +
			`"passwordPolicy":"strong","caBundle":"` + b64("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n") + `","secretRef":{"name":"ref"},"pin":1234,"tokens":["x"]}}`,
		secrets: []string{"crSecret1", "crSecret2", "1234"},
		keep:    []string{"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ", "my-key", "24h", "strong", b64("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"), `"ref"`},
	}, {
		name: "dex signing key and connector", kind: "SigningKey",
		obj: `{"signingKey":{"d":"jwkPrivateD1","e":"AQAB","kty":"RSA","n":"publicModulusN","p":"jwkPrivateP1"},"signingKeyPub":{"e":"AQAB","kty":"RSA","n":"publicModulusN"},` +
			`"config":"` + b64(`{"bindDN":"cn=admin","bindPW":"dexBindPW1","host":"ldap:636"}`) + `"}`,
		secrets: []string{"jwkPrivateD1", "jwkPrivateP1", "dexBindPW1"}, keep: []string{"publicModulusN", "AQAB"},
	}, {
		name: "kubeadm config files", kind: "KubeadmConfig",
		obj: `{"spec":{"files":[{"path":"/etc/kubernetes/enc.yaml","content":"kind: EncryptionConfiguration\nresources:\n- providers:\n  - aescbc:\n      keys:\n      - name: key1\n        secret: encSecret1\n"},` +
			`{"path":"/etc/x.sh","encoding":"base64","content":"` + b64("#!/bin/sh\nexport API_TOKEN=b64FileToken1\n") + `"},` +
			`{"path":"/etc/y.sh","encoding":"gzip+base64","content":"` + gzB64(t, "curl -H 'Authorization: Bearer gzFileBearer12345'\n") + `"},` +
			`{"path":"/etc/motd","content":"welcome to the cluster beacon\n"}],` +
			`"initConfiguration":{"bootstrapTokens":[{"token":"abcdef.0123456789abcdef","ttl":"24h"}]}}}`,
		secrets: []string{"encSecret1", "b64FileToken1", "gzFileBearer12345", "0123456789abcdef"},
		keep:    []string{"welcome to the cluster beacon", "/etc/kubernetes/enc.yaml"},
	}, {
		name: "bcrypt hash", kind: "Password",
		obj:     `{"hash":"` + b64("$2a$10$2b2cU8CPhOTaGrs1HRQuAueS7JTT5ZHsHSzYiFPm1leZck7Mc8T4W") + `","hash2":"$2a$10$2b2cU8CPhOTaGrs1HRQuAueS7JTT5ZHsHSzYiFPm1leZck7Mc8T4W","email":"a@b.c"}`,
		secrets: []string{"2b2cU8CPhOTaGrs1HRQuAueS7JTT5ZHsHSzYiFPm1leZck7Mc8T4W"}, keep: []string{"a@b.c"},
	}}
	s := mustNew(t, nil, true)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !json.Valid([]byte(tc.obj)) {
				t.Fatalf("bad test JSON: %s", tc.obj)
			}
			out := string(s.Object("f.json", tc.kind, []byte(tc.obj)))
			if !json.Valid([]byte(out)) {
				t.Fatalf("output is not JSON: %s", out)
			}
			// What a bundle holds: the object, then the line rules.
			var ind bytes.Buffer
			_ = json.Indent(&ind, []byte(out), "", "  ")
			final := redactString(t, s, "f.json", ind.String())
			for _, sec := range tc.secrets {
				for _, form := range []string{sec, b64(sec)} {
					if strings.Contains(final, form) || strings.Contains(decodeAll(t, final), sec) {
						t.Errorf("%q left in\n%s", form, final)
					}
				}
			}
			for _, k := range tc.keep {
				if !strings.Contains(out, k) {
					t.Errorf("%q lost in\n%s", k, out)
				}
			}
		})
	}
	r := s.Report()
	for _, want := range []string{"structure.secret-data", "structure.encoded-payload", "structure.secret-manifest", "structure.env", "structure.args", "structure.jwk-private", "structure.secret-field"} {
		found := false
		for _, red := range r.Redactors {
			if red.Name == want && red.Matches > 0 {
				found = true
			}
		}
		if !found {
			t.Errorf("report: no match counted for %s: %+v", want, r.Redactors)
		}
	}
}

// decodeAll appends to text the base64 (and gzip) decodings of every
// base64-looking token in it, the way a reviewer would look.
func decodeAll(t testing.TB, text string) string {
	var b strings.Builder
	b.WriteString(text)
	for _, tok := range strings.FieldsFunc(text, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '+' || r == '/' || r == '=')
	}) {
		if len(tok) < 8 {
			continue
		}
		if dec, ok := decodeBase64([]byte(tok)); ok {
			if isGzip(dec) {
				if z, ok := gunzip(dec); ok {
					dec = z
				}
			}
			b.WriteByte('\n')
			b.Write(dec)
			b.WriteString(decodeAll(t, string(dec))[len(dec):])
		}
	}
	return b.String()
}

func TestObjectCleanIsUntouched(t *testing.T) {
	s := mustNew(t, nil, true)
	obj := []byte(`{"metadata":{"name":"web-1","uid":"0d4e6c1f-1b8e-4c1e-9a3c-2d7c4f0e5a11","labels":{"pod-template-hash":"5d8f7c9b4"}},` +
		`"spec":{"containers":[{"name":"web","image":"registry.k8s.io/pause:3.9","env":[{"name":"LOG_LEVEL","value":"info"}]}]},"status":{"phase":"Running"}}`)
	out := s.Object("pods/a.json", "Pod", obj)
	if &out[0] != &obj[0] {
		t.Errorf("a clean object was copied: %s", out)
	}
	if r := s.Report(); r.Total != 0 {
		t.Errorf("report counts %d on a clean object", r.Total)
	}
	var off *Set
	if got := off.Object("x", "Secret", []byte(`{"data":{"a":"b"}}`)); string(got) != `{"data":{"a":"b"}}` {
		t.Errorf("nil set changed the object")
	}
	custom := mustNew(t, nil, false)
	if got := custom.Object("x", "Secret", []byte(`{"data":{"a":"b"}}`)); string(got) != `{"data":{"a":"b"}}` {
		t.Errorf("structure rules without the built-ins")
	}
}

func TestObjectMalformedIsLeftToLines(t *testing.T) {
	s := mustNew(t, nil, true)
	for _, in := range []string{`{"data":`, `{"a" "b"}`, `[1,2`, `"str"`, ``, `{"a":"\`} {
		if got := string(s.Object("x", "Secret", []byte(in))); got != in {
			t.Errorf("Object(%q) = %q", in, got)
		}
	}
}

func TestSensitiveField(t *testing.T) {
	for _, k := range []string{"password", "DB_PASSWORD", "bindPW", "DB_PW", "db_pass", "dbPass", "pass", "pwd", "clientSecret", "client_secret",
		"token", "refreshToken", "apiKey", "ENCRYPTION_KEY", "SECRET_KEY_BASE", "licenseKey", "auth", "credentials", "cookie", "dsn", "tls.key",
		"signingKey", "privateKey", "db-pass", "userData", "bootstrapData"} {
		if !sensitiveField([]byte(k)) {
			t.Errorf("%s: not sensitive", k)
		}
	}
	for _, k := range []string{"publicKey", "keyName", "tokenTTL", "passwordPolicy", "secretName", "secretRef", "bypass", "compass", "caBundle",
		"tls.crt", "key", "name", "value", "authMode", "tokenizer", "path", "imagePullSecrets", "serviceAccountName", "existingSecret", "tlsSecret"} {
		if sensitiveField([]byte(k)) {
			t.Errorf("%s: sensitive", k)
		}
	}
}

// TestObjectConcurrent: one Set serves every collector at once (walkers are
// pooled; run with -race).
func TestObjectConcurrent(t *testing.T) {
	s := mustNew(t, nil, true)
	obj := []byte(`{"kind":"Secret","data":{"a":"` + b64("concurrentSecret1") + `"},"metadata":{"annotations":{"x":"` + b64("password: in-annotation-1") + `"}}}`)
	done := make(chan string)
	for range 8 {
		go func() {
			var out []byte
			for range 200 {
				out = s.Object("f.json", "", obj)
			}
			done <- string(out)
		}()
	}
	for range 8 {
		if out := <-done; strings.Contains(out, b64("concurrentSecret1")) || strings.Contains(out, b64("password: in-annotation-1")) {
			t.Errorf("leak: %s", out)
		}
	}
	if n := matches(s.Report(), "f.json", "structure.secret-data"); n != 8*200 {
		t.Errorf("secret-data matches = %d, want %d", n, 8*200)
	}
}

// TestReportHoldsNoValues: the report names rule, file and count; none of
// what was masked, by structure or by line, is in it.
func TestReportHoldsNoValues(t *testing.T) {
	s := mustNew(t, []*spec.Redact{{Name: "site", Removals: spec.Removals{Values: []string{"siteLiteral77"}}}}, true)
	secrets := []string{"reportSecret1", "reportSecret2", "reportSecret3", "siteLiteral77"}
	obj := `{"kind":"Secret","data":{"a":"` + b64(secrets[0]) + `"},"spec":{"bindPW":"` + secrets[1] + `"}}`
	out := s.Object("cluster-resources/x/a.json", "", []byte(obj))
	redactString(t, s, "cluster-resources/x/a.json", string(out))
	redactString(t, s, "logs/b.log", "password="+secrets[2]+" and siteLiteral77\n")
	data, err := json.Marshal(s.Report())
	if err != nil {
		t.Fatal(err)
	}
	for _, sec := range secrets {
		if strings.Contains(string(data), sec) || strings.Contains(string(data), b64(sec)) {
			t.Errorf("%s in the report: %s", sec, data)
		}
	}
	for _, want := range []string{`"file":"cluster-resources/x/a.json","redactor":"structure.secret-data","matches":1`, `"redactor":"site","matches":1`, `"file":"logs/b.log"`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("report lacks %s: %s", want, data)
		}
	}
}
