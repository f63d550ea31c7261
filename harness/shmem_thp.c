// SPDX-License-Identifier: GPL-2.0
/*
 * Shmem THP buffers (hp_buf.h): a file of a private tmpfs mounted with
 * huge=always, so shmem folios are PMD-sized without touching the global
 * shmem_enabled knob. The mount is detached as soon as the file is open:
 * it lives as long as the file does. Where no tmpfs can be mounted, a memfd
 * does, when shmem_enabled lets MADV_HUGEPAGE give it huge folios.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/mount.h>

#include "hp_buf.h"

#define SHMEM_THP_TEMPLATE "/tmp/hugepin-thp.XXXXXX"

/* A huge=always tmpfs file of @size, already unlinked and unmounted; -errno without one. */
static int tmpfs_file(size_t size)
{
	char dir[] = SHMEM_THP_TEMPLATE, path[sizeof(dir) + 16];
	int fd, ret;

	if (!mkdtemp(dir))
		return -errno;
	if (mount("hugepin", dir, "tmpfs", 0, "huge=always")) {
		ret = -errno;
		rmdir(dir);
		return ret;
	}
	snprintf(path, sizeof(path), "%s/buf", dir);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ret = fd < 0 ? -errno : 0;
	unlink(path);
	umount2(dir, MNT_DETACH);
	rmdir(dir);
	if (!ret && ftruncate(fd, (off_t)size)) {
		ret = -errno;
		close(fd);
	}
	return ret ? ret : fd;
}

/* shmem_enabled modes under which MADV_HUGEPAGE gives a memfd huge folios. */
static bool memfd_can_be_huge(void)
{
	static const char *const modes[] = { "always", "advise", "within_size", "force" };
	char mode[32];

	if (hp_sysfs_choice(HP_THP_SHMEM, mode, sizeof(mode)))
		return false;
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(mode, modes[i]))
			return true;
	return false;
}

static int shmem_thp_create(const struct hp_buf_src *src, size_t size, struct hp_buf *b)
{
	int fd = tmpfs_file(size);

	(void)src;
	if (fd < 0 && !memfd_can_be_huge())
		return -EOPNOTSUPP;
	if (fd < 0)
		fd = hp_buf_memfd("hugepin-thp", size);
	if (fd < 0)
		return fd;
	b->fd = fd;
	b->flags = MAP_SHARED;
	b->always_huge = true;
	return 0;
}

const struct hp_buf_ops hp_buf_shmem_thp_ops = { .create = shmem_thp_create, .release = hp_buf_close_fd };
