#!/usr/bin/env bash
# Builds the e2e tests' S3-compatible server (gofakes3, in memory; module
# e2e/tools/s3) into a cache folder keyed by that module's files, and prints
# the binary's path on stdout. Skips the build when the binary is there. The
# tests of --upload start it; it is never part of the product.
#
# usage: hack/s3-bin.sh            -> builds if needed, prints the path
#        hack/s3-bin.sh --print    -> prints the path, builds nothing
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
mod=$root/e2e/tools/s3
cache=${DKP_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dkp-diagnose}
key=$(cat "$mod/go.mod" "$mod/go.sum" "$mod/main.go" | sha256sum | cut -c1-16)
out=$cache/s3-$key/s3

if [ "${1:-}" = --print ]; then echo "$out"; exit 0; fi
if [ -x "$out" ]; then echo "$out"; exit 0; fi

tmp=$out.tmp.$$
trap 'rm -f "$tmp"' EXIT
mkdir -p "$(dirname "$out")"
cd "$mod"
s=$(date +%s)
CGO_ENABLED=0 GOFLAGS=-mod=readonly go build -trimpath -ldflags="-s -w" -o "$tmp" .
mv "$tmp" "$out"
echo "s3-bin: gofakes3 server built in $(( $(date +%s) - s ))s" >&2
echo "$out"
