# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034,SC2153 # shares the boot state with run.sh
# hugepin VM runner: one QEMU boot of the guest. TCG unless KVM opens and
# boots a probe; emulated GPUs for the TTM (bochs, qxl) and GEM shmem
# (virtio-gpu) drivers plus vmware-svga; a raw virtio-blk scratch disk for
# O_DIRECT; virtio-serial ports whose host ends are the run's files.
# `oops=panic panic=-1` with -no-reboot ends the guest at the first splat, so
# the case that was running is the one the console and records blame.
# Sourced by run.sh.

HP_ACCEL=

# Pick the accelerator: KVM only when a guest really runs on it here (a
# /dev/kvm that opens can still hang nested guests), so the probe boots
# kernel $1 without a root file system and waits for its banner. The answer
# is kept for the host's boot (its boot_id).
qemu_accel() {
	local kernel=$1 stamp probe
	[ -n "$HP_ACCEL" ] && return 0
	# Another architecture's guest can only be emulated.
	if [ "$HP_ARCH" != "$(hp_arch_host)" ]; then
		HP_ACCEL=tcg
		return 0
	fi
	stamp=$HP_CACHE/accel-$(cat /proc/sys/kernel/random/boot_id)
	if [ -f "$stamp" ]; then
		HP_ACCEL=$(cat "$stamp")
		return 0
	fi
	HP_ACCEL=tcg
	if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		probe=$(mktemp "$HP_CACHE/kvmprobe.XXXXXX")
		timeout 6 "$HP_QEMU" -accel kvm -nodefaults -display none -no-reboot -m 256M \
			-kernel "$kernel" -append "console=$(qemu_console) panic=-1" -serial "file:$probe" \
			>/dev/null 2>&1 || true
		grep -q 'Linux version' "$probe" && HP_ACCEL=kvm
		rm -f "$probe"
	fi
	rm -f "$HP_CACHE"/accel-*
	printf '%s\n' "$HP_ACCEL" >"$stamp"
	hp_progress "accelerator: $HP_ACCEL"
}

# QEMU -device arguments for the device short names in $1 (comma list),
# from host/vm/devices.sh. vgem is a module, not a device: nothing here;
# nor for a device the guest architecture lacks (run.sh says so).
qemu_gpu_args() {
	local d q
	for d in ${1//,/ }; do
		q=$(hp_vm_device_field "$d" 2) ||
			hp_usage_error "--devices: unknown device '$d' ($(hp_vm_devices_all | sed 's/,/, /g'))"
		[ "$q" = - ] || [ "$q" = x86-only ] || printf '%s\n' -device "$q"
	done
}

# The guest's serial console: the virt machines' first UART is a PL011 on
# arm64, a 16550 on x86 and riscv.
qemu_console() {
	case $HP_ARCH in
	arm64) printf 'ttyAMA0\n' ;;
	*) printf 'ttyS0\n' ;;
	esac
}

# Machine and CPU arguments of the guest architecture. x86: QEMU's i440fx,
# or q35 with intel-iommu for vfio. arm64: the virt machine with an emulated
# SMMUv3 for vfio (pauth-impdef: the architected pointer-authentication
# algorithm costs TCG much of its speed; the guest cannot tell). riscv64:
# the virt machine, which has no IOMMU in QEMU 7.2. $1 is the device list.
qemu_cpu_machine_args() {
	local vfio=0
	[[ ,$1, != *,vfio,* ]] || vfio=1
	case $HP_ARCH in
	x86_64)
		printf '%s\n' -cpu max
		[ "$vfio" = 0 ] || printf '%s\n' -machine q35 -device intel-iommu
		;;
	arm64)
		local machine=virt,gic-version=max
		[ "$vfio" = 0 ] || machine+=,iommu=smmuv3
		printf '%s\n' -cpu max,pauth-impdef=on -machine "$machine"
		;;
	riscv64)
		printf '%s\n' -cpu rv64 -machine virt
		;;
	esac
}

# The 1 GiB ivshmem BAR behind --devices vfio: a PUD needs a GiB-aligned GiB.
readonly HP_IVSHMEM_SIZE=1G

# The reference module's device memory (hugepin_ref_blocks.c): an
# ivshmem-plain BAR of host RAM, no struct pages in the guest, in every boot.
# It holds PMD blocks (of up to 32 MiB, arm64's 16 KiB pages) and a
# PUD-aligned GiB for the PUD ones (PCI BARs are aligned to their size, so a
# 2 GiB BAR has a GiB-aligned GiB beside the PMD blocks); host memory is
# spent only on the pages the guest touches. vfio's BAR is exactly a GiB,
# which is how the guest's init tells the two apart (init.sh vfio_bind).
readonly HP_DEVMEM_SIZE=2G

qemu_devmem_args() {
	printf '%s\n' -object "memory-backend-ram,id=hp_devmem,size=$HP_DEVMEM_SIZE" \
		-device ivshmem-plain,memdev=hp_devmem
}

# Machine arguments for the device short names in $1 (comma list): the
# machine and CPU (qemu_cpu_machine_args; vfio needs a vIOMMU for its IOMMU
# group) and, for vfio, the memory behind ivshmem's BAR (host RAM, touched
# only where the guest pins).
qemu_machine_args() {
	qemu_cpu_machine_args "$1"
	[[ ,$1, == *,vfio,* ]] || return 0
	printf '%s\n' -object "memory-backend-ram,id=hp_ivshmem,size=$HP_IVSHMEM_SIZE"
}

# The modaliases a guest kernel sees for what guest module short name $1
# drives, one "MODALIAS DRIVER..." a line: the GPUs' from host/vm/devices.sh,
# and those of the virtio transport, console and disks here. Prints nothing
# for modules that drive no device (vgem, null_blk, ext4).
qemu_device_modaliases() {
	local blk=pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00
	local serial=pci:v00001AF4d00001003sv00001AF4sd00000003bc07sc80i00
	case $1 in
	# The transport of virtio-serial-pci and of the virtio-blk disks.
	virtio_pci) printf '%s\n' "$serial virtio_pci" "$blk virtio_pci" ;;
	virtio_console) printf '%s\n' "$serial virtio_pci" "virtio:d00000003v00001AF4 virtio_console" ;;
	virtio_blk) printf '%s\n' "$blk virtio_pci" "virtio:d00000002v00001AF4 virtio_blk" ;;
	*) hp_vm_module_modaliases "$1" ;;
	esac
}

# Scratch disk for O_DIRECT; cache=none needs O_DIRECT on the host side too.
qemu_disk() {
	local img=$1
	qemu-img create -q -f raw "$img" 256M || hp_die "qemu-img create $img failed"
	if dd if="$img" of=/dev/null bs=4096 count=1 iflag=direct 2>/dev/null; then
		printf 'cache=none\n'
	else
		printf 'cache=writeback\n'
	fi
}

# A small ext4 image for the guest's page-cache cases (gup_stress's
# pagecache memory type wants a disk filesystem, not tmpfs). Prints the
# -drive arguments, or nothing when mkfs.ext4 is missing.
qemu_fs_disk() {
	local img=$1
	command -v mkfs.ext4 >/dev/null || return 0
	qemu-img create -q -f raw "$img" 128M || hp_die "qemu-img create $img failed"
	mkfs.ext4 -q -F "$img" >/dev/null 2>&1 || hp_die "mkfs.ext4 $img failed"
	printf '%s\n' -drive "file=$img,format=raw,if=virtio"
}

# Read the complete lines that appeared on fd $1 since the last call into the
# array named $2; a line still being written waits in the variable named $3.
# Bash reads, no processes: polling must not take CPU from the guest.
read_new_lines() {
	local fd=$1 line
	local -n out=$2 partial=$3
	out=()
	while IFS= read -r line <&"$fd"; do
		out+=("$partial$line")
		partial=''
	done
	partial+=$line
}

# Boot once. $1: boot directory (gets console.log, rec.port and the
# records.jsonl made from it, ktap.txt, dmesg.log, cont.port: the last
# program's contingencies), $2: kernel, $3: initrd, $4: kernel command line.
# Sets BOOT_KILLED (1 when stopped at --timeout), BOOT_FIRST_CASE_S and
# BOOT_WALL_S, and prints progress (programs and cases as they start).
qemu_boot() {
	local dir=$1 kernel=$2 initrd=$3 cmdline=$4 cache pid t0 now first=''
	local line name started ktap_fd rec_fd ktap_part='' rec_part=''
	local -a machine gpu devmem fsdisk lines
	mkdir -p "$dir"
	cache=$(qemu_disk "$dir/scratch.img")
	mapfile -t machine < <(qemu_machine_args "$OPT_DEVICES")
	mapfile -t gpu < <(qemu_gpu_args "$OPT_DEVICES")
	mapfile -t devmem < <(qemu_devmem_args)
	mapfile -t fsdisk < <(qemu_fs_disk "$dir/fs.img")
	: >"$dir/rec.port"
	: >"$dir/ktap.txt"
	: >"$dir/dmesg.log"
	: >"$dir/cont.port"
	t0=$(hp_now_us)
	"$HP_QEMU" -accel "$HP_ACCEL" -nodefaults -display none -no-reboot \
		-m "$OPT_MEM" -smp "$OPT_SMP" \
		-kernel "$kernel" -initrd "$initrd" -append "$cmdline" \
		-serial "file:$dir/console.log" "${machine[@]}" "${gpu[@]}" "${devmem[@]}" \
		-drive "file=$dir/scratch.img,format=raw,if=virtio,$cache" "${fsdisk[@]}" \
		-device virtio-serial-pci \
		-chardev "file,id=rec,path=$dir/rec.port" -device virtserialport,chardev=rec,name=hugepin.rec \
		-chardev "file,id=ktap,path=$dir/ktap.txt" -device virtserialport,chardev=ktap,name=hugepin.ktap \
		-chardev "file,id=log,path=$dir/dmesg.log" -device virtserialport,chardev=log,name=hugepin.log \
		-chardev "file,id=cont,path=$dir/cont.port" -device virtserialport,chardev=cont,name=hugepin.cont \
		>"$dir/qemu.log" 2>&1 &
	pid=$!
	HP_QEMU_PID=$pid
	BOOT_KILLED=0
	BOOT_FIRST_CASE_S=
	exec {ktap_fd}<"$dir/ktap.txt" {rec_fd}<"$dir/rec.port"
	while kill -0 "$pid" 2>/dev/null; do
		sleep 0.25
		now=${EPOCHREALTIME//[!0-9]/}
		now=$((10#$now))
		read_new_lines "$ktap_fd" lines ktap_part
		for line in "${lines[@]}"; do
			case $line in
			"$HP_MARK_BEGIN "*)
				read -r _ _ _ name _ <<<"$line"
				BOOT_PROG_I=$((BOOT_PROG_I + 1))
				BOOT_PROG_NAME=$name
				hp_status_end
				hp_progress "program $BOOT_PROG_I/$BOOT_PROG_N: $name"
				;;
			esac
		done
		read_new_lines "$rec_fd" lines rec_part
		# The records' own parser names the cases started (test:name).
		if ((${#lines[@]})); then
			mapfile -t started < <(printf '%s\n' "${lines[@]}" | "$HP_TOP/build/bin/hp_report" starts -)
			for name in "${started[@]}"; do
				BOOT_CASE_I=$((BOOT_CASE_I + 1))
				[ -n "$first" ] || first=$(hp_us_secs "$t0" "$now")
				hp_status "program $BOOT_PROG_I/$BOOT_PROG_N $BOOT_PROG_NAME, case $BOOT_CASE_I: ${name#*:}"
			done
		fi
		if ((now - t0 > OPT_TIMEOUT * 1000000)); then
			hp_progress "guest still running after ${OPT_TIMEOUT}s: stopping it"
			kill "$pid" 2>/dev/null
			BOOT_KILLED=1
			break
		fi
	done
	exec {ktap_fd}<&- {rec_fd}<&-
	wait "$pid" 2>/dev/null || true
	BOOT_FIRST_CASE_S=$first
	BOOT_WALL_S=$(hp_us_secs "$t0" "$(hp_now_us)")
	[ "$OPT_KEEP" = 1 ] || rm -f "$dir/scratch.img" "$dir/fs.img"
	cp "$dir/rec.port" "$dir/records.jsonl"
	# A signal that reached QEMU with us (a terminal's Ctrl-C goes to the whole
	# process group, and a script's background job ignores SIGINT itself) is
	# an interrupt of the run, not a guest that died.
	local sig
	sig=$(sed -n 's/.*terminating on signal \([0-9]*\).*/\1/p' "$dir/qemu.log" | head -n1)
	if [ "$BOOT_KILLED" = 0 ] && [ -n "$sig" ]; then
		case $sig in
		1) on_signal HUP 1 ;;
		2) on_signal INT 2 ;;
		15) on_signal TERM 15 ;;
		esac
	fi
	if [ ! -s "$dir/console.log" ] && [ -s "$dir/qemu.log" ]; then
		hp_die "QEMU failed: $(head -n1 "$dir/qemu.log")"
	fi
}
