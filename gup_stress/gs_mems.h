/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gup_stress's memory types, one row each: X(value, name, buffer kind,
 * huge, small, advice, page, whole). Each type is a buffer kind of the
 * library (hp_buf.h) with its hints: MADV_HUGEPAGE (huge) or small pages
 * only (small) at creation, the advice a slot the remap mutator maps again
 * gets back (0: none), the hugetlb page level (a PMD or a PUD block), and
 * whether only the whole region can be remapped. The row yields the enum
 * value, the name of --mem and --list-mem, the table of mem.c and the
 * variant of gup_stress_short that runs it.
 */
#ifndef GS_MEMS_H
#define GS_MEMS_H

#define GS_MEMS(X)								\
	X(GS_MEM_ANON, anon, HP_BUF_ANON, false, true, MADV_NOHUGEPAGE,		\
	  HP_LEVEL_UNKNOWN, false)						\
	X(GS_MEM_ANON_THP, anon_thp, HP_BUF_ANON, true, false, MADV_HUGEPAGE,	\
	  HP_LEVEL_UNKNOWN, false)						\
	X(GS_MEM_SHMEM, shmem, HP_BUF_SHMEM, false, true, MADV_NOHUGEPAGE,	\
	  HP_LEVEL_UNKNOWN, false)						\
	X(GS_MEM_SHMEM_THP, shmem_thp, HP_BUF_SHMEM_THP, true, false,		\
	  MADV_HUGEPAGE, HP_LEVEL_UNKNOWN, false)				\
	X(GS_MEM_HUGETLB, hugetlb, HP_BUF_HUGETLB, false, false, 0, HP_LEVEL_PMD, false) \
	X(GS_MEM_HUGETLB_1G, hugetlb_1g, HP_BUF_HUGETLB, false, false, 0,	\
	  HP_LEVEL_PUD, false)							\
	X(GS_MEM_PAGECACHE, pagecache, HP_BUF_PAGECACHE, false, false, 0,	\
	  HP_LEVEL_UNKNOWN, false)						\
	/* a dumb buffer of each DRM device */					\
	X(GS_MEM_DRM, drm, HP_BUF_DRM, true, false, 0, HP_LEVEL_UNKNOWN, true)	\
	/*									\
	 * Where the core calls the module's ->huge_fault (6.12+) it applies	\
	 * the THP policy first; under "madvise" the PMDs need the hint.	\
	 */									\
	X(GS_MEM_REF, hugepin_ref, HP_BUF_REF, true, false, MADV_HUGEPAGE,	\
	  HP_LEVEL_UNKNOWN, false)						\
	X(GS_MEM_DAX, dax, HP_BUF_DAX, false, false, 0, HP_LEVEL_UNKNOWN, false) \
	/* MMIO behind huge pfn entries: every pin must be refused, whatever the mutators did. */ \
	X(GS_MEM_VFIO, vfio, HP_BUF_VFIO, false, false, 0, HP_LEVEL_UNKNOWN, false)

#endif
