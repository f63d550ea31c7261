#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# hugepin LAVA rootfs: PID 1 of the initramfs `run.sh --lava-job` writes
# for LAVA's QEMU device type. Unlike run.sh's guest init it runs no test:
# it loads the kernel modules of the emulated devices (the lists under
# /lib/modules/hugepin, as run.sh's modules piece resolved them), links
# /dev/disk/by-uuid (LAVA mounts its test overlay disk by UUID) and gives
# LAVA a root shell on the console, prompt "hugepin-lava# ". The test
# action then fetches the kselftest tarball and runs the collection.

/bin/busybox mkdir -p /usr/bin /usr/sbin
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t debugfs debugfs /sys/kernel/debug
mkdir -p /tmp /dev/disk/by-uuid /root
# What udev would add: the kernel's kselftest runner writes to /dev/stdout.
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t tmpfs tmp /tmp
exec </dev/console >/dev/console 2>&1

for list in /lib/modules/hugepin/*.order; do
	[ -f "$list" ] || continue
	while read -r ko; do
		name=$(basename "$ko" .ko | tr '-' '_')
		[ -d "/sys/module/$name" ] && continue
		if [ "$name" = drm_kms_helper ] && insmod "$ko" fbdev_emulation=0 2>/dev/null; then
			continue
		fi
		insmod "$ko" || echo "hugepin-lava: insmod $ko failed"
	done <"$list"
done

# Disks appear once virtio_blk is in; give them a moment.
i=0
while [ "$i" -lt 20 ] && ! ls /sys/block/vd* >/dev/null 2>&1; do
	sleep 0.1
	i=$((i + 1))
done
# Busybox-static has no blkid: an ext2/3/4 superblock (1 KiB in) has its
# magic 0xef53 at byte 56 and the UUID at byte 104.
for dev in /dev/vd? /dev/sd?; do
	[ -b "$dev" ] || continue
	[ "$(od -An -tx1 -j1080 -N2 "$dev" 2>/dev/null | tr -d ' ')" = 53ef ] || continue
	uuid=$(od -An -tx1 -j1128 -N16 "$dev" | tr -d ' \n' |
		sed 's/^\(.\{8\}\)\(.\{4\}\)\(.\{4\}\)\(.\{4\}\)/\1-\2-\3-\4-/')
	ln -sf "$dev" "/dev/disk/by-uuid/$uuid"
done

# LAVA's boot action waits for the kernel's banner, which loglevel=5 keeps
# off the console.
cat /proc/version
echo "hugepin-lava: ready"
export HOME=/root PS1='hugepin-lava# '
while true; do
	setsid cttyhack sh -i
done
