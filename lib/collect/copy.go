package collect

import (
	"context"
	"fmt"
	"io"
	"path"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

func init() { register("copy", newCopy) }

// copyCollector copies a path out of every selected running pod, through
// `tar cf -` in the container (as kubectl cp does), into
// <name>/<namespace>/<pod>/<path>; without extractArchive the tar is kept
// whole as <name>/<namespace>/<pod>/archive.tar.
type copyCollector struct {
	s       *spec.Copy
	timeout time.Duration
	folder  string
}

func newCopy(s *spec.Copy) (Collector, error) {
	if len(s.Selector) == 0 {
		return nil, fmt.Errorf("selector is required")
	}
	if !path.IsAbs(s.ContainerPath) {
		return nil, fmt.Errorf("containerPath %q must be absolute", s.ContainerPath)
	}
	timeout, err := parseDurationOr("timeout", s.Timeout, defaultPodTimeout)
	if err != nil {
		return nil, err
	}
	return &copyCollector{s: s, timeout: timeout, folder: folderName(s.Name, s.CollectorName, "copy")}, nil
}

func (c *copyCollector) Collect(ctx context.Context, env *Env) error {
	pods, err := runningPods(ctx, env, c.s.Namespace, c.s.Selector)
	if err != nil {
		return err
	}
	if len(pods) == 0 {
		env.Partial(fmt.Errorf("no running pod matches %q in namespace %q", c.s.Selector, c.s.Namespace))
		return nil
	}
	var g errgroup.Group
	g.SetLimit(env.Workers())
	for _, p := range pods {
		g.Go(func() error {
			dir := path.Join(c.folder, p.Namespace, p.Name)
			container, err := containerOf(&p, c.s.ContainerName)
			if err == nil {
				pctx, cancel := context.WithTimeout(ctx, c.timeout)
				err = c.copyPod(pctx, env, p.Namespace, p.Name, container, dir)
				cancel()
			}
			if err != nil {
				env.Partial(err)
				return env.Out.WriteErrors(path.Join(dir, "copy-errors.json"), []string{err.Error()})
			}
			return nil
		})
	}
	return g.Wait()
}

func (c *copyCollector) copyPod(ctx context.Context, env *Env, ns, pod, container, dir string) error {
	cmd := []string{"tar", "cf", "-", path.Clean(c.s.ContainerPath)}
	return execTar(ctx, env, ns, pod, container, cmd, func(r io.Reader) error {
		if !c.s.ExtractArchive {
			return env.Out.copy(path.Join(dir, "archive.tar"), r)
		}
		return extractInto(env, r, dir, dir, ns+"/"+pod)
	})
}
