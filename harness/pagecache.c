// SPDX-License-Identifier: GPL-2.0
/*
 * Page cache buffers (hp_buf.h): a shared mapping of a file on a disk
 * filesystem, so fast GUP pins page cache folios that writeback and
 * reclaim act on. tmpfs and ramfs are refused: their pages are shmem's,
 * which another kind covers. The file is unlinked as soon as it is open.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/vfs.h>

#include "hp_buf.h"

#define TMPFS_MAGIC_NR 0x01021994
#define RAMFS_MAGIC_NR 0x858458f6

int hp_pagecache_dir_check(const char *dir, char *why, size_t len)
{
	struct statfs sfs;

	if (statfs(dir, &sfs)) {
		snprintf(why, len, "cannot stat %s: %s", dir, strerror(errno));
		return -errno;
	}
	if ((unsigned long)sfs.f_type == TMPFS_MAGIC_NR || (unsigned long)sfs.f_type == RAMFS_MAGIC_NR) {
		snprintf(why, len, "%s is tmpfs/ramfs, not a disk filesystem", dir);
		return -EOPNOTSUPP;
	}
	return 0;
}

static int pagecache_create(const struct hp_buf_src *src, size_t size, struct hp_buf *b)
{
	char path[PATH_MAX];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/hugepin-buf.XXXXXX", src->dir ? src->dir : "/tmp");
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	unlink(path);
	if (ftruncate(fd, (off_t)size)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	b->fd = fd;
	b->flags = MAP_SHARED;
	return 0;
}

const struct hp_buf_ops hp_buf_pagecache_ops = { .create = pagecache_create, .release = hp_buf_close_fd };
