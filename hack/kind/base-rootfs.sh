#!/bin/sh
# Runs inside the chroot of the node's base root filesystem (base-image.sh),
# after kind's own files were copied in: the steps of kind's base image
# Dockerfile that need the rootfs's programs.
set -eu

# The runtime spec every pod container starts from: containerd's default,
# plus kind's hook that mounts the node's product_uuid, and no rlimits (the
# node container's own limits apply).
ctr oci spec \
  | jq '.hooks.createContainer[.hooks.createContainer | length] |= . + {"path": "/kind/bin/mount-product-files.sh"}' \
  | jq 'del(.process.rlimits)' > /etc/containerd/cri-base.json

# systemd in a container: no udev, no getty, no tmpfiles wipe at boot, no
# kernel log reading; only containerd and the kubelet are started.
find /lib/systemd/system/sysinit.target.wants/ -name systemd-tmpfiles-setup.service -delete
rm -f /lib/systemd/system/multi-user.target.wants/* /etc/systemd/system/*.wants/* \
  /lib/systemd/system/local-fs.target.wants/* /lib/systemd/system/sockets.target.wants/*udev* \
  /lib/systemd/system/sockets.target.wants/*initctl* /lib/systemd/system/basic.target.wants/*
echo ReadKMsg=no >> /etc/systemd/journald.conf
ln -sf /usr/lib/systemd/systemd /sbin/init
systemctl enable kubelet.service containerd.service undo-mount-hacks.service
# binfmt_misc is kernel-global: a node must not register anything there.
systemctl mask systemd-binfmt.service
mkdir -p /etc/kubernetes/manifests

apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/*.log
