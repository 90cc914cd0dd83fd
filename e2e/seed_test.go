package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

// Secret values seeded into clusters; none may appear in any bundle file.
const (
	secretPassword  = "s3cr3t-Passw0rd-4711"
	secretToken     = "tok-9f8e7d6c5b4a3921"
	configPassword  = "hunter2-in-configmap"
	logPassword     = "hunter2-in-logs"
	logBearerToken  = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0ZXN0LXVzZXIifQ.c2lnbmF0dXJlLW9mLXRlc3QtdG9rZW4"
	privateKeyBody  = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj"
	privateKeyBody2 = "MqXKwH2k6W1l0KjZ3zQ8v1dRzYx6Mw0mS7tP0n9kQ2fX8cB4eT5yU1iO3pL6aZ7q"
)

var seededSecrets = []string{secretPassword, secretToken, configPassword, logPassword, logBearerToken, privateKeyBody, privateKeyBody2}

// crd describes a test CRD.
type crd struct {
	group, plural, kind string
	namespaced          bool
}

func (c crd) name() string { return c.plural + "." + c.group }

func (c crd) gvr() schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: c.group, Version: "v1", Resource: c.plural}
}

var (
	widgets = crd{group: "example.dkp.io", plural: "widgets", kind: "Widget", namespaced: true}
	gadgets = crd{group: "example.dkp.io", plural: "gadgets", kind: "Gadget", namespaced: false}
)

func mustCreateNamespace(t *testing.T, c kubernetes.Interface, name string) {
	t.Helper()
	_, err := c.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	require.NoError(t, err)
}

// createCRD installs a CRD with a schemaless v1 and waits until it serves.
func createCRD(t *testing.T, dyn dynamic.Interface, c crd) {
	t.Helper()
	scope := "Cluster"
	if c.namespaced {
		scope = "Namespaced"
	}
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1",
		"kind":       "CustomResourceDefinition",
		"metadata":   map[string]any{"name": c.name()},
		"spec": map[string]any{
			"group": c.group,
			"scope": scope,
			"names": map[string]any{"plural": c.plural, "singular": strings.ToLower(c.kind), "kind": c.kind, "listKind": c.kind + "List"},
			"versions": []any{map[string]any{
				"name": "v1", "served": true, "storage": true,
				"schema": map[string]any{"openAPIV3Schema": map[string]any{
					"type": "object", "x-kubernetes-preserve-unknown-fields": true,
				}},
			}},
		},
	}}
	crdGVR := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	ctx := context.Background()
	_, err := dyn.Resource(crdGVR).Create(ctx, obj, metav1.CreateOptions{})
	require.NoError(t, err)
	// Established in status is not enough: the first LIST can still 404 for
	// a moment, so wait until one succeeds.
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := dyn.Resource(c.gvr()).List(ctx, metav1.ListOptions{Limit: 1})
		return err == nil, nil
	})
	require.NoError(t, err, "CRD %s never served", c.name())
}

func createCustomObject(t *testing.T, dyn dynamic.Interface, c crd, namespace, name string) {
	t.Helper()
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": c.group + "/v1",
		"kind":       c.kind,
		"metadata":   map[string]any{"name": name},
		"spec":       map[string]any{"size": 3, "color": "teal"},
	}}
	var err error
	if c.namespaced {
		obj.SetNamespace(namespace)
		_, err = dyn.Resource(c.gvr()).Namespace(namespace).Create(context.Background(), obj, metav1.CreateOptions{})
	} else {
		_, err = dyn.Resource(c.gvr()).Create(context.Background(), obj, metav1.CreateOptions{})
	}
	require.NoError(t, err)
}

func createDeployment(t *testing.T, c kubernetes.Interface, namespace, name string, replicas int32) {
	t.Helper()
	labels := map[string]string{"app": name}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "main", Image: "example.invalid/web:1"}}},
			},
		},
	}
	_, err := c.AppsV1().Deployments(namespace).Create(context.Background(), d, metav1.CreateOptions{})
	require.NoError(t, err)
}

func createPod(t *testing.T, c kubernetes.Interface, namespace, name string, labels map[string]string, containers ...string) {
	t.Helper()
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: labels}}
	for _, n := range containers {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: n, Image: "example.invalid/" + n + ":1"})
	}
	_, err := c.CoreV1().Pods(namespace).Create(context.Background(), p, metav1.CreateOptions{})
	require.NoError(t, err)
}

// waitPodsRunning waits until n pods matching selector in namespace run.
func waitPodsRunning(t *testing.T, c kubernetes.Interface, namespace, selector string, n int) []corev1.Pod {
	t.Helper()
	var pods []corev1.Pod
	err := wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		l, err := c.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			return false, nil
		}
		pods = pods[:0]
		for _, p := range l.Items {
			if p.Status.Phase == corev1.PodRunning {
				pods = append(pods, p)
			}
		}
		return len(pods) >= n, nil
	})
	require.NoError(t, err, "waiting for %d running pods %q in %s", n, selector, namespace)
	return pods
}

// grantNamespaceReader lets user read everything in one namespace, nothing else.
func grantNamespaceReader(t *testing.T, c kubernetes.Interface, namespace, user string) {
	t.Helper()
	ctx := context.Background()
	_, err := c.RbacV1().Roles(namespace).Create(ctx, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "reader"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"get", "list", "watch"}}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = c.RbacV1().RoleBindings(namespace).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "reader-" + user},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "reader"},
		Subjects:   []rbacv1.Subject{{Kind: "User", Name: user, APIGroup: "rbac.authorization.k8s.io"}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
}

func secretData() map[string][]byte {
	return map[string][]byte{"password": []byte(secretPassword), "token": []byte(secretToken)}
}

func fixtureLog() string {
	return fmt.Sprintf(`starting logger
connecting with password=%s
GET /api Authorization: Bearer %s
loaded key:
-----BEGIN PRIVATE KEY-----
%s
%s
-----END PRIVATE KEY-----
ready to serve
`, logPassword, logBearerToken, privateKeyBody, privateKeyBody2)
}
