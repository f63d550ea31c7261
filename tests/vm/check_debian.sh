#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The Debian kernel matrix of `make check`: each kernel of
# tests/vm/debian-kernels.txt, fetched from its suite at its pinned version,
# booted with vmwgfx (bound through hugepin_vmwshim), bochs and the
# reference module, checked against its expected file and exit code. Then
# --no-vmwgfx-shim on Debian's default kernel, GEM shmem huge PMDs and the
# races of pfnmap_race on sid,
# VFIO-PCI BAR mappings on trixie (huge) and the default kernel (PTEs),
# and --module-tree with
# bullseye's TTM and vmwgfx sources, as found and as fixed. Writes KTAP to
# OUTDIR/debian.tap for tests/summary.sh.
# shellcheck disable=SC2317 # the predicates below run through check()
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/vm/lib.sh
. "$TOP/tests/vm/lib.sh"

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
check_dirs "$1" debian check_debian
# The programs and devices that answer the question for every kernel: the
# pin paths against vmwgfx (the driver that had the bug), bochs (TTM without
# huge faults) and the reference module, with the anonymous THP controls,
# and the detector controls (next to last, before hugepfn_ref): each
# detector must fire on every kernel.
TESTS=pin_odirect,pin_vmsplice,pin_iouring,pin_procvm,hugepfn_ref,pfnmap_vma,detector_controls
DEVICES=vmwgfx,bochs

# The huge pfn providers each kernel of the matrix must show, as its summary
# names them, with the matrix's --devices (vfio not among them): 5.10 has
# TTM's huge faults, 6.12 and 7.2 do not; GEM shmem huge PMDs from 7.0
# (bochs is a GEM shmem driver there); vfio-pci huge faults from 6.12.
providers_of() {
	printf '%s\n' "reference module: exercised at pmd" "reference module device memory: exercised at pmd"
	case $1 in
	bullseye)
		printf '%s\n' "TTM huge faults (vmwgfx): exercised" "GEM shmem huge PMDs: absent from this kernel" \
			"vfio-pci BAR huge faults: absent from this kernel" ;;
	trixie)
		printf '%s\n' "TTM huge faults (vmwgfx): absent from this kernel" \
			"GEM shmem huge PMDs: absent from this kernel" "vfio-pci BAR huge faults: not exercised" ;;
	sid)
		printf '%s\n' "TTM huge faults (vmwgfx): absent from this kernel" \
			"GEM shmem huge PMDs: exercised at pmd" "vfio-pci BAR huge faults: not exercised" ;;
	esac
}

vmwgfx_bound_through_shim() {
	has_rows "$1" '"device":"vmwgfx"' 'bound through hugepin_vmwshim' &&
		no_rows "$1" '"device":"vmwgfx"' '"verdict":"UNTESTABLE"'
}

# Checks every kernel gets, then the ones for its side of the fix.
check_kernel() {
	local suite=$1 pkg=$2 ver=$3 expect=$4 want=$5 d json t0 t1 p
	d=$WORK/$suite
	t0=$(date +%s)
	runsh "$d" --no-build --kernel-deb "$pkg=$ver" --tests "$TESTS" --devices "$DEVICES" --out "$d"
	t1=$(date +%s)
	json=$d/report.json
	if [ "$RC" = 2 ] && [ ! -s "$json" ]; then
		skip "debian:$suite $pkg=$ver" "$(grep -m1 'run.sh: ' "$d.err" || echo "run.sh exited 2")"
		return 0
	fi
	echo "# debian:$suite $pkg=$ver: $((t1 - t0)) s; $(grep -h 'timing:' "$d.err" | tail -n1)" | tee -a "$TAP.body"
	# Which providers formed huge pfn mappings on this kernel, and what they answered.
	grep -h -e '^Huge pfn mappings formed' -e '^[0-9]* SAFE, ' -e '^Provider ' "$d.out" |
		sed "s/^/# debian:$suite: /" | tee -a "$TAP.body" || true
	check "debian:$suite: run.sh exits $want" is_rc "$want"
	[ -s "$json" ] || { not_ok "debian:$suite: no report.json"; return 0; }
	if matches_expected "$d" "$TOP/tests/vm/$expect"; then
		ok "debian:$suite: verdicts match tests/vm/$expect"
	else
		not_ok "debian:$suite: verdicts match tests/vm/$expect"
		grep '^not ok' "$d/expect/expect.tap" | sed 's/^/# /' >>"$TAP.body" || true
	fi
	check "debian:$suite: vmwgfx bound through hugepin_vmwshim" vmwgfx_bound_through_shim "$json"
	check "debian:$suite: bochs tested" no_rows "$json" '"device":"bochs"' '"verdict":"UNTESTABLE"'
	check "debian:$suite: reference module loaded" \
		no_rows "$json" '"device":"hugepin_ref"' '"method":"-"' '"verdict":"UNTESTABLE"'
	check_controls "$d" "debian:$suite"
	while IFS= read -r p; do
		check "debian:$suite: summary line Provider $p" log_has "$d.out" "Provider $p"
	done < <(providers_of "$suite")
	if [ "$want" = 1 ]; then
		check "debian:$suite: TTM's refcount check fires when a pinned vmwgfx buffer is destroyed" \
			has_rows "$json" '"device":"vmwgfx"' '"verdict":"VULNERABLE"' 'Erroneous page count'
		check "debian:$suite: reference module VULNERABLE, expected (no PMD special bit)" \
			has_rows "$json" '"device":"hugepin_ref"' '"verdict":"VULNERABLE","expected":true'
		check "debian:$suite: no unexpected reference-module VULNERABLE" \
			no_rows "$json" '"device":"hugepin_ref"' '"verdict":"VULNERABLE","expected":false'
		check_pfnmap_vma "$json" "debian:$suite" plain
		check_devmem "$json" "debian:$suite" plain
	else
		check "debian:$suite: reference module mapped at PMD level and refused" \
			has_rows "$json" '"device":"hugepin_ref"' '"level":"pmd"' '"verdict":"SAFE"'
		check "debian:$suite: no reference-module pin got through" \
			no_rows "$json" '"device":"hugepin_ref"' '"verdict":"VULNERABLE"'
		check "debian:$suite: no kselftest program reports not ok" no_ktap_failures "$d"
		check_pfnmap_vma "$json" "debian:$suite" special
		check_devmem "$json" "debian:$suite" special
	fi
}

# The GEM shmem helper maps huge folios with huge pfn PMDs from 7.0: with no
# option (the library gives GEM shmem buffers huge shmem folios while they
# exist) vgem's and virtio-gpu's buffers must be PMD-mapped, every pin
# method against them refused, and the level read from the page tables
# (hugepin_walk), not guessed.
check_gem_shmem() {
	local suite=$1 pkg=$2 ver=$3 d dev
	d=$WORK/gem-shmem-$suite
	runsh "$d" --no-build --kernel-deb "$pkg=$ver" --tests pin_odirect,pin_vmsplice,pin_iouring,pin_procvm \
		--devices vgem,virtio_gpu --out "$d"
	if [ "$RC" = 2 ] && [ ! -s "$d/report.json" ]; then
		skip "debian:$suite GEM shmem huge PMDs" "$(grep -m1 'run.sh: ' "$d.err" || echo "run.sh exited 2")"
		return 0
	fi
	check "debian:$suite GEM shmem: run.sh exits 0" is_rc 0
	for dev in vgem virtio_gpu; do
		check "debian:$suite GEM shmem: $dev buffers mapped at PMD level, every method refused" \
			has_rows "$d/report.json" "\"device\":\"$dev\"" '"level":"pmd","verdict":"SAFE"' 'refused'
		check "debian:$suite GEM shmem: no $dev pin got through" \
			no_rows "$d/report.json" "\"device\":\"$dev\"" '"verdict":"VULNERABLE"'
	done
	check "debian:$suite GEM shmem: the summary names the huge pfn mappings" \
		log_has "$d.out" "vgem huge pfn ("
}

# vfio-pci maps PCI BARs with huge pfn PMDs and PUDs from 6.12 (--devices
# vfio: ivshmem's 1 GiB BAR): on $1 ($2=$3, or Debian's default kernel when
# $2 is empty) the vfio_bar.pmd and .pud cases must be SAFE at their level
# with every pin refused, or, where the kernel maps BARs with PTEs only
# ($4 = pte), UNTESTABLE with that level as the reason and exit 125. The
# misaligned mapping is PTE-mapped and refused everywhere.
check_vfio() {
	local name=$1 pkg=$2 ver=$3 huge=$4 d lvl
	local -a kernel=()
	d=$WORK/vfio-$name
	[ -z "$pkg" ] || kernel=(--kernel-deb "$pkg=$ver")
	runsh "$d" --no-build "${kernel[@]}" --devices vfio \
		--tests pin_odirect,pin_vmsplice,pin_iouring,pin_procvm --out "$d"
	if [ "$RC" = 2 ] && [ ! -s "$d/report.json" ]; then
		skip "vfio on $name" "$(grep -m1 'run.sh: ' "$d.err" || echo "run.sh exited 2")"
		return 0
	fi
	check "vfio on $name: ivshmem bound to vfio-pci, no setup failure" \
		no_rows "$d/report.json" '"device":"vfio"' '"method":"-"'
	check "vfio on $name: no vfio pin got through" \
		no_rows "$d/report.json" '"device":"vfio"' '"verdict":"VULNERABLE"'
	check "vfio on $name: the misaligned BAR mapping is PTE-mapped and refused" \
		has_rows "$d/report.json" '"name":"vfio_bar.misaligned.' '"level":"pte","verdict":"SAFE"' 'refused'
	check "vfio on $name: no kselftest program reports not ok" no_ktap_failures "$d"
	if [ "$huge" = pte ]; then
		for lvl in pmd pud; do
			check "vfio on $name: vfio_bar.$lvl UNTESTABLE, level pte" \
				has_rows "$d/report.json" "\"name\":\"vfio_bar.$lvl." '"verdict":"UNTESTABLE"' \
				'no huge mapping formed (level pte'
			check "vfio on $name: no vfio_bar.$lvl case SAFE" \
				no_rows "$d/report.json" "\"name\":\"vfio_bar.$lvl." '"verdict":"SAFE"'
		done
		check "vfio on $name: nothing formed a huge pfn mapping, exit 125" is_rc 125
		return 0
	fi
	for lvl in PMD PUD; do
		check "vfio on $name: the summary names the BAR's $lvl mappings" \
			log_has "$d.out" "vfio-pci BAR $lvl ("
	done
	for lvl in pmd pud; do
		check "vfio on $name: vfio_bar.$lvl mapped at level $lvl, every pin refused" \
			has_rows "$d/report.json" "\"name\":\"vfio_bar.$lvl." "\"level\":\"$lvl\",\"verdict\":\"SAFE\"" 'refused'
		check "vfio on $name: no vfio_bar.$lvl case below level $lvl" \
			no_rows "$d/report.json" "\"name\":\"vfio_bar.$lvl." '"verdict":"UNTESTABLE"'
	done
	check "vfio on $name: run.sh exits 0" is_rc 0
}

# The races of pfnmap_race on sid's kernel, which has the three fixes they
# are for (tests/revert_races.sh shows each one caught with its fix undone):
# the walker against a refaulting PUD of vfio's BAR, follow_pfnmap_start()
# against a splitting one (the module's follow check armed), and fork
# against THP migration between two NUMA nodes. Each must be SAFE over the
# mapping it needs, with its window opened.
check_races() {
	local suite=$1 pkg=$2 ver=$3 d j
	d=$WORK/races-$suite
	j=$d/report.json
	runsh "$d" --no-build --kernel-deb "$pkg=$ver" --devices vfio --numa 2 --smp 4 --tests pfnmap_race --out "$d"
	if [ "$RC" = 2 ] && [ ! -s "$j" ]; then
		skip "debian:$suite races" "$(grep -m1 'run.sh: ' "$d.err" || echo "run.sh exited 2")"
		return 0
	fi
	echo "# debian:$suite races: $(grep -h 'timing:' "$d.err" | tail -n1)" | tee -a "$TAP.body"
	grep -h '"name":"[a-z_]*_race\.' "$j" | grep -o '"name":"[^"]*"\|"evidence":"[^"]*' |
		sed 's/^/# /' >>"$TAP.body" || true
	check "debian:$suite races: run.sh exits 0" is_rc 0
	check "debian:$suite races: walker vs PUD refault (9b25a6e3d243) SAFE over a vfio PUD, PUD split" \
		has_rows "$j" '"name":"vfio_race.pud.walk_refault"' '"level":"pud","verdict":"SAFE"' 'thp_split_pud +'
	check "debian:$suite races: follow_pfnmap vs PUD split (ffef67b93aa3) SAFE, follow check armed, nothing stale" \
		has_rows "$j" '"name":"vfio_race.pud.follow_split"' '"level":"pud","verdict":"SAFE"' ' 0 stale'
	check "debian:$suite races: fork vs THP migration (47fa30118f02) SAFE over a THP, THPs migrated" \
		has_rows "$j" '"name":"anon_race.thp.fork_migrate"' '"level":"pmd","verdict":"SAFE"' 'thp_migration_success +'
	check "debian:$suite races: no kselftest program reports not ok" no_ktap_failures "$d"
}

# Without the shim vmwgfx stays unbound under QEMU, and says why.
check_no_shim() {
	local d=$WORK/no-shim
	runsh "$d" --no-build --no-vmwgfx-shim --tests pin_vmsplice --devices vmwgfx --out "$d"
	check "--no-vmwgfx-shim: vmwgfx UNTESTABLE, no pitchlock" \
		has_rows "$d/report.json" '"device":"vmwgfx"' '"verdict":"UNTESTABLE"' 'pitchlock'
	check "--no-vmwgfx-shim: nothing formed a huge pfn mapping, exit 125" is_rc 125
}

# drivers/gpu/drm/ttm and drivers/gpu/drm/vmwgfx of Debian's linux-source-5.10
# version $1, unpacked once into the cache through run.sh's private apt setup.
modtree_source() {
	local ver=$1 fx
	fx=${HUGEPIN_CACHE:-$TOP/build/cache}/fixtures/linux-source-5.10_$ver
	if [ ! -e "$fx/.unpacked" ]; then
		(
			HP_CACHE=${HUGEPIN_CACHE:-$TOP/build/cache}
			# shellcheck source=host/vm/common.sh
			. "$TOP/host/vm/common.sh"
			# shellcheck source=host/vm/debian.sh
			. "$TOP/host/vm/debian.sh"
			debian_fetch linux-source-5.10 "$ver" || { echo "check_debian: $DEBIAN_ERR" >&2; exit 1; }
			rm -rf "$fx.tmp.$$"
			mkdir -p "$fx.tmp.$$"
			dpkg-deb --fsys-tarfile "$DEBIAN_DEB" | tar -xO ./usr/src/linux-source-5.10.tar.xz |
				xz -T0 -dc | tar -x -C "$fx.tmp.$$" --strip-components=1 \
				linux-source-5.10/drivers/gpu/drm/ttm linux-source-5.10/drivers/gpu/drm/vmwgfx
			rm -f "$DEBIAN_DEB"
			: >"$fx.tmp.$$/.unpacked"
			rm -rf "$fx"
			mv "$fx.tmp.$$" "$fx"
		) || return 1
	fi
	printf '%s\n' "$fx"
}

no_huge_fault_left() {
	! grep -q 'huge_fault' "$1/drivers/gpu/drm/vmwgfx/vmwgfx_ttm_glue.c"
}

log_has() {
	grep -qF -- "$2" "$1"
}

# --module-tree on bullseye's kernel: its own TTM and vmwgfx sources rebuilt
# against its headers reproduce the bug; the same sources without vmwgfx's
# huge fault handler (the TTM side's fix) do not, which --bisect-fixed
# --fixed-without-huge counts as fixed and a plain run as inconclusive.
check_modtree() {
	local pkg=$1 ver=$2 src vuln=$WORK/tree-vulnerable fixed=$WORK/tree-fixed d
	local -a args
	if ! src=$(modtree_source "$ver" 2>"$WORK/modtree-source.err"); then
		skip "--module-tree" "linux-source-5.10=$ver: $(tail -n1 "$WORK/modtree-source.err")"
		return 0
	fi
	mkdir -p "$vuln" "$fixed"
	cp -r "$src/drivers" "$vuln/"
	cp -r "$src/drivers" "$fixed/"
	sed -i '/\.huge_fault = vmw_bo_vm_huge_fault,/d' "$fixed/drivers/gpu/drm/vmwgfx/vmwgfx_ttm_glue.c"
	check "--module-tree fixture: the fixed sources no longer set .huge_fault" no_huge_fault_left "$fixed"
	args=(--no-build --kernel-deb "$pkg=$ver" --tests pin_vmsplice --devices vmwgfx --bisect-on vmwgfx)
	d=$WORK/modtree-vulnerable
	runsh "$d" "${args[@]}" --bisect-fixed --fixed-without-huge --module-tree "$vuln" --out "$d"
	check "--module-tree: ttm and vmwgfx built from linux-source-5.10 and loaded" \
		log_has "$d.err" "modules ttm vmwgfx from $vuln"
	check "--module-tree, 5.10's own sources: vmwgfx VULNERABLE" \
		has_rows "$d/report.json" '"device":"vmwgfx"' '"verdict":"VULNERABLE"'
	check "--module-tree, 5.10's own sources: still vulnerable under --bisect-fixed (exit 0)" is_rc 0
	d=$WORK/modtree-fixed
	runsh "$d" "${args[@]}" --bisect-fixed --fixed-without-huge --module-tree "$fixed" --out "$d"
	check "--module-tree, no huge fault: no vmwgfx pin got through" \
		no_rows "$d/report.json" '"device":"vmwgfx"' '"verdict":"VULNERABLE"'
	check "--module-tree, no huge fault: the summary says no huge mapping formed" \
		log_has "$d.out" "NO HUGE MAPPING: "
	check "--module-tree, no huge fault: fixed under --fixed-without-huge (exit 1)" is_rc 1
	d=$WORK/modtree-fixed-strict
	runsh "$d" "${args[@]}" --bisect --module-tree "$fixed" --out "$d"
	check "--module-tree, no huge fault, without --fixed-without-huge: inconclusive (exit 125)" is_rc 125
}

T0=$(date +%s)
while read -r suite pkg ver expect want; do
	case $suite in '' | '#'*) continue ;; esac
	check_kernel "$suite" "$pkg" "$ver" "$expect" "$want"
done <"$TOP/tests/vm/debian-kernels.txt"
check_no_shim
read -r _ GS_PKG GS_VER _ < <(grep '^sid ' "$TOP/tests/vm/debian-kernels.txt")
check_gem_shmem sid "$GS_PKG" "$GS_VER"
check_races sid "$GS_PKG" "$GS_VER"
read -r _ VF_PKG VF_VER _ < <(grep '^trixie ' "$TOP/tests/vm/debian-kernels.txt")
check_vfio trixie "$VF_PKG" "$VF_VER" huge
check_vfio default '' '' pte
read -r _ MT_PKG MT_VER _ < <(grep '^bullseye ' "$TOP/tests/vm/debian-kernels.txt")
T1=$(date +%s)
check_modtree "$MT_PKG" "$MT_VER"
echo "# --module-tree checks: $(($(date +%s) - T1)) s" | tee -a "$TAP.body"
echo "# Debian kernel matrix: $(($(date +%s) - T0)) s" | tee -a "$TAP.body"
tap_finish
exit "$FAILED"
