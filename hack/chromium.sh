#!/usr/bin/env bash
# Prints the path of Debian's chromium, installing the package first when
# it is missing (as root, or through sudo). The e2e tests load report.html
# in it, headless and offline, to check the page a person would see.
#
# usage: hack/chromium.sh            -> installs if needed, prints the path
#        hack/chromium.sh --print    -> prints the path or nothing, installs nothing
set -euo pipefail

if p=$(command -v chromium); then echo "$p"; exit 0; fi
if [ "${1:-}" = --print ]; then exit 0; fi

sudo=()
[ "$(id -u)" = 0 ] || sudo=(sudo)
s=$(date +%s)
"${sudo[@]}" apt-get update -qq >&2
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >&2
echo "chromium: installed Debian's chromium in $(( $(date +%s) - s ))s" >&2
command -v chromium
