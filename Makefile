# Developer and CI entry points of dkp-diagnose. `make help` lists the targets.

SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

GO ?= go
# Unit tests are cheap and concurrent code is everywhere: always -race.
UNIT_FLAGS ?= -race
# E2E packages each start real control planes (~0.6 GiB, a few seconds each).
# -p 1 runs one package at a time so two clusters plus the compiler fit on a
# 2-core machine. -race stays on: the e2e tests run the CLI in-process.
E2E_FLAGS ?= -race -p 1 -timeout 30m
# e2e/kind needs a container engine and its own images: `make kind-e2e`.
E2E_PKGS = $$($(GO) list ./e2e/... | grep -v '/e2e/kind$$')
# Lists packages outside e2e/ at run time (not at parse time of every make call).
UNIT_PKGS = $$($(GO) list ./... | grep -vE '/e2e(/|$$)')

.PHONY: help
help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

.PHONY: build
build: ## Build bin/dkp-diagnose
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-X github.com/mesosphere/dkp-diagnose/cmd/dkp-diagnose/app.Version=$(VERSION)" -o bin/dkp-diagnose ./cmd/dkp-diagnose

.PHONY: install
install: ## Install dkp-diagnose where `go install` puts binaries: $GOBIN, else $(go env GOPATH)/bin (~/go/bin)
	CGO_ENABLED=0 $(GO) install -trimpath -ldflags "-X github.com/mesosphere/dkp-diagnose/cmd/dkp-diagnose/app.Version=$(VERSION)" ./cmd/dkp-diagnose
	@bin=$$($(GO) env GOBIN); [ -n "$$bin" ] || bin=$$($(GO) env GOPATH)/bin; \
	echo "installed $$bin/dkp-diagnose"; \
	case ":$$PATH:" in *":$$bin:"*) ;; *) echo "add $$bin to your PATH: export PATH=\"$$bin:\$$PATH\"";; esac

.PHONY: test-bins
test-bins: ## Build (or find in the cache) the control-plane binaries for e2e tests
	hack/test-bins.sh

.PHONY: troubleshoot-bin
troubleshoot-bin: ## Build (or find in the cache) troubleshoot.sh's support-bundle CLI, the e2e tests' peer
	hack/troubleshoot-bin.sh

.PHONY: vet
vet: ## go vet every package
	$(GO) vet ./...

.PHONY: unit
unit: ## Unit tests (everything outside e2e/), with -race
	$(GO) test $(UNIT_FLAGS) $(UNIT_PKGS)

# The binaries are built before the tests run; a failed build stops here
# instead of letting the e2e tests skip for want of DKP_TEST_K8S_BIN.
.PHONY: e2e
e2e: ## End-to-end tests against real local control planes (builds binaries when missing)
	bins=$$(hack/test-bins.sh); ts=$$(hack/troubleshoot-bin.sh); chromium=$$(hack/chromium.sh); s3=$$(hack/s3-bin.sh); \
	DKP_TEST_K8S_BIN=$$bins DKP_TEST_TROUBLESHOOT_BIN=$$ts DKP_TEST_CHROMIUM=$$chromium DKP_TEST_S3_BIN=$$s3 $(GO) test $(E2E_FLAGS) $(E2E_PKGS)

# Kind end to end (docs/kind.md): real Kind clusters from a node image built
# here with no registry. Needs root; installs Debian's docker.io when missing
# and runs its own dockerd only for as long as a target needs it.
KIND_E2E_FLAGS ?= -race -count=1 -timeout 30m

.PHONY: kind-engine
kind-engine: ## Install (when missing) and start the private dockerd of the Kind tests
	hack/kind/engine.sh start

.PHONY: kind-stop
kind-stop: ## Stop that dockerd, removing any Kind node left in it
	hack/kind/engine.sh stop

.PHONY: kind-image
kind-image: ## Build (or find cached) the Kind node image and the node-collector image
	hack/kind/with-engine.sh hack/kind/image.sh

.PHONY: kind-e2e
kind-e2e: ## End-to-end tests on real Kind clusters (builds the images when missing)
	hack/kind/with-engine.sh hack/kind/e2e.sh $(KIND_E2E_FLAGS)

.PHONY: test
test: test-bins vet unit e2e kind-e2e ## Everything CI runs: binaries, vet, unit, e2e and Kind e2e tests

# Not part of `make test`: it seeds ~25,000 objects at scale 1 and takes
# tens of minutes on 2 cores. BENCH_SCALES=0.1 for a quick run;
# BENCH_PROFILE=dir adds CPU and peak-heap profiles of one in-process run per scale.
BENCH_SCALES ?= 0.1,1
BENCH_ROUNDS ?= 3
.PHONY: bench
bench: ## Scale benchmark (issue #8): dkp-diagnose vs the floor vs kubectl; updates docs/benchmarks.md
	bins=$$(hack/test-bins.sh); \
	DKP_TEST_K8S_BIN=$$bins BENCH_SCALES='$(BENCH_SCALES)' BENCH_ROUNDS='$(BENCH_ROUNDS)' \
	BENCH_DOC='$(CURDIR)/docs/benchmarks.md' BENCH_COMMAND='make bench BENCH_SCALES="$(BENCH_SCALES)" BENCH_ROUNDS=$(BENCH_ROUNDS)' \
	$(GO) test ./bench -run '^$$' -bench BenchmarkScale -benchtime 1x -timeout 120m -v

.PHONY: bench-targets
bench-targets: ## Wall time of three targets in parallel vs each alone (logged)
	bins=$$(hack/test-bins.sh); \
	DKP_BENCH_TARGETS=1 DKP_TEST_K8S_BIN=$$bins $(GO) test ./e2e -run TestTargetsParallelWallTime -count=1 -v
