package collect

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

func init() { register("allLogs", newAllLogs) }

// allLogsDir is where the D2iQ AllLogs collector puts logs by default.
const allLogsDir = "allPodLogs"

// newAllLogs collects every pod's logs in the listed namespaces (all for
// "*" or none): each log at cluster-resources/pods/logs/<namespace>/<pod>/
// <container>.log, where troubleshoot.sh's readers look, and linked to it
// allPodLogs/<namespace>/<pod>-<container>.log, the D2iQ AllLogs path.
func newAllLogs(s *spec.AllLogs) (Collector, error) {
	timeout, err := parseDurationOr("timeout", s.Timeout, defaultPodTimeout)
	if err != nil {
		return nil, fmt.Errorf("allLogs: %w", err)
	}
	if err := validateLimits(s.Limits); err != nil {
		return nil, fmt.Errorf("allLogs: %w", err)
	}
	dir := s.Name
	if dir == "" {
		dir = allLogsDir
	}
	j := &logJob{selector: strings.Join(nonEmpty(s.Selector), ","), containers: s.ContainerNames,
		limits: s.Limits, timestamps: s.Timestamps, timeout: timeout}
	if !slices.Contains(s.Namespaces, "*") {
		j.namespaces = nonEmpty(s.Namespaces)
	}
	j.errorsFile = path.Join(dir, "pods-errors.json")
	j.file = func(ns, pod, container string, previous bool) string {
		name := pod + "-" + container
		if previous {
			name += "-previous"
		}
		return path.Join(dir, ns, name+".log")
	}
	return &logsCollector{job: j}, nil
}
