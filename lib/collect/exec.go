package collect

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
	"github.com/mesosphere/dkp-diagnose/lib/internal/podexec"
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
	cmd := append(append([]string{}, c.s.Command...), c.s.Args...)
	q := podQuery{namespace: c.s.Namespace, selector: c.s.Selector, container: c.s.ContainerName,
		folder: c.folder, errorsFile: c.base + "-errors.json", timeout: c.timeout}
	return eachPod(ctx, env, q, func(ctx context.Context, p *corev1.Pod, container, dir string) error {
		var stdout, stderr bytes.Buffer
		err := podexec.Run(ctx, env.Client, env.Config, p.Namespace, p.Name, container, cmd, &stdout, &stderr)
		if werr := env.Out.WriteFile(path.Join(dir, c.base+"-stdout.txt"), stdout.Bytes()); werr != nil {
			return werr
		}
		if werr := env.Out.WriteFile(path.Join(dir, c.base+"-stderr.txt"), stderr.Bytes()); werr != nil {
			return werr
		}
		return err
	})
}
