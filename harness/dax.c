// SPDX-License-Identifier: GPL-2.0
/*
 * DAX buffers (hp_buf.h): a shared mapping of a device DAX (/dev/daxR.N,
 * which run.sh's x86 guests make of memmap=SIZE!START legacy pmem and name in
 * HUGEPIN_DAX), or of a file on a filesystem mounted with -o dax (fsdax over
 * a pmem device), which the kernel maps straight from the device, by PMDs
 * where offset, address and extent are PMD aligned. Since 6.15
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
#include "hp_refmod.h"

#define HP_MOUNTS "/proc/self/mounts"
#define HP_DAX_ENV "HUGEPIN_DAX"
#define HP_DAX_WHY_ENV "HUGEPIN_DAX_WHY"
#define HP_DAX_SYSFS "/sys/bus/dax/devices"

/* The device DAX the guest's init made (HUGEPIN_DAX), or NULL. */
static const char *devdax_path(void)
{
	const char *dev = getenv(HP_DAX_ENV);

	return dev && *dev ? dev : NULL;
}

/* Bytes of device DAX @dev (its sysfs size), 0 when unknown. */
static unsigned long long devdax_size(const char *dev)
{
	const char *base = strrchr(dev, '/');
	unsigned long long size = 0;
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), HP_DAX_SYSFS "/%s/size", base ? base + 1 : dev);
	f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%llu", &size) != 1)
			size = 0;
		fclose(f);
	}
	return size;
}

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
	if (ret && getenv(HP_DAX_WHY_ENV))
		snprintf(why, why_len, "no device DAX: %s", getenv(HP_DAX_WHY_ENV));
	else if (ret)
		snprintf(why, why_len,
			 "no device DAX (HUGEPIN_DAX) and no filesystem mounted with -o dax (a pmem device: QEMU nvdimm or memmap=SIZE!START)");
	return ret;
}

/* The whole buffer from offset 0 of the device: device DAX maps in its alignment's units. */
static int devdax_create(const char *dev, size_t size, struct hp_buf *b)
{
	unsigned long long have = devdax_size(dev);
	int fd;

	if (have && have < size)
		return -ENOSPC;
	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	b->fd = fd;
	b->off = 0;
	b->flags = MAP_SHARED;
	b->never_advise = true;
	return 0;
}

static int dax_create(const struct hp_buf_src *src, size_t size, struct hp_buf *b)
{
	char dir[PATH_MAX], why[HP_TEXT_LEN], path[PATH_MAX + 32];
	int fd, ret;

	if (!src->dir && devdax_path())
		return devdax_create(devdax_path(), size, b);
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

	if (src->dir || devdax_path())
		return 0;
	return hp_dax_dir(dir, sizeof(dir), why, len);
}

/*
 * The page-reference check: the references the kernel counts on the
 * buffer's pages before a pin and after its release must be equal (a pin
 * that took one it did not give back, or gave back one it did not take,
 * shows here). The reference module answers the query; without it the
 * check says so in the report and judges nothing.
 */
static int dax_refs(struct hp_buf *b, long long *refs)
{
	struct hp_refmod r;
	int err;

	err = hp_refmod_open(&r, b->refs_why, sizeof(b->refs_why));
	if (err)
		return err;
	err = _hp_refmod_pagerefs(&r, b->map.addr, b->map_len, refs);
	if (err)
		snprintf(b->refs_why, sizeof(b->refs_why), "%s: %s",
			 err == -ENOTTY ? "the module has no page-reference query" :
			 "page-reference query", strerror(-err));
	hp_refmod_close(&r);
	return err;
}

static void dax_arm(struct hp_buf *b)
{
	b->refs_why[0] = '\0';
	if (dax_refs(b, &b->refs_armed))
		b->refs_armed = -1;
}

static void dax_check(struct hp_buf *b, struct hp_evidence *ev, char *report, size_t len)
{
	long long after;

	if (b->refs_armed < 0 || dax_refs(b, &after)) {
		snprintf(report, len, "page references not checked: %s", b->refs_why);
		return;
	}
	ev->page_refs_off = (long)(after - b->refs_armed);
	snprintf(report, len, "page references %lld before the pin, %lld after its release",
		 b->refs_armed, after);
}

const struct hp_buf_ops hp_buf_dax_ops = {
	.create = dax_create, .release = hp_buf_close_fd, .available = dax_available,
	.arm = dax_arm, .check = dax_check,
};
