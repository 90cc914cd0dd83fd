// Package targets finds the clusters a run collects from — the current
// kubeconfig context, the local Kind bootstrap cluster, Cluster API workload
// clusters — and names each one's bundle.
package targets
