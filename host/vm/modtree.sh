# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # sets variables for run.sh and initramfs.sh
# hugepin VM runner: --module-tree. Builds driver directories of a kernel
# source tree (by default the TTM side of the bug: drivers/gpu/drm/ttm and
# drivers/gpu/drm/vmwgfx) as external modules against the booted kernel's
# headers, and the guest loads them in place of the kernel's own. A driver
# can then be bisected on a distribution kernel, each step building two
# directories instead of a kernel. The directories are built from a copy in
# the cache, so the tree stays clean for git bisect.
# Sourced by run.sh.

readonly HP_MODTREE_DIRS=drivers/gpu/drm/ttm,drivers/gpu/drm/vmwgfx
# What identifies the modules in use (part of the initramfs piece's key).
MODTREE_KEY=''

# Identity of the sources of directories "${@:2}" of tree $1.
modtree_sources_key() {
	local tree=$1 d
	shift
	for d in "$@"; do
		(cd "$tree" && find "$d" -type f \( -name '*.[ch]' -o -name Makefile -o -name Kbuild \) -print0 |
			sort -z | xargs -0 sha256sum)
	done | sha256sum | cut -c1-16
}

# Build directories $2 (comma list) of tree $1 against headers $4 of
# release $3, then set MOD_ROOT to a module tree in the cache that is the
# kernel's own (symbolic links) with the built modules in place of the
# kernel's modules of the same names.
modtree_apply() {
	local tree=$1 rel=$3 kdir=$4 key out d log ko name vm extra='' mods ovl
	local -a dirs args built=()
	IFS=, read -r -a dirs <<<"$2"
	[ -n "$MOD_ROOT" ] || hp_die "--module-tree needs the kernel's modules: a Debian kernel, or --kernel with --modules"
	if [ -z "$kdir" ] || [ ! -e "$kdir/Makefile" ]; then
		hp_die "--module-tree: ${HEADERS_WHY:-no kernel headers for $rel}"
	fi
	for d in "${dirs[@]}"; do
		[ -f "$tree/$d/Makefile" ] || hp_die "--module-tree $tree: no $d/Makefile (see --module-dirs)"
	done
	key=$(printf '%s %s %s\n' "$rel" "$kdir" "$(modtree_sources_key "$tree" "${dirs[@]}")" | sha256sum | cut -c1-16)
	out=$HP_CACHE/modtree/$key
	log=$out/build.log
	if [ ! -e "$out/.done" ]; then
		rm -rf "$out"
		mkdir -p "$out/src"
		hp_progress "building ${dirs[*]} of $tree against the headers of $rel"
		for d in "${dirs[@]}"; do
			mkdir -p "$out/src/$d"
			(cd "$tree/$d" && tar -c --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' .) | tar -x -C "$out/src/$d"
			args=(-C "$kdir" M="$out/src/$d" KBUILD_EXTRA_SYMBOLS="$extra" modules)
			# Debian's headers name their own compiler; headers_fit_host
			# made them fit the host's.
			[ ! -e "$kdir/.kernelvariables" ] || args+=(CC=gcc)
			make -j"$(nproc)" "${args[@]}" >>"$log" 2>&1 ||
				hp_die "--module-tree: $d did not build against the headers of $rel: $(grep -m1 -E 'error:|Error [0-9]+' "$log" | cut -c1-160 || true) (see $log)"
			extra=${extra:+$extra }$out/src/$d/Module.symvers
		done
		mods=$(readlink -f "$MOD_ROOT/lib/modules/$rel")
		ovl=$out/root/lib/modules/$rel
		mkdir -p "$ovl/updates"
		cp -as "$mods/." "$ovl/"
		while IFS= read -r -d '' ko; do
			name=$(basename "$ko")
			vm=$(modinfo -F vermagic "$ko" | cut -d' ' -f1)
			[ "$vm" = "$rel" ] || hp_die "--module-tree: $name was built for $vm, not $rel"
			find "$ovl" -path "$ovl/updates" -prune -o \( -name "$name" -o -name "$name.*" \) -print0 | xargs -0 rm -f
			# Without debug information: a tenth of the size in the initramfs.
			strip --strip-debug -o "$ovl/updates/$name" "$ko"
		done < <(find "$out/src" -name '*.ko' -print0)
		depmod -b "$out/root" "$rel" || hp_die "depmod -b $out/root $rel failed"
		: >"$out/.done"
	fi
	while IFS= read -r ko; do
		built+=("${ko%.ko}")
	done < <(cd "$out/root/lib/modules/$rel/updates" && ls)
	hp_progress "modules ${built[*]} from $tree (${dirs[*]}) in place of those of $rel"
	MOD_ROOT=$out/root
	MODTREE_KEY=$key
}
