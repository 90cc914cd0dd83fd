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
	// Server is the API server URL.
	Server string `json:"server,omitempty"`
	// Prefix goes before "support-bundle-…" in the bundle name.
	Prefix string `json:"prefix"`
	// DefaultNamespace is the kubeconfig context's namespace.
	DefaultNamespace string `json:"-"`
	// Config reaches the cluster's API server.
	Config *rest.Config `json:"-"`
	// Probe is the outcome of Probe, when it ran.
	Probe *ProbeResult `json:"probe,omitempty"`
}

// ID is "role/namespace/name" (or "role/name"), for messages and sorting.
func (t *Target) ID() string {
	if t.Namespace != "" {
		return string(t.Role) + "/" + t.Namespace + "/" + t.Name
	}
	return string(t.Role) + "/" + t.Name
}

// Label is a short human name: "name" or "namespace/name".
func (t *Target) Label() string {
	if t.Namespace != "" {
		return t.Namespace + "/" + t.Name
	}
	return t.Name
}

// Skipped is a cluster that was found but cannot be collected from.
type Skipped struct {
	Role      Role   `json:"role"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
	Source    string `json:"source,omitempty"`
	Reason    string `json:"reason"`
	// Failure is true when the skip is an error (a bootstrap cluster that
	// cannot be found, an unreadable kubeconfig secret, a --cluster that does
	// not exist) rather than an expected state (a cluster still
	// provisioning, with no kubeconfig secret yet).
	Failure bool `json:"failure,omitempty"`
	// Err is the typed error behind a failure (a *BootstrapError, a
	// *ClusterNotFoundError, …) when there is one, for callers that explain
	// it in their own terms; Reason is its text.
	Err error `json:"-"`
}

// Label is a short human name: "name" or "namespace/name".
func (s *Skipped) Label() string {
	if s.Namespace != "" {
		return s.Namespace + "/" + s.Name
	}
	return s.Name
}
