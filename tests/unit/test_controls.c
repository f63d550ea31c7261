// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the detector controls in the report (report_controls.c):
 * control records stay out of the verdicts and the exit code, the summary
 * lists what each control showed, and a detector whose control stayed
 * silent or could not run turns the SAFE rows it backs UNTESTABLE.
 */
#include <stdlib.h>

#include "report.h"
#include "unit.h"

#define S(x) x, strlen(x)

#define RESULT(test, name, device, level, verdict, evidence, control)			\
	"{\"type\":\"result\",\"test\":\"" test "\",\"name\":\"" name "\",\"device\":\""	\
	device "\",\"driver\":\"-\",\"method\":\"vmsplice\",\"level\":\"" level		\
	"\",\"verdict\":\"" verdict "\",\"expected\":false,\"err\":0,\"bytes\":0,"		\
	"\"evidence\":\"" evidence "\"" control "}\n"

#define CTL(det) ",\"control\":\"" det "\""

/* Rows a run of the suite would have: a reference-module SAFE at pmd, bochs refused, a race. */
static const char rows[] =
	RESULT("hugepfn_ref", "hugepfn_map.noncompound_pmd.pin_vmsplice", "hugepin_ref", "pmd",
	       "SAFE", "refused: EFAULT; level pmd", "")
	RESULT("pin_vmsplice", "drm_bo.bochs_2m.splice_bo", "bochs", "pte", "SAFE",
	       "refused: EFAULT; level pte", "")
	RESULT("drm_repro", "race.qxl.vmsplice", "qxl", "unknown", "SAFE",
	       "no detector fired", "");

static const char all_fired[] =
	RESULT("detector_controls", "control.kernel-log", "hugepin_ref", "unknown", "VULNERABLE",
	       "WARNING splat: WARNING: CPU: 0 PID: 9 at hooks.c:47", CTL("kernel-log"))
	RESULT("detector_controls", "control.refcount.vmsplice", "hugepin_ref", "pmd", "VULNERABLE",
	       "pinned 65536 bytes; 16 pages with extra references", "")
	RESULT("detector_controls", "control.refcount", "hugepin_ref", "pmd", "VULNERABLE",
	       "16 pages with extra references", CTL("refcount"))
	RESULT("detector_controls", "control.pin-accounting", "hugepin_ref", "pte", "VULNERABLE",
	       "pin accounting off by 16", CTL("pin-accounting"))
	RESULT("detector_controls", "control.canary", "hugepin_ref", "pte", "VULNERABLE",
	       "canary: 4096 bytes changed through a stale pin", CTL("canary"))
	RESULT("detector_controls", "control.page-refs", "hugepin_ref", "pmd", "VULNERABLE",
	       "page references down by 1 after the pin's release", CTL("page-refs"))
	RESULT("detector_controls", "control.level", "hugepin_ref", "pmd", "VULNERABLE",
	       "level probe: pmd, pte", CTL("level"));

static void load(struct hp_report *rep, const char *controls)
{
	hp_report_init(rep, "6.1.0-57-amd64");
	EXPECT_EQ(0, hp_report_add_records(rep, S(rows)));
	EXPECT_EQ(0, hp_report_add_records(rep, controls, strlen(controls)));
	EXPECT_EQ(0, hp_report_attribute(rep, "", 0, NULL, 0));
}

static void test_controls_apart_from_verdicts(void)
{
	struct hp_report rep;
	struct hp_summary s;
	struct hp_buf out = { 0 };

	load(&rep, all_fired);
	EXPECT_EQ(3, rep.nrows);
	EXPECT_EQ(7, rep.ncontrols);
	EXPECT_EQ(0, hp_report_apply_controls(&rep));
	hp_report_summary(&rep, &s);
	EXPECT_EQ(3, s.safe);
	EXPECT_EQ(0, s.vulnerable);
	/* The controls' damage leaves the exit code alone. */
	EXPECT_EQ(0, hp_report_exit_code(&rep, NULL));
	hp_report_summary_text(&rep, NULL, &out);
	EXPECT_CONTAINS(out.s, "Controls: kernel-log fired, refcount fired, pin-accounting fired, canary fired, page-refs fired, level fired.\n");
	hp_buf_free(&out);
	hp_report_json(&rep, NULL, &out);
	EXPECT_CONTAINS(out.s, "{\"detector\":\"canary\",\"state\":\"fired\",\"fired\":true,");
	EXPECT(!strstr(out.s, "\"name\":\"control."));
	hp_buf_free(&out);
	hp_report_free(&rep);
}

/* A pin record of the refcount control is VULNERABLE by itself: it proves nothing. */
static void test_silent_detector_demotes_what_it_backs(void)
{
	static const char silent[] =
		RESULT("detector_controls", "control.refcount.vmsplice", "hugepin_ref", "pmd",
		       "VULNERABLE", "fast GUP pinned driver-owned pages", "")
		RESULT("detector_controls", "control.refcount", "hugepin_ref", "pmd", "SAFE",
		       "eviction: no detector fired", CTL("refcount"))
		RESULT("detector_controls", "control.canary", "hugepin_ref", "pte", "SAFE",
		       "no detector fired", CTL("canary"));
	struct hp_report rep;
	struct hp_buf out = { 0 };

	load(&rep, silent);
	EXPECT_EQ(HP_CONTROL_SILENT, hp_report_control_state(&rep, "refcount", NULL));
	EXPECT_EQ(HP_CONTROL_NONE, hp_report_control_state(&rep, "kernel-log", NULL));
	/* refcount backs the reference module's row, canary drm_repro's; bochs stays SAFE. */
	EXPECT_EQ(2, hp_report_apply_controls(&rep));
	EXPECT_EQ(HP_UNTESTABLE, rep.rows[0].r.verdict);
	EXPECT_CONTAINS(rep.rows[0].r.evidence, "detector refcount did not fire in its control");
	EXPECT_EQ(HP_SAFE, rep.rows[1].r.verdict);
	EXPECT_EQ(HP_UNTESTABLE, rep.rows[2].r.verdict);
	EXPECT_CONTAINS(rep.rows[2].r.evidence, "detector canary did not fire");
	hp_report_summary_text(&rep, NULL, &out);
	EXPECT_CONTAINS(out.s, "refcount did not fire, pin-accounting not run, canary did not fire");
	EXPECT_CONTAINS(out.s, "DETECTOR UNPROVEN: refcount did not fire");
	hp_buf_free(&out);
	hp_report_free(&rep);
}

static void test_untested_control_demotes_with_reason(void)
{
	static const char untested[] =
		RESULT("detector_controls", "control.level", "hugepin_ref", "unknown", "UNTESTABLE",
		       "cannot unload hugepin_ref", CTL("level"))
		RESULT("detector_controls", "control.kernel-log", "hugepin_ref", "unknown",
		       "VULNERABLE", "WARNING splat", CTL("kernel-log"));
	struct hp_report rep;

	load(&rep, untested);
	EXPECT_EQ(1, hp_report_apply_controls(&rep));
	EXPECT_EQ(HP_UNTESTABLE, rep.rows[0].r.verdict);
	EXPECT_CONTAINS(rep.rows[0].r.evidence, "detector level unproven, its control could not run (cannot unload hugepin_ref)");
	EXPECT_EQ(HP_SAFE, rep.rows[1].r.verdict);
	hp_report_free(&rep);
}

/* The guest died inside a control: that detector is unproven, nothing is blamed on the kernel. */
static void test_crash_in_control(void)
{
	static const char started[] =
		"{\"type\":\"start\",\"test\":\"detector_controls\",\"name\":\"control.canary\"}\n";
	static const char console[] =
		"[    9.000000] hugepin: start detector_controls control.canary\n"
		"[    9.100000] BUG: Bad page state in process detector_contr  pfn:10a201\n"
		"[    9.200000] Kernel panic - not syncing: Fatal exception\n";
	struct hp_report rep;

	hp_report_init(&rep, "6.1");
	EXPECT_EQ(0, hp_report_add_records(&rep, S(rows)));
	EXPECT_EQ(0, hp_report_add_records(&rep, S(started)));
	EXPECT_EQ(0, hp_report_attribute(&rep, S(console), NULL, 0));
	EXPECT_EQ(3, rep.nrows);
	EXPECT_EQ(1, rep.ncontrols);
	EXPECT_EQ(HP_CONTROL_UNTESTED, hp_report_control_state(&rep, "canary", NULL));
	EXPECT_CONTAINS(rep.controls[0].r.evidence, "guest died in the control");
	EXPECT_EQ(1, hp_report_apply_controls(&rep));
	EXPECT_EQ(0, hp_report_exit_code(&rep, NULL) == 1);
	hp_report_free(&rep);
}

/* Records keep the control field through format and parse. */
static void test_record_round_trip(void)
{
	struct hp_result r = { .verdict = HP_VULNERABLE }, back;
	char line[4096];

	snprintf(r.test, sizeof(r.test), "%s", HP_CONTROL_TEST);
	snprintf(r.name, sizeof(r.name), "control.canary");
	snprintf(r.control, sizeof(r.control), "%s", HP_CONTROL_CANARY);
	EXPECT(hp_record_format(&r, line, sizeof(line)) > 0);
	EXPECT_CONTAINS(line, ",\"control\":\"canary\"}");
	EXPECT_EQ(1, hp_record_parse(line, &back));
	EXPECT_STR(back.control, "canary");
	r.control[0] = '\0';
	EXPECT(hp_record_format(&r, line, sizeof(line)) > 0);
	EXPECT(!strstr(line, "control\":"));
}

int main(void)
{
	static const struct unit_case cases[] = {
		{ "controls_apart_from_verdicts", test_controls_apart_from_verdicts },
		{ "silent_detector_demotes_what_it_backs", test_silent_detector_demotes_what_it_backs },
		{ "untested_control_demotes_with_reason", test_untested_control_demotes_with_reason },
		{ "crash_in_control", test_crash_in_control },
		{ "record_round_trip", test_record_round_trip },
	};

	return UNIT_RUN(cases);
}
