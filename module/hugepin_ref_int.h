/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hugepin_ref internals shared by the driver (hugepin_ref_core.c) and its
 * test hooks (hugepin_ref_hooks.c): the buffer, its lookup, and the hooks'
 * entry points.
 */
#ifndef HUGEPIN_REF_INT_H
#define HUGEPIN_REF_INT_H

#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/types.h>

#include "hugepin_ref_uapi.h"

#define HPREF_PMD_ORDER		(PMD_SHIFT - PAGE_SHIFT)
#define HPREF_PAGES_PER_BLOCK	(1ul << HPREF_PMD_ORDER)

struct hpref_buf {
	struct kref ref;
	struct mutex lock;		/* blocks, counters, page-table inserts */
	struct file *owner;		/* only this open file may map or control it */
	struct address_space *mapping;
	u32 id;
	u32 flags;
	u64 length;
	u64 mmap_offset;
	unsigned long nr_blocks;
	struct page **blocks;		/* NULL while evicted */
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

/* Module parameter test_hooks: HUGEPIN_REF_IOC_TEST answers only when set. */
extern bool hpref_test_hooks;
long hpref_ioc_test(struct file *file, struct hugepin_ref_test *a);
/* Release what the hooks still hold, at unload. */
void hpref_test_exit(void);

#endif
