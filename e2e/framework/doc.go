// Package framework starts real, throw-away Kubernetes control planes from Go
// tests: etcd, kube-apiserver, kube-controller-manager and kube-scheduler as
// built by hack/test-bins.sh, with kwok playing the kubelet of fake nodes.
// Pods get scheduled and go Running, and logs and exec work against fixtures
// the test sets (SetPodLogs, SetPodRoot), so collectors run unchanged against
// a real API server. Every cluster has its own ports, PKI and folder, so a
// test can run several side by side (bootstrap, management, workloads).
//
//	c := framework.Start(t, framework.Options{Name: "mgmt"})
//	// c.Client, c.Dynamic, c.KubeconfigPath act as cluster admin.
//	_ = c.SetPodLogs(ctx, "ns", "pod", map[string]string{"main": "line 1\nline 2\n"})
//	_ = c.SetPodRoot(ctx, "ns", "pod", "testdata/podroot") // `exec pod -- tar cf - /x` reads testdata/podroot/x
//	c.StopAPIServer()                                      // the cluster is now unreachable
//
// Faults of the control plane: Signal(framework.Etcd, syscall.SIGSTOP)
// stalls etcd (requests are accepted, never answered) until SIGCONT;
// Kill(name) crashes a component and Restart(name) brings it back with its
// arguments and data, waiting until the API server is ready again.
//
// A cluster takes about 4-5 s to start and 1-2 s to stop, and about 0.6 GiB
// of memory. Tests skip unless DKP_TEST_K8S_BIN names the binaries folder
// (`make e2e` sets it), and fail instead when CI=true.
package framework
