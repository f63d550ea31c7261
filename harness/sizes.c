// SPDX-License-Identifier: GPL-2.0
/*
 * The page-table geometry of the running kernel: the base page, the block a
 * PMD entry maps and the block a PUD entry maps. These differ by
 * architecture and page size (x86-64 and 4 KiB arm64/riscv64: 2 MiB and
 * 1 GiB; arm64 with 16 KiB pages: 32 MiB and 64 GiB), so nothing in the
 * suite spells them as constants. The PMD size is the kernel's own answer
 * (transparent_hugepage/hpage_pmd_size); where THP is not built in, and
 * for the PUD, one table level holds a page's worth of 8-byte entries on
 * every 64-bit architecture Linux runs this on, so each level maps
 * page/8 times the one below. The reference module reports PMD_SIZE and
 * PUD_SIZE from inside the kernel; hugepfn_ref checks both against these.
 */
#include <stdio.h>
#include <stdint.h>
#include <unistd.h>

#include "hp_sys.h"

#define HP_PMD_SIZE_FILE "/sys/kernel/mm/transparent_hugepage/hpage_pmd_size"

size_t hp_page_size(void)
{
	static size_t page;

	if (!page)
		page = (size_t)sysconf(_SC_PAGESIZE);
	return page;
}

/* Entries in one page-table page: a page of 64-bit entries. */
static size_t entries_per_table(void)
{
	return hp_page_size() / sizeof(uint64_t);
}

size_t hp_pmd_size(void)
{
	static size_t pmd;
	unsigned long long v = 0;
	FILE *f;

	if (pmd)
		return pmd;
	f = fopen(HP_PMD_SIZE_FILE, "re");
	if (f) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 0;
		fclose(f);
	}
	pmd = v ? (size_t)v : hp_page_size() * entries_per_table();
	return pmd;
}

size_t hp_pud_size(void)
{
	return hp_pmd_size() * entries_per_table();
}
