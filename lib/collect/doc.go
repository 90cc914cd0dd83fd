// Package collect runs a support-bundle spec against one cluster and writes
// one bundle. It knows nothing of targets or of the CLI: it takes a REST
// config, a plan and options, and returns where the bundle is and how each
// collector fared.
//
// NewPlan (plan.go) prepares a spec once, however many clusters it then runs
// against: collectors built, redaction rules compiled, run-wide log limits
// written into the log collectors. Run (run.go) writes one bundle with it;
// lib/fleet runs one plan over many clusters.
//
// Each collector is one file named after its spec key (cluster_resources.go
// for clusterResources, all_logs.go for allLogs, …) and registers itself in
// registry.go's table. Collectors write through Output, which adds redaction,
// error files and bookkeeping, so that none of them repeats that code.
// Sub-packages: spec (the spec types), redact (redaction), bundle (the
// streaming bundle writer), archive (tar streams from pods, extracted
// safely).
package collect
