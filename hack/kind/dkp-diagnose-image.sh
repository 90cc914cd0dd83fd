#!/usr/bin/env bash
# Builds the dkp-diagnose image (what --in-cluster's Job runs) with no
# registry: the static binary built by the local Go toolchain, laid out as
# the final (FROM scratch) stage of the Dockerfile lays it out, and imported
# into the engine, as node-collector-image.sh does for the node collector.
# Also saves it as an archive, which the tests load into Kind nodes. The tag
# is the binary's version (`dkp-diagnose version`): kind-<hash of sources>.
# Prints "TAG ARCHIVE"; skips the build when both exist.
#
# usage: hack/kind/dkp-diagnose-image.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"

mapfile -t srcs < <(cd "$root" && find cmd lib config -name '*.go' ! -name '*_test.go' -o -name '*.yaml' | sort)
key=$(hash_of "$root/hack/kind/dkp-diagnose-image.sh" "$root/Dockerfile" "$root/go.mod" "$root/go.sum" "${srcs[@]/#/$root/}")
version=kind-$key
tag=$image_repo/dkp-diagnose:$version
archive=$kind_dir/dkp-diagnose-$key.tar
if [ -f "$archive" ] && docker image inspect "$tag" >/dev/null 2>&1; then echo "$tag $archive"; exit 0; fi

tmp=$kind_dir/dkp-diagnose.tmp.$$
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/fs/bin" "$tmp/fs/output" "$tmp/fs/tmp" "$tmp/fs/etc/ssl/certs"
(cd "$root" && CGO_ENABLED=0 go build -trimpath \
  -ldflags "-s -w -X github.com/mesosphere/dkp-diagnose/cmd/dkp-diagnose/app.Version=$version" \
  -o "$tmp/fs/dkp-diagnose" ./cmd/dkp-diagnose)
ln -s ../dkp-diagnose "$tmp/fs/bin/tar"
cp /etc/ssl/certs/ca-certificates.crt "$tmp/fs/etc/ssl/certs/"
chmod 1777 "$tmp/fs/tmp"
chown 65532:65532 "$tmp/fs/output"
tar -C "$tmp/fs" --numeric-owner -c . | docker import --change 'ENV PATH=/bin:/' --change 'USER 65532:65532' \
  --change 'ENTRYPOINT ["/dkp-diagnose"]' - "$tag" >/dev/null
docker save -o "$tmp/image.tar" "$tag"
mv "$tmp/image.tar" "$archive"
echo "$tag $archive"
