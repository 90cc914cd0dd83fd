package targets

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sync/errgroup"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Cluster API conventions (hard-coded: the constants live in the heavy
// cluster-api main module).
const (
	capiGroup           = "cluster.x-k8s.io"
	kubeconfigSuffix    = "-kubeconfig"
	kubeconfigKey       = "value"
	clusterListPageSize = 500
)

// capiVersions are tried in order: v1beta2 is the storage version since
// Cluster API v1.11, v1beta1 is what older Konvoy clusters serve.
var capiVersions = []string{"v1beta2", "v1beta1"}

// secretReads bounds the kubeconfig secrets read at once.
const secretReads = 8

// ClusterRef names a Cluster API Cluster: NAMESPACE/NAME.
type ClusterRef struct{ Namespace, Name string }

func (r ClusterRef) String() string { return r.Namespace + "/" + r.Name }

// ParseClusterRef parses NAMESPACE/NAME; a malformed s is a
// *ClusterRefError.
func ParseClusterRef(s string) (ClusterRef, error) {
	ns, name, ok := strings.Cut(s, "/")
	if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
		return ClusterRef{}, &ClusterRefError{Input: s}
	}
	return ClusterRef{Namespace: ns, Name: name}, nil
}

// Workloads lists the Cluster API clusters known to the cluster of from (a
// management or bootstrap cluster) and returns a target for each one whose
// kubeconfig secret can be read, and a Skipped entry for each one whose
// cannot. only, when not empty, limits the clusters looked at. It returns
// capi="" (and no error) when Cluster API is not installed there. A
// kubeconfig that would run a command or read a local file is refused (a
// Skipped entry) unless policy allows its cluster.
func Workloads(ctx context.Context, from *Target, only []ClusterRef, policy KubeconfigPolicy) (ts []*Target, skipped []Skipped, capi string, err error) {
	cfg := rest.CopyConfig(from.Config)
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, nil, "", err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, nil, "", err
	}
	capi, err = eachClusterPage(ctx, dyn, only, func(refs []ClusterRef) {
		// One GET per cluster: read the secrets side by side, since a
		// management cluster may be far away and each read is a round
		// trip; a page at a time, so that a huge fleet is not held whole.
		found := make([]*Target, len(refs))
		skips := make([]*Skipped, len(refs))
		var g errgroup.Group
		g.SetLimit(secretReads)
		for i, ref := range refs {
			g.Go(func() error {
				found[i], skips[i] = workload(ctx, cs, from, ref, policy)
				return nil
			})
		}
		_ = g.Wait()
		for i := range refs {
			if skips[i] != nil {
				skipped = append(skipped, *skips[i])
			} else {
				ts = append(ts, found[i])
			}
		}
	})
	if err != nil {
		return nil, nil, capi, err
	}
	return ts, skipped, capi, nil
}

// ClusterRefs lists the Cluster API clusters known to the cluster of from,
// as Workloads does, but reads no kubeconfig secret: for a caller that
// needs the names only (an in-cluster run's CLI, whose pods read the
// secrets). It returns capi="" (and no refs) when Cluster API is not
// installed there.
func ClusterRefs(ctx context.Context, from *Target, only []ClusterRef) (refs []ClusterRef, capi string, err error) {
	dyn, err := dynamic.NewForConfig(rest.CopyConfig(from.Config))
	if err != nil {
		return nil, "", err
	}
	capi, err = eachClusterPage(ctx, dyn, only, func(page []ClusterRef) { refs = append(refs, page...) })
	return refs, capi, err
}

// eachClusterPage hands each page of the Cluster objects (those of only,
// when not empty) of the Cluster API version the cluster serves to page,
// and returns that version: "" (and no error, no page) when it serves
// none. The list itself says which version is served (an unserved one is
// 404): no discovery request first, a round trip less to a management
// cluster that may be far away.
func eachClusterPage(ctx context.Context, dyn dynamic.Interface, only []ClusterRef, page func([]ClusterRef)) (string, error) {
	want := map[ClusterRef]bool{}
	for _, r := range only {
		want[r] = true
	}
	for _, version := range capiVersions {
		gvr := schema.GroupVersionResource{Group: capiGroup, Version: version, Resource: "clusters"}
		opts := metav1.ListOptions{Limit: clusterListPageSize}
		for {
			list, err := dyn.Resource(gvr).Namespace(metav1.NamespaceAll).List(ctx, opts)
			if apierrors.IsNotFound(err) && opts.Continue == "" {
				break // not this version
			}
			if err != nil {
				return version, fmt.Errorf("list %s: %w", gvr.GroupResource(), err)
			}
			var refs []ClusterRef
			for _, item := range list.Items {
				ref := ClusterRef{Namespace: item.GetNamespace(), Name: item.GetName()}
				if len(want) == 0 || want[ref] {
					refs = append(refs, ref)
				}
			}
			page(refs)
			if opts.Continue = list.GetContinue(); opts.Continue == "" {
				return version, nil
			}
		}
	}
	return "", nil
}

// workload reads a Cluster's kubeconfig secret.
func workload(ctx context.Context, cs kubernetes.Interface, from *Target, ref ClusterRef, policy KubeconfigPolicy) (*Target, *Skipped) {
	secret := ref.Name + kubeconfigSuffix
	source := fmt.Sprintf("secret %s/%s on %s cluster %s", ref.Namespace, secret, from.Role, from.Name)
	skip := func(failure bool, format string, args ...any) *Skipped {
		return &Skipped{Role: RoleWorkload, Name: ref.Name, Namespace: ref.Namespace, Source: source,
			Reason: fmt.Sprintf(format, args...), Failure: failure}
	}
	s, err := cs.CoreV1().Secrets(ref.Namespace).Get(ctx, secret, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return nil, skip(false, "no kubeconfig secret %s/%s yet (still provisioning?)", ref.Namespace, secret)
	case err != nil:
		return nil, skip(true, "read kubeconfig secret %s/%s: %v", ref.Namespace, secret, err)
	}
	data, ok := s.Data[kubeconfigKey]
	if !ok || len(data) == 0 {
		return nil, skip(true, "kubeconfig secret %s/%s has no %q key", ref.Namespace, secret, kubeconfigKey)
	}
	// Checked before anything of it is used: building the REST config
	// already reads a tokenFile.
	if !policy.allows(ref) {
		// A refusal is policy, not a failure: the target is skipped
		// with its reason, as one still provisioning is.
		var unsafe *UnsafeKubeconfigError
		if err := checkKubeconfigData(data); errors.As(err, &unsafe) {
			return nil, skip(false, "kubeconfig secret %s/%s: %v", ref.Namespace, secret, err)
		} else if err != nil {
			return nil, skip(true, "kubeconfig secret %s/%s: %v", ref.Namespace, secret, err)
		}
	}
	t, err := fromKubeconfig(data)
	if err != nil {
		return nil, skip(true, "kubeconfig secret %s/%s: %v", ref.Namespace, secret, err)
	}
	t.Role, t.Name, t.Namespace, t.Source = RoleWorkload, ref.Name, ref.Namespace, source
	return t, nil
}
