// Package incluster runs a fleet inside its management cluster: the fleet's
// targets split into shards by cluster identity, one shard per pod of an
// Indexed Job, each pod running lib/fleet on its shard with the service
// account's in-cluster config for the management cluster and the
// kubeconfig secrets for the workload clusters.
//
// Where each piece lives:
//
//   - shard.go: which shard a cluster belongs to (a stable hash of its
//     identity, so every pod, and a second run, agree without talking).
//   - worker.go: what one Job pod does (RunWorker): resolve the fleet, keep
//     its shard, run lib/fleet, write its ShardResult beside the bundles.
//   - merge.go: the shards' results as one fleet.Summary, the same
//     summary.json a local run writes, with the shards that failed.
//   - objects.go: the objects a run creates in the management cluster:
//     ServiceAccount, ClusterRole and binding, Indexed Job, all labelled
//     like the node collectors' objects and removed by run ID.
//   - upload.go: bundles sent to S3-compatible storage from the pods.
//
// The package knows no command line: the caller gives the Job's container
// arguments.
package incluster
