package collect

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/mesosphere/dkp-diagnose/lib/collect/internal/liststream"
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
// Namespaced standard resources get a file for every namespace, an empty
// list where it has none, as troubleshoot.sh writes them: an analyzer aimed
// at such a namespace then reports on an empty list rather than nothing.
func (c *clusterResources) Collect(ctx context.Context, env *Env) error {
	served := c.discovery(env)
	ns := newNamespaceSet(c.namespaces)
	var g errgroup.Group
	g.SetLimit(env.Workers())
	// Each CRD's objects are listed as soon as the CRDs (first in
	// standardResources) are in, beside the standard resources rather than
	// after them all: over a slow link every round trip saved shows.
	for _, r := range standardResources {
		if served != nil && !served[r.groupVersion()+"/"+r.resource] {
			if r.resource == "namespaces" {
				ns.done(nil)
			}
			continue
		}
		g.Go(func() error {
			switch r.resource {
			case "namespaces":
				return c.listNamespaces(ctx, env, r, ns)
			case "customresourcedefinitions":
				var found []crdInfo
				err := c.collect(ctx, env, r, resourcesDir+r.file, nil, func(item json.RawMessage) {
					if info, ok := parseCRD(item); ok {
						found = append(found, info)
					}
				})
				if err != nil {
					return err
				}
				c.customResources(ctx, env, &g, found)
				return nil
			}
			return c.collect(ctx, env, r, resourcesDir+r.file, ns, nil)
		})
	}
	return g.Wait()
}

// listNamespaces writes namespaces.json, tells ns the namespaces listed, and
// then reviews what may be done in each (auth-cani-list).
func (c *clusterResources) listNamespaces(ctx context.Context, env *Env, r resourceKind, ns *namespaceSet) error {
	var names []string
	err := c.collect(ctx, env, r, resourcesDir+r.file, nil, func(item json.RawMessage) {
		if _, name, err := liststream.ItemNames(item, false); err == nil {
			names = append(names, name)
		}
	})
	if err != nil {
		// Some namespaces may be missing: the namespaced lists then fill in
		// the namespaces they were listed in only.
		names = nil
	}
	all := ns.done(names)
	if all == nil {
		all = env.fallbackNamespaces(c.namespaces)
	}
	if aerr := c.authCanI(ctx, env, all); aerr != nil && err == nil {
		err = aerr
	}
	return err
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
// base/<namespace>.json (namespaced); errors go to base-errors.json. With
// ns, a namespaced resource gets a file for each of its namespaces.
func (c *clusterResources) collect(ctx context.Context, env *Env, r resourceKind, base string, ns *namespaceSet, onItem func(json.RawMessage)) error {
	params := map[string]string{"labelSelector": notOurs}
	skip := func(json.RawMessage) bool { return false }
	if r.group == "" && r.resource == "events" {
		skip = isEventAboutOurs
	}
	var errs []error
	if !r.namespaced {
		if err := c.listCluster(ctx, env, r, base+".json", params, onItem); err != nil {
			errs = append(errs, err)
		}
	} else {
		s := &nsSplitter{out: env.Out, dir: base, keep: c.namespaces}
		l := liststream.Across(ctx, env.restClient(), r.path, "", env.fallbackNamespaces(c.namespaces), params, func(head liststream.Head, item json.RawMessage) error {
			if skip(item) {
				return nil
			}
			if onItem != nil {
				onItem(item)
			}
			return s.add(head, item)
		})
		errs = l.Errs
		if err := s.close(); err != nil {
			errs = append(errs, err)
		}
		if ns != nil && len(l.Listed) > 0 {
			expect := l.Listed
			if l.Listed[0] == "" { // the cluster-wide LIST
				expect = ns.wait()
			}
			if err := s.empties(expect, l.Head); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return recordErrors(env, base+"-errors.json", errs)
}

func (c *clusterResources) listCluster(ctx context.Context, env *Env, r resourceKind, file string, params map[string]string, onItem func(json.RawMessage)) error {
	var lw *liststream.Writer
	head, err := liststream.List(ctx, env.restClient(), r.path(""), params, func(head liststream.Head, item json.RawMessage) error {
		if lw == nil {
			w, err := env.Out.Create(file)
			if err != nil {
				return err
			}
			if lw, err = liststream.NewWriter(w, head); err != nil {
				return err
			}
			if err := yamlLink(env.Out, file); err != nil {
				return err
			}
		}
		if onItem != nil {
			onItem(item)
		}
		return lw.Add(item)
	})
	if lw == nil && err == nil {
		// An empty list still gets its file: "none" is an answer.
		w, cerr := env.Out.Create(file)
		if cerr != nil {
			return cerr
		}
		if lw, cerr = liststream.NewWriter(w, head); cerr != nil {
			return cerr
		}
	}
	if lw != nil {
		if cerr := lw.Close(); err == nil {
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
	lw   *liststream.Writer
	seen map[string]int
}

func (s *nsSplitter) add(head liststream.Head, item json.RawMessage) error {
	ns, err := liststream.ItemNamespace(item)
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
		if s.lw, err = liststream.NewWriter(w, head); err != nil {
			return err
		}
		if err := yamlLink(s.out, file); err != nil {
			return err
		}
		s.cur = ns
	}
	return s.lw.Add(item)
}

// empties writes an empty list for each namespace of namespaces that had no
// items (and is kept), with the kind and apiVersion of head.
func (s *nsSplitter) empties(namespaces []string, head liststream.Head) error {
	for _, ns := range namespaces {
		if s.seen[ns] > 0 || len(s.keep) > 0 && !slices.Contains(s.keep, ns) {
			continue
		}
		w, err := s.out.Create(fmt.Sprintf("%s/%s.json", s.dir, ns))
		if err != nil {
			return err
		}
		lw, err := liststream.NewWriter(w, head)
		if err != nil {
			w.Close()
			return err
		}
		if err := lw.Close(); err != nil {
			return err
		}
	}
	return nil
}

func (s *nsSplitter) close() error {
	if s.lw == nil {
		return nil
	}
	err := s.lw.Close()
	s.lw = nil
	return err
}

// yamlLink links <file>.yaml to a custom resources file, as troubleshoot.sh
// does for analyzers written against its older YAML files (JSON is YAML).
// Other files get none.
func yamlLink(out *Output, file string) error {
	if !strings.HasPrefix(file, customResourcesDir) {
		return nil
	}
	return out.Link(strings.TrimSuffix(file, ".json")+".yaml", file)
}
