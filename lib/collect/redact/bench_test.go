package redact

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

// corpus builds a deterministic, realistic bundle-like input of about size
// bytes: controller logs (klog and JSON), indented Kubernetes JSON lists
// (pods with env, args, annotations) and YAML, with a secret here and there.
func corpus(size int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	word := func() string {
		ws := []string{"cluster", "machine", "node", "kube-system", "capi", "etcd", "worker", "control-plane",
			"reconcile", "status", "ready", "deployment", "replica", "volume", "network", "cni", "calico", "default"}
		return ws[r.IntN(len(ws))]
	}
	hex := func(n int) string {
		const h = "0123456789abcdef"
		s := make([]byte, n)
		for i := range s {
			s[i] = h[r.IntN(16)]
		}
		return string(s)
	}
	klog := func() {
		fmt.Fprintf(&b, "I0612 10:%02d:%02d.%06d       1 %s.go:%d] \"Reconciling\" controller=%q %s=\"%s/%s-%s\" reconcileID=%q generation=%d\n",
			r.IntN(60), r.IntN(60), r.IntN(1e6), word(), r.IntN(900), word(), word(), word(), word(), hex(5),
			hex(8)+"-"+hex(4)+"-"+hex(4)+"-"+hex(12), r.IntN(20))
	}
	jsonLog := func() {
		fmt.Fprintf(&b, `{"level":"info","ts":"2024-06-12T10:%02d:%02d.%03dZ","logger":"controllers.%s","msg":"Successfully reconciled %s","%s":{"name":"%s-%s","namespace":"%s"},"duration":"%dms"}`+"\n",
			r.IntN(60), r.IntN(60), r.IntN(1000), word(), word(), word(), word(), hex(5), word(), r.IntN(500))
	}
	secretLine := func() {
		switch r.IntN(8) {
		case 0:
			fmt.Fprintf(&b, "time=\"2024-06-12T10:00:00Z\" level=debug msg=\"connecting\" url=postgres://app:%s@db.%s:5432/app\n", hex(16), word())
		case 1:
			fmt.Fprintf(&b, "  Authorization: Bearer %s\n", hex(40))
		case 2:
			fmt.Fprintf(&b, "E0612 10:00:00.000000 1 auth.go:12] login failed for user=admin password=%s\n", hex(12))
		case 3:
			fmt.Fprintf(&b, "    token: eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ%s.%s\n", hex(20), hex(30))
		case 4:
			fmt.Fprintf(&b, "export AWS_ACCESS_KEY_ID=AKIA%s\n", strings.ToUpper(hex(16)))
		case 5:
			fmt.Fprintf(&b, "-----BEGIN RSA PRIVATE KEY-----\n")
			for i := 0; i < 5; i++ {
				fmt.Fprintf(&b, "%s\n", strings.Repeat("MIIEpAIBAAKCAQEA", 4))
			}
			fmt.Fprintf(&b, "-----END RSA PRIVATE KEY-----\n")
		case 6:
			fmt.Fprintf(&b, "client_secret: %s\n", hex(24))
		default:
			fmt.Fprintf(&b, "I0612 10:00:00.000000 1 x.go:1] password reset page loaded for %s\n", word())
		}
	}
	pods := func() {
		var items []any
		for i := 0; i < 3; i++ {
			env := []any{
				map[string]any{"name": "POD_NAMESPACE", "valueFrom": map[string]any{"fieldRef": map[string]any{"fieldPath": "metadata.namespace"}}},
				map[string]any{"name": "LOG_LEVEL", "value": "info"},
			}
			if r.IntN(4) == 0 {
				env = append(env, map[string]any{"name": "DB_PASSWORD", "value": hex(16)})
			}
			items = append(items, map[string]any{
				"apiVersion": "v1", "kind": "Pod",
				"metadata": map[string]any{
					"name": word() + "-" + hex(5), "namespace": word(), "uid": hex(8) + "-" + hex(4),
					"labels":      map[string]any{"app.kubernetes.io/name": word(), "pod-template-hash": hex(10)},
					"annotations": map[string]any{"kubectl.kubernetes.io/restartedAt": "2024-06-12T10:00:00Z"},
				},
				"spec": map[string]any{
					"automountServiceAccountToken": true,
					"serviceAccountName":           word(),
					"tolerations":                  []any{map[string]any{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"}},
					"containers": []any{map[string]any{
						"name": word(), "image": "registry.k8s.io/" + word() + ":v1.2." + fmt.Sprint(r.IntN(9)),
						"args":         []any{"--leader-elect", "--metrics-bind-addr=:8080", "--v=2"},
						"env":          env,
						"volumeMounts": []any{map[string]any{"name": "kube-api-access-" + hex(5), "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": true}},
						"resources":    map[string]any{"requests": map[string]any{"cpu": "100m", "memory": "128Mi"}},
					}},
					"volumes": []any{map[string]any{"name": "kube-api-access-" + hex(5), "projected": map[string]any{"sources": []any{
						map[string]any{"serviceAccountToken": map[string]any{"expirationSeconds": 3607, "path": "token"}},
					}}}},
				},
				"status": map[string]any{"phase": "Running", "podIP": fmt.Sprintf("10.%d.%d.%d", r.IntN(255), r.IntN(255), r.IntN(255)),
					"conditions": []any{map[string]any{"type": "Ready", "status": "True", "lastTransitionTime": "2024-06-12T10:00:00Z"}}},
			})
		}
		data, _ := json.MarshalIndent(map[string]any{"kind": "PodList", "apiVersion": "v1", "items": items}, "", "  ")
		b.Write(data)
		b.WriteByte('\n')
	}
	yamlDoc := func() {
		fmt.Fprintf(&b, "apiVersion: cluster.x-k8s.io/v1beta1\nkind: Machine\nmetadata:\n  name: %s-%s\n  namespace: %s\nspec:\n  clusterName: %s\n  version: v1.29.%d\n  bootstrap:\n    dataSecretName: %s-bootstrap\nstatus:\n  phase: Running\n---\n",
			word(), hex(5), word(), word(), r.IntN(9), word())
	}
	for b.Len() < size {
		switch n := r.IntN(100); {
		case n < 45:
			klog()
		case n < 70:
			jsonLog()
		case n < 72:
			pods()
		case n < 74:
			yamlDoc()
		case n < 76:
			secretLine()
		default:
			klog()
		}
	}
	return b.Bytes()
}

var (
	benchOnce  sync.Once
	benchInput []byte
)

func benchCorpus() []byte {
	benchOnce.Do(func() { benchInput = corpus(10 << 20) })
	return benchInput
}

// benchWriter is benchBytes on the mixed corpus.
func benchWriter(b *testing.B, s *Set, p string) {
	benchBytes(b, s, p, benchCorpus())
}

// BenchmarkWriter: the built-in rules on ~10 MB of mixed logs and JSON.
func BenchmarkWriter(b *testing.B) {
	benchWriter(b, mustNew(b, nil, true), "allPodLogs/kube-system/capi-controller.log")
}

// BenchmarkWriterCustom: built-ins plus typical custom rules.
func BenchmarkWriterCustom(b *testing.B) {
	s := mustNew(b, []*spec.Redact{
		{Name: "values", Removals: spec.Removals{Values: []string{"supersecretvalue", "another-one"}}},
		{Name: "ip", Removals: spec.Removals{Regex: []spec.Regex{{Redactor: `(?P<mask>\b10\.\d+\.\d+\.\d+\b)`}}}},
		{Name: "ceph", Removals: spec.Removals{Regex: []spec.Regex{{Selector: `(?i)"entity": *"(osd|client|mgr)\..*[0-9]+"`, Redactor: `(?i)("key": *")(?P<mask>.{20}.*==)(")`}}}},
	}, true)
	benchWriter(b, s, "allPodLogs/kube-system/capi-controller.log")
}

// BenchmarkPassThrough: a nil Set, for reference.
func BenchmarkPassThrough(b *testing.B) {
	var s *Set
	benchWriter(b, s, "x.log")
}

// TestCorpusSecretsGone: the benchmark corpus keeps no secret it contains.
func TestCorpusSecretsGone(t *testing.T) {
	in := corpus(1 << 20)
	out := redactString(t, mustNew(t, nil, true), "x.log", string(in))
	for _, bad := range []string{"MIIEpAIBAAKCAQEA", "AKIA", "eyJzdWIi", "password=0", "password=1"} {
		if strings.Contains(out, bad) {
			t.Errorf("output still contains %q", bad)
		}
	}
	if !strings.Contains(out, "password reset page loaded") {
		t.Error("prose about passwords was redacted")
	}
}
