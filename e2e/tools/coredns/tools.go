//go:build tools

// Package tools pins CoreDNS, the cluster DNS of the Kind node image that
// hack/kind builds. It is a module of its own because CoreDNS and Kubernetes
// share many dependencies: in one module, minimal version selection would
// move Kubernetes' versions (and so the binaries the e2e harness runs) to
// CoreDNS's, and the other way round. The version is the one kubeadm
// v1.37.2 deploys (constants.CoreDNSVersion).
package tools

import (
	_ "github.com/coredns/coredns"
)
