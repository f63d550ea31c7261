// SPDX-License-Identifier: GPL-2.0
/*
 * hugepin_ref page references: the refcounts of the pages behind a range of
 * the caller's own memory, for the suite's checks of memory whose pins must
 * succeed (DAX: since 6.15 its PMDs map refcounted folios, which fast GUP
 * pins like any page). A case reads the sum before a pin and again after
 * the pin's release; the two must be equal, whatever each kernel's idea of
 * a mapped page's count is. Read only: nothing here changes a count for
 * longer than the lookup.
 *
 * The lookup is a get_user_pages_fast() of the range, so each page
 * carries one reference of ours while its count is read; pages of one
 * compound page (a folio) share its head's count, which counts ours once
 * per page of the range in it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/slab.h>

#include "hugepin_ref_int.h"

long hpref_ioc_pagerefs(struct hugepin_ref_pagerefs *a)
{
	unsigned long nr = a->length >> PAGE_SHIFT, i, run = 0;
	struct page **pages, *head = NULL;
	long got;

	if (a->pad || !nr || !PAGE_ALIGNED(a->addr) || !PAGE_ALIGNED(a->length) ||
	    nr > HUGEPIN_REF_PAGEREFS_MAX)
		return -EINVAL;
	pages = kvcalloc(nr, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	got = get_user_pages_fast(a->addr, nr, 0, pages);
	if (got < 0) {
		kvfree(pages);
		return got;
	}
	a->refs = 0;
	a->heads = 0;
	for (i = 0; i <= (unsigned long)got; i++) {
		struct page *h = i < (unsigned long)got ? compound_head(pages[i]) : NULL;

		if (h == head) {
			run++;
			continue;
		}
		if (head) {
			a->refs += page_count(head) - run;
			a->heads++;
		}
		head = h;
		run = 1;
	}
	a->first_pfn = got ? page_to_pfn(pages[0]) : 0;
	for (i = 0; i < (unsigned long)got; i++)
		put_page(pages[i]);
	kvfree(pages);
	return (unsigned long)got == nr ? 0 : -EFAULT;
}
