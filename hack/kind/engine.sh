#!/usr/bin/env bash
# The container engine the Kind tests run on: Debian's docker.io, started as
# a private dockerd (own socket, data and exec root under the cache folder)
# so it neither needs nor disturbs a Docker daemon of the machine.
#
# usage: hack/kind/engine.sh start   install what is missing, start dockerd, wait
#        hack/kind/engine.sh stop    delete our Kind node containers, stop dockerd
#        hack/kind/engine.sh status  exit 0 when the engine answers
#        hack/kind/engine.sh env     print `export DOCKER_HOST=…` for a shell
set -euo pipefail
source "$(dirname "$0")/lib.sh"

engine=$kind_dir/engine
pidfile=$engine/dockerd.pid

# Debian packages: the engine, jq for the runc wrapper, debootstrap for the
# node's base image, gcc and static libc for pause.
packages=(docker.io iptables jq debootstrap gcc libc6-dev)
missing_packages() {
  local p
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
  done
}

install_packages() {
  local missing
  mapfile -t missing < <(missing_packages)
  ((${#missing[@]})) || return 0
  log "installing Debian packages: ${missing[*]}"
  mkdir -p "$engine"
  # policy-rc.d may refuse to start docker.io's service (no systemd here):
  # that is fine, this script starts its own dockerd.
  if ! { apt-get update -qq &&
         DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } > "$engine/apt.log" 2>&1; then
    tail -20 "$engine/apt.log" >&2
    die "apt-get install ${missing[*]} failed (log: $engine/apt.log)"
  fi
}

running() { docker info >/dev/null 2>&1; }

# lacks_sys_resource is true when this host cannot grant CAP_SYS_RESOURCE
# (bit 24 of the bounding set), the case runc-nosysres exists for.
lacks_sys_resource() {
  local bnd
  bnd=$(awk '/^CapBnd:/ {print $2}' /proc/self/status)
  (( (0x$bnd & (1 << 24)) == 0 ))
}

start() {
  if running; then log "engine at $DOCKER_HOST already answers"; return 0; fi
  # dockerd, and Kind's privileged nodes, need root; so does apt-get.
  [ "$(id -u)" = 0 ] || die "the Kind engine needs root (dockerd, privileged Kind nodes)"
  install_packages
  # A unix socket path is limited to 107 bytes.
  ((${#docker_sock} < 100)) || die "socket path too long: $docker_sock (set DKP_TEST_CACHE to a shorter folder)"
  mkdir -p "$engine/bin" "$engine/data" "$engine/exec"
  local runtime=runc
  if lacks_sys_resource; then
    install -m 0755 "$root/hack/kind/runc-nosysres" "$engine/bin/runc-nosysres"
    printf '{"runtimes":{"runc-nosysres":{"path":"%s"}},"default-runtime":"runc-nosysres"}\n' "$engine/bin/runc-nosysres" > "$engine/daemon.json"
    runtime=runc-nosysres
  else
    echo '{}' > "$engine/daemon.json"
  fi
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    die "dockerd $(cat "$pidfile") of ours runs but does not answer on $docker_sock: stop it with hack/kind/engine.sh stop"
  fi
  rm -f "$pidfile"
  # setsid: the daemon outlives this script and the make recipe that ran it,
  # until `engine.sh stop` ends it by the PID it wrote.
  setsid dockerd --config-file "$engine/daemon.json" -H "unix://$docker_sock" \
    --data-root "$engine/data" --exec-root "$engine/exec" --pidfile "$pidfile" \
    > "$engine/dockerd.log" 2>&1 < /dev/null &
  local launched=$! i
  for i in $(seq 60); do
    if running; then
      log "dockerd $(cat "$pidfile") up (runtime $runtime, data $engine/data, log $engine/dockerd.log)"
      return 0
    fi
    sleep 1
  done
  tail -20 "$engine/dockerd.log" >&2
  # Do not leave a daemon behind that nobody will stop.
  [ -f "$pidfile" ] || echo "$launched" > "$pidfile"
  stop_pid
  die "dockerd did not answer on $docker_sock within 60s"
}

# stop_pid ends the dockerd whose PID is in the PID file, and waits for it.
stop_pid() {
  local pid i
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for i in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    if kill -0 "$pid" 2>/dev/null; then log "dockerd $pid still running after 30s; sending KILL"; kill -9 "$pid"; fi
    log "dockerd $pid stopped"
  fi
  rm -f "$pidfile"
}

stop() {
  if [ ! -f "$pidfile" ]; then log "no dockerd of ours to stop"; return 0; fi
  if running; then
    # Kind nodes restart with the daemon (restart policy): remove them first.
    local nodes
    nodes=$(docker ps -aq --filter label=io.x-k8s.kind.cluster)
    if [ -n "$nodes" ]; then
      log "removing leftover Kind node containers: $(echo $nodes)"
      docker rm -f $nodes >/dev/null
    fi
  fi
  stop_pid
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  status) running ;;
  env) echo "export DOCKER_HOST=$DOCKER_HOST" ;;
  *) sed -n '2,10p' "$0" >&2; exit 2 ;;
esac
