/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Buffers of a memory target, made and unmade again and again: drm_repro's
 * target, pressure and victim buffers and gup_stress's DRM and reference
 * module regions. Each kind (anonymous, shmem, a DRM dumb buffer, the
 * reference module) has its backing made and released by its own file's
 * struct hp_buf_ops, one line of the table in buf.c; the mapping, 2 MiB
 * aligned (the module's blocks where larger), remapping and touching are
 * common. Tiers as in hp_sys.h.
 */
#ifndef HP_BUF_H
#define HP_BUF_H

#include "hp_refmod.h"

enum hp_buf_kind {
	HP_BUF_ANON,	/* private anonymous memory: the control */
	HP_BUF_SHMEM,	/* a memfd: the shared control */
	HP_BUF_DRM,	/* dumb buffers of a DRM device */
	HP_BUF_REF,	/* buffers of the reference module */
	HP_BUF_NR,
};

/* Where buffers come from; it outlives every buffer made from it. */
struct hp_buf_src {
	enum hp_buf_kind kind;
	int drm_fd;			/* HP_BUF_DRM: the device, the caller's */
	const struct hp_refmod *ref;	/* HP_BUF_REF: the open module */
};

struct hp_buf {
	const struct hp_buf_src *src;
	struct hp_map map;
	size_t size;		/* bytes asked for */
	size_t map_len;		/* bytes mapped: the module rounds up to its blocks */
	size_t align;
	int fd;			/* what is mapped: memfd, DRM or module fd; -1 anonymous */
	off_t off;		/* its mmap offset */
	int flags;		/* MAP_SHARED or MAP_PRIVATE */
	bool always_huge;	/* MADV_HUGEPAGE on every mapping (the module's) */
	struct hp_bo bo;	/* HP_BUF_DRM */
	struct hugepin_ref_create ref;	/* HP_BUF_REF; id 0 when none */
	bool live;		/* made and mapped */
};

/* One kind's backing. create fills fd, off, flags, map_len and align, or returns -errno. */
struct hp_buf_ops {
	int (*create)(const struct hp_buf_src *src, size_t size, struct hp_buf *b);
	void (*release)(const struct hp_buf_src *src, struct hp_buf *b);
};

extern const struct hp_buf_ops hp_buf_anon_ops;		/* map.c */
extern const struct hp_buf_ops hp_buf_shmem_ops;	/* map.c */
extern const struct hp_buf_ops hp_buf_drm_ops;		/* drm.c */
extern const struct hp_buf_ops hp_buf_ref_ops;		/* refmod.c */

/*
 * A buffer of @size from @src, mapped (MADV_HUGEPAGE when @huge) and
 * write-touched. 0 or -errno, nothing left behind on failure.
 */
int _hp_buf_create(const struct hp_buf_src *src, size_t size, bool huge, struct hp_buf *b);
/*
 * Unmap and map the same backing again at a new aligned address, huge, and
 * read-touch it (a write would overwrite what is being checked). 0 or -errno;
 * on failure the buffer is unmapped and its backing still held.
 */
int _hp_buf_remap(struct hp_buf *b);
/* Release the backing of a buffer whose mapping is gone. */
void hp_buf_release(struct hp_buf *b);
/* Unmap and release a live buffer; nothing for one that is not. */
void hp_buf_destroy(struct hp_buf *b);

#endif
