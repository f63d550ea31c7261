# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# hugepin VM runner: the guest's initramfs, as concatenated cpio archives
# (the kernel unpacks each in turn), so each piece is cached on its own:
#   base     busybox-static and the init script
#   modules  per kernel release: the module closure modprobe resolves for
#            the QEMU devices' modaliases (virtio, the GPUs) and for vgem,
#            null_blk and ext4 by name
#   suite    the static test programs and the reference module
# A piece is rebuilt only when the key of its inputs changes.
# Sourced by run.sh.

# Write directory $1 as a newc cpio archive $2, all files owned by root.
# Uncompressed: under TCG the guest's gunzip costs more boot time (measured
# about 0.4 s of 6) than QEMU spends loading the larger file.
cpio_pack() {
	(cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$2.tmp.$$"
	mv "$2.tmp.$$" "$2"
}

# Print the path of a cached piece named $1 whose inputs hash to $2, or
# nothing (return 1) when it must be built.
piece_cached() {
	local f=$HP_CACHE/initramfs/$1.cpio
	if [ -f "$f" ] && [ "$(cat "$f.key" 2>/dev/null)" = "$2" ]; then
		printf '%s\n' "$f"
		return 0
	fi
	return 1
}

piece_store() {
	local name=$1 key=$2 stage=$3 f=$HP_CACHE/initramfs/$1.cpio
	mkdir -p "$HP_CACHE/initramfs"
	cpio_pack "$stage" "$f"
	printf '%s\n' "$key" >"$f.key"
	rm -rf "$stage"
	printf '%s\n' "$f"
	hp_progress "initramfs: rebuilt $name ($(du -h "$f" | cut -f1))"
}

# The name of cached piece $1 for the guest architecture: pieces of other
# architectures' guests are kept beside the host's.
piece_name() {
	if [ "${HP_ARCH:-x86_64}" = x86_64 ]; then
		printf '%s\n' "$1"
	else
		printf '%s-%s\n' "$1" "$HP_ARCH"
	fi
}

initramfs_base() {
	local bb key stage name
	name=$(piece_name base)
	bb=$(userland_busybox)
	[ -n "$bb" ] || hp_die "busybox not found: apt-get install busybox-static"
	file -L "$bb" 2>/dev/null | grep -q 'dynamically linked' &&
		hp_die "$bb is dynamically linked: apt-get install busybox-static"
	key=$(hp_files_key "$bb" "$HP_TOP/host/vm/init.sh" "$HP_TOP/host/vm/protocol.sh")
	piece_cached "$name" "$key" && return 0
	stage=$(mktemp -d "$HP_CACHE/stage.$$.XXXXXX")
	mkdir -p "$stage"/{bin,sbin,dev,proc,sys,tmp,lib/modules/hugepin,lib/hugepin}
	cp "$bb" "$stage/bin/busybox"
	install -m 0755 "$HP_TOP/host/vm/init.sh" "$stage/init"
	install -D -m 0644 "$HP_TOP/host/vm/protocol.sh" "$stage/etc/hugepin/protocol.sh"
	piece_store "$name" "$key" "$stage"
}

# Module closure of the guest modules named in $3.. for release $1 in module
# root $2 (empty: a kernel with everything built in). A module that drives a
# QEMU device is found by that device's modaliases in the kernel's
# modules.alias, whatever it is called in that release; the others by name.
# Each gets lib/modules/hugepin/NAME.order listing the .ko files to insmod,
# dependencies first, empty when built in; a module the kernel lacks gets
# none, and init.sh reports it.
initramfs_modules() {
	local rel=$1 root=$2 key stage m
	shift 2
	key=$(
		printf '%s %s %s\n' "$rel" "$*" "${MODTREE_KEY:-}"
		for m in "$@"; do qemu_device_modaliases "$m"; done
		if [ -n "$root" ]; then sha256sum <"$root/lib/modules/$rel/modules.dep"; else echo builtin; fi
	)
	key=$(sha256sum <<<"$key" | cut -d' ' -f1)
	piece_cached "modules-$rel" "$key" && return 0
	stage=$(mktemp -d "$HP_CACHE/stage.$$.XXXXXX")
	mkdir -p "$stage/lib/modules/hugepin"
	for m in "$@"; do
		if [ -z "$root" ]; then
			: >"$stage/lib/modules/hugepin/$m.order"
		elif module_resolve "$rel" "$root" "$m" >"$stage/deps"; then
			module_stage "$rel" "$root" "$stage" "$m" <"$stage/deps"
		fi
	done
	rm -f "$stage/deps"
	piece_store "modules-$rel" "$key" "$stage"
}

# modprobe's "insmod PATH" and "builtin NAME" lines for guest module $3 of
# release $1 in module root $2: every modalias of its device must resolve (a
# virtio device needs its transport and its driver) or be served by a
# built-in driver, else the module is not in this kernel.
module_resolve() {
	local rel=$1 root=$2 m=$3 alias names n ok
	local -a lines
	# The host's modprobe.d does not apply to the guest.
	local -a mp=(modprobe -C /dev/null -d "$root" -S "$rel" --show-depends)
	mapfile -t lines < <(qemu_device_modaliases "$m")
	if [ ${#lines[@]} -eq 0 ]; then
		"${mp[@]}" "$m" 2>/dev/null && return 0
		hp_progress "module $m: not in $rel, its cases report UNTESTABLE"
		return 1
	fi
	for alias in "${lines[@]}"; do
		read -r alias names <<<"$alias"
		"${mp[@]}" "$alias" 2>/dev/null && continue
		ok=0
		for n in $names; do
			[[ $("${mp[@]}" "$n" 2>/dev/null || true) != builtin* ]] || ok=1
		done
		[ "$ok" = 1 ] && continue
		hp_progress "module $m: no driver in $rel for $alias, its cases report UNTESTABLE"
		return 1
	done
}

# Copy the modules of modprobe's lines on stdin into the initramfs at $3,
# uncompressed, and list them in lib/modules/hugepin/$4.order once each.
module_stage() {
	local rel=$1 root=$2 stage=$3 m=$4 verb path dest order
	order=$stage/lib/modules/hugepin/$m.order
	: >"$order"
	while read -r verb path _; do
		[ "$verb" = insmod ] || continue
		dest=/lib/modules/$rel/${path#"$root/lib/modules/$rel/"}
		dest=${dest%.xz}
		dest=${dest%.zst}
		dest=${dest%.gz}
		! grep -qxF "$dest" "$order" || continue
		if [ ! -f "$stage$dest" ]; then
			mkdir -p "$stage$(dirname "$dest")"
			case $path in
			*.ko.xz) xz -dc "$path" >"$stage$dest" ;;
			*.ko.zst) zstd -qdc "$path" >"$stage$dest" ;;
			*.ko.gz) gzip -dc "$path" >"$stage$dest" ;;
			*) cp "$path" "$stage$dest" ;;
			esac
		fi
		printf '%s\n' "$dest" >>"$order"
	done
}

# The static suite programs $2.. plus our modules: the reference module $1
# and, next to it when they were built, the vmwgfx shim and the page-table
# walker (any may be absent).
initramfs_suite() {
	local ko=$1 key stage m
	local -a kos=()
	shift
	[ $# -gt 0 ] || hp_die "no suite programs built: run make STATIC=1"
	if [ -n "$ko" ]; then
		kos=("$ko")
		for m in hugepin_vmwshim hugepin_walk; do
			[ -f "$(dirname "$ko")/$m.ko" ] && kos+=("$(dirname "$ko")/$m.ko")
		done
	fi
	key=$(hp_files_key "$@" "${kos[@]}")
	piece_cached "$(piece_name suite)" "$key" && return 0
	stage=$(mktemp -d "$HP_CACHE/stage.$$.XXXXXX")
	mkdir -p "$stage/bin/hugepin" "$stage/lib/hugepin"
	cp "$@" "$stage/bin/hugepin/"
	[ ${#kos[@]} -eq 0 ] || cp "${kos[@]}" "$stage/lib/hugepin/"
	piece_store "$(piece_name suite)" "$key" "$stage"
}

# stress-ng and the shared libraries it loads, for gup_stress's background
# pressure in the guest (Debian's stress-ng is dynamically linked). Prints
# nothing when the host has no stress-ng, or the guest is another
# architecture (the host's binary cannot run there; the stress tools say
# stress-ng is missing and run without it).
initramfs_stressng() {
	local sng key stage lib
	if [ -n "$HP_CROSS" ]; then
		hp_progress "stress-ng: not in the $HP_ARCH guest (the host's build is $(hp_arch_host)): gup_stress and drm_repro run without background pressure"
		return 0
	fi
	sng=$(command -v stress-ng) || return 0
	key=$(hp_files_key "$sng")
	piece_cached stressng "$key" && return 0
	stage=$(mktemp -d "$HP_CACHE/stage.$$.XXXXXX")
	mkdir -p "$stage/usr/bin"
	cp "$sng" "$stage/usr/bin/stress-ng"
	# ldd prints "name => /path (addr)" and the loader as "/path (addr)".
	for lib in $(ldd "$sng" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		mkdir -p "$stage$(dirname "$lib")"
		cp -L "$lib" "$stage$lib"
	done
	piece_store stressng "$key" "$stage"
}

# Initrd $1 plus a piece holding the skip list $2 (etc/hugepin/skip, which
# init.sh hands to the programs as HUGEPIN_SKIP), written to $3.
initramfs_with_skip() {
	local stage
	stage=$(mktemp -d "$HP_CACHE/stage.$$.XXXXXX")
	mkdir -p "$stage/etc/hugepin"
	cp "$2" "$stage/etc/hugepin/skip"
	cpio_pack "$stage" "$stage.cpio"
	cat "$1" "$stage.cpio" >"$3"
	rm -rf "$stage" "$stage.cpio"
}

# Concatenate the pieces into initrd $1.
initramfs_assemble() {
	local out=$1
	shift
	cat "$@" >"$out"
}
