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
// Collectors that share work keep it beside them, still flat: pod_logs.go
// (logs, allLogs), node_job.go (copyFromHost, execCopyFromHost),
// pod_select.go (exec, copy), objects.go (configMap, secret), owned.go
// (the objects a run creates, and their removal). Env (env.go) is what a
// collector gets; Output (output.go) is how it writes.
//
// Public sub-packages: spec (the spec types), redact (redaction), bundle
// (the streaming bundle writer), archive (tar streams from pods, extracted
// safely), redactcheck (leak checks of a written bundle).
//
// Plumbing sits under internal/, out of the collectors' way. Its packages
// take plain clients (kubernetes.Interface, rest.Interface, *rest.Config)
// and values, never an *Env, so what they do is visible at each call:
//
//   - internal/liststream: paginated LISTs split into items as they are
//     read, the per-namespace fallback when a cluster-wide LIST is denied,
//     an item's names read without decoding it, the list-file writer.
//   - internal/jsonscan: the structure-only JSON scan that liststream, the
//     log collectors and redact's object walk share.
//   - internal/live: sets of objects kept current by a WATCH, and waits on
//     them (node collectors, runPod, removal of owned objects).
//   - lib/internal/podexec (shared with lib/incluster): commands and tar
//     streams run in a container.
//   - internal/fixtures: test data shared by the tests of these packages.
package collect
