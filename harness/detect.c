// SPDX-License-Identifier: GPL-2.0
/*
 * Detectors run around every case: the kernel log, pin accounting, taint
 * and canaries.
 *
 * A kernel without CONFIG_DEBUG_VM damages refcounts silently, and one with
 * it may only WARN and go on, so a pin that "worked" is never the whole
 * story: we write a marker into /dev/kmsg before the case, read everything
 * the kernel logged after it, and compare the damage taint bits and the
 * FOLL_PIN counters (nr_foll_pin_acquired/released, 5.9+) before and after.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>

#include "hp_sys.h"

#define KMSG "/dev/kmsg"
#define TAINTED "/proc/sys/kernel/tainted"
/* One kmsg record: the kernel caps them at 1 KiB of text plus the header. */
#define KMSG_REC 2048
/*
 * Pins are released asynchronously in places (dio completion may hand dirty
 * pages to a workqueue), so an imbalance must persist over several reads
 * before it counts as a leak. The counters are system-wide: while the case
 * settles after its pin any new acquisition is another process's, and then
 * an imbalance cannot be attributed, so the check stands down for that case.
 * A quiet guest settles on the first read.
 */
#define PIN_SETTLE_TRIES 50
#define PIN_SETTLE_USEC 10000

static void note_pins_busy(void)
{
	static bool noted;

	if (!noted)
		printf("# other processes are pinning pages: pin accounting check off while they do\n");
	noted = true;
}

static unsigned long read_taint(void)
{
	unsigned long t = 0;
	FILE *f = fopen(TAINTED, "re");

	if (f) {
		if (fscanf(f, "%lu", &t) != 1)
			t = 0;
		fclose(f);
	}
	return t;
}

long hp_vmstat(const char *key)
{
	char name[64];
	long val, found = -1;
	FILE *f = fopen("/proc/vmstat", "re");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", name, &val) == 2) {
		if (!strcmp(name, key)) {
			found = val;
			break;
		}
	}
	fclose(f);
	return found;
}

/*
 * The pin counters are node statistics kept in per-CPU deltas and folded
 * into /proc/vmstat about once a second: without a refresh, a pin shows up
 * late and looks like someone else's. vm.stat_refresh (root) folds them now.
 */
static void refresh_vmstat(void)
{
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		ssize_t n = write(fd, "1", 1);

		(void)n;	/* without it the settle loop below still converges */
		close(fd);
	}
}

int hp_vmstat_pins(long *acquired, long *released)
{
	refresh_vmstat();
	*acquired = hp_vmstat("nr_foll_pin_acquired");
	*released = hp_vmstat("nr_foll_pin_released");
	return *acquired < 0 || *released < 0 ? -ENOENT : 0;
}

int hp_detect_begin(struct hp_detect *d, const char *test, const char *name)
{
	uint64_t tag = 0;
	int wfd;

	memset(d, 0, sizeof(*d));
	if (getrandom(&tag, sizeof(tag), GRND_NONBLOCK) != sizeof(tag))
		tag = (uint64_t)getpid() << 32 ^ (uint64_t)(hp_now() * 1e9);
	snprintf(d->marker, sizeof(d->marker), HP_MARK_WINDOW "%s %s %016llx",
		 test, name, (unsigned long long)tag);
	/*
	 * One folded reading: vm.stat_refresh waits for every CPU, several
	 * milliseconds each under TCG, and a case has it at both ends. Another
	 * process pinning while the case settles shows at the end, where the
	 * counters must hold still between two readings.
	 */
	if (hp_vmstat_pins(&d->pins_acquired, &d->pins_released))
		d->pins_acquired = d->pins_released = -1;
	d->taint = read_taint();

	/* Position the reader at the end first, so the marker is the first record after it. */
	d->kmsg_fd = open(KMSG, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (d->kmsg_fd < 0)
		return -errno;
	lseek(d->kmsg_fd, 0, SEEK_END);
	wfd = open(KMSG, O_WRONLY | O_CLOEXEC);
	if (wfd >= 0) {
		char line[sizeof(d->marker) + sizeof(HP_MARK_WINDOW_LEVEL)];
		ssize_t n;

		snprintf(line, sizeof(line), HP_MARK_WINDOW_LEVEL "%s", d->marker);
		n = write(wfd, line, strlen(line));

		(void)n;	/* the reader starts at the end anyway: the marker only dates the window */
		close(wfd);
	}
	return 0;
}

static void scan_log(struct hp_detect *d, struct hp_evidence *ev)
{
	char rec[KMSG_REC];

	for (;;) {
		ssize_t n = read(d->kmsg_fd, rec, sizeof(rec) - 1);
		unsigned int mask;
		char *text, *nl;

		if (n < 0 && errno == EPIPE)
			continue;	/* the ring overwrote records we had not read yet */
		if (n <= 0)
			break;
		rec[n] = '\0';
		text = strchr(rec, ';');
		text = text ? text + 1 : rec;
		nl = strchr(text, '\n');
		if (nl)
			*nl = '\0';
		if (strstr(text, HP_MARK_PREFIX))
			continue;
		mask = hp_kmsg_classify(text);
		if (!mask)
			continue;
		if (!ev->splats)
			snprintf(ev->splat_line, sizeof(ev->splat_line), "%.*s",
				 (int)sizeof(ev->splat_line) - 1, text);
		ev->splats |= mask;
	}
}

int hp_detect_end(struct hp_detect *d, struct hp_evidence *ev)
{
	long acq, rel, prev_acq;

	if (d->kmsg_fd >= 0) {
		scan_log(d, ev);
		close(d->kmsg_fd);
		d->kmsg_fd = -1;
	}
	prev_acq = -1;
	for (int i = 0; d->pins_acquired >= 0 && i < PIN_SETTLE_TRIES; i++) {
		if (hp_vmstat_pins(&acq, &rel))
			break;
		if (prev_acq >= 0 && acq != prev_acq) {
			note_pins_busy();
			ev->pin_leak = 0;
			break;
		}
		prev_acq = acq;
		ev->pin_leak = (acq - d->pins_acquired) - (rel - d->pins_released);
		/*
		 * Below zero is someone else dropping a pin they held before
		 * the case began: a case can leak pins, not return extra ones.
		 */
		if (ev->pin_leak <= 0) {
			ev->pin_leak = 0;
			break;
		}
		usleep(PIN_SETTLE_USEC);
	}
	ev->taint_new |= read_taint() & ~d->taint & HP_TAINT_DAMAGE_MASK;
	return 0;
}

/* splitmix64: a cheap, seedable byte stream that no I/O path would produce by accident. */
static uint64_t canary_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void hp_canary_fill(void *buf, size_t len, uint64_t seed)
{
	unsigned char *p = buf;
	uint64_t state = seed, word = 0;

	for (size_t i = 0; i < len; i++) {
		if (!(i % sizeof(word)))
			word = canary_next(&state);
		p[i] = (unsigned char)(word >> (8 * (i % sizeof(word))));
	}
}

size_t hp_canary_check(const void *buf, size_t len, uint64_t seed, size_t *first_bad)
{
	const unsigned char *p = buf;
	uint64_t state = seed, word = 0;
	size_t bad = 0;

	for (size_t i = 0; i < len; i++) {
		if (!(i % sizeof(word)))
			word = canary_next(&state);
		if (p[i] != (unsigned char)(word >> (8 * (i % sizeof(word))))) {
			if (!bad && first_bad)
				*first_bad = i;
			bad++;
		}
	}
	return bad;
}
