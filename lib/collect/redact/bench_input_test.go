package redact

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The two inputs below are what most bytes of a default bundle look like in
// the scale benchmark (bench/): pod logs, and the indented lists the
// clusterResources collector writes. They are kept apart from corpus() so
// that a change in one kind of input shows in its own benchmark.

var (
	podInputOnce sync.Once
	podLogInput  []byte
	podListInput []byte
)

// podInputs returns ~8 MiB of container log in the form of the scale
// benchmark's kwok log fixture (words such as "namespace" and "token" on
// most lines, as in real controller logs) and ~8 MiB of a pod list as
// clusterResources writes it (items indented by json.Indent, env name/value
// pairs, some of them sensitive).
func podInputs() (logs, list []byte) {
	podInputOnce.Do(func() {
		r := rand.New(rand.NewPCG(8, 8))
		words := []string{"reconcile", "request", "GET", "PUT", "/api/v1/pods", "latency", "ok", "error", "retry",
			"controller", "namespace", "user=alice", "status=200", "status=500", "token", "cache", "sync", "lease"}
		epoch := time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)
		var l bytes.Buffer
		for i := 0; l.Len() < 8<<20; i++ {
			fmt.Fprintf(&l, "%s stdout F level=info i=%d", epoch.Add(time.Duration(i)*time.Millisecond).Format(time.RFC3339Nano), i)
			for range 8 + r.IntN(8) {
				l.WriteByte(' ')
				l.WriteString(words[r.IntN(len(words))])
			}
			fmt.Fprintf(&l, " id=%016x\n", r.Uint64())
		}
		podLogInput = l.Bytes()

		var b bytes.Buffer
		b.WriteString("{\n  \"kind\": \"PodList\",\n  \"apiVersion\": \"v1\",\n  \"metadata\": {\n    \"resourceVersion\": \"12345\"\n  },\n  \"items\": [")
		for i := 0; b.Len() < 8<<20; i++ {
			item, err := json.Marshal(benchPod(r, i))
			if err != nil {
				panic(err)
			}
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("\n    ")
			if err := json.Indent(&b, item, "    ", "  "); err != nil {
				panic(err)
			}
		}
		b.WriteString("\n  ]\n}\n")
		podListInput = b.Bytes()
	})
	return podLogInput, podListInput
}

// benchPod is a Deployment's pod with the fields a real one has, and an env
// whose names are sometimes sensitive.
func benchPod(r *rand.Rand, i int) map[string]any {
	hex := func(n int) string {
		const h = "0123456789abcdef"
		s := make([]byte, n)
		for i := range s {
			s[i] = h[r.IntN(16)]
		}
		return string(s)
	}
	ns := fmt.Sprintf("bench-%03d", i%200)
	env := []any{
		map[string]any{"name": "POD_NAMESPACE", "valueFrom": map[string]any{"fieldRef": map[string]any{"apiVersion": "v1", "fieldPath": "metadata.namespace"}}},
		map[string]any{"name": "LOG_LEVEL", "value": "info"},
		map[string]any{"name": "API_TOKEN", "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": "app-token", "key": "token"}}},
	}
	if i%3 == 0 {
		env = append(env, map[string]any{"name": "DB_PASSWORD", "value": hex(16)})
	}
	return map[string]any{
		"metadata": map[string]any{
			"name": "app-" + hex(10) + "-" + hex(5), "generateName": "app-" + hex(10) + "-", "namespace": ns,
			"uid": hex(8) + "-" + hex(4) + "-" + hex(4) + "-" + hex(4) + "-" + hex(12), "resourceVersion": fmt.Sprint(r.IntN(1e6)),
			"creationTimestamp": "2026-11-25T06:00:00Z",
			"labels":            map[string]any{"app": "app", "pod-template-hash": hex(10)},
			"ownerReferences": []any{map[string]any{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "app-" + hex(10),
				"uid": hex(8) + "-" + hex(4), "controller": true, "blockOwnerDeletion": true}},
			"managedFields": []any{map[string]any{"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1",
				"time": "2026-11-25T06:00:00Z", "fieldsType": "FieldsV1",
				"fieldsV1": map[string]any{"f:metadata": map[string]any{"f:generateName": map[string]any{}, "f:labels": map[string]any{".": map[string]any{}}}}}},
		},
		"spec": map[string]any{
			"containers": []any{map[string]any{
				"name": "app", "image": "registry.example/app:v1.2.3", "args": []any{"--leader-elect", "--v=2"},
				"env":                      env,
				"resources":                map[string]any{"requests": map[string]any{"cpu": "10m", "memory": "16Mi"}},
				"volumeMounts":             []any{map[string]any{"name": "kube-api-access-" + hex(5), "readOnly": true, "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}},
				"terminationMessagePath":   "/dev/termination-log",
				"terminationMessagePolicy": "File", "imagePullPolicy": "IfNotPresent",
			}},
			"restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
			"serviceAccountName": "default", "serviceAccount": "default", "nodeName": fmt.Sprintf("kwok-node-%d", i%20),
			"tolerations": []any{map[string]any{"key": "kwok.x-k8s.io/node", "operator": "Exists", "effect": "NoSchedule"}},
			"volumes": []any{map[string]any{"name": "kube-api-access-" + hex(5), "projected": map[string]any{"defaultMode": 420, "sources": []any{
				map[string]any{"serviceAccountToken": map[string]any{"expirationSeconds": 3607, "path": "token"}},
				map[string]any{"configMap": map[string]any{"name": "kube-root-ca.crt", "items": []any{map[string]any{"key": "ca.crt", "path": "ca.crt"}}}},
			}}}},
		},
		"status": map[string]any{"phase": "Running", "podIP": fmt.Sprintf("10.0.%d.%d", r.IntN(255), r.IntN(255)),
			"conditions": []any{map[string]any{"type": "Ready", "status": "True", "lastProbeTime": nil, "lastTransitionTime": "2026-11-25T06:00:00Z"}},
			"containerStatuses": []any{map[string]any{"name": "app", "ready": true, "restartCount": 0, "image": "registry.example/app:v1.2.3",
				"imageID": "", "containerID": "kwok://" + hex(16), "started": true,
				"state": map[string]any{"running": map[string]any{"startedAt": "2026-11-25T06:00:00Z"}}}}},
	}
}

// cpuTime is the CPU time (user + system) the process has used so far. The
// benchmarks report it per operation next to the wall time, because the
// machines this project is measured on are shared: CPU time is much less
// sensitive to other load than ns/op.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchBytes feeds in through a redacting writer of s for path p, in 32 KiB
// writes as io.Copy does, reporting CPU time per operation.
func benchBytes(b *testing.B, s *Set, p string, in []byte) {
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	for i := 0; i < b.N; i++ {
		w := s.Writer(p, discard{})
		for off := 0; off < len(in); off += 32 << 10 {
			end := min(off+32<<10, len(in))
			if _, err := w.Write(in[off:end]); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkPodLogs: the built-in rules on the scale benchmark's pod logs.
func BenchmarkPodLogs(b *testing.B) {
	logs, _ := podInputs()
	benchBytes(b, mustNew(b, nil, true), "allPodLogs/bench-000/app-x-c.log", logs)
}

// BenchmarkPodList: the built-in rules on an indented pod list.
func BenchmarkPodList(b *testing.B) {
	_, list := podInputs()
	benchBytes(b, mustNew(b, nil, true), "cluster-resources/pods/bench-000.json", list)
}

// BenchmarkMatcherScan: the keyword scan of the built-in rules alone, the
// part of redaction that every byte goes through.
func BenchmarkMatcherScan(b *testing.B) {
	logs, _ := podInputs()
	s := mustNew(b, nil, true)
	mark := make([]uint32, len(s.kw.words))
	b.SetBytes(int64(len(logs)))
	b.ResetTimer()
	start := cpuTime()
	for i := 0; i < b.N; i++ {
		for off := 0; off < len(logs); {
			n := bytes.IndexByte(logs[off:], '\n') + 1
			if n == 0 {
				n = len(logs) - off
			}
			s.match.scan(logs[off:off+n], mark, uint32(i+1), nil)
			off += n
		}
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}
