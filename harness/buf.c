// SPDX-License-Identifier: GPL-2.0
/*
 * Buffers of a memory target: the table of kinds, and what every kind
 * shares (mapping, remapping, touching). Pin races make, map, remap and
 * destroy these while fast GUP pins them, so a kind's backing code lives
 * once, in its own file.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "hp_buf.h"

#define BUF_KIND_ROW(value, name, what) [value] = { #name, &hp_buf_##name##_ops },
static const struct {
	const char *name;
	const struct hp_buf_ops *ops;
} buf_kinds[HP_BUF_NR] = {
	HP_BUF_KINDS(BUF_KIND_ROW)
};

const char *hp_buf_kind_name(enum hp_buf_kind kind)
{
	return (unsigned int)kind < HP_BUF_NR ? buf_kinds[kind].name : "?";
}

int hp_buf_memfd(const char *name, size_t size)
{
	int fd = memfd_create(name, MFD_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

void hp_buf_close_fd(const struct hp_buf_src *src, struct hp_buf *b)
{
	(void)src;
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
}

static int buf_map(struct hp_buf *b, bool huge)
{
	bool advise = !b->never_advise && (huge || b->always_huge);
	int ret;

	ret = _hp_map(&b->map, b->fd, b->fd < 0 ? 0 : b->off, b->map_len, b->align,
		      PROT_READ | PROT_WRITE, b->flags, advise);
	/* A small-page control must not get THP from a system-wide "always". */
	if (!ret && !advise && b->src->small_pages)
		madvise(b->map.addr, b->map_len, MADV_NOHUGEPAGE);
	return ret;
}

int _hp_buf_create(const struct hp_buf_src *src, size_t size, bool huge, struct hp_buf *b)
{
	int ret;

	memset(b, 0, sizeof(*b));
	b->src = src;
	b->size = b->map_len = size;
	b->align = hp_pmd_size();
	b->fd = -1;
	b->bo.fd = -1;
	if ((unsigned int)src->kind >= HP_BUF_NR)
		return -EINVAL;
	ret = buf_kinds[src->kind].ops->create(src, size, b);
	if (ret)
		return ret;
	ret = buf_map(b, huge);
	if (ret) {
		hp_buf_release(b);
		return ret;
	}
	if (b->touch_len && b->touch_len < b->map.len) {
		struct hp_map part = b->map;

		part.len = b->touch_len;
		hp_map_touch(&part, true);
	} else {
		hp_map_touch(&b->map, true);
	}
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

int hp_buf_available(const struct hp_buf_src *src, char *why, size_t len)
{
	const struct hp_buf_ops *ops;

	if ((unsigned int)src->kind >= HP_BUF_NR)
		return -EINVAL;
	ops = buf_kinds[src->kind].ops;
	return ops->available ? ops->available(src, why, len) : 0;
}

int _hp_buf_evict(struct hp_buf *b, unsigned int flags)
{
	const struct hp_buf_ops *ops = b->src ? buf_kinds[b->src->kind].ops : NULL;

	return ops && ops->evict ? ops->evict(b, flags) : -EOPNOTSUPP;
}

void hp_buf_arm(struct hp_buf *b)
{
	const struct hp_buf_ops *ops = b->src ? buf_kinds[b->src->kind].ops : NULL;

	if (ops && ops->arm)
		ops->arm(b);
}

void hp_buf_check(struct hp_buf *b, struct hp_evidence *ev, char *report, size_t len)
{
	const struct hp_buf_ops *ops = b->src ? buf_kinds[b->src->kind].ops : NULL;

	if (ops && ops->check)
		ops->check(b, ev, report, len);
}

void hp_buf_release(struct hp_buf *b)
{
	if (b->src)
		buf_kinds[b->src->kind].ops->release(b->src, b);
}

void hp_buf_destroy(struct hp_buf *b)
{
	if (!b->live)
		return;
	hp_unmap(&b->map);
	hp_buf_release(b);
	b->live = false;
}
