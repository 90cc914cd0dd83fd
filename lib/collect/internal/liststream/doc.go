// Package liststream lists Kubernetes resources without decoding them: a
// paginated LIST whose responses are split into items as they are read
// (List, Stream), the fallback to per-namespace lists when a cluster-wide
// one is denied (Across), the metadata read from an item without decoding
// it (ItemNamespace, ItemNames), and the writer of list files in the
// layout kubectl and troubleshoot.sh use (Writer).
//
// It takes a rest.Interface and plain values, never a collector's
// environment: the collectors of lib/collect decide what to list and where
// its files go; this package only moves bytes.
package liststream
