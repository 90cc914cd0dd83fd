#!/usr/bin/env bash
# Builds (or finds in the cache) everything the Kind end-to-end tests need:
# binaries, base image, component images, the node image and the
# node-collector image. Needs a running engine (engine.sh start). Prints, for
# `eval` or an env file, the variables the tests read.
#
# usage: hack/kind/image.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
here=$root/hack/kind

began=$(date +%s)
docker info >/dev/null 2>&1 || die "no engine at $DOCKER_HOST: run hack/kind/engine.sh start (make kind-engine)"
bins=$(timed "binaries" "$here/bins.sh")
base=$(timed "base image" "$here/base-image.sh")
images=$(timed "component images" "$here/images.sh" "$bins" "$base")
node=$(timed "node image" "$here/node-image.sh" "$bins" "$base" "$images")
nc=$(timed "node-collector image" "$here/node-collector-image.sh")
read -r collector archive <<< "$nc"
dd=$(timed "dkp-diagnose image" "$here/dkp-diagnose-image.sh")
read -r ddimage ddarchive <<< "$dd"
log "images ready in $(( $(date +%s) - began ))s: node $node, node-collector $collector"

echo "DOCKER_HOST=$DOCKER_HOST"
echo "DKP_KIND_NODE_IMAGE=$node"
echo "DKP_KIND_NODE_COLLECTOR_IMAGE=$collector"
echo "DKP_KIND_NODE_COLLECTOR_ARCHIVE=$archive"
echo "DKP_KIND_DKP_DIAGNOSE_IMAGE=$ddimage"
echo "DKP_KIND_DKP_DIAGNOSE_ARCHIVE=$ddarchive"
