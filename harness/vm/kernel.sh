# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # sets variables for run.sh
# hugepin VM runner: the kernel under test. Reads the release out of a
# bzImage's x86 boot protocol header, fetches and unpacks Debian kernel
# packages into the cache, prepares the module tree modprobe resolves
# against, and builds the reference module for that release.
# Sourced by run.sh.

# Little-endian unsigned integer of $3 bytes at offset $2 of file $1.
le_uint() {
	od -An -v -t u1 -j "$2" -N "$3" "$1" |
		awk '{ for (i = 1; i <= NF; i++) b[n++] = $i }
		     END { v = 0; for (i = n - 1; i >= 0; i--) v = v * 256 + b[i]; print v }'
}

# Print the release ("6.1.0-56-amd64") of bzImage $1. The setup header
# (boot protocol >= 2.00, magic "HdrS" at 0x202) holds at 0x20E a pointer,
# minus 0x200, to the version string; setup_sects (0x1F1) and syssize
# (0x1F4, 16-byte units) give the size the image must at least have.
kernel_release() {
	local img=$1 size magic sects syssize need ptr rel
	if [ ! -f "$img" ] || [ ! -r "$img" ]; then
		hp_die "kernel $img: not a readable file"
	fi
	size=$(stat -c %s "$img")
	[ "$size" -ge 1024 ] || hp_die "kernel $img: truncated ($size bytes): not a bzImage"
	magic=$(dd if="$img" bs=1 skip=$((0x202)) count=4 2>/dev/null)
	[ "$magic" = HdrS ] || hp_die "kernel $img: no x86 boot header (HdrS): pass a bzImage (arch/x86/boot/bzImage or /boot/vmlinuz-*)"
	sects=$(le_uint "$img" $((0x1F1)) 1)
	[ "$sects" -eq 0 ] && sects=4
	syssize=$(le_uint "$img" $((0x1F4)) 4)
	need=$(( (sects + 1) * 512 + syssize * 16 ))
	[ "$size" -ge "$need" ] || hp_die "kernel $img: truncated ($size of $need bytes): copy it again"
	ptr=$(( $(le_uint "$img" $((0x20E)) 2) + 0x200 ))
	[ "$ptr" -lt "$size" ] || hp_die "kernel $img: version pointer out of range: not a bzImage"
	rel=$(dd if="$img" bs=1 skip="$ptr" count=256 2>/dev/null | tr '\0' '\n' | head -n1 | cut -d' ' -f1)
	case $rel in
	[0-9]*.[0-9]*) printf '%s\n' "$rel" ;;
	*) hp_die "kernel $img: no version string in the setup header" ;;
	esac
}

# Output of apt-cache "$@", memoized under the cache until apt's package
# lists change (apt-get update renames new lists into /var/lib/apt/lists):
# each apt-cache call costs about half a second, most of a cached run's
# host time.
apt_cache_memo() {
	local stamp key f
	stamp=$(stat -c %Y /var/lib/apt/lists 2>/dev/null) || { apt-cache "$@"; return; }
	key=$(printf '%s %s\n' "$stamp" "$*" | sha256sum | cut -c1-16)
	f=$HP_CACHE/apt/$key
	if [ ! -s "$f" ]; then
		mkdir -p "$HP_CACHE/apt"
		apt-cache "$@" >"$f.tmp" 2>/dev/null || { rm -f "$f.tmp"; return 1; }
		mv "$f.tmp" "$f"
	fi
	cat "$f"
}

# The kernel image package Debian's linux-image-amd64 currently depends on.
kernel_debian_default_pkg() {
	local pkg
	pkg=$(apt_cache_memo depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	if [ -z "$pkg" ]; then
		apt-get update -q >&2 || true
		pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	fi
	[ -n "$pkg" ] || hp_die "cannot tell which kernel linux-image-amd64 depends on: run apt-get update, or pass --kernel/--kernel-deb"
	printf '%s\n' "$pkg"
}

# Path of a .deb for spec $1 (FILE.deb, or NAME[=VERSION] fetched with
# apt-get download into $HP_CACHE/debs, reused when already there).
kernel_fetch_deb() {
	local spec=$1 name ver dir deb pattern
	case $spec in
	*.deb)
		[ -r "$spec" ] || hp_die "--kernel-deb $spec: no such file"
		readlink -f "$spec"
		return
		;;
	esac
	name=${spec%%=*}
	ver=
	[ "$name" != "$spec" ] && ver=${spec#*=}
	[ -n "$ver" ] || ver=$(apt_cache_memo policy "$name" | awk '/Candidate:/ { print $2 }')
	if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
		hp_die "package $name: no candidate version (apt-get update, or check the name)"
	fi
	dir=$HP_CACHE/debs
	mkdir -p "$dir"
	# apt-get download names files NAME_VERSION_ARCH.deb with ':' as %3a.
	pattern="${name}_${ver//:/%3a}_*.deb"
	deb=$(find "$dir" -maxdepth 1 -name "$pattern" | head -n1)
	if [ -z "$deb" ]; then
		hp_progress "downloading $name=$ver"
		(cd "$dir" && apt-get download -q "$name=$ver" >&2) || hp_die "apt-get download $name=$ver failed"
		deb=$(find "$dir" -maxdepth 1 -name "$pattern" | head -n1)
	fi
	[ -n "$deb" ] || hp_die "apt-get download $name=$ver left no .deb in $dir"
	printf '%s\n' "$deb"
}

# Unpack kernel .deb $1 once into the cache; sets KERNEL_IMAGE and MODULES_DIR.
kernel_from_deb() {
	local deb=$1 root img
	root=$HP_CACHE/kernels/$(basename "$deb" .deb)
	if [ ! -e "$root/.unpacked" ]; then
		hp_progress "unpacking $(basename "$deb")"
		rm -rf "$root"
		mkdir -p "$root"
		dpkg-deb -x "$deb" "$root" || hp_die "dpkg-deb -x $deb failed: not a kernel package?"
		touch "$root/.unpacked"
	fi
	img=$(find "$root/boot" -maxdepth 1 -name 'vmlinuz-*' 2>/dev/null | head -n1)
	[ -n "$img" ] || hp_die "$(basename "$deb") holds no boot/vmlinuz-*: pass a linux-image package"
	KERNEL_IMAGE=$img
	MODULES_DIR=$root/lib/modules/$(basename "$img" | sed 's/^vmlinuz-//')
	[ -d "$MODULES_DIR" ] || MODULES_DIR=
}

# Set MOD_ROOT to a directory R with R/lib/modules/$2 = module tree $1 (what
# modprobe -d wants), running depmod when the tree has no index yet.
kernel_modroot() {
	local dir=$1 rel=$2
	MOD_ROOT=
	[ -n "$dir" ] || return 0
	[ -d "$dir" ] || hp_die "--modules $dir: not a directory"
	dir=$(readlink -f "$dir")
	if [ "$(basename "$dir")" = "$rel" ] && [ "$(basename "$(dirname "$dir")")" = modules ]; then
		MOD_ROOT=$(dirname "$(dirname "$(dirname "$dir")")")
	else
		[ -d "$dir/kernel" ] || hp_die "--modules $dir: no kernel/ subdirectory: pass lib/modules/$rel"
		MOD_ROOT=$HP_CACHE/modroot/$rel
		mkdir -p "$MOD_ROOT/lib/modules"
		ln -sfn "$dir" "$MOD_ROOT/lib/modules/$rel"
	fi
	if [ ! -s "$MOD_ROOT/lib/modules/$rel/modules.dep" ] ||
		[ "$MOD_ROOT/lib/modules/$rel/modules.order" -nt "$MOD_ROOT/lib/modules/$rel/modules.dep" ]; then
		depmod -b "$MOD_ROOT" "$rel" || hp_die "depmod -b $MOD_ROOT $rel failed"
	fi
}

# Build the reference module for release $1 with headers $2 into the cache.
# Sets REF_KO, or REF_KO= and REF_WHY (the cases then report UNTESTABLE).
module_build() {
	local rel=$1 kdir=$2 out log
	REF_KO=
	REF_WHY=
	out=$HP_CACHE/module/$rel
	log=$out/build.log
	if [ -z "$kdir" ] || [ ! -e "$kdir/Makefile" ]; then
		REF_WHY="no kernel headers for $rel (apt-get install linux-headers-$rel, or --modules with a build link)"
		return 0
	fi
	mkdir -p "$out"
	if [ -f "$out/hugepin_ref.ko" ] && [ -z "$(find "$HP_TOP/drm_repro/module" -newer "$out/hugepin_ref.ko" -type f)" ]; then
		REF_KO=$out/hugepin_ref.ko
		return 0
	fi
	if ! make -s -C "$HP_TOP" module KDIR="$kdir" >"$log" 2>&1; then
		REF_WHY="reference module did not build against $kdir (see $log)"
		return 0
	fi
	if [ ! -f "$HP_TOP/build/module/hugepin_ref.ko" ]; then
		REF_WHY="make module left no build/module/hugepin_ref.ko"
		return 0
	fi
	cp "$HP_TOP/build/module/hugepin_ref.ko" "$out/hugepin_ref.ko"
	if [ -f "$HP_TOP/build/module/hugepin_vmwshim.ko" ]; then
		cp "$HP_TOP/build/module/hugepin_vmwshim.ko" "$out/hugepin_vmwshim.ko"
	fi
	if [ "$(modinfo -F vermagic "$out/hugepin_ref.ko" | cut -d' ' -f1)" != "$rel" ]; then
		REF_WHY="reference module built for $(modinfo -F vermagic "$out/hugepin_ref.ko" | cut -d' ' -f1), not $rel"
		return 0
	fi
	REF_KO=$out/hugepin_ref.ko
}

# Headers to build modules for release $1: the module tree's build link, else
# Debian's linux-headers-$1 (installed on demand when root on Debian).
kernel_headers_for() {
	local rel=$1
	if [ -n "${MOD_ROOT:-}" ] && [ -e "$MOD_ROOT/lib/modules/$rel/build/Makefile" ]; then
		readlink -f "$MOD_ROOT/lib/modules/$rel/build"
		return
	fi
	if [ ! -e "/usr/src/linux-headers-$rel/Makefile" ] && [ "$(id -u)" = 0 ] &&
		apt-cache show "linux-headers-$rel" >/dev/null 2>&1; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q "linux-headers-$rel" >&2 || true
	fi
	[ -e "/usr/src/linux-headers-$rel/Makefile" ] && printf '%s\n' "/usr/src/linux-headers-$rel"
	return 0
}

# The uncompressed vmlinux inside bzImage $1, when the kernel has a PVH entry
# (CONFIG_PVH): QEMU then boots the ELF directly, skipping the firmware's
# real-mode loader and the decompressor, which under TCG saves about 2.5 s
# of every boot (measured on Debian's 6.1: 4.9-5.3 s to init with the
# bzImage, 2.1-2.5 s with its vmlinux). Cached per image; prints the path to
# boot, the bzImage itself when there is no PVH entry or no decompressor.
kernel_boot_image() {
	local img=$1 key out fmt magic tool pos
	key=$(hp_files_key "$img")
	out=$HP_CACHE/vmlinux/$key
	if [ -s "$out.elf" ]; then
		printf '%s\n' "$out.elf"
		return 0
	fi
	if [ -e "$out.none" ]; then
		printf '%s\n' "$img"
		return 0
	fi
	mkdir -p "$HP_CACHE/vmlinux"
	for fmt in 'xz:\xfd7zXZ\x00:xz -dc --single-stream' 'zstd:\x28\xb5\x2f\xfd:zstd -qdc' \
		'gzip:\x1f\x8b\x08:gzip -dc' 'lz4:\x02\x21\x4c\x18:lz4 -qdc' 'bzip2:BZh:bzip2 -dc'; do
		IFS=: read -r _ magic tool <<<"$fmt"
		command -v "${tool%% *}" >/dev/null || continue
		pos=$(LC_ALL=C grep -aboP -m1 "$magic" "$img" 2>/dev/null | head -n1 | cut -d: -f1) || true
		[ -n "$pos" ] || continue
		# Trailing bytes after the stream make some decompressors complain: the
		# ELF check below decides.
		tail -c "+$((pos + 1))" "$img" | $tool >"$out.tmp" 2>/dev/null || true
		if [ "$(head -c 4 "$out.tmp" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 7f454c46 ] &&
			readelf -n "$out.tmp" 2>/dev/null | grep -qE 'note type: \(0x00000012\)|PHYS32_ENTRY'; then
			mv "$out.tmp" "$out.elf"
			printf '%s\n' "$out.elf"
			return 0
		fi
	done
	rm -f "$out.tmp"
	: >"$out.none"
	printf '%s\n' "$img"
}
