// SPDX-License-Identifier: GPL-2.0
/*
 * The memory targets the suite names in its records: DRM devices, the
 * reference module and the controls. One line per target says what kind of
 * memory it is, the bug path a huge entry over it exercises, whether its
 * buffer objects are TTM objects, and which PCI display device its driver
 * takes. The guest library, drm_repro and the host report all read it, so a
 * new target is one line here.
 */
#include <string.h>

#include "hp_core.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Drivers first, then the GEM shmem devices, then the controls. */
static const struct hp_target_info targets[] = {
	{ .name = "vmwgfx", .kind = HP_MEM_DRIVER, .path = "vmwgfx (TTM huge fault)", .huge = true,
	  .ttm = true, .drm = true,
	  /* SVGA II (also QEMU's vmware-svga), SVGA 3 */
	  .pci = { { 0x15ad, 0x0405 }, { 0x15ad, 0x0406 } } },
	{ .name = "hugepin_ref", .kind = HP_MEM_DRIVER, .path = "hugepin_ref", .by_level = true,
	  .huge = true },
	/*
	 * The reference module's device memory: a PCI BAR, no struct pages.
	 * Where it is missing, hugepin_ref's own note says why.
	 */
	{ .name = "hugepin_vram", .kind = HP_MEM_DRIVER, .path = "hugepin_ref VRAM", .by_level = true },
	/*
	 * A PCI BAR through vfio-pci (QEMU's ivshmem): huge faults from 6.12.
	 * Opt-in in the VM (run.sh --devices vfio), so not counted as a huge
	 * path every run is missing.
	 */
	{ .name = "vfio", .kind = HP_MEM_DRIVER, .path = "vfio-pci BAR", .by_level = true },
	/*
	 * DAX (device DAX, fsdax): PMDs over pages the kernel refcounts (devmap,
	 * folios since 6.15), so pinning them is right. Like the controls it is
	 * no huge pfn mapping the bug could show on: it never counts as one.
	 */
	{ .name = "dax", .kind = HP_MEM_CONTROL },
	{ .name = "bochs", .kind = HP_MEM_DRIVER, .ttm = true, .drm = true,
	  .pci = { { 0x1234, 0x1111 } } },	/* QEMU std VGA */
	{ .name = "qxl", .kind = HP_MEM_DRIVER, .ttm = true, .drm = true,
	  .pci = { { 0x1b36, 0x0100 } } },
	{ .name = "amdgpu", .kind = HP_MEM_DRIVER, .ttm = true, .drm = true,
	  .pci = { { 0x1002, -1 } } },		/* radeon for pre-GCN parts */
	{ .name = "radeon", .kind = HP_MEM_DRIVER, .ttm = true, .drm = true },
	{ .name = "nouveau", .kind = HP_MEM_DRIVER, .ttm = true, .drm = true,
	  .pci = { { 0x10de, -1 } } },
	{ .name = "vboxvideo", .kind = HP_MEM_DRIVER, .ttm = true, .pci = { { 0x80ee, 0xbeef } } },
	{ .name = "hibmc", .kind = HP_MEM_DRIVER, .ttm = true, .drm = true,
	  .pci = { { 0x19e5, 0x1711 } } },
	{ .name = "xe", .kind = HP_MEM_DRIVER, .ttm = true },
	/* i915 uses TTM only for device-local memory: drm.c decides per device. */
	{ .name = "i915", .kind = HP_MEM_UNKNOWN, .drm = true, .pci = { { 0x8086, -1 } } },
	/* TTM through the VRAM helper before 5.10, shmem after: not guessed. */
	{ .name = "ast", .kind = HP_MEM_UNKNOWN, .drm = true },
	{ .name = "mgag200", .kind = HP_MEM_UNKNOWN, .drm = true },
	{ .name = "vgem", .kind = HP_MEM_PAGES, .drm = true },
	{ .name = "virtio_gpu", .kind = HP_MEM_PAGES, .drm = true, .pci = { { 0x1af4, 0x1050 } } },
	{ .name = "anon", .kind = HP_MEM_CONTROL },
	{ .name = "anon_thp", .kind = HP_MEM_CONTROL },
	{ .name = "shmem", .kind = HP_MEM_CONTROL },
	{ .name = "shmem_thp", .kind = HP_MEM_CONTROL },
	{ .name = "memfd", .kind = HP_MEM_CONTROL },
	{ .name = "hugetlb", .kind = HP_MEM_CONTROL },
	{ .name = "hugetlb_1g", .kind = HP_MEM_CONTROL },
	{ .name = "pagecache", .kind = HP_MEM_CONTROL },
	/* A console row whose case name did not tell the device. */
	{ .name = "-", .kind = HP_MEM_CONTROL },
};

const struct hp_target_info *hp_target_info(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(targets); i++)
		if (!strcmp(targets[i].name, name))
			return &targets[i];
	return NULL;
}

const struct hp_target_info *hp_target_at(size_t i)
{
	return i < ARRAY_LEN(targets) ? &targets[i] : NULL;
}

const struct hp_target_info *hp_target_by_pci(unsigned int vendor, unsigned int device)
{
	for (size_t i = 0; i < ARRAY_LEN(targets); i++)
		for (size_t j = 0; j < ARRAY_LEN(targets[i].pci) && targets[i].pci[j].vendor; j++)
			if (targets[i].pci[j].vendor == vendor &&
			    (targets[i].pci[j].device < 0 ||
			     (unsigned int)targets[i].pci[j].device == device))
				return &targets[i];
	return NULL;
}

void hp_target_drm_names(char *buf, size_t len)
{
	size_t at = 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_LEN(targets) && at < len; i++) {
		int n;

		if (!targets[i].drm)
			continue;
		n = snprintf(buf + at, len - at, "%s%s", at ? ", " : "", targets[i].name);
		at += n > 0 ? (size_t)n : 0;
	}
}
