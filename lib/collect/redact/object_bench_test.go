package redact

import (
	"strings"
	"testing"
)

// benchPodItem is a clean pod as the API server lists it (no kind: a list
// item), with managed fields, env, a projected token volume.
var benchPodItem = []byte(`{"metadata":{"name":"app-1-5d8f7c9b4-0a3f1","generateName":"app-1-5d8f7c9b4-","namespace":"bench-001","uid":"0b7c6e2a-8f0d-4a4e-9a55-00000000002a","resourceVersion":"10042","creationTimestamp":"2026-11-25T06:00:00Z","labels":{"app":"app-1","pod-template-hash":"5d8f7c9b4"},"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"app-1-5d8f7c9b4","uid":"5f1c","controller":true}],` +
	`"managedFields":[{"manager":"kube-controller-manager","operation":"Update","apiVersion":"v1","time":"2026-11-25T06:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:generateName":{},"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"app\"}":{".":{},"f:env":{}}}}}}]},` +
	`"spec":{"volumes":[{"name":"kube-api-access-x","projected":{"sources":[{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},{"configMap":{"name":"kube-root-ca.crt","items":[{"key":"ca.crt","path":"ca.crt"}]}}],"defaultMode":420}}],` +
	`"containers":[{"name":"app","image":"registry.example/bench/app:1.0","env":[{"name":"NAMESPACE","value":"bench-001"},{"name":"LOG_LEVEL","value":"info"},{"name":"DB_PASSWORD","valueFrom":{"secretKeyRef":{"name":"db","key":"password"}}}],` +
	`"resources":{"requests":{"cpu":"10m"}},"volumeMounts":[{"name":"kube-api-access-x","readOnly":true,"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}],"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"}],` +
	`"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","nodeSelector":{"type":"kwok"},"serviceAccountName":"default","serviceAccount":"default","automountServiceAccountToken":true,"nodeName":"kwok-node-2","securityContext":{},"schedulerName":"default-scheduler",` +
	`"tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}],"priority":0,"enableServiceLinks":true,"preemptionPolicy":"PreemptLowerPriority"},` +
	`"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-25T06:00:01Z"}],"hostIP":"10.0.0.2","podIP":"10.244.1.7","startTime":"2026-11-25T06:00:00Z","containerStatuses":[{"name":"app","state":{"running":{"startedAt":"2026-11-25T06:00:01Z"}},"ready":true,"restartCount":0,"image":"registry.example/bench/app:1.0","imageID":"","started":true}],"qosClass":"Burstable"}}`)

// benchConfigMap is a kube-system config map: text values scanned.
var benchConfigMap = []byte(`{"metadata":{"name":"coredns","namespace":"kube-system"},"data":{"Corefile":".:53 {\n    errors\n    health {\n       lameduck 5s\n    }\n    ready\n    kubernetes cluster.local in-addr.arpa ip6.arpa {\n       pods insecure\n       fallthrough in-addr.arpa ip6.arpa\n       ttl 30\n    }\n    prometheus :9153\n    forward . /etc/resolv.conf {\n       max_concurrent 1000\n    }\n    cache 30\n    loop\n    reload\n    loadbalance\n}\n"}}`)

// BenchmarkObject is the structure pass's cost per object (Set.Object),
// clean objects only: what every list item pays.
func BenchmarkObject(b *testing.B) {
	s := mustNew(b, nil, true)
	for _, c := range []struct {
		name, kind string
		obj        []byte
	}{{"pod", "Pod", benchPodItem}, {"configmap", "ConfigMap", benchConfigMap}} {
		b.Run(c.name, func(b *testing.B) {
			if out := s.Object("f.json", c.kind, c.obj); &out[0] != &c.obj[0] {
				b.Fatalf("the benchmark object is not clean: %s", out)
			}
			b.SetBytes(int64(len(c.obj)))
			b.ReportAllocs()
			for range b.N {
				s.Object("f.json", c.kind, c.obj)
			}
		})
	}
}

// BenchmarkObjectHelmRelease: a Helm release config map (base64 of gzip of
// a 200 KB release) decoded and scanned.
func BenchmarkObjectHelmRelease(b *testing.B) {
	s := mustNew(b, nil, true)
	rel := jsonString(b, map[string]any{"name": "web", "config": map[string]any{"replicas": 2},
		"manifest": strings.Repeat("---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n  - port: 80\n", 2000)})
	obj := []byte(`{"metadata":{"name":"sh.helm.release.v1.web.v1","labels":{"owner":"helm"}},"data":{"release":"` + gzB64(b, rel) + `"}}`)
	b.SetBytes(int64(len(rel)))
	b.ReportAllocs()
	for range b.N {
		s.Object("f.json", "ConfigMap", obj)
	}
}
