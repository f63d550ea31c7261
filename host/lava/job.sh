# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2153 # shares the run's state with run.sh
# hugepin: `run.sh --lava-job DIR`: instead of booting the kernel, write
# what a LAVA lab needs to run hugepin on it as a kselftest collection:
#   DIR/kernel                  the image run.sh would boot
#   DIR/rootfs.cpio             busybox, the kernel's modules for the emulated
#                               devices, host/lava/rootfs_init.sh as init
#   DIR/hugepin-kselftest.tar.gz  the kselftest tarball (host/lava/kselftest_tar.sh)
#                               with our modules built for this kernel
#   DIR/scratch.img, DIR/fs.img the O_DIRECT scratch disk and the page-cache
#                               filesystem run.sh gives its guest
#   DIR/job.yaml                a LAVA job for the qemu device type, with
#                               file:// URLs into DIR (HUGEPIN_LAVA_URL: a
#                               base URL to use instead, where DIR is served)
#   DIR/board-job.yaml          the same test action for a real board, with
#                               the deploy and boot a lab fills in
# The same kernel resolution, module build and device list as a run, so
# any kernel run.sh boots gets a job. Sourced by run.sh.

readonly HP_LAVA_PROMPT='hugepin-lava# '

# LAVA's name for the guest architecture $1 (uname -m's spelling) and its
# console. The hook for run.sh --arch: arm64 is LAVA's arm64 with console
# ttyAMA0 (the qemu device type then adds -machine virt and a -cpu, which
# the job's context sets as machine and cpu), riscv64 is riscv64 with
# ttyS0; lava_qemu_options takes the devices from host/vm/qemu.sh, which
# knows each architecture's.
lava_arch() {
	case $1 in
	x86_64)
		LAVA_ARCH=amd64 LAVA_CONSOLE=ttyS0
		;;
	*)
		hp_die "--lava-job: no LAVA job for $1 yet (its console and QEMU devices go in lava_arch, host/lava/job.sh)"
		;;
	esac
}

# The rootfs's base piece: busybox, the LAVA init, and coreutils' timeout
# with its libraries (the kernel's kselftest runner calls
# /usr/bin/timeout --foreground, which busybox's lacks).
lava_rootfs_base() {
	local bb tmo key stage lib
	bb=$(command -v busybox) || hp_die "busybox not found: apt-get install busybox-static"
	tmo=$(readlink -f /usr/bin/timeout)
	[ -x "$tmo" ] || hp_die "/usr/bin/timeout missing: apt-get install coreutils"
	key=$(hp_files_key "$bb" "$tmo" "$HP_TOP/host/lava/rootfs_init.sh")
	piece_cached lava-base "$key" && return 0
	stage=$(mktemp -d "$HP_CACHE/stage.$$.XXXXXX")
	mkdir -p "$stage"/{bin,sbin,dev,proc,sys,tmp,usr/bin,lib/modules/hugepin}
	cp "$bb" "$stage/bin/busybox"
	cp "$tmo" "$stage/usr/bin/timeout"
	# ldd prints "name => /path (addr)" and the loader as "/path (addr)".
	for lib in $(ldd "$tmo" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		mkdir -p "$stage$(dirname "$lib")"
		cp -L "$lib" "$stage$lib"
	done
	install -m 0755 "$HP_TOP/host/lava/rootfs_init.sh" "$stage/init"
	piece_store lava-base "$key" "$stage"
}

# YAML list items of QEMU's extra options: run.sh's machine, CPU and
# devices (host/vm/qemu.sh), no default VGA, no reboot on a panic.
lava_qemu_options() {
	local -a a
	mapfile -t a < <(qemu_machine_args "$OPT_DEVICES"; qemu_gpu_args "$OPT_DEVICES"; qemu_devmem_args)
	printf "      - '%s'\n" -no-reboot -vga\ none "-smp $OPT_SMP" "-cpu max"
	while [ ${#a[@]} -gt 0 ]; do
		printf "      - '%s %s'\n" "${a[0]}" "${a[1]}"
		a=("${a[@]:2}")
	done
}

# The test action's definition (inline), shared by both jobs. $1: where the
# guest gets the tarball: "disk" (the job attaches it, virtio serial
# hugepin-tar) or its URL.
# The console carries LAVA's test-case signals: kernel messages there could
# split one (a lost case), so the run keeps them off it (dmesg -n 1; a panic
# still prints) and the job prints the log's tail after the run; each case's
# own evidence is in its KTAP lines.
lava_test_action() {
	local src=$1
	cat <<YAML
- test:
    timeout:
      minutes: 40
    definitions:
    - from: inline
      name: hugepin
      path: inline/hugepin.yaml
      repository:
        metadata:
          format: Lava-Test Test Definition 1.0
          name: hugepin
          description: "hugepin kselftest collection: fast GUP through huge pfn mappings"
        run:
          steps:
          - export TARBALL='$src'
          - mkdir -p /opt/kselftest && cd /opt/kselftest
          - if [ "\$TARBALL" = disk ]; then for s in /sys/block/*/serial; do [ "\$(cat \$s)" = hugepin-tar ] && T=/dev/\$(basename \$(dirname \$s)); done; tar -xf "\$T"; else wget -q -O - "\$TARBALL" | tar -xzf -; fi
          - . ./hugepin/env.sh
          - dmesg -n 1
          - ./run_kselftest.sh -c hugepin 2>&1 | tee /tmp/hugepin.ktap | ./hugepin/lava_results.sh
          - echo "hugepin dmesg:"; dmesg | tail -n 200
YAML
}

# file:// URL of DIR/$1, or HUGEPIN_LAVA_URL/$1.
lava_url() {
	if [ -n "${HUGEPIN_LAVA_URL:-}" ]; then
		printf '%s/%s\n' "${HUGEPIN_LAVA_URL%/}" "$1"
	else
		printf 'file://%s/%s\n' "$LAVA_DIR" "$1"
	fi
}

lava_job_qemu() {
	local cmdline
	# run.sh's guest command line without its hugepin.* words, with the
	# DAX region's memmap= where run.sh gives one (run.sh dax_cmdline).
	dax_cmdline "console=$LAVA_CONSOLE loglevel=5 panic=-1 oops=panic panic_on_warn=0"
	cmdline=$DAX_CMDLINE
	cat <<YAML
# SPDX-License-Identifier: GPL-2.0
# hugepin as a kselftest collection on $RELEASE ($(uname -m)), LAVA device type qemu.
# Written by run.sh --lava-job; run it with lava-run or submit it to a lab.
device_type: qemu
job_name: hugepin kselftest $RELEASE
timeouts:
  job:
    minutes: 60
  action:
    minutes: 40
  connection:
    minutes: 2
priority: medium
visibility: public
context:
  arch: $LAVA_ARCH
  no_kvm: true
  memory: $(( ${OPT_MEM%[MG]} * $([[ $OPT_MEM == *G ]] && echo 1024 || echo 1) ))
  guestfs_interface: virtio
  guestfs_size: 64
  extra_options:
$(lava_qemu_options)
actions:
- deploy:
    to: tmpfs
    timeout:
      minutes: 10
    images:
      kernel:
        image_arg: -kernel {kernel} -append "$cmdline"
        url: $(lava_url kernel)
      initrd:
        image_arg: -initrd {initrd}
        url: $(lava_url rootfs.cpio)
      hugepin:
        image_arg: -drive if=none,id=hptar,format=raw,readonly=on,file={hugepin} -device virtio-blk-pci,drive=hptar,serial=hugepin-tar
        url: $(lava_url hugepin-kselftest.tar.gz)
        compression: gz
      scratch:
        image_arg: -drive if=none,id=hpscratch,format=raw,file={scratch} -device virtio-blk-pci,drive=hpscratch,serial=hugepin-scratch
        url: $(lava_url scratch.img)
      fs:
        image_arg: -drive if=none,id=hpfs,format=raw,file={fs} -device virtio-blk-pci,drive=hpfs,serial=hugepin-fs
        url: $(lava_url fs.img)
- boot:
    method: qemu
    media: tmpfs
    timeout:
      minutes: 5
    prompts:
    - '$HP_LAVA_PROMPT'
$(lava_test_action disk)
YAML
}

lava_job_board() {
	cat <<YAML
# SPDX-License-Identifier: GPL-2.0
# hugepin as a kselftest collection on a real board: the lab fills in
# every FILL_IN (its device type, its deploy and boot methods, the kernel
# and rootfs it tests). The rootfs needs a root shell, busybox or coreutils,
# wget and tar, and the kernel's modules; the tarball must be built for the
# kernel the board boots (make kselftest-tar KDIR=<its build tree>), since
# it carries hugepin's modules for it. Written by run.sh --lava-job for $RELEASE.
device_type: FILL_IN
job_name: hugepin kselftest FILL_IN
timeouts:
  job:
    minutes: 60
  action:
    minutes: 40
priority: medium
visibility: public
actions:
- deploy:
    to: FILL_IN            # tftp, nfs, fastboot, ... as the device type takes it
    kernel:
      url: FILL_IN
    ramdisk:
      url: FILL_IN
    modules:
      url: FILL_IN         # the kernel's modules (GPU drivers, vgem)
- boot:
    method: FILL_IN        # u-boot, grub, ...
    commands: ramdisk
    prompts:
    - FILL_IN
$(lava_test_action "$(lava_url hugepin-kselftest.tar.gz)")
YAML
}

# Write the job directory $1 for the resolved kernel.
lava_job_write() {
	local dir=$1 mods_piece=$2 base
	lava_arch "$(uname -m)"
	mkdir -p "$dir" || hp_die "cannot create --lava-job $dir"
	LAVA_DIR=$(readlink -f "$dir")
	[ -n "$REF_KO" ] || hp_die "--lava-job: the reference module did not build for $RELEASE: $REF_WHY"
	cp "$(kernel_boot_image "$KERNEL_IMAGE")" "$LAVA_DIR/kernel"
	base=$(lava_rootfs_base)
	cat "$base" "$mods_piece" >"$LAVA_DIR/rootfs.cpio"
	"$HP_TOP/host/lava/kselftest_tar.sh" --bin "$HP_TOP/build/bin-static" --modules "$MODULE_KO_DIR" \
		"$LAVA_DIR/hugepin-kselftest.tar.gz" >&2 || hp_die "the kselftest tarball failed"
	qemu-img create -q -f raw "$LAVA_DIR/scratch.img" 256M
	qemu-img create -q -f raw "$LAVA_DIR/fs.img" 128M
	mkfs.ext4 -q -F "$LAVA_DIR/fs.img" >/dev/null 2>&1 || hp_die "mkfs.ext4 $LAVA_DIR/fs.img failed"
	lava_job_qemu >"$LAVA_DIR/job.yaml"
	lava_job_board >"$LAVA_DIR/board-job.yaml"
	hp_progress "LAVA job for $RELEASE in $LAVA_DIR: job.yaml (qemu), board-job.yaml (a real board's template)"
}
