// SPDX-License-Identifier: GPL-2.0
/*
 * hugepin_ref blocks: the physically contiguous pieces behind a buffer, from
 * one of two placements, as TTM had its system and VRAM ones.
 *
 * RAM (the default): one alloc_pages() of PMD order per block, without
 * __GFP_COMP unless the buffer asked for it; the driver expects refcount 1 on
 * the block's first page and 0 elsewhere, and an eviction compares every
 * page with that (see hugepin_ref_core.c).
 *
 * Device memory (HUGEPIN_REF_CREATE_DEVICE): pieces of a PCI memory BAR,
 * which has no struct pages at all, like a GPU's VRAM behind TTM's
 * io_mem_pfn(): PMD-sized ones, or PUD-sized and PUD-aligned ones for
 * HUGEPIN_REF_CREATE_PUD (RAM cannot give those to a module: that takes
 * alloc_contig_pages(), which is not exported). The BAR is that of the
 * first QEMU ivshmem-plain device no driver has taken (vfio-pci takes the
 * one its own cases use), claimed on first use and kept until unload, and
 * handed out in PMD-sized units. A huge pfn entry over it without a special
 * bit sends fast GUP to pfn_to_page() of memory that has no page: a fault
 * inside gup-fast on kernels before 6.12. Nothing is refcounted, so
 * evictions check nothing here and always give the blocks back.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/page_ref.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "hugepin_ref_int.h"

/* QEMU's ivshmem-plain (Red Hat, Inc. 1af4:1110); BAR 2 is its shared memory. */
#define HPREF_DEVMEM_VENDOR	0x1af4
#define HPREF_DEVMEM_DEVICE	0x1110
#define HPREF_DEVMEM_BAR	2

static DEFINE_MUTEX(hpref_devmem_lock);
static struct pci_dev *hpref_devmem_pdev;	/* holds the pci_get_device() reference */
static unsigned long hpref_devmem_pfn;		/* first pfn of the BAR */
static unsigned long hpref_devmem_nr;		/* PMD-sized units in it */
static unsigned long *hpref_devmem_used;	/* one bit per unit */
static bool hpref_devmem_pud;			/* it holds a PUD-aligned piece of the PUD size */

static bool hpref_is_device(const struct hpref_buf *buf)
{
	return buf->flags & HUGEPIN_REF_CREATE_DEVICE;
}

/* Take @pdev's BAR for the device placement; 0 or -errno. */
static int hpref_devmem_take(struct pci_dev *pdev)
{
	resource_size_t start = pci_resource_start(pdev, HPREF_DEVMEM_BAR);
	resource_size_t len = pci_resource_len(pdev, HPREF_DEVMEM_BAR);
	int err;

	if (pdev->dev.driver || !(pci_resource_flags(pdev, HPREF_DEVMEM_BAR) & IORESOURCE_MEM))
		return -EBUSY;
	if (len < PMD_SIZE || !IS_ALIGNED(start, PMD_SIZE))
		return -EINVAL;
	err = pci_enable_device_mem(pdev);
	if (err)
		return err;
	err = pci_request_region(pdev, HPREF_DEVMEM_BAR, HUGEPIN_REF_NAME);
	if (err) {
		pci_disable_device(pdev);
		return err;
	}
	hpref_devmem_nr = len >> PMD_SHIFT;
	hpref_devmem_used = bitmap_zalloc(hpref_devmem_nr, GFP_KERNEL);
	if (!hpref_devmem_used) {
		pci_release_region(pdev, HPREF_DEVMEM_BAR);
		pci_disable_device(pdev);
		return -ENOMEM;
	}
	hpref_devmem_pfn = start >> PAGE_SHIFT;
	hpref_devmem_pud = IS_ENABLED(CONFIG_HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD) &&
			   ALIGN(start, PUD_SIZE) + PUD_SIZE <= start + len;
	pci_info(pdev, "device memory: %lu blocks of %lu KiB at %pa%s\n", hpref_devmem_nr,
		 PMD_SIZE >> 10, &start, hpref_devmem_pud ? ", PUD-sized ones too" : "");
	return 0;
}

bool hpref_devmem_ready(bool pud)
{
	struct pci_dev *pdev = NULL;
	bool ready;

	mutex_lock(&hpref_devmem_lock);
	/* pci_get_device() drops the reference of the device it continues from. */
	while (!hpref_devmem_pdev &&
	       (pdev = pci_get_device(HPREF_DEVMEM_VENDOR, HPREF_DEVMEM_DEVICE, pdev))) {
		if (!hpref_devmem_take(pdev))
			hpref_devmem_pdev = pdev;
	}
	ready = hpref_devmem_pdev && (!pud || hpref_devmem_pud);
	mutex_unlock(&hpref_devmem_lock);
	return ready;
}

void hpref_devmem_exit(void)
{
	if (!hpref_devmem_pdev)
		return;
	bitmap_free(hpref_devmem_used);
	pci_release_region(hpref_devmem_pdev, HPREF_DEVMEM_BAR);
	pci_disable_device(hpref_devmem_pdev);
	pci_dev_put(hpref_devmem_pdev);
	hpref_devmem_pdev = NULL;
}

/* Units of the BAR one block of @buf takes. */
static unsigned long hpref_devmem_units(const struct hpref_buf *buf)
{
	return 1ul << (buf->block_shift - PMD_SHIFT);
}

/* A free block of @units units, aligned to its size in physical memory. */
static int hpref_devmem_alloc(unsigned long units, unsigned long *pfn)
{
	unsigned long i, first_unit;
	int ret = -ENOSPC;

	mutex_lock(&hpref_devmem_lock);
	if (hpref_devmem_pdev) {
		first_unit = hpref_devmem_pfn >> HPREF_PMD_ORDER;
		i = bitmap_find_next_zero_area_off(hpref_devmem_used, hpref_devmem_nr, 0, units,
						   units - 1, first_unit & (units - 1));
		if (i < hpref_devmem_nr) {
			bitmap_set(hpref_devmem_used, i, units);
			*pfn = hpref_devmem_pfn + (i << HPREF_PMD_ORDER);
			ret = 0;
		}
	}
	mutex_unlock(&hpref_devmem_lock);
	return ret;
}

static void hpref_devmem_free(unsigned long units, unsigned long pfn)
{
	mutex_lock(&hpref_devmem_lock);
	bitmap_clear(hpref_devmem_used, (pfn - hpref_devmem_pfn) >> HPREF_PMD_ORDER, units);
	mutex_unlock(&hpref_devmem_lock);
}

static gfp_t hpref_gfp(const struct hpref_buf *buf)
{
	gfp_t gfp = GFP_HIGHUSER | __GFP_ZERO | __GFP_RETRY_MAYFAIL | __GFP_NOWARN;

	if (buf->flags & HUGEPIN_REF_CREATE_COMPOUND)
		gfp |= __GFP_COMP;
	return gfp;
}

int hpref_block_alloc(struct hpref_buf *buf, unsigned long b)
{
	struct page *head;

	if (buf->pfns[b] != HPREF_NO_PFN)
		return 0;
	if (hpref_is_device(buf))
		return hpref_devmem_alloc(hpref_devmem_units(buf), &buf->pfns[b]);
	head = alloc_pages(hpref_gfp(buf), HPREF_PMD_ORDER);
	if (!head)
		return -ENOMEM;
	buf->pfns[b] = page_to_pfn(head);
	return 0;
}

vm_fault_t hpref_block_fault(struct hpref_buf *buf, unsigned long b)
{
	int err = hpref_block_alloc(buf, b);

	if (!err)
		return 0;
	return err == -ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
}

struct page *hpref_block_page(const struct hpref_buf *buf, unsigned long b, unsigned long i)
{
	if (hpref_is_device(buf) || buf->pfns[b] == HPREF_NO_PFN)
		return NULL;
	return pfn_to_page(buf->pfns[b]) + i;
}

static int hpref_expected_ref(unsigned long page_in_block)
{
	return page_in_block == 0 ? 1 : 0;
}

/* Compare a RAM block's refcounts with the allocation's; true when all match. */
static bool hpref_block_check(unsigned long b, struct page *head, struct hpref_check *c)
{
	unsigned long i;
	bool clean = true;

	for (i = 0; i < HPREF_PAGES_PER_BLOCK; i++) {
		int ref = page_ref_count(head + i);
		int want = hpref_expected_ref(i);

		c->checked++;
		if (ref == want)
			continue;
		clean = false;
		c->bad++;
		if (ref > want)
			c->extra++;
		else
			c->under++;
		if (c->nr_samples < HUGEPIN_REF_EVICT_SAMPLES) {
			struct hugepin_ref_page_sample *s = &c->samples[c->nr_samples++];

			s->index = b * HPREF_PAGES_PER_BLOCK + i;
			s->refcount = ref;
			s->expected = want;
		}
	}
	return clean;
}

/*
 * Kept RAM blocks stay allocated for good: pages someone else still
 * references must not go back to the allocator.
 */
void hpref_block_release(struct hpref_buf *buf, unsigned long b, u32 flags,
			 struct hpref_check *c, u32 *kept, u32 *freed)
{
	unsigned long pfn = buf->pfns[b];
	struct page *head;
	bool clean;

	if (pfn == HPREF_NO_PFN)
		return;
	buf->pfns[b] = HPREF_NO_PFN;
	if (hpref_is_device(buf)) {
		hpref_devmem_free(hpref_devmem_units(buf), pfn);
		(*freed)++;
		return;
	}
	head = pfn_to_page(pfn);
	clean = hpref_block_check(b, head, c);
	if (flags & HUGEPIN_REF_EVICT_FREE || (clean && !(flags & HUGEPIN_REF_EVICT_KEEP))) {
		/* With damaged refcounts this is TTM's free, splats included. */
		__free_pages(head, HPREF_PMD_ORDER);
		(*freed)++;
	} else {
		atomic64_add(HPREF_PAGES_PER_BLOCK, &hpref_pages_kept);
		(*kept)++;
	}
}
