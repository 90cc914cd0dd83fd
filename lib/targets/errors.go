package targets

import (
	"errors"
	"fmt"
	"strings"
)

// The resolvers' errors are typed so that a caller can tell what was
// missing and for which cluster, and say it in its own terms: the CLI turns
// them into flag hints ("pass --bootstrap-kubeconfig"), another program into
// whatever setting it has. Their texts name no flag.

// ErrBadInput marks resolver errors caused by the caller's input (a missing
// kubeconfig file), as opposed to a cluster that cannot be found.
var ErrBadInput = errors.New("bad input")

// BootstrapProblem is what was missing to find the Kind bootstrap cluster.
type BootstrapProblem int

// Bootstrap problems.
const (
	// NoContainerEngine: no Docker, Podman or nerdctl to ask Kind with.
	NoContainerEngine BootstrapProblem = iota + 1
	// ContainerEngineFailed: the container engine did not list the Kind
	// clusters (not running, no permission).
	ContainerEngineFailed
	// NoKindCluster: Kind knows no cluster of that name.
	NoKindCluster
	// KindKubeconfigFailed: Kind knows the cluster but gave no usable
	// kubeconfig for it.
	KindKubeconfigFailed
)

// BootstrapError says why the Kind bootstrap cluster was not found. A
// kubeconfig given for it instead (BootstrapOptions.Kubeconfig) avoids
// every one of these.
type BootstrapError struct {
	// Cluster is the Kind cluster name looked for.
	Cluster string
	// Problem is what was missing.
	Problem BootstrapProblem
	// Found lists the Kind clusters there are (NoKindCluster).
	Found []string
	// Err is the underlying error, if any.
	Err error
}

func (e *BootstrapError) Error() string {
	prefix := fmt.Sprintf("bootstrap cluster %q: ", e.Cluster)
	switch e.Problem {
	case NoContainerEngine:
		return prefix + "no container engine found (docker, podman or nerdctl) to look up Kind clusters"
	case ContainerEngineFailed:
		return prefix + "cannot list Kind clusters (is the container engine running?): " + kindError(e.Err)
	case NoKindCluster:
		found := "none"
		if len(e.Found) > 0 {
			found = strings.Join(e.Found, ", ")
		}
		return prefix + "no such Kind cluster (found: " + found + ")"
	case KindKubeconfigFailed:
		return prefix + "Kind kubeconfig: " + kindError(e.Err)
	}
	if e.Err == nil {
		return prefix + "not found"
	}
	return prefix + kindError(e.Err)
}

func (e *BootstrapError) Unwrap() error { return e.Err }

// KubeconfigError is a kubeconfig file the caller named for a cluster that
// cannot be used (missing, unreadable, invalid). It is bad input: Resolve
// returns it rather than skipping the cluster.
type KubeconfigError struct {
	// Role is the role of the cluster the file was given for.
	Role Role
	// Path is the file.
	Path string
	Err  error
}

func (e *KubeconfigError) Error() string {
	return fmt.Sprintf("%s kubeconfig %s: %v", e.Role, e.Path, e.Err)
}

// Unwrap gives the cause and ErrBadInput.
func (e *KubeconfigError) Unwrap() []error { return []error{ErrBadInput, e.Err} }

// ClusterRefError is a cluster reference that is not NAMESPACE/NAME.
type ClusterRefError struct {
	// Input is the text given.
	Input string
}

func (e *ClusterRefError) Error() string {
	return fmt.Sprintf("cluster %q: want NAMESPACE/NAME", e.Input)
}

// ClusterNotFoundError is a workload cluster asked for by name
// (Request.Only) that no management or bootstrap cluster holds.
type ClusterNotFoundError struct {
	Ref ClusterRef
}

func (e *ClusterNotFoundError) Error() string {
	return "cluster " + e.Ref.String() + ": no such Cluster API cluster found"
}
