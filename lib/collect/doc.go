// Package collect runs a support-bundle spec against one cluster and writes
// one bundle. It knows nothing of targets or of the CLI: it takes a REST
// config, a spec and options, and returns where the bundle is and how each
// collector fared.
//
// Each collector is one file named after its spec key (cluster_resources.go
// for clusterResources, all_logs.go for allLogs, …) and registers itself in
// registry.go's table. Collectors write through Output, which adds redaction,
// error files and bookkeeping, so that none of them repeats that code.
package collect
