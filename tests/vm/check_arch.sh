#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The other architectures of `make check`: each kernel of
# tests/vm/arch-kernels.txt (an arm64 and a riscv64 Debian kernel, pinned),
# booted under TCG on QEMU's virt machine with the suite cross-built for it,
# the reference module's huge pfn PMDs (and, where the architecture maps
# them, its device memory's PUDs) pinned by every method. Asserts the
# verdicts and the page-table levels the walk module read there (the
# architecture's own special bit), the PUD answer of each architecture, the
# x86-only devices' skip lines and the report's architecture. Writes KTAP
# to OUTDIR/arch.tap for tests/summary.sh.
# shellcheck disable=SC2317 # the predicates below run through check()
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/vm/lib.sh
. "$TOP/tests/vm/lib.sh"

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
check_dirs "$1" arch check_arch

log_has() {
	grep -qF -- "$2" "$1"
}

# True when every eviction report of the reference module counted $2 pages.
only_blocks_of() {
	! grep -F '"type":"result"' "$1" | grep -F '"device":"hugepin_ref"' | grep -F 'pages off their refcount' |
		grep -qvF "of $2 pages off"
}

# No pin record matching $2 was VULNERABLE or SAFE at another level than pud.
pins_at_pud_only() {
	no_rows "$1" "$2" '"verdict":"VULNERABLE"' &&
		[ "$(rows "$1" "$2" '"verdict":"SAFE"')" = "$(rows "$1" "$2" '"verdict":"SAFE"' '"level":"pud"')" ]
}

report_arch() {
	grep -qF "\"arch\":\"$2\"" "$1"
}

# $1 arch, $2 package, $3 version, $4 uname -m, $5 PUD answer: "none" (the
# architecture maps no huge PUD: UNTESTABLE with the reason) or "device"
# (huge PUDs exist: the module's device memory is mapped by special PUDs and
# every pin refused; its RAM blocks of that size cannot be allocated:
# skipped), $6 the pages of one PMD block.
# The run of one kernel, in the background beside the others: most of a
# first run is downloads and cross builds, which overlap well.
start_arch_kernel() {
	local arch=$1 pkg=$2 ver=$3 d=$WORK/$1-$2
	local -a args=(--arch "$arch" --kernel-deb "$pkg=$ver" --tests hugepfn_ref --out "$d")
	(
		rc=0 t0=$(date +%s)
		"$TOP/run.sh" "${args[@]}" >"$d.out" 2>"$d.err" || rc=$?
		echo "# run.sh ${args[*]} -> exit $rc" >"$d.body"
		printf '%s %s\n' "$rc" "$(($(date +%s) - t0))" >"$d.rc"
	) &
}

check_arch_kernel() {
	local arch=$1 pkg=$2 ver=$3 machine=$4 pud=$5 pages=$6 d json secs label
	d=$WORK/$arch-$pkg
	# Two kernels of one architecture: the checks name the release.
	label=${pkg#linux-image-}
	read -r RC secs <"$d.rc" || { not_ok "$label: run.sh left no exit code"; return 0; }
	cat "$d.body" >>"$TAP.body" 2>/dev/null || true
	json=$d/report.json
	if [ "$RC" = 2 ] && [ ! -s "$json" ]; then
		skip "$label=$ver" "$(grep -m1 'run.sh: ' "$d.err" || echo "run.sh exited 2")"
		return 0
	fi
	echo "# $label=$ver: $secs s; $(grep -h 'timing:' "$d.err" | tail -n1)" | tee -a "$TAP.body"
	grep -h -e '^Huge pfn mappings formed' -e '^[0-9]* SAFE, ' "$d.out" | sed "s/^/# $label: /" |
		tee -a "$TAP.body" || true
	check "$label: run.sh exits 0" is_rc 0
	[ -s "$json" ] || { not_ok "$label: no report.json"; return 0; }
	check "$label: the report names the guest's architecture ($machine)" report_arch "$json" "$machine"
	check "$label: qxl and vmwgfx skipped as x86 devices, one line each" \
		eval "[ \"\$(grep -c 'is an x86 device' '$d.err')\" = 2 ]"
	check "$label: reference module loaded" \
		no_rows "$json" '"device":"hugepin_ref"' '"method":"-"' '"verdict":"UNTESTABLE"'
	check "$label: reference module mapped at PMD level by a special entry, every pin refused" \
		has_rows "$json" '"device":"hugepin_ref"' '"level":"pmd"' '"verdict":"SAFE"' 'refused' '"special":"yes"'
	check "$label: device memory mapped at PMD level by a special entry, refused" \
		has_rows "$json" '"device":"hugepin_vram"' '"level":"pmd"' '"verdict":"SAFE"' '"special":"yes"'
	check "$label: no reference-module pin got through" \
		no_rows "$json" '"device":"hugepin_ref"' '"verdict":"VULNERABLE"'
	check "$label: no PMD entry without its special bit" \
		no_rows "$json" '"device":"hugepin_ref"' '"level":"pmd"' '"special":"no"'
	check "$label: the summary names the reference module's PMDs" log_has "$d.out" "hugepin_ref PMD ("
	check "$label: blocks of one PMD, $pages pages, all back at their refcount after the pins" \
		has_rows "$json" '"device":"hugepin_ref"' '"level":"pmd"' "evict: 0 of $pages pages off their refcount"
	check "$label: no block of another size" only_blocks_of "$json" "$pages"
	check "$label: no kselftest program reports not ok" no_ktap_failures "$d"
	local dpud='"name":"hugepfn_map.device_pud.'
	case $pud in
	none)
		check "$label: PUD cases UNTESTABLE: no PUD pfnmap on $arch" \
			has_rows "$json" '"name":"hugepfn_map.noncompound_pud.' '"verdict":"UNTESTABLE"' "no PUD pfnmap on $arch"
		check "$label: device memory's PUD cases UNTESTABLE: no PUD pfnmap on $arch" \
			has_rows "$json" "$dpud" '"verdict":"UNTESTABLE"' "no PUD pfnmap on $arch"
		check "$label: no record at level pud" no_rows "$json" '"level":"pud"'
		;;
	device)
		check "$label: RAM PUD cases skipped: the module cannot allocate PUD-sized blocks" \
			log_has "$d/ktap/hugepfn_ref.tap" 'SKIP PUD: blocks of the PUD size need alloc_contig_pages()'
		check "$label: device memory mapped at PUD level by a special entry, every pin refused" \
			has_rows "$json" "$dpud" '"device":"hugepin_vram"' '"level":"pud","verdict":"SAFE"' 'refused' \
			'level pud, special' '"special":"yes"'
		check "$label: device memory's PUD pins: none got through, none SAFE below a PUD" \
			pins_at_pud_only "$json" "${dpud}pin_"
		check "$label: no PUD entry without its special bit" no_rows "$json" '"level":"pud"' '"special":"no"'
		check "$label: the device memory's PUD block mapped by one PUD through ->huge_fault" \
			log_has "$d/ktap/hugepfn_ref.tap" 'fault_maps_pmd:level pud via huge_fault'
		check "$label: the summary names the device memory's PUDs" log_has "$d.out" "hugepin_ref VRAM PUD ("
		;;
	esac
}

# Bad input: a one-line error and exit 2 before anything is fetched.
check_bad_input() {
	local d=$WORK/bad
	mkdir -p "$d"
	runsh "$d/arch" --arch mips --no-build
	check "--arch mips exits 2" is_rc 2
	check "--arch mips: one line naming the architectures" log_has "$d/arch.err" "--arch mips: x86_64, arm64 or riscv64"
	head -c 4096 /dev/zero >"$d/zero.img"
	runsh "$d/image" --arch arm64 --kernel "$d/zero.img" --no-build
	check "--arch arm64 --kernel with no Image header exits 2" is_rc 2
	check "--arch arm64 --kernel with no Image header: one line saying so" \
		log_has "$d/image.err" "no arm64 Image header"
}

T0=$(date +%s)
while read -r arch pkg ver _; do
	case $arch in '' | '#'*) continue ;; esac
	start_arch_kernel "$arch" "$pkg" "$ver"
done <"$TOP/tests/vm/arch-kernels.txt"
wait
while read -r arch pkg ver machine pud pages; do
	case $arch in '' | '#'*) continue ;; esac
	check_arch_kernel "$arch" "$pkg" "$ver" "$machine" "$pud" "$pages"
done <"$TOP/tests/vm/arch-kernels.txt"
# After the kernels: their runs have fetched what a run needs before it looks at --kernel.
check_bad_input
echo "# other architectures: $(($(date +%s) - T0)) s" | tee -a "$TAP.body"
tap_finish
exit "$FAILED"
