# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# hugepin VM runner: shared helpers for the run.sh pieces (messages, exit
# codes, timing, cache keys). Sourced, never executed.

# Exit codes of DESIGN.md "Verdicts" that the runner itself decides (hp_report
# decides 0 and 1).
readonly HP_EXIT_USAGE=2
readonly HP_EXIT_SKIP=125
# Why the reference module's damage is expected on a kernel (harness/hp_core.h).
# shellcheck disable=SC2034 # read by run.sh
readonly HP_WHY_NO_PMD_SPECIAL="no PMD special bit"

# Under --bisect a setup failure must make git bisect skip the commit rather
# than mark it bad, so setup errors map to 125 there.
HP_BISECT=${HP_BISECT:-0}
HP_BISECT_FIXED=${HP_BISECT_FIXED:-0}
HP_T0=${HP_T0:-$(date +%s.%N)}
HP_T0_US=${HP_T0_US:-${EPOCHREALTIME//[!0-9]/}}

hp_log() {
	printf 'hugepin: %s\n' "$*" >&2
}

hp_elapsed() {
	hp_us_secs "$HP_T0_US" "$(hp_now_us)"
}

# Wall clock in microseconds, without a fork: the runner reports progress for
# hundreds of cases while QEMU needs both of the machine's cores.
hp_now_us() {
	local t=${EPOCHREALTIME//[!0-9]/}
	printf '%s' "$((10#$t))"
}

# Seconds between two hp_now_us stamps, one decimal.
hp_us_secs() {
	local d=$((($2 - $1) / 100000))
	printf '%d.%d' "$((d / 10))" "$((d % 10))"
}

# Progress line with the wall time since run.sh started.
hp_progress() {
	local t=${EPOCHREALTIME//[!0-9]/} d
	hp_status_end
	d=$(((10#$t - HP_T0_US) / 100000))
	printf '[%4d.%ds] %s\n' "$((d / 10))" "$((d % 10))" "$*" >&2
}

# One status line rewritten in place on a terminal (the case that runs now,
# with the elapsed time); nothing when stderr is a file or a pipe, where
# only the per-program lines go.
HP_STATUS_OPEN=0
hp_status() {
	[ -t 2 ] || return 0
	local t=${EPOCHREALTIME//[!0-9]/} d cols=${COLUMNS:-100}
	d=$(((10#$t - HP_T0_US) / 100000))
	printf '\r\033[K%.*s' "$((cols - 1))" "[$((d / 10)).$((d % 10))s] $*" >&2
	HP_STATUS_OPEN=1
}

# End the status line before a line of its own.
hp_status_end() {
	[ "$HP_STATUS_OPEN" = 1 ] || return 0
	printf '\r\033[K' >&2
	HP_STATUS_OPEN=0
}

# Usage error: wrong option or argument. Always 2.
hp_usage_error() {
	printf 'run.sh: %s (see ./run.sh --help)\n' "$*" >&2
	exit "$HP_EXIT_USAGE"
}

# Setup error: the environment or an input cannot be used.
hp_die() {
	printf 'run.sh: error: %s\n' "$*" >&2
	if [ "$HP_BISECT" = 1 ]; then
		exit "$HP_EXIT_SKIP"
	fi
	exit "$HP_EXIT_USAGE"
}

# Seconds between two `date +%s.%N` stamps, one decimal.
hp_secs() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'
}

# A cache key for a list of files: their names, sizes and contents.
hp_files_key() {
	local f
	for f in "$@"; do
		printf '%s %s\n' "$f" "$(sha256sum < "$f" | cut -d' ' -f1)"
	done | sha256sum | cut -d' ' -f1
}

# The guest architecture (run.sh --arch): HP_ARCH is its name as run.sh
# takes it, HP_DEB_ARCH Debian's, HP_KARCH the kernel's ARCH=, HP_CROSS the
# cross compiler's prefix (empty on the host's own), HP_QEMU the emulator.
# Only x86_64 hosts are known; elsewhere the host's own architecture is the
# only guest.
# shellcheck disable=SC2034 # read by the other pieces
hp_arch_set() {
	local host
	host=$(uname -m)
	case $1 in
	x86_64 | amd64) HP_ARCH=x86_64 HP_DEB_ARCH=amd64 HP_KARCH=x86 HP_GNU=x86_64-linux-gnu ;;
	arm64 | aarch64) HP_ARCH=arm64 HP_DEB_ARCH=arm64 HP_KARCH=arm64 HP_GNU=aarch64-linux-gnu ;;
	riscv64) HP_ARCH=riscv64 HP_DEB_ARCH=riscv64 HP_KARCH=riscv HP_GNU=riscv64-linux-gnu ;;
	*) hp_usage_error "--arch $1: x86_64, arm64 or riscv64" ;;
	esac
	HP_QEMU=qemu-system-${HP_GNU%%-*}
	HP_CROSS=
	[ "$HP_GNU" = "$host-linux-gnu" ] || HP_CROSS=$HP_GNU-
}

# The host's architecture as run.sh --arch names it.
hp_arch_host() {
	case $(uname -m) in
	aarch64) printf 'arm64\n' ;;
	*) uname -m ;;
	esac
}
