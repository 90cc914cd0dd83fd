package redact

import (
	"encoding/base64"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// The adversarial corpus: every sensitive key name in every format a bundle
// holds it in, and every token shape bare and inside other text, each with
// fresh random secrets. A case passes when the secret is gone from the
// output.

// corpusKeys are sensitive key names, in the spellings they come in.
var corpusKeys = []string{
	"password", "PASSWORD", "db_password", "DB_PASSWORD", "adminPassword", "MYSQL_ROOT_PASSWORD", "passwd",
	"passphrase", "ssl_passphrase", "DB_PASS", "pass", "dbPass", "LDAP_BIND_PW", "bindPW", "DB_PWD", "passcode",
	"token", "access_token", "refreshToken", "GITHUB_TOKEN", "api-token", "X-Auth-Token", "bootstrapToken",
	"secret", "client_secret", "clientSecret", "WEBHOOK_SECRET", "oidc-client-secret",
	"apiKey", "api_key", "x-api-key", "ACCESS_KEY", "secret_key", "AWS_SECRET_ACCESS_KEY", "privateKey",
	"ENCRYPTION_KEY", "encryptionKey", "SECRET_KEY_BASE", "licenseKey", "LICENSE_KEY", "signing_key",
	"masterKey", "sessionKey", "hmacKey", "jwtKey", "appKey", "storageKey", "accountKey", "sasKey",
	"certificateKey", "unsealKey", "recoveryKey",
	"auth", "basicAuth", "AUTH", "credentials", "credential", "GOOGLE_CREDENTIALS", "creds",
	"dsn", "SENTRY_DSN", "databaseDsn", "connectionString", "CONNECTION_STRING",
	"client-key-data",
}

// keyContext writes one line (or a few) with value v under key k.
type keyContext struct {
	name string
	fmt  func(k, v string) string
}

var keyContexts = []keyContext{
	{"env", func(k, v string) string { return k + "=" + v }},
	{"export", func(k, v string) string { return "export " + k + "=" + v }},
	{"env-quoted", func(k, v string) string { return k + `="` + v + `"` }},
	{"flag-eq", func(k, v string) string { return "app --" + toFlag(k) + "=" + v + " --v=2" }},
	{"flag-space", func(k, v string) string { return "app --" + toFlag(k) + " " + v + " --v=2" }},
	{"json", func(k, v string) string { return `{"` + k + `": "` + v + `", "user": "bob"}` }},
	{"json-indented", func(k, v string) string { return `    "` + k + `": "` + v + `",` }},
	{"json-in-string", func(k, v string) string {
		return `"last-applied": "{\"data\":{\"` + k + `\":\"` + v + `\"},\"kind\":\"X\"}"`
	}},
	{"yaml", func(k, v string) string { return "  " + k + ": " + v }},
	{"yaml-quoted", func(k, v string) string { return "  " + k + `: "` + v + `"` }},
	{"yaml-single", func(k, v string) string { return "  " + k + ": '" + v + "'" }},
	{"yaml-list", func(k, v string) string { return "- " + k + ": " + v }},
	{"yaml-two-words", func(k, v string) string { return "  " + k + ": " + v + " " + v }},
	{"yaml-anchor-tag", func(k, v string) string { return "  " + k + ": &a !!str " + v }},
	{"yaml-block", func(k, v string) string { return "  " + k + ": |\n    " + v + "\n    " + v + "\n  other: x" }},
	{"yaml-folded", func(k, v string) string { return k + ": >-\n  " + v + "\nother: x" }},
	{"yaml-next-line", func(k, v string) string { return "  " + k + ":\n    " + v + "\n  other: x" }},
	{"logfmt", func(k, v string) string { return `level=info msg="login" ` + k + "=" + v + " user=bob" }},
	{"klog", func(k, v string) string {
		return `I0101 12:00:00.000000 1 x.go:1] "Connecting" ` + k + `="` + v + `" host="db"`
	}},
	{"go-map", func(k, v string) string { return "config map[" + k + ":" + v + " user:bob]" }},
	{"properties", func(k, v string) string { return "app.datasource." + k + "=" + v }},
	{"toml", func(k, v string) string { return k + ` = "` + v + `"` }},
	{"ini", func(k, v string) string { return k + " = " + v }},
	{"url-query", func(k, v string) string { return "GET /cb?state=1&" + k + "=" + v + "&x=1 HTTP/1.1" }},
	{"env-pair-json", func(k, v string) string { return `  "name": "` + k + `",` + "\n" + `  "value": "` + v + `"` }},
	{"env-pair-yaml", func(k, v string) string { return "- name: " + k + "\n  value: " + v }},
	{"env-pair-inline", func(k, v string) string { return `{"name":"` + k + `","value":"` + v + `"}` }},
	{"args-list", func(k, v string) string { return `"args": ["--` + toFlag(k) + `", "` + v + `", "--v=2"]` }},
	{"args-lines", func(k, v string) string { return `  "--` + toFlag(k) + `",` + "\n" + `  "` + v + `",` }},
	{"docker-env", func(k, v string) string { return `"Env": ["PATH=/usr/bin", "` + k + "=" + v + `"]` }},
}

// toFlag spells key k as a command line flag: dbPass -> db-pass,
// DB_PASS -> db-pass.
func toFlag(k string) string {
	var b strings.Builder
	for i, c := range k {
		if c >= 'A' && c <= 'Z' && i > 0 && k[i-1] >= 'a' && k[i-1] <= 'z' {
			b.WriteByte('-')
		}
		if c == '_' {
			c = '-'
		}
		b.WriteRune(c)
	}
	return strings.ToLower(b.String())
}

// randSecret is a random secret of n letters and digits that starts with a
// letter and contains a digit.
func randSecret(r *rand.Rand, n int) string {
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = alnum[r.IntN(len(alnum))]
	}
	b[0] = alnum[r.IntN(52)]
	b[n-1] = '0' + byte(r.IntN(10))
	return string(b)
}

// shapeCase is a secret that is found by its shape; ctx places it in text.
type shapeCase struct {
	name   string
	make   func(r *rand.Rand) (text, secret string)
	places []string // contexts (shapeContexts keys); empty: as made only
}

func randFrom(r *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

const (
	alnum   = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	upperD  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	hexLow  = "0123456789abcdef"
	b64url  = alnum + "-_"
	tokenCh = alnum
)

// mixed makes a random string of n from alphabet that has upper, lower and
// digits (gitleaks' entropy floors need it).
func mixed(r *rand.Rand, alphabet string, n int) string {
	for {
		s := randFrom(r, alphabet, n)
		if strings.ContainsAny(s, "0123456789") && shannonEntropy(s) > min(4, 0.8*math.Log2(float64(min(n, len(alphabet))))) {
			return s
		}
	}
}

var shapeCases = []shapeCase{
	{"github-pat", func(r *rand.Rand) (string, string) { s := "ghp_" + mixed(r, alnum, 36); return s, s }, nil},
	{"github-fine", func(r *rand.Rand) (string, string) {
		s := "github_pat_" + mixed(r, alnum, 22) + "_" + mixed(r, alnum, 59)
		return s, s
	}, nil},
	{"gitlab-pat", func(r *rand.Rand) (string, string) { s := "glpat-" + mixed(r, alnum, 20); return s, s }, nil},
	{"slack-bot", func(r *rand.Rand) (string, string) {
		s := "xoxb-" + randFrom(r, "0123456789", 12) + "-" + randFrom(r, "0123456789", 13) + "-" + mixed(r, alnum, 24)
		return s, s
	}, nil},
	{"stripe", func(r *rand.Rand) (string, string) { s := "sk_live_" + mixed(r, alnum, 24); return s, s }, nil},
	{"google-api", func(r *rand.Rand) (string, string) { s := "AIza" + mixed(r, alnum+"-_", 35); return s, s }, nil},
	{"aws-key-id", func(r *rand.Rand) (string, string) { s := "AKIA" + randFrom(r, upperD, 16); return s, s }, nil},
	{"npm", func(r *rand.Rand) (string, string) { s := "npm_" + mixed(r, alnum, 36); return s, s }, nil},
	{"jwt", func(r *rand.Rand) (string, string) {
		s := "eyJhbGciOiJSUzI1NiJ9.eyJ" + mixed(r, b64url, 40) + "." + mixed(r, b64url, 43)
		return s, s
	}, nil},
	{"url-token", func(r *rand.Rand) (string, string) {
		s := mixed(r, alnum, 32)
		return "https://" + s + "@git.example.com/org/repo.git", s
	}, nil},
	{"url-userpass", func(r *rand.Rand) (string, string) {
		s := randSecret(r, 14)
		return "postgres://app:" + s + "@db.example:5432/app?sslmode=require", s
	}, nil},
	{"dsn-no-scheme", func(r *rand.Rand) (string, string) {
		s := randSecret(r, 14)
		return "app:" + s + "@db.internal:5432/app", s
	}, nil},
	{"mysql-dsn", func(r *rand.Rand) (string, string) {
		s := randSecret(r, 14)
		return "root:" + s + "@tcp(mysql:3306)/app", s
	}, nil},
	{"slack-webhook", func(r *rand.Rand) (string, string) {
		s := mixed(r, alnum, 24)
		return "https://hooks.slack.com/services/T" + randFrom(r, upperD, 8) + "/B" + randFrom(r, upperD, 8) + "/" + s, s
	}, nil},
	{"discord-webhook", func(r *rand.Rand) (string, string) {
		s := mixed(r, b64url, 68)
		return "https://discord.com/api/webhooks/" + randFrom(r, "0123456789", 18) + "/" + s, s
	}, nil},
	{"teams-webhook", func(r *rand.Rand) (string, string) {
		s := mixed(r, hexLow, 32)
		return "https://acme.webhook.office.com/webhookb2/a1-b2@c3/IncomingWebhook/" + s + "/d4", s
	}, nil},
	{"s3-presigned", func(r *rand.Rand) (string, string) {
		s := mixed(r, hexLow, 64)
		return "https://b.s3.amazonaws.com/o?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=" + s + "&X-Amz-Expires=60", s
	}, nil},
	{"azure-sas", func(r *rand.Rand) (string, string) {
		s := mixed(r, alnum, 30) + "%3D"
		return "https://a.blob.core.windows.net/c/b?sv=2022-11-02&sp=r&sig=" + s, s
	}, nil},
	{"gcs-signed", func(r *rand.Rand) (string, string) {
		s := mixed(r, hexLow, 64)
		return "https://storage.googleapis.com/b/o?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Signature=" + s, s
	}, nil},
	{"auth-basic", func(r *rand.Rand) (string, string) {
		s := base64.StdEncoding.EncodeToString([]byte("admin:" + randSecret(r, 12)))
		return "Authorization: Basic " + s, s
	}, nil},
	{"auth-bearer", func(r *rand.Rand) (string, string) {
		s := mixed(r, alnum, 40)
		return "Authorization: Bearer " + s, s
	}, nil},
	{"auth-map-dump", func(r *rand.Rand) (string, string) {
		s := base64.StdEncoding.EncodeToString([]byte("u:" + randSecret(r, 12)))
		return "headers=map[Accept:[*/*] Authorization:[Basic " + s + "] User-Agent:[x]]", s
	}, nil},
	{"auth-json", func(r *rand.Rand) (string, string) {
		s := mixed(r, alnum, 40)
		return `{"headers":{"Authorization":"Bearer ` + s + `"}}`, s
	}, nil},
	{"set-cookie", func(r *rand.Rand) (string, string) {
		s := mixed(r, alnum, 32)
		return "Set-Cookie: session=" + s + "; Path=/; HttpOnly", s
	}, nil},
	{"cookie", func(r *rand.Rand) (string, string) {
		s := mixed(r, alnum, 32)
		return "Cookie: theme=dark; sid=" + s, s
	}, nil},
	{"curl-user", func(r *rand.Rand) (string, string) {
		s := randSecret(r, 14)
		return "curl -sS -u admin:" + s + " https://api.example/x", s
	}, nil},
	{"mysql-p", func(r *rand.Rand) (string, string) {
		s := randSecret(r, 14)
		return "mysql -h db -uroot -p" + s + " app", s
	}, nil},
}

// shapeContexts place a shape's text inside other text.
var shapeContexts = []keyContext{
	{"bare", func(_, v string) string { return v }},
	{"log", func(_, v string) string { return "I0101 12:00:00.000000 1 x.go:1] saw " + v + " in request" }},
	{"json", func(_, v string) string { return `{"msg":"request","detail":"` + v + `"}` }},
	{"yaml", func(_, v string) string { return "  note: " + v }},
	{"logfmt-quoted", func(_, v string) string { return `level=debug msg="` + v + `" n=1` }},
	{"go-map", func(_, v string) string { return "map[detail:" + v + " n:1]" }},
}

// corpusCase is one generated case.
type corpusCase struct {
	name, in string
	secrets  []string
}

// adversarialCorpus generates the cases; perKey secrets per key and
// context, perShape per shape and context.
func adversarialCorpus(seed uint64, perKey, perShape int) []corpusCase {
	r := rand.New(rand.NewPCG(seed, 7))
	var cases []corpusCase
	for _, k := range corpusKeys {
		for _, c := range keyContexts {
			for range perKey {
				v := randSecret(r, 8+r.IntN(24))
				cases = append(cases, corpusCase{name: c.name + "/" + k, in: c.fmt(k, v) + "\n", secrets: []string{v}})
			}
		}
	}
	for _, sc := range shapeCases {
		for _, c := range shapeContexts {
			for range perShape {
				text, secret := sc.make(r)
				cases = append(cases, corpusCase{name: c.name + "/" + sc.name, in: c.fmt("", text) + "\n", secrets: []string{secret}})
			}
		}
	}
	// PEM private keys, multi-line and escaped in JSON.
	for range perShape * 3 {
		body := []string{mixed(r, alnum+"+/", 64), mixed(r, alnum+"+/", 64), mixed(r, alnum+"+/", 20) + "=="}
		pem := "-----BEGIN RSA PRIVATE KEY-----\n" + strings.Join(body, "\n") + "\n-----END RSA PRIVATE KEY-----\n"
		cases = append(cases,
			corpusCase{name: "pem/raw", in: pem, secrets: body},
			corpusCase{name: "pem/json", in: `{"tls.key": "` + strings.ReplaceAll(pem, "\n", `\n`) + `"}` + "\n", secrets: body},
			corpusCase{name: "pem/yaml-block", in: "  key.pem: |\n    " + strings.ReplaceAll(strings.TrimSuffix(pem, "\n"), "\n", "\n    ") + "\n", secrets: body},
			corpusCase{name: "pem/base64", in: "  tls.key: " + base64.StdEncoding.EncodeToString([]byte(pem)) + "\n",
				secrets: []string{base64.StdEncoding.EncodeToString([]byte(pem))[16:48]}},
		)
	}
	return cases
}

// TestAdversarialCorpus: every generated secret is hidden, written in one
// piece and byte by byte.
func TestAdversarialCorpus(t *testing.T) {
	cases := adversarialCorpus(1, 1, 3)
	if len(cases) < 2000 {
		t.Fatalf("only %d cases", len(cases))
	}
	s := mustNew(t, nil, true)
	failed := 0
	for i, c := range cases {
		outs := []string{redactString(t, s, "f.log", c.in)}
		if i%7 == 0 {
			outs = append(outs, redactBytewise(t, s, "f.log", c.in))
		}
		for _, out := range outs {
			for _, secret := range c.secrets {
				if strings.Contains(out, secret) {
					failed++
					if failed <= 30 {
						t.Errorf("%s: secret leaked\n in: %q\nout: %q", c.name, c.in, out)
					}
				}
			}
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d cases leaked", failed, len(cases))
	}
	t.Logf("%d cases", len(cases))
}

// beacons are things support needs to read, that look a little like
// secrets. The built-in rules must leave every one of them unchanged.
var beacons = map[string]string{
	"kubeadm-cluster-config": `apiVersion: kubeadm.k8s.io/v1beta3
kind: ClusterConfiguration
kubernetesVersion: v1.29.4
controlPlaneEndpoint: 10.0.0.10:6443
certificatesDir: /etc/kubernetes/pki
imageRepository: registry.k8s.io
apiServer:
  certSANs:
  - 10.0.0.10
  extraArgs:
    authorization-mode: Node,RBAC
    enable-admission-plugins: NodeRestriction
    service-account-key-file: /etc/kubernetes/pki/sa.pub
    service-account-signing-key-file: /etc/kubernetes/pki/sa.key
    kubelet-client-key: /etc/kubernetes/pki/apiserver-kubelet-client.key
    tls-private-key-file: /etc/kubernetes/pki/apiserver.key
  timeoutForControlPlane: 4m0s
controllerManager:
  extraArgs:
    cluster-signing-key-file: /etc/kubernetes/pki/ca.key
    use-service-account-credentials: "true"
etcd:
  local:
    dataDir: /var/lib/etcd
networking:
  dnsDomain: cluster.local
  podSubnet: 192.168.0.0/16
  serviceSubnet: 10.96.0.0/12
`,
	"kubeadm-init-config": `apiVersion: kubeadm.k8s.io/v1beta3
kind: InitConfiguration
bootstrapTokens:
- groups:
  - system:bootstrappers:kubeadm:default-node-token
  ttl: 24h0m0s
  usages:
  - signing
  - authentication
nodeRegistration:
  criSocket: unix:///var/run/containerd/containerd.sock
  kubeletExtraArgs:
    cloud-provider: external
`,
	"corefile": `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
`,
	"kube-proxy-config": `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
bindAddress: 0.0.0.0
clientConnection:
  acceptContentTypes: ""
  burst: 10
  contentType: application/vnd.kubernetes.protobuf
  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
  qps: 5
clusterCIDR: 192.168.0.0/16
conntrack:
  maxPerCore: 32768
  tcpEstablishedTimeout: 24h0m0s
iptables:
  masqueradeAll: false
  syncPeriod: 30s
mode: iptables
`,
	"kubelet-args": `    - --kubeconfig=/etc/kubernetes/kubelet.conf
    - --bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf
    - --rotate-certificates=true
    - --tls-cert-file=/var/lib/kubelet/pki/kubelet.crt
    - --tls-private-key-file=/var/lib/kubelet/pki/kubelet.key
    - --client-ca-file=/etc/kubernetes/pki/ca.crt
    - --authentication-token-webhook=true
    - --authorization-mode=Webhook
`,
	"pod-metadata": `{
  "metadata": {
    "name": "coredns-5d78c9869d-7xk2p",
    "uid": "4f6d1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b",
    "resourceVersion": "8812734",
    "generation": 3,
    "labels": {"pod-template-hash": "5d78c9869d", "k8s-app": "kube-dns"},
    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "coredns-5d78c9869d", "uid": "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d", "controller": true}]
  },
  "spec": {
    "automountServiceAccountToken": true,
    "serviceAccountName": "coredns",
    "containers": [{
      "name": "coredns",
      "image": "registry.k8s.io/coredns/coredns:v1.11.1@sha256:1eeb4c7316bacb1d4c8ead65571cd92dd21e27359f0d4917f1a5822a73b75db1",
      "args": ["-conf", "/etc/coredns/Corefile"],
      "env": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "TOKEN_TTL", "value": "24h"}, {"name": "API_TOKEN", "valueFrom": {"secretKeyRef": {"name": "api", "key": "token"}}}]
    }],
    "volumes": [{"name": "kube-api-access-x7k2p", "projected": {"sources": [{"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}}, {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}}]}}]
  },
  "status": {"containerStatuses": [{"containerID": "containerd://5b1c0e9d8a7f6e5d4c3b2a1908f7e6d5c4b3a29180f7e6d5c4b3a2918f7e6d5c", "imageID": "registry.k8s.io/coredns/coredns@sha256:1eeb4c7316bacb1d4c8ead65571cd92dd21e27359f0d4917f1a5822a73b75db1"}]}
}
`,
	"capi-machine": `apiVersion: cluster.x-k8s.io/v1beta1
kind: Machine
metadata:
  name: dkp-md-0-7f8c9d-x2k4p
  uid: 0f9e8d7c-6b5a-4c3d-9e2f-1a0b9c8d7e6f
spec:
  clusterName: dkp
  bootstrap:
    configRef:
      kind: KubeadmConfig
      name: dkp-md-0-abcde
    dataSecretName: dkp-md-0-abcde
  infrastructureRef:
    kind: AWSMachine
    name: dkp-md-0-xyz12
  providerID: aws:///us-west-2a/i-0abcd1234ef567890
  version: v1.29.4
status:
  addresses:
  - address: ip-10-0-1-23.us-west-2.compute.internal
    type: InternalDNSName
  nodeRef:
    name: ip-10-0-1-23.us-west-2.compute.internal
    uid: 7c6b5a49-3827-4165-9f8e-7d6c5b4a3928
`,
	"ca-data": `apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUMvakNDQWVhZ0F3SUJBZ0lCQURBTkJna3Foa2lHOXcwQkFRc0ZBREFWTVJNd0VRWURWUVFERXdwcmRXSmwKY201bGRHVnpNQjRYRFRJME1ERXdNVEF3TURBd01Gb1hEVE0wTURFd01UQXdNREF3TUZvd0ZURVRNQkVHQTFVRQotLS0tLUVORCBDRVJUSUZJQ0FURS0tLS0tCg==
    server: https://10.0.0.10:6443
  name: dkp
users:
- name: dkp-admin
  user:
    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUMvakNDQWVhZ0F3SUJBZ0lCQURBTkJna3Foa2lHOXcwQkFRc0ZBREFWTVJNd0VRWURWUVFERXdwcmRXSmwKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=
`,
	"ca-bundle": `webhooks:
- name: validate.cert-manager.io
  clientConfig:
    caBundle: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUMvakNDQWVhZ0F3SUJBZ0lCQURBTkJna3Foa2lHOXcwQkFRc0ZBREFWTVJNd0VRWURWUVFERXdwcmRXSmwKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=
    service:
      name: cert-manager-webhook
      namespace: cert-manager
      path: /validate
  sideEffects: None
`,
	"cert-pem": `-----BEGIN CERTIFICATE-----
MIIC/jCCAeagAwIBAgIBADANBgkqhkiG9w0BAQsFADAVMRMwEQYDVQQDEwprdWJl
cm5ldGVzMB4XDTI0MDEwMTAwMDAwMFoXDTM0MDEwMTAwMDAwMFowFTETMBEGA1UE
-----END CERTIFICATE-----
`,
	"settings": `tokenTTL: 24h
keyName: cluster-key
publicKey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKq7x4example
passwordPolicy: strict
tokenBucket:
  size: 100
existingSecret: grafana-admin-credentials
secretName: tls-cert
passwordSecretRef:
  name: db
  key: password
password_file: /run/secrets/db
`,
	"logs": `I0101 12:00:00.000000 1 ratelimit.go:12] token bucket refilled: 100 tokens available
I0101 12:00:01.000000 1 auth.go:40] password reset page loaded for user bob
E0101 12:00:02.000000 1 webhook.go:88] failed calling webhook "validate.kyverno.svc": Post "https://kyverno-svc.kyverno.svc:443/validate/fail?timeout=10s": context deadline exceeded
I0101 12:00:03.000000 1 controller.go:120] "Reconciling" controller="machine" Machine="default/dkp-md-0-7f8c9d-x2k4p" reconcileID="a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
time="2024-01-01T12:00:04Z" level=info msg="pulled image" image="docker.io/library/nginx@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31"
{"level":"info","ts":"2024-01-01T12:00:05Z","msg":"Bearer token required","status":401}
git clone ssh://git@github.com/mesosphere/dkp-diagnose.git
I0101 12:00:06.000000 1 leaderelection.go:250] attempting to acquire leader lease kube-system/kube-controller-manager...
Jan 01 12:00:07 node-1 sshd[1234]: Accepted publickey for core from 10.0.0.5 port 51234 ssh2: ED25519 SHA256:AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg
`,
}

// TestBeacons: the built-in rules leave every beacon exactly as it was.
func TestBeacons(t *testing.T) {
	s := mustNew(t, nil, true)
	for name, in := range beacons {
		if got := redactString(t, s, name+".yaml", in); got != in {
			t.Errorf("beacon %s changed:\n%s", name, lineDiff(in, got))
		}
	}
}

// lineDiff lists the lines of a that b changed.
func lineDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out strings.Builder
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			fmt.Fprintf(&out, "- %s\n+ %s\n", al[i], bl[i])
		}
	}
	return out.String()
}
