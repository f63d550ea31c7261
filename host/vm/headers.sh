# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # sets variables for kernel.sh and run.sh
# hugepin VM runner: Debian kernel headers for our out-of-tree modules,
# without installing anything. linux-headers-<release>, its -common part and
# the linux-kbuild programs come from the kernel's own suite and are unpacked
# into the cache, then made to work from there with the host's gcc: the
# absolute /usr/src paths of their Makefiles point into the cache, kbuild
# programs built against a newer C library than the host's run through
# their suite's own ld.so and libraries, and the compiler features Kconfig
# recorded for the kernel's compiler are checked again against the host's.
# Sourced by kernel.sh.

# Compiler features whose Kconfig symbol changes the flags or the C that the
# headers give a module, each with what the host gcc must accept to keep it:
# "flag F" (compiles with F) or "code C" (C that compiles with -Werror).
readonly -a HP_CC_FEATURES=(
	'CC_HAS_MIN_FUNCTION_ALIGNMENT flag -fmin-function-alignment=16'
	'CC_HAS_ASSUME code int f(int x) { __attribute__((__assume__(x > 0))); return x; }'
	'CC_HAS_COUNTED_BY code struct s { int n; int a[] __attribute__((__counted_by__(n))); };'
	'CC_HAS_COUNTED_BY_PTR code struct s { int n; int *p __attribute__((__counted_by__(n))); };'
	'CC_HAS_MULTIDIMENSIONAL_NONSTRING code char a[2][4] __attribute__((__nonstring__));'
	'CC_HAS_TYPEOF_UNQUAL code const int c; __typeof_unqual__(c) u;'
	'CC_HAS_ASM_GOTO_OUTPUT code int f(int x) { asm goto("" : "=r"(x) : : : l); return x; l: return 0; }'
	'CC_HAS_ASM_GOTO_TIED_OUTPUT code int f(int x) { asm goto("" : "+r"(x) : : : l); return x; l: return 0; }'
	'CC_HAS_AUTO_VAR_INIT_ZERO_BARE flag -ftrivial-auto-var-init=zero'
	'CC_HAS_ZERO_CALL_USED_REGS flag -fzero-call-used-regs=used-gpr'
)

KERNEL_HEADERS=
HEADERS_WHY=
# The .debs of the headers being unpacked, and their suite.
HEADERS_DEBS=()
HEADERS_SUITE=

# True when the host gcc accepts $2: a flag ($1 = flag) or C code ($1 = code).
# The compiler is the guest architecture's (HP_CROSS) where that is not
# the host's.
host_cc_accepts() {
	case $1 in
	flag) printf 'int x;\n' | "${HP_CROSS:-}gcc" -Werror "$2" -c -x c -o /dev/null - 2>/dev/null ;;
	code) printf '%s\n' "$2" | "${HP_CROSS:-}gcc" -Werror -c -x c -o /dev/null - 2>/dev/null ;;
	esac
}

# The host tools the headers in $1 were fitted to.
host_tools_id() {
	local pahole=none
	command -v pahole >/dev/null && pahole=$(pahole --version 2>/dev/null)
	printf '%s; pahole %s\n' "$("${HP_CROSS:-}gcc" --version | head -n1)" "$pahole"
}

# Fit the configuration of headers $1 to the host's gcc and pahole, once per
# change of those: a compiler feature the host gcc lacks is unset in
# include/config/auto.conf (Makefile flags) and include/generated/autoconf.h
# (C), CONFIG_GCC_VERSION becomes the host's, and module BTF is left out
# when the host's pahole is older than the kernel's (in auto.conf only: the
# symbol also shapes struct module, which must match the kernel's). The
# packaged files are kept as *.debian.
headers_fit_host() {
	local kdir=$1 conf=$1/include/config/auto.conf hdr=$1/include/generated/autoconf.h
	local id entry sym kind probe val script mine theirs v
	local -a unset=() make_only=()
	id=$(host_tools_id)
	[ "$(cat "$kdir/.host-tools" 2>/dev/null)" != "$id" ] || return 0
	[ -f "$conf" ] && [ -f "$hdr" ] || return 0
	[ -f "$conf.debian" ] || cp -p "$conf" "$conf.debian"
	[ -f "$hdr.debian" ] || cp -p "$hdr" "$hdr.debian"
	for entry in "${HP_CC_FEATURES[@]}"; do
		read -r sym kind probe <<<"$entry"
		grep -q "^CONFIG_$sym=y" "$conf.debian" || continue
		host_cc_accepts "$kind" "$probe" || unset+=("$sym")
	done
	# riscv's -march names each ISA extension its kernel's toolchain knew
	# (zacas, zabha, ...): one the cross compiler lacks goes, with the kernel's
	# use of it, which depends on it.
	while IFS='=' read -r sym val; do
		sym=${sym#CONFIG_TOOLCHAIN_HAS_}
		host_cc_accepts flag "-march=rv64imafd_zicsr_zifencei_${sym,,}" ||
			unset+=("TOOLCHAIN_HAS_$sym" "RISCV_ISA_$sym")
	done < <(grep -E '^CONFIG_TOOLCHAIN_HAS_Z[A-Z0-9]+=y' "$conf.debian")
	# String options that hold a flag (CONFIG_CC_OPT_INLINE_MEMSET=-finline-stringops=memset).
	while IFS='=' read -r sym val; do
		host_cc_accepts flag "${val//\"/}" || unset+=("${sym#CONFIG_}")
	done < <(grep -E '^CONFIG_CC_[A-Z0-9_]+="?-' "$conf.debian")
	theirs=$(sed -n 's/^CONFIG_PAHOLE_VERSION=//p' "$conf.debian")
	mine=0
	command -v pahole >/dev/null && mine=$(pahole --version | tr -dc '0-9')
	if grep -q '^CONFIG_DEBUG_INFO_BTF_MODULES=y' "$conf.debian" && [ "${mine:-0}" -lt "${theirs:-0}" ]; then
		make_only+=(DEBUG_INFO_BTF_MODULES)
	fi
	script=
	for sym in "${unset[@]}"; do
		script+="/^CONFIG_$sym=/d; /^#define CONFIG_$sym /d; "
	done
	for sym in "${make_only[@]}"; do
		script+="/^CONFIG_$sym=/d; "
	done
	v=$("${HP_CROSS:-}gcc" -dumpfullversion | awk -F. '{ printf "%d%02d%02d", $1, $2, $3 }')
	script+="s/^CONFIG_GCC_VERSION=.*/CONFIG_GCC_VERSION=$v/; s/^#define CONFIG_GCC_VERSION .*/#define CONFIG_GCC_VERSION $v/; "
	if [ "${mine:-0}" -gt 0 ] && [ -n "$theirs" ]; then
		script+="s/^CONFIG_PAHOLE_VERSION=.*/CONFIG_PAHOLE_VERSION=$mine/; s/^#define CONFIG_PAHOLE_VERSION .*/#define CONFIG_PAHOLE_VERSION $mine/; "
	fi
	sed "$script" "$conf.debian" >"$conf.tmp.$$" && mv "$conf.tmp.$$" "$conf"
	sed "$script" "$hdr.debian" >"$hdr.tmp.$$" && mv "$hdr.tmp.$$" "$hdr"
	printf '%s\n' "$id" >"$kdir/.host-tools"
	unset+=("${make_only[@]}")
	[ ${#unset[@]} -eq 0 ] || hp_progress "headers $(basename "$kdir"): unset for the host's gcc/pahole: ${unset[*]}"
}

# The libraries the kbuild programs of .deb $2 link against, from suite $3
# where it has them, unpacked into directory $1.
headers_fetch_runtime() {
	local dir=$1 kbuild=$2 suite=$3 name ver deb
	local -a todo=() seen=() debs=()
	mapfile -t todo < <(debian_deb_depends "$kbuild" | awk '$1 ~ /^lib/ { print $1 }')
	while [ ${#todo[@]} -gt 0 ]; do
		name=${todo[0]}
		todo=("${todo[@]:1}")
		[[ " ${seen[*]} " != *" $name "* ]] || continue
		seen+=("$name")
		name=$(debian_host_pkg "$name")
		ver=$(debian_version_in "$name" "$suite")
		if [ -z "$ver" ]; then
			DEBIAN_ERR="$name, which the kbuild programs need, is in no suite"
			return 1
		fi
		debian_fetch "$name" "$ver" || return 1
		debs+=("$DEBIAN_DEB")
		mapfile -t -O "${#todo[@]}" todo < <(debian_deb_depends "$DEBIAN_DEB" | awk '$1 ~ /^lib/ { print $1 }')
	done
	for deb in "${debs[@]}"; do
		dpkg-deb -x "$deb" "$dir" || { DEBIAN_ERR="dpkg-deb -x $deb failed"; return 1; }
	done
	rm -f "${debs[@]}"
}

# Kbuild programs in the tree unpacked at $1 (renamed to $2 later) that the
# host's C library cannot run (sid's and experimental's on Debian 12) run
# through their suite's own ld.so and libraries, unpacked into runtime/:
# each moves to NAME.elf and NAME becomes a script that starts it that way.
# The signing tools are left alone: modules built here are not signed.
headers_kbuild_runtime() {
	local tmp=$1 final=$2 f kbuild ld libs miss argv0=
	local -a stuck=()
	while IFS= read -r -d '' f; do
		case $f in */sign-file | */extract-cert) continue ;; esac
		[ "$(head -c 4 "$f" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ] || continue
		[[ $(ldd "$f" 2>&1 || true) != *'not found'* ]] || stuck+=("$f")
	done < <(find "$tmp/usr/lib" -path '*/linux-kbuild-*' -type f -perm -u+x -print0 2>/dev/null)
	[ ${#stuck[@]} -gt 0 ] || return 0
	for kbuild in "${HEADERS_DEBS[@]}"; do
		[[ $(basename "$kbuild") == linux-kbuild-* ]] && break
	done
	hp_progress "kbuild programs need a newer C library than the host's: unpacking $HEADERS_SUITE's"
	headers_fetch_runtime "$tmp/runtime" "$kbuild" "$HEADERS_SUITE" || return 1
	ld=$(find "$tmp/runtime" -path '*/x86_64-linux-gnu/ld-linux-x86-64.so.2' -print -quit)
	if [ -z "$ld" ]; then
		DEBIAN_ERR="$HEADERS_SUITE's libc6 has no ld-linux-x86-64.so.2"
		return 1
	fi
	libs=$tmp/runtime/usr/lib/x86_64-linux-gnu:$tmp/runtime/lib/x86_64-linux-gnu
	# ld.so takes --argv0 from glibc 2.33.
	[[ $("$ld" --help 2>&1 || true) != *--argv0* ]] || argv0=1
	for f in "${stuck[@]}"; do
		miss=$("$ld" --library-path "$libs" --list "$f" 2>&1 | grep -m1 'not found') || true
		if [ -n "$miss" ]; then
			DEBIAN_ERR="kbuild program ${f#"$tmp"/} does not run here even with $HEADERS_SUITE's libraries: $miss"
			return 1
		fi
		mv "$f" "$f.elf"
		{
			printf '#!/bin/sh\n# Runs through the C library of the suite it was built for.\n'
			# shellcheck disable=SC2016 # "$0" and "$@" are the script's own
			printf 'exec %q --library-path %q %s%q "$@"\n' "$final${ld#"$tmp"}" \
				"${libs//"$tmp"/$final}" "${argv0:+--argv0 \"\$0\" }" "$final${f#"$tmp"}.elf"
		} >"$f"
		chmod 0755 "$f"
	done
}

# Prepare the headers unpacked at $1 for their place at $2.
headers_prepare() {
	local tmp=$1 final=$2 mk kdir
	# linux-headers-REL/Makefile includes its -common part by absolute path.
	for mk in "$tmp"/usr/src/*/Makefile; do
		grep -q '/usr/src/' "$mk" && sed -i "s#/usr/src/#$final/usr/src/#g" "$mk"
	done
	headers_kbuild_runtime "$tmp" "$final" || return 1
	for kdir in "$tmp"/usr/src/linux-headers-*; do
		[ ! -f "$kdir/include/config/auto.conf" ] || headers_fit_host "$kdir"
	done
}

# Version of $1, a part of the headers of kernel version $2 from suite $3
# whose dependency names no version: the kernel's own when the archive has
# it, else the suite's.
headers_part_version() {
	if debian_versions "$1" | awk -v v="$2" '$1 == v { f = 1 } END { exit !f }'; then
		printf '%s\n' "$2"
	else
		debian_version_in "$1" "$3"
	fi
}

# The parts of a headers package version $1 of suite $2 among the
# "NAME [VERSION]" Depends lines on stdin: its -common part and kbuild, not
# the compiler. Prints "NAME VERSION" (VERSION empty when none is found).
headers_parts() {
	local ver=$1 suite=$2 dep dver
	while read -r dep dver; do
		case $dep in
		linux-headers-*) ;;
		# kbuild's programs run here: the host's build of them.
		linux-kbuild-*) dep=$(debian_host_pkg "$dep") ;;
		*) continue ;;
		esac
		[ -n "$dver" ] || dver=$(headers_part_version "$dep" "$ver" "$suite")
		printf '%s %s\n' "$dep" "$dver"
	done
}

# Set KERNEL_HEADERS to Debian's headers of release $1, version $2, unpacked
# once into the cache: linux-headers-$1 and what it depends on of
# linux-headers-* (the -common part) and linux-kbuild-*, not the compiler
# (the host's gcc builds the modules). Sets HEADERS_WHY when they cannot be had.
headers_from_debian() {
	local rel=$1 ver=$2 root dep dver
	root=$HP_CACHE/headers/${rel}_${ver//:/%3a}
	if [ ! -e "$root/.unpacked" ]; then
		if ! debian_fetch "linux-headers-$rel" "$ver"; then
			HEADERS_WHY="no headers for $rel: $DEBIAN_ERR"
			return 0
		fi
		HEADERS_DEBS=("$DEBIAN_DEB")
		HEADERS_SUITE=$(debian_suite_of "linux-headers-$rel" "$ver")
		while read -r dep dver; do
			if ! debian_fetch "$dep" "$dver"; then
				HEADERS_WHY="no headers for $rel: $DEBIAN_ERR"
				return 0
			fi
			HEADERS_DEBS+=("$DEBIAN_DEB")
		done < <(debian_deb_depends "${HEADERS_DEBS[0]}" | headers_parts "$ver" "$HEADERS_SUITE")
		hp_progress "unpacking the headers of $rel ($ver, ${HEADERS_SUITE:-unknown suite})"
		if ! debian_unpack_into "$root" headers_prepare "${HEADERS_DEBS[@]}"; then
			HEADERS_WHY="headers of $rel: $DEBIAN_ERR"
			return 0
		fi
		rm -f "${HEADERS_DEBS[@]}"
	fi
	KERNEL_HEADERS=$root/usr/src/linux-headers-$rel
	headers_fit_host "$KERNEL_HEADERS"
}
