#!/usr/bin/env bash
# Runs a command with the Kind engine up: starts it when it is not already
# answering and, in that case only, stops it again afterwards, whatever the
# command did. So a make target leaves the machine as it found it.
#
# usage: hack/kind/with-engine.sh COMMAND [ARG...]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
here=$root/hack/kind

started=
if ! docker info >/dev/null 2>&1; then
  "$here/engine.sh" start
  started=1
fi
stop() { [ -z "$started" ] || "$here/engine.sh" stop; }
trap stop EXIT
"$@"
