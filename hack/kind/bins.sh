#!/usr/bin/env bash
# Builds every binary the Kind node image needs, from the versions pinned in
# e2e/tools (Kubernetes v1.37.2: kubelet, kubeadm, kubectl, kube-proxy; the
# control plane and etcd come from hack/test-bins.sh) and e2e/tools/coredns,
# plus the pause program compiled from the Kubernetes module's own pause.c.
# Prints the folder; skips the build when that folder, keyed by the pins and
# this script, is complete.
#
# usage: hack/kind/bins.sh [--print]
set -euo pipefail
source "$(dirname "$0")/lib.sh"

dns_mod=$tools_mod/coredns
key=$(hash_of "$tools_mod/go.mod" "$tools_mod/go.sum" "$dns_mod/go.mod" "$dns_mod/go.sum" "$root/hack/kind/bins.sh")
out=$cache/kind-bins-$k8s_version-$key
if [ "${1:-}" = --print ]; then echo "$out"; exit 0; fi

bins=(kubelet kubeadm kubectl kube-proxy kube-apiserver kube-controller-manager kube-scheduler etcd coredns pause)
complete() { local b; for b in "${bins[@]}"; do [ -x "$out/$b" ] || return 1; done; }
if complete; then echo "$out"; exit 0; fi

# The control plane and etcd are the harness's own binaries: build once.
cp_bins=$("$root/hack/test-bins.sh")

tmp=$out.tmp.$$
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"
# Static binaries, so the component images can be FROM scratch.
export CGO_ENABLED=0 GOFLAGS=-mod=readonly
major=$(echo "${k8s_version#v}" | cut -d. -f1); minor=$(echo "${k8s_version#v}" | cut -d. -f2)
vp=k8s.io/component-base/version
# kubeadm refuses to init with an unstamped (v0.0.0-master) kubelet/kubeadm.
ldk="-s -w -X $vp.gitVersion=$k8s_version -X $vp.gitMajor=$major -X $vp.gitMinor=$minor -X $vp.gitTreeState=clean -X $vp.buildDate=1970-01-01T00:00:00Z"
for c in kubelet kubeadm kubectl kube-proxy; do
  (cd "$tools_mod" && timed "$c" go build -trimpath -ldflags="$ldk" -o "$tmp/$c" "k8s.io/kubernetes/cmd/$c")
done
(cd "$dns_mod" && timed coredns go build -trimpath -ldflags="-s -w" -o "$tmp/coredns" github.com/coredns/coredns)

# pause is C; Debian's gcc and static libc build it from the very source the
# Kubernetes module ships.
command -v gcc >/dev/null && [ -f /usr/lib/x86_64-linux-gnu/libc.a ] || die "pause needs gcc and libc6-dev (make kind-engine installs them)"
k8s_dir=$(cd "$tools_mod" && go list -m -f '{{.Dir}}' k8s.io/kubernetes)
gcc -static -O2 -s -DVERSION="$k8s_version" -o "$tmp/pause" "$k8s_dir/build/pause/linux/pause.c"

for b in kube-apiserver kube-controller-manager kube-scheduler etcd; do cp "$cp_bins/$b" "$tmp/$b"; done
rm -rf "$out"; mv "$tmp" "$out"
echo "$out"
