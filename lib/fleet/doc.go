// Package fleet runs one collection plan against many clusters: the one
// multi-cluster loop, for the CLI, an in-cluster Job or any program that
// embeds dkp-diagnose.
//
// Where each piece lives:
//
//   - lib/targets finds the clusters (targets.Resolve → targets.Plan).
//   - lib/collect prepares a spec once (collect.NewPlan → collect.Plan) and
//     writes one bundle per cluster (collect.Run).
//   - this package runs the second over the first (Run): targets in
//     parallel, bounded, one failing never stopping the others; progress
//     through an Observer; BundleStep and RunStep hooks where analyzers and
//     a fleet report plug in; and Summary, whose JSON form is summary.json
//     (WriteSummary) and whose Status and ExitCode are the exit-code rule.
//   - cmd/dkp-diagnose is flags, profiles, display and exit codes over it.
package fleet
