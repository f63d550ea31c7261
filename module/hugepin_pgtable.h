/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Page-table steps the hugepin modules take on their own: riscv picks its
 * number of page-table levels at boot (sv39/48/57), so its p4d_offset() and
 * pud_offset() are functions, which 6.12 does not export to modules. The
 * same steps through its inline helpers and the exported level switches;
 * everywhere else the kernel's own.
 */
#ifndef HUGEPIN_PGTABLE_H
#define HUGEPIN_PGTABLE_H

#include <linux/pgtable.h>

#if defined(CONFIG_RISCV) && defined(CONFIG_64BIT)
static inline p4d_t *hp_p4d_offset(pgd_t *pgd, unsigned long addr)
{
	if (pgtable_l5_enabled)
		return pgd_pgtable(READ_ONCE(*pgd)) + p4d_index(addr);
	return (p4d_t *)pgd;
}

static inline pud_t *hp_pud_offset(p4d_t *p4d, unsigned long addr)
{
	if (pgtable_l4_enabled)
		return p4d_pgtable(READ_ONCE(*p4d)) + pud_index(addr);
	return (pud_t *)p4d;
}
#else
#define hp_p4d_offset p4d_offset
#define hp_pud_offset pud_offset
#endif

#endif
