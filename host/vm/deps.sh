# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# hugepin VM runner: host packages. QEMU boots the guest, busybox-static is
# its userland, libdrm/liburing and gcc build the static suite and the
# reference module, kmod resolves the guest's modules, e2fsprogs formats the
# guest's page-cache disk, debian-archive-keyring checks what the private
# apt setup fetches. Kernels and their headers are never installed here:
# they are unpacked into the cache.
# Sourced by run.sh.

# Three groups, installed one after the other in the background, so that a
# fresh machine starts on its kernel's headers and module as soon as the
# first (small) group is in, and builds the suite while the guest's group
# installs: what unpacking kernels and building modules need, what building
# the suite needs, what only the guest needs.
readonly HP_DEB_UNPACK="debian-archive-keyring kmod rsync make gcc libc6-dev file xz-utils zstd"
readonly HP_DEB_BUILD="libdrm-dev liburing-dev linux-source-6.1 pkg-config"
readonly HP_DEB_GUEST="qemu-system-x86 qemu-utils busybox-static cpio e2fsprogs stress-ng"
HP_DEPS_PID='' HP_DEPS_STAGE=''

# What a guest of another architecture (run.sh --arch) needs besides: $1
# qemu, its QEMU; $1 cc, Debian's cross compiler for it (with the tools
# that unpack kernels: its modules build as soon as the headers are in).
deps_arch_packages() {
	[ -n "$HP_CROSS" ] || return 0
	case $1:$HP_ARCH in
	qemu:arm64) printf '%s\n' qemu-system-arm ;;
	qemu:riscv64) printf '%s\n' qemu-system-misc ;;
	# The C library's headers and static libraries are only recommended.
	cc:arm64) printf '%s\n' gcc-aarch64-linux-gnu libc6-dev-arm64-cross ;;
	cc:riscv64) printf '%s\n' gcc-riscv64-linux-gnu libc6-dev-riscv64-cross ;;
	esac
}

# Print the packages of "$@" that dpkg does not have installed.
deps_missing() {
	local p
	for p in "$@"; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
			printf '%s ' "$p"
		fi
	done
}

# apt-get install "$@" without recommends, the transcript appended to $1;
# on failure once more after apt-get update.
deps_install() {
	local log=$1
	# A second run (or the system's own apt) holding dpkg's lock is waited for.
	local -a apt=(apt-get -o DPkg::Lock::Timeout=600)
	shift
	if ! DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -q --no-install-recommends "$@" >>"$log" 2>&1; then
		"${apt[@]}" update -q >>"$log" 2>&1 || hp_die "apt-get update failed (see $log)"
		DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -q --no-install-recommends "$@" >>"$log" 2>&1 ||
			hp_die "apt-get install -y $* failed (see $log)"
	fi
}

# Install what is missing on Debian (as root), or say exactly what to run.
# The install runs in the background: deps_wait_for unpack|build waits for
# a group, deps_wait for all of them.
deps_setup() {
	local unpack build guest
	if [ ! -r /etc/debian_version ] || ! command -v dpkg-query >/dev/null; then
		for cmd in qemu-system-x86_64 qemu-img busybox cpio modprobe depmod make gcc; do
			command -v "$cmd" >/dev/null || [ -x "/sbin/$cmd" ] || hp_die "$cmd not found: install QEMU, busybox (static), kmod, cpio, make and gcc"
		done
		return 0
	fi
	# shellcheck disable=SC2086,SC2046 # the lists are split into package names
	unpack=$(deps_missing $HP_DEB_UNPACK $(deps_arch_packages cc))
	# shellcheck disable=SC2086
	build=$(deps_missing $HP_DEB_BUILD)
	# shellcheck disable=SC2086,SC2046
	guest=$(deps_missing $HP_DEB_GUEST $(deps_arch_packages qemu))
	[ -z "$unpack$build$guest" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		printf 'run.sh: missing packages; as root run: apt-get install -y %s\n' "$unpack$build$guest" >&2
		exit "$HP_EXIT_USAGE"
	fi
	# Headless TCG runs need none of QEMU's recommended GUI and audio
	# packages, which used to be most of a fresh machine's first run.
	local log=$HP_CACHE/apt-install.log
	mkdir -p "$HP_CACHE"
	: >"$log"
	HP_DEPS_STAGE=$HP_CACHE/stage.$$.deps
	hp_progress "installing: $unpack$build$guest(transcript: $log)"
	# shellcheck disable=SC2086
	{
		[ -z "$unpack" ] || deps_install "$log" $unpack
		: >"$HP_DEPS_STAGE-unpack"
		[ -z "$build" ] || deps_install "$log" $build
		: >"$HP_DEPS_STAGE-build"
		[ -z "$guest" ] || deps_install "$log" $guest
	} &
	HP_DEPS_PID=$!
}

# Wait until group $1 (unpack or build) is installed; fails when the
# install failed (deps_wait then reports it).
deps_wait_for() {
	[ -n "$HP_DEPS_PID" ] || return 0
	while [ ! -e "$HP_DEPS_STAGE-$1" ]; do
		kill -0 "$HP_DEPS_PID" 2>/dev/null || break
		sleep 0.2
	done
	[ -e "$HP_DEPS_STAGE-$1" ]
}

# Wait for the whole install; a failure has been reported already.
deps_wait() {
	[ -n "$HP_DEPS_PID" ] || return 0
	local pid=$HP_DEPS_PID
	HP_DEPS_PID=''
	wait "$pid" || exit "$?"
	rm -f "$HP_DEPS_STAGE"-*
}
