// SPDX-License-Identifier: GPL-2.0
/*
 * Scratch storage for the methods that do O_DIRECT I/O: O_DIRECT takes its
 * user pages through fast GUP only when the storage honours it.
 * $HUGEPIN_DISK (the guest's scratch block device), else a file in a
 * directory whose filesystem passes a real O_DIRECT read (tmpfs did not
 * support O_DIRECT before 6.6).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "hp_sys.h"

#define HP_SCRATCH_NAME "hugepin-scratch-XXXXXX"

static int check_odirect(int fd)
{
	void *buf;
	ssize_t n;
	int ret = 0;

	if (posix_memalign(&buf, HP_DIO_ALIGN, HP_DIO_ALIGN))
		return -ENOMEM;
	n = pread(fd, buf, HP_DIO_ALIGN, 0);
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != HP_DIO_ALIGN)
		ret = -EIO;
	free(buf);
	return ret;
}

static int scratch_from_env(struct hp_scratch *s, const char *path, off_t min_size)
{
	struct stat st;
	uint64_t bytes;

	s->fd = open(path, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (s->fd < 0)
		return -errno;
	snprintf(s->path, sizeof(s->path), "%s", path);
	if (fstat(s->fd, &st))
		goto fail;
	s->is_blockdev = S_ISBLK(st.st_mode);
	if (s->is_blockdev) {
		if (ioctl(s->fd, BLKGETSIZE64, &bytes))
			goto fail;
		s->size = (off_t)bytes;
	} else {
		if (st.st_size < min_size && ftruncate(s->fd, min_size))
			goto fail;
		s->size = st.st_size < min_size ? min_size : st.st_size;
	}
	if (s->size < min_size) {
		errno = ENOSPC;
		goto fail;
	}
	errno = -check_odirect(s->fd);
	if (errno)
		goto fail;
	return 0;
fail:
	{
		int err = errno ? errno : EIO;

		close(s->fd);
		s->fd = -1;
		return -err;
	}
}

/* A file in @dir, unlinked at once so nothing is left behind. */
static int scratch_in_dir(struct hp_scratch *s, const char *dir, off_t min_size)
{
	int tmp, ret;

	snprintf(s->path, sizeof(s->path), "%s/%s", dir, HP_SCRATCH_NAME);
	tmp = mkostemp(s->path, O_CLOEXEC);
	if (tmp < 0)
		return -errno;
	s->fd = open(s->path, O_RDWR | O_DIRECT | O_CLOEXEC);
	ret = s->fd < 0 ? -errno : 0;
	unlink(s->path);
	close(tmp);
	if (ret)
		return ret;
	s->is_blockdev = false;
	s->size = min_size;
	if (ftruncate(s->fd, min_size))
		ret = -errno;
	else
		ret = check_odirect(s->fd);
	if (ret) {
		close(s->fd);
		s->fd = -1;
	}
	return ret;
}

int hp_scratch_open(struct hp_scratch *s, off_t min_size)
{
	const char *dirs[] = { getenv("TMPDIR"), "/var/tmp", "/tmp" };
	const char *disk = getenv("HUGEPIN_DISK");
	int ret = -EOPNOTSUPP;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	if (min_size < (off_t)HP_DIO_ALIGN)
		min_size = (off_t)HP_DIO_ALIGN;
	if (disk && *disk)
		return scratch_from_env(s, disk, min_size);
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (!dirs[i] || !*dirs[i])
			continue;
		ret = scratch_in_dir(s, dirs[i], min_size);
		if (!ret)
			return 0;
	}
	/* EINVAL from open(O_DIRECT) is the filesystem saying it cannot. */
	return ret == -EINVAL ? -EOPNOTSUPP : ret;
}

void hp_scratch_close(struct hp_scratch *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

