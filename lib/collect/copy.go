package collect

import (
	"context"
	"fmt"
	"io"
	"path"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
	"github.com/mesosphere/dkp-diagnose/lib/internal/podexec"
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
	q := podQuery{namespace: c.s.Namespace, selector: c.s.Selector, container: c.s.ContainerName,
		folder: c.folder, errorsFile: "copy-errors.json", timeout: c.timeout}
	return eachPod(ctx, env, q, func(ctx context.Context, p *corev1.Pod, container, dir string) error {
		return c.copyPod(ctx, env, p.Namespace, p.Name, container, dir)
	})
}

func (c *copyCollector) copyPod(ctx context.Context, env *Env, ns, pod, container, dir string) error {
	cmd := []string{"tar", "cf", "-", path.Clean(c.s.ContainerPath)}
	return podexec.Tar(ctx, env.Client, env.Config, ns, pod, container, cmd, func(r io.Reader) error {
		if !c.s.ExtractArchive {
			return env.Out.copyTar(path.Join(dir, "archive.tar"), r)
		}
		return extractInto(env, r, dir, dir, ns+"/"+pod)
	})
}
