#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# hugepin: is this kernel affected? Boots a kernel in QEMU with emulated GPUs
# (bochs and qxl on TTM, virtio-gpu and vgem on GEM shmem, vmware-svga) and
# the reference module, runs the suite inside, and prints one verdict per
# case, device and pin method. Default kernel: Debian's current
# linux-image-amd64. Also runs the suite on the running kernel (--host), and
# serves `git bisect run` (--bisect: 0 safe, 1 reproduced, 125 untestable).
set -euo pipefail

HP_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HP_CACHE=${HUGEPIN_CACHE:-$HP_TOP/build/cache}
HP_T0=$(date +%s.%N)
# shellcheck source=host/vm/common.sh
. "$HP_TOP/host/vm/common.sh"
# shellcheck source=host/vm/protocol.sh
. "$HP_TOP/host/vm/protocol.sh"
# shellcheck source=host/vm/devices.sh
. "$HP_TOP/host/vm/devices.sh"
HP_DEVICES_ALL=$(hp_vm_devices)
readonly HP_DEVICES_ALL
# shellcheck source=host/vm/deps.sh
. "$HP_TOP/host/vm/deps.sh"
# shellcheck source=host/vm/kernel.sh
. "$HP_TOP/host/vm/kernel.sh"
# shellcheck source=host/vm/initramfs.sh
. "$HP_TOP/host/vm/initramfs.sh"
# shellcheck source=host/vm/qemu.sh
. "$HP_TOP/host/vm/qemu.sh"
# shellcheck source=host/vm/collect.sh
. "$HP_TOP/host/vm/collect.sh"
# shellcheck source=host/vm/userland.sh
. "$HP_TOP/host/vm/userland.sh"
# shellcheck source=host/vm/modtree.sh
. "$HP_TOP/host/vm/modtree.sh"
# shellcheck source=host/kbuild.sh
. "$HP_TOP/host/kbuild.sh"
# shellcheck source=host/lava/job.sh
. "$HP_TOP/host/lava/job.sh"

# kbuild.sh reports through die MESSAGE CODE; its failures are setup errors.
die() {
	hp_die "$1"
}

# Modules the guest loads: transport first, then the GPU drivers the
# devices bind to, vgem, vfio (opt-in), null_blk, and ext4 for the page-cache disk.
readonly HP_GUEST_MODULES="virtio_pci virtio_console virtio_blk bochs qxl virtio-gpu vgem vmwgfx vfio-pci vfio_iommu_type1 null_blk ext4 nd_e820 nd_pmem dax_pmem device_dax"

# DAX: x86's legacy pmem, guest RAM that memmap=SIZE!START sets aside as a
# pmem region, which the guest's init makes a device DAX (init.sh
# dax_setup). START leaves the first GiB to the kernel; the guest needs
# SIZE more than that.
readonly HP_DAX_SIZE=256M HP_DAX_START=1G HP_DAX_MIN_MEM_MB=1536

# Guest deaths in one program's cases of one device before the runner stops
# resuming it there (run_boots).
readonly HP_CRASH_BOUND=2

usage() {
	# The device list from the runner's device table (host/vm/devices.sh).
	sed "s/@DEVICES@/$(hp_vm_devices)/" <<'USAGE'
usage: ./run.sh [options]
Boot a kernel in QEMU with emulated GPUs and the hugepin suite; print one
verdict per case and pin method. Exit: 0 nothing unexpected was VULNERABLE,
1 something was, 125 nothing could be tested, 2 usage or setup error.

Kernel (default: the current kernel of the host's Debian release, else of
bookworm, as --kernel-deb debian:SUITE gives it; for riscv64, trixie's):
  --arch ARCH            the guest's architecture: x86_64 (default, the host's),
                         arm64 or riscv64 (QEMU's virt machine under TCG; the suite
                         cross-built, the kernel, busybox and libraries from Debian's
                         packages of that architecture)
  --kernel PATH          bzImage (arm64, riscv64: Image, plain or compressed) to boot
  --modules DIR          its lib/modules/<release> tree (none: all built in)
  --kernel-deb SPEC      a Debian kernel: FILE.deb; NAME[=VERSION] from any suite
                         below (apt's candidate without =VERSION); or debian:SUITE,
                         that suite's current kernel: bullseye, bookworm (both with
                         their -security updates), bookworm-backports, trixie, sid,
                         experimental. Fetched through a private apt setup in
                         build/cache/debian, never installed; the headers for the
                         reference module come from the same suite
                         (HUGEPIN_DEBIAN_MIRROR: a mirror other than deb.debian.org)
  --kernel-tree DIR      build the kernel tree DIR with ./config over defconfig
  --base-config FILE     with --kernel-tree: start from FILE instead of defconfig
  --module-tree DIR      with a Debian kernel (or --kernel and --modules): build
                         driver directories of the kernel source tree DIR against
                         that kernel's headers and load them in place of its own
                         (bisects a driver without building kernels)
  --module-dirs LIST     those directories, in build order (default
                         drivers/gpu/drm/ttm,drivers/gpu/drm/vmwgfx: the TTM side)
  --matrix FILE          run every kernel listed in FILE (one per line: bzImage,
                         .deb, package name, debian:SUITE, tree, or TREE@REF for a
                         git ref of a tree, built in a worktree; "ARCH KERNEL" for
                         another architecture than --arch's) and write a
                         kernel x case table
What to run:
  --tests PATTERN        comma list of globs over program names and case names
  --devices LIST         QEMU GPUs and vgem: @DEVICES@ (default all
                         of these; qxl and vmwgfx are x86 only); vfio (opt-in: ivshmem's
                         1 GiB BAR through vfio-pci, on a q35 machine with intel-iommu,
                         on arm64 the virt machine with an SMMUv3, for the vfio_bar cases)
  --thp MODE             transparent_hugepage mode for each program (default madvise)
  --shmem-thp MODE       transparent_hugepage/shmem_enabled for each program (default:
                         the kernel's, usually never): always gives GEM shmem buffers
                         (vgem, virtio_gpu) huge folios, which 7.0+ maps with huge PMDs
  --duration S           seconds per race and stress pass, 0.1 to 86400 (default 0.5; HUGEPIN_DURATION in the guest)
  --args ARGS            arguments for drm_repro/gup_stress when --tests selects them
Guest:
  --mem SIZE             guest memory (default 2G)
  --smp N                guest CPUs (default 2)
  --numa N               split the guest's memory into N NUMA nodes (numa=fake=N; for
                         pfnmap_race's fork_migrate, which migrates THPs between nodes)
  --timeout S            stop a boot after S seconds (default 300); later programs
                         then run on a fresh boot
  --no-vmwgfx-shim       leave vmwgfx unbound when QEMU's vmware-svga lacks the
                         pitchlock capability (default: bind it through the
                         hugepin_vmwshim module, a kretprobe on that one check)
Results:
  --out DIR              artifacts (default build/out/<release>-<time>)
  --keep                 keep the initrd and scratch disk in --out
  --verbose              print every test x device x method row (default: a device x
                         method grid, evidence for VULNERABLE and UNTESTABLE cells)
  --bisect               for git bisect run: setup failures exit 125
  --bisect-on GLOBS      only cases matching GLOBS (as --tests) decide the exit code
  --bisect-fixed         for bisecting a fix: exit 0 while still VULNERABLE, 1 once SAFE
                         (git bisect start --term-old=vulnerable --term-new=fixed)
  --fixed-without-huge   with --bisect-fixed: deciding cases that ran SAFE but formed no
                         huge pfn mapping count as fixed (a fix that removed the huge
                         mapping itself, as TTM's did); without it such a step exits 125
Other modes:
  --lava-job DIR         boot nothing: write a LAVA job for this kernel into DIR (the
                         kernel, a rootfs, the kselftest tarball, job.yaml for LAVA's
                         qemu device type, board-job.yaml for a real board)
  --host                 run the suite on the running kernel, no VM
  --i-know-this-can-crash  with --host: also pin DRM and reference-module mappings,
                         which can corrupt this machine's memory
  --no-build             use build/bin-static as it is (no make)
Tests of the runner itself:
  --inject-panic         crash the guest (sysrq c) in the first case of the first
                         boot; the next boot resumes after that case
  --inject-hang          stall the guest in that case instead
  --inject-panic-device DEV  crash the guest in every case that pins device DEV, on
                         every boot: after two such deaths in one program, the
                         runner stops pinning DEV there (NOT RUN, with the reason)
  -h, --help             this text
USAGE
}

OPT_KERNEL='' OPT_MODULES='' OPT_MODULES_SET=0 OPT_KERNEL_DEB='' OPT_TESTS='' OPT_DEVICES=$HP_DEVICES_ALL OPT_DEVICES_SET=0
OPT_THP=madvise OPT_SHMEM_THP='' OPT_DURATION=0.5 OPT_ARGS='' OPT_MEM=2G OPT_SMP=2 OPT_NUMA='' OPT_TIMEOUT=300 OPT_OUT='' OPT_KEEP=0
OPT_BISECT_ON='' OPT_HOST=0 OPT_CRASH_OK=0 OPT_BUILD=1 OPT_INJECT='' OPT_TREE='' OPT_BASE_CONFIG=''
OPT_MATRIX='' OPT_ARCH='' OPT_LAVA_JOB='' OPT_VMWSHIM=1 OPT_VERBOSE=0 OPT_UNMAPPED_FIXED=0 OPT_MODTREE='' OPT_MODTREE_DIRS=$HP_MODTREE_DIRS
# The options a --matrix run hands on to each kernel's run.
PASS_ARGS=()

# Value of option $1, which must be present ($2 is the remaining arg count).
need_arg() {
	[ "$2" -ge 2 ] || hp_usage_error "$1 needs a value"
}

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--arch) need_arg "$1" $#; OPT_ARCH=$2; shift ;;
		--kernel) need_arg "$1" $#; OPT_KERNEL=$2; shift ;;
		--modules) need_arg "$1" $#; OPT_MODULES=$2; OPT_MODULES_SET=1; shift ;;
		--kernel-deb) need_arg "$1" $#; OPT_KERNEL_DEB=$2; shift ;;
		--kernel-tree) need_arg "$1" $#; OPT_TREE=$2; shift ;;
		--base-config) need_arg "$1" $#; OPT_BASE_CONFIG=$2; shift ;;
		--module-tree) need_arg "$1" $#; OPT_MODTREE=$2; shift ;;
		--module-dirs) need_arg "$1" $#; OPT_MODTREE_DIRS=$2; shift ;;
		--matrix) need_arg "$1" $#; OPT_MATRIX=$2; shift ;;
		--tests) need_arg "$1" $#; OPT_TESTS=$2; PASS_ARGS+=("$1" "$2"); shift ;;
		--devices) need_arg "$1" $#; OPT_DEVICES=$2 OPT_DEVICES_SET=1; PASS_ARGS+=("$1" "$2"); shift ;;
		--thp) need_arg "$1" $#; OPT_THP=$2; PASS_ARGS+=("$1" "$2"); shift ;;
		--shmem-thp) need_arg "$1" $#; OPT_SHMEM_THP=$2; PASS_ARGS+=("$1" "$2"); shift ;;
		--duration) need_arg "$1" $#; OPT_DURATION=$2; PASS_ARGS+=("$1" "$2"); shift ;;
		--args) need_arg "$1" $#; OPT_ARGS=$2; PASS_ARGS+=("$1" "$2"); shift ;;
		--mem) need_arg "$1" $#; OPT_MEM=$2; PASS_ARGS+=("$1" "$2"); shift ;;
		--smp) need_arg "$1" $#; OPT_SMP=$2; PASS_ARGS+=("$1" "$2"); shift ;;
		--numa) need_arg "$1" $#; OPT_NUMA=$2; PASS_ARGS+=("$1" "$2"); shift ;;
		--timeout) need_arg "$1" $#; OPT_TIMEOUT=$2; PASS_ARGS+=("$1" "$2"); shift ;;
		--out) need_arg "$1" $#; OPT_OUT=$2; shift ;;
		--keep) OPT_KEEP=1; PASS_ARGS+=("$1") ;;
		--no-vmwgfx-shim) OPT_VMWSHIM=0; PASS_ARGS+=("$1") ;;
		--verbose) OPT_VERBOSE=1; PASS_ARGS+=("$1") ;;
		--bisect) HP_BISECT=1 ;;
		--bisect-fixed) HP_BISECT=1 HP_BISECT_FIXED=1 ;;
		--fixed-without-huge) OPT_UNMAPPED_FIXED=1 ;;
		--bisect-on) need_arg "$1" $#; OPT_BISECT_ON=$2; PASS_ARGS+=("$1" "$2"); shift ;;
		--host) OPT_HOST=1 ;;
		--lava-job) need_arg "$1" $#; OPT_LAVA_JOB=$2; shift ;;
		--i-know-this-can-crash) OPT_CRASH_OK=1 ;;
		--no-build) OPT_BUILD=0; PASS_ARGS+=("$1") ;;
		--inject-panic) OPT_INJECT=panic ;;
		--inject-hang) OPT_INJECT=hang ;;
		--inject-panic-device) need_arg "$1" $#; OPT_INJECT=panic-device:$2; shift ;;
		-h | --help) usage; exit 0 ;;
		*) hp_usage_error "unknown option '$1'" ;;
		esac
		shift
	done
	hp_arch_set "${OPT_ARCH:-$(hp_arch_host)}"
	local sources=0
	for src in "$OPT_KERNEL" "$OPT_KERNEL_DEB" "$OPT_TREE" "$OPT_MATRIX"; do
		[ -z "$src" ] || sources=$((sources + 1))
	done
	[ "$sources" -le 1 ] || hp_usage_error "--kernel, --kernel-deb, --kernel-tree and --matrix exclude each other"
	[ -z "$OPT_BASE_CONFIG" ] || [ -n "$OPT_TREE" ] || hp_usage_error "--base-config goes with --kernel-tree"
	[ "$OPT_UNMAPPED_FIXED" = 0 ] || [ "$HP_BISECT_FIXED" = 1 ] || hp_usage_error "--fixed-without-huge goes with --bisect-fixed"
	if [ -n "$OPT_MODTREE" ]; then
		[ -d "$OPT_MODTREE" ] || hp_usage_error "--module-tree $OPT_MODTREE: no such directory"
		[ -z "$OPT_TREE$OPT_MATRIX" ] || hp_usage_error "--module-tree goes with --kernel-deb or --kernel, not --kernel-tree or --matrix"
		[ "$OPT_HOST" = 0 ] || hp_usage_error "--module-tree needs the VM (not --host)"
	fi
	[ -z "$OPT_BASE_CONFIG" ] || [ -r "$OPT_BASE_CONFIG" ] || hp_usage_error "--base-config $OPT_BASE_CONFIG: no such file"
	[ "$OPT_MODULES_SET" = 0 ] || [ -n "$OPT_KERNEL" ] || hp_usage_error "--modules goes with --kernel"
	[[ $OPT_SMP =~ ^[1-9][0-9]?$ ]] || hp_usage_error "--smp $OPT_SMP: a CPU count from 1 to 99"
	[ -z "$OPT_NUMA" ] || [[ $OPT_NUMA =~ ^[2-8]$ ]] || hp_usage_error "--numa $OPT_NUMA: a node count from 2 to 8"
	[[ $OPT_MEM =~ ^[1-9][0-9]*[MG]$ ]] || hp_usage_error "--mem $OPT_MEM: a size like 2G or 1536M"
	[[ $OPT_TIMEOUT =~ ^[1-9][0-9]*$ ]] || hp_usage_error "--timeout $OPT_TIMEOUT: whole seconds > 0"
	[ -z "$OPT_DURATION" ] || { [[ $OPT_DURATION =~ ^[0-9]+(\.[0-9]+)?$ ]] && awk -v d="$OPT_DURATION" 'BEGIN { exit !(d >= 0.1 && d <= 86400) }'; } ||
		hp_usage_error "--duration $OPT_DURATION: seconds from 0.1 to 86400, like 1 or 0.5"
	case $OPT_THP in always | madvise | never) ;; *) hp_usage_error "--thp $OPT_THP: always, madvise or never" ;; esac
	case $OPT_SHMEM_THP in '' | always | within_size | advise | never | deny | force) ;;
	*) hp_usage_error "--shmem-thp $OPT_SHMEM_THP: always, within_size, advise, never, deny or force" ;;
	esac
	[[ $OPT_TESTS =~ ^[][A-Za-z0-9_.*?,/-]*$ ]] || hp_usage_error "--tests '$OPT_TESTS': globs of names, no spaces"
	[[ $OPT_ARGS =~ ^[A-Za-z0-9_.=/\ -]*$ ]] || hp_usage_error "--args '$OPT_ARGS': plain words only"
	qemu_gpu_args "$OPT_DEVICES" >/dev/null
	if [ -n "$HP_CROSS" ]; then
		[ -z "$OPT_TREE" ] || hp_usage_error "--kernel-tree builds x86_64 kernels only: pass --kernel arch/$HP_KARCH/boot/Image --modules DIR for $HP_ARCH"
		[ -z "$OPT_MODTREE" ] || hp_usage_error "--module-tree builds for x86_64 kernels only"
		[ "$OPT_HOST" = 0 ] || hp_usage_error "--host runs on this machine's own architecture: no --arch $HP_ARCH"
		command -v "${HP_CROSS}gcc" >/dev/null || [ "$(id -u)" = 0 ] ||
			hp_usage_error "--arch $HP_ARCH needs ${HP_CROSS}gcc: as root run apt-get install -y $(userland_cross_package)"
	fi
	if [ "$OPT_HOST" = 1 ] && { [ "$sources" != 0 ] || [ -n "$OPT_INJECT" ]; }; then
		hp_usage_error "--host runs on this kernel: no --kernel*, --matrix or --inject-*"
	fi
	[ "$OPT_CRASH_OK" = 0 ] || [ "$OPT_HOST" = 1 ] || hp_usage_error "--i-know-this-can-crash goes with --host"
	[ -z "$OPT_LAVA_JOB" ] || [ "$OPT_HOST$OPT_MATRIX" = 0 ] || hp_usage_error "--lava-job writes one kernel's job: not with --host or --matrix"
}

# Names from a variable assignment in selftests/Makefile.
makefile_list() {
	sed -n "s/^$1 := //p" "$HP_TOP/selftests/Makefile"
}

# Sets PROGS (programs to run, in order) and CASE_FILTER (the globs that
# named no program, left for the programs to match against case names).
select_programs() {
	local bindir=$1 glob p hit
	local -a defaults extended prog_globs=() case_globs=()
	read -r -a defaults <<<"$(makefile_list TEST_GEN_PROGS)"
	read -r -a extended <<<"$(makefile_list TEST_GEN_PROGS_EXTENDED)"
	for glob in ${OPT_TESTS//,/ }; do
		hit=0
		for p in "${defaults[@]}" "${extended[@]}"; do
			# shellcheck disable=SC2053 # the right side is a glob on purpose
			[[ $p == $glob ]] && hit=1
		done
		if [ $hit = 1 ]; then prog_globs+=("$glob"); else case_globs+=("$glob"); fi
	done
	PROGS=()
	for p in "${defaults[@]}" "${extended[@]}"; do
		if [ ${#prog_globs[@]} -gt 0 ]; then
			hit=0
			for glob in "${prog_globs[@]}"; do
				# shellcheck disable=SC2053
				[[ $p == $glob ]] && hit=1
			done
			[ $hit = 1 ] || continue
		elif [[ " ${extended[*]} " == *" $p "* ]]; then
			continue
		fi
		if [ -x "$bindir/$p" ]; then
			PROGS+=("$p")
		else
			hp_progress "warning: $p not built in $bindir: skipped"
		fi
	done
	[ ${#PROGS[@]} -gt 0 ] || hp_die "no test programs to run in $bindir (build with make STATIC=1, or check --tests)"
	CASE_FILTER=$(IFS=,; printf '%s' "${case_globs[*]}")
	[ ${#case_globs[@]} -eq 0 ] || check_case_globs "$bindir" "${case_globs[@]}"
}

# Every --tests glob that named no program must name cases: a typo must not
# run the whole suite. The case names come from the programs themselves
# (HUGEPIN_LIST), run on this machine, where they only print them.
check_case_globs() {
	local bindir=$1 glob p n
	local -a names=()
	shift
	# Another architecture's programs do not run here: the host's build of
	# the same sources names the same cases.
	if [ -n "$HP_CROSS" ]; then
		bindir=$HP_TOP/build/bin-static
		[ -x "$bindir/hugepfn_ref" ] ||
			flock "$HP_TOP/build/.make.lock" make -s -j"$(nproc)" -C "$HP_TOP" STATIC=1 all >&2 ||
			hp_die "make STATIC=1 all (the host's build, which lists the cases) failed"
	fi
	for p in $(makefile_list HUGEPIN_CASE_PROGS); do
		[ -x "$bindir/$p" ] || continue
		mapfile -t -O "${#names[@]}" names < <(cd "${TMPDIR:-/tmp}" &&
			HUGEPIN_LIST=1 timeout 60 "$bindir/$p" 2>/dev/null | sed -n 's/^# hugepin-case //p')
	done
	for glob in "$@"; do
		for n in "${names[@]}"; do
			# shellcheck disable=SC2053 # the right side is a glob on purpose
			[[ $n == $glob || ${n#*:} == $glob ]] && continue 2
		done
		hp_usage_error "--tests: '$glob' names no program ($(makefile_list TEST_GEN_PROGS) $(makefile_list TEST_GEN_PROGS_EXTENDED)) and no case (e.g. ${names[0]#*:}, ${names[-1]#*:})"
	done
}

build_suite() {
	local t0
	t0=$(date +%s.%N)
	if [ "$OPT_BUILD" = 1 ]; then
		hp_progress "building the suite (make $*)"
		# Runs in one checkout share build/: one make at a time.
		mkdir -p "$HP_TOP/build"
		flock "$HP_TOP/build/.make.lock" make -s -j"$(nproc)" -C "$HP_TOP" "$@" >&2 ||
			hp_die "make $* failed: fix the build first"
		flock "$HP_TOP/build/.make.lock" make -s -C "$HP_TOP" "$HP_TOP/build/bin/hp_report" >&2 ||
			hp_die "make build/bin/hp_report failed"
	fi
	[ -x "$HP_TOP/build/bin/hp_report" ] || hp_die "no build/bin/hp_report: run make (or drop --no-build)"
	TIME_BUILD=$(hp_secs "$t0" "$(date +%s.%N)")
}

# build_suite "$@" in the background, beside the kernel's fetch and unpack;
# build_wait takes its result (a failure has been reported already).
BUILD_PID=''
build_start() {
	mkdir -p "$HP_CACHE"
	BUILD_TIME_FILE=$HP_CACHE/stage.$$.build_s
	{ build_suite "$@" && printf '%s\n' "$TIME_BUILD" >"$BUILD_TIME_FILE"; } &
	BUILD_PID=$!
}

build_wait() {
	[ -n "$BUILD_PID" ] || return 0
	local pid=$BUILD_PID
	BUILD_PID=''
	wait "$pid" || exit "$?"
	TIME_BUILD=$(<"$BUILD_TIME_FILE")
	rm -f "$BUILD_TIME_FILE"
}

# The headers of a Debian kernel unpacked and the module built against
# them in the background, beside the kernel's own unpack and the suite's
# build; headers_wait waits, and the run then finds both in the cache (or
# tries again and reports why not).
HEADERS_PID=''
headers_start() {
	local rel
	[ -z "$OPT_TREE" ] && [ -z "$OPT_KERNEL" ] && [ -n "${DEB_NAME:-}" ] || return 0
	rel=${DEB_NAME#linux-image-}
	rel=${rel#linux-binary-}
	[ ! -e "/usr/src/linux-headers-$rel/Makefile" ] || return 0
	{
		headers_locked headers_from_debian "$rel" "$DEB_VERSION"
		[ -z "$KERNEL_HEADERS" ] || module_build "$rel" "$KERNEL_HEADERS"
	} &
	HEADERS_PID=$!
}

headers_wait() {
	[ -n "$HEADERS_PID" ] || return 0
	wait "$HEADERS_PID" || true
	HEADERS_PID=''
}

# The network part of resolve_kernel, which needs no host package: refresh
# the private Debian lists and download the kernel and its headers when
# they come from Debian's archive.
kernel_prefetch() {
	[ -z "$OPT_TREE" ] && [ -z "$OPT_KERNEL" ] || return 0
	kernel_spec_package "${OPT_KERNEL_DEB:-$(kernel_default_spec)}"
	[ -n "$DEB_FILE" ] || debian_prefetch "$DEB_NAME" "$DEB_VERSION"
}

# Sets KERNEL_IMAGE, RELEASE and MOD_ROOT from the options.
resolve_kernel() {
	MODULES_DIR='' KERNEL_KDIR='' KERNEL_DEB_VERSION=''
	if [ -n "$OPT_TREE" ]; then
		[ -d "$OPT_TREE" ] || hp_die "--kernel-tree $OPT_TREE: no such directory"
		hp_progress "building kernel tree $OPT_TREE"
		KERNEL_KDIR=$(kbuild_tree "$(readlink -f "$OPT_TREE")" "$HP_CACHE" "$OPT_BASE_CONFIG" \
			"$HP_TOP/config" "$(nproc)") || hp_die "kernel build of $OPT_TREE failed"
		KERNEL_IMAGE=$KERNEL_KDIR/arch/x86/boot/bzImage
		MODULES_DIR=$(find "$KERNEL_KDIR/modroot/lib/modules" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | head -n1)
	elif [ -n "$OPT_KERNEL" ]; then
		KERNEL_IMAGE=$(readlink -f "$OPT_KERNEL" || printf '%s' "$OPT_KERNEL")
		MODULES_DIR=$OPT_MODULES
	else
		kernel_from_spec "${OPT_KERNEL_DEB:-$(kernel_default_spec)}"
	fi
	RELEASE=$(kernel_release "$KERNEL_IMAGE")
	if [ -n "$MODULES_DIR" ] && [ "$(basename "$(readlink -f "$MODULES_DIR")")" != "$RELEASE" ] &&
		[ -d "$(dirname "$(readlink -f "$MODULES_DIR")")/$RELEASE" ]; then
		hp_die "--modules $MODULES_DIR is not for $RELEASE"
	fi
	kernel_modroot "$MODULES_DIR" "$RELEASE"
	hp_progress "kernel: $RELEASE ($KERNEL_IMAGE)"
}

# The guest modules for the chosen devices: vgem and the GPU drivers only
# when their device is asked for.
guest_modules() {
	local m d
	# arm64's vIOMMU (the virt machine's SMMUv3) is a module in Debian's kernels.
	[[ ,$OPT_DEVICES, != *,vfio,* ]] || [ "$HP_ARCH" != arm64 ] || printf '%s\n' arm_smmu_v3
	for m in $HP_GUEST_MODULES; do
		# DAX's region is x86's legacy pmem (dax_cmdline): elsewhere its drivers have nothing to bind.
		case $HP_ARCH:$m in x86_64:*) ;; *:nd_e820 | *:nd_pmem | *:dax_pmem | *:device_dax) continue ;; esac
		# A device's module only when that device is asked for.
		if d=$(hp_vm_device_of_module "$m"); then
			[[ ,$OPT_DEVICES, == *,$d,* ]] || continue
		fi
		printf '%s\n' "$m"
	done
}

# Drop from --devices what the guest architecture does not have, one line
# each saying why (their cases do not run; nothing fails for it).
arch_devices() {
	local d why
	local -a keep=()
	for d in ${OPT_DEVICES//,/ }; do
		if why=$(hp_vm_device_on_arch "$d"); then
			keep+=("$d")
		else
			hp_progress "device $why: skipped"
		fi
	done
	OPT_DEVICES=$(IFS=,; printf '%s' "${keep[*]}")
}

# Kernel command line $1 with the DAX region's memmap= where this guest can
# have one, into DAX_CMDLINE.
dax_cmdline() {
	local mb
	DAX_CMDLINE=$1
	mb=$(numfmt --from=iec "$OPT_MEM" 2>/dev/null) || mb=0
	mb=$((mb >> 20))
	if [ "$HP_ARCH" = x86_64 ] && ((mb >= HP_DAX_MIN_MEM_MB)); then
		DAX_CMDLINE+=" memmap=$HP_DAX_SIZE!$HP_DAX_START"
	fi
}

guest_cmdline() {
	local mods=$1 progs=$2 c
	# loglevel=6 puts warnings and notices on the console (splats and the
	# "hugepin: start" markers the programs write to /dev/kmsg at
	# KERN_NOTICE), not the boot chatter.
	# cryptomgr.notests: the crypto self-tests at boot cost 0.2-0.3 s under
	# TCG and test nothing of ours.
	c="console=$(qemu_console) loglevel=6 panic=-1 oops=panic panic_on_warn=0 cryptomgr.notests"
	c+=" hugepin.mods=$mods hugepin.tests=$progs hugepin.thp=$OPT_THP"
	[ -z "$OPT_SHMEM_THP" ] || c+=" hugepin.shmem_thp=$OPT_SHMEM_THP"
	[ -z "$CASE_FILTER" ] || c+=" hugepin.filter=$CASE_FILTER"
	[ -z "$OPT_DURATION" ] || c+=" hugepin.duration=$OPT_DURATION"
	[ -z "$OPT_ARGS" ] || c+=" hugepin.args=${OPT_ARGS// /,}"
	[ "$OPT_VMWSHIM" = 1 ] || c+=" hugepin.vmwshim=0"
	[ -z "$OPT_NUMA" ] || c+=" numa=fake=$OPT_NUMA"
	# panic and hang hit the first boot's first case; panic-device every boot.
	[ -z "$OPT_INJECT" ] || { [ "$BOOT_N" != 1 ] && [[ $OPT_INJECT != panic-device:* ]]; } ||
		c+=" hugepin.inject=$OPT_INJECT"
	dax_cmdline "$c"
	c=$DAX_CMDLINE
	# The vIOMMU that gives vfio's ivshmem an IOMMU group (qemu_machine_args).
	[[ ,$OPT_DEVICES, != *,vfio,* ]] || [ "$HP_ARCH" != x86_64 ] || c+=" intel_iommu=on"
	printf '%s\n' "$c"
}

# Boot until every program has run. When a boot dies or hangs in a case,
# the next one runs that program again with every case it had started
# listed in HUGEPIN_SKIP, so it resumes at the case after the one that
# crashed, then the programs that never started. A program that crashes in
# the same case twice is not resumed again (it cannot skip that case). A
# program that wrote its contingency before the case it died in (the last
# program of a boot, harness/hp_core.h) needs no boot to resume it: that
# becomes the next boot's directory, with no guest behind it.
run_boots() {
	local initrd=$1 mods=$2 n=0 crashed at dev boot_initrd last_crash='' early_retry=0 decided='' why cont
	local -a todo=("${PROGS[@]}") bounded=()
	local -A crashes=()
	CRASHED=() NOT_RUN=()
	TIME_FIRST_CASE='' TIME_GUEST=0
	BOOT_PROG_I=0 BOOT_CASE_I=0 BOOT_PROG_NAME=''
	BOOT_PROG_N=${#PROGS[@]}
	qemu_accel "$KERNEL_IMAGE"
	BOOT_IMAGE=$(kernel_boot_image "$KERNEL_IMAGE")
	[ "$BOOT_IMAGE" = "$KERNEL_IMAGE" ] || hp_progress "booting the PVH entry of its vmlinux (no firmware loader, no decompression)"
	: >"$OUT/skip.txt"
	HP_PHASE=boots
	while [ ${#todo[@]} -gt 0 ]; do
		n=$((n + 1))
		BOOT_N=$n
		boot_initrd=$initrd
		if [ -s "$OUT/skip.txt" ]; then
			boot_initrd=$OUT/initrd-skip.cpio
			initramfs_with_skip "$initrd" "$OUT/skip.txt" "$boot_initrd"
		fi
		hp_progress "booting $RELEASE (boot $n, ${#todo[@]} programs, $HP_ACCEL, timeout ${OPT_TIMEOUT}s)"
		qemu_boot "$OUT/boot-$n" "$BOOT_IMAGE" "$boot_initrd" \
			"$(guest_cmdline "$mods" "$(IFS=,; printf '%s' "${todo[*]}")")"
		[ -n "$TIME_FIRST_CASE" ] || TIME_FIRST_CASE=$BOOT_FIRST_CASE_S
		TIME_GUEST=$(awk -v a="$TIME_GUEST" -v b="$BOOT_WALL_S" 'BEGIN { printf "%.1f", a + b }')
		hp_progress "guest exited after ${BOOT_WALL_S}s (boot to first case: $(secs_or_none "$BOOT_FIRST_CASE_S"))"
		boot_completed "$OUT/boot-$n" && { todo=(); break; }
		crashed=$(boot_crashed_in "$OUT/boot-$n")
		if [ -z "$crashed" ]; then
			hp_progress "boot $n ran no program: see $OUT/boot-$n/console.log"
			# A guest that died before its init ran anything (a kernel that
			# panicked early under TCG) says nothing about the cases: once more.
			[ "$early_retry" = 1 ] && break
			early_retry=1
			continue
		fi
		at=$(boot_last_case "$OUT/boot-$n" "$crashed")
		if [ "$BOOT_KILLED" = 1 ]; then
			CRASHED+=("$crashed")
			hp_progress "guest hung in $crashed${at:+ at $at}"
		else
			hp_progress "guest died in $crashed${at:+ at $at}"
		fi
		mapfile -t todo < <(boot_remaining "$OUT/boot-$n" "${todo[@]}")
		# A bisect step needs one deciding VULNERABLE, not every case behind it.
		if [ "$HP_BISECT" = 1 ] && step_decided; then
			hp_progress "the guest died in $crashed, and a deciding case was VULNERABLE: the step is decided"
			decided="the bisect step was decided by a VULNERABLE before them"
			[ -z "$at" ] || todo=("$crashed:*" "${todo[@]}")
			break
		fi
		# Bound the boots a crashing device costs: after HP_CRASH_BOUND deaths
		# in one program's cases of one device, that program does not pin
		# it again (its cases there say why, and so does the report).
		dev=$(boot_last_device "$OUT/boot-$n" "$crashed")
		if [ -n "$at" ] && [ -n "$dev" ] && [ "$dev" != - ]; then
			crashes[$crashed@$dev]=$((${crashes[$crashed@$dev]:-0} + 1))
			if [ "${crashes[$crashed@$dev]}" = "$HP_CRASH_BOUND" ]; then
				why="the guest died in $HP_CRASH_BOUND of $crashed's $dev cases (last: $at); each would cost a boot"
				printf '%s:@%s\t%s\n' "$crashed" "$dev" "not run: $why" >>"$OUT/skip.txt"
				bounded+=("$crashed:@$dev=$why")
				hp_progress "$crashed: no more $dev cases ($why)"
			fi
		fi
		if [ -n "$at" ] && [ "$crashed:$at" != "$last_crash" ]; then
			boot_started_cases "$OUT/boot-$n" "$crashed" >>"$OUT/skip.txt"
			last_crash=$crashed:$at
			# What the program ran of its cases after this one before it
			# started it stands for the boot that would resume it.
			if cont=$(boot_contingency "$OUT/boot-$n" "$crashed" "$at" "$OUT/boot-$((n + 1))" \
				"$((${#todo[@]} == 0))"); then
				n=$((n + 1))
				hp_progress "$crashed: its cases after $at ran before that case (its contingency): no boot for them"
				continue
			fi
			[ -z "$cont" ] || hp_progress "$crashed: its contingency before $at was not handed over (${cont#void: })"
			todo=("$crashed" "${todo[@]}")
			BOOT_PROG_N=$((BOOT_PROG_N + 1))
			hp_progress "resuming $crashed after $at on a fresh boot"
		fi
	done
	NOT_RUN=("${todo[@]}")
	[ -z "$decided" ] || NOT_RUN=("${todo[@]/%/=$decided}")
	NOT_RUN+=("${bounded[@]}")
	HP_PHASE=
	rm -f "$OUT/initrd-skip.cpio"
}

secs_or_none() {
	if [ -n "$1" ]; then printf '%ss' "$1"; else printf 'none'; fi
}

# True when the reference module, built against this kernel's headers, found
# no PMD special bit (before 6.12's "mm: introduce ARCH_SUPPORTS_HUGE_PFNMAP
# and special bits to pmd/pud", or without CONFIG_ARCH_SUPPORTS_PMD_PFNMAP):
# there its damage is the kernel's known limitation.
ref_lacks_pmd_special() {
	[ -n "${REF_KO:-}" ] && [ "$(modinfo -F hugepin_pmd_special "$REF_KO" 2>/dev/null)" = no ]
}

# The booted kernel's config, where the run has one: a tree's .config, a
# Debian package's config-RELEASE beside the image (up to 6.x, in /boot) or
# config (7.x, in /usr/lib/modules/RELEASE), or the headers' .config.
kernel_config() {
	local f dir
	dir=$(dirname "$KERNEL_IMAGE")
	for f in "${KERNEL_KDIR:+$KERNEL_KDIR/.config}" "$dir/config-$RELEASE" "$dir/config" \
		"${KERNEL_HEADERS:+$KERNEL_HEADERS/.config}"; do
		[ -n "$f" ] && [ -r "$f" ] && { printf '%s\n' "$f"; return 0; }
	done
	return 0
}

# True when the booted kernel is release $1.$2 or later (its RELEASE string).
kernel_at_least() {
	local major minor
	IFS=. read -r major minor _ <<<"$RELEASE"
	minor=${minor%%[!0-9]*}
	[[ $major =~ ^[0-9]+$ && $minor =~ ^[0-9]+$ ]] || return 1
	((major > $1 || (major == $1 && minor >= $2)))
}

# True unless the kernel's config (where the run has it) leaves CONFIG_$1 unset.
kernel_config_has() {
	local f
	f=$(kernel_config)
	[ -z "$f" ] || grep -Eq "^CONFIG_$1=(y|m)$" "$f"
}

# Providers by capability: without --devices, a kernel that has vfio-pci
# huge faults (6.12, f9e54c3a2f5b) gets the vfio device too, so its BAR
# mappings are exercised by default; --devices decides otherwise.
devices_by_capability() {
	[ "$OPT_DEVICES_SET" = 0 ] || return 0
	kernel_at_least 6 12 && kernel_config_has VFIO_PCI || return 0
	case $HP_ARCH in
	x86_64) OPT_DEVICES+=,vfio; hp_progress "vfio: $RELEASE has vfio-pci huge faults: its BAR through vfio-pci joins the run (q35 machine, intel-iommu)" ;;
	arm64) OPT_DEVICES+=,vfio; hp_progress "vfio: $RELEASE has vfio-pci huge faults: its BAR through vfio-pci joins the run (virt machine, SMMUv3)" ;;
	*) hp_progress "vfio: not in the run: QEMU's $HP_ARCH virt machine has no IOMMU, which vfio-pci needs for the device (--devices vfio tries anyway)" ;;
	esac
}

# The hp_report arguments over everything collected so far, into REPORT_ARGS.
report_args() {
	local f c
	# The guest's architecture as its uname -m says it.
	local -a args=(--console "$OUT/console.log" --kernel "$RELEASE" --arch "${HP_GNU%%-*}")
	f=$(kernel_config)
	[ -z "$f" ] || args+=(--kernel-config "$f")
	for f in "$OUT"/boot-*/records.jsonl "$OUT"/records.jsonl; do
		[ -f "$f" ] && args+=(--records "$f")
	done
	while read -r f; do
		args+=(--ktap "$f")
	done < <(collect_split_ktap "$OUT")
	for c in "${CRASHED[@]}"; do
		args+=(--crashed-test "$c")
	done
	for c in "${NOT_RUN[@]}"; do
		args+=(--not-run "$c")
	done
	[ -z "$HP_SIGNAL" ] || args+=(--interrupted "$HP_SIGNAL")
	[ "$OPT_VERBOSE" = 0 ] || args+=(--verbose)
	[ -z "$OPT_BISECT_ON" ] || args+=(--bisect-on "$OPT_BISECT_ON")
	[ "$OPT_UNMAPPED_FIXED" = 0 ] || args+=(--unmapped-safe-decides)
	if ref_lacks_pmd_special; then
		args+=(--expected-device "hugepin_ref,hugepin_vram=$HP_WHY_NO_PMD_SPECIAL")
	fi
	# Without its module the reference device leaves no record: say why.
	[ -z "${REF_WHY:-}" ] || args+=(--untestable-device "hugepin_ref=$REF_WHY")
	REPORT_ARGS=("${args[@]}")
}

# Under --bisect, whether what the boots so far left already decides the
# step: a deciding case was VULNERABLE (hp_report's exit code 1).
step_decided() {
	local rc=0
	collect_merge "$OUT"
	report_args
	"$HP_TOP/build/bin/hp_report" "${REPORT_ARGS[@]}" >/dev/null 2>&1 || rc=$?
	[ "$rc" = 1 ]
}

report() {
	local rc=0
	local -a args
	report_args
	args=("${REPORT_ARGS[@]}" --out "$OUT")
	args+=(--timing "build_s=$TIME_BUILD" --timing "suite_s=$TIME_GUEST")
	if [ -n "${KERNEL_KDIR:-}" ] && [ -r "$KERNEL_KDIR/build_seconds" ]; then
		args+=(--timing "kernel_build_s=$(<"$KERNEL_KDIR/build_seconds")")
	fi
	[ -z "$TIME_FIRST_CASE" ] || args+=(--timing "boot_s=$TIME_FIRST_CASE")
	# The report ends the output: its last line is the exit code and its meaning.
	hp_progress "kernel $RELEASE: artifacts in $OUT"
	hp_progress "timing: build ${TIME_BUILD}s, boot to first case $(secs_or_none "$TIME_FIRST_CASE"), guest ${TIME_GUEST}s, total $(hp_elapsed)s"
	"$HP_TOP/build/bin/hp_report" "${args[@]}" || rc=$?
	if [ "$rc" = 2 ] && [ "$HP_BISECT" = 1 ]; then
		rc=$HP_EXIT_SKIP
	fi
	# git bisect run takes 0 as the old term: when hunting a fix, old is vulnerable.
	if [ "$HP_BISECT_FIXED" = 1 ] && { [ "$rc" = 0 ] || [ "$rc" = 1 ]; }; then
		rc=$((1 - rc))
	fi
	return "$rc"
}

run_vm() {
	local base mods_piece suite initrd mods stressng=''
	# A fresh machine's first run: the guest's packages install, the suite
	# builds and the kernel is fetched and unpacked, all at once.
	local bindir=$HP_TOP/build/bin-static
	local -a make_args=(STATIC=1 all)
	arch_devices
	deps_setup
	cache_locked kernel_prefetch
	deps_wait_for unpack || deps_wait
	if [ -n "$HP_CROSS" ]; then
		cache_locked userland_setup
		bindir+=-$HP_ARCH
		make_args=(STATIC=1 GUEST_ARCH="$HP_ARCH" SYSROOT="$USERLAND_SYSROOT" all)
	fi
	headers_start
	deps_wait_for build || deps_wait
	build_start "${make_args[@]}"
	cache_locked resolve_kernel
	devices_by_capability
	OUT=${OPT_OUT:-$HP_TOP/build/out/$RELEASE-$(date +%Y%m%d-%H%M%S)-$$}
	mkdir -p "$OUT" || hp_die "cannot create --out $OUT"
	OUT=$(readlink -f "$OUT")
	headers_wait
	[ -n "$KERNEL_KDIR" ] || headers_locked kernel_headers_for "$RELEASE"
	module_build "$RELEASE" "${KERNEL_KDIR:-$KERNEL_HEADERS}"
	if [ -n "$OPT_MODTREE" ]; then
		cache_locked modtree_apply "$(readlink -f "$OPT_MODTREE")" "$OPT_MODTREE_DIRS" "$RELEASE" "$KERNEL_HEADERS"
	fi
	[ -n "$REF_KO" ] || hp_progress "reference module: $REF_WHY; its cases report UNTESTABLE"
	mapfile -t mods < <(guest_modules)
	deps_wait
	base=$(initramfs_base)
	mods_piece=$(initramfs_modules "$RELEASE" "$MOD_ROOT" "${mods[@]}")
	build_wait
	if [ -n "$OPT_LAVA_JOB" ]; then
		lava_job_write "$OPT_LAVA_JOB" "$mods_piece"
		return 0
	fi
	select_programs "$bindir"
	suite=$(initramfs_suite_for_progs "$bindir")
	initrd=$OUT/initrd.cpio
	# stress-ng (about 20 MiB with its libraries) only for the stress tools.
	if [[ " ${PROGS[*]} " == *" gup_stress "* || " ${PROGS[*]} " == *" drm_repro "* ]]; then
		stressng=$(initramfs_stressng)
	fi
	initramfs_assemble "$initrd" "$base" "$mods_piece" "$suite" ${stressng:+"$stressng"}
	run_boots "$initrd" "$(IFS=,; printf '%s' "${mods[*]}")"
	[ "$OPT_KEEP" = 1 ] || rm -f "$initrd"
	collect_merge "$OUT"
	report
}

# Run "$@" holding the cache's kernel lock: fetching, unpacking and building
# kernels and headers is done by one run at a time, and a run that waited
# finds the other's result in place.
# Not in a condition: set -e must still stop the run at a failing step.
cache_locked() {
	locked "$HP_CACHE/.kernel.lock" "$@"
}

# The same for the cache's headers, which unpack beside a kernel.
headers_locked() {
	locked "$HP_CACHE/.headers.lock" "$@"
}

# Run "$@" holding lock file $1.
locked() {
	local lockfd
	mkdir -p "$HP_CACHE"
	exec {lockfd}>"$1"
	shift
	flock "$lockfd"
	"$@"
	exec {lockfd}>&-
}

# The suite piece holds every built program, so --tests does not change it,
# but not the host tools that share build/bin-static.
initramfs_suite_for_progs() {
	local bindir=$1 p
	local -a files=()
	for p in $(makefile_list TEST_GEN_PROGS) $(makefile_list TEST_GEN_PROGS_EXTENDED); do
		[ -x "$bindir/$p" ] && files+=("$bindir/$p")
	done
	initramfs_suite "$REF_KO" "${files[@]}"
}

# --host: the suite on the running kernel. DRM and reference-module pins can
# damage this machine's memory on an affected kernel, so they need consent.
run_host() {
	local p rc dri=0
	build_suite all
	RELEASE=$(uname -r)
	OUT=${OPT_OUT:-$HP_TOP/build/out/host-$RELEASE-$(date +%Y%m%d-%H%M%S)-$$}
	mkdir -p "$OUT" && OUT=$(readlink -f "$OUT")
	select_programs "$HP_TOP/build/bin"
	compgen -G '/dev/dri/card*' >/dev/null && dri=1
	if [ "$OPT_CRASH_OK" = 0 ] && { [ "$dri" = 1 ] || [ -e /dev/hugepin_ref ]; }; then
		hp_die "this machine has DRM devices or /dev/hugepin_ref: pinning them can corrupt memory on an affected kernel; use the VM (no --host), or add --i-know-this-can-crash"
	fi
	if [ "$OPT_CRASH_OK" = 1 ]; then
		hp_progress "WARNING: pinning DRM and reference-module mappings on this machine; an affected kernel can corrupt memory or crash"
		[ -f "$HP_TOP/build/module/hugepin_ref.ko" ] && export HUGEPIN_REF_KO=$HP_TOP/build/module/hugepin_ref.ko
	fi
	export HUGEPIN_RECORDS=$OUT/records.jsonl
	[ -z "$CASE_FILTER" ] || export HUGEPIN_FILTER=$CASE_FILTER
	[ -z "$OPT_DURATION" ] || export HUGEPIN_DURATION=$OPT_DURATION
	: >"$OUT/records.jsonl"
	: >"$OUT/ktap.txt"
	CRASHED=() NOT_RUN=()
	TIME_FIRST_CASE='' TIME_GUEST=0
	local t0
	t0=$(date +%s.%N)
	HP_PHASE=host
	for p in "${PROGS[@]}"; do
		hp_progress "program: $p"
		echo "$HP_MARK_BEGIN $p" >>"$OUT/ktap.txt"
		rc=0
		(cd "${TMPDIR:-/tmp}" && exec "$HP_TOP/build/bin/$p") >>"$OUT/ktap.txt" 2>&1 &
		HP_CHILD_PID=$!
		wait "$HP_CHILD_PID" || rc=$?
		HP_CHILD_PID=
		echo "$HP_MARK_END $p rc=$rc" >>"$OUT/ktap.txt"
	done
	HP_PHASE=
	TIME_GUEST=$(hp_secs "$t0" "$(date +%s.%N)")
	dmesg >"$OUT/console.log" 2>/dev/null || : >"$OUT/console.log"
	report
}

# --matrix: one run of this script per kernel line, then the table over all.
# A matrix line "TREE@REF": a detached git worktree of TREE at REF under the
# cache, so the user's checkout is left alone; reused by later matrices.
matrix_worktree() {
	local tree=$1 ref=$2 commit wt
	commit=$(git -C "$tree" rev-parse --verify -q "$ref^{commit}") || return 1
	wt=$HP_CACHE/worktrees/$(basename "$(readlink -f "$tree")")-${commit:0:12}
	if [ ! -e "$wt/Makefile" ]; then
		mkdir -p "$HP_CACHE/worktrees"
		git -C "$tree" worktree add --detach "$wt" "$commit" >&2 || return 1
	fi
	printf '%s\n' "$wt"
}

run_matrix() {
	local line n=0 rc=0 out dir rest
	local -a kopt
	[ -r "$OPT_MATRIX" ] || hp_usage_error "--matrix $OPT_MATRIX: no such file"
	out=${OPT_OUT:-$HP_TOP/build/out/matrix-$(date +%Y%m%d-%H%M%S)-$$}
	mkdir -p "$out" && out=$(readlink -f "$out")
	MATRIX_OUT=$out
	HP_PHASE=matrix
	local arch word
	while read -r line; do
		line=${line%%#*}
		read -r line <<<"$line" || true
		[ -n "$line" ] || continue
		n=$((n + 1))
		# "ARCH KERNEL": a kernel of another architecture than --arch's.
		arch=$HP_ARCH
		read -r word rest <<<"$line"
		if [ -n "$rest" ]; then
			arch=$word line=$rest
		fi
		if [[ $line == *@* && -d ${line%@*}/.git ]]; then
			kopt=(--kernel-tree "$(matrix_worktree "${line%@*}" "${line##*@}")") ||
				{ hp_progress "matrix $n: no ref ${line##*@} in ${line%@*}"; continue; }
		elif [ -d "$line" ]; then
			kopt=(--kernel-tree "$line")
		elif [[ $line == *.deb ]] || [ ! -e "$line" ]; then
			kopt=(--kernel-deb "$line")
		else
			kopt=(--kernel "$line")
		fi
		dir=$out/$n-$(printf '%s' "$(basename "$line")" | tr -c 'A-Za-z0-9._=-' '_')
		hp_progress "matrix $n: ${kopt[*]}"
		rc=0
		MATRIX_CURRENT=$dir
		"$HP_TOP/run.sh" --arch "$arch" "${kopt[@]}" "${PASS_ARGS[@]}" --out "$dir" &
		HP_CHILD_PID=$!
		wait "$HP_CHILD_PID" || rc=$?
		HP_CHILD_PID=
		hp_progress "matrix $n: exit $rc"
		[ -f "$dir/report.json" ] && MATRIX_DIRS+=("$dir")
	done <"$OPT_MATRIX"
	[ "$n" -gt 0 ] || hp_usage_error "--matrix $OPT_MATRIX lists no kernel"
	[ ${#MATRIX_DIRS[@]} -gt 0 ] || hp_die "no kernel of $OPT_MATRIX produced a report"
	"$HP_TOP/build/bin/hp_report" --matrix "${MATRIX_DIRS[@]}" --out "$MATRIX_OUT"
}

# ---- interrupts ----
# SIGINT, SIGTERM and SIGHUP stop the guest and every child, never reboot
# and never blame a case: what ran is reported as a partial report marked
# INTERRUPTED, the programs that never started as NOT RUN, and the exit
# code is 128+signal, so `git bisect run` aborts instead of marking a commit.
HP_SIGNAL='' HP_PHASE='' HP_CHILD_PID='' MATRIX_OUT='' MATRIX_CURRENT=''
MATRIX_DIRS=()

# Programs of PROGS that no boot (or the host run) began.
programs_not_started() {
	local p
	for p in "${PROGS[@]}"; do
		grep -qs "^$HP_MARK_BEGIN $p\( \|$\)" "$OUT"/boot-*/ktap.txt "$OUT/ktap.txt" ||
			printf '%s\n' "$p"
	done
}

interrupted_report() {
	case $HP_PHASE in
	boots | host)
		mapfile -t NOT_RUN < <(programs_not_started)
		if [ "$HP_PHASE" = boots ]; then
			local b
			# The boot that was stopped never got its port turned into records.
			for b in "$OUT"/boot-*; do
				[ -f "$b/records.jsonl" ] || cp "$b/rec.port" "$b/records.jsonl" 2>/dev/null || true
			done
			collect_merge "$OUT"
		fi
		report || true
		;;
	matrix)
		[ ! -f "$MATRIX_CURRENT/report.json" ] || MATRIX_DIRS+=("$MATRIX_CURRENT")
		if [ ${#MATRIX_DIRS[@]} -gt 0 ]; then
			"$HP_TOP/build/bin/hp_report" --matrix "${MATRIX_DIRS[@]}" --out "$MATRIX_OUT" || true
			hp_progress "partial matrix of ${#MATRIX_DIRS[@]} kernels in $MATRIX_OUT"
		fi
		;;
	esac
}

on_signal() {
	local sig=$1 num=$2
	trap '' INT TERM HUP
	HP_SIGNAL=SIG$sig
	hp_progress "interrupted by SIG$sig: stopping"
	[ -z "${HP_QEMU_PID:-}" ] || kill "$HP_QEMU_PID" 2>/dev/null || true
	# A matrix's kernel run traps TERM (a background job cannot trap INT).
	[ -z "$HP_CHILD_PID" ] || kill -TERM "$HP_CHILD_PID" 2>/dev/null || true
	# The background build, headers and package install (a terminal's SIGINT
	# reached them already).
	[ -z "$BUILD_PID" ] || pkill -TERM -P "$BUILD_PID" 2>/dev/null || true
	[ -z "$HP_DEPS_PID" ] || pkill -TERM -P "$HP_DEPS_PID" 2>/dev/null || true
	[ -z "$HEADERS_PID" ] || pkill -TERM -P "$HEADERS_PID" 2>/dev/null || true
	wait 2>/dev/null || true
	interrupted_report
	if [ -n "${OUT:-}" ] && [ "$OPT_KEEP" = 0 ]; then
		rm -f "$OUT"/initrd*.cpio "$OUT"/boot-*/scratch.img "$OUT"/boot-*/fs.img
	fi
	rm -rf "$HP_CACHE"/stage."$$".*
	exit $((128 + num))
}

main() {
	trap 'on_signal INT 2' INT
	trap 'on_signal TERM 15' TERM
	trap 'on_signal HUP 1' HUP
	parse_args "$@"
	if [ -n "$OPT_MATRIX" ]; then
		run_matrix
	elif [ "$OPT_HOST" = 1 ]; then
		run_host
	else
		run_vm
	fi
}

main "$@"
