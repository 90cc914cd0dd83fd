package collect

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

func init() { register("data", newData) }

type data struct {
	path    string
	content []byte
}

// newData places the literal data at the path its name gives, under a folder
// named after the collector when it has one, as troubleshoot.sh does.
func newData(s *spec.Data) (Collector, error) {
	name := s.Name
	if name == "" {
		name = "data"
	}
	p := path.Clean(path.Join(s.CollectorName, name))
	if path.IsAbs(p) || p == ".." || strings.HasPrefix(p, "../") {
		return nil, fmt.Errorf("data name %q leaves the bundle", s.Name)
	}
	return &data{path: p, content: []byte(s.Data)}, nil
}

func (d *data) Collect(_ context.Context, env *Env) error {
	return env.Out.WriteFile(d.path, d.content)
}
