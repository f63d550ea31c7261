// SPDX-License-Identifier: GPL-2.0
/*
 * The guest side of the record protocol: JSON lines go to the port named by
 * $HUGEPIN_RECORDS (a virtio-serial port, so they survive a guest panic that
 * would lose buffered stdout), and each case start is also written to
 * /dev/kmsg, so the serial console shows which case a splat belongs to.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <fnmatch.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "hp_core.h"

/* One record line: all fields escaped at worst, plus the JSON frame. */
#define HP_RECORD_MAX 8192

static pthread_mutex_t rec_lock = PTHREAD_MUTEX_INITIALIZER;
static int rec_fd = -1;
static pid_t rec_pid;

/*
 * kselftest runs each test in a forked child; the child inherits the fd, and
 * reopening per process keeps O_APPEND semantics for plain files.
 */
static int records_fd(void)
{
	const char *path = getenv("HUGEPIN_RECORDS");

	if (!path || !*path)
		return -1;
	if (rec_fd >= 0 && rec_pid == getpid())
		return rec_fd;
	rec_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	rec_pid = getpid();
	return rec_fd;
}

/* A line goes out in one write(): concurrent writers never interleave. */
static void write_line(int fd, const char *line)
{
	size_t len = strlen(line);
	ssize_t n;

	do {
		n = write(fd, line, len);
	} while (n < 0 && errno == EINTR);
}

static void records_write(char *buf, int n)
{
	int fd;

	if (n < 0)
		return;
	buf[n] = '\n';
	buf[n + 1] = '\0';
	pthread_mutex_lock(&rec_lock);
	fd = records_fd();
	if (fd >= 0)
		write_line(fd, buf);
	pthread_mutex_unlock(&rec_lock);
}

/*
 * The runner's own tests (run.sh --inject-panic/--inject-hang) make the
 * guest die or stall inside the first case it starts, once: a boot that
 * resumes after the crash has HUGEPIN_SKIP set and carries on.
 */
static void sysrq_crash(void)
{
	int fd = open("/proc/sysrq-trigger", O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		write_line(fd, "c");
		close(fd);
	}
}

/*
 * run.sh --inject-panic-device DEV: the guest dies in every case that would
 * pin DEV, on every boot, so the runner's bound on such deaths is tested.
 */
static void inject_for_device(const char *device)
{
	const char *inject = getenv("HUGEPIN_INJECT");

	if (inject && !strncmp(inject, HP_INJECT_DEVICE, strlen(HP_INJECT_DEVICE)) &&
	    !strcmp(inject + strlen(HP_INJECT_DEVICE), device))
		sysrq_crash();
}

static void inject_fault(void)
{
	const char *inject = getenv("HUGEPIN_INJECT");

	if (!inject || getenv("HUGEPIN_SKIP"))
		return;
	if (!strcmp(inject, "hang")) {
		/* Stop the parent too: the kselftest harness would time the case out. */
		kill(getppid(), SIGSTOP);
		for (;;)
			pause();
	}
	if (!strcmp(inject, "panic"))
		sysrq_crash();
}

/* The cases this program started, for its contingency's skip list ($HUGEPIN_STARTED). */
static void note_started(const char *test, const char *name)
{
	const char *path = getenv("HUGEPIN_STARTED");
	char line[3 * HP_NAME_LEN];
	int fd;

	if (!path || !*path)
		return;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	snprintf(line, sizeof(line), "%s:%s\n", test, name);
	write_line(fd, line);
	close(fd);
}

void hp_record_start(const char *test, const char *name, const char *device, const char *method)
{
	/* The case this process marked last: a sweep's offsets need one console line. */
	static char marked[HP_RECORD_MAX + 2];
	char buf[HP_RECORD_MAX + 2];
	int kfd;

	snprintf(buf, sizeof(buf), HP_MARK_LEVEL HP_MARK_START "%s %s\n", test, name);
	if (strcmp(buf, marked)) {
		if ((kfd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC)) >= 0) {
			write_line(kfd, buf);
			close(kfd);
		}
		memcpy(marked, buf, sizeof(marked));
		note_started(test, name);
	}
	records_write(buf, hp_record_format_start(test, name, device, method, buf, HP_RECORD_MAX));
	/* A contingency run only writes what a resumed boot would: no deaths. */
	if (hp_in_contingency())
		return;
	inject_fault();
	/* A device the runner bounded only writes why it is not run: no death there. */
	if (device && !hp_case_device_skipped(test, device))
		inject_for_device(device);
}

void hp_record_mapped(const char *test, const char *name, enum hp_level level,
		      enum hp_special special)
{
	char buf[HP_RECORD_MAX + 2];

	if (level == HP_LEVEL_UNKNOWN)
		return;
	records_write(buf, hp_record_format_mapped(test, name, level, special, buf, HP_RECORD_MAX));
}

void hp_record_emit(const struct hp_result *r)
{
	char buf[HP_RECORD_MAX + 2];

	records_write(buf, hp_record_format(r, buf, HP_RECORD_MAX));
}

double hp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *hp_kernel_release(void)
{
	static char release[sizeof(((struct utsname *)0)->release)];
	struct utsname u;

	if (uname(&u))
		return "unknown";
	memcpy(release, u.release, sizeof(release));
	release[sizeof(release) - 1] = '\0';
	return release;
}

const char *hp_env_duration(const char *def)
{
	const char *v = getenv("HUGEPIN_DURATION");
	double secs;

	if (!v || hp_parse_duration(v, 0.1, 86400, &secs))
		return def;
	return v;
}

static bool filter_selects(const char *filter, const char *name, const char *full)
{
	char glob[HP_NAME_LEN * 2];

	/* run.sh drops empty globs; one that gets here anyway selects nothing. */
	while (filter)
		if (hp_list_item(&filter, glob, sizeof(glob)) > 0 &&
		    (!fnmatch(glob, name, 0) || !fnmatch(glob, full, 0)))
			return true;
	return false;
}

/*
 * True when the file @path has a line equal to @full, or matching it as a
 * glob when @glob; the line found goes to @hit (may be NULL).
 */
static bool listed(const char *path, const char *full, bool glob, char *hit, size_t len)
{
	char line[3 * HP_NAME_LEN + 2];
	bool found = false;
	FILE *f = fopen(path, "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		found = glob ? !fnmatch(full, line, 0) : !strcmp(line, full);
	}
	fclose(f);
	if (found && hit)
		snprintf(hit, len, "%s", line);
	return found;
}

bool hp_case_crashed_before(const char *test, const char *glob, char *which, size_t len)
{
	const char *skip = getenv("HUGEPIN_SKIP");
	char full[3 * HP_NAME_LEN];

	snprintf(full, sizeof(full), "%s:%s", test, glob);
	return skip && *skip && listed(skip, full, true, which, len);
}

/*
 * The runner's skip list: a line per case started in a boot the guest did
 * not survive ("test:name"), or per group of cases it will not run again
 * ("test:glob", a TAB, and why). True when @full is listed; @why says why.
 */
static bool skip_listed(const char *path, const char *full, char *why, size_t len)
{
	char line[3 * HP_NAME_LEN + HP_TEXT_LEN];
	bool found = false;
	FILE *f = fopen(path, "r");
	char *tab;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		tab = strchr(line, '\t');
		if (tab)
			*tab = '\0';
		found = tab ? !fnmatch(line, full, 0) : !strcmp(line, full);
		if (found)
			snprintf(why, len, "%s", tab && tab[1] ? tab + 1 :
				 "started in an earlier boot, which the guest did not survive");
	}
	fclose(f);
	return found;
}

const char *hp_case_skip_why(const char *test, const char *name)
{
	const char *filter = getenv("HUGEPIN_FILTER"), *skip = getenv("HUGEPIN_SKIP");
	static __thread char why[HP_TEXT_LEN];
	char full[3 * HP_NAME_LEN];

	snprintf(full, sizeof(full), "%s:%s", test, name);
	/* run.sh checks its --tests globs against the names this prints. */
	if (getenv("HUGEPIN_LIST")) {
		printf("# hugepin-case %s\n", full);
		fflush(stdout);
		return "listing case names only (HUGEPIN_LIST)";
	}
	if (skip && *skip && skip_listed(skip, full, why, sizeof(why)))
		return why;
	if (filter && *filter && !filter_selects(filter, name, full))
		return "not selected by HUGEPIN_FILTER (run.sh --tests)";
	return NULL;
}

const char *hp_case_device_skipped(const char *test, const char *device)
{
	const char *skip = getenv("HUGEPIN_SKIP");
	static __thread char why[HP_TEXT_LEN];
	char full[3 * HP_NAME_LEN];

	snprintf(full, sizeof(full), "%s:@%s", test, device);
	return skip && *skip && skip_listed(skip, full, why, sizeof(why)) ? why : NULL;
}

int hp_self_relative(const char *rel, char *buf, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return n < 0 ? -errno : -ENOENT;
	exe[n] = '\0';
	if ((size_t)snprintf(buf, len, "%s/%s", dirname(exe), rel) >= len)
		return -ENAMETOOLONG;
	return 0;
}
