// SPDX-License-Identifier: GPL-2.0
/*
 * The gup_test pin method's ioctl (CONFIG_GUP_TEST, CONFIG_GUP_BENCHMARK
 * before 5.11): pin_user_pages_fast() on any address, with the layout the
 * running kernel speaks found once per process (harness/gup_layout.c has them).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "hp_sys.h"

#define HP_FOLL_WRITE 0x01

/* Index into hp_gup_layouts of the layout this kernel accepted; -1 until known. */
static int gup_layout = -1;

/*
 * The first layout of @file that fits the running release and that the
 * kernel takes, asked with an empty range so nothing is pinned. A wrong size
 * or number is refused with EINVAL (ENOTTY where no handler knows it).
 */
static int gup_find_layout(int fd, const char *file)
{
	int i;

	for (i = 0; i < HP_GUP_NLAYOUTS; i++) {
		const struct hp_gup_layout *l = &hp_gup_layouts[i];
		struct hp_gup_args a = { .pages_per_call = 1 };

		if (strcmp(l->file, file) || !hp_gup_layout_fits(l, hp_kernel_release()))
			continue;
		if (!ioctl(fd, hp_gup_layout_cmd(l), &a))
			return i;
		if (errno != EINVAL && errno != ENOTTY)
			return -errno;
	}
	return -EOPNOTSUPP;
}

int hp_gup_test_open(void)
{
	int known = __atomic_load_n(&gup_layout, __ATOMIC_RELAXED);
	const char *tried = "";
	int i, fd, found;

	if (known >= 0) {
		fd = open(hp_gup_layouts[known].file, O_RDWR | O_CLOEXEC);
		return fd < 0 ? -errno : fd;
	}
	/* The rows of one file are adjacent: open each file once, in table order. */
	for (i = 0; i < HP_GUP_NLAYOUTS; i++) {
		const char *file = hp_gup_layouts[i].file;

		if (!strcmp(file, tried))
			continue;
		tried = file;
		fd = open(file, O_RDWR | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT)
			continue;
		if (fd < 0)
			return -errno;
		found = gup_find_layout(fd, file);
		if (found < 0) {
			close(fd);
			return found;
		}
		__atomic_store_n(&gup_layout, found, __ATOMIC_RELAXED);
		return fd;
	}
	return -ENODEV;
}

int _hp_gup_test_pin(int fd, void *addr, size_t len, long *bytes, uint64_t *usec)
{
	int known = __atomic_load_n(&gup_layout, __ATOMIC_RELAXED);
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct hp_gup_args a = {
		.addr = (uintptr_t)addr,
		.len = len,
		.pages_per_call = (uint32_t)(len / page),
		.foll_flags = HP_FOLL_WRITE,
	};

	*bytes = 0;
	/* Only hp_gup_test_open() hands out these fds, and it settles the layout first. */
	if (known < 0)
		return -EBADF;
	/*
	 * The benchmark succeeds even when nothing was pinned and reports the
	 * range it covered in .len; the errno of the refusal is not passed
	 * back, and EFAULT is what fast GUP's fallback gives for these VMAs.
	 * One call for the whole range keeps the head-first order of a real pin.
	 */
	if (ioctl(fd, hp_gup_layout_cmd(&hp_gup_layouts[known]), &a))
		return -errno;
	if (usec)
		*usec = a.get_usec + a.put_usec;
	if (!a.len)
		return -EFAULT;
	*bytes = (long)a.len;
	return 0;
}

void hp_gup_test_describe(int err, char *why, size_t len)
{
	if (err == -ENODEV)
		snprintf(why, len, "/sys/kernel/debug/gup_test and gup_benchmark missing "
			 "(CONFIG_GUP_TEST unset or debugfs not mounted)");
	else if (err == -EOPNOTSUPP)
		snprintf(why, len, "gup_test ioctl: %s refuses every layout in harness/gup_layout.c",
			 hp_kernel_release());
	else
		snprintf(why, len, "gup_test/gup_benchmark: %s", strerror(-err));
}
