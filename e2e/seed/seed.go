// Package seed fills a harness cluster with a reproducible workload of a
// chosen scale: the scale benchmark's (issue #8), also used by the
// three-target benchmark.
package seed

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/mesosphere/dkp-diagnose/e2e/framework"
)

// Scale 1 of issue #8; every count is multiplied by the scale (at least 1).
const (
	fullNamespaces  = 200
	fullNodes       = 20
	perNSConfigMaps = 50
	perNSSecrets    = 20
	perNSServices   = 10
	perNSDeploys    = 5
	replicas        = 2
	numCRDs         = 5
	fullCRObjects   = 1000
	// LogBytes is the size of the log every container serves.
	LogBytes = 200 << 10
	// seedWorkers create objects concurrently, with no client rate limit.
	seedWorkers = 32
	crdGroup    = "bench.dkp-diagnose.example"
)

// Sizes are the object counts of one scale.
type Sizes struct {
	Scale      float64
	Namespaces int
	Nodes      int // kwok nodes the cluster needs (framework.Options.Workers)
	CRObjects  int // per CRD
}

// For returns the sizes of scale (1 = issue #8's scale 1).
func For(scale float64) Sizes {
	n := func(full int) int { return max(1, int(math.Round(float64(full)*scale))) }
	return Sizes{Scale: scale, Namespaces: n(fullNamespaces), Nodes: n(fullNodes), CRObjects: n(fullCRObjects)}
}

// Pods is the number of pods the workload runs.
func (s Sizes) Pods() int { return s.Namespaces * perNSDeploys * replicas }

func (s Sizes) String() string {
	return fmt.Sprintf("%d namespaces × {%d cm, %d secrets, %d svc, %d deploy×%d}, %d pods on %d nodes, %d CRDs × %d objects",
		s.Namespaces, perNSConfigMaps, perNSSecrets, perNSServices, perNSDeploys, replicas, s.Pods(), s.Nodes, numCRDs, s.CRObjects)
}

// WriteLog makes the log every container serves ~LogBytes of CRI
// lines. It overwrites the file the framework's kwok ClusterLogs points at
// (<cluster dir>/kwok/fixtures/default.log); kwok reads it per request. The
// text is pseudo-random from a fixed seed: reproducible, and not so
// repetitive that gzip makes it vanish.
func WriteLog(c *framework.Cluster) (string, error) {
	file := filepath.Join(c.Dir, "kwok", "fixtures", "default.log")
	if _, err := os.Stat(file); err != nil {
		return "", fmt.Errorf("kwok default log fixture moved? %w", err)
	}
	rng := rand.New(rand.NewPCG(8, 8))
	words := []string{"reconcile", "request", "GET", "PUT", "/api/v1/pods", "latency", "ok", "error", "retry",
		"controller", "namespace", "user=alice", "status=200", "status=500", "token", "cache", "sync", "lease"}
	epoch := time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)
	var b strings.Builder
	for i := 0; b.Len() < LogBytes; i++ {
		fmt.Fprintf(&b, "%s stdout F level=info i=%d", epoch.Add(time.Duration(i)*time.Millisecond).Format(time.RFC3339Nano), i)
		for range 8 + rng.IntN(8) {
			b.WriteByte(' ')
			b.WriteString(words[rng.IntN(len(words))])
		}
		fmt.Fprintf(&b, " id=%016x\n", rng.Uint64())
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		return "", err
	}
	return file, nil
}

// Seed creates the objects of sz and waits until every pod is Running.
func Seed(ctx context.Context, tb testing.TB, c *framework.Cluster, sz Sizes) error {
	cfg := c.RESTConfig()
	cfg.QPS, cfg.Burst = 5000, 10000
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	began := time.Now()
	if err := installCRDs(ctx, tb, c); err != nil {
		return err
	}
	nsNames := make([]string, sz.Namespaces)
	for i := range nsNames {
		nsNames[i] = fmt.Sprintf("bench-%03d", i)
	}
	// Namespaces first (and their default ServiceAccount, which pods need).
	if err := parallel(ctx, len(nsNames), func(ctx context.Context, i int) error {
		_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: nsNames[i]}}, metav1.CreateOptions{})
		return err
	}); err != nil {
		return fmt.Errorf("namespaces: %w", err)
	}
	if err := parallel(ctx, len(nsNames), func(ctx context.Context, i int) error {
		return wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
			_, err := cs.CoreV1().ServiceAccounts(nsNames[i]).Get(ctx, "default", metav1.GetOptions{})
			return err == nil, nil
		})
	}); err != nil {
		return fmt.Errorf("default service accounts: %w", err)
	}
	// Then everything else as one flat list of creates. Deployments go
	// first so the controllers start on the pods while the rest is created.
	var jobs []func(context.Context) error
	for _, ns := range nsNames {
		for d := range perNSDeploys {
			jobs = append(jobs, func(ctx context.Context) error {
				_, err := cs.AppsV1().Deployments(ns).Create(ctx, deployment(ns, d), metav1.CreateOptions{})
				return err
			})
		}
	}
	for _, ns := range nsNames {
		for s := range perNSServices {
			jobs = append(jobs, func(ctx context.Context) error {
				_, err := cs.CoreV1().Services(ns).Create(ctx, service(s), metav1.CreateOptions{})
				return err
			})
		}
		for i := range perNSConfigMaps {
			jobs = append(jobs, func(ctx context.Context) error {
				_, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, configMap(i), metav1.CreateOptions{})
				return err
			})
		}
		for i := range perNSSecrets {
			jobs = append(jobs, func(ctx context.Context) error {
				_, err := cs.CoreV1().Secrets(ns).Create(ctx, secret(i), metav1.CreateOptions{})
				return err
			})
		}
	}
	for k := range numCRDs {
		gvr := schema.GroupVersionResource{Group: crdGroup, Version: "v1", Resource: fmt.Sprintf("widget%ds", k)}
		for i := range sz.CRObjects {
			ns := nsNames[i%len(nsNames)]
			jobs = append(jobs, func(ctx context.Context) error {
				_, err := dyn.Resource(gvr).Namespace(ns).Create(ctx, customObject(k, i, ns), metav1.CreateOptions{})
				return err
			})
		}
	}
	if err := parallel(ctx, len(jobs), func(ctx context.Context, i int) error { return jobs[i](ctx) }); err != nil {
		return err
	}
	tb.Logf("scale %g: created %d objects in %s; waiting for %d pods to run", sz.Scale, len(jobs)+len(nsNames), time.Since(began).Round(time.Second), sz.Pods())
	want := sz.Pods()
	var running int
	err = wait.PollUntilContextTimeout(ctx, 2*time.Second, 20*time.Minute, true, func(ctx context.Context) (bool, error) {
		list, err := cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "status.phase=Running", LabelSelector: "app.kubernetes.io/part-of=bench"})
		if err != nil {
			return false, nil //nolint:nilerr // transient; keep polling
		}
		running = len(list.Items)
		return running >= want, nil
	})
	if err != nil {
		return fmt.Errorf("%d of %d pods Running: %w", running, want, err)
	}
	tb.Logf("scale %g: seeded in %s (%s)", sz.Scale, time.Since(began).Round(time.Second), sz)
	return nil
}

// parallel runs fn(0..n-1) on seedWorkers goroutines; the first error wins.
func parallel(ctx context.Context, n int, fn func(context.Context, int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	idx := make(chan int)
	var once sync.Once
	var first error
	var wg sync.WaitGroup
	for range min(seedWorkers, n) {
		wg.Go(func() {
			for i := range idx {
				if err := fn(ctx, i); err != nil {
					once.Do(func() { first = err; cancel() })
				}
			}
		})
	}
feed:
	for i := range n {
		select {
		case idx <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(idx)
	wg.Wait()
	return first
}

func deployment(ns string, d int) *appsv1.Deployment {
	labels := map[string]string{"app": fmt.Sprintf("app-%d", d), "app.kubernetes.io/part-of": "bench"}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("app-%d", d), Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(int32(replicas)),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					Containers: []corev1.Container{{
						Name: "app", Image: "registry.example/bench/app:1.0",
						Env: []corev1.EnvVar{{Name: "NAMESPACE", Value: ns}, {Name: "LOG_LEVEL", Value: "info"}},
					}},
					// kwok nodes carry no taints but the control plane's; be explicit.
					NodeSelector: map[string]string{"type": "kwok"},
				},
			},
		},
	}
}

// service is headless: the framework's service CIDR is a /24, too small for
// scale 1, and headless services still get Endpoints and EndpointSlices.
func service(s int) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("svc-%d", s)},
		Spec: corev1.ServiceSpec{
			ClusterIP: corev1.ClusterIPNone,
			Selector:  map[string]string{"app": fmt.Sprintf("app-%d", s%perNSDeploys)},
			Ports:     []corev1.ServicePort{{Name: "http", Port: 8080}},
		},
	}
}

func configMap(i int) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cm-%02d", i)},
		Data: map[string]string{
			"config.yaml": strings.Repeat(fmt.Sprintf("key%d: value %d\n", i, i), 20),
			"mode":        "production",
			"url":         fmt.Sprintf("https://service-%d.example.com:8443/path", i),
		},
	}
}

func secret(i int) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("secret-%02d", i)},
		Type:       corev1.SecretTypeOpaque,
		StringData: map[string]string{"username": fmt.Sprintf("user-%d", i), "password": fmt.Sprintf("s3cr3t-%032d", i)},
	}
}

func customObject(k, i int, ns string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": crdGroup + "/v1",
		"kind":       fmt.Sprintf("Widget%d", k),
		"metadata":   map[string]any{"name": fmt.Sprintf("w%d-%04d", k, i), "namespace": ns},
		"spec": map[string]any{
			"size": int64(i), "color": []any{"red", "green", "blue"}[i%3],
			"description": strings.Repeat("widget ", 10),
		},
	}}
}

// installCRDs writes the bench CRDs to a file and installs them together.
func installCRDs(ctx context.Context, tb testing.TB, c *framework.Cluster) error {
	var b strings.Builder
	for k := range numCRDs {
		fmt.Fprintf(&b, `---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widget%[1]ds.%[2]s
spec:
  group: %[2]s
  scope: Namespaced
  names: {plural: widget%[1]ds, singular: widget%[1]d, kind: Widget%[1]d, listKind: Widget%[1]dList}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
`, k, crdGroup)
	}
	file := filepath.Join(tb.TempDir(), "crds.yaml")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		return err
	}
	return c.InstallCRDs(ctx, file)
}
