# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # sets variables for run.sh
# hugepin VM runner: the kernel under test. Reads the release out of a
# bzImage's x86 boot protocol header, fetches Debian kernel packages of any
# suite and unpacks them into the cache, prepares the module tree modprobe
# resolves against, and builds our modules for that release.
# Sourced by run.sh.

# shellcheck source=host/vm/debian.sh
. "$HP_TOP/host/vm/debian.sh"
# shellcheck source=host/vm/headers.sh
. "$HP_TOP/host/vm/headers.sh"

# Little-endian unsigned integer of $3 bytes at offset $2 of file $1.
le_uint() {
	od -An -v -t u1 -j "$2" -N "$3" "$1" |
		awk '{ for (i = 1; i <= NF; i++) b[n++] = $i }
		     END { v = 0; for (i = n - 1; i >= 0; i--) v = v * 256 + b[i]; print v }'
}

# Print the release of kernel image $1 for the guest architecture: a
# bzImage's from its setup header, an arm64 or riscv Image's (gzip- or
# EFI-zboot-compressed ones unpacked first) from its version banner.
kernel_release() {
	case $HP_ARCH in
	x86_64) kernel_release_bzimage "$1" ;;
	*) kernel_release_image "$1" ;;
	esac
}

# The magic of the arm64 and riscv Image headers, at offset 0x38 of both.
kernel_image_magic() {
	case $HP_ARCH in
	arm64) printf 'ARMd\n' ;;
	riscv64) printf 'RSC\005\n' ;;
	esac
}

# The uncompressed Image of kernel $1, cached by content: $1 itself when it
# is one; a gzip stream or an EFI zboot image ("zimg" at offset 4, payload
# offset and size at 8 and 12, the compression's name at 24) is unpacked.
# Prints nothing when $1 is none of these.
kernel_plain_image() {
	local img=$1 magic key out kind off len tool
	magic=$(kernel_image_magic)
	if [ "$(dd if="$img" bs=1 skip=$((0x38)) count=4 2>/dev/null)" = "$magic" ]; then
		printf '%s\n' "$img"
		return 0
	fi
	key=$(hp_files_key "$img")
	out=$HP_CACHE/vmlinux/$key.Image
	if [ ! -s "$out" ]; then
		mkdir -p "$HP_CACHE/vmlinux"
		kind=$(od -An -v -tx1 -N 8 "$img" | tr -d ' \n')
		case $kind in
		1f8b08*) gzip -dc <"$img" >"$out.tmp.$$" 2>/dev/null || true ;;
		4d5a0000*)
			[ "$(dd if="$img" bs=1 skip=4 count=4 2>/dev/null)" = zimg ] || return 0
			off=$(le_uint "$img" 8 4)
			len=$(le_uint "$img" 12 4)
			case $(dd if="$img" bs=1 skip=24 count=8 2>/dev/null | tr -d '\0') in
			gzip) tool='gzip -dc' ;;
			zstd | zstd22) tool='zstd -qdc' ;;
			xz) tool='xz -dc' ;;
			lzma) tool='xz -dc --format=lzma' ;;
			*) return 0 ;;
			esac
			tail -c "+$((off + 1))" "$img" | head -c "$len" | $tool >"$out.tmp.$$" 2>/dev/null || true
			;;
		esac
		if [ ! -s "$out.tmp.$$" ] || [ "$(dd if="$out.tmp.$$" bs=1 skip=$((0x38)) count=4 2>/dev/null)" != "$magic" ]; then
			rm -f "$out.tmp.$$"
			return 0
		fi
		mv "$out.tmp.$$" "$out"
	fi
	printf '%s\n' "$out"
}

kernel_release_image() {
	local img=$1 plain rel
	if [ ! -f "$img" ] || [ ! -r "$img" ]; then
		hp_die "kernel $img: not a readable file"
	fi
	plain=$(kernel_plain_image "$img")
	[ -n "$plain" ] || hp_die "kernel $img: no $HP_ARCH Image header (magic $(kernel_image_magic | od -An -c | tr -d ' \n' | sed 's/\\n$//') at 0x38), plain, gzip or EFI zboot: pass arch/$HP_KARCH/boot/Image or a Debian vmlinuz of that architecture"
	rel=$(LC_ALL=C grep -a -o -m1 'Linux version [0-9][^ ]*' "$plain" | head -n1 | cut -d' ' -f3)
	[ -n "$rel" ] || hp_die "kernel $img: no 'Linux version' banner in the Image: not a kernel, or truncated"
	printf '%s\n' "$rel"
}

# Print the release ("6.1.0-56-amd64") of bzImage $1. The setup header
# (boot protocol >= 2.00, magic "HdrS" at 0x202) holds at 0x20E a pointer,
# minus 0x200, to the version string; setup_sects (0x1F1) and syssize
# (0x1F4, 16-byte units) give the size the image must at least have.
kernel_release_bzimage() {
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

# The default kernel: the current one of the host's Debian release when the
# private sources carry it, else bookworm's.
kernel_default_spec() {
	local codename=
	# bookworm has no riscv64 port: trixie is the first release with one.
	if [ "$HP_ARCH" = riscv64 ]; then
		printf 'debian:trixie\n'
		return 0
	fi
	[ -r /etc/os-release ] && codename=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release | tr -d '"')
	[[ -n $codename && " $HP_DEBIAN_SUITES " == *" $codename "* ]] || codename=bookworm
	printf 'debian:%s\n' "$codename"
}

# --kernel-deb SPEC: FILE.deb, debian:SUITE (that suite's current kernel) or
# NAME[=VERSION] from any suite. Sets DEB_NAME and DEB_VERSION, and DEB_FILE
# for a FILE.deb (empty otherwise).
kernel_spec_package() {
	local spec=$1
	DEB_FILE=
	case $spec in
	*.deb)
		[ -r "$spec" ] || hp_die "--kernel-deb $spec: no such file"
		DEB_FILE=$(readlink -f "$spec")
		DEB_NAME=$(dpkg-deb -f "$DEB_FILE" Package 2>/dev/null) || hp_die "--kernel-deb $spec: not a Debian package"
		DEB_VERSION=$(dpkg-deb -f "$DEB_FILE" Version)
		;;
	debian:*) debian_suite_kernel "${spec#debian:}" ;;
	*) debian_package "$spec" ;;
	esac
}

# Unpack the kernel of --kernel-deb SPEC $1 into the cache and set
# KERNEL_IMAGE, MODULES_DIR and KERNEL_DEB_VERSION (for the headers).
kernel_from_spec() {
	kernel_spec_package "$1"
	kernel_from_debs "$DEB_NAME" "$DEB_VERSION" "$DEB_FILE"
}

# The vmlinuz under unpacked packages $1: boot/vmlinuz-REL up to 6.x,
# usr/lib/modules/REL/vmlinuz from 7.x; trixie's riscv64 names its Image
# boot/vmlinux-REL.
kernel_find_image() {
	local f
	for f in "$1"/boot/vmlinuz-* "$1"/boot/vmlinux-* "$1"/usr/lib/modules/*/vmlinuz "$1"/lib/modules/*/vmlinuz; do
		[ -f "$f" ] || continue
		printf '%s\n' "$f"
		return 0
	done
}

kernel_image_release() {
	case $1 in
	*/vmlinuz) basename "$(dirname "$1")" ;;
	*) basename "$1" | sed 's/^vmlinu[xz]-//' ;;
	esac
}

# Index the modules of the tree unpacked in $1 before it is renamed into place.
kernel_prepare_tree() {
	local tmp=$1 img rel base
	img=$(kernel_find_image "$tmp")
	if [ -z "$img" ]; then
		DEBIAN_ERR="no boot/vmlinuz-* or usr/lib/modules/*/vmlinuz in it: not a kernel image package"
		return 1
	fi
	rel=$(kernel_image_release "$img")
	for base in "$tmp" "$tmp/usr"; do
		[ -d "$base/lib/modules/$rel/kernel" ] || continue
		depmod -b "$base" "$rel" || { DEBIAN_ERR="depmod -b $base $rel failed"; return 1; }
	done
}

# The packages of the same build that kernel package $2 (.deb $1) is split
# into, as "NAME VERSION": from 7.x linux-image-REL is a meta package over
# linux-binary-REL (vmlinuz), linux-modules-REL and linux-base-REL
# (modules.builtin and the like).
kernel_split_parts() {
	debian_deb_depends "$1" | kernel_parts "$2"
}

# The parts of kernel package $1 among the "NAME [VERSION]" Depends lines on
# stdin (debian_parse_depends's).
kernel_parts() {
	local name=$1
	awk '$1 ~ /^linux-(binary|modules|base)-/'
	case $name in
	linux-binary-*) printf '%s\n' "linux-modules-${name#linux-binary-}" "linux-base-${name#linux-binary-}" ;;
	esac
}

# Unpack kernel package $1 version $2 (.deb $3 when given, else fetched) and
# its split parts once into the cache; sets KERNEL_IMAGE, MODULES_DIR and
# KERNEL_DEB_VERSION.
kernel_from_debs() {
	local name=$1 ver=$2 deb=$3 root dep dver rel
	local -a debs=() fetched=()
	root=$HP_CACHE/kernels/${name}_${ver//:/%3a}
	if [ ! -e "$root/.unpacked" ]; then
		if [ -z "$deb" ]; then
			debian_fetch "$name" "$ver" || hp_die "$DEBIAN_ERR"
			deb=$DEBIAN_DEB
			fetched+=("$deb")
		fi
		debs=("$deb")
		while read -r dep dver; do
			debian_fetch "$dep" "${dver:-$ver}" || hp_die "$DEBIAN_ERR"
			debs+=("$DEBIAN_DEB")
			fetched+=("$DEBIAN_DEB")
		done < <(kernel_split_parts "$deb" "$name")
		hp_progress "unpacking $name $ver"
		debian_unpack_into "$root" kernel_prepare_tree "${debs[@]}" || hp_die "$name $ver: $DEBIAN_ERR"
		# The unpacked tree is what later runs use.
		rm -f "${fetched[@]}"
	fi
	KERNEL_IMAGE=$(kernel_find_image "$root")
	[ -n "$KERNEL_IMAGE" ] || hp_die "$name $ver holds no vmlinuz: pass a linux-image package"
	rel=$(kernel_image_release "$KERNEL_IMAGE")
	MODULES_DIR=
	for dep in "$root/lib/modules/$rel" "$root/usr/lib/modules/$rel"; do
		[ -d "$dep/kernel" ] && MODULES_DIR=$dep
	done
	KERNEL_DEB_VERSION=$ver
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

# Build our modules for release $1 against headers $2: every .ko `make
# module` leaves goes to $HP_CACHE/module/$1/KEY, which MODULE_KO_DIR names;
# KEY is the content of module/'s sources, so checkouts that share a cache
# (HUGEPIN_CACHE) and hold different module sources never take each
# other's build.
# Sets REF_KO to the reference module there, or REF_KO= and REF_WHY (its
# cases then report UNTESTABLE).
module_build() {
	local lockfd
	# Two runs for one release share its module directory: one builds at a
	# time. Not in a condition, so set -e still stops the run at a failure.
	mkdir -p "$HP_CACHE/module"
	exec {lockfd}>"$HP_CACHE/module/$1.lock"
	flock "$lockfd"
	module_build_locked "$@"
	exec {lockfd}>&-
}

# The names and contents of the sources under module/, as one short key.
module_sources_key() {
	(cd "$HP_TOP/module" && find . -type f \( -name '*.[ch]' -o -name Kbuild -o -name Makefile \) -print0 |
		LC_ALL=C sort -z | xargs -0 sha256sum) |
		sha256sum | cut -c1-16
}

module_build_locked() {
	local rel=$1 kdir=$2 out b log ko vm
	local -a args
	REF_KO='' REF_WHY='' MODULE_KO_DIR=''
	out=$HP_CACHE/module/$rel/$(module_sources_key)
	log=$out/build.log
	if [ -z "$kdir" ] || [ ! -e "$kdir/Makefile" ]; then
		REF_WHY=${HEADERS_WHY:-no kernel headers for $rel}
		return 0
	fi
	mkdir -p "$out"
	if [ -f "$out/hugepin_ref.ko" ] && [ "$(cat "$out/kdir" 2>/dev/null)" = "$kdir" ]; then
		REF_KO=$out/hugepin_ref.ko
		MODULE_KO_DIR=$out
		return 0
	fi
	b=$out/build
	args=(module KDIR="$kdir" OUT="$b")
	# Another architecture's kernel: Debian's cross compiler (gcc-ARCH-linux-gnu).
	[ -z "$HP_CROSS" ] || args+=(GUEST_ARCH="$HP_ARCH")
	# Debian's headers name the compiler their kernel was built with (gcc-10
	# for 5.10, gcc-16 for 7.x); headers_fit_host made them fit the host's.
	[ ! -e "$kdir/.kernelvariables" ] || args+=(CC="${HP_CROSS}gcc")
	rm -rf "$b/module"
	if ! make -s -C "$HP_TOP" "${args[@]}" >"$log" 2>&1; then
		REF_WHY="reference module did not build against $kdir: $(grep -m1 -E 'error:|Error [0-9]+' "$log" | cut -c1-200 || true) (see $log)"
		return 0
	fi
	rm -f "$out"/*.ko
	for ko in "$b"/module/*.ko; do
		[ -f "$ko" ] && cp "$ko" "$out/"
	done
	if [ ! -f "$out/hugepin_ref.ko" ]; then
		REF_WHY="make module left no hugepin_ref.ko in $b/module"
		return 0
	fi
	vm=$(modinfo -F vermagic "$out/hugepin_ref.ko" | cut -d' ' -f1)
	if [ "$vm" != "$rel" ]; then
		REF_WHY="reference module built for $vm, not $rel"
		return 0
	fi
	printf '%s\n' "$kdir" >"$out/kdir"
	REF_KO=$out/hugepin_ref.ko
	MODULE_KO_DIR=$out
}

# Headers to build modules for release $1, in KERNEL_HEADERS, or none and
# the reason in HEADERS_WHY: the module tree's build link (a kernel tree, or
# the host's own Debian kernel), the host's /usr/src/linux-headers-$1, else
# the Debian headers of the Debian kernel under test, unpacked into the
# cache. Nothing is ever installed.
kernel_headers_for() {
	local rel=$1 link
	KERNEL_HEADERS='' HEADERS_WHY=''
	link=${MOD_ROOT:+$MOD_ROOT/lib/modules/$rel/build}
	if [ -n "$link" ] && [ -e "$link/Makefile" ]; then
		KERNEL_HEADERS=$(readlink -f "$link")
	elif [ -e "/usr/src/linux-headers-$rel/Makefile" ]; then
		KERNEL_HEADERS=/usr/src/linux-headers-$rel
	elif [ -n "${KERNEL_DEB_VERSION:-}" ]; then
		headers_from_debian "$rel" "$KERNEL_DEB_VERSION"
	else
		HEADERS_WHY="no kernel headers for $rel (--modules with a build link, or a Debian kernel, brings them)"
	fi
}

# The uncompressed vmlinux inside bzImage $1, when the kernel has a PVH entry
# (CONFIG_PVH): QEMU then boots the ELF directly, skipping the firmware's
# real-mode loader and the decompressor, which under TCG saves about 2.5 s
# of every boot (measured on Debian's 6.1: 4.9-5.3 s to init with the
# bzImage, 2.1-2.5 s with its vmlinux). Cached per image; prints the path to
# boot, the bzImage itself when there is no PVH entry or no decompressor.
kernel_boot_image() {
	local img=$1 key out fmt magic tool pos
	# QEMU's virt machines load a plain Image fastest (and 7.2 knows no zboot).
	if [ "$HP_ARCH" != x86_64 ]; then
		kernel_plain_image "$img"
		return 0
	fi
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
		tail -c "+$((pos + 1))" "$img" | $tool >"$out.tmp.$$" 2>/dev/null || true
		if [ "$(head -c 4 "$out.tmp.$$" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 7f454c46 ] &&
			readelf -n "$out.tmp.$$" 2>/dev/null | grep -qE 'note type: \(0x00000012\)|PHYS32_ENTRY'; then
			mv "$out.tmp.$$" "$out.elf"
			printf '%s\n' "$out.elf"
			return 0
		fi
	done
	rm -f "$out.tmp.$$"
	: >"$out.none"
	printf '%s\n' "$img"
}
