// SPDX-License-Identifier: GPL-2.0
/*
 * hugepin_ref test hooks: the damage each detector of the suite exists to
 * see, made on purpose, so the suite can prove every detector fires (its
 * detector controls) before it trusts a SAFE verdict.
 *
 * They answer only when the module was loaded with test_hooks=1, which only
 * the controls program does; a normal load returns -ENOTTY for
 * HUGEPIN_REF_IOC_TEST. Every hook damages the running kernel on purpose
 * (a WARN taints it, a reference dropped too many frees a page that a
 * holder still points at), so the controls run after every other case.
 *
 *   WARN       a WARNING splat and TAINT_WARN: the kernel-log detector;
 *   PIN/UNPIN  a FOLL_PIN held until told: nr_foll_pin_acquired moves,
 *              nr_foll_pin_released does not (pin accounting);
 *   EXTRA_REF  one reference more on a buffer page (the eviction report);
 *   DROP_REF   one reference less on a page a held pin still covers, the
 *              refcount damage fast GUP did through huge pfn entries, for
 *              kernels that refuse every pin of the module's own mappings
 *              (the canary);
 *   SHIFT_REF  one reference off a page whose pins must succeed (DAX), and
 *              back on once the page-reference check has looked;
 *   FOLLOW_CHECK a kretprobe that WARNs when follow_pfnmap_start() hands out
 *              a huge entry its locked page table does not map
 *              (hugepin_ref_follow.c; the race program's detector);
 *   SPLIT_DELAY, PTL_HOLD  widen the races' windows (hugepin_ref_follow.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bug.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/page_ref.h>
#include <linux/slab.h>

#include "hugepin_ref_int.h"

/* Enough for the controls (a few MiB), small enough to hold on any machine. */
#define HPREF_TEST_MAX_PIN_PAGES 4096

bool hpref_test_hooks;
module_param_named(test_hooks, hpref_test_hooks, bool, 0444);
MODULE_PARM_DESC(test_hooks, "Expose the test-only ioctl that damages the kernel on purpose (detector controls only)");

static DEFINE_MUTEX(hpref_held_lock);
static struct page **hpref_held;	/* pages TEST_PIN holds */
static unsigned long hpref_held_nr;

static long hpref_test_warn(void)
{
	WARN(1, "deliberate warning from test_hooks (the kernel-log detector's control)\n");
	return 0;
}

static long hpref_test_pin(struct hugepin_ref_test *a)
{
	unsigned long nr = a->length >> PAGE_SHIFT;
	struct page **pages;
	long got;

	if (!nr || !PAGE_ALIGNED(a->addr) || !PAGE_ALIGNED(a->length) ||
	    nr > HPREF_TEST_MAX_PIN_PAGES)
		return -EINVAL;
	pages = kvcalloc(nr, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	mutex_lock(&hpref_held_lock);
	if (hpref_held) {
		got = -EBUSY;
		goto out;
	}
	got = pin_user_pages_fast(a->addr, nr, FOLL_WRITE, pages);
	if (got <= 0) {
		got = got ? got : -EFAULT;
		goto out;
	}
	hpref_held = pages;
	hpref_held_nr = got;
	pages = NULL;
	a->result = got;
	got = 0;
out:
	mutex_unlock(&hpref_held_lock);
	kvfree(pages);
	return got;
}

static long hpref_test_unpin(struct hugepin_ref_test *a)
{
	mutex_lock(&hpref_held_lock);
	a->result = hpref_held_nr;
	if (hpref_held) {
		unpin_user_pages(hpref_held, hpref_held_nr);
		kvfree(hpref_held);
	}
	hpref_held = NULL;
	hpref_held_nr = 0;
	mutex_unlock(&hpref_held_lock);
	return 0;
}

/* The block stays allocated for good once its eviction finds the extra reference. */
static long hpref_test_extra_ref(struct file *file, struct hugepin_ref_test *a)
{
	struct hpref_buf *buf = hpref_buf_get(file, a->id);
	unsigned long b, i;
	struct page *page;
	long ret = 0;

	if (!buf)
		return -ENOENT;
	mutex_lock(&buf->lock);
	b = a->index / HPREF_PAGES_PER_BLOCK;
	i = a->index % HPREF_PAGES_PER_BLOCK;
	page = b < buf->nr_blocks ? hpref_block_page(buf, b, i) : NULL;
	/* A page at refcount 0 (a tail of the block) must not be revived. */
	if (!page || page_ref_count(page) < 1) {
		ret = -EINVAL;
	} else {
		get_page(page);
		a->result = page_ref_count(page);
	}
	mutex_unlock(&buf->lock);
	hpref_buf_put(buf);
	return ret;
}

/*
 * Only a small page that something besides its mapping and this lookup
 * references (a pipe holding it after vmsplice) is dropped: its mapping's
 * unmap then frees it under that holder.
 */
static long hpref_test_drop_ref(struct hugepin_ref_test *a)
{
	struct page *page;
	int ret;

	ret = get_user_pages_fast(a->addr, 1, 0, &page);
	if (ret != 1)
		return ret < 0 ? ret : -EFAULT;
	if (PageCompound(page) || page_ref_count(page) < 3) {
		put_page(page);
		return -EBUSY;
	}
	put_page(page);
	put_page(page);
	a->result = page_ref_count(page);
	pr_info("dropped one reference too many on pfn %#lx (test_hooks)\n", page_to_pfn(page));
	return 0;
}

static long hpref_test_shift_ref(struct hugepin_ref_test *a)
{
	struct page *page, *head;
	long ret = 0;

	if (a->index > 1)
		return -EINVAL;
	ret = get_user_pages_fast(a->addr, 1, 0, &page);
	if (ret != 1)
		return ret < 0 ? ret : -EFAULT;
	head = compound_head(page);
	ret = 0;
	if (!a->index) {
		get_page(head);
	} else if (page_count(head) < 3) {
		/* ours, the one taken off, and one that keeps it alive */
		ret = -EBUSY;
	} else {
		put_page(head);
		pr_info("took one reference off pfn %#lx (test_hooks)\n", page_to_pfn(page));
	}
	a->result = page_count(head) - 1;
	put_page(page);
	return ret;
}

long hpref_ioc_test(struct file *file, struct hugepin_ref_test *a)
{
	if (a->pad)
		return -EINVAL;
	switch (a->op) {
	case HUGEPIN_REF_TEST_WARN:
		return hpref_test_warn();
	case HUGEPIN_REF_TEST_PIN:
		return hpref_test_pin(a);
	case HUGEPIN_REF_TEST_UNPIN:
		return hpref_test_unpin(a);
	case HUGEPIN_REF_TEST_EXTRA_REF:
		return hpref_test_extra_ref(file, a);
	case HUGEPIN_REF_TEST_DROP_REF:
		return hpref_test_drop_ref(a);
	case HUGEPIN_REF_TEST_FOLLOW_CHECK:
		return hpref_test_follow_check(a);
	case HUGEPIN_REF_TEST_SPLIT_DELAY:
		return hpref_test_split_delay(a);
	case HUGEPIN_REF_TEST_PTL_HOLD:
		return hpref_test_ptl_hold(a);
	case HUGEPIN_REF_TEST_SHIFT_REF:
		return hpref_test_shift_ref(a);
	default:
		return -EINVAL;
	}
}

void hpref_test_exit(void)
{
	struct hugepin_ref_test a = { 0 };

	hpref_test_unpin(&a);
	hpref_follow_exit();
}
