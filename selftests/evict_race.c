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
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "hp_core.h"
#include "hp_sys.h"
#include "hp_case.h"
#include "hp_child.h"
#include "json.h"

#define REPRO_NAME "drm_repro"
#define RACE_DURATION "3"
#define MAX_RESULTS HP_M_NR
#define EXIT_USAGE 2

struct repro_run {
	struct hp_child c;		/* exit status, stdout, stderr */
	struct hp_result res[MAX_RESULTS];
	int nres;
	struct hp_json *summary;	/* the {"type":"summary",...} record, parsed */
};

/* The result records and the summary record of stdout, each line parsed as JSON. */
static void repro_parse(struct repro_run *run)
{
	char *line = run->c.out, *nl;

	for (; line && *line; line = nl ? nl + 1 : NULL) {
		struct hp_json *j;

		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		j = hp_json_parse(line, strlen(line));
		if (j && !run->summary && !strcmp(hp_json_str(j, "type", ""), "summary")) {
			run->summary = j;
			continue;
		}
		if (j && run->nres < MAX_RESULTS && !strcmp(hp_json_str(j, "type", ""), "result") &&
		    !hp_json_to_result(j, &run->res[run->nres]))
			run->nres++;
		hp_json_free(j);
	}
}

static void repro_free(struct repro_run *run)
{
	hp_json_free(run->summary);
	run->summary = NULL;
	hp_child_free(&run->c);
}

/* A number of the summary record; @dflt without one. */
static long summary_long(const struct repro_run *run, const char *key, long dflt)
{
	return (long)hp_json_num(run->summary, key, (double)dflt);
}

static const char *summary_str(const struct repro_run *run, const char *key)
{
	return hp_json_str(run->summary, key, "");
}

static int repro_exec(const char *path, char *const argv[], struct repro_run *run)
{
	memset(run, 0, sizeof(*run));
	return hp_child_run(path, argv, &run->c);
}

/* The reason drm_repro's summary record gives for a skip. */
static void skip_reason(const struct repro_run *run, char *buf, size_t len)
{
	snprintf(buf, len, "%s", summary_str(run, "untestable"));
	if (!buf[0])
		snprintf(buf, len, "drm_repro reported nothing testable");
}

FIXTURE(evict_race) {
	char repro[PATH_MAX];
};

FIXTURE_VARIANT(evict_race) {
	const char *device;
};

/*
 * The targets whose registry row says evict (HP_TARGETS in hp_core.h), in
 * the order of their buffer sets (HP_BO_ONLY_* in hp_case.h).
 */
#define EVICT_VARIANT(dev) FIXTURE_VARIANT_ADD(evict_race, dev) { .device = #dev };
#define EVICT_ROW_qemu(arg, dev, bo, evict, ...) HP_BO_ONLY_qemu_##bo(HP_IF_##evict(EVICT_VARIANT(dev)))
#define EVICT_ROW_vmw(arg, dev, bo, evict, ...) HP_BO_ONLY_vmw_##bo(HP_IF_##evict(EVICT_VARIANT(dev)))
#define EVICT_ROW_hw(arg, dev, bo, evict, ...) HP_BO_ONLY_hw_##bo(HP_IF_##evict(EVICT_VARIANT(dev)))
#define EVICT_ROW_none(arg, dev, bo, evict, ...) HP_BO_ONLY_none_##bo(HP_IF_##evict(EVICT_VARIANT(dev)))
HP_TARGETS(EVICT_ROW_qemu, 0)
HP_TARGETS(EVICT_ROW_vmw, 0)
HP_TARGETS(EVICT_ROW_hw, 0)
HP_TARGETS(EVICT_ROW_none, 0)

FIXTURE_SETUP(evict_race)
{
	int ret = hp_child_path(REPRO_NAME, self->repro, sizeof(self->repro));

	if (ret)
		SKIP(return, "%s not found next to this program: %s", REPRO_NAME, strerror(-ret));
}

FIXTURE_TEARDOWN(evict_race)
{
}

/*
 * Every per-method record of @run: logged, named for drm_repro, and a
 * refusal's errno named in its evidence. Returns the unexpected VULNERABLE
 * ones; *tested counts those that were not UNTESTABLE, @xfail gets the
 * first expected VULNERABLE.
 */
static int check_records(struct __test_metadata *_metadata, const struct repro_run *run,
			 char *xfail, size_t len, int *tested)
{
	int unexpected = 0;

	for (int i = 0; i < run->nres; i++) {
		const struct hp_result *r = &run->res[i];

		TH_LOG("%s %s: %s%s %s", r->device, r->method, hp_verdict_name(r->verdict),
		       r->expected ? " (expected)" : "", r->evidence);
		EXPECT_NE(0, r->evidence[0]);
		EXPECT_EQ(0, strcmp(r->test, REPRO_NAME));
		if (r->verdict == HP_UNTESTABLE)
			continue;
		(*tested)++;
		if (r->verdict == HP_VULNERABLE && r->expected) {
			if (!xfail[0])
				snprintf(xfail, len, "%s: %s", r->method, r->evidence);
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
	return unexpected;
}

TEST_F_TIMEOUT(evict_race, pin_during_evict, 60)
{
	char *const argv[] = {
		self->repro, "--device", (char *)variant->device, "--duration", (char *)hp_env_duration(RACE_DURATION),
		"--json", "--quiet", NULL,
	};
	struct repro_run run;
	char why[HP_TEXT_LEN], xfail[HP_TEXT_LEN] = "";
	int unexpected, tested = 0;
	long leak;

	if (_metadata->skip)
		return;
	ASSERT_EQ(0, repro_exec(self->repro, argv, &run));
	if (run.c.status == HP_EXIT_SKIP) {
		repro_parse(&run);
		skip_reason(&run, why, sizeof(why));
		repro_free(&run);
		SKIP(return, "%s", why);
	}
	ASSERT_NE(EXIT_USAGE, run.c.status) TH_LOG("drm_repro rejected its arguments: %s", run.c.err);
	ASSERT_NE(-1, run.c.status) TH_LOG("drm_repro did not exit normally: %s", run.c.err);
	repro_parse(&run);
	ASSERT_NE(NULL, run.summary) TH_LOG("no summary line from drm_repro: %s%s", run.c.out, run.c.err);
	ASSERT_LT(0, run.nres) TH_LOG("no per-method records from drm_repro: %s%s", run.c.out, run.c.err);

	unexpected = check_records(_metadata, &run, xfail, sizeof(xfail), &tested);
	EXPECT_EQ(0, unexpected) TH_LOG("%d method(s) VULNERABLE", unexpected);
	EXPECT_EQ(unexpected ? 1 : 0, run.c.status)
		TH_LOG("exit code %d does not match the records", run.c.status);
	if (!unexpected && !xfail[0]) {
		/* SAFE claims a quiet kernel and balanced FOLL_PIN accounting. */
		leak = summary_long(&run, "pin_leak", LONG_MIN);
		EXPECT_EQ(0, leak) TH_LOG("pin accounting off by %ld after the race", leak);
		EXPECT_EQ(0, summary_str(&run, "splat")[0])
			TH_LOG("kernel log: %s", summary_str(&run, "splat"));
		/*
		 * The race runs until the evictor completed a cycle; only a
		 * machine too slow to do that within drm_repro's cap ends
		 * without one, and that says nothing about the kernel.
		 */
		snprintf(why, sizeof(why), "%s", summary_str(&run, "too_slow"));
		if (why[0] && !summary_long(&run, "evict_cycles", 0)) {
			repro_free(&run);
			SKIP(return, "%s", why);
		}
		EXPECT_LT(0, summary_long(&run, "evict_cycles", 0))
			TH_LOG("the evictor never completed a cycle");
	}
	if (!tested) {
		snprintf(why, sizeof(why), "%s", run.res[0].evidence);
		repro_free(&run);
		SKIP(return, "%s", why);
	}
	repro_free(&run);
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
	int ret = hp_child_path(REPRO_NAME, path, sizeof(path));

	if (ret)
		SKIP(return, "%s not found next to this program: %s", REPRO_NAME, strerror(-ret));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *const argv[] = { path, (char *)bad[i][0], (char *)bad[i][1], NULL };
		char *nl;

		ASSERT_EQ(0, repro_exec(path, argv, &run));
		EXPECT_EQ(EXIT_USAGE, run.c.status) TH_LOG("%s %s: exit %d", bad[i][0], bad[i][1], run.c.status);
		EXPECT_EQ(0, run.c.out[0]) TH_LOG("%s %s: output on stdout: %s", bad[i][0], bad[i][1], run.c.out);
		nl = strchr(run.c.err, '\n');
		EXPECT_NE(NULL, nl) TH_LOG("%s %s: no message", bad[i][0], bad[i][1]);
		if (nl)
			EXPECT_EQ(0, nl[1]) TH_LOG("%s %s: more than one line: %s", bad[i][0], bad[i][1], run.c.err);
		hp_child_free(&run.c);
	}
}

TEST_HARNESS_MAIN
