package troubleshoot

import (
	"path"
	"strings"

	"github.com/mesosphere/dkp-diagnose/lib/collect/spec"
)

// podLogs is where troubleshoot's layout keeps pod logs among the object
// lists: the one big tree under cluster-resources.
const podLogs = "cluster-resources/pods/logs/"

// Reads returns a predicate on bundle file names (slash-separated,
// relative to the bundle's root) that accepts every file the analyzers may
// read: the object lists and cluster info (cluster-resources, but not the
// pod logs there; cluster-info), the secret and config map records, and
// the files textAnalyze, yamlCompare and jsonCompare name. Run over a
// bundle holding only those gives the results it gives over the whole
// bundle, without pod logs to decompress or copy unless an analyzer reads
// them.
//
// A logs collector's files are links to the pod logs (troubleshoot's
// layout, and ours), and a link is written after its target: whoever
// copies files as they are written (lib/collect's KeepFiles) cannot wait
// to see the link. So an analyzer that reads files outside
// cluster-resources wants every pod log too.
func Reads(analyzers []*spec.Analyze) func(name string) bool {
	if len(analyzers) == 0 {
		// Nothing to read: without this, the secret and config map
		// records (tens of thousands of small files in a big cluster's
		// bundle) would be extracted for no analyzer.
		return func(string) bool { return false }
	}
	var (
		globs    []string
		allLogs  bool
		addGlobs = func(collector string, gs ...string) {
			globs = append(globs, gs...)
			if c := path.Clean(collector); c != "cluster-resources" && !strings.HasPrefix(c, "cluster-resources/") {
				allLogs = true
			}
		}
	)
	for _, a := range analyzers {
		_, settings := a.Type()
		switch s := settings.(type) {
		case *spec.TextAnalyze:
			// Both the name and where an exec collector's output lies
			// (see textAnalyze).
			addGlobs(s.CollectorName, path.Join(s.CollectorName, s.FileName), path.Join(s.CollectorName, "*", "*", s.FileName))
		case *spec.CompareAnalyze:
			addGlobs(s.CollectorName, path.Join(s.CollectorName, s.FileName))
		}
	}
	return func(name string) bool {
		switch {
		case strings.HasPrefix(name, "cluster-resources/"):
			if allLogs || !strings.HasPrefix(name, podLogs) {
				return true
			}
		case strings.HasPrefix(name, "cluster-info/"), strings.HasPrefix(name, "secrets/"), strings.HasPrefix(name, "configmaps/"):
			return true
		}
		for _, g := range globs {
			if matchesOrUnder(g, name) {
				return true
			}
		}
		return false
	}
}

// matchesOrUnder reports whether glob matches name or one of its folders
// (fs.Glob matches folders too; reading one fails, and should fail the
// same on a partial bundle).
func matchesOrUnder(glob, name string) bool {
	for p := name; p != "." && p != "/"; p = path.Dir(p) {
		if ok, _ := path.Match(glob, p); ok {
			return true
		}
	}
	return false
}
