# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# hugepin LAVA proof: Debian 12's LAVA dispatcher (lava-dispatcher and
# lava-common) and the Python modules it imports, downloaded through the
# private apt setup (host/vm/debian.sh) and unpacked into the cache, never
# installed: installing lava-dispatcher would pull systemd-sysv, udev and,
# through bpfcc, the host's kernel headers. lava-run then runs from the
# cache with PYTHONPATH pointing at the unpacked modules. Sourced after
# host/vm/common.sh and host/vm/debian.sh.

# The dispatcher's own packages; their python3-* dependencies are followed.
readonly HP_LAVA_PACKAGES="lava-dispatcher lava-common"
# The suite whose dispatcher runs here (Debian 12's Python): apt's candidate
# would be the newest of every suite the private lists carry (sid's LAVA,
# built for another Python), so every query and download prefers it.
readonly HP_LAVA_SUITE=bookworm

# Python modules the host already has through python3 itself.
readonly HP_LAVA_PY_BASE=" python3 python3-minimal python3.11 python3-distutils python3-lib2to3 python3-pkg-resources "

# The lava-* and python3-* packages the dispatcher needs, recursively.
lava_package_closure() {
	local -a todo
	local p d seen=" "
	read -r -a todo <<<"$HP_LAVA_PACKAGES"
	while [ ${#todo[@]} -gt 0 ]; do
		p=${todo[0]}
		todo=("${todo[@]:1}")
		[[ $seen != *" $p "* ]] || continue
		seen+="$p "
		printf '%s\n' "$p"
		while read -r d; do
			[[ $d == python3-* || $d == lava-* ]] || continue
			[[ $HP_LAVA_PY_BASE != *" $d "* ]] || continue
			# lava-dispatcher-host's BPF device filters (python3-bpfcc pulls the
			# host's kernel headers) serve containers, which these jobs do not use.
			[ "$d" != python3-bpfcc ] || continue
			todo+=("$d")
		done < <(apt-cache "${DEBIAN_APT[@]}" -o APT::Default-Release="$HP_LAVA_SUITE" depends --no-recommends --no-suggests \
			--no-conflicts --no-breaks --no-replaces --no-enhances "$p" 2>/dev/null |
			sed -n 's/^ *|\{0,1\}Depends: \([a-z0-9.+-]*\).*/\1/p')
	done
}

# Sets LAVA_ROOT to the unpacked dispatcher (usr/bin/lava-run,
# usr/lib/python3/dist-packages), fetching it the first time.
lava_dispatcher_setup() {
	local dir=$HP_CACHE/lava debs=$HP_CACHE/lava/debs
	local -a pkgs
	LAVA_ROOT=$dir/root
	[ -e "$LAVA_ROOT/.unpacked" ] && return 0
	debian_want "$HP_LAVA_SUITE"
	debian_setup
	[ "$DEBIAN_STATE" != offline ] || hp_die "LAVA's dispatcher is not in the cache and the Debian archive is unreachable"
	mapfile -t pkgs < <(lava_package_closure)
	[ ${#pkgs[@]} -gt 2 ] || hp_die "lava-dispatcher: no dependencies found in the private package lists ($DEBIAN_DIR)"
	mkdir -p "$debs"
	hp_progress "downloading LAVA's dispatcher and ${#pkgs[@]} packages into $debs"
	(cd "$debs" && apt-get "${DEBIAN_APT[@]}" -o APT::Default-Release="$HP_LAVA_SUITE" -q download "${pkgs[@]}" \
		>"$debs/download.log" 2>&1) ||
		hp_die "apt-get download of LAVA's dispatcher failed: see $debs/download.log"
	rm -rf "$LAVA_ROOT"
	debian_unpack_into "$LAVA_ROOT" '' "$debs"/*.deb || hp_die "$DEBIAN_ERR"
}

# Sets LAVA_DEVICE_TYPES to the device-type templates (qemu.jinja2 and the
# base templates it extends), which ship with lava-server: only that
# directory of the package is unpacked.
lava_device_types_setup() {
	local dir=$HP_CACHE/lava deb
	LAVA_DEVICE_TYPES=$dir/server/usr/share/lava-server/device-types
	[ -f "$LAVA_DEVICE_TYPES/qemu.jinja2" ] && return 0
	debian_want "$HP_LAVA_SUITE"
	debian_setup
	mkdir -p "$dir/server-deb" "$dir/server"
	(cd "$dir/server-deb" && apt-get "${DEBIAN_APT[@]}" -o APT::Default-Release="$HP_LAVA_SUITE" -q download lava-server \
		>download.log 2>&1) ||
		hp_die "apt-get download lava-server failed: see $dir/server-deb/download.log"
	deb=$(find "$dir/server-deb" -name 'lava-server_*.deb' -print -quit)
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir/server" ./usr/share/lava-server/device-types ||
		hp_die "no device-types in $deb"
}

# Render device dictionary $1 (jinja2, extending a device type) with the
# context of job $2 (as lava-server renders a device for a job) to the
# device YAML lava-run reads, on stdout.
lava_render_device() {
	PYTHONPATH=$LAVA_ROOT/usr/lib/python3/dist-packages python3 -c '
import sys, jinja2, yaml
context = yaml.safe_load(open(sys.argv[4])).get("context", {})
env = jinja2.Environment(loader=jinja2.FileSystemLoader([sys.argv[1], sys.argv[2]]), autoescape=False, trim_blocks=True)
print(env.get_template(sys.argv[3]).render(**context))' \
		"$LAVA_DEVICE_TYPES" "$(dirname "$1")" "$(basename "$1")" "$2"
}

# lava-run "$@" from the cache, with hugepin's guestfs stand-in
# (host/lava/guestfs.py) in place of libguestfs's binding.
lava_run() {
	PYTHONPATH=$HP_TOP/host/lava:$LAVA_ROOT/usr/lib/python3/dist-packages \
		python3 "$LAVA_ROOT/usr/bin/lava-run" "$@"
}
