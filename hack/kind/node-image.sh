#!/usr/bin/env bash
# Assembles the Kind node image: the base image, plus kubelet, kubeadm and
# kubectl in /usr/bin, the component images pre-loaded into the node's
# containerd (so nothing is ever pulled) and /kind/version, the layout
# `kind build node-image` produces. kind's own builder is not used: it
# fetches every image kubeadm lists that was not built from a Kubernetes
# release tarball, from a registry. Prints the image tag; skips the build
# when the tag (keyed by its inputs) exists.
#
# usage: hack/kind/node-image.sh BINS_DIR BASE_IMAGE IMAGES_TAR
set -euo pipefail
source "$(dirname "$0")/lib.sh"

bins=${1:?usage: node-image.sh BINS_DIR BASE_IMAGE IMAGES_TAR}
base=${2:?}; images=${3:?}
key=$(hash_of "$root/hack/kind/node-image.sh" "$root/hack/kind/lib.sh" -- "$bins" "$base" "$images")
tag=$image_repo/kind-node:$k8s_version-$key
if docker image inspect "$tag" >/dev/null 2>&1; then echo "$tag"; exit 0; fi

c=dkp-kind-node-build-$$
trap 'docker rm -f "$c" >/dev/null 2>&1 || true' EXIT
# Privileged: containerd inside needs to mount its snapshots to import.
docker run -d --name "$c" --privileged --entrypoint sleep "$base" infinity >/dev/null
for b in kubelet kubeadm kubectl; do docker cp "$bins/$b" "$c:/usr/bin/$b"; done
docker cp "$images" "$c:/images.tar"
# Import with the node's own containerd, into the namespace the kubelet's
# CRI uses, then stop it before the commit. The image list goes to the log.
docker exec "$c" sh -euc '
  containerd > /tmp/containerd.log 2>&1 & pid=$!
  i=0; until ctr version > /dev/null 2>&1; do i=$((i+1)); [ $i -lt 100 ] || { cat /tmp/containerd.log; exit 1; }; sleep 0.2; done
  ctr -n k8s.io images import --no-unpack /images.tar > /dev/null
  ctr -n k8s.io images ls -q
  kill $pid; wait $pid || true
  rm -f /images.tar /tmp/containerd.log' >&2
docker exec "$c" sh -c "mkdir -p /kind && echo $k8s_version > /kind/version"
docker commit --change 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]' --change 'CMD []' "$c" "$tag" >/dev/null
echo "$tag"
