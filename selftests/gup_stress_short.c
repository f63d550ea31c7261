// SPDX-License-Identifier: GPL-2.0
/*
 * gup_stress_short: a few seconds of gup_stress per memory type. Fast GUP
 * (O_DIRECT, io_uring, vmsplice, process_vm_*, gup_test) races with munmap,
 * mremap, madvise, mprotect, fork, THP split/collapse and compaction; a type
 * passes when every pattern survived, /proc/vmstat pin accounting balanced
 * and the kernel log stayed clean. The stress itself is the gup_stress
 * program installed next to this one; this runs it and judges its JSON.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "hp_core.h"
#include "hp_child.h"
#include "hp_refmod.h"
#include "json.h"
#include "gs_mems.h"

#define STRESS_SECONDS "3"
/*
 * Seconds per test: 3 s of stress, up to 30 s more until every method had a
 * pin answered on a slow machine, up to 30 s for deferred unpins to settle
 * when they do not balance, and setup.
 */
#define STRESS_TIMEOUT 90
#define EXIT_USAGE_CODE 2

FIXTURE(gup_stress) {
	char prog[PATH_MAX];
	struct hp_child run;		/* its exit status, stdout (the JSON summary) and stderr */
};

FIXTURE_VARIANT(gup_stress) {
	const char *mem;
};

/*
 * The memory types run here, one variant each, from gup_stress's own table
 * (GS_MEMS); memory_types_covered checks them against what the gup_stress
 * installed beside this program lists (--list-mem).
 */
#define SHORT_VARIANT(value, m, ...) FIXTURE_VARIANT_ADD(gup_stress, m) { .mem = #m };
GS_MEMS(SHORT_VARIANT)

#define SHORT_NAME(value, m, ...) #m,
static const char *const short_mems[] = { GS_MEMS(SHORT_NAME) };

FIXTURE_SETUP(gup_stress)
{
	ASSERT_EQ(0, hp_self_relative("gup_stress", self->prog, sizeof(self->prog)));
}

FIXTURE_TEARDOWN(gup_stress)
{
	hp_child_free(&self->run);
}

/* gup_stress on one memory type, to its end: 0, or -errno when it could not be started. */
static int run_stress(const char *prog, const char *mem, struct hp_child *run)
{
	/* Background pressure is for long runs; the suite shares its time budget. */
	char *const argv[] = {
		(char *)prog, "--duration", (char *)hp_env_duration(STRESS_SECONDS), "--mem",
		(char *)mem, "--json", "--quiet", "--no-stress-ng", NULL,
	};

	return hp_child_run(prog, argv, run);
}

/* The memory types of gup_stress's summary, its "memory" array, in order. */
static const struct hp_json *first_mem(const struct hp_json *doc)
{
	const struct hp_json *mem = hp_json_get(doc, "memory");

	return mem && mem->type == HP_JSON_ARRAY ? mem->child : NULL;
}

/* Pins the kernel took: the "ok" counts of every method of every memory type. */
static long pins_ok(const struct hp_json *doc)
{
	long sum = 0;

	for (const struct hp_json *m = first_mem(doc); m; m = m->next) {
		const struct hp_json *methods = hp_json_get(m, "methods");

		for (const struct hp_json *x = methods ? methods->child : NULL; x; x = x->next)
			sum += (long)hp_json_num(x, "ok", 0);
	}
	return sum;
}

/*
 * On kernels without the PMD special bit the module's mapping is the bug
 * itself: stressing it damages page refcounts for real. hugepfn_ref shows
 * that case in a controlled way.
 */
static bool refmod_damage_expected(void)
{
	struct hp_refmod ref;
	const char *why;
	char no_module[HP_TEXT_LEN];
	bool expected;

	/* A module that cannot be loaded is gup_stress's skip to report. */
	if (hp_refmod_open(&ref, no_module, sizeof(no_module)))
		return false;
	expected = hp_refmod_vuln_expected(&ref, &why);
	hp_refmod_close(&ref);
	return expected;
}

TEST_F_TIMEOUT(gup_stress, short_pass, STRESS_TIMEOUT)
{
	const struct hp_json *first;
	struct hp_json *doc;
	const char *result;
	int rc;

	ASSERT_EQ(0, access(self->prog, X_OK))
		TH_LOG("gup_stress must be installed next to this program: %s", self->prog);
	if (!strcmp(variant->mem, "hugepin_ref") && refmod_damage_expected())
		SKIP(return, "kernel has no PMD special bit: fast GUP damage through the reference module is expected (see hugepfn_ref)");

	ASSERT_EQ(0, run_stress(self->prog, variant->mem, &self->run));
	rc = self->run.status;
	ASSERT_NE(-1, rc) TH_LOG("gup_stress did not exit normally: %s", self->run.err);
	ASSERT_NE(127, rc) TH_LOG("cannot execute %s", self->prog);
	ASSERT_NE(EXIT_USAGE_CODE, rc) TH_LOG("usage error: %s", self->run.err);
	/* Its summary, one JSON document, read by the suite's JSON reader. */
	doc = hp_json_parse(self->run.out, strlen(self->run.out));
	first = first_mem(doc);
	if (rc == HP_EXIT_SKIP) {
		char reason[256];

		snprintf(reason, sizeof(reason), "%.200s",
			 hp_json_str(first, "reason", hp_json_str(doc, "reason", self->run.err)));
		reason[strcspn(reason, "\n")] = 0;
		hp_json_free(doc);
		SKIP(return, "%s", reason);
	}
	result = hp_json_str(doc, "result", NULL);
	if (!result)
		hp_json_free(doc);
	ASSERT_NE(NULL, result) TH_LOG("no JSON summary from gup_stress: %s", self->run.err);
	if (rc) {
		/* Name the evidence: first failure, log line, pin balance per type. */
		for (const struct hp_json *m = first; m; m = m->next) {
			if (strcmp(hp_json_str(m, "status", ""), "fail"))
				continue;
			TH_LOG("%s: pin balance %ld, log %s, %s", hp_json_str(m, "mem", "?"),
			       (long)hp_json_num(m, "pin_balance", -1), hp_json_str(m, "log", ""),
			       hp_json_str(m, "first_failure", ""));
		}
	}
	EXPECT_EQ(0, (long)hp_json_num(doc, "integrity_failures", -1));
	EXPECT_EQ(0, (long)hp_json_num(doc, "pin_balance", -1));
	EXPECT_STREQ("pass", result);
	/*
	 * A pass that pinned nothing proves nothing, unless refusal is the
	 * point: DRM drivers may refuse every pin, and driver-owned memory
	 * (the registry's kind: the reference module's pages on a kernel with
	 * the PMD special bit, the only one that gets here, and a vfio BAR)
	 * must never be pinned. Its refusals count once a huge pfn entry was
	 * there to be refused.
	 */
	if (hp_target_info(variant->mem) && hp_target_info(variant->mem)->kind == HP_MEM_DRIVER) {
		char level[16];

		EXPECT_EQ(0, pins_ok(doc));
		EXPECT_EQ(0, rc);
		snprintf(level, sizeof(level), "%s", hp_json_str(first, "level", ""));
		hp_json_free(doc);
		if (_metadata->passed && strcmp(level, "pmd") && strcmp(level, "pud"))
			SKIP(return, "no huge pfn entry formed (level %s): the refusals met PTEs only",
			     level[0] ? level : "missing");
		return;
	}
	/*
	 * gup_stress runs on until every method had a pin answered; only a
	 * machine too slow for that within its cap gets here with nothing
	 * pinned, and that says nothing about the kernel.
	 */
	if (_metadata->passed && *hp_json_str(first, "too_slow", "") && !pins_ok(doc)) {
		char slow[160];

		snprintf(slow, sizeof(slow), "%s", hp_json_str(first, "too_slow", ""));
		hp_json_free(doc);
		SKIP(return, "%s", slow);
	}
	if (strcmp(variant->mem, "drm"))
		EXPECT_GT(pins_ok(doc), 0);
	hp_json_free(doc);
	EXPECT_EQ(0, rc);
}

/*
 * Every memory type gup_stress has is a variant here, and a target of the
 * suite's registry (harness/targets.c), so the report knows what kind of memory
 * its records are about.
 */
TEST(memory_types_covered)
{
	char prog[PATH_MAX], *save = NULL, *name;
	char *const argv[] = { prog, "--list-mem", NULL };
	struct hp_child run = { 0 };
	int n = 0;

	ASSERT_EQ(0, hp_self_relative("gup_stress", prog, sizeof(prog)));
	ASSERT_EQ(0, hp_child_run(prog, argv, &run));
	ASSERT_EQ(0, run.status) TH_LOG("gup_stress --list-mem: %s", run.err);
	for (name = strtok_r(run.out, "\n", &save); name; name = strtok_r(NULL, "\n", &save)) {
		size_t i = 0;

		while (i < sizeof(short_mems) / sizeof(short_mems[0]) && strcmp(short_mems[i], name))
			i++;
		EXPECT_LT(i, sizeof(short_mems) / sizeof(short_mems[0]))
			TH_LOG("gup_stress's memory type %s has no variant here", name);
		/* "drm" stands for each DRM device, and those are targets themselves. */
		if (strcmp(name, "drm"))
			EXPECT_NE(NULL, hp_target_info(name))
				TH_LOG("gup_stress's memory type %s is no target of harness/targets.c", name);
		n++;
	}
	hp_child_free(&run);
	EXPECT_EQ((int)(sizeof(short_mems) / sizeof(short_mems[0])), n);
}

TEST_HARNESS_MAIN
