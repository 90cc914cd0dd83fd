package redact

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"
)

// mixedLogs is what the pod logs of a real management cluster look like,
// for the throughput of the line redactor: klog lines of controllers,
// structured JSON logs (zap/logr), ingress-nginx access logs, and about one
// line in a hundred holding a secret in one of the shapes the rules know.
// The ordinary lines carry the words real logs are full of ("token",
// "secret", "key", "auth", URLs, "@"), because those are what make the
// keyword prefilter let a line through to the regexes.
//
// It uses only what every version of this package has had (benchBytes,
// mustNew), so that the benchmark can be run unchanged on older commits.

var (
	mixedOnce  sync.Once
	mixedInput []byte
	mixedMarks []string // a secret of each kind the corpus holds
)

func mixedLogs() ([]byte, []string) {
	mixedOnce.Do(func() { mixedInput, mixedMarks = genMixedLogs(8 << 20) })
	return mixedInput, mixedMarks
}

// genMixedLogs returns about size bytes of mixed logs and, for the test,
// one secret of each kind written into them.
func genMixedLogs(size int) ([]byte, []string) {
	r := rand.New(rand.NewPCG(12, 34))
	pick := func(ss ...string) string { return ss[r.IntN(len(ss))] }
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	rnd := func(alpha string, n int) string {
		s := make([]byte, n)
		for i := range s {
			s[i] = alpha[r.IntN(len(alpha))]
		}
		return string(s)
	}
	hex := func(n int) string { return rnd("0123456789abcdef", n) }
	uid := func() string { return hex(8) + "-" + hex(4) + "-" + hex(4) + "-" + hex(4) + "-" + hex(12) }
	ns := func() string {
		return pick("kube-system", "capi-system", "capa-system", "cert-manager", "kommander", "flux-system", "ingress-nginx", "default", "monitoring")
	}
	name := func() string {
		return pick("workload-1", "mgmt", "cluster-a", "prod-eu", "edge-17") + "-" + pick("md-0", "control-plane", "worker", "etcd") + "-" + hex(5)
	}
	t0 := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	var b bytes.Buffer
	seen := map[string]string{}
	mark := func(kind, secret string) string {
		if _, ok := seen[kind]; !ok {
			seen[kind] = secret
		}
		return secret
	}

	klog := func(t time.Time) {
		fmt.Fprintf(&b, "%s%s %s       1 %s] ", pick("I", "I", "I", "W", "E"), t.Format("0102"), t.Format("15:04:05.000000"),
			pick("controller.go:324", "machine_controller.go:711", "reconcile.go:88", "leaderelection.go:258", "cache.go:143", "secret_controller.go:52"))
		switch r.IntN(8) {
		case 0:
			fmt.Fprintf(&b, "\"Reconciling\" controller=%q controllerGroup=\"cluster.x-k8s.io\" controllerKind=\"Machine\" Machine=\"%s/%s\" namespace=%q name=%q reconcileID=%q\n",
				pick("machine", "machineset", "cluster", "kubeadmconfig"), ns(), name(), ns(), name(), uid())
		case 1:
			fmt.Fprintf(&b, "\"Reconciler error\" err=\"failed to get secret %s/%s-kubeconfig: secrets \\\"%s-kubeconfig\\\" not found\" controller=\"cluster\" key=\"%s/%s\" reconcileID=%q\n",
				ns(), name(), name(), ns(), name(), uid())
		case 2:
			fmt.Fprintf(&b, "successfully acquired lease %s/%s-leader-election\n", ns(), pick("capi", "cert-manager", "kommander"))
		case 3:
			fmt.Fprintf(&b, "\"Watch close - *v1.Secret total %d items received\" reflector=\"k8s.io/client-go/informers/factory.go:160\"\n", r.IntN(900))
		case 4:
			fmt.Fprintf(&b, "\"Token request for service account\" serviceAccount=\"%s/default\" audiences=[\"https://kubernetes.default.svc.cluster.local\"] expirationSeconds=3607\n", ns())
		case 5:
			fmt.Fprintf(&b, "\"Syncing\" key=\"%s/%s\" lastSyncResourceVersion=\"%d\" auth=\"serviceaccount\" url=\"https://10.96.0.1:443/api/v1/namespaces/%s/secrets?resourceVersion=%d\"\n",
				ns(), name(), r.IntN(1e7), ns(), r.IntN(1e7))
		case 6:
			fmt.Fprintf(&b, "\"Update ownerRef\" object=\"%s/%s\" owner=\"infrastructure.cluster.x-k8s.io/v1beta2, Kind=AWSMachine\" ownerKey=\"%s\" tokenTTL=\"24h\" secretName=\"%s-bootstrap\"\n",
				ns(), name(), uid(), name())
		default:
			fmt.Fprintf(&b, "\"Node is ready\" node=\"ip-10-0-%d-%d.us-west-2.compute.internal\" providerID=\"aws:///us-west-2a/i-%s\" kubeletVersion=\"v1.29.%d\"\n",
				r.IntN(255), r.IntN(255), hex(17), r.IntN(9))
		}
	}
	jsonLog := func(t time.Time) {
		fmt.Fprintf(&b, `{"level":"%s","ts":"%s","logger":"%s","msg":`, pick("info", "info", "debug", "error"), t.Format(time.RFC3339Nano),
			pick("controllers.Cluster", "controller-runtime.webhook", "kommander.appdeployment", "flux.kustomize", "cert-manager.certificates-issuing"))
		switch r.IntN(6) {
		case 0:
			fmt.Fprintf(&b, `"Reconciliation finished in %dms, next run in 10m0s","controller":"kustomization","namespace":"%s","name":"%s","reconcileID":"%s","revision":"main@sha1:%s"}`+"\n",
				r.IntN(900), ns(), name(), uid(), hex(40))
		case 1:
			fmt.Fprintf(&b, `"serving webhook server","host":"","port":9443,"certDir":"/tmp/k8s-webhook-server/serving-certs","tlsMinVersion":"1.2"}`+"\n")
		case 2:
			fmt.Fprintf(&b, `"issuing certificate","resource_name":"%s","resource_namespace":"%s","resource_kind":"Certificate","secret_name":"%s-tls","private_key_algorithm":"ECDSA","key_size":256}`+"\n",
				name(), ns(), name())
		case 3:
			fmt.Fprintf(&b, `"Starting workers","controller":"appdeployment","worker count":%d,"cache":{"syncPeriod":"10h0m0s","namespaces":["%s","%s"]}}`+"\n", 1+r.IntN(9), ns(), ns())
		case 4:
			fmt.Fprintf(&b, `"http request","method":"GET","path":"/apis/%s/namespaces/%s/%s","status":%s,"userAgent":"kubectl/v1.29.4 (linux/amd64) kubernetes/%s","latency":"%dms","auth":"x509"}`+"\n",
				pick("apps/v1", "cluster.x-k8s.io/v1beta1", "v1"), ns(), pick("deployments", "machines", "secrets", "configmaps"), pick("200", "200", "404", "409"), hex(7), r.IntN(200))
		default:
			fmt.Fprintf(&b, `"Reconciler error","error":"Operation cannot be fulfilled on machines.cluster.x-k8s.io \"%s\": the object has been modified; please apply your changes to the latest version and try again","controller":"machine","key":{"name":"%s","namespace":"%s"}}`+"\n",
				name(), name(), ns())
		}
	}
	nginx := func(t time.Time) {
		path := pick("/", "/dkp/kommander/dashboard/", "/dkp/api/v1/clusters", "/token", "/dex/auth?client_id=kube-apiserver&redirect_uri=https%3A%2F%2Fdkp.example.com%2Fcallback&response_type=code&scope=openid+email+groups&state="+hex(12),
			"/dkp/grafana/api/datasources/proxy/1/api/v1/query_range?query=sum(rate(container_cpu_usage_seconds_total[5m]))&start="+fmt.Sprint(t.Unix()),
			"/static/js/main."+hex(8)+".chunk.js", "/healthz", "/dkp/alertmanager/api/v2/alerts?silenced=false")
		fmt.Fprintf(&b, "10.%d.%d.%d - %s [%s] \"%s %s HTTP/%s\" %s %d \"%s\" \"%s\" %d %.3f [%s-%s-%s] [] 10.244.%d.%d:%s %d %.3f %s %s\n",
			r.IntN(255), r.IntN(255), r.IntN(255), pick("-", "-", "-", "admin@example.com"), t.Format("02/Jan/2006:15:04:05 -0700"),
			pick("GET", "GET", "GET", "POST", "PUT"), path, pick("1.1", "2.0"), pick("200", "200", "200", "304", "302", "401", "404", "502"), r.IntN(50000),
			pick("-", "https://dkp.example.com/dkp/kommander/dashboard/", "https://dkp.example.com/dex/auth/ldap/login?back=&state="+hex(10)),
			pick("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "kube-probe/1.29", "Prometheus/2.53.1", "curl/8.5.0", "Go-http-client/2.0"),
			300+r.IntN(2000), r.Float64()/10, ns(), pick("kommander-kubeaddons-dashboard", "dex", "grafana", "traefik"), pick("80", "443", "8080", "5556"), r.IntN(255), r.IntN(255),
			pick("8080", "5556", "3000", "9093"), r.IntN(50000), r.Float64()/10, pick("200", "200", "304", "502"), hex(32))
	}
	secret := func(t time.Time) {
		switch r.IntN(12) {
		case 0:
			fmt.Fprintf(&b, "time=\"%s\" level=debug msg=\"opening database\" dsn=\"postgres://app:%s@db.%s.svc:5432/app?sslmode=disable\"\n",
				t.Format(time.RFC3339), mark("url-password", rnd(alnum, 18)), ns())
		case 1:
			fmt.Fprintf(&b, "I%s %s       1 client.go:77] \"Sending request\" headers={\"Authorization\":[\"Bearer %s\"],\"Accept\":[\"application/json\"]}\n",
				t.Format("0102"), t.Format("15:04:05.000000"), mark("bearer", rnd(alnum, 40)))
		case 2:
			fmt.Fprintf(&b, `{"level":"error","ts":"%s","msg":"login failed","user":"admin","password":"%s","attempt":%d}`+"\n",
				t.Format(time.RFC3339Nano), mark("json-password", rnd(alnum, 14)), r.IntN(5))
		case 3:
			fmt.Fprintf(&b, "+ git clone https://%s@github.com/example/gitops.git /workspace\n", mark("github-pat", "ghp_"+rnd(alnum, 36)))
		case 4:
			fmt.Fprintf(&b, "export AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s\n", mark("aws-key-id", "AKIA"+rnd("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)), mark("aws-secret", rnd(alnum, 40)))
		case 5:
			fmt.Fprintf(&b, "10.0.3.4 - - [%s] \"GET /api/export?api_key=%s&format=csv HTTP/1.1\" 200 512 \"-\" \"python-requests/2.31\"\n",
				t.Format("02/Jan/2006:15:04:05 -0700"), mark("api-key-query", rnd(alnum, 32)))
		case 6:
			fmt.Fprintf(&b, "level=info msg=\"notify\" url=https://hooks.slack.com/services/T%s/B%s/%s\n", rnd("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 8),
				rnd("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 10), mark("slack-webhook", rnd(alnum, 24)))
		case 7:
			fmt.Fprintf(&b, `{"level":"debug","msg":"token refreshed","id_token":"eyJhbGciOiJSUzI1NiIsImtpZCI6I%s.eyJpc3MiOiJodHRwczovL2RleC5leGFtcGxlLmNvbSIsInN1YiI6I%s.%s"}`+"\n",
				rnd(alnum, 12), mark("jwt", rnd(alnum, 20)), rnd(alnum, 43))
		case 8:
			fmt.Fprintf(&b, "E%s %s       1 payments.go:41] charge failed: stripe key %s rejected\n", t.Format("0102"), t.Format("15:04:05.000000"),
				mark("stripe", "sk_live_"+rnd(alnum, 24)))
		case 9:
			fmt.Fprintf(&b, "I%s %s       1 flags.go:64] FLAG: --db-password=%q\n", t.Format("0102"), t.Format("15:04:05.000000"), mark("flag-password", rnd(alnum, 16)))
		case 10:
			fmt.Fprintf(&b, "  client_secret: %s\n", mark("client-secret", rnd(alnum, 24)))
		default:
			fmt.Fprintf(&b, "level=warn msg=\"using static token\" gitlab_token=%s\n", mark("gitlab-pat", "glpat-"+rnd(alnum, 20)))
		}
	}
	for i := 0; b.Len() < size; i++ {
		t := t0.Add(time.Duration(i) * 7 * time.Millisecond)
		switch n := r.IntN(100); {
		case n < 1:
			secret(t)
		case n < 41:
			klog(t)
		case n < 70:
			jsonLog(t)
		default:
			nginx(t)
		}
	}
	var marks []string
	for _, s := range seen {
		marks = append(marks, s)
	}
	return b.Bytes(), marks
}

// BenchmarkMixedLogs: the built-in rules on ~8 MiB of mixed pod logs
// (klog, JSON, ingress-nginx; ~1 % of lines with a secret). This is the
// redactor's throughput figure (MB/s) in docs/redaction.md.
func BenchmarkMixedLogs(b *testing.B) {
	in, _ := mixedLogs()
	benchBytes(b, mustNew(b, nil, true), "allPodLogs/kube-system/mixed.log", in)
}

// TestMixedLogsSecretsGone: the mixed benchmark corpus keeps none of the
// secrets written into it, and its ordinary lines stay as they were.
func TestMixedLogsSecretsGone(t *testing.T) {
	in, marks := genMixedLogs(1 << 20)
	if len(marks) < 12 {
		t.Fatalf("corpus holds %d kinds of secret, want 12", len(marks))
	}
	out := redactString(t, mustNew(t, nil, true), "x.log", string(in))
	for _, m := range marks {
		if strings.Contains(out, m) {
			t.Errorf("output still contains secret %q", m)
		}
	}
	for _, keep := range []string{"tokenTTL=\"24h\"", "successfully acquired lease", "kube-probe/1.29", "\"key_size\":256"} {
		if !strings.Contains(out, keep) {
			t.Errorf("ordinary text %q was redacted", keep)
		}
	}
}
