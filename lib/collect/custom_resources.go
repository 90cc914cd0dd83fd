package collect

import (
	"context"
	"encoding/json"
	"sort"

	"golang.org/x/sync/errgroup"
)

const customResourcesDir = resourcesDir + "custom-resources/"

// crdInfo is what listing a CRD's objects needs.
type crdInfo struct {
	name       string // plural.group
	group      string
	version    string
	plural     string
	namespaced bool
}

// parseCRD reads a CRD item and picks the version to list: the storage
// version when served, else the first served one.
func parseCRD(item json.RawMessage) (crdInfo, bool) {
	var crd struct {
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
		Spec struct {
			Group string `json:"group"`
			Names struct {
				Plural string `json:"plural"`
			} `json:"names"`
			Scope    string `json:"scope"`
			Versions []struct {
				Name    string `json:"name"`
				Served  bool   `json:"served"`
				Storage bool   `json:"storage"`
			} `json:"versions"`
		} `json:"spec"`
	}
	if json.Unmarshal(item, &crd) != nil {
		return crdInfo{}, false
	}
	info := crdInfo{name: crd.Metadata.Name, group: crd.Spec.Group, plural: crd.Spec.Names.Plural, namespaced: crd.Spec.Scope == "Namespaced"}
	for _, v := range crd.Spec.Versions {
		if v.Served && (v.Storage || info.version == "") {
			info.version = v.Name
		}
	}
	return info, info.version != "" && info.plural != ""
}

// customResources lists every object of every CRD on g, the group the
// standard resources are listed on: one paginated cluster-wide LIST per
// CRD, split by namespace like the standard resources.
func (c *clusterResources) customResources(ctx context.Context, env *Env, g *errgroup.Group, crds []crdInfo) {
	sort.Slice(crds, func(i, j int) bool { return crds[i].name < crds[j].name })
	for _, crd := range crds {
		r := resourceKind{file: crd.name, group: crd.group, version: crd.version, resource: crd.plural, namespaced: crd.namespaced}
		g.Go(func() error { return c.collect(ctx, env, r, customResourcesDir+crd.name, nil, nil) })
	}
}
