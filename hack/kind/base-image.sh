#!/usr/bin/env bash
# Builds the base image of the Kind node (what kind's kindest/base is) with no
# registry: a Debian bookworm root filesystem from debootstrap with systemd,
# Debian's containerd and runc, iptables/nftables and the CNI plugins, plus
# kind's own entrypoint, units and containerd config from the kind Go module.
# Prints the image tag; skips the build when that tag, keyed by the scripts
# and the kind version, exists in the engine.
#
# usage: hack/kind/base-image.sh   (needs the engine: hack/kind/engine.sh start)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

here=$root/hack/kind
key=$(hash_of "$here/base-image.sh" "$here/base-rootfs.sh" -- "$kind_version")
tag=$image_repo/kind-base:$key
if docker image inspect "$tag" >/dev/null 2>&1; then echo "$tag"; exit 0; fi

# The mirror apt already uses, so debootstrap goes where this machine may go.
mirror=${DKP_DEBIAN_MIRROR:-$(awk '/^URIs:/ && $2 ~ /\/debian\/?$/ {print $2; exit} /^deb / && $3 ~ /bookworm$/ {print $2; exit}' \
  /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null || true)}
mirror=${mirror:-http://deb.debian.org/debian}

kind_files=$(cd "$root" && go mod download -json "sigs.k8s.io/kind@$kind_version" | jq -r .Dir)/images/base/files
[ -d "$kind_files" ] || die "kind module files not found at $kind_files"

tmp=$kind_dir/base.tmp.$$
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"
fs=$tmp/rootfs
# Debian's containerd 1.6 and runc 1.1 play kind's self-built ones;
# containernetworking-plugins has the CNI plugins (kindnetd, kind's default
# network, is not buildable here: see the bridge config below).
pkgs=systemd,systemd-sysv,dbus,containerd,runc,containernetworking-plugins,conntrack,iptables,nftables,iproute2,ethtool,util-linux,mount,kmod,libseccomp2,pigz,e2fsprogs,bash,ca-certificates,jq,procps,socat
log "debootstrap bookworm from $mirror (log: $tmp/debootstrap.log)"
bootstrap() {
  debootstrap --variant=minbase --include="$pkgs" bookworm "$fs" "$mirror" > "$tmp/debootstrap.log" 2>&1 && return 0
  tail -30 "$tmp/debootstrap.log" >&2
  die "debootstrap failed"
}
timed debootstrap bootstrap

# kind's files, as its base image Dockerfile lays them out.
install -m 0755 "$kind_files/usr/local/bin/entrypoint" "$fs/usr/local/bin/"
mkdir -p "$fs/kind/bin" "$fs/etc/systemd/system/kubelet.service.d" "$fs/etc/containerd" "$fs/opt/cni/bin" "$fs/etc/cni/net.d"
install -m 0755 "$kind_files"/kind/bin/* "$fs/kind/bin/"
cp "$kind_files/etc/crictl.yaml" "$fs/etc/"
cp "$kind_files/etc/containerd/config.toml" "$fs/etc/containerd/"
cp "$kind_files"/etc/default/* "$fs/etc/default/"
cp "$kind_files"/etc/sysctl.d/* "$fs/etc/sysctl.d/"
for u in containerd.service kubelet.service kubelet.slice undo-mount-hacks.service; do
  cp "$kind_files/etc/systemd/system/$u" "$fs/etc/systemd/system/"
done
cp "$kind_files"/etc/systemd/system/kubelet.service.d/* "$fs/etc/systemd/system/kubelet.service.d/"

# kind's units and config expect containerd and runc under /usr/local.
ln -sf /usr/bin/containerd "$fs/usr/local/bin/containerd"
ln -sf /usr/bin/containerd-shim-runc-v2 "$fs/usr/local/bin/containerd-shim-runc-v2"
ln -sf /usr/sbin/runc "$fs/usr/local/sbin/runc"
# kind waits for containerd with `ctr info`, which containerd 1.6's ctr
# lacks: answer it with `ctr version` (also a round trip to the daemon).
cat > "$fs/usr/local/bin/ctr" <<'SH'
#!/bin/sh
# kind runs `ctr info` to see containerd is up; containerd 1.6's ctr has no
# such command, `ctr version` asks the daemon just the same.
if [ "${1:-}" = info ]; then shift; exec /usr/bin/ctr version "$@"; fi
exec /usr/bin/ctr "$@"
SH
chmod 0755 "$fs/usr/local/bin/ctr"
for p in bridge host-local loopback portmap ptp; do ln -sf "/usr/lib/cni/$p" "$fs/opt/cni/bin/$p"; done
# Pod network without kindnetd: one bridge per node, pod addresses from the
# node's podSubnet share. Enough for the single-node clusters the tests make.
cat > "$fs/etc/cni/net.d/10-bridge.conflist" <<'JSON'
{
  "cniVersion": "0.4.0",
  "name": "kind-bridge",
  "plugins": [
    {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.244.0.0/24"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
JSON
# The CRI sandbox asks for oom_score_adj -998; lowering it needs
# CAP_SYS_RESOURCE, which a node may not have (see runc-nosysres). With this,
# containerd keeps scores at or above its own instead of failing the pod.
sed -i 's/restrict_oom_score_adj = false/restrict_oom_score_adj = true/' "$fs/etc/containerd/config.toml"

chroot "$fs" /bin/sh < "$here/base-rootfs.sh" > "$tmp/chroot.log" 2>&1 || { tail -30 "$tmp/chroot.log" >&2; die "base-rootfs.sh failed in the chroot"; }
rm -f "$fs/etc/resolv.conf" "$fs/etc/hostname"

log "importing $tag"
tar -C "$fs" -c . | docker import \
  --change 'ENV container=docker' \
  --change 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]' \
  - "$tag" >/dev/null
echo "$tag"
