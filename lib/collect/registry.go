package collect

import (
	"context"
	"fmt"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

// Collector is one configured collector of a spec.
type Collector interface {
	// Collect writes the collector's files through env.Out. It returns an
	// error when the collector as a whole failed; partial failures are
	// recorded with env.Partial and in error files next to the data.
	Collect(ctx context.Context, env *Env) error
}

// builders maps each spec key to the function that turns its spec value into
// a Collector. Every collector file adds itself in an init function.
var builders = map[string]func(val any) (Collector, error){}

// register adds a collector type; T is the spec type under key.
func register[T any](key string, build func(*T) (Collector, error)) {
	if _, dup := builders[key]; dup {
		panic("collector registered twice: " + key)
	}
	builders[key] = func(val any) (Collector, error) {
		v, ok := val.(*T)
		if !ok {
			return nil, fmt.Errorf("collector %s: spec value is %T", key, val)
		}
		return build(v)
	}
}

// planned is a collector with what the run needs to report on it.
type planned struct {
	key       string
	name      string // collectorName
	title     string
	excluded  bool
	collector Collector
}

// plan builds the collectors of s in order, with unique titles.
func plan(s *spec.Spec) ([]planned, error) {
	seen := map[string]int{}
	out := make([]planned, 0, len(s.Collectors))
	for i, c := range s.Collectors {
		// Where the entry was written (file:line) says more than its
		// index in the merged list.
		at := s.Origin(c)
		if at == "" {
			at = fmt.Sprintf("collectors[%d]", i)
		}
		key, val, err := c.Collector()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", at, err)
		}
		build, ok := builders[key]
		if !ok {
			return nil, fmt.Errorf("%s: collector type %q is not implemented", at, key)
		}
		meta := c.Meta()
		title := key
		if meta.CollectorName != "" {
			title = key + "/" + meta.CollectorName
		}
		seen[title]++
		if n := seen[title]; n > 1 {
			title = fmt.Sprintf("%s-%d", title, n-1)
		}
		p := planned{key: key, name: meta.CollectorName, title: title, excluded: meta.IsExcluded()}
		if !p.excluded {
			if p.collector, err = build(val); err != nil {
				return nil, fmt.Errorf("%s (%s): %w", at, title, err)
			}
		}
		out = append(out, p)
	}
	return out, nil
}
