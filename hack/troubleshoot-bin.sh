#!/usr/bin/env bash
# Builds troubleshoot.sh's `support-bundle` CLI at the version pinned in
# e2e/tools/troubleshoot/go.mod, into a cache folder keyed by that module's
# go.mod and go.sum, and prints the binary's path on stdout. Skips the build
# when the binary is there. The e2e tests use it as a peer to compare
# bundles and analyzer outcomes against; it is never part of the product.
#
# usage: hack/troubleshoot-bin.sh            -> builds if needed, prints the path
#        hack/troubleshoot-bin.sh --print    -> prints the path, builds nothing
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
mod=$root/e2e/tools/troubleshoot
cache=${DKP_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dkp-diagnose}
version=$(awk '$1=="github.com/replicatedhq/troubleshoot" {print $2} $1=="require" && $2=="github.com/replicatedhq/troubleshoot" {print $3}' "$mod/go.mod")
key=$(cat "$mod/go.mod" "$mod/go.sum" | sha256sum | cut -c1-16)
out=$cache/troubleshoot-$version-$key/support-bundle

if [ "${1:-}" = --print ]; then echo "$out"; exit 0; fi
if [ -x "$out" ]; then echo "$out"; exit 0; fi

tmp=$out.tmp.$$
trap 'rm -f "$tmp"' EXIT
mkdir -p "$(dirname "$out")"
cd "$mod"
s=$(date +%s)
CGO_ENABLED=0 GOFLAGS=-mod=readonly go build -trimpath -ldflags="-s -w" -o "$tmp" github.com/replicatedhq/troubleshoot/cmd/troubleshoot
mv "$tmp" "$out"
echo "troubleshoot-bin: support-bundle $version built in $(( $(date +%s) - s ))s" >&2
echo "$out"
