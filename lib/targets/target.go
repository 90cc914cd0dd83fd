package targets

import "k8s.io/client-go/rest"

// Role says how a target relates to the fleet.
type Role string

// Roles.
const (
	// RoleCurrent is the cluster of the current kubeconfig context, usually
	// the Konvoy management cluster.
	RoleCurrent Role = "current"
	// RoleBootstrap is the local Kind cluster a Cluster API install starts from.
	RoleBootstrap Role = "bootstrap"
	// RoleWorkload is a cluster described by a Cluster API Cluster object.
	RoleWorkload Role = "workload"
)

// Target is one cluster to collect from.
type Target struct {
	Role Role `json:"role"`
	// Name is the context, Kind cluster or Cluster API Cluster name.
	Name string `json:"name"`
	// Namespace is the Cluster object's namespace (workload clusters).
	Namespace string `json:"namespace,omitempty"`
	// Source says where the REST config came from, for the summary.
	Source string `json:"source"`
	// Prefix goes before "support-bundle-…" in the bundle name.
	Prefix string `json:"prefix"`
	// DefaultNamespace is the kubeconfig context's namespace.
	DefaultNamespace string `json:"-"`
	// Config reaches the cluster's API server.
	Config *rest.Config `json:"-"`
}
