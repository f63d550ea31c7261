// SPDX-License-Identifier: GPL-2.0
/*
 * Hugetlb buffers (hp_buf.h): private MAP_HUGETLB memory of PMD-sized or
 * PUD-sized pages (2 MiB or 1 GiB on x86-64). Fast GUP reaches these through its huge PMD and PUD branches over
 * compound pages, the path a pfn mapping must never be taken for. The pages
 * come from the pool the administrator reserved (vm.nr_hugepages, or
 * hugepagesz=1G hugepages=N on the kernel command line).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "hp_buf.h"

#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif
#define HUGETLB_SYSFS "/sys/kernel/mm/hugepages/hugepages-%zukB/free_hugepages"

long hp_hugetlb_free(size_t page_size)
{
	char path[128], line[64];
	FILE *f;

	snprintf(path, sizeof(path), HUGETLB_SYSFS, page_size >> 10);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	return strtol(line, NULL, 10);
}

static int hugetlb_create(const struct hp_buf_src *src, size_t size, struct hp_buf *b)
{
	size_t page = src->page_size ? src->page_size : hp_pmd_size();
	int shift = __builtin_ctzl(page);

	if (page & (page - 1))
		return -EINVAL;
	b->flags = MAP_PRIVATE | MAP_HUGETLB | (shift << MAP_HUGE_SHIFT);
	b->align = page;
	b->map_len = (size + page - 1) & ~(page - 1);
	b->never_advise = true;
	return 0;
}

const struct hp_buf_ops hp_buf_hugetlb_ops = { .create = hugetlb_create, .release = hp_buf_close_fd };
