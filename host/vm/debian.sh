# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # sets variables for kernel.sh and run.sh
# hugepin VM runner: Debian's archive through a private apt configuration
# in $HP_CACHE/debian (its own sources.list, package lists, archive cache and
# an empty dpkg status), so a kernel, its headers and the libraries its
# build tools need can come from any suite without touching the host's apt
# sources and without installing anything. Signatures are checked against
# debian-archive-keyring. The lists are refreshed once a day; when that
# fails the last lists are used, and without any, the answers remembered
# from earlier runs (a rerun needs no network at all once its packages are
# unpacked in the cache).
# Sourced by kernel.sh.

# What the private sources can carry, and the suites --kernel-deb
# debian:SUITE takes (a stable suite together with its -security updates).
# The sources hold only the suites some run has needed (a default run's
# first update fetches two suites' lists, not eight: about 3 s instead of
# 13 s on a fresh machine); a run that needs another adds it.
readonly HP_DEBIAN_SOURCES="bullseye bullseye-security bookworm bookworm-security bookworm-backports trixie sid experimental"
readonly HP_DEBIAN_SUITES="bullseye bookworm bookworm-backports trixie sid experimental"
readonly HP_DEBIAN_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
readonly HP_DEBIAN_MAX_AGE=86400
# A mirror with debian/ and debian-security/ below it, for machines that
# cannot reach deb.debian.org.
HP_DEBIAN_MIRROR=${HUGEPIN_DEBIAN_MIRROR:-http://deb.debian.org}

DEBIAN_DIR=
DEBIAN_APT=()
# The suites this run needs (debian_want); empty means all of them.
DEBIAN_WANT=
# The suites the sources carry since debian_setup.
DEBIAN_HAVE=
# fresh or stale (lists of these sources, updated or not today), or offline
# (no lists for these sources: only remembered answers).
DEBIAN_STATE=
# Which lists the remembered answers came from.
DEBIAN_GEN=
# What the last debian_fetch got, or why it failed.
DEBIAN_DEB=
DEBIAN_ERR=

# The architectures the private lists carry: the guest's (kernels, and the
# libraries and busybox it runs) and, for a foreign guest, the host's too
# (the kbuild programs that build its modules run here).
debian_archs() {
	local host
	host=$(dpkg --print-architecture 2>/dev/null || echo amd64)
	if [ "${HP_DEB_ARCH:-$host}" = "$host" ]; then
		printf '%s\n' "$host"
	else
		printf '%s,%s\n' "$HP_DEB_ARCH" "$host"
	fi
}

# Package $1 as the host's architecture's, whatever the guest's is: its
# name qualified with the host's architecture when the guest's is foreign.
debian_host_pkg() {
	local host
	host=$(dpkg --print-architecture 2>/dev/null || echo amd64)
	if [ "${HP_DEB_ARCH:-$host}" = "$host" ] || [[ $1 == *:* ]]; then
		printf '%s\n' "$1"
	else
		printf '%s:%s\n' "$1" "$host"
	fi
}

# sources.list lines for the suites "$@".
debian_sources() {
	local s archs
	archs=$(debian_archs)
	for s in "$@"; do
		case $s in
		*-security) printf 'deb [arch=%s signed-by=%s] %s/debian-security %s main\n' "$archs" "$HP_DEBIAN_KEYRING" "$HP_DEBIAN_MIRROR" "$s" ;;
		*) printf 'deb [arch=%s signed-by=%s] %s/debian %s main\n' "$archs" "$HP_DEBIAN_KEYRING" "$HP_DEBIAN_MIRROR" "$s" ;;
		esac
	done
}

# The run needs suite $1 (with the suites its kernel's parts may come
# from); no call, or "all", means every suite.
debian_want() {
	local s base=${1%-backports} more=
	if [ "$1" = all ]; then
		DEBIAN_WANT=$HP_DEBIAN_SOURCES
		return 0
	fi
	# A backport's parts may come from its stable suite, and experimental
	# carries only what differs from sid.
	[ "$1" != experimental ] || more=sid
	for s in "$1" "$base" "$base-security" $more; do
		[[ " $HP_DEBIAN_SOURCES " == *" $s "* && " $DEBIAN_WANT " != *" $s "* ]] && DEBIAN_WANT+=" $s"
	done
	return 0
}

# The suites of the catalogue that are in the word lists "$@", in the
# catalogue's order.
debian_pick() {
	local s
	for s in $HP_DEBIAN_SOURCES; do
		[[ " $* " != *" $s "* ]] || printf '%s ' "$s"
	done
}

# Set up the private configuration once per run and refresh its lists when
# they are missing or a day old.
debian_setup() {
	local src key stamp age want s archs
	want=${DEBIAN_WANT:-$HP_DEBIAN_SOURCES}
	if [ -n "$DEBIAN_STATE" ]; then
		for s in $want; do
			[[ " $DEBIAN_HAVE " == *" $s "* ]] || DEBIAN_STATE=
		done
		[ -z "$DEBIAN_STATE" ] || return 0
	fi
	if ! command -v apt-get >/dev/null || ! command -v dpkg-deb >/dev/null; then
		hp_die "Debian kernels need apt-get and dpkg-deb (a Debian or Ubuntu host), or pass --kernel bzImage"
	fi
	[ -r "$HP_DEBIAN_KEYRING" ] || hp_die "$HP_DEBIAN_KEYRING missing: apt-get install debian-archive-keyring"
	# A foreign guest's lists live apart: the host's own runs keep theirs.
	archs=$(debian_archs)
	DEBIAN_DIR=$HP_CACHE/debian
	[ "$archs" = "${archs%,*}" ] || DEBIAN_DIR=$HP_CACHE/debian-${archs%%,*}
	mkdir -p "$DEBIAN_DIR/lists/partial" "$DEBIAN_DIR/cache/archives/partial" "$DEBIAN_DIR/memo"
	# The suites earlier runs needed stay: runs of different suites in turn
	# must not drop each other's lists. Two runs adding at once take turns.
	local lockfd
	exec {lockfd}>"$DEBIAN_DIR/update.lock"
	flock "$lockfd"
	local had
	had=$(cat "$DEBIAN_DIR/suites" 2>/dev/null) ||
		had=$(awk '{ print $(NF - 1) }' "$DEBIAN_DIR/sources.list" 2>/dev/null) || true
	DEBIAN_HAVE=$(debian_pick "$want" "$had")
	# shellcheck disable=SC2086 # a list of suite names
	src=$(debian_sources $DEBIAN_HAVE)
	if [ "$(cat "$DEBIAN_DIR/sources.list" 2>/dev/null)" != "$src" ]; then
		printf '%s\n' "$DEBIAN_HAVE" >"$DEBIAN_DIR/suites.tmp.$BASHPID"
		mv "$DEBIAN_DIR/suites.tmp.$BASHPID" "$DEBIAN_DIR/suites"
		printf '%s\n' "$src" >"$DEBIAN_DIR/sources.list.tmp.$BASHPID"
		mv "$DEBIAN_DIR/sources.list.tmp.$BASHPID" "$DEBIAN_DIR/sources.list"
	fi
	[ -f "$DEBIAN_DIR/status" ] || : >"$DEBIAN_DIR/status"
	# The host's preferences and dpkg state must not pick versions here; apt
	# still reads the host's apt.conf (proxies). The binary package cache is
	# kept (some hosts turn it off): without it each query parses every list
	# again, seconds each. Downloads run as the caller, since the cache need
	# not be writable by apt's _apt user.
	DEBIAN_APT=(-o "Dir::Etc::SourceList=$DEBIAN_DIR/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$DEBIAN_DIR/lists" -o "Dir::Cache=$DEBIAN_DIR/cache"
		-o Dir::Cache::pkgcache=pkgcache.bin -o Dir::Cache::srcpkgcache=
		-o "Dir::State::status=$DEBIAN_DIR/status" -o Dir::Etc::Preferences=/dev/null
		-o Dir::Etc::PreferencesParts=/dev/null -o "APT::Architecture=${archs%%,*}" -o "APT::Architectures=$archs"
		-o Acquire::Languages=none -o "APT::Sandbox::User=$(id -un)")
	key=$(printf '%s\n' "$src" | sha256sum | cut -c1-16)
	stamp=$DEBIAN_DIR/lists.updated
	age=$HP_DEBIAN_MAX_AGE
	[ -f "$stamp" ] && age=$(($(date +%s) - $(stat -c %Y "$stamp")))
	# Two runs share the lists: one updates, the other waits and then finds
	# them fresh (apt itself would refuse the second update).
	if [ "$(cat "$stamp" 2>/dev/null)" != "$key" ] || [ "$age" -ge "$HP_DEBIAN_MAX_AGE" ]; then
		debian_update "$key"
	else
		DEBIAN_STATE=fresh
	fi
	exec {lockfd}>&-
	[ "$DEBIAN_STATE" = offline ] || DEBIAN_GEN="$key $(stat -c %Y "$stamp")"
}

debian_update() {
	local key=$1 stamp=$DEBIAN_DIR/lists.updated log=$DEBIAN_DIR/update.log
	local have=${DEBIAN_HAVE% }
	hp_progress "updating the private Debian package lists ($HP_DEBIAN_MIRROR: ${have// /, })"
	# A source that cannot be fetched is only a warning to apt-get update.
	if apt-get "${DEBIAN_APT[@]}" -q update >"$log" 2>&1 &&
		! grep -qE '^(E:|W: Failed to fetch|W: Some index files failed)' "$log"; then
		printf '%s\n' "$key" >"$stamp.tmp.$BASHPID"
		mv "$stamp.tmp.$BASHPID" "$stamp"
		DEBIAN_STATE=fresh
	elif [ "$(cat "$stamp" 2>/dev/null)" = "$key" ]; then
		DEBIAN_STATE=stale
		hp_progress "warning: cannot update the Debian package lists (see $log): using those of $(date -r "$stamp" '+%F %R')"
	else
		DEBIAN_STATE=offline
		hp_progress "warning: cannot reach the Debian archive (see $log): only kernels resolved and unpacked before can run"
	fi
}

# apt-cache "$@" on the private lists, remembered until the lists change;
# offline, the last answer remembered. Fails on no answer.
debian_query() {
	local f out
	f=$DEBIAN_DIR/memo/$(printf '%s\n' "$*" | sha256sum | cut -c1-16)
	if [ "$DEBIAN_STATE" = offline ]; then
		[ -f "$f" ] || return 1
		tail -n +2 "$f"
		return 0
	fi
	if [ -f "$f" ] && [ "$(head -n1 "$f")" = "$DEBIAN_GEN" ]; then
		tail -n +2 "$f"
		return 0
	fi
	out=$(apt-cache "${DEBIAN_APT[@]}" "$@" 2>/dev/null) || return 1
	[ -n "$out" ] || return 1
	printf '%s\n%s\n' "$DEBIAN_GEN" "$out" >"$f.tmp.$BASHPID"
	mv "$f.tmp.$BASHPID" "$f"
	printf '%s\n' "$out"
}

# "VERSION SUITE" for every version of package $1 the sources carry.
debian_versions() {
	{ debian_query madison "$1" || true; } | awk -F'|' '{
		gsub(/ /, "", $2); split($3, w, " "); sub(/\/.*/, "", w[2]); print $2, w[2] }'
}

# Highest of the versions on stdin.
debian_highest() {
	local v best=
	while read -r v; do
		if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then
			best=$v
		fi
	done
	printf '%s\n' "$best"
}

# Suite that carries package $1 at version $2 (the first one madison lists).
debian_suite_of() {
	debian_versions "$1" | awk -v v="$2" '$1 == v && s == "" { s = $2 } END { print s }'
}

# Version of package $1 in suite $2 or the release it updates (bullseye for
# bullseye-security), else apt's candidate across all suites.
debian_version_in() {
	local base=${2%-security} v
	base=${base%-backports}
	v=$(debian_versions "$1" | awk -v s="$2" '$2 == s { print $1 }' | debian_highest)
	[ -n "$v" ] || v=$(debian_versions "$1" | awk -v s="$base" '$2 == s { print $1 }' | debian_highest)
	[ -n "$v" ] || v=$(debian_candidate "$1")
	printf '%s\n' "$v"
}

# apt's candidate version of package $1 across all suites, or nothing.
debian_candidate() {
	{ debian_query policy "$1" || true; } | awk '/Candidate:/ && $2 != "(none)" { print $2 }'
}

# Sets DEB_NAME and DEB_VERSION to the kernel image package suite $1 ships
# now: what its linux-image-ARCH (the guest's architecture) depends on, the
# highest of the suite and, for bullseye and bookworm, its -security updates.
debian_suite_kernel() {
	local suite=$1 meta deps image=linux-image-${HP_DEB_ARCH:-amd64}
	[[ " $HP_DEBIAN_SUITES " == *" $suite "* ]] ||
		hp_usage_error "--kernel-deb debian:$suite: unknown suite (one of: $HP_DEBIAN_SUITES)"
	debian_want "$suite"
	debian_setup
	meta=$(debian_versions "$image" | awk -v s="$suite" '
		$2 == s || (s ~ /^(bullseye|bookworm)$/ && $2 == s "-security") { print $1 }' | debian_highest)
	[ -n "$meta" ] || hp_die "debian:$suite: no $image in the package lists ($(debian_state_hint))"
	deps=$({ debian_query show "$image=$meta" || true; } |
		awk '/^Depends: / && !n++ { sub(/^Depends: /, ""); print }')
	DEB_NAME='' DEB_VERSION=''
	read -r DEB_NAME DEB_VERSION < <(debian_parse_depends <<<"$deps" |
		awk '$1 ~ /^linux-image-[0-9]/ && n++ == 0') || true
	[ -n "$DEB_VERSION" ] ||
		hp_die "debian:$suite: $image $meta depends on no versioned linux-image-<release> ($deps)"
}

# Sets DEB_NAME and DEB_VERSION for NAME[=VERSION] $1: the exact version, or
# apt's candidate across all suites.
debian_package() {
	local spec=$1 have
	DEB_NAME=${spec%%=*}
	DEB_VERSION=
	[ "$DEB_NAME" = "$spec" ] || DEB_VERSION=${spec#*=}
	debian_want all
	debian_setup
	if [ -z "$DEB_VERSION" ]; then
		DEB_VERSION=$(debian_candidate "$DEB_NAME")
		[ -n "$DEB_VERSION" ] ||
			hp_die "package $DEB_NAME is in none of the suites ${HP_DEBIAN_SOURCES// /, } ($(debian_state_hint)); check the name"
	elif [ -z "$(debian_suite_of "$DEB_NAME" "$DEB_VERSION")" ]; then
		have=$(debian_versions "$DEB_NAME" | awk '{ printf "%s%s (%s)", n++ ? ", " : "", $1, $2 }')
		hp_die "package $DEB_NAME=$DEB_VERSION is in none of the suites ${HP_DEBIAN_SOURCES// /, } ($(debian_state_hint)); ${have:+it has }${have:-check the name}"
	fi
}

debian_state_hint() {
	case $DEBIAN_STATE in
	offline) printf 'archive unreachable and nothing remembered: check the network or HUGEPIN_DEBIAN_MIRROR' ;;
	stale) printf 'lists of %s' "$(date -r "$DEBIAN_DIR/lists.updated" '+%F %R')" ;;
	*) printf 'lists of today' ;;
	esac
}

# A Depends field on stdin as "NAME VERSION" lines: the first alternative of
# each, VERSION only when pinned with "=".
debian_parse_depends() {
	tr ',' '\n' | sed -E 's/\|.*//; s/^ +//; s/ +$//' |
		sed -nE 's/^([^ ]+) \(= ([^)]+)\)$/\1 \2/p; /\(/!{/./p}; /\((>|<)/{s/ .*//p}'
}

# Depends of .deb $1 as debian_parse_depends prints them.
debian_deb_depends() {
	dpkg-deb -f "$1" Depends | debian_parse_depends
}

# Depends of package $1 version $2 in the lists, as debian_parse_depends
# prints them.
debian_show_depends() {
	{ debian_query show "$1=$2" || true; } |
		awk '/^Depends: / && !n++ { sub(/^Depends: /, ""); print }' | debian_parse_depends
}

# Download in one apt-get call what the run fetches one package at a time
# later: kernel package $1 version $2 with 7.x's binary, modules and base
# parts, and the headers of its release with their -common and kbuild parts.
# The downloads then overlap each other and the host's package install.
# Best effort: whatever it misses, debian_fetch gets and reports later.
debian_prefetch() {
	local name=$1 ver=$2 rel dep dver suite p dir=$HP_CACHE/debs
	local -a want=() get=()
	rel=${name#linux-image-}
	rel=${rel#linux-binary-}
	if [ ! -e "$HP_CACHE/kernels/${name}_${ver//:/%3a}/.unpacked" ]; then
		want+=("$name=$ver")
		while read -r dep dver; do
			want+=("$dep=${dver:-$ver}")
		done < <(debian_show_depends "$name" "$ver" | kernel_parts "$name")
	fi
	suite=$(debian_suite_of "linux-headers-$rel" "$ver")
	if [ -n "$suite" ] && [ ! -e "$HP_CACHE/headers/${rel}_${ver//:/%3a}/.unpacked" ]; then
		want+=("linux-headers-$rel=$ver")
		while read -r dep dver; do
			[ -z "$dver" ] || want+=("$dep=$dver")
		done < <(debian_show_depends "linux-headers-$rel" "$ver" | headers_parts "$ver" "$suite")
	fi
	mkdir -p "$dir"
	for p in $(printf '%s\n' "${want[@]}" | sort -u); do
		dver=${p#*=}
		[ -n "$(debian_cached_deb "$dir" "${p%%=*}" "$dver")" ] || get+=("$p")
	done
	[ ${#get[@]} -gt 0 ] || return 0
	hp_progress "downloading ${get[*]}"
	(cd "$dir" && apt-get "${DEBIAN_APT[@]}" -q download "${get[@]}" >"$dir/download.log" 2>&1) || true
}

# The .deb of package $2 (NAME, the guest's architecture or "all", or
# NAME:ARCH) version $3 in directory $1, when it is there: apt-get download
# names files NAME_VERSION_ARCH.deb with ':' as %3a, and the directory holds
# every architecture's.
debian_cached_deb() {
	local dir=$1 name=$2 ver=${3//:/%3a} arch
	arch=${HP_DEB_ARCH:-$(dpkg --print-architecture 2>/dev/null || echo amd64)}
	[[ $name != *:* ]] || arch=${name#*:}
	find "$dir" -maxdepth 1 \( -name "${name%%:*}_${ver}_$arch.deb" -o -name "${name%%:*}_${ver}_all.deb" \) -print -quit
}

# Set DEBIAN_DEB to package $1 (NAME or NAME:ARCH) version $2 as a .deb in
# $HP_CACHE/debs, downloaded unless already there. On failure sets
# DEBIAN_ERR, returns 1.
debian_fetch() {
	local name=$1 ver=$2 dir=$HP_CACHE/debs
	mkdir -p "$dir"
	DEBIAN_DEB=$(debian_cached_deb "$dir" "$name" "$ver")
	[ -z "$DEBIAN_DEB" ] || return 0
	debian_setup
	if [ "$DEBIAN_STATE" = offline ]; then
		DEBIAN_ERR="cannot download $name=$ver: the Debian archive is unreachable (see $DEBIAN_DIR/update.log)"
		return 1
	fi
	hp_progress "downloading $name=$ver"
	if ! (cd "$dir" && apt-get "${DEBIAN_APT[@]}" -q download "$name=$ver" >"$dir/download.log" 2>&1); then
		DEBIAN_ERR="apt-get download $name=$ver failed: $(grep -m1 '^E:' "$dir/download.log" || tail -n1 "$dir/download.log")"
		return 1
	fi
	DEBIAN_DEB=$(debian_cached_deb "$dir" "$name" "$ver")
	[ -n "$DEBIAN_DEB" ] && return 0
	DEBIAN_ERR="apt-get download $name=$ver left no .deb in $dir"
	return 1
}

# Unpack .debs $3.. into directory $1 of the cache, built under a temporary
# name and renamed into place, so a concurrent run sees all of it or none.
# $2 is a command run on the temporary directory before the rename, with
# the temporary and the final path as its arguments. Returns 1 when a step
# fails (DEBIAN_ERR says which).
debian_unpack_into() {
	local final=$1 prepare=$2 tmp deb
	shift 2
	mkdir -p "$(dirname "$final")"
	tmp=$(mktemp -d "$final.tmp.XXXXXX")
	for deb in "$@"; do
		if ! dpkg-deb -x "$deb" "$tmp"; then
			DEBIAN_ERR="dpkg-deb -x $deb failed"
			rm -rf "$tmp"
			return 1
		fi
	done
	if [ -n "$prepare" ] && ! "$prepare" "$tmp" "$final"; then
		rm -rf "$tmp"
		return 1
	fi
	touch "$tmp/.unpacked"
	# Another run that got there first wins; its tree is the same.
	mv -T "$tmp" "$final" 2>/dev/null || rm -rf "$tmp"
}
