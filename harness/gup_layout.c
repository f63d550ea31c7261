// SPDX-License-Identifier: GPL-2.0
/*
 * The debugfs ioctl behind the gup_test pin method, in every layout it has
 * had: CONFIG_GUP_TEST's /sys/kernel/debug/gup_test since 5.11, and
 * CONFIG_GUP_BENCHMARK's /sys/kernel/debug/gup_benchmark from 4.20 to 5.10.
 * Each row names the benchmark command that goes through fast GUP:
 * PIN_FAST_BENCHMARK (pin_user_pages_fast()) from 5.6, GUP_FAST_BENCHMARK
 * (get_user_pages_fast()) before, when nothing pinned with FOLL_PIN yet.
 *
 * The size of the argument is part of the ioctl number, and both files
 * refuse a number they do not know with EINVAL, so rows of different sizes
 * are told apart by asking the kernel. gup_benchmark renumbered its commands
 * twice without changing its struct: 5.6 added the pin commands after the
 * get ones, 5.10 dropped GUP_LONGTERM_BENCHMARK and moved them down one. The
 * kernel accepts the other generations' fast-pin numbers as its own slow
 * get_user_pages()/pin_user_pages() benchmarks, so those rows carry the
 * releases that have them and the running release picks among them.
 */
#include <stdio.h>
#include <sys/ioctl.h>

#include "hp_sys.h"

#define HP_GUP_IOC_TYPE 'g'

/*
 * In the order they are tried. Sizes: since 5.13 ("selftests/vm: gup_test:
 * fix test flag") gup_test has gup_flags and test_flags where it had one
 * flags word, 76 bytes of fields padded to 80; before, 72; gup_benchmark
 * ends in ten reserved u64s: 120.
 */
const struct hp_gup_layout hp_gup_layouts[HP_GUP_NLAYOUTS] = {
	{ HP_GUP_TEST_FILE, "5.13+", 2, 80, 0, 0 },
	{ HP_GUP_TEST_FILE, "5.11-5.12", 2, 72, 0, 0 },
	{ HP_GUP_BENCHMARK_FILE, "5.10", 3, 120, HP_KVER(5, 10), 0 },
	{ HP_GUP_BENCHMARK_FILE, "5.6-5.9", 4, 120, HP_KVER(5, 6), HP_KVER(5, 9) },
	{ HP_GUP_BENCHMARK_FILE, "4.20-5.5", 1, 120, 0, HP_KVER(5, 5) },
};

unsigned long hp_gup_layout_cmd(const struct hp_gup_layout *l)
{
	return _IOC(_IOC_READ | _IOC_WRITE, HP_GUP_IOC_TYPE, l->nr, l->size);
}

/* "5.10.0-46-amd64" -> HP_KVER(5, 10); 0 when it does not start major.minor. */
static unsigned int release_code(const char *release)
{
	unsigned int major, minor;

	if (!release || sscanf(release, "%u.%u", &major, &minor) != 2 || minor > 255)
		return 0;
	return HP_KVER(major, minor);
}

bool hp_gup_layout_fits(const struct hp_gup_layout *l, const char *release)
{
	unsigned int code;

	if (!l->first && !l->last)
		return true;
	code = release_code(release);
	if (!code)
		return false;
	return (!l->first || code >= l->first) && (!l->last || code <= l->last);
}
