package builtin

import (
	"path"
	"strings"
)

// PodLogsDir is where pod logs lie among the object lists; no built-in
// analyzer reads them.
const PodLogsDir = "cluster-resources/pods/logs/"

// Reads reports whether the built-in analyzers read the bundle file name
// (slash-separated, relative to the bundle's root): the object lists they
// decode (readLists and the Cluster API custom resources), the nodes'
// certificate reports and the run's execution data. A bundle holding only
// these files gives the same findings as the whole bundle
// (TestReadsIsEnough); they are a small part of it — not the pod logs, nor
// the config maps, roles or other custom resources, thousands of files in
// a big cluster's bundle — so lib/analyze/fleetsteps keeps only them beside
// a bundle it analyzes and bundlefs extracts only them.
func Reads(name string) bool {
	switch {
	case strings.HasPrefix(name, customResourcesDir):
		crd, _, _ := strings.Cut(strings.TrimPrefix(name, customResourcesDir), "/")
		return strings.HasSuffix(strings.TrimSuffix(crd, ".json"), capiGroupSuffix)
	case strings.HasPrefix(name, PodLogsDir):
		return false
	case strings.HasPrefix(name, "cluster-resources/"):
		list, _, _ := strings.Cut(strings.TrimPrefix(name, "cluster-resources/"), "/")
		return readLists[strings.TrimSuffix(list, ".json")]
	case name == executionSummary:
		return true
	}
	ok, _ := path.Match(certsPattern, name)
	return ok
}

// customResourcesDir holds one list per custom resource.
const customResourcesDir = "cluster-resources/custom-resources/"

// capiGroupSuffix ends every Cluster API group the analyzers read
// (cluster.x-k8s.io itself, its controlplane. and infrastructure. groups).
const capiGroupSuffix = "cluster.x-k8s.io"

// readLists are the resources (file names under cluster-resources, both
// layouts' names) whose lists the built-in analyzers decode.
var readLists = map[string]bool{
	"nodes": true, "pods": true, "events": true, "jobs": true,
	"pvcs": true, "persistentvolumeclaims": true,
	"endpoints": true, "endpointslices": true,
	"mutating-webhook-configurations": true, "mutatingwebhookconfigurations": true,
	"validating-webhook-configurations": true, "validatingwebhookconfigurations": true,
}
