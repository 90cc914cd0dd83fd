#!/usr/bin/env bash
# Builds the Kind images when missing and runs the Kind end-to-end tests
# (e2e/kind) against them. Run through with-engine.sh (make kind-e2e).
#
# usage: hack/kind/e2e.sh [go test flags...]
set -euo pipefail
source "$(dirname "$0")/lib.sh"

vars=$("$root/hack/kind/image.sh")
while IFS= read -r v; do export "${v?}"; done <<< "$vars"
export DKP_E2E_KIND=1
cd "$root"
began=$(date +%s)
go test "$@" ./e2e/kind/
log "Kind end-to-end tests took $(( $(date +%s) - began ))s"
