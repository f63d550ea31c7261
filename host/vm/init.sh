#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# hugepin guest init (busybox sh, PID 1 of the initramfs run.sh builds).
# Loads the GPU, virtio and test modules, runs the selected suite programs
# one after another with THP set for each, and hands everything back to the
# host over virtio-serial ports: JSON records (hugepin.rec, written by the
# programs themselves), KTAP (hugepin.ktap), the kernel log (hugepin.log)
# and the last program's contingency (hugepin.cont).
# Settings come from the kernel command line, because the kernel keeps
# dotted parameters (hugepin.tests=...) away from init's environment:
#   hugepin.tests=a,b     programs to run, in order
#   hugepin.inject=KIND   panic or hang: the first case a program starts
#                         crashes or stalls the guest (the runner's own tests)
#   hugepin.mods=m1,m2    modules to load (dependency lists in /lib/modules/hugepin)
#   hugepin.thp=MODE      transparent_hugepage/enabled for each program
#   hugepin.shmem_thp=MODE  transparent_hugepage/shmem_enabled for each program
#   hugepin.filter=GLOB   case filter, exported as HUGEPIN_FILTER
#   hugepin.duration=S    exported as HUGEPIN_DURATION for the stress parts
#   hugepin.args=a,b      arguments for the extended programs (comma = space)
#   hugepin.vmwshim=0     leave vmwgfx unbound when QEMU's vmware-svga lacks
#                         the pitchlock capability (run.sh --no-vmwgfx-shim)
# No `set -e`: init must outlive any failing step, since its exit panics the
# guest; every step reports its own failure instead.

/bin/busybox --install -s /bin
# shellcheck source=host/vm/protocol.sh
. /etc/hugepin/protocol.sh
export PATH=/bin:/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
exec </dev/console >/dev/console 2>&1
mount -t debugfs debugfs /sys/kernel/debug
mkdir -p /tmp /dev/virtio-ports
mount -t tmpfs tmp /tmp

PORTS=/dev/virtio-ports
PROGDIR=/bin/hugepin
tests='' mods='' thp=madvise shmem_thp='' filter='' duration='' args='' vmwshim=1
read -r cmdline </proc/cmdline
for word in $cmdline; do
	case $word in
	hugepin.tests=*) tests=${word#*=} ;;
	hugepin.mods=*) mods=${word#*=} ;;
	hugepin.thp=*) thp=${word#*=} ;;
	hugepin.shmem_thp=*) shmem_thp=${word#*=} ;;
	hugepin.filter=*) filter=${word#*=} ;;
	hugepin.duration=*) duration=${word#*=} ;;
	hugepin.args=*) args=$(echo "${word#*=}" | tr ',' ' ') ;;
	hugepin.vmwshim=*) vmwshim=${word#*=} ;;
	hugepin.inject=*) export HUGEPIN_INJECT="${word#*=}" ;;
	esac
done

say() {
	echo "hugepin-init: $*"
}

# One module's dependency list, in the order modprobe resolved on the host.
# A module that another list is loading at the same time makes insmod wait
# until it is live and then fail (EEXIST): that is no failure.
load_list() {
	while read -r ko; do
		name=$(basename "$ko" .ko | tr '-' '_')
		[ -d "/sys/module/$name" ] && continue
		# No fbdev consoles on the emulated GPUs: drawing them under TCG
		# costs boot time, and the suite maps dumb buffers, not fbdev.
		if [ "$name" = drm_kms_helper ] && insmod "$ko" fbdev_emulation=0 2>/dev/null; then
			continue
		fi
		out=$(insmod "$ko" 2>&1) || [ -d "/sys/module/$name" ] || say "insmod $ko failed${out:+: $out}"
	done <"$1"
}

# Each listed module with its dependencies, the lists side by side (the
# guest's CPUs probe the devices in parallel); a module built into this
# kernel has an empty list.
load_modules() {
	for m in $(echo "$mods" | tr ',' ' '); do
		list=/lib/modules/hugepin/$m.order
		if [ ! -f "$list" ]; then
			say "module $m: not in this kernel"
			continue
		fi
		load_list "$list" &
	done
	wait
}

# vmwgfx refuses QEMU's vmware-svga ("Hardware has no pitchlock"): load
# the shim that answers that one check, then bind the device again. The
# programs learn the outcome from /sys/module/hugepin_vmwshim (bound through
# the shim) or HUGEPIN_VMWSHIM_WHY (why it could not be).
vmwgfx_shim() {
	shim=/lib/hugepin/hugepin_vmwshim.ko
	for dev in /sys/bus/pci/devices/*; do
		[ "$(cat "$dev/vendor" 2>/dev/null)" = 0x15ad ] || continue
		[ -e "$dev/driver" ] && continue
		bdf=$(basename "$dev")
		dmesg | grep -q 'Hardware has no pitchlock' || continue
		if [ "$vmwshim" = 0 ]; then
			say "vmwgfx: $bdf left unbound (hugepin.vmwshim=0)"
			continue
		fi
		if [ ! -d /sys/bus/pci/drivers/vmwgfx ]; then
			why="vmwgfx not loaded, shim not tried"
		elif [ ! -f "$shim" ]; then
			why="hugepin_vmwshim.ko not built for this kernel"
		elif ! out=$(insmod "$shim" 2>&1) && [ ! -d /sys/module/hugepin_vmwshim ]; then
			why="insmod hugepin_vmwshim failed: $(dmesg | grep 'hugepin_vmwshim' | tail -n1 | sed 's/^\[[^]]*\] //')${out:+ ($out)}"
		elif ! echo "$bdf" >/sys/bus/pci/drivers/vmwgfx/bind 2>/dev/null; then
			why="vmwgfx refused $bdf even through the shim: $(dmesg | grep -i vmwgfx | tail -n1 | sed 's/^\[[^]]*\] //')"
		else
			say "vmwgfx: bound $bdf through hugepin_vmwshim"
			continue
		fi
		say "vmwgfx: $why"
		export HUGEPIN_VMWSHIM_WHY="$why"
	done
}

# True when BAR 2 of PCI device $1 spans exactly a GiB (the third line of
# its resource file: start, end, flags).
bar2_gib() {
	r=$(sed -n 3p "$1/resource" 2>/dev/null) || return 1
	s=${r%% *} r=${r#* }
	e=${r%% *}
	[ -n "$e" ] && [ $((e - s + 1)) -eq $((1 << 30)) ]
}

# QEMU's 1 GiB ivshmem (run.sh --devices vfio) goes to vfio-pci, whose BAR
# mappings the vfio_bar cases pin; vfio-pci takes no device by itself. The
# 2 GiB one of every boot is the reference module's device memory.
vfio_bind() {
	for dev in /sys/bus/pci/devices/*; do
		[ "$(cat "$dev/vendor" 2>/dev/null)" = 0x1af4 ] || continue
		[ "$(cat "$dev/device" 2>/dev/null)" = 0x1110 ] || continue
		bar2_gib "$dev" || continue
		bdf=$(basename "$dev")
		if [ ! -d /sys/bus/pci/drivers/vfio-pci ]; then
			say "vfio: vfio-pci not loaded, $bdf left unbound"
		elif echo vfio-pci >"$dev/driver_override" && echo "$bdf" >/sys/bus/pci/drivers_probe &&
			[ -e /sys/bus/pci/drivers/vfio-pci/"$bdf" ]; then
			say "vfio: bound $bdf to vfio-pci"
		else
			say "vfio: vfio-pci refused $bdf: $(dmesg | grep -i vfio | tail -n1 | sed 's/^\[[^]]*\] //')"
		fi
	done
}

# devtmpfs has the vportNpM nodes; the names udev would link come from sysfs.
link_ports() {
	i=0
	while [ "$i" -lt 100 ]; do
		for p in /sys/class/virtio-ports/*; do
			[ -f "$p/name" ] || continue
			ln -sf "/dev/$(basename "$p")" "$PORTS/$(cat "$p/name")"
		done
		[ -e "$PORTS/hugepin.rec" ] && [ -e "$PORTS/hugepin.ktap" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	say "virtio-serial ports hugepin.rec/hugepin.ktap missing: results go to the console only"
}

run_one() {
	p=$1
	if [ ! -x "$PROGDIR/$p" ]; then
		echo "# hugepin: $p is not in the initramfs"
		return 127
	fi
	case $p in
	drm_repro | gup_stress)
		# shellcheck disable=SC2086 # args are words by design
		"$PROGDIR/$p" $args
		;;
	*)
		"$PROGDIR/$p"
		;;
	esac
}

# The legacy pmem region run.sh reserves with memmap=SIZE!START (x86's
# nd_e820) as device DAX: its raw namespace, given to a dax seed with a
# fresh uuid and the PMD size as alignment, bound to dax_pmem, gives /dev/daxR.N,
# which maps with PMDs. The programs find it in HUGEPIN_DAX, or why not in
# HUGEPIN_DAX_WHY.
dax_setup() {
	local region=/sys/bus/nd/devices/region0 ns dax f why
	if [ ! -d "$region" ]; then
		export HUGEPIN_DAX_WHY="no pmem region (the kernel took no memmap=SIZE!START legacy pmem: nd_e820 missing?)"
		return 0
	fi
	ns=
	for f in "$region"/namespace*.0; do
		[ -d "$f" ] && ns=$(basename "$f") && break
	done
	dax=$(cat "$region/dax_seed" 2>/dev/null)
	if [ -z "$ns" ] || [ -z "$dax" ] || [ ! -d /sys/bus/nd/drivers/dax_pmem ]; then
		export HUGEPIN_DAX_WHY="pmem region without a namespace or dax seed, or dax_pmem not loaded"
		return 0
	fi
	[ ! -e "/sys/bus/nd/drivers/nd_pmem/$ns" ] || echo "$ns" >/sys/bus/nd/drivers/nd_pmem/unbind
	why=
	echo "$ns" >"/sys/bus/nd/devices/$dax/namespace" || why="$dax: namespace $ns refused"
	# The struct pages of the region live in the region itself ("pmem").
	[ -n "$why" ] || echo pmem >"/sys/bus/nd/devices/$dax/mode" || why="$dax: mode pmem refused"
	[ -n "$why" ] || cat /proc/sys/kernel/random/uuid >"/sys/bus/nd/devices/$dax/uuid" ||
		why="$dax: uuid refused"
	[ -n "$why" ] || cat /sys/kernel/mm/transparent_hugepage/hpage_pmd_size >"/sys/bus/nd/devices/$dax/align" ||
		why="$dax: PMD alignment refused"
	[ -n "$why" ] || echo "$dax" >/sys/bus/nd/drivers/dax_pmem/bind || why="dax_pmem refused $dax"
	for f in /dev/dax*; do
		[ -c "$f" ] && break
	done
	if [ -z "$why" ] && [ -c "$f" ]; then
		export HUGEPIN_DAX=$f
		say "dax: $ns as device DAX $f"
	else
		export HUGEPIN_DAX_WHY="$ns could not become device DAX: ${why:-no /dev/dax device appeared}"
		say "dax: $HUGEPIN_DAX_WHY"
	fi
}

load_modules
dax_setup
vmwgfx_shim
vfio_bind
link_ports
[ -w /sys/kernel/mm/transparent_hugepage/enabled ] || say "no THP in this kernel"

export HUGEPIN_DISK=/dev/vda
# The second disk, when the host made one, is ext4 for page-cache cases.
mkdir -p /mnt/hugepin
if [ -b /dev/vdb ] && mount -t ext4 /dev/vdb /mnt/hugepin 2>/dev/null; then
	export TMPDIR=/mnt/hugepin
else
	say "no ext4 scratch filesystem: page-cache cases will skip"
fi
# A few 2 MiB hugetlb pages for the hugetlb memory type (16 of a 2 GiB guest).
echo 16 >/proc/sys/vm/nr_hugepages 2>/dev/null || say "cannot reserve hugetlb pages"
[ -e "$PORTS/hugepin.rec" ] && export HUGEPIN_RECORDS="$PORTS/hugepin.rec"
[ -f /lib/hugepin/hugepin_ref.ko ] && export HUGEPIN_REF_KO=/lib/hugepin/hugepin_ref.ko
# The page-table walker tells every case which level maps its buffer.
if [ ! -f /lib/hugepin/hugepin_walk.ko ]; then
	say "hugepin_walk.ko not built for this kernel: levels from ptdump or smaps only"
elif ! out=$(insmod /lib/hugepin/hugepin_walk.ko 2>&1); then
	say "insmod hugepin_walk failed (${out:-no message}): levels from ptdump or smaps only"
fi
[ -n "$filter" ] && export HUGEPIN_FILTER="$filter"
# Cases a guest that died had started: the programs do not run them again.
[ -f /etc/hugepin/skip ] && export HUGEPIN_SKIP=/etc/hugepin/skip
[ -n "$duration" ] && export HUGEPIN_DURATION="$duration"

if [ -e "$PORTS/hugepin.ktap" ]; then
	exec 3>"$PORTS/hugepin.ktap"
else
	exec 3>&1
fi
# The last program may die with no program after it: before a case that
# may kill the kernel, it hands the runner the rest of its own run (the
# contingency, harness/hp_core.h), so no boot has to follow for it.
last=${tests##*,}
for p in $(echo "$tests" | tr ',' ' '); do
	: >/tmp/hugepin-started
	export HUGEPIN_STARTED=/tmp/hugepin-started
	if [ "$p" = "$last" ] && [ -e "$PORTS/hugepin.cont" ]; then
		export HUGEPIN_CONTINGENCY="$PORTS/hugepin.cont"
	else
		unset HUGEPIN_CONTINGENCY
	fi
	echo "$thp" >/sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null
	if [ -n "$shmem_thp" ] && ! echo "$shmem_thp" >/sys/kernel/mm/transparent_hugepage/shmem_enabled 2>/dev/null; then
		say "cannot set transparent_hugepage/shmem_enabled to $shmem_thp"
	fi
	echo "$HP_MARK_BEGIN $p uptime=$(cut -d' ' -f1 /proc/uptime)" >&3
	say "running $p"
	(cd /tmp && run_one "$p") >&3 2>&1
	echo "$HP_MARK_END $p rc=$? uptime=$(cut -d' ' -f1 /proc/uptime)" >&3
done
echo "$HP_MARK_DONE" >&3
exec 3>&-
[ -e "$PORTS/hugepin.log" ] && dmesg >"$PORTS/hugepin.log"
say "done"
sync
poweroff -f
