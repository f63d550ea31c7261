# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# hugepin kselftest collection: prepare this machine the way run.sh's guest
# init does, then let the kernel's runner run the collection. Installed as
# hugepin/env.sh in the kselftest tarball; source it from the tarball's top
# directory before `./run_kselftest.sh -c hugepin`:
#   - the legacy pmem region of memmap= made a device DAX (dax_setup of
#     host/vm/init.sh, shipped as guest_setup.sh);
#   - the page-table walker (module/hugepin_walk.ko) loaded, so every case
#     sees which level maps its buffer;
#   - vmwgfx bound to QEMU's vmware-svga through hugepin_vmwshim when the
#     device lacks the pitchlock capability (HUGEPIN_VMWSHIM=0: leave it);
#   - transparent_hugepage in madvise mode (HUGEPIN_THP), 16 hugetlb pages;
#   - the O_DIRECT scratch disk and the page-cache filesystem found by their
#     virtio serials (hugepin-scratch, hugepin-fs), where the job gave them;
#   - the reference module's path, and where its PMDs carry no special bit
#     (before 6.12), its device-memory cases skipped with the reason: fast
#     GUP dereferences the struct page of a BAR pfn there and the kernel
#     dies, which a lab must not spend a board on.
# Every step says what it could not do on a "hugepin-env:" line.

hp_env_dir=$(cd "$(dirname "${HUGEPIN_ENV_SH:-./hugepin/env.sh}")" && pwd)

hp_env_say() {
	echo "hugepin-env: $*"
}

# The guest init's own steps (dax_setup), copied from host/vm/init.sh into
# the tarball; they report through say.
say() {
	hp_env_say "$@"
}
# shellcheck source=/dev/null
. "$hp_env_dir/guest_setup.sh"

# Block device whose virtio serial is $1, or nothing.
hp_env_disk() {
	for s in /sys/block/*/serial; do
		[ -r "$s" ] || continue
		[ "$(cat "$s")" = "$1" ] && { echo "/dev/$(basename "$(dirname "$s")")"; return 0; }
	done
	return 1
}

hp_env_vmwshim() {
	for dev in /sys/bus/pci/devices/*; do
		[ "$(cat "$dev/vendor" 2>/dev/null)" = 0x15ad ] || continue
		[ -e "$dev/driver" ] && continue
		dmesg | grep -q 'Hardware has no pitchlock' || continue
		if [ "${HUGEPIN_VMWSHIM:-1}" = 0 ]; then
			hp_env_say "vmwgfx: $(basename "$dev") left unbound (HUGEPIN_VMWSHIM=0)"
		elif [ ! -d /sys/bus/pci/drivers/vmwgfx ]; then
			export HUGEPIN_VMWSHIM_WHY="vmwgfx not loaded, shim not tried"
		elif ! insmod "$hp_env_dir/module/hugepin_vmwshim.ko" 2>/dev/null && [ ! -d /sys/module/hugepin_vmwshim ]; then
			export HUGEPIN_VMWSHIM_WHY="insmod hugepin_vmwshim failed"
		elif ! basename "$dev" >/sys/bus/pci/drivers/vmwgfx/bind 2>/dev/null; then
			HUGEPIN_VMWSHIM_WHY="vmwgfx refused $(basename "$dev") even through the shim"
			export HUGEPIN_VMWSHIM_WHY
		else
			hp_env_say "vmwgfx: bound $(basename "$dev") through hugepin_vmwshim"
		fi
		[ -z "${HUGEPIN_VMWSHIM_WHY:-}" ] || hp_env_say "vmwgfx: $HUGEPIN_VMWSHIM_WHY"
	done
}

hp_env_setup() {
	# The legacy pmem region (memmap= on the job's command line) as device
	# DAX, HUGEPIN_DAX or HUGEPIN_DAX_WHY, as run.sh's guest has it.
	if [ -e /dev/dax0.0 ]; then
		export HUGEPIN_DAX=/dev/dax0.0
	else
		dax_setup
	fi
	[ -d /sys/module/hugepin_walk ] || insmod "$hp_env_dir/module/hugepin_walk.ko" ||
		hp_env_say "insmod hugepin_walk failed: levels from ptdump or smaps only"
	hp_env_vmwshim
	echo "${HUGEPIN_THP:-madvise}" >/sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null ||
		hp_env_say "cannot set transparent_hugepage to ${HUGEPIN_THP:-madvise}"
	echo 16 >/proc/sys/vm/nr_hugepages 2>/dev/null || hp_env_say "cannot reserve hugetlb pages"
	if d=$(hp_env_disk hugepin-scratch); then
		export HUGEPIN_DISK="$d"
	fi
	if d=$(hp_env_disk hugepin-fs); then
		mkdir -p /mnt/hugepin
		if mountpoint -q /mnt/hugepin || mount -t ext4 "$d" /mnt/hugepin; then
			export TMPDIR=/mnt/hugepin
		else
			hp_env_say "mount $d failed: page-cache cases will skip"
		fi
	fi
	export HUGEPIN_REF_KO="$hp_env_dir/module/hugepin_ref.ko"
	# The module's modinfo says whether this kernel has the bit (busybox's
	# modinfo reads only installed modules: the string itself); a kernel
	# without the PMD special bit has no PUD one either.
	if grep -a -q 'hugepin_pmd_special=no' "$HUGEPIN_REF_KO" 2>/dev/null; then
		printf '%s\t%s\n' 'hugepfn_ref:hugepfn_map.device_pmd.*' \
			'device memory without the PMD special bit: fast GUP would kill this kernel (run.sh runs it and resumes)' \
			'hugepfn_ref:hugepfn_map.device_pud.*' \
			'device memory without the PUD special bit: fast GUP would kill this kernel (run.sh runs it and resumes)' \
			>/tmp/hugepin-skip
		export HUGEPIN_SKIP=/tmp/hugepin-skip
	fi
}

hp_env_setup
