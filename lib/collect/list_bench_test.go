package collect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/mesosphere/dkp-diagnose/lib/collect/redact"
)

// benchPagePods is the number of pods in a benchmark page: a full page.
const benchPagePods = pageSize

var (
	benchPageOnce sync.Once
	benchPage     []byte
)

// podPage returns one LIST page of pods as the API server encodes it
// (compact JSON, managed fields and all), shaped like the pods of the
// scale benchmark: a Deployment's pods on kwok nodes, 10 per namespace.
func podPage() []byte {
	benchPageOnce.Do(func() {
		items := make([]corev1.Pod, benchPagePods)
		ts := metav1.NewTime(time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC))
		for i := range items {
			ns := fmt.Sprintf("bench-%03d", i/10)
			name := fmt.Sprintf("app-%d-5d8f7c9b4-%05x", i%5, i*7919%0xfffff)
			items[i] = corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{
					Name: name, GenerateName: name[:len(name)-5], Namespace: ns,
					UID: types.UID(fmt.Sprintf("0b7c6e2a-8f0d-4a4e-9a55-%012x", i)), ResourceVersion: fmt.Sprint(10000 + i),
					CreationTimestamp: ts, Labels: map[string]string{"app": fmt.Sprintf("app-%d", i%5), "pod-template-hash": "5d8f7c9b4"},
					OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: name[:len(name)-6], UID: types.UID("5f1c")}},
					ManagedFields: []metav1.ManagedFieldsEntry{
						{Manager: "kube-controller-manager", Operation: "Update", APIVersion: "v1", Time: &ts, FieldsType: "FieldsV1",
							FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:metadata":{"f:generateName":{},"f:labels":{".":{},"f:app":{},"f:pod-template-hash":{}},"f:ownerReferences":{".":{},"k:{\"uid\":\"5f1c\"}":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"app\"}":{".":{},"f:env":{".":{},"k:{\"name\":\"LOG_LEVEL\"}":{".":{},"f:name":{},"f:value":{}},"k:{\"name\":\"NAMESPACE\"}":{".":{},"f:name":{},"f:value":{}}},"f:image":{},"f:imagePullPolicy":{},"f:name":{},"f:resources":{},"f:terminationMessagePath":{},"f:terminationMessagePolicy":{}}},"f:dnsPolicy":{},"f:enableServiceLinks":{},"f:nodeSelector":{},"f:restartPolicy":{},"f:schedulerName":{},"f:securityContext":{},"f:terminationGracePeriodSeconds":{}}}`)}},
						{Manager: "kwok", Operation: "Update", APIVersion: "v1", Time: &ts, FieldsType: "FieldsV1", Subresource: "status",
							FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:status":{"f:conditions":{"k:{\"type\":\"Ready\"}":{".":{},"f:lastTransitionTime":{},"f:status":{},"f:type":{}}},"f:containerStatuses":{},"f:hostIP":{},"f:phase":{},"f:podIP":{},"f:startTime":{}}}`)}},
					},
				},
				Spec: corev1.PodSpec{
					Containers: []corev1.Container{{
						Name: "app", Image: "registry.example/bench/app:1.0",
						Env:                      []corev1.EnvVar{{Name: "NAMESPACE", Value: ns}, {Name: "LOG_LEVEL", Value: "info"}},
						Resources:                corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m")}},
						TerminationMessagePath:   "/dev/termination-log",
						TerminationMessagePolicy: corev1.TerminationMessageReadFile, ImagePullPolicy: corev1.PullIfNotPresent,
					}},
					RestartPolicy: corev1.RestartPolicyAlways, DNSPolicy: corev1.DNSClusterFirst,
					NodeSelector: map[string]string{"type": "kwok"}, ServiceAccountName: "default", NodeName: fmt.Sprintf("kwok-node-%d", i%20),
					Tolerations: []corev1.Toleration{{Key: "node.kubernetes.io/not-ready", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute}},
				},
				Status: corev1.PodStatus{
					Phase:      corev1.PodRunning,
					Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: ts}},
					HostIP:     "10.0.0.1", PodIP: fmt.Sprintf("10.244.%d.%d", i/250, i%250), StartTime: &ts,
					ContainerStatuses: []corev1.ContainerStatus{{Name: "app", Ready: true, Image: "registry.example/bench/app:1.0",
						State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: ts}}}},
				},
			}
		}
		// In the API server's order: the list's head, then its items.
		page := corev1.PodList{
			TypeMeta: metav1.TypeMeta{Kind: "PodList", APIVersion: "v1"},
			ListMeta: metav1.ListMeta{ResourceVersion: "123456", Continue: "eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ"},
			Items:    items,
		}
		var err error
		if benchPage, err = json.Marshal(page); err != nil {
			panic(err)
		}
	})
	return benchPage
}

// cpuTime is the CPU time (user + system) of the process so far: on a
// shared machine it varies far less with other load than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// discardCloser is a WriteCloser that keeps nothing.
type discardCloser struct{ n int }

func (d *discardCloser) Write(p []byte) (int, error) { d.n += len(p); return len(p), nil }
func (d *discardCloser) Close() error                { return nil }

func benchPageOp(b *testing.B, op func(page []byte) error) {
	page := podPage()
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	for range b.N {
		if err := op(page); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkListPage: what clusterResources does with one page of pods
// besides redaction and compression: split it into items, find each item's
// namespace, write the items indented.
func BenchmarkListPage(b *testing.B) {
	benchPageOp(b, func(page []byte) error {
		var out discardCloser
		var lw *listWriter
		_, err := splitPage(page, func(head listHead, item json.RawMessage) error {
			if lw == nil {
				var err error
				if lw, err = newListWriter(&out, head); err != nil {
					return err
				}
			}
			if _, err := itemNamespace(item); err != nil {
				return err
			}
			return lw.add(item)
		})
		if err != nil {
			return err
		}
		return lw.close()
	})
}

// BenchmarkListPagePods: what allLogs does with one page of pods: pick out
// the containers whose logs to fetch.
func BenchmarkListPagePods(b *testing.B) {
	j := &logJob{}
	benchPageOp(b, func(page []byte) error {
		n := 0
		_, err := splitPage(page, func(_ listHead, item json.RawMessage) error {
			p, err := j.decodePod(item)
			if err != nil {
				return err
			}
			n += len(p.containers)
			return nil
		})
		if n != benchPagePods {
			return fmt.Errorf("%d containers, want %d", n, benchPagePods)
		}
		return err
	})
}

// TestBenchPageShape: the benchmark page is what the list code expects.
func TestBenchPageShape(t *testing.T) {
	var items int
	head, err := splitPage(podPage(), func(_ listHead, item json.RawMessage) error {
		items++
		if !bytes.HasPrefix(item, []byte(`{"metadata":{`)) {
			t.Fatalf("item starts %.40q", item)
		}
		return nil
	})
	if err != nil || items != benchPagePods || head.Kind != "PodList" || head.Metadata.Continue == "" {
		t.Fatalf("splitPage: %d items, head %+v, err %v", items, head, err)
	}
}

// BenchmarkListPageRedacted is BenchmarkListPage writing through the
// redactor: "lines" with the line rules only, "structure" with the
// structure pass over each item before them (what a run does). The
// difference is the structure pass's cost per page of clean pods.
func BenchmarkListPageRedacted(b *testing.B) {
	set, err := redact.New(nil, true)
	if err != nil {
		b.Fatal(err)
	}
	for _, mode := range []string{"lines", "structure"} {
		b.Run(mode, func(b *testing.B) {
			benchPageOp(b, func(page []byte) error {
				var dst io.WriteCloser = set.Writer("cluster-resources/pods/bench.json", &discardCloser{})
				if mode == "lines" {
					dst = hideObject{dst}
				}
				var lw *listWriter
				_, err := splitPage(page, func(head listHead, item json.RawMessage) error {
					if lw == nil {
						var err error
						if lw, err = newListWriter(dst, head); err != nil {
							return err
						}
					}
					return lw.add(item)
				})
				if err != nil {
					return err
				}
				return lw.close()
			})
		})
	}
}

// hideObject hides a writer's Object method: no structure pass.
type hideObject struct{ io.WriteCloser }
