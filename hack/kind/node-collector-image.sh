#!/usr/bin/env bash
# Builds the node-collector image with no registry: the static binary built
# by the local Go toolchain, laid out as the final (FROM scratch) stage of
# Dockerfile.node-collector lays it out, and imported into the engine. The
# Dockerfile's build stage needs the golang image, which cannot be pulled
# here. Also saves it as an archive, which the tests load into Kind nodes.
# Prints "TAG ARCHIVE"; skips the build when both exist (keyed by the
# program's sources).
#
# usage: hack/kind/node-collector-image.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"

mapfile -t srcs < <(cd "$root" && find cmd/node-collector -name '*.go' ! -name '*_test.go' | sort)
# The Dockerfile is part of the key: a change to its final stage must be
# mirrored below, and shows here as a rebuild.
key=$(hash_of "$root/hack/kind/node-collector-image.sh" "$root/Dockerfile.node-collector" "$root/go.mod" "$root/go.sum" "${srcs[@]/#/$root/}")
tag=$image_repo/dkp-diagnose-node-collector:$key
archive=$kind_dir/node-collector-$key.tar
if [ -f "$archive" ] && docker image inspect "$tag" >/dev/null 2>&1; then echo "$tag $archive"; exit 0; fi

tmp=$kind_dir/node-collector.tmp.$$
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/fs/output" "$tmp/fs/bin"
(cd "$root" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.Version=kind-$key" -o "$tmp/fs/node-collector" ./cmd/node-collector)
# The binary is also tar and sleep by those names (the DaemonSet's keeper
# sleeps; the CLI copies the output with `tar cf -`).
ln -s ../node-collector "$tmp/fs/bin/tar"
ln -s ../node-collector "$tmp/fs/bin/sleep"
tar -C "$tmp/fs" -c . | docker import --change 'ENV PATH=/bin:/' --change 'ENTRYPOINT ["/node-collector"]' - "$tag" >/dev/null
docker save -o "$tmp/image.tar" "$tag"
mv "$tmp/image.tar" "$archive"
echo "$tag $archive"
