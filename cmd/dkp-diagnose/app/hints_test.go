package app

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/mesosphere/dkp-diagnose/lib/targets"
)

// TestFlagHints: the libraries' typed errors get the flag to pass.
func TestFlagHints(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{&targets.BootstrapError{Cluster: "b", Problem: targets.NoContainerEngine},
			`bootstrap cluster "b": no container engine found (docker, podman or nerdctl) to look up Kind clusters; pass --bootstrap-kubeconfig`},
		{&targets.BootstrapError{Cluster: "b", Problem: targets.ContainerEngineFailed, Err: errors.New("docker ps: down")},
			`bootstrap cluster "b": cannot list Kind clusters (is the container engine running?): docker ps: down; pass --bootstrap-kubeconfig`},
		{&targets.BootstrapError{Cluster: "mine", Problem: targets.NoKindCluster, Found: []string{"other"}},
			`bootstrap cluster "mine": no such Kind cluster (found: other); pass --bootstrap-cluster-name or --bootstrap-kubeconfig`},
		{&targets.KubeconfigError{Role: targets.RoleBootstrap, Path: "/x/kc", Err: errors.New("no such file")},
			`--bootstrap-kubeconfig: bootstrap kubeconfig /x/kc: no such file`},
		{&targets.ClusterRefError{Input: "prod"}, `--cluster "prod": want NAMESPACE/NAME`},
		{&targets.ClusterNotFoundError{Ref: targets.ClusterRef{Namespace: "fleet", Name: "nope"}},
			`--cluster fleet/nope: no such Cluster API cluster found`},
		{errors.New("other"), "other"},
	}
	for _, c := range cases {
		assert.EqualError(t, withFlagHint(c.err), c.want)
	}
	be := &targets.BootstrapError{Cluster: "b", Problem: targets.NoKindCluster}
	assert.ErrorIs(t, withFlagHint(be), be, "the typed error is still there")
}
