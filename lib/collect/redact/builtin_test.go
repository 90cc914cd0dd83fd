package redact

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

const M = Mask

type builtinCase struct {
	in, want string
	n        int // expected matches of the rule (0 means 1)
}

// testBuiltin runs each case as its own file and checks the output and the
// rule's count.
func testBuiltin(t *testing.T, rule string, cases []builtinCase) {
	t.Helper()
	for _, c := range cases {
		s := mustNew(t, nil, true)
		got := redactString(t, s, "f.log", c.in)
		if got != c.want {
			t.Errorf("%s:\n in: %q\ngot: %q\nwant %q", rule, c.in, got, c.want)
			continue
		}
		want := c.n
		if want == 0 {
			want = 1
		}
		if n := matches(s.Report(), "f.log", rule); n != want {
			t.Errorf("%s: %q: %d matches, want %d (report %+v)", rule, c.in, n, want, s.Report().Files)
		}
	}
}

// testUnchanged checks that none of ins is changed by the built-in rules.
func testUnchanged(t *testing.T, ins ...string) {
	t.Helper()
	s := mustNew(t, nil, true)
	for _, in := range ins {
		if got := redactString(t, s, "f.log", in); got != in {
			t.Errorf("false positive:\n in: %q\ngot: %q", in, got)
		}
	}
	if r := s.Report(); r.Total != 0 {
		t.Errorf("report counts %d matches for unchanged input: %+v", r.Total, r.Files)
	}
}

func TestBuiltinPassword(t *testing.T) {
	testBuiltin(t, "builtin.password", []builtinCase{
		{in: "password: s3cr3t\n", want: `password: "` + M + `"` + "\n"},
		{in: "  db_password: \"s3cr3t\"\n", want: "  db_password: \"" + M + "\"\n"},
		{in: `{"password": "s3cr3t", "user": "bob"}`, want: `{"password": "` + M + `", "user": "bob"}`},
		{in: "DB_PASSWORD=s3cr3t\n", want: "DB_PASSWORD=" + M + "\n"},
		{in: "mysqld --password=s3cr3t --user=root\n", want: "mysqld --password=" + M + " --user=root\n"},
		{in: "mysqld --password s3cr3t --user root\n", want: "mysqld --password " + M + " --user root\n"},
		{in: "login failed: user=bob password=hunter2 ip=10.0.0.1\n", want: "login failed: user=bob password=" + M + " ip=10.0.0.1\n"},
		{in: "Passwd: 'it''s'\n", want: "Passwd: '" + M + "'\n"},
		{in: `  "adminPassword": 123456,` + "\n", want: `  "adminPassword": "` + M + `",` + "\n"},
		{in: `keystore_passphrase = "a b c"` + "\n", want: `keystore_passphrase = "` + M + `"` + "\n"},
		{in: "DB_PWD=x1\n", want: "DB_PWD=" + M + "\n"},
		{in: "export PASSWORD=s3cr3t\n", want: "export PASSWORD=" + M + "\n"},
		{in: "password=s3cr3t and some text\n", want: "password=" + M + " and some text\n"},
		{in: "- password: s3cr3t # set by helm\n", want: "- password: \"" + M + "\"\n"},
		{in: "msg=\"Password: hunter2\" level=info\n", want: "msg=\"Password: " + M + "\" level=info\n"},
		// JSON inside a JSON string (kubectl last-applied-configuration);
		// the value holds an escaped quote.
		{
			in:   `"last-applied": "{\"stringData\":{\"password\":\"s3\\\"cr3t\"},\"kind\":\"Secret\"}"`,
			want: `"last-applied": "{\"stringData\":{\"password\":\"` + M + `\"},\"kind\":\"Secret\"}"`,
		},
		// Two levels deep.
		{
			in:   `"a": "{\"b\":\"{\\\"password\\\":\\\"s3cr3t\\\"}\"}"`,
			want: `"a": "{\"b\":\"{\\\"password\\\":\\\"` + M + `\\\"}\"}"`,
		},
		// Kubernetes env entries over two lines, JSON and YAML.
		{
			in:   lines(`  "name": "DB_PASSWORD",`, `  "value": "s3cr3t"`),
			want: lines(`  "name": "DB_PASSWORD",`, `  "value": "`+M+`"`),
		},
		{
			in:   lines(`- name: MYSQL_ROOT_PASSWORD`, `  value: two words`),
			want: lines(`- name: MYSQL_ROOT_PASSWORD`, `  value: "`+M+`"`),
		},
		{in: `{"name":"DB_PASSWORD","value":"s3cr3t"}`, want: `{"name":"DB_PASSWORD","value":"` + M + `"}`},
		// Argument lists: the value is the next element.
		{in: `"args": ["--password", "s3cr3t", "--v=2"]`, want: `"args": ["--password", "` + M + `", "--v=2"]`},
		{
			in:   lines(`  "--password",`, `  "s3cr3t",`, `  "--v=2"`),
			want: lines(`  "--password",`, `  "`+M+`",`, `  "--v=2"`),
		},
		{
			in:   lines(`- --password`, `- s3cr3t`),
			want: lines(`- --password`, `- "`+M+`"`),
		},
		// Several on one line.
		{in: "password=a1 other_password=b2\n", want: "password=" + M + " other_password=" + M + "\n", n: 2},
	})
}

func TestBuiltinPasswordNegative(t *testing.T) {
	testUnchanged(t,
		"password reset page loaded\n",
		"I0101 12:00:00 user bob changed their password\n",
		`"passwordPolicy": "strict",`+"\n",
		"password_file: /etc/app/pw\n",
		`"passwordSecretRef": {`+"\n",
		"PWD=/home/user\n",
		`"PWD": "/root",`+"\n",
		"requirePassword: true\n",
		"Enter password:\n",
		"if password == \"\" {\n",
		"password:\n",
		"password: |\n",
		"bypass: true\n",
		`  "name": "PASSWORD_FILE",`+"\n"+`  "value": "/etc/pw"`+"\n",
		"--password-file /etc/pw\n",
		"      DB_PASSWORD:  <set to the key 'password' in secret 'db'>  Optional: false\n",
		// Already redacted: redacting twice changes nothing.
		`password: "`+M+`"`+"\n",
		`{"password": "`+M+`"}`+"\n",
	)
}

func TestBuiltinToken(t *testing.T) {
	testBuiltin(t, "builtin.token", []builtinCase{
		{in: "    token: abc.def\n", want: "    token: \"" + M + "\"\n"},
		{in: `{"access_token": "ya29.a0Af", "expires_in": 3599}`, want: `{"access_token": "` + M + `", "expires_in": 3599}`},
		{in: "refreshToken=xyz123\n", want: "refreshToken=" + M + "\n"},
		{in: "GET /cb?state=1&token=abc123&x=1\n", want: "GET /cb?state=1&token=" + M + "&x=1\n"},
		{in: `    "--token=abcdef.0123456789abcdef",` + "\n", want: `    "--token=` + M + `",` + "\n"},
		{in: "kubeadm join 1.2.3.4:6443 --token abcdef.0123456789abcdef\n", want: "kubeadm join 1.2.3.4:6443 --token " + M + "\n"},
		{in: "GITHUB_TOKEN=ghp_abc\n", want: "GITHUB_TOKEN=" + M + "\n"},
	})
}

func TestBuiltinTokenNegative(t *testing.T) {
	testUnchanged(t,
		`"tokenizer": "bert",`+"\n",
		`"automountServiceAccountToken": true,`+"\n",
		"automountServiceAccountToken: false\n",
		`"serviceAccountToken": {`+"\n",
		`"path": "token"`+"\n",
		"max_tokens: 100\n",
		"tokens: 5\n",
		"--token-ttl=24h\n",
		"if token == nil {\n",
		"token expired, refreshing\n",
		`"bootstrapToken": null,`+"\n",
	)
}

func TestBuiltinSecret(t *testing.T) {
	testBuiltin(t, "builtin.secret", []builtinCase{
		{in: "client_secret: abc\n", want: "client_secret: \"" + M + "\"\n"},
		{in: `  "clientSecret": "abc",` + "\n", want: `  "clientSecret": "` + M + `",` + "\n"},
		{in: "WEBHOOK_SECRET=abc\n", want: "WEBHOOK_SECRET=" + M + "\n"},
		{in: `--oidc-client-secret=abc`, want: `--oidc-client-secret=` + M},
	})
	testUnchanged(t,
		`"secretName": "tls",`+"\n",
		"kind: Secret\n",
		`MountVolume.SetUp failed for volume "certs" : secret "foo" not found`+"\n",
		`"secretKeyRef": {`+"\n",
		"secrets: []\n",
		"secret: {}\n",
	)
}

func TestBuiltinAccessKey(t *testing.T) {
	testBuiltin(t, "builtin.access-key", []builtinCase{
		{in: "x-api-key: abc123\n", want: "x-api-key: \"" + M + "\"\n"},
		{in: `{"apiKey":"abc"}`, want: `{"apiKey":"` + M + `"}`},
		{in: "access_key = abc\n", want: "access_key = " + M + "\n"},
		{in: "PRIVATE_KEY=abc\n", want: "PRIVATE_KEY=" + M + "\n"},
		{in: "AWS_SECRET_ACCESS_KEY=abc\n", want: "AWS_SECRET_ACCESS_KEY=" + M + "\n"},
	})
	testUnchanged(t,
		`"key": "app",`+"\n",
		`"key": "node-role.kubernetes.io/control-plane",`+"\n",
		`"publicKey": "ssh-rsa AAAA",`+"\n",
		"accessKeyId: abc\n",
		"monkey: business\n",
	)
}

func TestBuiltinCredentials(t *testing.T) {
	testBuiltin(t, "builtin.credentials", []builtinCase{
		{in: "credentials: abc\n", want: "credentials: \"" + M + "\"\n"},
		{in: `"GOOGLE_CREDENTIALS": "{}x"`, want: `"GOOGLE_CREDENTIALS": "` + M + `"`},
		{in: "--credential=x\n", want: "--credential=" + M + "\n"},
	})
	testUnchanged(t, "credentials_file: /x\n", `"credentials": {`+"\n", "invalid credentials provided\n")
}

func TestBuiltinClientKeyData(t *testing.T) {
	testBuiltin(t, "builtin.client-key-data", []builtinCase{
		{in: "    client-key-data: Zm9vYmFy\n", want: "    client-key-data: \"" + M + "\"\n"},
		{in: `"client-key-data": "Zm9vYmFy"`, want: `"client-key-data": "` + M + `"`},
	})
	testUnchanged(t, "    client-certificate-data: Zm9vYmFy\n", "    certificate-authority-data: Zm9vYmFy\n")
}

func TestBuiltinConnectionString(t *testing.T) {
	testBuiltin(t, "builtin.connection-string", []builtinCase{
		{in: "url=postgres://app:s3cr3t@db:5432/app\n", want: "url=postgres://app:" + M + "@db:5432/app\n"},
		{in: "mongodb+srv://u:p%40ss@cluster0.x.net/db", want: "mongodb+srv://u:" + M + "@cluster0.x.net/db"},
		{in: "REDIS_URL=redis://:pw@redis:6379/0", want: "REDIS_URL=redis://:" + M + "@redis:6379/0"},
		{in: `"amqp://guest:guest@rabbit:5672/"`, want: `"amqp://guest:` + M + `@rabbit:5672/"`},
		{in: "git clone https://x-access-token:ghs_abc@github.com/o/r.git", want: "git clone https://x-access-token:" + M + "@github.com/o/r.git"},
		// An unencoded "@" in the password: masked up to the last "@".
		{in: "mysql://root:p@ss@db/x", want: "mysql://root:" + M + "@db/x"},
		{in: "db: root:pw@tcp(db:3306)/app", want: "db: root:" + M + "@tcp(db:3306)/app"},
		// A key named like a DSN is masked whole.
		{in: "dsn: root:pw@tcp(db:3306)/app", want: "dsn: \"" + M + "\"", n: 2},
		{in: "Server=db;Database=app;User Id=sa;Password=my p@ss;", want: "Server=db;Database=app;User Id=sa;Password=" + M + ";"},
		{in: "Data Source=x;Uid=sa;Pwd=abc", want: "Data Source=x;Uid=sa;Pwd=" + M},
	})
	for _, in := range []string{
		"https://example.com:8443/path\n",
		"ssh://git@github.com:22/x\n",
		"http://[::1]:8080/\n",
		"see http://host:80/a?b=c@d\n",
		"PWD=/root\n",
	} {
		s := mustNew(t, nil, true)
		if got := redactString(t, s, "f.log", in); got != in {
			t.Errorf("connection-string false positive: %q -> %q", in, got)
		}
	}
}

func TestBuiltinAWS(t *testing.T) {
	testBuiltin(t, "builtin.aws-access-key-id", []builtinCase{
		{in: "key AKIAIOSFODNN7EXAMPLE here", want: "key " + M + " here"},
		{in: `"AccessKeyId": "ASIAY34FZKBOKMUTVV7A",`, want: `"AccessKeyId": "` + M + `",`},
	})
	testBuiltin(t, "builtin.aws-secret-key", []builtinCase{
		{in: "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n", want: "aws_secret_access_key = " + M + "\n"},
		{in: "AWS Secret Access Key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n", want: "AWS Secret Access Key: \"" + M + "\"\n"},
		{in: `"SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",`, want: `"SecretAccessKey": "` + M + `",`},
	})
	testUnchanged(t,
		"AKIAIOSFODNN7EXAMPL is short\n",
		"xAKIAIOSFODNN7EXAMPLE\n",
		"akiaiosfodnn7example\n",
		"Asia/Tokyo\n",
		"aws_secret_access_key_file: /path\n",
		"commit 3f786850e387550fdab836ed7e6dc881de23001b\n",
	)
}

func TestBuiltinAuthorization(t *testing.T) {
	testBuiltin(t, "builtin.authorization", []builtinCase{
		{in: "Authorization: Bearer abc123def", want: "Authorization: Bearer " + M},
		{in: `"Authorization": "Basic dXNlcjpwYXNz"`, want: `"Authorization": "Basic ` + M + `"`},
		{in: "authorization: Token abcdef123456\n", want: "authorization: Token " + M + "\n"},
		{in: `curl -H "Authorization: Bearer 0123456789abcdef" https://x`, want: `curl -H "Authorization: Bearer ` + M + `" https://x`},
		{in: "sending bearer 0123456789abcdef upstream", want: "sending bearer " + M + " upstream"},
		{in: "Authorization: 0123456789abcdef0123", want: "Authorization: \"" + M + "\""},
	})
	testUnchanged(t,
		"authorization: denied\n",
		"--authorization-mode=Node,RBAC\n",
		`WWW-Authenticate: Bearer realm="kubernetes"`+"\n",
		"Bearer token required\n",
		"Bearer authentication failed\n",
		`"authorization": {`+"\n",
		"authorization:\n",
	)
}

func TestBuiltinJWT(t *testing.T) {
	jwt := "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-_123"
	b64 := base64.StdEncoding.EncodeToString([]byte("eyJhbGciOiJSUzI1NiIsImtpZCI6IiJ9.eyJpc3MiOiJrdWJlcm5ldGVzIn0.c2lnbmF0dXJl"))
	testBuiltin(t, "builtin.jwt", []builtinCase{
		{in: "msg=\"got id " + jwt + " from idp\"", want: "msg=\"got id " + M + " from idp\""},
		{in: "  id: " + jwt + "\n", want: "  id: \"" + M + "\"\n"},
		{in: "- " + jwt + "\n", want: "- \"" + M + "\"\n"},
		{in: `  "token": "` + b64 + `"`, want: `  "token": "` + M + `"`, n: 1},
		{in: "data: " + b64, want: "data: \"" + M + "\""},
	})
	testUnchanged(t, "eyJhbGciOiJIUzI1NiJ9 alone\n", "eyJ\n", "the eyJ prefix\n")
}

// pemBody is a fake key body (base64 looking).
var pemBody = []string{
	"MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi2q7KUdLtgt2v6PyBFP9LC0uRT",
	"c1SPVCY8aiGRXpaRKYvLtswLgeVpD5iW6ynrG0f8Q5gg6lLDzDoqaE1p4bWTVXnr",
	"Zx2Q==",
}

func TestBuiltinPrivateKey(t *testing.T) {
	raw := lines(append(append([]string{"-----BEGIN RSA PRIVATE KEY-----"}, pemBody...), "-----END RSA PRIVATE KEY-----")...)
	rawWant := lines("-----BEGIN RSA PRIVATE KEY-----", M, M, M, "-----END RSA PRIVATE KEY-----")
	indented := strings.ReplaceAll("tls.key: |\n"+raw, "\n", "\n    ")
	indented = strings.TrimSuffix(indented, "    ")
	indentedWant := strings.TrimSuffix(strings.ReplaceAll("tls.key: |\n"+rawWant, "\n", "\n    "), "    ")
	escaped := strings.ReplaceAll(raw, "\n", `\n`)
	encrypted := lines("-----BEGIN ENCRYPTED PRIVATE KEY-----", "Proc-Type: 4,ENCRYPTED", "DEK-Info: AES-128-CBC,3F17", "", pemBody[0], "-----END ENCRYPTED PRIVATE KEY-----")
	testBuiltin(t, "builtin.private-key", []builtinCase{
		{in: raw, want: rawWant},
		{in: "log before\n" + raw + "log after\n", want: "log before\n" + rawWant + "log after\n"},
		{in: indented, want: indentedWant},
		// One JSON string with \n escapes (Secret / kubeconfig as JSON).
		{
			in:   `  "tls.key": "` + escaped + `",` + "\n",
			want: `  "tls.key": "-----BEGIN RSA PRIVATE KEY-----\n` + M + `\n-----END RSA PRIVATE KEY-----\n",` + "\n",
		},
		// Escaped twice (JSON in a JSON string).
		{
			in:   `"{\"key\":\"` + strings.ReplaceAll(raw, "\n", `\\n`) + `\"}"`,
			want: `"{\"key\":\"-----BEGIN RSA PRIVATE KEY-----\\n` + M + `\\n-----END RSA PRIVATE KEY-----\\n\"}"`,
		},
		{
			in:   encrypted,
			want: lines("-----BEGIN ENCRYPTED PRIVATE KEY-----", M, M, "", M, "-----END ENCRYPTED PRIVATE KEY-----"),
		},
		{
			in:   lines("-----BEGIN OPENSSH PRIVATE KEY-----", pemBody[0], "-----END OPENSSH PRIVATE KEY-----", "-----BEGIN EC PRIVATE KEY-----", pemBody[1], "-----END EC PRIVATE KEY-----"),
			want: lines("-----BEGIN OPENSSH PRIVATE KEY-----", M, "-----END OPENSSH PRIVATE KEY-----", "-----BEGIN EC PRIVATE KEY-----", M, "-----END EC PRIVATE KEY-----"),
			n:    2,
		},
		// The END line may carry body text before it.
		{in: lines("-----BEGIN PRIVATE KEY-----", "abc+/=-----END PRIVATE KEY-----"), want: lines("-----BEGIN PRIVATE KEY-----", M+"-----END PRIVATE KEY-----")},
	})
	testUnchanged(t,
		lines("-----BEGIN CERTIFICATE-----", pemBody[0], "-----END CERTIFICATE-----"),
		lines("-----BEGIN PUBLIC KEY-----", pemBody[0], "-----END PUBLIC KEY-----"),
	)
	// A log line that only quotes a BEGIN line does not swallow the log.
	s := mustNew(t, nil, true)
	in := lines(`E0101 parse.go:12] expected "-----BEGIN PRIVATE KEY-----", got garbage`, "I0101 next line stays", "I0101 and this one")
	if got := redactString(t, s, "f.log", in); got != in {
		t.Errorf("log quoting a BEGIN line:\n got %q\nwant %q", got, in)
	}
}

func TestBuiltinPrivateKeyBase64(t *testing.T) {
	key := base64.StdEncoding.EncodeToString([]byte(lines(append(append([]string{"-----BEGIN PRIVATE KEY-----"}, pemBody...), "-----END PRIVATE KEY-----")...)))
	crt := base64.StdEncoding.EncodeToString([]byte(lines("-----BEGIN CERTIFICATE-----", pemBody[0], "-----END CERTIFICATE-----")))
	testBuiltin(t, "builtin.private-key-base64", []builtinCase{
		{in: `    "tls.key": "` + key + `",`, want: `    "tls.key": "` + M + `",`},
		{in: "  tls.key: " + key + "\n", want: "  tls.key: \"" + M + "\"\n"},
	})
	testUnchanged(t, `    "tls.crt": "`+crt+`",`)
}

// TestBuiltinKubeconfig: a kubeconfig stays valid YAML and loses its
// secrets.
func TestBuiltinKubeconfig(t *testing.T) {
	key := base64.StdEncoding.EncodeToString([]byte("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n"))
	in := `apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: Q0EK
    server: https://10.0.0.1:6443
  name: c
users:
- name: admin
  user:
    client-certificate-data: Q0VSVAo=
    client-key-data: ` + key + `
- name: sa
  user:
    token: eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJrIn0.c2ln
- name: basic
  user:
    username: admin
    password: p4ss w0rd
`
	s := mustNew(t, nil, true)
	out := redactString(t, s, "kubeconfig.yaml", in)
	var cfg struct {
		Clusters []struct {
			Cluster map[string]string `yaml:"cluster"`
		} `yaml:"clusters"`
		Users []struct {
			User map[string]string `yaml:"user"`
		} `yaml:"users"`
	}
	if err := yaml.Unmarshal([]byte(out), &cfg); err != nil {
		t.Fatalf("redacted kubeconfig is not YAML: %v\n%s", err, out)
	}
	if got := cfg.Clusters[0].Cluster["certificate-authority-data"]; got != "Q0EK" {
		t.Errorf("certificate-authority-data = %q, want it kept", got)
	}
	if got := cfg.Users[0].User["client-certificate-data"]; got != "Q0VSVAo=" {
		t.Errorf("client-certificate-data = %q, want it kept", got)
	}
	for i, k := range []string{"client-key-data", "token", "password"} {
		if got := cfg.Users[i].User[k]; got != M {
			t.Errorf("users[%d].%s = %q, want %q", i, k, got, M)
		}
	}
	if got := cfg.Users[2].User["username"]; got != "admin" {
		t.Errorf("username = %q", got)
	}
}

// TestBuiltinKeepsJSONValid: an indented pod list with secrets in env, args
// and an annotation stays valid JSON, with exactly the secrets masked.
func TestBuiltinKeepsJSONValid(t *testing.T) {
	lastApplied := `{"apiVersion":"v1","kind":"Secret","stringData":{"password":"s3\"cr3t","user":"bob"}}`
	pod := map[string]any{
		"kind": "PodList",
		"items": []any{map[string]any{
			"metadata": map[string]any{"name": "db", "annotations": map[string]any{
				"kubectl.kubernetes.io/last-applied-configuration": lastApplied,
			}},
			"spec": map[string]any{
				"automountServiceAccountToken": true,
				"containers": []any{map[string]any{
					"name": "db",
					"args": []any{"--token", "t0k3n", "--db-password=pw1", "--v=2"},
					"env": []any{
						map[string]any{"name": "DB_PASSWORD", "value": "s3cr3t"},
						map[string]any{"name": "DB_USER", "value": "bob"},
						map[string]any{"name": "API_TOKEN", "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": "x", "key": "token"}}},
						map[string]any{"name": "DATABASE_URL", "value": "postgres://bob:pw2@db:5432/app"},
						map[string]any{"name": "PIN_PASSWORD", "value": 1234},
					},
				}},
			},
		}},
	}
	for _, indent := range []string{"", "  "} {
		data, _ := json.MarshalIndent(pod, "", indent)
		if indent == "" {
			data, _ = json.Marshal(pod)
		}
		s := mustNew(t, nil, true)
		out := redactString(t, s, "cluster-resources/pods/default.json", string(data))
		if !json.Valid([]byte(out)) {
			t.Fatalf("indent %q: output is not valid JSON:\n%s", indent, out)
		}
		for _, secret := range []string{"s3", "cr3t", "t0k3n", "pw1", "pw2", "1234"} {
			if strings.Contains(out, secret) {
				t.Errorf("indent %q: %q leaked:\n%s", indent, secret, out)
			}
		}
		var got struct {
			Items []struct {
				Metadata struct {
					Annotations map[string]string `json:"annotations"`
				} `json:"metadata"`
				Spec struct {
					Auto       bool `json:"automountServiceAccountToken"`
					Containers []struct {
						Args []string `json:"args"`
						Env  []struct {
							Name  string `json:"name"`
							Value any    `json:"value"`
						} `json:"env"`
					} `json:"containers"`
				} `json:"spec"`
			} `json:"items"`
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatal(err)
		}
		c := got.Items[0].Spec.Containers[0]
		wantArgs := []string{"--token", M, "--db-password=" + M, "--v=2"}
		if strings.Join(c.Args, " ") != strings.Join(wantArgs, " ") {
			t.Errorf("indent %q: args = %q, want %q", indent, c.Args, wantArgs)
		}
		wantEnv := []any{M, "bob", nil, "postgres://bob:" + M + "@db:5432/app", M}
		for i, e := range c.Env {
			if e.Value != wantEnv[i] {
				t.Errorf("indent %q: env %s = %#v, want %#v", indent, e.Name, e.Value, wantEnv[i])
			}
		}
		if !got.Items[0].Spec.Auto {
			t.Errorf("automountServiceAccountToken changed")
		}
		var applied map[string]any
		if err := json.Unmarshal([]byte(got.Items[0].Metadata.Annotations["kubectl.kubernetes.io/last-applied-configuration"]), &applied); err != nil {
			t.Fatalf("indent %q: annotation is no longer JSON: %v", indent, err)
		}
		sd := applied["stringData"].(map[string]any)
		if sd["password"] != M || sd["user"] != "bob" {
			t.Errorf("indent %q: annotation stringData = %v", indent, sd)
		}
	}
}

// TestBuiltinIdempotent: redacting redacted output changes nothing and
// counts nothing.
func TestBuiltinIdempotent(t *testing.T) {
	in := string(corpus(256 << 10))
	once := redactString(t, mustNew(t, nil, true), "x.log", in)
	s := mustNew(t, nil, true)
	twice := redactString(t, s, "x.log", once)
	if once != twice {
		t.Errorf("second pass changed the output")
	}
	if r := s.Report(); r.Total != 0 {
		t.Errorf("second pass counted %d matches: %+v", r.Total, r.Files)
	}
}
