//go:build tools

// Package tools pins troubleshoot.sh's own `support-bundle` CLI, which the
// e2e tests run as a peer: the same cluster collected by it and by
// dkp-diagnose, and `support-bundle analyze` over both bundles. It is never
// compiled into the product: hack/troubleshoot-bin.sh builds it with
// `go build` so that this module's go.sum alone decides the version, and the
// module's replace-free dependency tree stays out of the project's go.mod.
package tools

import (
	_ "github.com/replicatedhq/troubleshoot/cmd/troubleshoot"
)
