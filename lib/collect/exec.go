package collect

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

func init() { register("exec", newExec) }

// execCollector runs a command in every selected running pod and keeps its
// output at <name>/<namespace>/<pod>/<collectorName>-stdout.txt and
// -stderr.txt, as troubleshoot.sh does, with -errors.json on failure.
type execCollector struct {
	s       *spec.Exec
	timeout time.Duration
	folder  string
	base    string
}

const defaultExecTimeout = 20 * time.Second

func newExec(s *spec.Exec) (Collector, error) {
	if len(s.Selector) == 0 {
		return nil, fmt.Errorf("selector is required")
	}
	if len(s.Command) == 0 {
		return nil, fmt.Errorf("command is required")
	}
	timeout, err := parseDurationOr("timeout", s.Timeout, defaultExecTimeout)
	if err != nil {
		return nil, err
	}
	base := s.CollectorName
	if base == "" {
		base = "exec"
	}
	return &execCollector{s: s, timeout: timeout, folder: folderName(s.Name, s.CollectorName, "exec"), base: pathSafe(base)}, nil
}

func (c *execCollector) Collect(ctx context.Context, env *Env) error {
	pods, err := runningPods(ctx, env, c.s.Namespace, c.s.Selector)
	if err != nil {
		return err
	}
	if len(pods) == 0 {
		env.Partial(fmt.Errorf("no running pod matches %q in namespace %q", c.s.Selector, c.s.Namespace))
		return nil
	}
	cmd := append(append([]string{}, c.s.Command...), c.s.Args...)
	var g errgroup.Group
	g.SetLimit(env.Workers())
	for _, p := range pods {
		g.Go(func() error {
			dir := path.Join(c.folder, p.Namespace, p.Name)
			container, err := containerOf(&p, c.s.ContainerName)
			if err == nil {
				pctx, cancel := context.WithTimeout(ctx, c.timeout)
				var stdout, stderr bytes.Buffer
				err = execInPod(pctx, env, p.Namespace, p.Name, container, cmd, &stdout, &stderr)
				cancel()
				if werr := env.Out.WriteFile(path.Join(dir, c.base+"-stdout.txt"), stdout.Bytes()); werr != nil {
					return werr
				}
				if werr := env.Out.WriteFile(path.Join(dir, c.base+"-stderr.txt"), stderr.Bytes()); werr != nil {
					return werr
				}
			}
			if err != nil {
				env.Partial(err)
				return env.Out.WriteErrors(path.Join(dir, c.base+"-errors.json"), []string{err.Error()})
			}
			return nil
		})
	}
	return g.Wait()
}
