/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Buffers of a memory target, made and unmade again and again: the pin
 * selftests' DRM and anonymous fixtures, drm_repro's target, pressure and
 * victim buffers and every gup_stress memory type. Each kind (anonymous,
 * shmem, shmem THP, hugetlb, page cache, a DRM buffer, the reference
 * module) has its backing made and released by its own file's struct
 * hp_buf_ops, one line of the table in buf.c; the mapping, PMD aligned
 * (the huge page or the module's block where larger), remapping and
 * touching are common. Tiers as in hp_sys.h.
 */
#ifndef HP_BUF_H
#define HP_BUF_H

#include "hp_sys.h"
#include "hugepin_ref_uapi.h"

struct hp_refmod;
struct hp_vfio_dev;

/*
 * The kind table, one row per provider: X(value, name, what it is). A row
 * yields the enum value, the name hp_buf_kind_name() gives and the ops the
 * kind's own file defines as hp_buf_<name>_ops; a new provider is its file
 * and one row here.
 */
#define HP_BUF_KINDS(X)								\
	X(HP_BUF_ANON, anon, "private anonymous memory: the control")		\
	X(HP_BUF_SHMEM, shmem, "a memfd: the shared control")			\
	X(HP_BUF_DRM, drm, "dumb buffers of a DRM device")			\
	X(HP_BUF_REF, ref, "buffers of the reference module")			\
	X(HP_BUF_SHMEM_THP, shmem_thp,						\
	  "a file of a private huge=always tmpfs (a memfd where shmem THP is on)") \
	X(HP_BUF_HUGETLB, hugetlb, "private hugetlb memory")			\
	X(HP_BUF_PAGECACHE, pagecache, "a file of a disk filesystem: page cache folios") \
	X(HP_BUF_VFIO, vfio, "BAR2 of a vfio-pci device: device memory, no struct pages") \
	X(HP_BUF_DAX, dax,							\
	  "a file on a filesystem mounted -o dax: device memory, refcounted folios (6.15+)")

#define HP_BUF_KIND_ENUM(value, name, what) value,
enum hp_buf_kind {
	HP_BUF_KINDS(HP_BUF_KIND_ENUM)
	HP_BUF_NR,
};

/*
 * Where buffers come from; it outlives every buffer made from it. Fields a
 * kind does not name stay zero.
 */
struct hp_buf_src {
	enum hp_buf_kind kind;
	int drm_fd;			/* HP_BUF_DRM: the device, the caller's */
	enum hp_placement placement;	/* HP_BUF_DRM: dumb (0), or placed by the driver's ioctl */
	const char *driver;		/* HP_BUF_DRM placed: the driver whose ioctl places it */
	const struct hp_refmod *ref;	/* HP_BUF_REF: the open module */
	uint32_t ref_flags;		/* HP_BUF_REF: HUGEPIN_REF_CREATE_* */
	size_t page_size;		/* HP_BUF_HUGETLB: the page size; 0: a PMD block */
	const char *dir;		/* HP_BUF_PAGECACHE: a directory on a disk filesystem */
	bool small_pages;		/* MADV_NOHUGEPAGE before the first touch unless mapped huge */
	struct hp_vfio_dev *vfio;	/* HP_BUF_VFIO: the open device (its slots are handed out) */
	enum hp_level level;		/* HP_BUF_VFIO: the entry the mapping is aligned for */
};

struct hp_buf {
	const struct hp_buf_src *src;
	struct hp_map map;
	size_t size;		/* bytes asked for */
	size_t map_len;		/* bytes mapped: the module rounds up to its blocks */
	size_t align;
	int fd;			/* what is mapped: memfd, file, DRM or module fd; -1 anonymous */
	off_t off;		/* its mmap offset */
	int flags;		/* MAP_SHARED or MAP_PRIVATE (hugetlb: with MAP_HUGETLB and its size) */
	bool always_huge;	/* MADV_HUGEPAGE on every mapping (the module's) */
	bool never_advise;	/* no THP hint at all: hugetlb refuses one */
	size_t touch_len;	/* bytes the first touch faults in; 0: all */
	struct hp_bo bo;	/* HP_BUF_DRM */
	bool gem_huge;		/* HP_BUF_DRM: a GEM shmem buffer holding shmem THP at "always" */
	unsigned int slot, nslots;	/* HP_BUF_VFIO: the BAR's PMD-sized slots it maps */
	struct hugepin_ref_create ref;	/* HP_BUF_REF; id 0 when none */
	struct hugepin_ref_evict evict;	/* HP_BUF_REF: the last eviction's report */
	bool evicted;			/* HP_BUF_REF: evict holds one */
	long long refs_armed;		/* HP_BUF_DAX: page references before the pin; -1 unknown */
	char refs_why[96];		/* HP_BUF_DAX: why they are unknown */
	bool live;		/* made and mapped */
};

/*
 * One kind's backing, the provider interface: every memory target is a
 * kind. create fills fd, off, flags, map_len and align, or returns -errno;
 * release gives the backing back. Optional (NULL): evict takes the memory
 * away from under a live mapping (HUGEPIN_REF_EVICT_* flags for the
 * reference module), 0 or -errno; arm runs before a pin, inside the case's
 * detector window, and notes what check will compare with; check runs
 * after a pin, inside the window, adds what it finds to @ev and says it in
 * @report (the reference module's per-page refcount report, DAX's page
 * references before and after); available
 * says why this machine cannot give such buffers (-errno, @why set: the
 * UNTESTABLE reason) before any is made.
 */
struct hp_buf_ops {
	int (*create)(const struct hp_buf_src *src, size_t size, struct hp_buf *b);
	void (*release)(const struct hp_buf_src *src, struct hp_buf *b);
	int (*evict)(struct hp_buf *b, unsigned int flags);
	void (*arm)(struct hp_buf *b);
	void (*check)(struct hp_buf *b, struct hp_evidence *ev, char *report, size_t len);
	int (*available)(const struct hp_buf_src *src, char *why, size_t len);
};

/* Each kind's ops, in its own file (anon and shmem in map.c, drm in drm.c, ref in refmod.c, ...). */
#define HP_BUF_KIND_OPS(value, name, what) extern const struct hp_buf_ops hp_buf_##name##_ops;
HP_BUF_KINDS(HP_BUF_KIND_OPS)

/* For the kinds' files: a memfd of @size (fd or -errno), and the release of a backing that is b->fd alone (none: -1). */
int hp_buf_memfd(const char *name, size_t size);
void hp_buf_close_fd(const struct hp_buf_src *src, struct hp_buf *b);

/* Free pages of @page_size in the hugetlb pool (hugetlb.c); -1 when the kernel has none of that size. */
long hp_hugetlb_free(size_t page_size);
/* 0 when @dir is on a disk filesystem; else -errno with @why set (pagecache.c). */
int hp_pagecache_dir_check(const char *dir, char *why, size_t len);

/* The mount point of a filesystem mounted -o dax into @dir; -ENODEV with @why set (dax.c). */
int hp_dax_dir(char *dir, size_t len, char *why, size_t why_len);

/* The kind's name in HP_BUF_KINDS ("anon", "drm", ...); "?" out of range. */
const char *hp_buf_kind_name(enum hp_buf_kind kind);

/*
 * A buffer of @size from @src, mapped (MADV_HUGEPAGE when @huge; never for
 * hugetlb, whose pages are huge already) and write-touched. 0 or -errno,
 * nothing left behind on failure.
 */
int _hp_buf_create(const struct hp_buf_src *src, size_t size, bool huge, struct hp_buf *b);
/*
 * Unmap and map the same backing again at a new aligned address, huge, and
 * read-touch it (a write would overwrite what is being checked). 0 or -errno;
 * on failure the buffer is unmapped and its backing still held.
 */
int _hp_buf_remap(struct hp_buf *b);
/* The kind's available op: 0 when it has none. */
int hp_buf_available(const struct hp_buf_src *src, char *why, size_t len);
/* The kind's evict op (-EOPNOTSUPP without one), before-pin arm and after-pin check (nothing without one). */
int _hp_buf_evict(struct hp_buf *b, unsigned int flags);
void hp_buf_arm(struct hp_buf *b);
void hp_buf_check(struct hp_buf *b, struct hp_evidence *ev, char *report, size_t len);
/* Release the backing of a buffer whose mapping is gone. */
void hp_buf_release(struct hp_buf *b);
/* Unmap and release a live buffer; nothing for one that is not. */
void hp_buf_destroy(struct hp_buf *b);

#endif
