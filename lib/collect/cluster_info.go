package collect

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/version"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

func init() { register("clusterInfo", newClusterInfo) }

type clusterInfo struct{}

func newClusterInfo(*spec.ClusterInfo) (Collector, error) { return clusterInfo{}, nil }

// clusterVersion is troubleshoot.sh's cluster_version.json shape, which its
// clusterVersion analyzer reads.
type clusterVersion struct {
	Info   *version.Info `json:"info"`
	String string        `json:"string"`
}

func (clusterInfo) Collect(ctx context.Context, env *Env) error {
	v, err := env.Client.Discovery().ServerVersion()
	if err != nil {
		_ = env.Out.WriteErrors("cluster-info/errors.json", []string{err.Error()})
		return fmt.Errorf("server version: %w", err)
	}
	return env.Out.WriteJSON("cluster-info/cluster_version.json", clusterVersion{Info: v, String: v.GitVersion})
}
