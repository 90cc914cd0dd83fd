package analyze

import (
	"cmp"
	"slices"
)

// Severity says how bad a finding is. The values are those of troubleshoot's
// outcomes (fail, warn, pass) plus info for findings that only inform.
type Severity string

// Severities, from worst to best.
const (
	SeverityFail Severity = "fail"
	SeverityWarn Severity = "warn"
	SeverityInfo Severity = "info"
	SeverityPass Severity = "pass"
)

// Rank orders severities: fail is 0, the worst; an unknown severity sorts
// last.
func (s Severity) Rank() int {
	switch s {
	case SeverityFail:
		return 0
	case SeverityWarn:
		return 1
	case SeverityInfo:
		return 2
	case SeverityPass:
		return 3
	}
	return 4
}

// Finding is one thing an analyzer found in a bundle (or, for fleet
// findings, across the bundles of one run).
type Finding struct {
	// Analyzer names what produced it: a built-in analyzer's ID
	// ("capi/cluster-conditions", "pods/crashloop", …) or, for a
	// troubleshoot analyzer, its type and name ("deploymentStatus/coredns").
	Analyzer string `json:"analyzer"`
	// Severity is fail, warn, info or pass.
	Severity Severity `json:"severity"`
	// Title is a short line for a table or a terminal.
	Title string `json:"title"`
	// Message says what is wrong and, where known, why (a condition's
	// reason and message, the scheduler's reason, …).
	Message string `json:"message,omitempty"`
	// Object is the Kubernetes object the finding is about, as
	// "Kind namespace/name" or "Kind name" for cluster-scoped objects.
	Object string `json:"object,omitempty"`
	// Cluster is the target the finding belongs to (the bundle's cluster),
	// filled in when findings of several bundles are put together.
	Cluster string `json:"cluster,omitempty"`
	// Bundle is the bundle the finding came from (file name of the
	// .tar.gz or folder), filled in with Cluster.
	Bundle string `json:"bundle,omitempty"`
	// File is the path inside the bundle, relative to its root folder,
	// of the file that shows it ("cluster-resources/pods/default.json").
	File string `json:"file,omitempty"`
	// Count is how many occurrences a grouped finding stands for (Warning
	// events of one reason, …); 0 means one.
	Count int `json:"count,omitempty"`
}

// Sort orders findings worst first, then by cluster, analyzer, object and
// title, so that reports and tests see a stable order.
func Sort(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(a.Severity.Rank(), b.Severity.Rank()),
			cmp.Compare(a.Cluster, b.Cluster),
			cmp.Compare(a.Analyzer, b.Analyzer),
			cmp.Compare(a.Object, b.Object),
			cmp.Compare(a.Title, b.Title),
		)
	})
}

// Worst returns the worst severity among findings, or SeverityPass when
// there are none.
func Worst(fs []Finding) Severity {
	worst := SeverityPass
	for _, f := range fs {
		if f.Severity.Rank() < worst.Rank() {
			worst = f.Severity
		}
	}
	return worst
}
