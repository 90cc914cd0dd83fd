package harness

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/mesosphere/dkp-diagnose/e2e/framework"
)

func checkDaemonSet(t *testing.T, c *framework.Cluster, ns string) {
	labels := map[string]string{"app": "agent"}
	ds := &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: "agent", Namespace: ns},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: podTemplate(labels, "agent", corev1.Toleration{
				Key: framework.ControlPlaneTaint, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule,
			}),
		},
	}
	if _, err := c.Client.AppsV1().DaemonSets(ns).Create(t.Context(), ds, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create DaemonSet: %v", err)
	}
	pods := waitRunningPods(t, c, ns, "app=agent", len(c.NodeNames()))
	var nodes []string
	for _, p := range pods {
		nodes = append(nodes, p.Spec.NodeName)
	}
	slices.Sort(nodes)
	want := c.NodeNames()
	slices.Sort(want)
	if !slices.Equal(nodes, want) {
		t.Fatalf("DaemonSet pods run on %v, want one on each of %v", nodes, want)
	}
	if cp := c.ControlPlaneNode(); cp == "" || !slices.Contains(nodes, cp) {
		t.Fatalf("no DaemonSet pod on control-plane node %q", cp)
	}
}

func checkDeployment(t *testing.T, c *framework.Cluster, ns string) {
	labels := map[string]string{"app": "web"}
	replicas := int32(3)
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: podTemplate(labels, "web"),
		},
	}
	if _, err := c.Client.AppsV1().Deployments(ns).Create(t.Context(), d, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create Deployment: %v", err)
	}
	for _, p := range waitRunningPods(t, c, ns, "app=web", int(replicas)) {
		if p.Spec.NodeName == c.ControlPlaneNode() {
			t.Errorf("pod %s without toleration landed on the tainted control-plane node", p.Name)
		}
	}
}

func checkLogs(t *testing.T, c *framework.Cluster, ns string) {
	pod := waitRunningPods(t, c, ns, "app=web", 3)[0].Name
	text := "first line of " + c.Name + "\nsecond line\n"
	if err := c.SetPodLogs(t.Context(), ns, pod, map[string]string{"web": text}); err != nil {
		t.Fatal(err)
	}
	for _, previous := range []bool{false, true} {
		got, err := c.Client.CoreV1().Pods(ns).GetLogs(pod, &corev1.PodLogOptions{Container: "web", Previous: previous}).DoRaw(t.Context())
		if err != nil {
			t.Fatalf("GetLogs(previous=%v): %v", previous, err)
		}
		if string(got) != framework.ExpectedLog(text) {
			t.Errorf("GetLogs(previous=%v) = %q, want %q", previous, got, framework.ExpectedLog(text))
		}
	}
	other := waitRunningPods(t, c, ns, "app=agent", len(c.NodeNames()))[0].Name
	got, err := c.Client.CoreV1().Pods(ns).GetLogs(other, &corev1.PodLogOptions{Container: "agent"}).DoRaw(t.Context())
	if err != nil || string(got) != framework.ExpectedLog(framework.DefaultLogLine) {
		t.Errorf("GetLogs of a pod without fixture = %q, %v; want the default log", got, err)
	}
}

func checkExecTar(t *testing.T, c *framework.Cluster, ns string) {
	pods := waitRunningPods(t, c, ns, "app=web", 3)
	root, err := filepath.Abs(filepath.Join("testdata", "podroot"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetPodRoot(t.Context(), ns, pods[0].Name, root); err != nil {
		t.Fatal(err)
	}
	var out, stderr bytes.Buffer
	cmd := []string{"tar", "cf", "-", "/var/log"}
	if err := c.Exec(t.Context(), ns, pods[0].Name, "web", cmd, nil, &out, &stderr); err != nil {
		t.Fatalf("exec tar: %v (stderr %q)", err, stderr.String())
	}
	got := readTar(t, &out)
	want := readTree(t, root, "var/log")
	if !maps.Equal(got, want) {
		t.Errorf("tar of /var/log holds %v, want %v", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
	}
	// A pod without its own root gets the empty default one, never the host's.
	out.Reset()
	stderr.Reset()
	err = c.Exec(t.Context(), ns, pods[1].Name, "web", []string{"tar", "cf", "-", "/etc/hostname"}, nil, &out, &stderr)
	if err == nil {
		t.Errorf("tar of /etc/hostname in a pod without fixture root succeeded (%d bytes)", out.Len())
	}
}

// readTar returns the regular files of an archive, name to content.
func readTar(t *testing.T, r io.Reader) map[string]string {
	files := map[string]string{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files
		}
		if err != nil {
			t.Fatalf("read tar: %v", err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("read %s from tar: %v", h.Name, err)
		}
		files[h.Name] = string(data)
	}
}

// readTree returns the regular files under root/sub, named relative to root.
func readTree(t *testing.T, root, sub string) map[string]string {
	files := map[string]string{}
	err := filepath.WalkDir(filepath.Join(root, sub), func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		files[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatalf("read fixture tree: %v", err)
	}
	return files
}

var widgets = schema.GroupVersionResource{Group: "e2e.dkp.io", Version: "v1", Resource: "widgets"}

func checkCustomResources(t *testing.T, c *framework.Cluster, ns string) {
	crdYAML := `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.e2e.dkp.io
spec:
  group: e2e.dkp.io
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
`
	file := filepath.Join(t.TempDir(), "crd.yaml")
	if err := os.WriteFile(file, []byte(crdYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := c.InstallCRDs(t.Context(), file); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"one", "two"} {
		w := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "e2e.dkp.io/v1", "kind": "Widget",
			"metadata": map[string]any{"name": name},
			"spec":     map[string]any{"size": name},
		}}
		if _, err := c.Dynamic.Resource(widgets).Namespace(ns).Create(t.Context(), w, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create Widget %s: %v", name, err)
		}
	}
	list, err := c.Dynamic.Resource(widgets).Namespace(ns).List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list Widgets: %v", err)
	}
	if len(list.Items) != 2 {
		t.Fatalf("listed %d Widgets, want 2", len(list.Items))
	}
}

func checkSecret(t *testing.T, c *framework.Cluster, ns string) {
	data := map[string][]byte{"password": []byte("hunter2\x00\xff"), "token": []byte("abc")}
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "creds", Namespace: ns}, Data: data}
	if _, err := c.Client.CoreV1().Secrets(ns).Create(t.Context(), s, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create Secret: %v", err)
	}
	got, err := c.Client.CoreV1().Secrets(ns).Get(t.Context(), "creds", getOpts)
	if err != nil {
		t.Fatalf("get Secret: %v", err)
	}
	if !maps.EqualFunc(got.Data, data, bytes.Equal) {
		t.Fatalf("Secret data = %q, want %q", got.Data, data)
	}
}

// checkKubeconfig uses the kubeconfig file as the CLI will: through clientcmd.
func checkKubeconfig(t *testing.T, c *framework.Cluster) {
	cs := clientFromKubeconfig(t, c.KubeconfigPath)
	nodes, err := cs.CoreV1().Nodes().List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list nodes with %s: %v", c.KubeconfigPath, err)
	}
	if len(nodes.Items) != len(c.NodeNames()) {
		t.Fatalf("kubeconfig sees %d nodes, want %d", len(nodes.Items), len(c.NodeNames()))
	}
}

func checkRBACDenial(t *testing.T, c *framework.Cluster, ns string) {
	cs := clientFromKubeconfig(t, c.UserKubeconfig(t, "alice", "support"))
	_, err := cs.CoreV1().Secrets(ns).List(t.Context(), metav1.ListOptions{})
	if !apierrors.IsForbidden(err) {
		t.Fatalf("alice listing secrets: err = %v, want Forbidden", err)
	}
	if !strings.Contains(err.Error(), `"alice"`) {
		t.Errorf("Forbidden error does not name the user: %v", err)
	}
}

func clientFromKubeconfig(t *testing.T, path string) kubernetes.Interface {
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatalf("load kubeconfig %s: %v", path, err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatalf("client from %s: %v", path, err)
	}
	return cs
}
