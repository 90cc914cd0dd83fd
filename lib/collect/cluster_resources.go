package collect

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"golang.org/x/sync/errgroup"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

func init() { register("clusterResources", newClusterResources) }

const resourcesDir = "cluster-resources/"

type clusterResources struct {
	namespaces []string // empty: all
}

func newClusterResources(s *spec.ClusterResources) (Collector, error) {
	return &clusterResources{namespaces: s.Namespaces}, nil
}

// Collect writes discovery, every served standard resource, the CRDs and
// every custom resource of every CRD: one paginated cluster-wide LIST per
// resource, split into one file per namespace as the items stream in.
func (c *clusterResources) Collect(ctx context.Context, env *Env) error {
	served := c.discovery(env)
	var g errgroup.Group
	g.SetLimit(env.Workers())
	// Each CRD's objects are listed as soon as the CRDs (first in
	// standardResources) are in, beside the standard resources rather than
	// after them all: over a slow link every round trip saved shows.
	for _, r := range standardResources {
		if served != nil && !served[r.groupVersion()+"/"+r.resource] {
			continue
		}
		g.Go(func() error {
			if r.resource != "customresourcedefinitions" {
				return c.collect(ctx, env, r, resourcesDir+r.file, nil)
			}
			var found []crdInfo
			err := c.collect(ctx, env, r, resourcesDir+r.file, func(item json.RawMessage) {
				if info, ok := parseCRD(item); ok {
					found = append(found, info)
				}
			})
			if err != nil {
				return err
			}
			c.customResources(ctx, env, &g, found)
			return nil
		})
	}
	return g.Wait()
}

// discovery writes groups.json and resources.json and returns the set of
// served "group/version/resource" keys, or nil when discovery failed (then
// every standard resource is tried and a missing one shows as an error).
func (c *clusterResources) discovery(env *Env) map[string]bool {
	groups, lists, err := env.Client.Discovery().ServerGroupsAndResources()
	if err != nil {
		env.Partial(fmt.Errorf("discovery: %w", err))
		_ = env.Out.WriteErrors(resourcesDir+"resources-errors.json", []string{err.Error()})
	}
	if groups != nil {
		if werr := env.Out.WriteJSON(resourcesDir+"groups.json", groups); werr != nil {
			env.Partial(werr)
		}
	}
	if lists == nil {
		return nil
	}
	if werr := env.Out.WriteJSON(resourcesDir+"resources.json", lists); werr != nil {
		env.Partial(werr)
	}
	served := map[string]bool{}
	for _, l := range lists {
		for _, r := range l.APIResources {
			if slices.Contains(r.Verbs, "list") {
				served[l.GroupVersion+"/"+r.Name] = true
			}
		}
	}
	return served
}

// collect lists one resource into base.json (cluster-scoped) or
// base/<namespace>.json (namespaced); errors go to base-errors.json.
func (c *clusterResources) collect(ctx context.Context, env *Env, r resourceKind, base string, onItem func(json.RawMessage)) error {
	var errs []error
	if !r.namespaced {
		if err := c.listCluster(ctx, env, r, base+".json", onItem); err != nil {
			errs = append(errs, err)
		}
	} else {
		s := &nsSplitter{out: env.Out, dir: base, keep: c.namespaces}
		errs = listAcross(ctx, env, r, "", env.fallbackNamespaces(c.namespaces), nil, func(head listHead, item json.RawMessage) error {
			if onItem != nil {
				onItem(item)
			}
			return s.add(head, item)
		})
		if err := s.close(); err != nil {
			errs = append(errs, err)
		}
	}
	return recordErrors(env, base+"-errors.json", errs)
}

func (c *clusterResources) listCluster(ctx context.Context, env *Env, r resourceKind, file string, onItem func(json.RawMessage)) error {
	var lw *listWriter
	head, err := listRaw(ctx, env.restClient(), r.path(""), nil, func(head listHead, item json.RawMessage) error {
		if lw == nil {
			w, err := env.Out.Create(file)
			if err != nil {
				return err
			}
			if lw, err = newListWriter(w, head); err != nil {
				return err
			}
		}
		if onItem != nil {
			onItem(item)
		}
		return lw.add(item)
	})
	if lw == nil && err == nil {
		// An empty list still gets its file: "none" is an answer.
		w, cerr := env.Out.Create(file)
		if cerr != nil {
			return cerr
		}
		if lw, cerr = newListWriter(w, head); cerr != nil {
			return cerr
		}
	}
	if lw != nil {
		if cerr := lw.close(); err == nil {
			err = cerr
		}
	}
	return err
}

// nsSplitter writes items into dir/<namespace>.json, one file at a time.
type nsSplitter struct {
	out  *Output
	dir  string
	keep []string // only these namespaces; empty: all

	cur  string
	lw   *listWriter
	seen map[string]int
}

func (s *nsSplitter) add(head listHead, item json.RawMessage) error {
	ns, err := itemNamespace(item)
	if err != nil {
		return err
	}
	if len(s.keep) > 0 && !slices.Contains(s.keep, ns) {
		return nil
	}
	if s.lw == nil || ns != s.cur {
		if err := s.close(); err != nil {
			return err
		}
		if s.seen == nil {
			s.seen = map[string]int{}
		}
		// Should a server ever return a namespace's items apart, the later
		// ones go to <ns>.<n>.json rather than be lost.
		file := fmt.Sprintf("%s/%s.json", s.dir, ns)
		if n := s.seen[ns]; n > 0 {
			file = fmt.Sprintf("%s/%s.%d.json", s.dir, ns, n)
		}
		s.seen[ns]++
		w, err := s.out.Create(file)
		if err != nil {
			return err
		}
		if s.lw, err = newListWriter(w, head); err != nil {
			return err
		}
		s.cur = ns
	}
	return s.lw.add(item)
}

func (s *nsSplitter) close() error {
	if s.lw == nil {
		return nil
	}
	err := s.lw.close()
	s.lw = nil
	return err
}
