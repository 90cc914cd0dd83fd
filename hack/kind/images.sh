#!/usr/bin/env bash
# Builds the images a kubeadm v1.37.2 node runs (kube-apiserver,
# kube-controller-manager, kube-scheduler, kube-proxy, etcd, CoreDNS, pause)
# from the binaries of bins.sh, under exactly the names kubeadm asks for, and
# saves them into one archive for the node's containerd. Prints the archive's
# path; skips the build when it exists (keyed by binaries, base image and
# this script).
#
# usage: hack/kind/images.sh BINS_DIR BASE_IMAGE
set -euo pipefail
source "$(dirname "$0")/lib.sh"

bins=${1:?usage: images.sh BINS_DIR BASE_IMAGE}
base=${2:?usage: images.sh BINS_DIR BASE_IMAGE}
key=$(hash_of "$root/hack/kind/images.sh" "$root/hack/kind/lib.sh" -- "$bins" "$base")
out=$kind_dir/images-$k8s_version-$key.tar
if [ -f "$out" ]; then echo "$out"; exit 0; fi

tmp=$kind_dir/images.tmp.$$
tags=()
cleanup() {
  rm -rf "$tmp"
  # The registry.k8s.io names only matter inside the node: drop them here.
  ((${#tags[@]} == 0)) || docker rmi "${tags[@]}" >/dev/null 2>&1 || true
}
trap cleanup EXIT
mkdir -p "$tmp"

# scratch_image TAG BINARY: an image of one static binary at
# /usr/local/bin/BINARY (its entrypoint), like the upstream distroless ones.
scratch_image() {
  local tag=$1 bin=$2 ctx=$tmp/$2
  mkdir -p "$ctx/usr/local/bin"
  cp "$bins/$bin" "$ctx/usr/local/bin/"
  tar -C "$ctx" -c . | docker import --change "ENTRYPOINT [\"/usr/local/bin/$bin\"]" - "$tag" >/dev/null
  tags+=("$tag")
}

# kube-proxy programs the node's iptables/nftables and conntrack: it gets the
# base image's Debian tools instead of an empty image.
proxy_image() {
  local tag=$1 c
  c=$(docker create --entrypoint /usr/local/bin/kube-proxy "$base")
  docker cp "$bins/kube-proxy" "$c:/usr/local/bin/kube-proxy"
  docker commit --change 'ENTRYPOINT ["/usr/local/bin/kube-proxy"]' --change 'CMD []' "$c" "$tag" >/dev/null
  docker rm "$c" >/dev/null
  tags+=("$tag")
}

# The names kubeadm will use, from kubeadm itself.
mapfile -t wanted < <("$bins/kubeadm" config images list --kubernetes-version "$k8s_version" 2>/dev/null)
((${#wanted[@]} >= 7)) || die "kubeadm config images list gave: ${wanted[*]}"
# containerd's sandbox image (kind's config.toml) may differ from kubeadm's
# pause tag: the same pause binary serves both.
sandbox=$(docker run --rm --entrypoint awk "$base" -F'"' '/sandbox_image/ {print $2}' /etc/containerd/config.toml)
[ -n "$sandbox" ] || die "no sandbox_image in the base image's containerd config"

for ref in "${wanted[@]}"; do
  name=${ref%:*}; name=${name##*/}
  case $name in
    kube-proxy) proxy_image "$ref" ;;
    pause)
      scratch_image "$ref" pause
      [ "$sandbox" = "$ref" ] || { docker tag "$ref" "$sandbox"; tags+=("$sandbox"); } ;;
    kube-apiserver|kube-controller-manager|kube-scheduler|etcd|coredns) scratch_image "$ref" "$name" ;;
    *) die "kubeadm wants an image this script cannot build: $ref" ;;
  esac
  log "built $ref"
done

docker save -o "$tmp/images.tar" "${tags[@]}"
mv "$tmp/images.tar" "$out"
echo "$out"
