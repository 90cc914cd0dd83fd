package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	authv1 "k8s.io/api/authorization/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/mesosphere/dkp-diagnose/lib/collect"
	"github.com/mesosphere/dkp-diagnose/lib/incluster"
)

// TestInClusterObjects (issue #18): what an in-cluster run creates in a
// real management cluster — its namespace, service account, ClusterRole
// and binding, an Indexed Job whose controller makes one pod per shard —
// labelled as ours; the service account may read (clusters, kubeconfig
// secrets) and not write; a second Create resumes; the sweep removes only
// expired runs; Remove leaves nothing.
func TestInClusterObjects(t *testing.T) {
	mgmt := startClusters(t, "mgmt")["mgmt"]
	installCAPI(t, mgmt, "clusters-v1beta2.yaml")
	ctx := context.Background()
	cs := mgmt.Client
	run := &incluster.RunSpec{RunID: "abc123", Image: "dkp-diagnose.local/dkp-diagnose:test", PullPolicy: corev1.PullIfNotPresent,
		Shards: 3, Args: []string{"worker"}, Lifetime: 10 * time.Minute}
	secret := run.Secret("upload", map[string]string{"AWS_ACCESS_KEY_ID": "k"})
	run.SecretEnv = secret.Name
	require.NoError(t, incluster.Create(ctx, cs, run, secret))
	t.Cleanup(func() { _ = incluster.Remove(context.Background(), cs, run.RunID) })

	name := "dkp-diagnose-abc123"
	job, err := cs.BatchV1().Jobs(name).Get(ctx, name, metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, batchv1.IndexedCompletion, *job.Spec.CompletionMode)
	assert.EqualValues(t, 3, *job.Spec.Completions)
	assert.EqualValues(t, 3, *job.Spec.Parallelism)
	assert.Equal(t, collect.ManagedBy, job.Labels[collect.LabelManagedBy])
	assert.Equal(t, "abc123", job.Labels[collect.LabelRun])
	assert.NotEmpty(t, job.Annotations[collect.AnnotationExpires])
	assert.Equal(t, name, job.Spec.Template.Spec.ServiceAccountName)
	assert.Equal(t, "upload", job.Spec.Template.Spec.Containers[0].EnvFrom[0].SecretRef.Name)

	// The Job controller makes one pod per index.
	indexes := map[int]bool{}
	require.Eventually(t, func() bool {
		pods, err := cs.CoreV1().Pods(name).List(ctx, metav1.ListOptions{LabelSelector: collect.LabelRun + "=abc123"})
		if err != nil {
			return false
		}
		for _, p := range pods.Items {
			indexes[incluster.IndexOf(&p)] = true
		}
		return len(indexes) == 3
	}, time.Minute, 500*time.Millisecond, "pods of indexes 0, 1, 2")
	assert.Equal(t, map[int]bool{0: true, 1: true, 2: true}, indexes)

	// What the service account may do, asked of the API server as it.
	sa := mgmt.RESTConfig()
	sa.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:" + name + ":" + name}
	saClient, err := kubernetes.NewForConfig(sa)
	require.NoError(t, err)
	can := func(verb, group, resource, ns string) bool {
		r, err := saClient.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authv1.SelfSubjectAccessReview{Spec: authv1.SelfSubjectAccessReviewSpec{
			ResourceAttributes: &authv1.ResourceAttributes{Verb: verb, Group: group, Resource: resource, Namespace: ns}}}, metav1.CreateOptions{})
		require.NoError(t, err)
		return r.Status.Allowed
	}
	assert.True(t, can("list", "cluster.x-k8s.io", "clusters", ""))
	assert.True(t, can("get", "", "secrets", "fleet"))
	assert.True(t, can("get", "", "pods/log", "kube-system"))
	assert.False(t, can("create", "", "secrets", "fleet"), "no writes but the node collector's")
	assert.False(t, can("delete", "", "namespaces", ""))
	assert.False(t, can("update", "cluster.x-k8s.io", "clusters", "fleet"))

	// A second Create with the run's ID resumes it.
	require.NoError(t, incluster.Create(ctx, cs, run, secret))
	found, err := incluster.FindRun(ctx, cs, "abc123")
	require.NoError(t, err)
	require.NotNil(t, found)
	assert.EqualValues(t, 3, *found.Spec.Completions)

	// The sweep removes a run whose expiry passed, not this one.
	old := &incluster.RunSpec{RunID: "old", Image: run.Image, Shards: 1, Lifetime: time.Minute,
		Now: func() time.Time { return time.Now().Add(-time.Hour) }}
	require.NoError(t, incluster.Create(ctx, cs, old))
	sctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	require.NoError(t, incluster.SweepExpired(sctx, cs, time.Now()))
	_, err = cs.CoreV1().Namespaces().Get(ctx, "dkp-diagnose-old", metav1.GetOptions{})
	assert.True(t, apierrors.IsNotFound(err), "the expired run is swept: %v", err)
	_, err = cs.RbacV1().ClusterRoles().Get(ctx, "dkp-diagnose-old", metav1.GetOptions{})
	assert.True(t, apierrors.IsNotFound(err))
	_, err = cs.BatchV1().Jobs(name).Get(ctx, name, metav1.GetOptions{})
	assert.NoError(t, err, "the running one stays")

	// Remove leaves nothing of ours.
	rctx, cancel2 := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel2()
	require.NoError(t, incluster.Remove(rctx, cs, "abc123"))
	sel := metav1.ListOptions{LabelSelector: collect.LabelManagedBy + "=" + collect.ManagedBy}
	nss, err := cs.CoreV1().Namespaces().List(ctx, sel)
	require.NoError(t, err)
	assert.Empty(t, nss.Items)
	crs, err := cs.RbacV1().ClusterRoles().List(ctx, sel)
	require.NoError(t, err)
	assert.Empty(t, crs.Items)
	crbs, err := cs.RbacV1().ClusterRoleBindings().List(ctx, sel)
	require.NoError(t, err)
	assert.Empty(t, crbs.Items)
	pods, err := cs.CoreV1().Pods("").List(ctx, sel)
	require.NoError(t, err)
	assert.Empty(t, pods.Items)
}
