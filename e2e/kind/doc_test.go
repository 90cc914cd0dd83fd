// Package kinde2e runs dkp-diagnose against real Kind clusters: real
// kubelets, real containerd, real pods, on node images built on this machine
// with no registry (hack/kind, docs/kind.md).
//
// The tests are behind a switch because they need root, a container engine
// and about 2 GiB of images: DKP_E2E_KIND=1, which `make kind-e2e` (and so
// `make test`) sets together with DKP_KIND_NODE_IMAGE and the engine's
// DOCKER_HOST. Without the switch every test skips with a message; with it,
// a missing prerequisite fails the test, it never skips.
package kinde2e
