// SPDX-License-Identifier: GPL-2.0
/*
 * DAX buffers (hp_buf.h): a shared mapping of a file on a filesystem mounted
 * with -o dax (fsdax over a pmem device: QEMU's nvdimm, or memmap=SIZE!START
 * legacy pmem), which the kernel maps straight from the device, by PMDs
 * where file offset, address and extent are 2 MiB aligned. Since 6.15
 * (b6cc78551f3a) those PMDs map refcounted folios that fast GUP pins like
 * any page: the right verdict is "pinned and refcounted", SAFE; before,
 * devmap PMDs took fast GUP's devmap path. The file is unlinked as soon as
 * it is open.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "hp_buf.h"

#define HP_MOUNTS "/proc/self/mounts"

/* A "dax" or "dax=always" option among a mount's comma list. */
static bool opts_dax(const char *opts)
{
	char list[256], *save = NULL;

	snprintf(list, sizeof(list), "%s", opts);
	for (char *o = strtok_r(list, ",", &save); o; o = strtok_r(NULL, ",", &save))
		if (!strcmp(o, "dax") || !strcmp(o, "dax=always"))
			return true;
	return false;
}

int hp_dax_dir(char *dir, size_t len, char *why, size_t why_len)
{
	char mnt[PATH_MAX], opts[256], line[PATH_MAX + 512];
	FILE *f = fopen(HP_MOUNTS, "r");
	int ret = -ENODEV;

	if (!f) {
		snprintf(why, why_len, "cannot read %s: %s", HP_MOUNTS, strerror(errno));
		return -errno;
	}
	while (ret && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %4095s %*s %255s", mnt, opts) == 2 && opts_dax(opts)) {
			snprintf(dir, len, "%s", mnt);
			ret = 0;
		}
	}
	fclose(f);
	if (ret)
		snprintf(why, why_len,
			 "no filesystem mounted with -o dax (a pmem device: QEMU nvdimm or memmap=SIZE!START, mkfs, mount -o dax)");
	return ret;
}

static int dax_create(const struct hp_buf_src *src, size_t size, struct hp_buf *b)
{
	char dir[PATH_MAX], why[HP_TEXT_LEN], path[PATH_MAX + 32];
	int fd, ret;

	if (src->dir)
		snprintf(dir, sizeof(dir), "%s", src->dir);
	else if ((ret = hp_dax_dir(dir, sizeof(dir), why, sizeof(why))))
		return ret;
	snprintf(path, sizeof(path), "%s/hugepin-dax.XXXXXX", dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	unlink(path);
	/* Blocks allocated up front, so the filesystem can hand out aligned extents. */
	ret = posix_fallocate(fd, 0, (off_t)size);
	if (ret) {
		close(fd);
		return -ret;
	}
	b->fd = fd;
	b->flags = MAP_SHARED;
	b->never_advise = true;
	return 0;
}

static int dax_available(const struct hp_buf_src *src, char *why, size_t len)
{
	char dir[PATH_MAX];

	if (src->dir)
		return 0;
	return hp_dax_dir(dir, sizeof(dir), why, len);
}

const struct hp_buf_ops hp_buf_dax_ops = {
	.create = dax_create, .release = hp_buf_close_fd, .available = dax_available,
};
