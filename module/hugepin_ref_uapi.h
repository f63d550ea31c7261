/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hugepin_ref uapi: the ioctl interface of /dev/hugepin_ref, shared by the
 * reference module and its userspace clients.
 *
 * The module hands out buffers backed by driver-owned higher-order pages and
 * maps them with huge pfn entries, the way TTM did from 5.7 to 5.15. Userspace
 * creates a buffer, mmaps it at the offset the create call returns, pins it
 * through fast GUP, then evicts it: the eviction report compares every backing
 * page's refcount with what the driver holds, which is the detector for the
 * damage fast GUP does to such pages on kernels without the PMD special bit.
 *
 * Every struct starts with a size field that must equal sizeof(struct), is
 * made of fixed-size fields with explicit padding, and is rejected with
 * -EINVAL when the size, a padding field or a flag is not what the module
 * knows.
 */
#ifndef HUGEPIN_REF_UAPI_H
#define HUGEPIN_REF_UAPI_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/ioctl.h>
#else
#include <linux/types.h>
#include <sys/ioctl.h>
#endif

#define HUGEPIN_REF_NAME	"hugepin_ref"
#define HUGEPIN_REF_DEV		"/dev/hugepin_ref"
/* Writable module parameter: 1 forces PTE mappings for every later fault. */
#define HUGEPIN_REF_PARAM_PTE_ONLY "/sys/module/hugepin_ref/parameters/pte_only"

/*
 * Each buffer owns one slot of the device's offset space; the mmap offset
 * create returns is the slot's start, and an offset inside the slot maps the
 * buffer from there on.
 */
#define HUGEPIN_REF_SLOT_SHIFT	40
#define HUGEPIN_REF_MAX_LENGTH	(1ull << 32)

/* ---- caps ---- */

/* The kernel marks huge pfn PMDs special, so fast GUP backs off (6.12+). */
#define HUGEPIN_REF_CAP_PMD_SPECIAL	(1u << 0)
/* The same for PUDs. */
#define HUGEPIN_REF_CAP_PUD_SPECIAL	(1u << 1)
/* The kernel can map PUD pfn entries (HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD). */
#define HUGEPIN_REF_CAP_PUD_ARCH	(1u << 2)
/* This module can back RAM buffers with PUD-sized blocks (never: see HUGEPIN_REF_CREATE_PUD). */
#define HUGEPIN_REF_CAP_PUD		(1u << 3)
/* The core calls ->huge_fault for VM_SPECIAL mappings (not 6.0 .. 6.11). */
#define HUGEPIN_REF_CAP_HUGE_FAULT	(1u << 4)
/* The ordinary ->fault inserts the PMD itself (6.0 .. 6.11). */
#define HUGEPIN_REF_CAP_FAULT_PMD	(1u << 5)
/* The pte_only parameter is set right now. */
#define HUGEPIN_REF_CAP_PTE_ONLY	(1u << 6)
/* Device memory (a PCI BAR without struct pages) backs HUGEPIN_REF_CREATE_DEVICE. */
#define HUGEPIN_REF_CAP_DEVICE		(1u << 7)
/*
 * The device memory holds a PUD-aligned piece of the PUD size and the kernel
 * maps PUD entries: HUGEPIN_REF_CREATE_DEVICE | HUGEPIN_REF_CREATE_PUD works.
 */
#define HUGEPIN_REF_CAP_DEVICE_PUD	(1u << 8)

struct hugepin_ref_caps {
	__u32 size;		/* in: sizeof(struct hugepin_ref_caps) */
	__u32 caps;		/* out: HUGEPIN_REF_CAP_* */
	__u32 kernel_version;	/* out: LINUX_VERSION_CODE the module was built for */
	__u32 page_size;	/* out */
	__u64 pmd_size;		/* out */
	__u64 pud_size;		/* out */
	__u64 pages_kept;	/* out: pages evictions left allocated, module-wide */
};

/* ---- create ---- */

/* Back the buffer with compound pages (__GFP_COMP) instead of TTM's plain ones. */
#define HUGEPIN_REF_CREATE_COMPOUND	(1u << 0)
/*
 * Back the buffer with blocks of the kernel's PUD size for PUD mappings. RAM
 * blocks of that size need HUGEPIN_REF_CAP_PUD, which this module never
 * reports (-EOPNOTSUPP: alloc_contig_pages() is not for modules); with
 * HUGEPIN_REF_CREATE_DEVICE the blocks are PUD-aligned pieces of the device
 * memory (needs HUGEPIN_REF_CAP_DEVICE_PUD, else -ENODEV).
 */
#define HUGEPIN_REF_CREATE_PUD		(1u << 1)
/*
 * Back the buffer with device memory: PMD-sized pieces of a PCI memory BAR,
 * which has no struct pages, as TTM's VRAM placement (needs
 * HUGEPIN_REF_CAP_DEVICE, else -ENODEV; -ENOSPC when the BAR is used up; not
 * with COMPOUND). Evictions check no refcounts on it: pages_checked stays 0.
 */
#define HUGEPIN_REF_CREATE_DEVICE	(1u << 2)
#define HUGEPIN_REF_CREATE_FLAGS	(HUGEPIN_REF_CREATE_COMPOUND | HUGEPIN_REF_CREATE_PUD | \
					 HUGEPIN_REF_CREATE_DEVICE)

struct hugepin_ref_create {
	__u32 size;		/* in: sizeof(struct hugepin_ref_create) */
	__u32 flags;		/* in: HUGEPIN_REF_CREATE_* */
	__u64 length;		/* in: bytes, a multiple of the page size */
	__u32 id;		/* out: buffer id, nonzero */
	__u32 pad;		/* must be zero */
	__u64 block_size;	/* out: bytes per physically contiguous block */
	__u64 mmap_offset;	/* out: mmap offset of the buffer's first byte */
};

/* ---- destroy ---- */

struct hugepin_ref_destroy {
	__u32 size;		/* in: sizeof(struct hugepin_ref_destroy) */
	__u32 id;		/* in */
};

/* ---- info ---- */

enum hugepin_ref_level {
	HUGEPIN_REF_LEVEL_NONE,
	HUGEPIN_REF_LEVEL_PTE,
	HUGEPIN_REF_LEVEL_PMD,
	HUGEPIN_REF_LEVEL_PUD,
};

/* Which handler put the last entry into the page table. */
enum hugepin_ref_path {
	HUGEPIN_REF_PATH_NONE,
	HUGEPIN_REF_PATH_HUGE_FAULT,	/* ->huge_fault, as TTM did on 5.x */
	HUGEPIN_REF_PATH_FAULT_PMD,	/* ->fault inserting a PMD (6.0 .. 6.11) */
	HUGEPIN_REF_PATH_PTE,		/* ->fault inserting a PTE */
};

struct hugepin_ref_info {
	__u32 size;		/* in: sizeof(struct hugepin_ref_info) */
	__u32 id;		/* in */
	__u32 flags;		/* out: HUGEPIN_REF_CREATE_* of the buffer */
	__u32 last_level;	/* out: enum hugepin_ref_level of the last fault */
	__u32 last_path;	/* out: enum hugepin_ref_path of the last fault */
	__u32 mappings;		/* out: VMAs mapping the buffer now */
	__u64 length;		/* out */
	__u64 block_size;	/* out */
	__u64 faults_pte;	/* out: entries inserted per level */
	__u64 faults_pmd;
	__u64 faults_pud;
	__u64 path_huge_fault;	/* out: entries inserted per path */
	__u64 path_fault_pmd;
	__u64 path_pte;
	__u64 fallbacks;	/* out: huge entries tried that did not fit (PTEs used) */
	__u64 evictions;	/* out */
	__u64 blocks_present;	/* out: blocks backing the buffer now */
};

/* ---- evict ---- */

/* Free every evicted block as TTM would, whatever its refcounts say. */
#define HUGEPIN_REF_EVICT_FREE		(1u << 0)
/* Keep every evicted block allocated, even when its refcounts are clean. */
#define HUGEPIN_REF_EVICT_KEEP		(1u << 1)
#define HUGEPIN_REF_EVICT_FLAGS		(HUGEPIN_REF_EVICT_FREE | HUGEPIN_REF_EVICT_KEEP)

#define HUGEPIN_REF_EVICT_SAMPLES	8

struct hugepin_ref_page_sample {
	__u64 index;		/* page index within the buffer */
	__s32 refcount;		/* what the page's refcount was */
	__s32 expected;		/* what the driver holds on it */
};

/*
 * Evict zaps every mapping of the buffer, then compares each backing page's
 * refcount with what the driver holds: 1 on the first page of a block (the
 * allocation's reference), 0 on the others (tail pages of a plain
 * higher-order allocation, like TTM's pool, or of a compound page). By
 * default a block with any mismatch stays allocated for good (freeing a page
 * someone else still references would hand it out twice) and clean blocks
 * are freed; the buffer gets fresh blocks on its next fault.
 */
struct hugepin_ref_evict {
	__u32 size;		/* in: sizeof(struct hugepin_ref_evict) */
	__u32 flags;		/* in: HUGEPIN_REF_EVICT_* */
	__u32 id;		/* in */
	__u32 nr_samples;	/* out: valid entries in samples[] */
	__u64 pages_checked;	/* out */
	__u64 pages_bad;	/* out: refcount != expected */
	__u64 pages_extra;	/* out: refcount > expected */
	__u64 pages_under;	/* out: refcount < expected */
	__u32 blocks_kept;	/* out */
	__u32 blocks_freed;	/* out */
	struct hugepin_ref_page_sample samples[HUGEPIN_REF_EVICT_SAMPLES]; /* out: first mismatches */
};

/* ---- test hooks (module parameter test_hooks=1 only) ---- */

/*
 * The detector controls of the suite make each detector fire on purpose.
 * These operations exist only when the module was loaded with
 * test_hooks=1 (HUGEPIN_REF_PARAM_TEST_HOOKS reads Y); a normal load answers
 * HUGEPIN_REF_IOC_TEST with -ENOTTY.
 */
#define HUGEPIN_REF_PARAM_TEST_HOOKS "/sys/module/hugepin_ref/parameters/test_hooks"

enum hugepin_ref_test_op {
	/* WARN() once from the ioctl: a splat and TAINT_WARN. */
	HUGEPIN_REF_TEST_WARN = 1,
	/* FOLL_PIN [addr, addr+length) and hold it until TEST_UNPIN or unload. */
	HUGEPIN_REF_TEST_PIN,
	/* Release what TEST_PIN holds; result: pages released. */
	HUGEPIN_REF_TEST_UNPIN,
	/* Take one more reference on page @index of buffer @id, never dropped. */
	HUGEPIN_REF_TEST_EXTRA_REF,
	/*
	 * Drop one reference too many on the page behind user address @addr,
	 * which someone else (a held pin) must also reference: the page is then
	 * freed while that holder still points at it. -EBUSY when only the
	 * mapping references the page.
	 */
	HUGEPIN_REF_TEST_DROP_REF,
	/*
	 * Arm (@index 1) or disarm (@index 0) the follow check: a kretprobe on
	 * follow_pfnmap_start() (6.12+, CONFIG_KRETPROBES; -EOPNOTSUPP
	 * otherwise) that WARNs once when a huge entry it returns is not what
	 * its locked page table maps. result: stale entries seen since load;
	 * length (out): huge entries checked since load.
	 */
	HUGEPIN_REF_TEST_FOLLOW_CHECK,
	/*
	 * Widen the walker's window after a PUD split: an mmu notifier on the
	 * caller's mm waits @index microseconds (at most 5000; 0 removes it)
	 * at the end of every other PUD-sized zap. result: waits so far.
	 * -EOPNOTSUPP without CONFIG_MMU_NOTIFIER or before 6.12.
	 */
	HUGEPIN_REF_TEST_SPLIT_DELAY,
	/*
	 * Hold the caller's mm->page_table_lock @index microseconds (at most
	 * 5000), then sleep about as long, @length times (at most 1000).
	 * result: holds done.
	 */
	HUGEPIN_REF_TEST_PTL_HOLD,
	/*
	 * Take one reference off (@index 1) or put one back on (@index 0) the
	 * page, or the compound page, behind user address @addr: the damage a
	 * lost reference does to memory whose pins must succeed (DAX), undone
	 * after its detector looked. Taking off is refused (-EBUSY) unless
	 * the count stays at 1 or more (the idle devmap pages of kernels
	 * before 6.15 count 1: the caller puts one on instead, and takes it
	 * off again after). result: the count after, less the lookup's own.
	 */
	HUGEPIN_REF_TEST_SHIFT_REF,
};

struct hugepin_ref_test {
	__u32 size;		/* in: sizeof(struct hugepin_ref_test) */
	__u32 op;		/* in: enum hugepin_ref_test_op */
	__u32 id;		/* in: buffer (EXTRA_REF) */
	__u32 pad;		/* must be zero */
	__u64 addr;		/* in: user address (PIN, DROP_REF) */
	__u64 length;		/* in: bytes (PIN); out: entries checked (FOLLOW_CHECK) */
	__u64 index;		/* in: page index in the buffer (EXTRA_REF); 1 arm, 0 disarm (FOLLOW_CHECK) */
	__s64 result;		/* out: pages pinned or released; refcount after */
};

/* ---- page references (any load) ---- */

/*
 * The references on the pages behind [addr, addr + length) of the caller's
 * memory, as the kernel counts them: the sum over the distinct heads
 * (a compound page counts once) of their refcount, less the lookup's own.
 * -EFAULT when a page of the range has no struct page to look up (a pfn
 * mapping) or is not mapped.
 */
#define HUGEPIN_REF_PAGEREFS_MAX	4096	/* pages per call */

struct hugepin_ref_pagerefs {
	__u32 size;		/* in: sizeof(struct hugepin_ref_pagerefs) */
	__u32 pad;		/* must be zero */
	__u64 addr;		/* in: page aligned */
	__u64 length;		/* in: page aligned, at most HUGEPIN_REF_PAGEREFS_MAX pages */
	__u64 refs;		/* out: the sum */
	__u64 heads;		/* out: distinct pages or folios behind the range */
	__u64 first_pfn;	/* out: the pfn behind addr */
};

#define HUGEPIN_REF_IOC_MAGIC	0xB7
#define HUGEPIN_REF_IOC_CAPS	_IOWR(HUGEPIN_REF_IOC_MAGIC, 0x00, struct hugepin_ref_caps)
#define HUGEPIN_REF_IOC_CREATE	_IOWR(HUGEPIN_REF_IOC_MAGIC, 0x01, struct hugepin_ref_create)
#define HUGEPIN_REF_IOC_DESTROY	_IOW(HUGEPIN_REF_IOC_MAGIC, 0x02, struct hugepin_ref_destroy)
#define HUGEPIN_REF_IOC_INFO	_IOWR(HUGEPIN_REF_IOC_MAGIC, 0x03, struct hugepin_ref_info)
#define HUGEPIN_REF_IOC_EVICT	_IOWR(HUGEPIN_REF_IOC_MAGIC, 0x04, struct hugepin_ref_evict)
#define HUGEPIN_REF_IOC_TEST	_IOWR(HUGEPIN_REF_IOC_MAGIC, 0x05, struct hugepin_ref_test)
#define HUGEPIN_REF_IOC_PAGEREFS _IOWR(HUGEPIN_REF_IOC_MAGIC, 0x06, struct hugepin_ref_pagerefs)

#endif
