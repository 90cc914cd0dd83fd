package app

import (
	"errors"
	"fmt"

	"github.com/mesosphere/dkp-diagnose/lib/targets"
)

// withFlagHint says a library error in the command's terms: the libraries
// name what was missing and for which cluster, and know no flags; here the
// error gets the flag to pass or fix. Other errors pass unchanged.
func withFlagHint(err error) error {
	var (
		be *targets.BootstrapError
		ke *targets.KubeconfigError
		re *targets.ClusterRefError
		ne *targets.ClusterNotFoundError
	)
	switch {
	case errors.As(err, &ke) && ke.Role == targets.RoleBootstrap:
		return fmt.Errorf("--bootstrap-kubeconfig: %w", err)
	case errors.As(err, &be):
		switch be.Problem {
		case targets.NoContainerEngine, targets.ContainerEngineFailed, targets.KindKubeconfigFailed:
			return fmt.Errorf("%w; pass --bootstrap-kubeconfig", err)
		case targets.NoKindCluster:
			return fmt.Errorf("%w; pass --bootstrap-cluster-name or --bootstrap-kubeconfig", err)
		}
	case errors.As(err, &re):
		return fmt.Errorf("--cluster %q: want NAMESPACE/NAME", re.Input)
	case errors.As(err, &ne):
		return fmt.Errorf("--cluster %s: no such Cluster API cluster found", ne.Ref)
	}
	return err
}
