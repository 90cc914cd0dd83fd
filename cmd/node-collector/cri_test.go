package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// fakeCRI is a container runtime answering the CRI calls node-collector
// makes, with a control-plane node's pods: a running kube-apiserver, an
// etcd that restarted after exiting with 137, and a container whose
// status vanished between list and status.
type fakeCRI struct {
	runtimeapi.UnimplementedRuntimeServiceServer
	runtimeapi.UnimplementedImageServiceServer
	created time.Time
}

const (
	fakeAPIPod   = "5d2c8a1f0e9b4c7d8e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d"
	fakeEtcdPod  = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"
	fakeAPICtr   = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f"
	fakeEtcdCtr  = "9e8d7c6b5a4938271605f4e3d2c1b0a99e8d7c6b5a4938271605f4e3d2c1b0a"
	fakeGoneCtr  = "77777777777777777777777777777777777777777777777777777777777777777"
	fakeAPIImage = "sha256:6a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f"
)

func (f *fakeCRI) Version(context.Context, *runtimeapi.VersionRequest) (*runtimeapi.VersionResponse, error) {
	return &runtimeapi.VersionResponse{Version: "0.1.0", RuntimeName: "containerd", RuntimeVersion: "v2.1.4", RuntimeApiVersion: "v1"}, nil
}

func (f *fakeCRI) ListPodSandbox(context.Context, *runtimeapi.ListPodSandboxRequest) (*runtimeapi.ListPodSandboxResponse, error) {
	return &runtimeapi.ListPodSandboxResponse{Items: []*runtimeapi.PodSandbox{
		{Id: fakeAPIPod, Metadata: &runtimeapi.PodSandboxMetadata{Name: "kube-apiserver-fixture-control-plane-0", Namespace: "kube-system", Uid: "u1"},
			State: runtimeapi.PodSandboxState_SANDBOX_READY, CreatedAt: f.created.UnixNano()},
		{Id: fakeEtcdPod, Metadata: &runtimeapi.PodSandboxMetadata{Name: "etcd-fixture-control-plane-0", Namespace: "kube-system", Uid: "u2", Attempt: 1},
			State: runtimeapi.PodSandboxState_SANDBOX_NOTREADY, CreatedAt: f.created.Add(time.Minute).UnixNano(), RuntimeHandler: "runc"},
	}}, nil
}

func (f *fakeCRI) ListContainers(context.Context, *runtimeapi.ListContainersRequest) (*runtimeapi.ListContainersResponse, error) {
	return &runtimeapi.ListContainersResponse{Containers: []*runtimeapi.Container{
		{Id: fakeAPICtr, PodSandboxId: fakeAPIPod, Metadata: &runtimeapi.ContainerMetadata{Name: "kube-apiserver"},
			Image: &runtimeapi.ImageSpec{Image: fakeAPIImage}, ImageRef: fakeAPIImage,
			State: runtimeapi.ContainerState_CONTAINER_RUNNING, CreatedAt: f.created.UnixNano(),
			Labels:      map[string]string{labelPodName: "kube-apiserver-fixture-control-plane-0", labelPodNamespace: "kube-system"},
			Annotations: map[string]string{annoRestartCount: "0"}},
		{Id: fakeEtcdCtr, PodSandboxId: fakeEtcdPod, Metadata: &runtimeapi.ContainerMetadata{Name: "etcd", Attempt: 3},
			Image: &runtimeapi.ImageSpec{Image: "registry.k8s.io/etcd:3.6.4-0"}, ImageRef: "sha256:e7c1",
			State: runtimeapi.ContainerState_CONTAINER_EXITED, CreatedAt: f.created.Add(2 * time.Minute).UnixNano(),
			Annotations: map[string]string{annoRestartCount: "3"}},
		{Id: fakeGoneCtr, PodSandboxId: "deadbeef", Metadata: &runtimeapi.ContainerMetadata{Name: "gone"},
			State: runtimeapi.ContainerState_CONTAINER_UNKNOWN, CreatedAt: f.created.Add(-time.Hour).UnixNano(),
			Labels: map[string]string{labelPodName: "gone-pod", labelPodNamespace: "default"}},
	}}, nil
}

func (f *fakeCRI) ContainerStatus(_ context.Context, r *runtimeapi.ContainerStatusRequest) (*runtimeapi.ContainerStatusResponse, error) {
	switch r.GetContainerId() {
	case fakeAPICtr:
		return &runtimeapi.ContainerStatusResponse{Status: &runtimeapi.ContainerStatus{Id: fakeAPICtr,
			State: runtimeapi.ContainerState_CONTAINER_RUNNING, StartedAt: f.created.Add(time.Second).UnixNano()}}, nil
	case fakeEtcdCtr:
		return &runtimeapi.ContainerStatusResponse{Status: &runtimeapi.ContainerStatus{Id: fakeEtcdCtr,
			State:     runtimeapi.ContainerState_CONTAINER_EXITED,
			StartedAt: f.created.Add(3 * time.Minute).UnixNano(), FinishedAt: f.created.Add(4 * time.Minute).UnixNano(),
			ExitCode: 137, Reason: "OOMKilled"}}, nil
	}
	return nil, status.Errorf(codes.NotFound, "container %q not found", r.GetContainerId())
}

func (f *fakeCRI) ListImages(context.Context, *runtimeapi.ListImagesRequest) (*runtimeapi.ListImagesResponse, error) {
	return &runtimeapi.ListImagesResponse{Images: []*runtimeapi.Image{
		{Id: fakeAPIImage, RepoTags: []string{"registry.k8s.io/kube-apiserver:v1.34.1"}, Size: 27_060_000},
		{Id: "sha256:e7c1", RepoTags: []string{"registry.k8s.io/etcd:3.6.4-0", "localhost:5000/etcd:backup"}, Size: 195_976_448},
		{Id: "sha256:0c0c0c0c0c0c0c0c0c0c0c0c", RepoDigests: []string{"docker.io/library/busybox@sha256:abc"}, Size: 900},
	}}, nil
}

// serveFakeCRI serves f on a unix socket at sock until the test ends.
func serveFakeCRI(t *testing.T, sock string, f *fakeCRI) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(sock), 0o755); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	runtimeapi.RegisterRuntimeServiceServer(srv, f)
	runtimeapi.RegisterImageServiceServer(srv, f)
	go srv.Serve(ln) //nolint:errcheck // ends with Stop
	t.Cleanup(srv.Stop)
}

// TestCRIFakeServer: the three CRI files as crictl would print them, read
// over gRPC from a runtime on the host's containerd socket.
func TestCRIFakeServer(t *testing.T) {
	host := fakeHost(t)
	out := collect(t, host)
	created := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)

	ctrs := read(t, out, "containers_crictl")
	assertContains(t, "containers_crictl", ctrs,
		"# containers (crictl ps -a) from /run/containerd/containerd.sock (containerd v2.1.4, CRI v1)\n",
		"CONTAINER       IMAGE ",
		"# status of 7777777777777: rpc error: code = NotFound")
	rows := map[string]string{}
	for _, line := range strings.Split(ctrs, "\n") {
		if f := strings.Fields(line); len(f) > 0 && !strings.HasPrefix(line, "#") {
			rows[f[0]] = strings.Join(f, " ")
		}
	}
	want := map[string]string{
		"0f1e2d3c4b5a6": "0f1e2d3c4b5a6 registry.k8s.io/kube-apiserver:v1.34.1 " + created.Format(time.RFC3339) +
			" Running kube-apiserver 0 0 - - " + created.Add(time.Second).Format(time.RFC3339) + " - 5d2c8a1f0e9b4 kube-apiserver-fixture-control-plane-0 kube-system",
		"9e8d7c6b5a493": "9e8d7c6b5a493 registry.k8s.io/etcd:3.6.4-0 " + created.Add(2*time.Minute).Format(time.RFC3339) +
			" Exited etcd 3 3 137 OOMKilled " + created.Add(3*time.Minute).Format(time.RFC3339) + " " + created.Add(4*time.Minute).Format(time.RFC3339) +
			" a1b2c3d4e5f60 etcd-fixture-control-plane-0 kube-system",
		"7777777777777": "7777777777777 - " + created.Add(-time.Hour).Format(time.RFC3339) + " Unknown gone 0 - - - - - deadbeef gone-pod default",
	}
	for id, w := range want {
		if rows[id] != w {
			t.Errorf("containers_crictl row %s:\n got %q\nwant %q", id, rows[id], w)
		}
	}
	// Newest first, as crictl lists them.
	if i, j := strings.Index(ctrs, "9e8d7c6b5a493"), strings.Index(ctrs, "0f1e2d3c4b5a6"); i > j {
		t.Errorf("containers_crictl not newest first:\n%s", ctrs)
	}

	pods := read(t, out, "pods_crictl")
	assertContains(t, "pods_crictl", pods, "# pod sandboxes (crictl pods) from /run/containerd/containerd.sock")
	assertMatch(t, "pods_crictl", pods,
		`(?m)^POD ID\s+CREATED\s+STATE\s+NAME\s+NAMESPACE\s+ATTEMPT\s+RUNTIME$`,
		`(?m)^a1b2c3d4e5f60\s+2026-11-20T08:01:00Z\s+NotReady\s+etcd-fixture-control-plane-0\s+kube-system\s+1\s+runc$`,
		`(?m)^5d2c8a1f0e9b4\s+2026-11-20T08:00:00Z\s+Ready\s+kube-apiserver-fixture-control-plane-0\s+kube-system\s+0\s+-$`)

	images := read(t, out, "images_crictl")
	assertMatch(t, "images_crictl", images,
		`(?m)^IMAGE\s+TAG\s+IMAGE ID\s+SIZE$`,
		`(?m)^docker.io/library/busybox\s+<none>\s+0c0c0c0c0c0c0\s+900B$`,
		`(?m)^localhost:5000/etcd\s+backup\s+e7c1\s+196MB$`,
		`(?m)^registry.k8s.io/etcd\s+3.6.4-0\s+e7c1\s+196MB$`,
		`(?m)^registry.k8s.io/kube-apiserver\s+v1.34.1\s+6a1b2c3d4e5f6\s+27.1MB$`)
}

// TestCRIMissingSocket: without any runtime socket every CRI file is a
// clear error file naming the sockets looked for.
func TestCRIMissingSocket(t *testing.T) {
	host := fakeHost(t)
	if err := os.Remove(filepath.Join(host, "run/containerd/containerd.sock")); err != nil {
		t.Fatal(err)
	}
	out := collect(t, host)
	for _, name := range []string{"containers_crictl", "pods_crictl", "images_crictl"} {
		text := read(t, out, name+"-error.txt")
		assertContains(t, name+"-error.txt", text, "no container runtime (CRI) socket found on the host",
			"stat /run/containerd/containerd.sock: no such file or directory", "/var/run/crio/crio.sock")
		assertAbsent(t, name+"-error.txt", text, host)
	}
}

// TestCRISocketNotAnswering: a socket nobody serves CRI on fails the
// items within their timeout, with the socket named.
func TestCRISocketNotAnswering(t *testing.T) {
	host := fakeHost(t)
	sock := filepath.Join(host, "run/containerd/containerd.sock")
	if err := os.Remove(sock); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	out := collect(t, host, "--timeout", "2s")
	for _, name := range []string{"containers_crictl", "pods_crictl", "images_crictl"} {
		assertContains(t, name+"-error.txt", read(t, out, name+"-error.txt"), "CRI socket /run/containerd/containerd.sock: version: ", "DeadlineExceeded")
	}
}

func assertMatch(t *testing.T, name, text string, patterns ...string) {
	t.Helper()
	for _, p := range patterns {
		if !regexp.MustCompile(p).MatchString(text) {
			t.Errorf("%s: no match for %s in:\n%s", name, p, text)
		}
	}
}
