# Shared settings of the hack/kind scripts; sourced, never run.
#
# Everything built or started here lives under one cache folder, the same
# one hack/test-bins.sh uses, so `rm -rf` of it (after `make kind-stop`)
# removes every trace.

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache=${DKP_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dkp-diagnose}
kind_dir=$cache/kind
tools_mod=$root/e2e/tools
k8s_version=$(awk '$1=="k8s.io/kubernetes" {print $2}' "$tools_mod/go.mod")
# The kind library version of the main module: its images/base/files are the
# node image's systemd units, entrypoint and containerd config.
kind_version=$(awk '$1=="sigs.k8s.io/kind" {print $2}' "$root/go.mod")
# Local names only: nothing here is ever pushed or pulled. A tag, never a
# digest: kind skips its pull only for an image it finds by that reference.
image_repo=${DKP_KIND_IMAGE_REPO:-dkp-diagnose.local}

# The private engine (hack/kind/engine.sh): its own socket, so it never
# meets another Docker daemon on this machine.
docker_sock=$kind_dir/engine/docker.sock
export DOCKER_HOST=${DKP_KIND_DOCKER_HOST:-unix://$docker_sock}

log() { echo "kind: $*" >&2; }
die() { echo "kind: error: $*" >&2; exit 1; }

# hash_of FILE... [-- VALUE...] prints a short hash of the files' names and
# contents and of the values: the cache key of whatever is built from them.
hash_of() {
  local a values=
  for a in "$@"; do
    if [ "$a" = -- ]; then values=1; continue; fi
    if [ -n "$values" ]; then printf 'value %s\n' "$a"; continue; fi
    printf 'file %s\n' "${a#"$root"/}"
    cat "$a"
  done | sha256sum | cut -c1-16
}

# timed NAME CMD... runs CMD and logs how long it took.
timed() {
  local name=$1 s; shift
  s=$(date +%s)
  "$@"
  log "$name took $(( $(date +%s) - s ))s"
}
