//go:build unix

package builtin

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// Scale 1 of the collection benchmark (e2e/seed): 200 namespaces with 10
// pods each, 20 nodes; here with the events such a cluster keeps (25 per
// namespace), Services with their EndpointSlices, and a Cluster API
// management cluster's 100 Machines.
const (
	benchNamespaces  = 200
	benchPodsPerNS   = 10
	benchEventsPerNS = 25
	benchNodes       = 20
	benchMachines    = 100
)

// writeBenchBundle writes a scale-1-like bundle folder, the lists as the
// collector writes them, and returns its size in bytes.
func writeBenchBundle(tb testing.TB, dir string) int64 {
	tb.Helper()
	var total int64
	write := func(name string, kind, apiVersion string, items []any) {
		b, err := json.MarshalIndent(map[string]any{"kind": kind, "apiVersion": apiVersion, "metadata": map[string]any{}, "items": items}, "", "  ")
		if err != nil {
			tb.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			tb.Fatal(err)
		}
		total += int64(len(b))
	}
	created := metav1.NewTime(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	var nodes []any
	for i := range benchNodes {
		nodes = append(nodes, corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("node-%d", i), Labels: map[string]string{"kubernetes.io/hostname": fmt.Sprintf("node-%d", i)}},
			Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{
				{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady", Message: "kubelet is posting ready status"},
				{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse}, {Type: corev1.NodeDiskPressure, Status: corev1.ConditionFalse}}}})
	}
	write("cluster-resources/nodes.json", "NodeList", "v1", nodes)
	for n := range benchNamespaces {
		ns := fmt.Sprintf("bench-%03d", n)
		var pods, events, slices []any
		for i := range benchPodsPerNS {
			name := fmt.Sprintf("web-%d-%05d", i/2, n*benchPodsPerNS+i)
			pods = append(pods, benchPod(ns, name, created, i))
			for e, reason := range []string{"Scheduled", "Pulled", "Created", "Started"} {
				_ = e
				events = append(events, corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: name + "." + reason, Namespace: ns, CreationTimestamp: created},
					InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: name}, Reason: reason, Type: corev1.EventTypeNormal, Count: 1, Message: "Successfully " + reason + " " + name})
			}
		}
		for i := len(events); i < benchEventsPerNS*2; i++ {
			events = append(events, corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("warn-%d", i), Namespace: ns},
				InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: "web-0"}, Reason: "BackOff", Type: corev1.EventTypeWarning, Count: 3, Message: "Back-off restarting failed container"})
		}
		for i := range 10 {
			slices = append(slices, discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("svc-%d-abcde", i), Namespace: ns, Labels: map[string]string{discoveryv1.LabelServiceName: fmt.Sprintf("svc-%d", i)}},
				AddressType: discoveryv1.AddressTypeIPv4, Endpoints: []discoveryv1.Endpoint{{Addresses: []string{"10.0.0.1"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}}}})
		}
		write("cluster-resources/pods/"+ns+".json", "PodList", "v1", pods)
		write("cluster-resources/events/"+ns+".json", "EventList", "v1", events)
		write("cluster-resources/endpointslices/"+ns+".json", "EndpointSliceList", "discovery.k8s.io/v1", slices)
		write("cluster-resources/jobs/"+ns+".json", "JobList", "batch/v1", nil)
		write("cluster-resources/pvcs/"+ns+".json", "PersistentVolumeClaimList", "v1", nil)
	}
	var machines []any
	for i := range benchMachines {
		machines = append(machines, map[string]any{"metadata": map[string]any{"name": fmt.Sprintf("w-md-%d", i), "namespace": "fleet", "labels": map[string]string{"cluster.x-k8s.io/cluster-name": "w", "cluster.x-k8s.io/deployment-name": "w-md"}},
			"spec": map[string]any{"clusterName": "w"}, "status": map[string]any{"phase": "Running", "nodeRef": map[string]any{"name": fmt.Sprintf("node-%d", i)},
				"conditions": []any{map[string]any{"type": "Ready", "status": "True", "reason": "Ready", "lastTransitionTime": "2026-12-01T00:00:00Z"}}}})
	}
	write("cluster-resources/custom-resources/machines.cluster.x-k8s.io/fleet.json", "MachineList", "cluster.x-k8s.io/v1beta2", machines)
	write("cluster-resources/custom-resources/clusters.cluster.x-k8s.io/fleet.json", "ClusterList", "cluster.x-k8s.io/v1beta2", []any{
		map[string]any{"metadata": map[string]any{"name": "w", "namespace": "fleet"}, "status": map[string]any{"conditions": []any{map[string]any{"type": "Available", "status": "True"}}}}})
	for i := range benchNodes {
		p := filepath.Join(dir, "node-diagnostics", fmt.Sprintf("node-%d", i), "data", certsFile)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		line := `/etc/kubernetes/pki/ca.crt subject="CN=kubernetes" issuer="CN=kubernetes" notBefore=2026-01-01T00:00:00Z notAfter=2036-01-01T00:00:00Z daysLeft=3000` + "\n"
		if err := os.WriteFile(p, []byte(line+line+line), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return total
}

// benchPod is a Deployment's pod as the API returns it, about 4 KiB of JSON.
func benchPod(ns, name string, created metav1.Time, i int) corev1.Pod {
	running := corev1.ContainerStatus{Name: "app", Ready: true, Image: "registry.example/bench/app:1.2.3", ImageID: "registry.example/bench/app@sha256:0123456789abcdef",
		ContainerID: "containerd://0123456789abcdef", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: created}}}
	sidecar := running
	sidecar.Name = "sidecar"
	p := corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", CreationTimestamp: created,
			Labels:          map[string]string{"app": "web", "pod-template-hash": "5d8f9c7b6", "app.kubernetes.io/part-of": "bench"},
			Annotations:     map[string]string{"kubectl.kubernetes.io/restartedAt": "2026-12-01T00:00:00Z"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-5d8f9c7b6", UID: "1f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", Controller: ptr.To(true)}}},
		Spec: corev1.PodSpec{NodeName: fmt.Sprintf("node-%d", i%benchNodes), ServiceAccountName: "default",
			Containers: []corev1.Container{{Name: "app", Image: "registry.example/bench/app:1.2.3",
				Env:          []corev1.EnvVar{{Name: "MODE", Value: "bench"}, {Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}}},
				Ports:        []corev1.ContainerPort{{ContainerPort: 8080, Protocol: corev1.ProtocolTCP}},
				Resources:    corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("16Mi")}},
				VolumeMounts: []corev1.VolumeMount{{Name: "kube-api-access", MountPath: "/var/run/secrets/kubernetes.io/serviceaccount", ReadOnly: true}}},
				{Name: "sidecar", Image: "registry.example/bench/sidecar:1"}},
			Volumes:     []corev1.Volume{{Name: "kube-api-access", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: ptr.To(int64(3607))}}}}}}},
			Tolerations: []corev1.Toleration{{Key: "node.kubernetes.io/not-ready", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To(int64(300))}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, HostIP: "10.0.0.1", PodIP: "10.244.0.1", StartTime: &created, QOSClass: corev1.PodQOSBurstable,
			Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: created}, {Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: created},
				{Type: corev1.ContainersReady, Status: corev1.ConditionTrue, LastTransitionTime: created}, {Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: created}},
			ContainerStatuses: []corev1.ContainerStatus{running, sidecar}},
	}
	if i == 3 { // one pod in ten has restarted, for the analyzers to look at
		p.Status.ContainerStatuses[0].RestartCount = 2
		p.Status.ContainerStatuses[0].LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error"}}
	}
	return p
}

// BenchmarkAnalyzeScale1 runs every built-in analyzer over a scale-1-like
// bundle folder (2,000 pods, 10,000 events, 2,000 EndpointSlices, 20
// nodes, 100 Machines). MB/s is bundle JSON read per second.
func BenchmarkAnalyzeScale1(b *testing.B) {
	dir := b.TempDir()
	size := writeBenchBundle(b, dir)
	fsys := os.DirFS(dir)
	b.SetBytes(size)
	b.ReportAllocs()
	cpu0 := cpuTime(b)
	b.ResetTimer()
	for b.Loop() {
		fs := Analyze(fsys, Options{Now: time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)})
		if len(fs) == 0 {
			b.Fatal("no findings: the Warning events should show")
		}
	}
	b.StopTimer()
	// CPU time, not only wall time: on a shared machine the wall clock
	// also counts other processes' turns.
	b.ReportMetric(float64((cpuTime(b)-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(size)/(1<<20), "bundle-MiB")
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
