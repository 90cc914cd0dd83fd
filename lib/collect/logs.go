package collect

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

func init() { register("logs", newLogs) }

// newLogs collects the logs of the pods a selector picks (every pod with no
// selector) in a namespace (all with none), as troubleshoot.sh does: each
// log at cluster-resources/pods/logs/<namespace>/<pod>/<container>.log and,
// linked to it, <name>/<pod>/<container>.log.
func newLogs(s *spec.Logs) (Collector, error) {
	timeout, err := parseDurationOr("timeout", s.Timeout, defaultPodTimeout)
	if err != nil {
		return nil, fmt.Errorf("logs: %w", err)
	}
	if err := validateLimits(s.Limits); err != nil {
		return nil, fmt.Errorf("logs: %w", err)
	}
	dir := s.Name
	if dir == "" {
		dir = s.CollectorName
	}
	if dir == "" {
		dir = "logs"
	}
	j := &logJob{selector: strings.Join(nonEmpty(s.Selector), ","), containers: s.ContainerNames,
		limits: s.Limits, timestamps: s.Timestamps, timeout: timeout}
	if s.Namespace != "" {
		j.namespaces = []string{s.Namespace}
	}
	j.errorsFile = path.Join(dir, "errors.json")
	j.file = func(_, pod, container string, previous bool) string {
		name := container
		if previous {
			name += "-previous"
		}
		return path.Join(dir, pod, name+".log")
	}
	return &logsCollector{job: j}, nil
}

type logsCollector struct{ job *logJob }

func (c *logsCollector) Collect(ctx context.Context, env *Env) error { return c.job.run(ctx, env) }
