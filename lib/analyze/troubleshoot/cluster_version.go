package troubleshoot

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/blang/semver/v4"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

// clusterVersion: the server's version against semver ranges (blang/semver,
// the library and range syntax troubleshoot uses: "< 1.13.0",
// ">=1.20.0 <1.30.0", "!1.25.3", "||").

func init() {
	register("clusterVersion", func(b *bundle, s any) ([]*Result, error) {
		a := s.(*spec.ClusterVersionAnalyze)
		r, err := clusterVersion(b, a)
		if err != nil {
			return nil, err
		}
		return setStrict([]*Result{r}, a.AnalyzeMeta), nil
	})
}

func clusterVersion(b *bundle, a *spec.ClusterVersionAnalyze) (*Result, error) {
	data, err := b.read("cluster-info/cluster_version.json")
	if err != nil {
		return nil, fmt.Errorf("failed to get contents of cluster_version.json: %w", err)
	}
	var cv struct {
		String string `json:"string"`
	}
	if err := json.Unmarshal(data, &cv); err != nil {
		return nil, fmt.Errorf("failed to parse cluster_version.json: %w", err)
	}
	v := cv.String
	if strings.Contains(v, "-eks-") { // troubleshoot's workaround for EKS pre-release strings
		v = strings.Split(v, "-")[0]
	}
	version, err := semver.Make(strings.TrimLeft(v, "v"))
	if err != nil {
		return nil, fmt.Errorf("failed to parse semver from cluster_version.json: %w", err)
	}
	title := a.CheckName
	if title == "" {
		title = "Required Kubernetes Version"
	}
	for _, o := range a.Outcomes {
		out, when, ok := pick(o)
		if !ok {
			return nil, errors.New("empty outcome")
		}
		r := &Result{Title: title, IconKey: "kubernetes_cluster_version", IconURI: "https://troubleshoot.sh/images/analyzer-icons/kubernetes.svg?w=16&h=16"}
		if when == "" {
			apply(r, out)
			return r, nil
		}
		rng, err := semver.ParseRange(when)
		if err != nil {
			return nil, fmt.Errorf("failed to parse semver range: %w", err)
		}
		if rng(version) {
			apply(r, out)
			return r, nil
		}
	}
	return &Result{}, nil
}
