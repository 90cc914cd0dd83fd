// Package canary is a corpus of secrets ("canaries") and of ordinary
// values support needs ("beacons"), in the shapes and places real clusters
// hold them, for the end-to-end test of redaction: seed a cluster, collect
// a bundle, and no canary may be found in any file — in plain text or
// base64/gzip-decoded — while every beacon must be.
//
// Every canary carries a unique marker (CANARY<n>x, or an upper- or
// lower-case variant where the token's alphabet demands it) inside a value
// shaped like the real thing, so that rules written for real tokens see a
// real-looking token. To add a case, call Corpus.secret with its class and
// shape where the value is placed; the marker is recorded for the check.
package canary

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Classes of canaries, as the issue names the ways secrets leaked.
const (
	ClassKeyName   = "key-name"    // a key, env var or flag named like a secret
	ClassToken     = "token-shape" // a token recognisable by its shape alone
	ClassEncoded   = "encoded"     // inside base64 or gzip
	ClassCustom    = "custom-resource"
	ClassYAMLForm  = "yaml-form" // block scalars, anchors, next-line values…
	ClassStructure = "structure" // a Secret's data, binaryData, JWK, last-applied
	ClassPEM       = "private-key"
)

// Canary is one seeded secret.
type Canary struct {
	Marker string // unique; must not appear in any form in a bundle
	Class  string
	Where  string // what holds it (object/field, log line), for the report
}

// Object is something to create, in order.
type Object struct {
	GVR schema.GroupVersionResource
	Obj *unstructured.Unstructured
}

// PodLogs are the logs of one pod's containers.
type PodLogs struct {
	Namespace, Pod string
	Logs           map[string]string // container → text
}

// Corpus is the whole seed.
type Corpus struct {
	Canaries []Canary
	Beacons  []Beacon
	Objects  []Object
	Logs     []PodLogs
	// RedactorLiterals are canaries given only as literal values of a
	// Redactor rule whose fileSelector does not cover execution-data: the
	// spec copy in the bundle must not echo them.
	RedactorLiterals []string
	n                int
}

// Beacon is an ordinary value that must reach the bundle intact.
type Beacon struct {
	Text  string
	Where string
}

// secret records a new canary of class at where and returns its value:
// shape(marker).
func (c *Corpus) secret(class, where string, shape func(m string) string) string {
	c.n++
	m := fmt.Sprintf("CANARY%03dx", c.n)
	c.Canaries = append(c.Canaries, Canary{Marker: m, Class: class, Where: where})
	return shape(m)
}

// secretUpper is secret with an upper-case marker (AKIA…), secretLower
// with a lower-case one (kubeadm bootstrap tokens).
func (c *Corpus) secretUpper(class, where string, shape func(m string) string) string {
	c.n++
	m := fmt.Sprintf("CANARY%03dX", c.n)
	c.Canaries = append(c.Canaries, Canary{Marker: m, Class: class, Where: where})
	return shape(m)
}

func (c *Corpus) secretLower(class, where string, shape func(m string) string) string {
	c.n++
	m := fmt.Sprintf("canary%03dx", c.n)
	c.Canaries = append(c.Canaries, Canary{Marker: m, Class: class, Where: where})
	return shape(m)
}

func (c *Corpus) beacon(where, text string) string {
	c.Beacons = append(c.Beacons, Beacon{Text: text, Where: where})
	return text
}

func (c *Corpus) add(gvr schema.GroupVersionResource, obj map[string]any) {
	c.Objects = append(c.Objects, Object{GVR: gvr, Obj: &unstructured.Unstructured{Object: obj}})
}

// pad appends deterministic alphanumerics to s up to n characters.
func pad(s string, n int) string {
	const alnum = "a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ"
	for i := 0; len(s) < n; i++ {
		s += string(alnum[i%len(alnum)])
	}
	return s[:n]
}

// padLower is pad with lower-case letters and digits.
func padLower(s string, n int) string {
	for i := 0; len(s) < n; i++ {
		s += string("q7w3e9r1t5"[i%10])
	}
	return s[:n]
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func gzipB64(s string) string {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, _ = zw.Write([]byte(s))
	_ = zw.Close()
	return base64.StdEncoding.EncodeToString(b.Bytes())
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// Shapes of real tokens (the marker inside).
func ghp(m string) string      { return "ghp_" + pad(m, 36) }
func glpat(m string) string    { return "glpat-" + pad(m, 20) }
func slackBot(m string) string { return "xoxb-2718281828-3141592653589-" + pad(m, 24) }
func stripe(m string) string   { return "sk_live_" + pad(m, 32) }
func gcpKey(m string) string   { return "AIza" + pad("Sy"+m, 35) }
func awsID(m string) string    { return "AKIA" + padUpper(m, 16) }
func jwt(m string) string {
	return "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0." +
		strings.TrimRight(base64.URLEncoding.EncodeToString([]byte(`{"sub":"system:serviceaccount:a:b","jti":"`+m+`"}`)), "=") + "." + pad(m+"sig", 43)
}
func pemKey(m string) string {
	return "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA" + pad(m, 48) + "\n" + pad("Qx"+m, 64) + "\n-----END RSA PRIVATE KEY-----\n"
}

func padUpper(s string, n int) string {
	for i := 0; len(s) < n; i++ {
		s += string("QZ7P3K9M2W"[i%10])
	}
	return s[:n]
}

var (
	gvSecrets     = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}
	gvConfigMaps  = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	gvPods        = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	gvNamespaces  = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	gvDeployments = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
)

// Namespace the corpus lives in (with kube-system for the cluster's own
// config maps).
const Namespace = "canary"

// CRD is a custom resource definition of the corpus.
type CRD struct {
	Group, Kind, Plural string
	Namespaced          bool
}

// GVR is the CRD's resource at v1.
func (d CRD) GVR() schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: d.Group, Version: "v1", Resource: d.Plural}
}

// Name is plural.group.
func (d CRD) Name() string { return d.Plural + "." + d.Group }

// CRDs of the corpus: Dex's storage, Cluster API bootstrap and control
// plane, a federation and a GitOps tool.
var (
	dexConnectors  = CRD{"dex.coreos.com", "Connector", "connectors", true}
	dexSigningKeys = CRD{"dex.coreos.com", "SigningKey", "signingkeies", true}
	dexClients     = CRD{"dex.coreos.com", "OAuth2Client", "oauth2clients", true}
	dexPasswords   = CRD{"dex.coreos.com", "Password", "passwords", true}
	dexRefresh     = CRD{"dex.coreos.com", "RefreshToken", "refreshtokens", true}
	kubeadmConfigs = CRD{"bootstrap.cluster.x-k8s.io", "KubeadmConfig", "kubeadmconfigs", true}
	kcps           = CRD{"controlplane.cluster.x-k8s.io", "KubeadmControlPlane", "kubeadmcontrolplanes", true}
	machines       = CRD{"cluster.x-k8s.io", "Machine", "machines", true}
	clusters       = CRD{"cluster.x-k8s.io", "Cluster", "clusters", true}
	fedSecrets     = CRD{"types.kubefed.io", "FederatedSecret", "federatedsecrets", true}
	repositories   = CRD{"gitops.example.io", "Repository", "repositories", true}
)

// CRDs lists every CRD the corpus needs.
var CRDs = []CRD{dexConnectors, dexSigningKeys, dexClients, dexPasswords, dexRefresh, kubeadmConfigs, kcps, machines, clusters, fedSecrets, repositories}

// CRDObject is the definition object of d (schemaless v1).
func CRDObject(d CRD) *unstructured.Unstructured {
	scope := "Cluster"
	if d.Namespaced {
		scope = "Namespaced"
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": d.Name()},
		"spec": map[string]any{
			"group": d.Group, "scope": scope,
			"names": map[string]any{"plural": d.Plural, "singular": strings.ToLower(d.Kind), "kind": d.Kind, "listKind": d.Kind + "List"},
			"versions": []any{map[string]any{"name": "v1", "served": true, "storage": true,
				"schema": map[string]any{"openAPIV3Schema": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}},
		},
	}}
}

func meta(name string, extra ...map[string]any) map[string]any {
	m := map[string]any{"name": name, "namespace": Namespace}
	for _, e := range extra {
		for k, v := range e {
			m[k] = v
		}
	}
	return m
}

// lastApplied is the annotation kubectl apply (client side) writes: the
// object as applied, JSON, with a trailing newline.
func lastApplied(obj map[string]any) map[string]any {
	return map[string]any{"annotations": map[string]any{"kubectl.kubernetes.io/last-applied-configuration": mustJSON(obj) + "\n"}}
}

func (c *Corpus) cr(d CRD, name string, body map[string]any) {
	obj := map[string]any{"apiVersion": d.Group + "/v1", "kind": d.Kind, "metadata": meta(name)}
	for k, v := range body {
		obj[k] = v
	}
	c.add(d.GVR(), obj)
}

// Build returns the corpus.
func Build() *Corpus {
	c := &Corpus{}
	c.add(gvNamespaces, map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": Namespace}})
	c.secrets()
	c.configMaps()
	c.helm()
	c.pods()
	c.customResources()
	c.lastApplied()
	c.vocabulary()
	c.beacons()
	return c
}

func (c *Corpus) secrets() {
	s := func(where string) string {
		return c.secret(ClassStructure, "Secret "+where, func(m string) string { return "Pw" + m + "!x9" })
	}
	data := map[string]any{
		"password":       b64(s("app-creds/password")),
		"username":       b64("app-user"),
		"config.json":    b64(mustJSON(map[string]any{"endpoint": "https://api.example.com", "apiToken": s("app-creds/config.json")})),
		"opaque-blob":    b64(s("app-creds/opaque-blob")),
		"id_rsa":         b64(c.secret(ClassPEM, "Secret app-creds/id_rsa", pemKey)),
		"sa-token":       b64(c.secret(ClassToken, "Secret app-creds/sa-token", jwt)),
		"encryption.key": b64(s("app-creds/encryption.key")),
	}
	c.add(gvSecrets, map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": meta("app-creds"), "type": "Opaque", "data": data,
		"stringData": map[string]any{"extra": s("app-creds/stringData.extra")}})
	dockercfg := mustJSON(map[string]any{"auths": map[string]any{"registry.example.com": map[string]any{
		"username": "robot", "password": c.secret(ClassEncoded, "Secret regcred/.dockerconfigjson password", func(m string) string { return "Rb" + m + "7" }),
		"auth": b64("robot:" + c.secret(ClassEncoded, "Secret regcred/.dockerconfigjson auth", func(m string) string { return "Au" + m })),
	}}})
	c.add(gvSecrets, map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": meta("regcred"), "type": "kubernetes.io/dockerconfigjson",
		"data": map[string]any{".dockerconfigjson": b64(dockercfg)}})
	c.add(gvSecrets, map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": meta("web-tls"), "type": "kubernetes.io/tls",
		"data": map[string]any{"tls.crt": b64(certPEM), "tls.key": b64(c.secret(ClassPEM, "Secret web-tls/tls.key", pemKey))}})
	// A Helm 3 release Secret: base64 (the API) of base64 of gzip of JSON.
	rel := mustJSON(map[string]any{"name": "db", "config": map[string]any{"auth": map[string]any{"rootPassword": s("helm release secret config")}}})
	c.add(gvSecrets, map[string]any{"apiVersion": "v1", "kind": "Secret", "type": "helm.sh/release.v1",
		"metadata": meta("sh.helm.release.v1.db.v1", map[string]any{"labels": map[string]any{"owner": "helm", "name": "db"}}),
		"data":     map[string]any{"release": b64(gzipB64(rel))}})
}

// certPEM is a CA certificate (public): a beacon as CA bundle.
const certPEM = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUBeaconCAbundleCertificateDataAAAAAAwCgYIKoZIzj0EAwIw\n-----END CERTIFICATE-----\n"

func (c *Corpus) configMaps() {
	kv := func(where string, shape func(m string) string) string { return c.secret(ClassKeyName, where, shape) }
	plain := func(p string) func(m string) string { return func(m string) string { return p + m } }
	tok := func(where string, shape func(m string) string) string { return c.secret(ClassToken, where, shape) }
	yf := func(where string) string {
		return c.secret(ClassYAMLForm, "ConfigMap app-config "+where, func(m string) string { return "Yf" + m })
	}
	data := map[string]any{
		"app.env": strings.Join([]string{
			"LOG_LEVEL=" + c.beacon("env file", "debug-beacon-level"),
			"DB_PASS=" + kv("app.env DB_PASS", plain("dp")),
			"LDAP_BIND_PW=" + kv("app.env LDAP_BIND_PW", plain("lb")),
			"ENCRYPTION_KEY=" + kv("app.env ENCRYPTION_KEY", plain("ek")),
			"SECRET_KEY_BASE=" + kv("app.env SECRET_KEY_BASE", plain("skb")),
			"SMTP_PASSWORD=" + kv("app.env SMTP_PASSWORD", plain("smtp")),
			"GITHUB_TOKEN=" + tok("app.env GITHUB_TOKEN", ghp),
		}, "\n") + "\n",
		"application.properties": strings.Join([]string{
			"spring.datasource.url=jdbc:postgresql://db:5432/app",
			"spring.datasource.password=" + kv("properties datasource.password", plain("sp")),
			"app.licenseKey=" + kv("properties licenseKey", plain("lk")),
			"server.port=" + c.beacon("properties", "8443"),
		}, "\n") + "\n",
		"config.toml": strings.Join([]string{
			"[database]",
			`dsn = "` + kv("toml dsn", func(m string) string { return "app:" + m + "@tcp(db:3306)/app" }) + `"`,
			`password = "` + kv("toml password", plain("tp")) + `"`,
			`cookie_secret = "` + kv("toml cookie_secret", plain("cs")) + `"`,
			`credentials = "` + kv("toml credentials", plain("cr")) + `"`,
		}, "\n") + "\n",
		"settings.json": mustJSON(map[string]any{
			"oidc":  map[string]any{"clientID": "dkp", "clientSecret": kv("json clientSecret", plain("oc")), "issuer": "https://dex.example.com"},
			"cache": map[string]any{"auth": kv("json auth", plain("au")), "pass": kv("json pass", plain("ps"))},
		}),
		"forms.yaml": strings.Join([]string{
			"db:",
			"  password: |",
			"    " + yf("block scalar"),
			"  adminPassword: &adminpw " + yf("anchor"),
			"  readerPassword: *adminpw",
			"  token: !!str " + yf("tag"),
			"  apiToken:",
			"    " + yf("next-line value"),
			"  rootPassword: first-word " + yf("second word"),
			"  bindPW: " + yf("bindPW"),
			"  pool: " + c.beacon("forms.yaml", "pool-size-beacon-12"),
		}, "\n") + "\n",
		// Anchors set under ordinary keys, aliased under sensitive ones:
		// hidden where they are set; an ordinary anchor stays.
		"anchors.yaml": strings.Join([]string{
			"defaults:",
			"  shared: &dbpw " + yf("anchor on an ordinary key, aliased by password"),
			"  pem: &material |",
			"    " + yf("anchored block scalar, aliased by privateKey"),
			"  conn: &conn",
			"    host: db.example.com",
			"    options: " + yf("anchored mapping, aliased by credentials"),
			"  replicas: &rep " + c.beacon("anchors.yaml", "anchored-replicas-beacon-5"),
			"database:",
			"  password: *dbpw",
			"  privateKey: *material",
			"  credentials: *conn",
			"  replicas: *rep",
		}, "\n") + "\n",
		"urls.txt": strings.Join([]string{
			"origin https://" + tok("git remote token URL", ghp) + "@github.com/acme/app.git",
			"gitlab https://oauth2:" + tok("gitlab token URL", glpat) + "@gitlab.com/acme/app.git",
			"hook https://hooks.slack.com/services/T01ABCDEF/B01ABCDEF/" + tok("slack webhook path", func(m string) string { return pad(m, 24) }),
			"db postgres://app:" + tok("postgres DSN", plain("pg")) + "@db.example.com:5432/app",
			"redis redis://:" + tok("redis DSN", plain("rd")) + "@redis:6379/0",
			"s3 https://bucket.s3.amazonaws.com/o?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=" + tok("X-Amz-Signature", func(m string) string { return pad(m, 64) }),
			"blob https://acct.blob.core.windows.net/c/b?sv=2021-08-06&sig=" + tok("sig= SAS", func(m string) string { return pad(m, 43) }) + "%3D",
		}, "\n") + "\n",
		"tokens.txt": strings.Join([]string{
			tok("bare slack bot token", slackBot),
			tok("bare stripe key", stripe),
			tok("bare google api key", gcpKey),
			c.secretUpper(ClassToken, "bare AWS key id", awsID),
			"headers: map[Authorization:[Basic " + b64("admin:"+tok("Authorization Basic in Go map", plain("ba"))) + "] Content-Type:[application/json]]",
			"Set-Cookie: session=" + tok("Set-Cookie", plain("sc")) + "; Path=/; HttpOnly",
			"got " + tok("JWT in prose", jwt) + " from the issuer",
		}, "\n") + "\n",
		"secret-manifest.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: embedded\ndata:\n  blob: " +
			b64(c.secret(ClassEncoded, "Secret manifest in a ConfigMap", plain("sm"))) + "\n",
		"tls-bundle.pem": c.secret(ClassPEM, "PEM key in a ConfigMap", pemKey),
		"Corefile":       c.beacon("CoreDNS Corefile", ".:53 {\n    errors\n    kubernetes cluster.local in-addr.arpa ip6.arpa {\n       pods insecure\n    }\n    forward . /etc/resolv.conf\n}\n"),
	}
	binary := map[string]any{
		"keystore.bin": b64("\x00\x01keystore " + c.secret(ClassEncoded, "binaryData keystore", plain("ks"))),
		"creds.b64":    b64(c.secret(ClassEncoded, "binaryData text", plain("bd"))),
	}
	c.add(gvConfigMaps, map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("app-config"), "data": data, "binaryData": binary})
}

func (c *Corpus) helm() {
	s := func(where string) string {
		return c.secret(ClassEncoded, "Helm release "+where, func(m string) string { return "Hv" + m })
	}
	rel := mustJSON(map[string]any{
		"name": "web", "version": 3, "namespace": Namespace,
		"config": map[string]any{"postgresql": map[string]any{"auth": map[string]any{"password": s("values password"), "username": "web"}},
			"extraEnv": []any{map[string]any{"name": "API_KEY", "value": s("values extraEnv API_KEY")}}},
		"chart": map[string]any{"metadata": map[string]any{"name": "web", "version": "1.2.3"},
			"values":    map[string]any{"image": "web:1.2.3", "adminToken": s("chart default adminToken")},
			"templates": []any{map[string]any{"name": "templates/secret.yaml", "data": b64("apiVersion: v1\nkind: Secret\nstringData:\n  k: {{ .Values.k }}\n")}}},
		"manifest": "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: web\ndata:\n  db: " + b64(s("rendered Secret")) + "\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n",
	})
	c.add(gvConfigMaps, map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": meta("sh.helm.release.v1.web.v3", map[string]any{"labels": map[string]any{"owner": "helm", "name": "web", "status": "deployed"}}),
		"data":     map[string]any{"release": gzipB64(rel)}})
}

// PodName is the pod whose spec and logs hold canaries.
const PodName = "worker"

func (c *Corpus) pods() {
	env := func(name string, shape func(m string) string) map[string]any {
		return map[string]any{"name": name, "value": c.secret(ClassKeyName, "pod env "+name, shape)}
	}
	p := func(pre string) func(m string) string { return func(m string) string { return pre + m } }
	args := []any{
		"--db-pass=" + c.secret(ClassKeyName, "pod arg --db-pass=", p("a1")),
		"--password", c.secret(ClassKeyName, "pod arg --password x", p("a2")),
		"--token=" + c.secret(ClassKeyName, "pod arg --token=", p("a3")),
		"--client-secret", c.secret(ClassKeyName, "pod arg --client-secret x", p("a4")),
		"--log-level=" + c.beacon("pod arg", "info-beacon"),
	}
	mysql := []any{"sh", "-c", "mysql -uroot -p" + c.secret(ClassKeyName, "pod command mysql -p", p("my")) + " -h db app"}
	curl := []any{"curl", "-u", "admin:" + c.secret(ClassKeyName, "pod command curl -u", p("cu")), "https://api.example.com/health"}
	c.add(gvPods, map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": meta(PodName, map[string]any{"labels": map[string]any{"app": "worker"}}),
		"spec": map[string]any{"containers": []any{
			map[string]any{"name": "main", "image": "example.invalid/worker:1", "args": args, "env": []any{
				env("DB_PASS", p("e1")), env("LDAP_BIND_PW", p("e2")), env("ENCRYPTION_KEY", p("e3")), env("SECRET_KEY_BASE", p("e4")),
				env("AWS_SECRET_ACCESS_KEY", func(m string) string { return pad(m, 40) }), env("GITHUB_TOKEN", ghp), env("DATABASE_DSN", p("e5")),
				env("REDIS_PW", p("e6")), env("API_CREDENTIALS", p("e7")), env("SESSION_COOKIE", p("e8")),
				map[string]any{"name": "LOG_LEVEL", "value": c.beacon("pod env", "warn-beacon")},
				map[string]any{"name": "TOKEN_TTL", "value": c.beacon("pod env TOKEN_TTL", "36h-beacon")},
				map[string]any{"name": "PASSWORD_POLICY", "value": c.beacon("pod env PASSWORD_POLICY", "strong-beacon")},
			}},
			map[string]any{"name": "sidecar", "image": "example.invalid/sidecar:1", "command": mysql},
			map[string]any{"name": "probe", "image": "example.invalid/curl:1", "command": curl},
		}}})
	lg := func(where string, shape func(m string) string) string {
		return c.secret(ClassToken, "log "+where, shape)
	}
	kl := func(where string, pre string) string { return c.secret(ClassKeyName, "log "+where, p(pre)) }
	main := strings.Join([]string{
		"I1204 10:00:00.000000 1 main.go:42] starting worker",
		"I1204 10:00:01.000000 1 limiter.go:12] " + c.beacon("log line", "token bucket refilled: 100 tokens available"),
		"connecting with password=" + kl("password=", "l1"),
		`level=info msg="connect" db_pass=` + kl("logfmt db_pass", "l2"),
		`{"level":"debug","bindPW":"` + kl("json bindPW", "l3") + `","msg":"ldap"}`,
		"GET /repos Authorization: Bearer " + lg("bearer", jwt),
		"request headers: map[Authorization:[Basic " + b64("svc:"+lg("Go map Basic", p("l4"))) + "] Accept:[*/*]]",
		"cloning https://" + lg("token URL", ghp) + "@github.com/acme/infra.git",
		"posting to https://hooks.slack.com/services/T02XYZ/B02XYZ/" + lg("slack webhook", func(m string) string { return pad(m, 24) }),
		"using key " + lg("stripe", stripe) + " for billing",
		"slack client token=" + lg("slack bot", slackBot),
		"gitlab " + lg("gitlab pat", glpat),
		"maps key " + lg("google api key", gcpKey),
		"aws " + c.secretUpper(ClassToken, "log aws key id", awsID),
		"< Set-Cookie: sid=" + lg("Set-Cookie", p("l5")) + "; Path=/; Secure",
		"fetched https://b.s3.amazonaws.com/x?X-Amz-Credential=a&X-Amz-Signature=" + lg("signed URL", func(m string) string { return pad(m, 64) }),
		"dsn mysql://root:" + lg("mysql DSN", p("l6")) + "@mysql:3306/app",
		"env DB_PW=" + kl("env DB_PW", "l7") + " SECRET_KEY_BASE=" + kl("env SECRET_KEY_BASE", "l8"),
		"loaded key:",
	}, "\n") + "\n" + c.secret(ClassPEM, "log PEM key", pemKey) + "ready\n"
	c.Logs = append(c.Logs, PodLogs{Namespace: Namespace, Pod: PodName, Logs: map[string]string{"main": main}})
	lit := c.secret(ClassKeyName, "Redactor literal (allPodLogs only)", p("rl"))
	c.RedactorLiterals = append(c.RedactorLiterals, lit)
	// A line over 1 MiB (the writer's longest) with the key and its value
	// past the first MiB: a ConfigMap cannot hold it, a log can.
	long := strings.Repeat("filler-", (1<<20)/7+10) + " password=" + c.secret(ClassYAMLForm, "log line over 1 MiB", p("ll")) + " " + strings.Repeat("tail-", 1000)
	c.Logs[0].Logs["sidecar"] = "site value " + lit + " seen\n" + "mysql: [Warning] Using a password on the command line interface can be insecure.\n" + long + "\n"
}

func (c *Corpus) customResources() {
	cs := func(class, where string, pre string) string {
		return c.secret(class, where, func(m string) string { return pre + m })
	}
	// Dex storage: connector config is base64 of JSON.
	c.cr(dexConnectors, "ldap", map[string]any{"type": "ldap", "name": "LDAP", "id": "ldap",
		"config": b64(mustJSON(map[string]any{"host": "ldap.example.com:636", "bindDN": "cn=admin,dc=example,dc=com",
			"bindPW": cs(ClassCustom, "Dex connector config bindPW", "dx")}))})
	c.cr(dexConnectors, "github", map[string]any{"type": "github", "name": "GitHub", "id": "github",
		"config": b64(mustJSON(map[string]any{"clientID": "Iv1.0123456789abcdef", "clientSecret": cs(ClassCustom, "Dex connector config clientSecret", "dg"),
			"redirectURI": "https://dex.example.com/callback"}))})
	jwk := func(where string) map[string]any {
		return map[string]any{"use": "sig", "kty": "RSA", "kid": "k1", "alg": "RS256", "n": "sXchBeaconPublicModulus", "e": "AQAB",
			"d": cs(ClassCustom, where+" d", "jd"), "p": cs(ClassCustom, where+" p", "jp"), "q": cs(ClassCustom, where+" q", "jq"),
			"dp": cs(ClassCustom, where+" dp", "jdp"), "dq": cs(ClassCustom, where+" dq", "jdq"), "qi": cs(ClassCustom, where+" qi", "jqi")}
	}
	c.cr(dexSigningKeys, "openid-connect", map[string]any{"signingKey": jwk("Dex signingKey"),
		"signingKeyPub":    map[string]any{"use": "sig", "kty": "RSA", "kid": "k1", "alg": "RS256", "n": c.beacon("JWK public n", "sXchBeaconPublicModulus"), "e": "AQAB"},
		"verificationKeys": []any{map[string]any{"publicKey": map[string]any{"kty": "RSA", "n": "sXchBeaconPublicModulus", "e": "AQAB"}}},
		"nextRotation":     "2026-12-05T00:00:00Z"})
	c.cr(dexClients, "kubectl", map[string]any{"id": "kubectl", "secret": cs(ClassCustom, "Dex OAuth2Client secret", "oa"),
		"redirectURIs": []any{"http://localhost:8000"}, "name": "kubectl"})
	c.cr(dexPasswords, "admin", map[string]any{"email": "admin@example.com", "username": "admin", "userID": "08a8684b",
		"hash": b64(c.secret(ClassCustom, "Dex Password bcrypt hash", func(m string) string { return "$2a$10$" + pad(m, 53) }))})
	c.cr(dexRefresh, "rt1", map[string]any{"clientID": "kubectl", "token": cs(ClassCustom, "Dex RefreshToken token", "rt"),
		"claims": map[string]any{"email": "admin@example.com"}})

	files := func(where string) []any {
		return []any{
			map[string]any{"path": "/etc/kubernetes/encryption.yaml", "owner": "root:root", "permissions": "0600",
				"content": "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - aescbc:\n      keys:\n      - name: key1\n        secret: " +
					b64(cs(ClassCustom, where+" files[].content encryption secret", "en")) + "\n"},
			map[string]any{"path": "/etc/join.sh", "encoding": "base64",
				"content": b64("#!/bin/sh\nkubeadm join 10.0.0.1:6443 --token abcdef." + c.secretLower(ClassCustom, where+" files[].content base64 join token", func(m string) string { return padLower(m, 16) }) +
					" --discovery-token-ca-cert-hash sha256:0123\n")},
			map[string]any{"path": "/etc/registry/auth.sh", "encoding": "gzip+base64",
				"content": gzipB64("export REGISTRY_PASSWORD=" + cs(ClassCustom, where+" files[].content gzip+base64", "gz") + "\n")},
			map[string]any{"path": "/etc/pki/sa.key", "content": c.secret(ClassCustom, where+" files[].content PEM", pemKey)},
			map[string]any{"path": "/etc/motd", "content": c.beacon(where+" files[] motd", "Welcome to the beacon cluster node\n")},
		}
	}
	c.cr(kubeadmConfigs, "worker-0", map[string]any{"spec": map[string]any{
		"files": files("KubeadmConfig"),
		"users": []any{map[string]any{"name": "capv", "passwd": cs(ClassCustom, "KubeadmConfig users[].passwd", "uh"), "sshAuthorizedKeys": []any{c.beacon("KubeadmConfig sshAuthorizedKeys", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBeaconPublicKey capv@example")}}},
		"joinConfiguration": map[string]any{"discovery": map[string]any{"bootstrapToken": map[string]any{
			"token":             "abcdef." + c.secretLower(ClassCustom, "KubeadmConfig discovery bootstrapToken", func(m string) string { return padLower(m, 16) }),
			"apiServerEndpoint": c.beacon("KubeadmConfig apiServerEndpoint", "10.0.0.1:6443")}}},
	}})
	c.cr(kcps, "cp", map[string]any{"spec": map[string]any{"replicas": 3, "version": "v1.30.1",
		"kubeadmConfigSpec": map[string]any{"files": files("KubeadmControlPlane"),
			"clusterConfiguration": map[string]any{"apiServer": map[string]any{"extraArgs": map[string]any{"oidc-client-id": c.beacon("KCP oidc-client-id", "kube-apiserver-beacon")}}},
			"initConfiguration": map[string]any{"bootstrapTokens": []any{map[string]any{
				"token": "abcdef." + c.secretLower(ClassCustom, "KCP bootstrapTokens[].token", func(m string) string { return padLower(m, 16) }), "ttl": "24h0m0s"}}}}}})
	cloudInit := "#cloud-config\nwrite_files:\n- path: /etc/kubernetes/pki/ca.key\n  encoding: b64\n  content: " +
		b64(c.secret(ClassCustom, "Machine bootstrap data cloud-init ca.key", pemKey)) +
		"\nruncmd:\n- kubeadm join --token abcdef." + c.secretLower(ClassCustom, "Machine bootstrap data join token", func(m string) string { return padLower(m, 16) }) + "\n"
	c.cr(machines, "worker-0", map[string]any{"spec": map[string]any{"clusterName": "prod", "bootstrap": map[string]any{"data": b64(cloudInit)}}})
	c.cr(machines, "worker-1", map[string]any{"spec": map[string]any{"clusterName": "prod", "version": "v1.30.1",
		"bootstrap": map[string]any{"dataSecretName": c.beacon("Machine dataSecretName", "worker-1-bootstrap-beacon")}}})
	c.cr(clusters, "prod", map[string]any{"spec": map[string]any{
		"controlPlaneEndpoint": map[string]any{"host": c.beacon("Cluster endpoint", "prod-beacon.example.com"), "port": 6443},
		"clusterNetwork":       map[string]any{"pods": map[string]any{"cidrBlocks": []any{c.beacon("Cluster pod CIDR", "192.168.77.0/16")}}}}})
	c.cr(fedSecrets, "db", map[string]any{"spec": map[string]any{
		"template":  map[string]any{"type": "Opaque", "data": map[string]any{"password": b64(cs(ClassCustom, "FederatedSecret template data", "fs")), "opaque": b64(cs(ClassCustom, "FederatedSecret template data opaque", "fo"))}},
		"placement": map[string]any{"clusters": []any{map[string]any{"name": c.beacon("FederatedSecret placement", "member-beacon-1")}}}}})
	c.cr(repositories, "infra", map[string]any{"spec": map[string]any{"url": c.beacon("Repository url", "https://git.example.com/acme/infra-beacon.git"),
		"username": "git", "password": cs(ClassCustom, "Repository password", "rp"),
		"sshPrivateKey":       c.secret(ClassCustom, "Repository sshPrivateKey", pemKey),
		"githubAppPrivateKey": c.secret(ClassCustom, "Repository githubAppPrivateKey", pemKey),
		"tlsClientCertKey":    c.secret(ClassCustom, "Repository tlsClientCertKey", pemKey),
		"bearerToken":         cs(ClassCustom, "Repository bearerToken", "bt"),
		"keyName":             c.beacon("Repository keyName", "deploy-key-beacon"),
		"publicKey":           c.beacon("Repository publicKey", "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABBeaconPublic repo@example"),
		"tokenTTL":            c.beacon("Repository tokenTTL", "72h-ttl-beacon"),
		"passwordPolicy":      c.beacon("Repository passwordPolicy", "rotate-beacon-90d"),
		"caBundle":            c.beacon("Repository caBundle", b64(certPEM)),
	}})
}

// lastApplied: objects applied client-side, whose annotation holds values
// the live object no longer has.
func (c *Corpus) lastApplied() {
	la := func(where string, pre string) string {
		return c.secret(ClassStructure, "last-applied "+where, func(m string) string { return pre + m })
	}
	cm := map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "applied-config", "namespace": Namespace},
		"data": map[string]any{"db.yaml": "password: " + la("ConfigMap data db.yaml", "lc") + "\n", "mode": "fast"}}
	c.add(gvConfigMaps, map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("applied-config", lastApplied(cm)),
		"data": map[string]any{"db.yaml": "password: " + mask0 + "\n", "mode": "fast"}})

	sec := map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "applied-secret", "namespace": Namespace},
		"data": map[string]any{"blob": b64(la("Secret data", "ls"))}, "stringData": map[string]any{"s": la("Secret stringData", "lt")}}
	c.add(gvSecrets, map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": meta("applied-secret", lastApplied(sec)),
		"data": map[string]any{"blob": b64("rotated")}})

	tmpl := func(env []any) map[string]any {
		return map[string]any{"metadata": map[string]any{"labels": map[string]any{"app": "api"}},
			"spec": map[string]any{"containers": []any{map[string]any{"name": "api", "image": "example.invalid/api:1", "env": env,
				"args": []any{"--db-password=" + la("Deployment args", "la")}}}}}
	}
	dep := map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "api", "namespace": Namespace},
		"spec": map[string]any{"replicas": 0, "selector": map[string]any{"matchLabels": map[string]any{"app": "api"}},
			"template": tmpl([]any{map[string]any{"name": "OIDC_CLIENT_SECRET", "value": la("Deployment env", "le")},
				map[string]any{"name": "SMTP_PW", "value": la("Deployment env SMTP_PW", "lw")}})}}
	live := map[string]any{"replicas": 0, "selector": map[string]any{"matchLabels": map[string]any{"app": "api"}},
		"template": map[string]any{"metadata": map[string]any{"labels": map[string]any{"app": "api"}},
			"spec": map[string]any{"containers": []any{map[string]any{"name": "api", "image": "example.invalid/api:1"}}}}}
	c.add(gvDeployments, map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta("api", lastApplied(dep)), "spec": live})

	repo := map[string]any{"apiVersion": repositories.Group + "/v1", "kind": repositories.Kind, "metadata": map[string]any{"name": "applied-repo", "namespace": Namespace},
		"spec": map[string]any{"url": "https://git.example.com/x.git", "password": la("custom resource password", "lr"),
			"config": b64(mustJSON(map[string]any{"token": la("custom resource encoded token", "lk")}))}}
	c.add(repositories.GVR(), map[string]any{"apiVersion": repositories.Group + "/v1", "kind": repositories.Kind, "metadata": meta("applied-repo", lastApplied(repo)),
		"spec": map[string]any{"url": "https://git.example.com/x.git"}})
}

const mask0 = "changed-since"

// vocabulary: key names outside the old word list, as fields of a custom
// resource, as YAML in a ConfigMap, and as a Deployment's env.
func (c *Corpus) vocabulary() {
	names := []string{"dbPass", "adminPW", "bindPW", "pass", "encryptionKey", "secretKeyBase", "licenseKey", "auth",
		"credentials", "cookie", "dsn", "signingKey", "privateKey", "clientSecret", "sessionToken", "hmacKey",
		"masterKey", "sharedKey", "apiKey", "accessKey", "passphrase", "connectionString"}
	fields := map[string]any{}
	yamlLines := []string{"settings:"}
	var env []any
	for _, n := range names {
		fields[n] = c.secret(ClassKeyName, "AppSettings spec."+n, func(m string) string { return "Vf" + m })
		yamlLines = append(yamlLines, "  "+n+": "+c.secret(ClassKeyName, "ConfigMap settings.yaml "+n, func(m string) string { return "Vy" + m }))
	}
	for _, n := range []string{"DB_PASS", "LDAP_PW", "ADMIN_PWD", "ENCRYPTION_KEY", "SECRET_KEY_BASE", "LICENSE_KEY", "SENTRY_DSN", "OAUTH_CLIENT_SECRET"} {
		env = append(env, map[string]any{"name": n, "value": c.secret(ClassKeyName, "Deployment env "+n, func(m string) string { return "Vd" + m })})
	}
	fields["keyName"] = c.beacon("AppSettings keyName", "settings-key-beacon")
	fields["tokenTTL"] = c.beacon("AppSettings tokenTTL", "48h-settings-beacon")
	c.cr(repositories, "settings", map[string]any{"spec": fields})
	c.add(gvConfigMaps, map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("settings"),
		"data": map[string]any{"settings.yaml": strings.Join(yamlLines, "\n") + "\n"}})
	c.add(gvDeployments, map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta("worker-env"),
		"spec": map[string]any{"replicas": 0, "selector": map[string]any{"matchLabels": map[string]any{"app": "worker-env"}},
			"template": map[string]any{"metadata": map[string]any{"labels": map[string]any{"app": "worker-env"}},
				"spec": map[string]any{"containers": []any{map[string]any{"name": "w", "image": "example.invalid/w:1", "env": env}}}}}})
}

// beacons: the cluster's own configuration support reads first.
func (c *Corpus) beacons() {
	kubeadm := "apiServer:\n  certSANs:\n  - " + c.beacon("kubeadm ClusterConfiguration certSANs", "api-beacon.example.com") +
		"\napiVersion: kubeadm.k8s.io/v1beta3\ncertificatesDir: /etc/kubernetes/pki\nclusterName: " + c.beacon("kubeadm clusterName", "beacon-cluster") +
		"\ncontrolPlaneEndpoint: cp-beacon.example.com:6443\nkind: ClusterConfiguration\nnetworking:\n  dnsDomain: cluster.local\n  serviceSubnet: " +
		c.beacon("kubeadm serviceSubnet", "10.96.77.0/12") + "\n"
	c.add(gvConfigMaps, map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "kubeadm-config-beacon", "namespace": "kube-system"},
		"data": map[string]any{"ClusterConfiguration": kubeadm}})
	proxy := "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nclusterCIDR: " + c.beacon("kube-proxy clusterCIDR", "192.168.88.0/16") +
		"\nmode: " + c.beacon("kube-proxy mode", "ipvs") + "\nclientConnection:\n  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf\n"
	c.add(gvConfigMaps, map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "kube-proxy-beacon", "namespace": "kube-system"},
		"data": map[string]any{"config.conf": proxy}})
	c.add(gvConfigMaps, map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "ca-beacon", "namespace": Namespace},
		"data": map[string]any{"ca.crt": c.beacon("CA bundle in a ConfigMap", certPEM)}})
}

// Leak is a canary found in a bundle file.
type Leak struct {
	Canary
	File string
	Form string // "plain" or "decoded"
}

// Check searches every file for every canary (plain, JSON-unescaped, and
// base64/gzip-decoded, recursively) and for every beacon (plain or
// JSON-unescaped). It returns the leaks and the beacons not found.
func (c *Corpus) Check(files map[string][]byte) (leaks []Leak, missing []Beacon) {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var all strings.Builder
	for _, name := range names {
		plain := string(files[name])
		text := plain + "\n" + unescape(plain)
		all.WriteString(text)
		decoded := Decoded(text, 0)
		for _, k := range c.Canaries {
			switch {
			case strings.Contains(text, k.Marker):
				leaks = append(leaks, Leak{Canary: k, File: name, Form: "plain"})
			case strings.Contains(decoded, k.Marker):
				leaks = append(leaks, Leak{Canary: k, File: name, Form: "decoded"})
			}
		}
	}
	everything := all.String()
	for _, b := range c.Beacons {
		if !strings.Contains(everything, b.Text) {
			missing = append(missing, b)
		}
	}
	return leaks, missing
}

var unescaper = strings.NewReplacer(`\n`, "\n", `\"`, `"`, `\\`, `\`, `\t`, "\t", `\u003c`, "<", `\u003e`, ">", `\u0026`, "&", `\u003d`, "=")

func unescape(s string) string {
	// Two levels: JSON in a JSON string (last-applied-configuration).
	return unescaper.Replace(unescaper.Replace(s))
}

// Decoded returns the base64 (standard or URL alphabet) decodings of every
// token of text that decodes, gunzipped when gzip, decoded again
// recursively (up to 4 levels) — what anyone holding the bundle could read.
func Decoded(text string, depth int) string {
	if depth > 4 {
		return ""
	}
	var b strings.Builder
	for _, tok := range strings.FieldsFunc(text, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '+' || r == '/' || r == '=' || r == '-' || r == '_')
	}) {
		if len(tok) < 8 {
			continue
		}
		// A token may be glued to what precedes it (\nMII…, key=…): try
		// a few starting offsets.
		for off := 0; off < 4 && off < len(tok)-8; off++ {
			dec, ok := decode64(tok[off:])
			if !ok {
				continue
			}
			if len(dec) > 2 && dec[0] == 0x1f && dec[1] == 0x8b {
				if zr, err := gzip.NewReader(bytes.NewReader(dec)); err == nil {
					var out bytes.Buffer
					if _, err := out.ReadFrom(zr); err == nil {
						dec = out.Bytes()
					}
				}
			}
			if !utf8.Valid(dec) {
				continue // binary: nothing a reader could search
			}
			s := string(dec)
			b.WriteString("\n" + s + "\n" + unescape(s) + "\n")
			b.WriteString(Decoded(s+"\n"+unescape(s), depth+1))
		}
	}
	return b.String()
}

func decode64(tok string) ([]byte, bool) {
	t := strings.TrimRight(tok, "=")
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		// Drop a trailing partial quantum: what is before it still decodes.
		u := t[:len(t)-len(t)%4]
		if len(t)%4 >= 2 {
			u = t
		}
		if dec, err := enc.DecodeString(u); err == nil {
			return dec, true
		}
	}
	return nil, false
}

// Summary counts canaries by class.
func (c *Corpus) Summary() map[string]int {
	m := map[string]int{}
	for _, k := range c.Canaries {
		m[k.Class]++
	}
	return m
}
