// Package targets finds the clusters a run collects from — the current
// kubeconfig context, the local Kind bootstrap cluster, Cluster API workload
// clusters — and names each one's bundle.
//
// Where each piece lives: resolve.go puts a Plan together (Resolve);
// current.go, bootstrap.go and workload.go are the three resolvers;
// probe.go checks reachability and collects a cluster reached twice once;
// prefix.go names bundles; errors.go holds the typed errors, which say what
// was missing and for which cluster and name no command-line flag (the CLI
// adds those). lib/fleet runs a Plan; lib/collect knows nothing of targets.
package targets
