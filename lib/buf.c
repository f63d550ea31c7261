// SPDX-License-Identifier: GPL-2.0
/*
 * Buffers of a memory target: the table of kinds, and what every kind
 * shares (mapping, remapping, touching). Pin races make, map, remap and
 * destroy these while fast GUP pins them, so a kind's backing code lives
 * once, in its own file.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "hp_buf.h"

static const struct hp_buf_ops *const buf_ops[HP_BUF_NR] = {
	[HP_BUF_ANON] = &hp_buf_anon_ops,
	[HP_BUF_SHMEM] = &hp_buf_shmem_ops,
	[HP_BUF_DRM] = &hp_buf_drm_ops,
	[HP_BUF_REF] = &hp_buf_ref_ops,
};

static int buf_map(struct hp_buf *b, bool huge)
{
	return _hp_map(&b->map, b->fd, b->fd < 0 ? 0 : b->off, b->map_len, b->align,
		       PROT_READ | PROT_WRITE, b->flags, huge || b->always_huge);
}

int _hp_buf_create(const struct hp_buf_src *src, size_t size, bool huge, struct hp_buf *b)
{
	int ret;

	memset(b, 0, sizeof(*b));
	b->src = src;
	b->size = b->map_len = size;
	b->align = HP_SZ_2M;
	b->fd = -1;
	b->bo.fd = -1;
	if ((unsigned int)src->kind >= HP_BUF_NR)
		return -EINVAL;
	ret = buf_ops[src->kind]->create(src, size, b);
	if (ret)
		return ret;
	ret = buf_map(b, huge);
	if (ret) {
		hp_buf_release(b);
		return ret;
	}
	hp_map_touch(&b->map, true);
	b->live = true;
	return 0;
}

int _hp_buf_remap(struct hp_buf *b)
{
	int ret;

	hp_unmap(&b->map);
	ret = buf_map(b, true);
	if (ret)
		return ret;
	hp_map_touch(&b->map, false);
	return 0;
}

void hp_buf_release(struct hp_buf *b)
{
	if (b->src)
		buf_ops[b->src->kind]->release(b->src, b);
}

void hp_buf_destroy(struct hp_buf *b)
{
	if (!b->live)
		return;
	hp_unmap(&b->map);
	hp_buf_release(b);
	b->live = false;
}
