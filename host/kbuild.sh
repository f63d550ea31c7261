#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Kernel tree builds for run.sh --kernel-tree (bisects, backport checks).
# The tree is configured in layers, as virtme-ng does: a base (defconfig, or
# --base-config FILE), then hugepin's fragment, then the fragment's required
# group once more so nothing in the base can switch it off, then olddefconfig.
# Output goes out of tree (O=) into a cache directory per tree and
# configuration: a second run on the same commit reuses the build, a bisect
# step rebuilds only what changed.
#
# Sourced; the caller provides die() (message, exit code).

# The build directory is keyed by tree and configuration only, so a bisect
# step rebuilds incrementally in the same directory; the stamp inside records
# which commit (and dirty state) it holds, so an unchanged tree is reused as is.
kbuild_dir_key() {
	local tree=$1 base=$2 fragment=$3
	{
		(cd "$tree" && pwd)
		if [[ -n $base ]]; then cat "$base"; else echo defconfig; fi
		cat "$fragment"
	} | sha256sum | cut -c1-16
}

kbuild_commit_key() {
	local tree=$1 head dirty
	if head=$(git -C "$tree" rev-parse --verify -q HEAD 2>/dev/null); then
		dirty=$(git -C "$tree" status --porcelain --untracked-files=no 2>/dev/null | sha256sum | cut -c1-8)
		echo "$head-$dirty"
	else
		echo "nogit-$(find "$tree" -newer "$tree/Makefile" -name '*.[ch]' 2>/dev/null | wc -l)"
	fi
}

# The required group of the fragment: the lines up to the first blank line
# after the "Required" heading.
kbuild_required() {
	awk '/^# --- Required/{on=1; next} on && /^# ---/{exit} on && /^CONFIG_/{print}' "$1"
}

# kbuild_configure TREE OUTDIR BASE FRAGMENT LOG
kbuild_configure() {
	local tree=$1 out=$2 base=$3 fragment=$4 log=$5
	mkdir -p "$out"
	if [[ -n $base ]]; then
		cp "$base" "$out/.config"
		make -C "$tree" O="$out" olddefconfig >>"$log" 2>&1 || return 1
	else
		make -C "$tree" O="$out" defconfig >>"$log" 2>&1 || return 1
	fi
	kbuild_required "$fragment" >"$out/hugepin-required.config"
	"$tree/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "$fragment" \
		"$out/hugepin-required.config" >>"$log" 2>&1 || return 1
	make -C "$tree" O="$out" olddefconfig >>"$log" 2>&1 || return 1
	kbuild_check_required "$out/.config" "$out/hugepin-required.config" "$log"
}

# Every required option must have survived olddefconfig (a missing dependency
# silently drops it otherwise). A required =y is also met by =m: some options
# have no prompt and are only selected, at the strength of what selects them
# (5.10's DRM_TTM is =m when only modular drivers use it; in 6.1 a built-in
# i915 makes it =y), and the guest loads every module with its dependencies.
kbuild_check_required() {
	local config=$1 required=$2 log=$3 line missing=0
	while read -r line; do
		if [[ $line == *=y ]] && grep -qxF "${line%=y}=m" "$config"; then
			echo "kbuild: required option built as a module: ${line%=y}=m" >>"$log"
		elif ! grep -qxF "$line" "$config"; then
			echo "kbuild: required option not set after olddefconfig: $line" >>"$log"
			missing=1
		fi
	done <"$required"
	return "$missing"
}

# kbuild_build TREE OUTDIR LOG JOBS: bzImage and modules, modules installed
# into OUTDIR/modroot.
kbuild_build() {
	local tree=$1 out=$2 log=$3 jobs=$4
	make -C "$tree" O="$out" -j"$jobs" bzImage modules >>"$log" 2>&1 || return 1
	rm -rf "$out/modroot"
	make -C "$tree" O="$out" INSTALL_MOD_PATH="$out/modroot" INSTALL_MOD_STRIP=1 \
		modules_install >>"$log" 2>&1 || return 1
}

# kbuild_tree TREE CACHE BASE FRAGMENT JOBS: configure and build unless the
# cache already holds this build; prints the build directory on stdout.
kbuild_tree() {
	local tree=$1 cache=$2 base=$3 fragment=$4 jobs=$5 key out log start
	[[ -f $tree/Makefile && -d $tree/arch/x86 ]] ||
		die "not a kernel source tree: $tree (expected Makefile and arch/x86)" 2
	key=$(kbuild_commit_key "$tree")
	out=$cache/kbuild-$(kbuild_dir_key "$tree" "$base" "$fragment")
	log=$out/build.log
	if [[ -f $out/.hugepin-built && $(<"$out/.hugepin-built") == "$key" ]]; then
		echo "kbuild: reusing $out ($key)" >&2
		echo "$out"
		return 0
	fi
	mkdir -p "$out"
	rm -f "$out/.hugepin-built"
	: >"$log"
	start=$SECONDS
	echo "kbuild: configuring $tree into $out (log: $log)" >&2
	if ! kbuild_configure "$tree" "$out" "$base" "$fragment" "$log"; then
		tail -n 15 "$log" >&2
		echo "kbuild: configuration failed, log: $log" >&2
		return 1
	fi
	echo "kbuild: building bzImage and modules with -j$jobs" >&2
	if ! kbuild_build "$tree" "$out" "$log" "$jobs"; then
		tail -n 15 "$log" >&2
		echo "kbuild: build failed, log: $log" >&2
		return 1
	fi
	echo "$((SECONDS - start))" >"$out/build_seconds"
	echo "$key" >"$out/.hugepin-built"
	echo "kbuild: built in $((SECONDS - start)) s" >&2
	echo "$out"
}
