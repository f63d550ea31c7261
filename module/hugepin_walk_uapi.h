/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hugepin_walk: which page-table level maps an address of the calling
 * process, read from its page tables. Debian's kernels have no ptdump
 * debugfs, and smaps says nothing about pfn mappings; this answers for any
 * mapping (anonymous, shmem, DRM buffers, PCI BARs, the reference module)
 * on every kernel the module loads on.
 *
 * Shared by the module and the userspace suite.
 */
#ifndef HUGEPIN_WALK_UAPI_H
#define HUGEPIN_WALK_UAPI_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/ioctl.h>
#else
#include <linux/types.h>
#include <sys/ioctl.h>
#endif

#define HUGEPIN_WALK_NAME	"hugepin_walk"
#define HUGEPIN_WALK_DEV	"/dev/hugepin_walk"

enum hugepin_walk_level {
	HUGEPIN_WALK_LEVEL_NONE,	/* no VMA, or nothing mapped there yet */
	HUGEPIN_WALK_LEVEL_PTE,
	HUGEPIN_WALK_LEVEL_PMD,
	HUGEPIN_WALK_LEVEL_PUD,
};

/* The entry is present (maps a pfn). */
#define HUGEPIN_WALK_PRESENT		(1u << 0)
/* This kernel and architecture have a special bit at that level... */
#define HUGEPIN_WALK_SPECIAL_KNOWN	(1u << 1)
/* ...and the entry carries it: fast GUP must not reference the page. */
#define HUGEPIN_WALK_SPECIAL		(1u << 2)
/* The pfn has a struct page (pfn_valid): not device memory without one. */
#define HUGEPIN_WALK_HAS_PAGE		(1u << 3)
#define HUGEPIN_WALK_WRITE		(1u << 4)
/* The VMA's flags. */
#define HUGEPIN_WALK_VMA_PFNMAP		(1u << 8)
#define HUGEPIN_WALK_VMA_MIXEDMAP	(1u << 9)
#define HUGEPIN_WALK_VMA_IO		(1u << 10)

struct hugepin_walk_query {
	__u64 addr;	/* in: a user address of the calling process */
	__u32 level;	/* out: enum hugepin_walk_level */
	__u32 flags;	/* out: HUGEPIN_WALK_* */
	__u64 pfn;	/* out: the pfn mapped at addr, when present */
};

#define HUGEPIN_WALK_IOC_MAGIC	0xB8
#define HUGEPIN_WALK_IOC_QUERY	_IOWR(HUGEPIN_WALK_IOC_MAGIC, 0x00, struct hugepin_walk_query)

#endif /* HUGEPIN_WALK_UAPI_H */
