// SPDX-License-Identifier: GPL-2.0
/*
 * evict_race: pin a buffer mapping through fast GUP while the driver evicts,
 * destroys and refaults it, per device.
 *
 * TTM's huge pfn mappings (5.7 to 5.15) let fast GUP reference pages that
 * eviction then hands back to the pool; a driver inserting huge pfn PMDs
 * over its own pages is exposed the same way on any kernel before 6.12.
 * Each variant runs a short race through the drm_repro engine (the binary
 * installed next to this one, with --json) and asserts on its per-method
 * records: no unexpected VULNERABLE, every refusal names its errno, pin
 * accounting balanced and a quiet kernel log.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "hp_core.h"
#include "hp_sys.h"
#include "hp_case.h"

#define REPRO_NAME "drm_repro"
#define RACE_DURATION "3"
#define OUT_MAX (256 << 10)
#define MAX_RESULTS HP_M_NR
#define EXIT_USAGE 2

struct repro_run {
	int status;			/* exit code, or -1 when it did not exit */
	char *out;			/* stdout and stderr, NUL-terminated */
	struct hp_result res[MAX_RESULTS];
	int nres;
	const char *summary;		/* the {"type":"summary",...} line, inside out */
};

/* drm_repro sits in the same directory as this program (lib.mk installs both). */
static int repro_path(char *buf, size_t len)
{
	int ret = hp_self_relative(REPRO_NAME, buf, len);

	if (ret)
		return ret;
	return access(buf, X_OK) ? -errno : 0;
}

/* Run drm_repro with @argv, both output streams into one buffer. */
static int repro_exec(const char *path, char *const argv[], struct repro_run *run)
{
	size_t used = 0;
	int p[2], wstatus;
	ssize_t n;
	pid_t pid;

	memset(run, 0, sizeof(*run));
	run->status = -1;
	run->out = calloc(1, OUT_MAX + 1);
	if (!run->out || pipe2(p, O_CLOEXEC))
		return -ENOMEM;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		dup2(p[1], STDOUT_FILENO);
		dup2(p[1], STDERR_FILENO);
		execv(path, argv);
		_exit(127);
	}
	close(p[1]);
	while ((n = read(p[0], run->out + used, OUT_MAX - used)) > 0)
		used += (size_t)n;
	close(p[0]);
	if (waitpid(pid, &wstatus, 0) != pid)
		return -errno;
	if (WIFEXITED(wstatus))
		run->status = WEXITSTATUS(wstatus);
	return 0;
}

/* Pick the records and the summary out of the output, leaving lines intact. */
static void repro_parse(struct repro_run *run)
{
	char *line = run->out, *nl;
	char copy[4 * HP_TEXT_LEN];

	for (; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (!strncmp(line, "{\"type\":\"summary\"", 17)) {
			run->summary = line;
			continue;
		}
		snprintf(copy, sizeof(copy), "%s", line);
		if (run->nres < MAX_RESULTS && hp_record_parse(copy, &run->res[run->nres]) == 1)
			run->nres++;
	}
}

/* Integer field of the summary line; @dflt when absent. */
static long summary_long(const struct repro_run *run, const char *key, long dflt)
{
	char pat[64];
	const char *p;

	if (!run->summary)
		return dflt;
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(run->summary, pat);
	return p ? strtol(p + strlen(pat), NULL, 10) : dflt;
}

/* String field of the summary line into @buf ("" when absent). */
static void summary_str(const struct repro_run *run, const char *key, char *buf, size_t len)
{
	char pat[64];
	const char *p, *end;

	buf[0] = '\0';
	if (!run->summary)
		return;
	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	p = strstr(run->summary, pat);
	if (!p)
		return;
	p += strlen(pat);
	end = strchr(p, '"');
	snprintf(buf, len, "%.*s", end ? (int)(end - p) : 0, p);
}

/* The line drm_repro printed for a skip, else its summary's reason. */
static void skip_reason(const struct repro_run *run, char *buf, size_t len)
{
	const char *p = strstr(run->out, "SKIP: ");

	summary_str(run, "untestable", buf, len);
	if (buf[0] && strcmp(buf, "device not present"))
		return;
	if (p)
		snprintf(buf, len, "%s", p + strlen("SKIP: "));
	else if (!buf[0])
		snprintf(buf, len, "drm_repro reported nothing testable");
}

FIXTURE(evict_race) {
	char repro[PATH_MAX];
};

FIXTURE_VARIANT(evict_race) {
	const char *device;
};

/* TTM in QEMU */
FIXTURE_VARIANT_ADD(evict_race, bochs) { .device = "bochs" };
FIXTURE_VARIANT_ADD(evict_race, qxl) { .device = "qxl" };
/* GEM shmem */
FIXTURE_VARIANT_ADD(evict_race, virtio_gpu) { .device = "virtio_gpu" };
FIXTURE_VARIANT_ADD(evict_race, vgem) { .device = "vgem" };
/* TTM on VMware guests and AMD hardware */
FIXTURE_VARIANT_ADD(evict_race, vmwgfx) { .device = "vmwgfx" };
FIXTURE_VARIANT_ADD(evict_race, amdgpu) { .device = "amdgpu" };
/* huge pfn PMDs over driver-owned pages on any kernel */
FIXTURE_VARIANT_ADD(evict_race, hugepin_ref) { .device = "ref" };

FIXTURE_SETUP(evict_race)
{
	int ret = repro_path(self->repro, sizeof(self->repro));

	if (ret)
		SKIP(return, "%s not found next to this program: %s", REPRO_NAME, strerror(-ret));
}

FIXTURE_TEARDOWN(evict_race)
{
}

TEST_F_TIMEOUT(evict_race, pin_during_evict, 60)
{
	char *const argv[] = {
		self->repro, "--device", (char *)variant->device, "--duration", (char *)hp_env_duration(RACE_DURATION),
		"--json", "--quiet", NULL,
	};
	struct repro_run run;
	char why[HP_TEXT_LEN], splat[64], xfail[HP_TEXT_LEN] = "";
	int i, unexpected = 0, tested = 0;
	long leak;

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, repro_exec(self->repro, argv, &run));
	if (run.status == HP_EXIT_SKIP) {
		repro_parse(&run);
		skip_reason(&run, why, sizeof(why));
		free(run.out);
		SKIP(return, "%s", why);
	}
	ASSERT_NE(EXIT_USAGE, run.status) TH_LOG("drm_repro rejected its arguments: %s", run.out);
	ASSERT_NE(-1, run.status) TH_LOG("drm_repro did not exit normally: %s", run.out);
	repro_parse(&run);
	ASSERT_NE(NULL, run.summary) TH_LOG("no summary line from drm_repro: %s", run.out);
	ASSERT_LT(0, run.nres) TH_LOG("no per-method records from drm_repro: %s", run.out);

	for (i = 0; i < run.nres; i++) {
		const struct hp_result *r = &run.res[i];

		TH_LOG("%s %s: %s%s %s", r->device, r->method, hp_verdict_name(r->verdict),
		       r->expected ? " (expected)" : "", r->evidence);
		EXPECT_NE(0, r->evidence[0]);
		EXPECT_EQ(0, strcmp(r->test, REPRO_NAME));
		if (r->verdict == HP_UNTESTABLE)
			continue;
		tested++;
		if (r->verdict == HP_VULNERABLE && r->expected) {
			if (!xfail[0])
				snprintf(xfail, sizeof(xfail), "%s: %s", r->method, r->evidence);
			continue;
		}
		if (r->verdict == HP_VULNERABLE) {
			unexpected++;
			continue;
		}
		/* A refusal must say which errno, so a changed errno is visible. */
		if (r->err) {
			const char *name = strerrorname_np(r->err);

			EXPECT_NE(NULL, name ? strstr(r->evidence, name) : NULL)
				TH_LOG("%s refused with errno %d but the evidence does not name it",
				       r->method, r->err);
		}
	}
	EXPECT_EQ(0, unexpected) TH_LOG("%d method(s) VULNERABLE", unexpected);
	EXPECT_EQ(unexpected ? 1 : 0, run.status)
		TH_LOG("exit code %d does not match the records", run.status);
	if (!unexpected && !xfail[0]) {
		/* SAFE claims a quiet kernel and balanced FOLL_PIN accounting. */
		leak = summary_long(&run, "pin_leak", LONG_MIN);
		summary_str(&run, "splat", splat, sizeof(splat));
		EXPECT_EQ(0, leak) TH_LOG("pin accounting off by %ld after the race", leak);
		EXPECT_EQ(0, splat[0]) TH_LOG("kernel log: %s", splat);
		/*
		 * The race runs until the evictor completed a cycle; only a
		 * machine too slow to do that within drm_repro's cap ends
		 * without one, and that says nothing about the kernel.
		 */
		summary_str(&run, "too_slow", why, sizeof(why));
		if (why[0] && !summary_long(&run, "evict_cycles", 0)) {
			free(run.out);
			SKIP(return, "%s", why);
		}
		EXPECT_LT(0, summary_long(&run, "evict_cycles", 0))
			TH_LOG("the evictor never completed a cycle");
	}
	if (!tested) {
		snprintf(why, sizeof(why), "%s", run.res[0].evidence);
		free(run.out);
		SKIP(return, "%s", why);
	}
	free(run.out);
	/* Expected for this kernel (no PMD special bit): XFAIL, unless something else failed. */
	if (xfail[0] && _metadata->passed)
		HP_XFAIL(return, "%s", xfail);
}

/* Bad input ends in exit 2 with one line saying what to do, before any race. */
TEST(rejects_bad_input)
{
	static const char *const bad[][3] = {
		{ "--device", "/dev/null", NULL },
		{ "--size", "5000", NULL },
		{ "--duration", "0", NULL },
		{ "--methods", "nosuch", NULL },
		{ "--threads", "0", NULL },
	};
	char path[PATH_MAX];
	struct repro_run run;
	size_t i;
	int ret = repro_path(path, sizeof(path));

	if (ret)
		SKIP(return, "%s not found next to this program: %s", REPRO_NAME, strerror(-ret));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *const argv[] = { path, (char *)bad[i][0], (char *)bad[i][1], NULL };
		char *nl;

		ASSERT_EQ(0, repro_exec(path, argv, &run));
		EXPECT_EQ(EXIT_USAGE, run.status) TH_LOG("%s %s: exit %d", bad[i][0], bad[i][1], run.status);
		nl = strchr(run.out, '\n');
		EXPECT_NE(NULL, nl) TH_LOG("%s %s: no message", bad[i][0], bad[i][1]);
		if (nl)
			EXPECT_EQ(0, nl[1]) TH_LOG("%s %s: more than one line: %s", bad[i][0], bad[i][1], run.out);
		free(run.out);
	}
}

TEST_HARNESS_MAIN
