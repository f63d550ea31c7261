# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # read by run.sh, qemu.sh and initramfs.sh
# hugepin VM runner: the devices --devices takes, one line each. The C side
# (what a record's device is, its memory kind and bug path) is harness/targets.c.
#   name        what the records call it and --devices takes
#   qemu        the QEMU -device that backs it ("-": none, a module only)
#   module      the guest module short name that drives it (a comma list when
#               it takes more than one)
#   modaliases  what the guest kernel sees for that device: MODALIAS=DRIVER[/DRIVER],
#               the PCI identity as QEMU 7.2 presents it (its monitor's `info pci`)
#               and, for virtio devices, the virtio bus id behind it. The module
#               to load is whatever the kernel's modules.alias binds to these
#               (bochs-drm in 5.10, bochs later); DRIVER names the drivers that
#               serve the alias, for kernels whose modules.builtin.modinfo has no
#               device aliases of built-in drivers (6.12's virtio_pci).
# Sourced by run.sh.

readonly HP_VM_DEVICE_TABLE="
bochs       VGA             bochs       pci:v00001234d00001111sv00001AF4sd00001100bc03sc00i00=bochs-drm/bochs
qxl         qxl             qxl         pci:v00001B36d00000100sv00001AF4sd00001100bc03sc80i00=qxl
virtio_gpu  virtio-gpu-pci  virtio-gpu  pci:v00001AF4d00001050sv00001AF4sd00001100bc03sc80i00=virtio_pci virtio:d00000010v00001AF4=virtio-gpu
vmwgfx      vmware-svga     vmwgfx      pci:v000015ADd00000405sv000015ADsd00000405bc03sc00i00=vmwgfx
vgem        -               vgem
vfio        ivshmem-plain,memdev=hp_ivshmem  vfio-pci,vfio_iommu_type1
"

# Where the guest is not x86 (QEMU's virt machines), what differs: bochs is
# QEMU's bochs-display, a PCI display without the VGA legacy ranges (same
# PCI identity, display class 03/80); qxl and vmware-svga are x86 devices,
# whose drivers the other architectures' kernels do not build.
readonly HP_VM_DEVICE_VIRT_TABLE="
bochs       bochs-display   bochs       pci:v00001234d00001111sv00001AF4sd00001100bc03sc80i00=bochs-drm/bochs
qxl         x86-only        qxl
vmwgfx      x86-only        vmwgfx
"

# Devices a run has only when --devices names them: vfio needs a q35 machine
# with a vIOMMU (qemu_machine_args), which the default run does not change to.
readonly HP_VM_OPTIN_DEVICES="vfio"

# The default devices' names, comma separated, in table order.
hp_vm_devices() {
	awk -v optin=" $HP_VM_OPTIN_DEVICES " 'NF && index(optin, " " $1 " ") == 0 {
		printf "%s%s", n++ ? "," : "", $1
	}' <<<"$HP_VM_DEVICE_TABLE"
}

# Every device's name, opt-in ones included.
hp_vm_devices_all() {
	awk 'NF { printf "%s%s", n++ ? "," : "", $1 }' <<<"$HP_VM_DEVICE_TABLE"
}

# The device table of the guest architecture (HP_ARCH): the x86 one, with
# the virt machines' lines in place of their x86 ones elsewhere.
hp_vm_device_table() {
	if [ "${HP_ARCH:-x86_64}" = x86_64 ]; then
		printf '%s\n' "$HP_VM_DEVICE_TABLE"
		return 0
	fi
	awk 'NR == FNR { if (NF) virt[$1] = $0; next }
	     NF { print ($1 in virt) ? virt[$1] : $0 }' <(printf '%s\n' "$HP_VM_DEVICE_VIRT_TABLE") \
		<(printf '%s\n' "$HP_VM_DEVICE_TABLE")
}

# Field $2 (2 qemu, 3 module) of device $1; fails for an unknown device.
hp_vm_device_field() {
	hp_vm_device_table | awk -v d="$1" -v f="$2" '$1 == d { print $f; found = 1 } END { exit !found }'
}

# True when device $1 exists on the guest architecture; otherwise prints
# why not, in one line.
hp_vm_device_on_arch() {
	[ "$(hp_vm_device_field "$1" 2)" = x86-only ] || return 0
	printf '%s: QEMU %s is an x86 device (no %s driver on %s)\n' "$1" \
		"$(hp_vm_device_field_x86 "$1" 2)" "$(hp_vm_device_field "$1" 3)" "$HP_ARCH"
	return 1
}

hp_vm_device_field_x86() {
	awk -v d="$1" -v f="$2" '$1 == d { print $f }' <<<"$HP_VM_DEVICE_TABLE"
}

# The device whose guest module is $1; fails when no device has it.
hp_vm_device_of_module() {
	hp_vm_device_table | awk -v m="$1" 'index("," $3 ",", "," m ",") { print $1; found = 1 } END { exit !found }'
}

# "MODALIAS DRIVER..." lines of the device driven by guest module $1.
hp_vm_module_modaliases() {
	hp_vm_device_table | awk -v m="$1" '$3 == m {
		for (i = 4; i <= NF; i++) {
			split($i, kv, "=")
			gsub("/", " ", kv[2])
			print kv[1], kv[2]
		}
	}'
}
