// Package bench is the scale benchmark of dkp-diagnose (issue #8). It holds
// no library code: BenchmarkScale in bench_test.go starts a local control
// plane (e2e/framework), seeds it reproducibly at the scales of BENCH_SCALES
// and measures, interleaved, dkp-diagnose with the default spec, the floor
// (one paginated LIST per resource type plus the same pod logs, written to
// disk) and `kubectl cluster-info dump`. Run it with `make bench`; see
// docs/benchmarks.md. Plain `go test ./...` runs nothing here: there are only
// Benchmark functions.
package bench
