#!/usr/bin/env bash
# Builds the control-plane binaries the e2e harness runs (kube-apiserver,
# kube-controller-manager, kube-scheduler, etcd, kwok) from the versions pinned in
# e2e/tools/go.sum, plus the kwok stage files, into a cache folder keyed by that
# go.sum. Prints the folder on stdout. Skips the build when the folder is complete.
#
# usage: hack/test-bins.sh            -> builds if needed, prints the folder
#        hack/test-bins.sh --print    -> prints the folder, builds nothing
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
mod=$root/e2e/tools
cache=${DKP_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dkp-diagnose}
k8s_version=$(awk '$1=="k8s.io/kubernetes" {print $2}' "$mod/go.mod")
kwok_version=$(awk '$1=="sigs.k8s.io/kwok" {print $2}' "$mod/go.mod")
key=$(cat "$mod/go.mod" "$mod/go.sum" | sha256sum | cut -c1-16)
out=$cache/k8s-$k8s_version-$key

if [ "${1:-}" = --print ]; then echo "$out"; exit 0; fi
bins=(kube-apiserver kube-controller-manager kube-scheduler etcd kwok)
complete() { for b in "${bins[@]}"; do [ -x "$out/$b" ] || return 1; done; [ -f "$out/kwok-stages.yaml" ]; }
if complete; then echo "$out"; exit 0; fi

log() { echo "test-bins: $*" >&2; }
tmp=$out.tmp.$$
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"
cd "$mod"
export CGO_ENABLED=0 GOFLAGS=-mod=readonly
major=$(echo "${k8s_version#v}" | cut -d. -f1); minor=$(echo "${k8s_version#v}" | cut -d. -f2)
vp=k8s.io/component-base/version
# Without the version stamp the binaries report v0.0.0-master, which kubectl and
# discovery clients refuse to parse.
ldk="-s -w -X $vp.gitVersion=$k8s_version -X $vp.gitMajor=$major -X $vp.gitMinor=$minor -X $vp.gitTreeState=clean -X $vp.buildDate=1970-01-01T00:00:00Z"
build() { # build NAME PACKAGE LDFLAGS
  local s; s=$(date +%s)
  go build -trimpath -ldflags="$3" -o "$tmp/$1" "$2"
  log "$1 built in $(( $(date +%s) - s ))s"
}
build kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$ldk"
build kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager "$ldk"
build kube-scheduler k8s.io/kubernetes/cmd/kube-scheduler "$ldk"
build etcd go.etcd.io/etcd/server/v3 "-s -w"
build kwok sigs.k8s.io/kwok/cmd/kwok "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${kwok_version#v}"

# The kwok binary has no built-in stages (kwokctl injects them); take the ones
# its module ships so fake nodes go Ready and fake pods go Running.
kwok_dir=$(go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
for s in node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease \
         pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete; do
  printf -- '---\n'; cat "$kwok_dir/kustomize/stage/$s.yaml"
done > "$tmp/kwok-stages.yaml"
for c in logs execs; do cp "$kwok_dir/kustomize/crd/bases/kwok.x-k8s.io_$c.yaml" "$tmp/"; done
chmod -R u+w "$tmp"

rm -rf "$out"; mkdir -p "$cache"; mv "$tmp" "$out"
echo "$out"
