package collect

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

func init() { register("logs", newLogs) }

// newLogs writes <name>/<pod>/<container>.log for a namespace, as
// troubleshoot.sh does, and <name>/<namespace>/<pod>/<container>.log when the
// spec leaves the namespace empty (all namespaces).
func newLogs(s *spec.Logs) (Collector, error) {
	if len(nonEmpty(s.Selector)) == 0 {
		return nil, fmt.Errorf("logs: selector is required (use allLogs for every pod)")
	}
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
	allNamespaces := s.Namespace == ""
	j.errorsFile = path.Join(dir, "pods-errors.json")
	j.file = func(ns, pod, container string, previous bool) string {
		name := container
		if previous {
			name += "-previous"
		}
		if allNamespaces {
			return path.Join(dir, ns, pod, name+".log")
		}
		return path.Join(dir, pod, name+".log")
	}
	return &logsCollector{job: j}, nil
}

type logsCollector struct{ job *logJob }

func (c *logsCollector) Collect(ctx context.Context, env *Env) error { return c.job.run(ctx, env) }
