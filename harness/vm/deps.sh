# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# hugepin VM runner: host packages. QEMU boots the guest, busybox-static is
# its userland, libdrm/liburing and gcc build the static suite and the
# reference module, kmod resolves the guest's modules, e2fsprogs formats the
# guest's page-cache disk, debian-archive-keyring checks what the private
# apt setup fetches. Kernels and their headers are never installed here:
# they are unpacked into the cache.
# Sourced by run.sh.

readonly HP_DEB_PACKAGES="qemu-system-x86 qemu-utils busybox-static libdrm-dev liburing-dev
linux-source-6.1 debian-archive-keyring kmod cpio rsync stress-ng pkg-config make gcc libc6-dev
e2fsprogs file xz-utils zstd"

# Print the packages of $HP_DEB_PACKAGES that dpkg does not have installed.
deps_missing() {
	local p
	for p in $HP_DEB_PACKAGES; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
			printf '%s ' "$p"
		fi
	done
}

# Install what is missing on Debian (as root), or say exactly what to run.
deps_setup() {
	local missing
	if [ ! -r /etc/debian_version ] || ! command -v dpkg-query >/dev/null; then
		for cmd in qemu-system-x86_64 qemu-img busybox cpio modprobe depmod make gcc; do
			command -v "$cmd" >/dev/null || [ -x "/sbin/$cmd" ] || hp_die "$cmd not found: install QEMU, busybox (static), kmod, cpio, make and gcc"
		done
		return 0
	fi
	missing=$(deps_missing)
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		printf 'run.sh: missing packages; as root run: apt-get install -y %s\n' "$missing" >&2
		exit "$HP_EXIT_USAGE"
	fi
	# Headless TCG runs need none of QEMU's recommended GUI and audio
	# packages, which used to be most of a fresh machine's first run.
	local log=$HP_CACHE/apt-install.log
	mkdir -p "$HP_CACHE"
	hp_progress "installing: $missing(transcript: $log)"
	# shellcheck disable=SC2086 # word splitting of the package list is wanted
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >"$log" 2>&1; then
		apt-get update -q >>"$log" 2>&1 || hp_die "apt-get update failed (see $log)"
		# shellcheck disable=SC2086
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >>"$log" 2>&1 ||
			hp_die "apt-get install -y $missing failed (see $log)"
	fi
}
