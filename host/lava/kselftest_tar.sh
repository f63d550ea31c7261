#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# hugepin: the suite as a kselftest collection, in the layout the kernel's
# `make -C tools/testing/selftests gen_tar` writes (kselftest-list.txt of
# collection:test lines, run_kselftest.sh, kselftest/ with the runner, one
# directory per collection), so a lab runs it as it runs any collection:
#   ./run_kselftest.sh -c hugepin       ./run_kselftest.sh -t hugepin:pin_vmsplice
# The runner files come from a kernel tree's tools/testing/selftests
# (--ksft) or from Debian's linux-source tarball (--linux-source), at build
# time; they are never part of this repository. The collection directory
# holds the static programs, settings and config, env.sh (the machine's
# preparation, host/lava/ksft_env.sh) and module/ with the reference, walk
# and vmwgfx-shim modules built for the target kernel.
#
# usage: kselftest_tar.sh --bin DIR --modules DIR [--ksft DIR] [--linux-source TAR] OUT.tar.gz
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
readonly COLLECTION=hugepin
readonly RUNNER_FILES="run_kselftest.sh kselftest/runner.sh kselftest/module.sh kselftest/prefix.pl"
readonly MODULES="hugepin_ref hugepin_walk hugepin_vmwshim"
readonly GUEST_FUNCTIONS="dax_setup"

die() {
	echo "kselftest_tar.sh: $1" >&2
	exit 2
}

makefile_list() {
	sed -n "s/^$1 := //p" "$TOP/selftests/Makefile"
}

# Copy the kernel's runner files into $1: from the tree $KSFT, else from
# the linux-source tarball (only those files are unpacked).
runner_files() {
	local stage=$1 f top tmp
	if [ -n "$KSFT" ]; then
		for f in $RUNNER_FILES; do
			[ -f "$KSFT/$f" ] || die "--ksft $KSFT has no $f: give a kernel tree's tools/testing/selftests"
			install -D -m 0755 "$KSFT/$f" "$stage/$f"
		done
		return 0
	fi
	[ -r "$LINUX_SOURCE" ] || die "$LINUX_SOURCE not found: apt-get install linux-source-6.1, or give --ksft DIR"
	top=$(basename "$LINUX_SOURCE" .tar.xz)
	tmp=$(mktemp -d)
	local -a paths=()
	for f in $RUNNER_FILES; do
		paths+=("$top/tools/testing/selftests/$f")
	done
	xz -T0 -dc "$LINUX_SOURCE" | tar -x -C "$tmp" "${paths[@]}" ||
		{ rm -rf "$tmp"; die "cannot unpack the kselftest runner from $LINUX_SOURCE"; }
	for f in $RUNNER_FILES; do
		install -D -m 0755 "$tmp/$top/tools/testing/selftests/$f" "$stage/$f"
	done
	rm -rf "$tmp"
}

# The guest init's set-up steps that env.sh runs as they are (one copy of
# each: host/vm/init.sh), taken from it at build time.
guest_functions() {
	local f
	printf '# SPDX-License-Identifier: GPL-2.0\n# shellcheck shell=sh\n'
	printf '# From hugepin'"'"'s host/vm/init.sh, for env.sh (written by host/lava/kselftest_tar.sh).\n'
	for f in $GUEST_FUNCTIONS; do
		sed -n "/^$f() {\$/,/^}\$/p" "$TOP/host/vm/init.sh" | grep -q . ||
			die "host/vm/init.sh has no function $f"
		sed -n "/^$f() {\$/,/^}\$/p" "$TOP/host/vm/init.sh"
	done
}

main() {
	local bin="" mods="" out="" p m
	KSFT='' LINUX_SOURCE=/usr/src/linux-source-6.1.tar.xz
	while [ $# -gt 0 ]; do
		case $1 in
		--bin) bin=$2; shift ;;
		--modules) mods=$2; shift ;;
		--ksft) KSFT=$2; shift ;;
		--linux-source) LINUX_SOURCE=$2; shift ;;
		-*) die "unknown option $1 (usage: --bin DIR --modules DIR [--ksft DIR] [--linux-source TAR] OUT.tar.gz)" ;;
		*) out=$1 ;;
		esac
		shift
	done
	[ -n "$out" ] || die "no output file given"
	[ -d "$bin" ] || die "--bin $bin: no such directory (make STATIC=1 builds build/bin-static)"
	[ -f "$mods/hugepin_ref.ko" ] || die "--modules $mods has no hugepin_ref.ko: build the modules for the target kernel (make module KDIR=...)"
	STAGE=$(mktemp -d)
	stage=$STAGE
	trap 'rm -rf "$STAGE"' EXIT
	runner_files "$stage"
	mkdir -p "$stage/$COLLECTION/module"
	: >"$stage/kselftest-list.txt"
	for p in $(makefile_list TEST_GEN_PROGS); do
		[ -x "$bin/$p" ] || die "$bin/$p missing: make STATIC=1"
		install -m 0755 "$bin/$p" "$stage/$COLLECTION/"
		printf '%s:%s\n' "$COLLECTION" "$p" >>"$stage/kselftest-list.txt"
	done
	# Helpers the selftests start themselves (TEST_GEN_PROGS_EXTENDED).
	for p in $(makefile_list TEST_GEN_PROGS_EXTENDED); do
		[ -x "$bin/$p" ] || die "$bin/$p missing: make STATIC=1"
		install -m 0755 "$bin/$p" "$stage/$COLLECTION/"
	done
	install -m 0644 "$TOP/selftests/settings" "$stage/$COLLECTION/settings"
	install -m 0644 "$TOP/config" "$stage/$COLLECTION/config"
	install -m 0644 "$TOP/host/lava/ksft_env.sh" "$stage/$COLLECTION/env.sh"
	guest_functions >"$stage/$COLLECTION/guest_setup.sh"
	install -m 0755 "$TOP/host/lava/lava_results.sh" "$stage/$COLLECTION/lava_results.sh"
	for m in $MODULES; do
		[ ! -f "$mods/$m.ko" ] || install -m 0644 "$mods/$m.ko" "$stage/$COLLECTION/module/"
	done
	mkdir -p "$(dirname "$out")"
	tar -czf "$out.tmp" --owner=0 --group=0 -C "$stage" .
	mv "$out.tmp" "$out"
	echo "Created $out ($(wc -l <"$stage/kselftest-list.txt") tests in collection $COLLECTION, modules for $(modinfo -F vermagic "$mods/hugepin_ref.ko" | cut -d' ' -f1))"
}

main "$@"
