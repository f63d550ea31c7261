/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hugepin_ref internals shared by the driver (hugepin_ref_core.c), the
 * blocks behind its buffers (hugepin_ref_blocks.c) and its test hooks
 * (hugepin_ref_hooks.c): the buffer, its lookup, its blocks, and the hooks'
 * entry points.
 */
#ifndef HUGEPIN_REF_INT_H
#define HUGEPIN_REF_INT_H

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/types.h>

#include "hugepin_ref_uapi.h"

#define HPREF_PMD_ORDER		(PMD_SHIFT - PAGE_SHIFT)
#define HPREF_PAGES_PER_BLOCK	(1ul << HPREF_PMD_ORDER)
/* A block slot with nothing behind it (never allocated, or evicted). */
#define HPREF_NO_PFN		(~0ul)

struct hpref_buf {
	struct kref ref;
	struct mutex lock;		/* blocks, counters, page-table inserts */
	struct file *owner;		/* only this open file may map or control it */
	struct address_space *mapping;
	u32 id;
	u32 flags;
	u64 length;
	u64 mmap_offset;
	unsigned int block_shift;	/* PMD_SHIFT, or PUD_SHIFT for device PUD blocks */
	unsigned long nr_blocks;
	unsigned long *pfns;		/* first pfn of each block; HPREF_NO_PFN while evicted */
	atomic_t mappings;
	u32 last_level;
	u32 last_path;
	u64 faults[HUGEPIN_REF_LEVEL_PUD + 1];
	u64 paths[HUGEPIN_REF_PATH_PTE + 1];
	u64 fallbacks;
	u64 evictions;
};

/* Look up a buffer of @file and take a reference; NULL when it has none such. */
struct hpref_buf *hpref_buf_get(struct file *file, u32 id);
void hpref_buf_put(struct hpref_buf *buf);

/* ---- blocks (hugepin_ref_blocks.c); callers hold buf->lock ---- */

/* What evictions compare and report, accumulated over a buffer's blocks. */
struct hpref_check {
	u64 checked;
	u64 bad;
	u64 extra;
	u64 under;
	u32 nr_samples;
	struct hugepin_ref_page_sample samples[HUGEPIN_REF_EVICT_SAMPLES];
};

/* Pages evictions left allocated on purpose, module-wide. */
extern atomic64_t hpref_pages_kept;

/* Back block @b if it is not: 0, -ENOMEM, or -ENOSPC when device memory is used up. */
int hpref_block_alloc(struct hpref_buf *buf, unsigned long b);
/* The same for a fault handler: 0 or the fault code to return. */
vm_fault_t hpref_block_fault(struct hpref_buf *buf, unsigned long b);
/* Check block @b's refcounts into @c and let it go, or keep it (see the uapi). */
void hpref_block_release(struct hpref_buf *buf, unsigned long b, u32 flags,
			 struct hpref_check *c, u32 *kept, u32 *freed);
/* The page behind page @i of RAM block @b; NULL for device memory or an empty slot. */
struct page *hpref_block_page(const struct hpref_buf *buf, unsigned long b, unsigned long i);
/*
 * True once device memory for HUGEPIN_REF_CREATE_DEVICE is claimed (claims it
 * on first call); with @pud, only when it also holds a PUD-aligned piece of
 * the PUD size and the kernel maps PUD entries.
 */
bool hpref_devmem_ready(bool pud);
/* Give the device memory back, at unload. */
void hpref_devmem_exit(void);

/* HUGEPIN_REF_IOC_PAGEREFS (hugepin_ref_pagerefs.c). */
long hpref_ioc_pagerefs(struct hugepin_ref_pagerefs *a);

/* Module parameter test_hooks: HUGEPIN_REF_IOC_TEST answers only when set. */
extern bool hpref_test_hooks;
long hpref_ioc_test(struct file *file, struct hugepin_ref_test *a);
/* Release what the hooks still hold, at unload. */
void hpref_test_exit(void);
/* The follow check (hugepin_ref_follow.c): arm/disarm, and its removal at unload. */
long hpref_test_follow_check(struct hugepin_ref_test *a);
long hpref_test_split_delay(struct hugepin_ref_test *a);
long hpref_test_ptl_hold(struct hugepin_ref_test *a);
void hpref_follow_exit(void);

#endif
