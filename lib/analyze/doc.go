// Package analyze turns support bundles into findings: what is wrong, how
// badly, and which file of which bundle says so.
//
// The pieces live in sub-packages, each with one job:
//
//   - bundlefs opens a bundle (a .tar.gz or an extracted folder, ours or one
//     written by troubleshoot.sh) as an [io/fs.FS] rooted at the bundle's
//     root folder, so every analyzer reads paths such as
//     "cluster-resources/pods/kube-system.json" whatever the bundle's form.
//   - troubleshoot runs the analyzers of troubleshoot.sh specs
//     (`analyzers:` of a SupportBundle, `kind: Analyzer`) with troubleshoot's
//     outcome rules, and writes their results as analysis.json in
//     troubleshoot's format.
//   - builtin holds the findings dkp-diagnose looks for on its own: Cluster
//     API condition trees, failing workloads, nodes, certificates.
//   - report writes the fleet report (report.html, report.md) of a run.
//
// This package holds what they share: [Finding] and [Severity].
package analyze
