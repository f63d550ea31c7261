// SPDX-License-Identifier: GPL-2.0
/*
 * The page-table level behind an address, from the hugepin_walk module
 * (module/hugepin_walk.c), which the guest loads at boot: exact for any
 * mapping, pfn maps included, on kernels without ptdump debugfs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hp_sys.h"
#include "hugepin_walk_uapi.h"

static int walk_fd = -2;	/* -2: not opened yet; -1: no module */
static int walk_errno;		/* why the open failed */

int hp_walk_query(const void *addr, struct hp_walk *w)
{
	struct hugepin_walk_query q = { .addr = (uintptr_t)addr };

	if (walk_fd == -2) {
		walk_fd = open(HUGEPIN_WALK_DEV, O_RDONLY | O_CLOEXEC);
		walk_errno = walk_fd < 0 ? errno : 0;
	}
	if (walk_fd < 0)
		return -ENODEV;
	if (ioctl(walk_fd, HUGEPIN_WALK_IOC_QUERY, &q))
		return -errno;
	switch (q.level) {
	case HUGEPIN_WALK_LEVEL_PTE: w->level = HP_LEVEL_PTE; break;
	case HUGEPIN_WALK_LEVEL_PMD: w->level = HP_LEVEL_PMD; break;
	case HUGEPIN_WALK_LEVEL_PUD: w->level = HP_LEVEL_PUD; break;
	default: w->level = HP_LEVEL_UNKNOWN; break;
	}
	w->present = q.flags & HUGEPIN_WALK_PRESENT;
	w->special_known = q.flags & HUGEPIN_WALK_SPECIAL_KNOWN;
	w->special = q.flags & HUGEPIN_WALK_SPECIAL;
	w->has_page = q.flags & HUGEPIN_WALK_HAS_PAGE;
	w->pfn = q.pfn;
	return 0;
}

const char *hp_walk_absent_why(void)
{
	static char why[96];

	if (walk_fd >= 0 || walk_fd == -2)
		return NULL;
	/* walk_errno is set once, before walk_fd leaves -2: every caller writes the same text. */
	if (!why[0])
		snprintf(why, sizeof(why), "%s: %s, and no ptdump or smaps answer",
			 HUGEPIN_WALK_DEV, strerror(walk_errno));
	return why;
}
