package builtin

import (
	"path"
	"strings"
)

// PodLogsDir is where pod logs lie among the object lists; no built-in
// analyzer reads them.
const PodLogsDir = "cluster-resources/pods/logs/"

// Reads reports whether the built-in analyzers read the bundle file name
// (slash-separated, relative to the bundle's root): the object lists under
// cluster-resources (not the pod logs there), the nodes' certificate
// reports and the run's execution data. A bundle holding only these files
// gives the same findings as the whole bundle; they are a small part of it
// (pod logs are most of a bundle), so lib/analyze/fleetsteps keeps only
// them beside a bundle it analyzes and bundlefs extracts only them.
func Reads(name string) bool {
	switch {
	case strings.HasPrefix(name, "cluster-resources/"):
		return !strings.HasPrefix(name, PodLogsDir)
	case name == executionSummary:
		return true
	}
	ok, _ := path.Match(certsPattern, name)
	return ok
}
