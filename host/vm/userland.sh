# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # sets variables for run.sh
# hugepin VM runner: the guest's userland when the guest is another
# architecture than the host (run.sh --arch). Its busybox and the static
# libraries the suite links (libdrm, liburing) come from that architecture's
# Debian packages, fetched through the private apt setup and unpacked into
# a sysroot in the cache, never installed; the suite is then cross-built
# against it with Debian's cross compiler (make STATIC=1 GUEST_ARCH=...).
# Sourced by run.sh.

# The packages unpacked into the sysroot.
readonly HP_USERLAND_DEBS="busybox-static libdrm-dev liburing-dev"

USERLAND_SYSROOT=

# The suite whose userland a foreign guest gets: the host's release where
# it builds that architecture (Debian 12 and its cross compilers share
# glibc 2.36, which the static libraries' symbols must match), else the
# first release that does (riscv64 is an official architecture from trixie).
userland_suite() {
	case $HP_ARCH in
	riscv64) printf 'trixie\n' ;;
	*) printf 'bookworm\n' ;;
	esac
}

# The cross compiler run.sh needs for the guest architecture, as a Debian
# package name.
userland_cross_package() {
	printf 'gcc-%s\n' "${HP_CROSS%-}"
}

# Fetch and unpack the guest architecture's userland packages once; sets
# USERLAND_SYSROOT. Network part first, so the caller can run it beside
# other downloads.
userland_setup() {
	local suite root p ver
	local -a debs=()
	[ -n "$HP_CROSS" ] || return 0
	suite=$(userland_suite)
	root=$HP_CACHE/sysroot-$HP_ARCH
	USERLAND_SYSROOT=$root
	if [ -e "$root/.unpacked" ] && [ "$(cat "$root/.suite" 2>/dev/null)" = "$suite" ]; then
		return 0
	fi
	debian_want "$suite"
	debian_setup
	local want=$HP_USERLAND_DEBS
	# A newer release's liburing includes uapi headers newer than the cross
	# compiler's (6.1): its io_uring methods are compiled out (the build
	# says so), and its libdrm links against glibc 2.36 (see the Makefile).
	[ "$suite" = bookworm ] || want=${want/ liburing-dev/}
	for p in $want; do
		ver=$(debian_versions "$p" | awk -v s="$suite" '$2 == s || $2 == s "-security" { print $1 }' | debian_highest)
		[ -n "$ver" ] || hp_die "$p: not in $suite for $HP_DEB_ARCH ($(debian_state_hint)): the $HP_ARCH guest's userland cannot be had"
		debian_fetch "$p" "$ver" || hp_die "$DEBIAN_ERR"
		debs+=("$DEBIAN_DEB")
	done
	hp_progress "unpacking $suite's $HP_DEB_ARCH userland ($want) into $root"
	rm -rf "$root"
	debian_unpack_into "$root" '' "${debs[@]}" || hp_die "$HP_ARCH userland: $DEBIAN_ERR"
	rm -f "${debs[@]}"
	printf '%s\n' "$suite" >"$root/.suite"
}

# The guest's busybox: the host's own for a host-architecture guest, else
# the one in the sysroot.
userland_busybox() {
	local bb
	if [ -z "$HP_CROSS" ]; then
		command -v busybox || true
	else
		# bookworm's package has it in /bin, trixie's in /usr/bin.
		for bb in "$USERLAND_SYSROOT/bin/busybox" "$USERLAND_SYSROOT/usr/bin/busybox"; do
			[ -x "$bb" ] && printf '%s\n' "$bb" && return 0
		done
	fi
}
