// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the report logic behind hp_report (report.c, report_ktap.c):
 * hand-made guest records and serial console logs, including a guest that
 * died in bio_release_pages() after fast GUP pinned a huge pfn PMD, a guest
 * that panicked for an unrelated reason, one killed at the runner's timeout,
 * which bug paths ran over a huge pfn mapping, and the exit codes run.sh and
 * git bisect act on: a run where none formed proves nothing and exits 125.
 */
#include "report_fixtures.h"


static void crash_with_page_damage_is_vulnerable(void)
{
	struct hp_report rep;
	const struct hp_row *r;

	load(&rep, records_crash, console_damage, NULL);
	EXPECT_EQ(rep.nrows, 3);
	r = row(&rep, "pin_vmsplice", true);
	EXPECT(r != NULL);
	if (r) {
		EXPECT_EQ(r->r.verdict, HP_VULNERABLE);
		EXPECT(!r->r.expected);
		EXPECT_CONTAINS(r->r.evidence, "page dumped because: VM_BUG_ON_PAGE(page_ref_count(page) == 0)");
		EXPECT(!strstr(r->r.evidence, "5.400001"));
		EXPECT(!strchr(r->r.evidence, '\r'));
		EXPECT_STR(r->r.name, "drm_bo.qxl.vmsplice");
		EXPECT_STR(r->r.device, "qxl");
		EXPECT_STR(r->r.method, "vmsplice");
	}
	EXPECT_EQ(hp_report_exit_code(&rep, NULL), 1);
	hp_report_free(&rep);
}

static void crash_without_damage_is_infrastructure(void)
{
	struct hp_report rep;
	const struct hp_row *r;

	load(&rep, records_crash, console_gpf, NULL);
	r = row(&rep, "pin_vmsplice", true);
	EXPECT(r != NULL);
	if (r) {
		EXPECT_EQ(r->r.verdict, HP_UNTESTABLE);
		EXPECT_CONTAINS(r->r.evidence, "infrastructure: guest panic in this case: general protection fault");
	}
	/* SAFE + expected VULNERABLE + UNTESTABLE: nothing unexpected. */
	EXPECT_EQ(hp_report_exit_code(&rep, NULL), 0);
	hp_report_free(&rep);
}

static void timeout_is_a_hang(void)
{
	struct hp_report rep;
	const struct hp_row *r;

	load(&rep, records_crash,
	     "[ 5.3] hugepin: start pin_vmsplice drm_bo.qxl.vmsplice\n[ 9.0] random: crng init done\n",
	     "pin_vmsplice");
	r = row(&rep, "pin_vmsplice", true);
	EXPECT(r != NULL);
	if (r) {
		EXPECT_EQ(r->r.verdict, HP_UNTESTABLE);
		EXPECT_CONTAINS(r->r.evidence, "guest hang in this case: no kernel splat after the start marker");
	}
	EXPECT_EQ(rep.nrows, 3);
	hp_report_free(&rep);

	/* Two boots, each killed at the timeout in a different program. */
	{
		static const char *const hung[] = { "pin_vmsplice", "evict_race" };

		hp_report_init(&rep, "6.1");
		EXPECT_EQ(hp_report_add_records(&rep, S(records_crash)), 0);
		EXPECT_EQ(hp_report_add_records(&rep, S("{\"type\":\"start\",\"test\":\"evict_race\","
							"\"name\":\"drm_bo.vgem.evict_while_pinned\","
							"\"device\":\"vgem\",\"method\":\"-\"}\n")), 0);
		EXPECT_EQ(hp_report_attribute(&rep, S("[ 5.3] hugepin: start pin_vmsplice drm_bo.qxl.vmsplice\n"
						      "[ 0.0] Linux version 6.1.0-56-amd64\n"
						      "[ 4.0] hugepin: start evict_race drm_bo.vgem.evict_while_pinned\n"),
					      hung, 2), 0);
		EXPECT_EQ(rep.nrows, 4);
		r = row(&rep, "pin_vmsplice", true);
		EXPECT(r && strstr(r->r.evidence, "guest hang in this case"));
		r = row(&rep, "evict_race", true);
		EXPECT(r && strstr(r->r.evidence, "guest hang in this case"));
		EXPECT(r && !strcmp(r->r.device, "vgem"));
		hp_report_free(&rep);
	}

	/* Killed before its first start record: the test still gets a row. */
	load(&rep, "", "", "evict_race");
	EXPECT_EQ(rep.nrows, 1);
	r = row(&rep, "evict_race", true);
	EXPECT(r && r->r.verdict == HP_UNTESTABLE);
	EXPECT(r && strstr(r->r.evidence, "killed at the timeout, no unfinished case on record"));
	EXPECT_EQ(hp_report_exit_code(&rep, NULL), 125);
	hp_report_free(&rep);
}

static void lost_console_is_stopped(void)
{
	struct hp_report rep;
	const struct hp_row *r;

	load(&rep, records_crash,
	     "[ 5.3] hugepin: start pin_vmsplice drm_bo.qxl.vmsplice_2m\n", NULL);
	r = row(&rep, "pin_vmsplice", true);
	EXPECT(r && r->r.verdict == HP_UNTESTABLE);
	EXPECT(r && strstr(r->r.evidence, "guest stopped in this case: start marker not on the console"));
	hp_report_free(&rep);
}

static void panic_after_results_is_attributed(void)
{
	struct hp_report rep;
	const struct hp_row *r;

	load(&rep, records_safe,
	     "[ 5.3] hugepin: start pin_vmsplice drm_bo.qxl.vmsplice\n"
	     "[ 6.0] refcount_t: underflow; use-after-free.\n"
	     "[ 6.1] Kernel panic - not syncing: Fatal exception\n", NULL);
	EXPECT_EQ(rep.nrows, 4);
	r = row(&rep, "pin_vmsplice", true);
	EXPECT(r && r->r.verdict == HP_VULNERABLE);
	EXPECT(r && strstr(r->r.evidence, "refcount_t: underflow; use-after-free. (on the console after the case reported)"));
	EXPECT(r && !strcmp(r->r.device, "qxl"));
	EXPECT_EQ(hp_report_exit_code(&rep, NULL), 1);
	hp_report_free(&rep);

	/* A panic without page damage after the last case reported. */
	load(&rep, records_safe,
	     "[ 5.3] hugepin: start pin_vmsplice drm_bo.qxl.vmsplice\n"
	     "[ 6.0] Oops: 0000 [#1] PREEMPT SMP PTI\n"
	     "[ 6.1] Kernel panic - not syncing: Fatal exception\n", NULL);
	EXPECT_EQ(rep.nrows, 4);
	r = row(&rep, "pin_vmsplice", true);
	EXPECT(r && r->r.verdict == HP_UNTESTABLE);
	EXPECT(r && strstr(r->r.evidence, "guest panic in this case after reporting: Oops: 0000"));
	hp_report_free(&rep);

	/* Damage in an earlier case's stretch of console, no panic at all. */
	load(&rep, records_crash,
	     "[ 5.1] hugepin: start pin_odirect drm_bo.bochs.odirect_read\n"
	     "[ 5.15] BUG: Bad page state in process pin_odirect  pfn:10a200\n"
	     "[ 5.2] hugepin: start hugepfn_ref hugepfn_map.pmd.odirect_read\n"
	     "[ 5.25] BUG: Bad page state in process hugepfn_ref  pfn:20a200\n"
	     "[ 5.3] hugepin: start pin_vmsplice drm_bo.qxl.vmsplice\n", NULL);
	r = row(&rep, "pin_odirect", true);
	EXPECT(r && r->r.verdict == HP_VULNERABLE && !strcmp(r->r.device, "bochs"));
	EXPECT(r && strstr(r->r.evidence, "pfn:10a200 (on the console after the case reported)"));
	/* The expected VULNERABLE case already says so: no second row. */
	EXPECT(row(&rep, "hugepfn_ref", true) == NULL);
	hp_report_free(&rep);

	/* A clean console after a completed case adds nothing. */
	load(&rep, records_safe, "[ 5.3] hugepin: start pin_vmsplice drm_bo.qxl.vmsplice\n", NULL);
	EXPECT_EQ(rep.nrows, 3);
	/* qxl at pte level and vmwgfx unbound: no huge pfn mapping, inconclusive. */
	EXPECT_EQ(hp_report_exit_code(&rep, NULL), 125);
	hp_report_free(&rep);
}

/* An oops faulting inside fast GUP (device memory without struct pages) is damage. */
static void fault_in_gup_is_damage(void)
{
	static const char con[] =
		"[ 5.3] hugepin: start hugepfn_ref hugepfn_map.device_pmd.pin_odirect_read\n"
		"[ 5.4] BUG: unable to handle page fault for address: ffffea0003f40008\n"
		"[ 5.4] #PF: supervisor read access in kernel mode\n"
		"[ 5.4] Oops: 0000 [#1] PREEMPT SMP NOPTI\n"
		"[ 5.4] RIP: 0010:try_grab_folio+0x109/0x370\n"
		"[ 5.5] Kernel panic - not syncing: Fatal exception\n";
	struct hp_report rep;
	const struct hp_row *r;

	load(&rep, "{\"type\":\"start\",\"test\":\"hugepfn_ref\","
		   "\"name\":\"hugepfn_map.device_pmd.pin_odirect_read\","
		   "\"device\":\"hugepin_ref\",\"method\":\"odirect_read\"}\n", con, NULL);
	r = row(&rep, "hugepfn_ref", true);
	EXPECT(r && r->r.verdict == HP_VULNERABLE);
	EXPECT(r && strstr(r->r.evidence, "ffffea0003f40008 (in try_grab_folio) (guest died in this case)"));
	/* No mapped record: the level it died at is not known. */
	EXPECT(r && !strcmp(r->r.level, "unknown"));
	hp_report_free(&rep);

	/* With one, the crash row has the level and its special bit. */
	load(&rep, "{\"type\":\"start\",\"test\":\"hugepfn_ref\","
		   "\"name\":\"hugepfn_map.device_pmd.pin_odirect_read\","
		   "\"device\":\"hugepin_ref\",\"method\":\"odirect_read\"}\n"
		   "{\"type\":\"mapped\",\"test\":\"hugepfn_ref\","
		   "\"name\":\"hugepfn_map.device_pmd.pin_odirect_read\",\"level\":\"pmd\","
		   "\"special\":\"no\"}\n", con, NULL);
	r = row(&rep, "hugepfn_ref", true);
	EXPECT(r && !strcmp(r->r.level, "pmd") && !strcmp(r->r.special, "no"));
	EXPECT_EQ(rep.bad_lines, 0);
	hp_report_free(&rep);

	/* The same oops outside page code stays an infrastructure failure. */
	load(&rep, "{\"type\":\"start\",\"test\":\"hugepfn_ref\","
		   "\"name\":\"hugepfn_map.device_pmd.pin_odirect_read\","
		   "\"device\":\"hugepin_ref\",\"method\":\"odirect_read\"}\n",
	     "[ 5.3] hugepin: start hugepfn_ref hugepfn_map.device_pmd.pin_odirect_read\n"
	     "[ 5.4] BUG: unable to handle page fault for address: ffffea0003f40008\n"
	     "[ 5.4] RIP: 0010:qxl_bo_move+0x10/0x90 [qxl]\n"
	     "[ 5.5] Kernel panic - not syncing: Fatal exception\n", NULL);
	r = row(&rep, "hugepfn_ref", true);
	EXPECT(r && r->r.verdict == HP_UNTESTABLE);
	hp_report_free(&rep);
}

/* A crash row takes device and method from its start record, not from the case name. */
static void crash_row_from_the_start_record(void)
{
	struct hp_report rep;
	const struct hp_row *r;

	load(&rep, "{\"type\":\"start\",\"test\":\"gup_stress\",\"name\":\"phase.3\","
		   "\"device\":\"vmwgfx\",\"method\":\"iouring_reg\"}\n",
	     "[ 5.3] hugepin: start gup_stress phase.3\n"
	     "[ 5.4] BUG: Bad page state in process gup_stress  pfn:10a200\n"
	     "[ 5.5] Kernel panic - not syncing: Fatal exception\n", NULL);
	r = row(&rep, "gup_stress", true);
	EXPECT(r && !strcmp(r->r.device, "vmwgfx") && !strcmp(r->r.method, "iouring_reg"));
	hp_report_free(&rep);
}

static void starts_pair_within_a_file(void)
{
	struct hp_report rep;

	hp_report_init(&rep, NULL);
	EXPECT_STR(rep.kernel, "unknown");
	EXPECT_EQ(hp_report_add_records(&rep, S("{\"type\":\"start\",\"test\":\"a\",\"name\":\"b\"}\n")), 0);
	EXPECT_EQ(hp_report_add_records(&rep, S("{\"type\":\"result\",\"test\":\"a\",\"name\":\"b\","
						"\"verdict\":\"SAFE\"}\n{\"type\":\"res")), 0);
	EXPECT_EQ(rep.bad_lines, 1);
	EXPECT_EQ(hp_report_attribute(&rep, NULL, 0, NULL, 0), 0);
	EXPECT_EQ(rep.nrows, 2);
	EXPECT(rep.nrows == 2 && rep.rows[1].from_console &&
	       rep.rows[1].r.verdict == HP_UNTESTABLE);
	hp_report_free(&rep);
}

static void exit_codes(void)
{
	struct hp_report rep;

	load(&rep, "", "", NULL);
	EXPECT_EQ(hp_report_exit_code(&rep, NULL), 125);
	hp_report_free(&rep);

	/* SAFE everywhere, but no huge pfn mapping formed: nothing was shown. */
	load(&rep, records_safe, "", NULL);
	EXPECT_EQ(hp_report_exit_code(&rep, NULL), 125);
	EXPECT_EQ(hp_report_exit_code(&rep, "vmwgfx"), 125);
	EXPECT_EQ(hp_report_exit_code(&rep, "qxl/vmsplice"), 125);
	/* --fixed-without-huge: a deciding case that ran SAFE counts; one that never ran does not. */
	rep.unmapped_safe_decides = true;
	EXPECT_EQ(hp_report_exit_code(&rep, "qxl/vmsplice"), 0);
	EXPECT_EQ(hp_report_exit_code(&rep, "vmwgfx"), 125);
	hp_report_free(&rep);

	load(&rep, records_crash, console_damage, NULL);
	/* Under --bisect-on an expected VULNERABLE decides too. */
	EXPECT_EQ(hp_report_exit_code(&rep, "hugepfn_map.*"), 1);
	/* bochs refused at pte level: its huge mapping never formed. */
	EXPECT_EQ(hp_report_exit_code(&rep, "bochs"), 125);
	EXPECT_EQ(hp_report_exit_code(&rep, "no-such-case"), 125);
	hp_report_free(&rep);

	/* Only the expected VULNERABLE row: tested, nothing unexpected. */
	hp_report_init(&rep, "6.1");
	hp_report_add_records(&rep, records_crash, strlen(records_crash));
	rep.rows[0].r.verdict = HP_UNTESTABLE;
	EXPECT_EQ(hp_report_exit_code(&rep, NULL), 0);
	rep.rows[1].r.expected = false;
	EXPECT_EQ(hp_report_exit_code(&rep, NULL), 1);
	hp_report_free(&rep);

	/*
	 * A case a program reported not ok fails the run though no record is
	 * VULNERABLE; skips and expected failures do not; --bisect-on decides
	 * by its cases' verdicts alone.
	 */
	{
		struct hp_buf out = { 0 };
		char failed[128];

		load(&rep, records_fixed, "", NULL);
		EXPECT_EQ(hp_ktap_parse(&rep.ktap, S("TAP version 13\n1..3\nok 1 a # SKIP no\n"
						      "not ok 2 b # XFAIL known\nok 3 c\n"), "pin_odirect"), 0);
		EXPECT_EQ(hp_report_ktap_failures(&rep, failed, sizeof(failed)), 0);
		EXPECT_EQ(hp_report_exit_code(&rep, NULL), 0);
		EXPECT_EQ(hp_ktap_parse(&rep.ktap, S("TAP version 13\n1..2\nok 1 a\nnot ok 2 b\n"),
					"pfnmap_vma"), 0);
		EXPECT_EQ(hp_report_ktap_failures(&rep, failed, sizeof(failed)), 1);
		EXPECT_STR(failed, "pfnmap_vma (1)");
		EXPECT_EQ(hp_report_exit_code(&rep, NULL), 1);
		EXPECT_EQ(hp_report_exit_code(&rep, "hugepfn_map.*"), 0);
		hp_report_summary_text(&rep, NULL, &out);
		EXPECT_CONTAINS(out.s, "FAILED: the programs reported cases not ok: pfnmap_vma (1).\n");
		EXPECT_CONTAINS(out.s, "Exit code 1: a kselftest case failed.\n");
		hp_buf_free(&out);
		hp_report_summary_text(&rep, "hugepfn_map.*", &out);
		EXPECT(!strstr(out.s, "FAILED"));
		hp_buf_free(&out);
		hp_report_free(&rep);
	}
}

static void coverage_from_a_huge_reference_mapping(void)
{
	struct hp_report rep;
	struct hp_coverage cov;
	struct hp_buf out = { 0 };

	load(&rep, records_fixed, "", NULL);
	EXPECT_EQ(hp_report_exit_code(&rep, NULL), 0);
	hp_report_coverage(&rep, NULL, &cov);
	EXPECT(cov.conclusive);
	EXPECT_EQ(cov.npaths, 1);
	EXPECT_STR(cov.paths[0].name, "hugepin_ref PMD");
	EXPECT_EQ(cov.paths[0].seen, 1);
	EXPECT_EQ(cov.paths[0].inferred, 0);
	hp_report_summary_text(&rep, NULL, &out);
	EXPECT_CONTAINS(out.s, "Huge pfn mappings formed: hugepin_ref PMD (1 record).\n");
	EXPECT_CONTAINS(out.s, "Exit code 0: nothing unexpected was VULNERABLE.\n");
	EXPECT(!strstr(out.s, "INCONCLUSIVE"));
	hp_buf_free(&out);
	hp_report_json(&rep, NULL, &out);
	EXPECT_CONTAINS(out.s, "\"coverage\":[{\"path\":\"hugepin_ref PMD\",\"records\":1,\"inferred\":0}],"
			"\"inconclusive\":null");
	hp_buf_free(&out);

	/* PUD entries are their own path. */
	EXPECT_EQ(hp_report_add_records(&rep, S(REC("hugepfn_ref", "hugepfn_map.pud.vmsplice",
						    "hugepin_ref", "vmsplice", "pud", "SAFE", 14, 0,
						    "refused"))), 0);
	hp_report_coverage(&rep, NULL, &cov);
	EXPECT_EQ(cov.npaths, 2);
	EXPECT(cov.npaths == 2 && !strcmp(cov.paths[1].name, "hugepin_ref PUD"));
	hp_report_free(&rep);
}

/*
 * VFIO-PCI BARs (run.sh --devices vfio): a PMD and a PUD are their own paths;
 * a run whose BAR formed PTEs only names vfio in its INCONCLUSIVE line, a
 * run without vfio records does not.
 */
static void coverage_from_vfio_bars(void)
{
	struct hp_report rep;
	struct hp_coverage cov;

	load(&rep, REC("pin_vmsplice", "vfio_bar.pmd.splice_bar", "vfio", "vmsplice", "pmd", "SAFE",
		       14, 0, "refused: EFAULT; level pmd")
		   REC("pin_vmsplice", "vfio_bar.pud.splice_bar", "vfio", "vmsplice", "pud", "SAFE",
		       14, 0, "refused: EFAULT; level pud")
		   REC("pin_vmsplice", "vfio_bar.misaligned.splice_bar", "vfio", "vmsplice", "pte",
		       "SAFE", 14, 0, "refused: EFAULT; level pte"), "", NULL);
	EXPECT_EQ(hp_report_exit_code(&rep, NULL), 0);
	hp_report_coverage(&rep, NULL, &cov);
	EXPECT(cov.conclusive);
	EXPECT(cov.npaths == 2 && !strcmp(cov.paths[0].name, "vfio-pci BAR PMD") &&
	       !strcmp(cov.paths[1].name, "vfio-pci BAR PUD"));
	hp_report_free(&rep);

	load(&rep, REC("pin_vmsplice", "vfio_bar.pmd.splice_bar", "vfio", "vmsplice", "pte",
		       "UNTESTABLE", 14, 0, "no huge mapping formed (level pte); refused: EFAULT")
		   REC("pin_vmsplice", "vfio_bar.misaligned.splice_bar", "vfio", "vmsplice", "pte",
		       "SAFE", 14, 0, "refused: EFAULT; level pte"), "", NULL);
	EXPECT_EQ(hp_report_exit_code(&rep, NULL), 125);
	hp_report_coverage(&rep, NULL, &cov);
	EXPECT_CONTAINS(cov.why, "; vfio formed no huge entry (1 record, level pte)");
	hp_report_free(&rep);

	load(&rep, records_controls, "", NULL);
	hp_report_coverage(&rep, NULL, &cov);
	EXPECT(!strstr(cov.why, "vfio"));
	hp_report_free(&rep);
}

/* A run that stopped early says so in every format; its exit code follows the cases that ran. */
static void interrupted_and_not_run(void)
{
	struct hp_report rep;
	struct hp_buf out = { 0 };

	load(&rep, records_fixed, "", NULL);
	snprintf(rep.interrupted, sizeof(rep.interrupted), "SIGINT");
	EXPECT_EQ(hp_report_add_not_run(&rep, "gup_stress_short"), 0);
	EXPECT_EQ(hp_report_add_not_run(&rep, ""), -EINVAL);
	EXPECT_EQ(hp_report_exit_code(&rep, NULL), 0);
	hp_report_summary_text(&rep, NULL, &out);
	EXPECT_CONTAINS(out.s, "INTERRUPTED by SIGINT: a partial report");
	EXPECT_CONTAINS(out.s, "NOT RUN: gup_stress_short (never started: the run was interrupted).\n");
	hp_buf_free(&out);
	hp_report_json(&rep, NULL, &out);
	EXPECT_CONTAINS(out.s, "\"interrupted\":\"SIGINT\",\"not_run\":[\"gup_stress_short\"]");
	hp_buf_free(&out);
	hp_report_junit((const struct hp_report *const[]){ &rep }, 1, NULL, &out);
	EXPECT_CONTAINS(out.s, "name=\"gup_stress_short\"><skipped message=\"NOT RUN: interrupted\"/>");
	hp_buf_free(&out);
	hp_report_free(&rep);
}

/* The runner leaves a group of cases out on purpose: each says why, apart from the "never started". */
static void not_run_with_reasons(void)
{
	struct hp_report rep;
	struct hp_buf out = { 0 };

	load(&rep, records_fixed, "", NULL);
	EXPECT_EQ(hp_report_add_not_run(&rep, "pin_odirect:drm_bo.vmwgfx_2m.*=the guest died in 2 of them"), 0);
	EXPECT_EQ(hp_report_add_not_run(&rep, "evict_race"), 0);
	EXPECT_EQ(hp_report_add_not_run(&rep, "pin_procvm="), -EINVAL);
	hp_report_summary_text(&rep, NULL, &out);
	EXPECT_CONTAINS(out.s, "NOT RUN: evict_race (never started: the guest did not get to them).\n");
	EXPECT_CONTAINS(out.s, "NOT RUN: pin_odirect:drm_bo.vmwgfx_2m.* (the guest died in 2 of them).\n");
	hp_buf_free(&out);
	hp_report_json(&rep, NULL, &out);
	EXPECT_CONTAINS(out.s, "\"not_run\":[\"pin_odirect:drm_bo.vmwgfx_2m.*\",\"evict_race\"],"
			"\"not_run_why\":[\"the guest died in 2 of them\",\"\"]");
	hp_buf_free(&out);
	hp_report_junit((const struct hp_report *const[]){ &rep }, 1, NULL, &out);
	EXPECT_CONTAINS(out.s, "<skipped message=\"NOT RUN: the guest died in 2 of them\"/>");
	hp_buf_free(&out);
	hp_report_free(&rep);
}

static void only_controls_is_inconclusive(void)
{
	struct hp_report rep;
	struct hp_coverage cov;
	struct hp_buf out = { 0 };

	hp_report_init(&rep, "5.10.0-46-amd64");
	EXPECT_EQ(hp_report_add_untestable(&rep, "hugepin_ref=no kernel headers for 5.10.0-46-amd64"), 0);
	EXPECT_EQ(hp_report_add_records(&rep, S(records_controls)), 0);
	EXPECT_EQ(hp_report_attribute(&rep, NULL, 0, NULL, 0), 0);
	EXPECT_EQ(hp_report_exit_code(&rep, NULL), 125);
	hp_report_coverage(&rep, NULL, &cov);
	EXPECT(!cov.conclusive);
	EXPECT_EQ(cov.npaths, 0);
	/* hugepin_ref's one row is UNTESTABLE for its own reason; the note is for when it has none. */
	EXPECT_STR(cov.why, "no case formed a huge pfn mapping: vmwgfx UNTESTABLE (vmwgfx: PCI "
		   "0000:00:05.0 [15ad:0405] has no driver: Hardware has no pitchlock); hugepin_ref "
		   "UNTESTABLE (CONFIG_GUP_TEST unset)");
	hp_report_set_arch(&rep, "x86_64");
	hp_report_summary_text(&rep, NULL, &out);
	/* The summary opens with the kernel and the architecture it ran on. */
	EXPECT_CONTAINS(out.s, "Kernel 5.10.0-46-amd64 on x86_64.\n");
	EXPECT_CONTAINS(out.s, "5 SAFE, 0 VULNERABLE, 0 VULNERABLE (expected), 3 UNTESTABLE.\n");
	EXPECT_CONTAINS(out.s, "Huge pfn mappings formed: none.\nProvider reference module: not exercised: "
			"no kernel headers for 5.10.0-46-amd64");
	EXPECT_CONTAINS(out.s, "\nINCONCLUSIVE: no case formed a huge pfn mapping: ");
	EXPECT_CONTAINS(out.s, "Exit code 125: nothing could be tested.\n");
	hp_buf_free(&out);
	hp_report_markdown(&rep, NULL, &out);
	EXPECT_CONTAINS(out.s, "- INCONCLUSIVE: no case formed a huge pfn mapping: vmwgfx UNTESTABLE");
	hp_buf_free(&out);
	hp_report_json(&rep, NULL, &out);
	EXPECT_CONTAINS(out.s, "\"exit_code\":125,");
	EXPECT_CONTAINS(out.s, "\"coverage\":[],\"inconclusive\":\"no case formed a huge pfn mapping: vmwgfx");
	hp_buf_free(&out);
	hp_report_free(&rep);

	/* No reference-module record at all: the runner's note says why. */
	hp_report_init(&rep, "5.10.0-46-amd64");
	EXPECT_EQ(hp_report_add_untestable(&rep, "hugepin_ref=no kernel headers for 5.10.0-46-amd64"), 0);
	EXPECT_EQ(hp_report_add_untestable(&rep, "amdgpu=driver not in this kernel"), 0);
	EXPECT_EQ(hp_report_add_records(&rep, S(REC("pin_vmsplice", "anon_thp.thp_2m.splice_thp",
						    "anon", "vmsplice", "pmd", "SAFE", 0, 4096, "x"))), 0);
	hp_report_coverage(&rep, NULL, &cov);
	EXPECT_STR(cov.why, "no case formed a huge pfn mapping: vmwgfx: no record (no such device, or its "
		   "cases not selected); hugepin_ref UNTESTABLE (no kernel headers for 5.10.0-46-amd64); "
		   "amdgpu UNTESTABLE (driver not in this kernel)");
	hp_report_free(&rep);

	/* A vmwgfx that bound and ran but formed no huge entry says so. */
	load(&rep, REC("pin_odirect", "drm_bo.vmwgfx_2m.read_into_bo", "vmwgfx", "odirect_read",
		       "unknown", "SAFE", 14, 0, "off=0x0 len=0x10000: refused: EFAULT")
		   REC("pin_odirect", "drm_bo.vmwgfx_4m.read_into_bo", "vmwgfx", "odirect_read",
		       "pte", "SAFE", 14, 0, "refused: EFAULT"), "", NULL);
	hp_report_coverage(&rep, NULL, &cov);
	EXPECT_STR(cov.why, "no case formed a huge pfn mapping: vmwgfx formed no huge entry (2 records, "
		   "level unknown/pte); hugepin_ref: no record (no such device, or its cases not selected)");
	hp_report_free(&rep);

	hp_report_init(&rep, "k");
	EXPECT_EQ(hp_report_add_untestable(&rep, "=why"), -EINVAL);
	EXPECT_EQ(hp_report_add_untestable(&rep, "dev="), -EINVAL);
	EXPECT_EQ(hp_report_add_untestable(&rep, "dev"), -EINVAL);
	EXPECT_EQ(hp_report_add_untestable(&rep, NULL), -EINVAL);
	while (rep.nuntestable < HP_MAX_NOTES)
		EXPECT_EQ(hp_report_add_untestable(&rep, "a=b"), 0);
	EXPECT_EQ(hp_report_add_untestable(&rep, "a=b"), -ENOSPC);
	hp_report_free(&rep);
}

static void driver_pin_infers_a_huge_entry(void)
{
	struct hp_report rep;
	struct hp_coverage cov;
	struct hp_buf out = { 0 };

	/* Debian 11's 5.10: vmwgfx bound, no ptdump, and the pin went through. */
	load(&rep, REC("pin_odirect", "drm_bo.vmwgfx_4m.read_into_bo", "vmwgfx", "odirect_read",
		       "unknown", "VULNERABLE", 0, 65536,
		       "off=0x0 len=0x10000: fast GUP pinned driver-owned pages: 65536 bytes; level unknown"),
	     "", NULL);
	EXPECT_EQ(hp_report_exit_code(&rep, NULL), 1);
	hp_report_coverage(&rep, NULL, &cov);
	EXPECT(cov.conclusive);
	EXPECT_EQ(cov.npaths, 1);
	EXPECT_STR(cov.paths[0].name, "vmwgfx (TTM huge fault)");
	EXPECT_EQ(cov.paths[0].seen, 0);
	EXPECT_EQ(cov.paths[0].inferred, 1);
	hp_report_summary_text(&rep, NULL, &out);
	EXPECT_CONTAINS(out.s, "Huge pfn mappings formed: vmwgfx (TTM huge fault) (1 record, inferred from the pin).");
	EXPECT_CONTAINS(out.s, "Exit code 1: unexpected VULNERABLE.");
	hp_buf_free(&out);
	/* Seen and inferred records of one path. */
	EXPECT_EQ(hp_report_add_records(&rep, S(REC("pin_odirect", "drm_bo.vmwgfx_2m.read_into_bo",
						    "vmwgfx", "vmsplice", "pmd", "SAFE", 14, 0, "x"))), 0);
	hp_report_summary_text(&rep, NULL, &out);
	EXPECT_CONTAINS(out.s, "vmwgfx (TTM huge fault) (1 record; 1 more inferred from the pin).");
	hp_buf_free(&out);
	hp_report_free(&rep);

	/* GEM shmem maps pages the kernel refcounts: a pin proves no huge entry. */
	load(&rep, REC("pin_odirect", "drm_bo.vgem_2m.read_into_bo", "vgem", "odirect_read",
		       "unknown", "SAFE", 0, 65536, "pinned 65536 bytes, refcounted"), "", NULL);
	EXPECT_EQ(hp_report_exit_code(&rep, NULL), 125);
	/* Its huge entries count, and so do those of a DRM device the table does not know. */
	EXPECT_EQ(hp_report_add_records(&rep, S(REC("pin_odirect", "drm_bo.vgem_2m.read_into_bo",
						    "vgem", "odirect_read", "pmd", "SAFE", 14, 0, "x")
					       REC("pin_odirect", "drm_bo.i915_2m.read_into_bo",
						    "i915", "odirect_read", "pud", "SAFE", 14, 0, "x")
					       REC("pin_odirect", "drm_bo.i915_2m.read_into_bo",
						    "i915", "vmsplice", "unknown", "SAFE", 0, 4096, "x"))), 0);
	EXPECT_EQ(hp_report_exit_code(&rep, NULL), 0);
	hp_report_coverage(&rep, NULL, &cov);
	EXPECT_EQ(cov.npaths, 2);
	EXPECT(cov.npaths == 2 && !strcmp(cov.paths[0].name, "vgem huge pfn") &&
	       !strcmp(cov.paths[1].name, "i915 huge pfn") && cov.paths[1].seen == 1 &&
	       cov.paths[1].inferred == 0);
	hp_report_free(&rep);

	/*
	 * A guest killed by page damage in a reference-module case (a
	 * CONFIG_DEBUG_VM kernel stops at the first such pin) leaves only a
	 * console row: the damage shows the pin went through a huge entry.
	 */
	hp_report_init(&rep, "6.1.192");
	snprintf(rep.expected_device, sizeof(rep.expected_device), "hugepin_ref");
	snprintf(rep.expected_why, sizeof(rep.expected_why), "no PMD special bit");
	EXPECT_EQ(hp_report_add_records(&rep, S("{\"type\":\"start\",\"test\":\"hugepfn_ref\","
						"\"name\":\"hugepfn_map.noncompound_pmd.odirect_read\","
						"\"device\":\"hugepin_ref\",\"method\":\"odirect_read\"}\n")), 0);
	EXPECT_EQ(hp_report_attribute(&rep, S("[ 5.2] hugepin: start hugepfn_ref hugepfn_map.noncompound_pmd.odirect_read\n"
					      "[ 5.4] page dumped because: VM_BUG_ON_PAGE(page_ref_count(page) == 0)\n"
					      "[ 5.5] Kernel panic - not syncing: Fatal exception\n"), NULL, 0), 0);
	EXPECT(rep.nrows == 1 && rep.rows[0].r.expected);
	EXPECT_EQ(hp_report_exit_code(&rep, NULL), 0);
	hp_report_coverage(&rep, NULL, &cov);
	EXPECT(cov.npaths == 1 && !strcmp(cov.paths[0].name, "hugepin_ref") && cov.paths[0].inferred == 1);
	/* A death without page damage shows nothing. */
	rep.rows[0].r.verdict = HP_UNTESTABLE;
	EXPECT_EQ(hp_report_exit_code(&rep, NULL), 125);
	hp_report_free(&rep);
}

static void bisect_on_needs_the_huge_mapping(void)
{
	static const char recs[] =
		REC("hugepfn_ref", "hugepfn_map.noncompound_pmd.odirect_read", "hugepin_ref",
		    "odirect_read", "pmd", "VULNERABLE", 0, 65536, "pinned")
		REC("hugepfn_ref", "hugepfn_map.pte_only.odirect_read", "hugepin_ref",
		    "odirect_read", "pte", "SAFE", 14, 0, "refused: EFAULT")
		REC("hugepfn_ref", "hugepfn_map.compound_pmd.vmsplice", "hugepin_ref",
		    "vmsplice", "pmd", "SAFE", 14, 0, "refused: EFAULT");
	const struct hp_report *one;
	struct hp_report rep;
	struct hp_coverage cov;
	struct hp_buf out = { 0 };

	load(&rep, recs, "", NULL);
	one = &rep;
	EXPECT_EQ(hp_report_exit_code(&rep, "*noncompound*"), 1);
	EXPECT_EQ(hp_report_exit_code(&rep, "hugepfn_map.compound_pmd.*"), 0);
	EXPECT_EQ(hp_report_exit_code(&rep, "*pte_only*"), 125);
	hp_report_coverage(&rep, "*pte_only*", &cov);
	EXPECT(!cov.conclusive);
	/* The run's coverage is listed whatever decides. */
	EXPECT_EQ(cov.npaths, 1);
	EXPECT_STR(cov.why, "the deciding cases (--bisect-on *pte_only*) formed no huge pfn mapping: "
		   "hugepin_ref formed no huge entry (1 record, level pte)");
	hp_report_summary_text(&rep, "*pte_only*", &out);
	EXPECT_CONTAINS(out.s, "INCONCLUSIVE: the deciding cases (--bisect-on *pte_only*) formed no huge");
	EXPECT_CONTAINS(out.s, "Exit code 125: nothing could be tested, deciding case: *pte_only*.");
	hp_buf_free(&out);
	hp_report_junit(&one, 1, "*pte_only*", &out);
	EXPECT_CONTAINS(out.s, "<property name=\"exit_code\" value=\"125\"/>");
	EXPECT_CONTAINS(out.s, "<property name=\"bisect_on\" value=\"*pte_only*\"/>");
	hp_buf_free(&out);

	/* Substrings no longer match: the reason says how to write the glob. */
	EXPECT_EQ(hp_report_exit_code(&rep, "noncompound"), 125);
	hp_report_coverage(&rep, "noncompound", &cov);
	EXPECT_CONTAINS(cov.why, "no case matches --bisect-on noncompound");
	EXPECT_CONTAINS(cov.why, "'*part*'");

	/* A control that decides is no pfn mapping. */
	EXPECT_EQ(hp_report_add_records(&rep, S(REC("pin_vmsplice", "anon_thp.thp_2m.splice_thp",
						    "anon", "vmsplice", "pmd", "SAFE", 0, 4096, "x"))), 0);
	hp_report_coverage(&rep, "anon", &cov);
	EXPECT_STR(cov.why, "the deciding cases (--bisect-on anon) formed no huge pfn mapping: "
		   "anon is a control, no pfn mapping");
	hp_report_free(&rep);
}

static void bisect_on_globs(void)
{
	struct hp_result r;

	hp_result_blank(&r, "hugepfn_ref", "hugepfn_map.noncompound_pmd.odirect_read");
	strcpy(r.device, "hugepin_ref");
	strcpy(r.method, "odirect_read");
	EXPECT(hp_row_matches_case(&r, NULL));
	EXPECT(hp_row_matches_case(&r, "hugepfn_map.noncompound_pmd.odirect_read"));
	EXPECT(hp_row_matches_case(&r, "*noncompound*"));
	EXPECT(hp_row_matches_case(&r, "hugepfn_ref"));
	EXPECT(hp_row_matches_case(&r, "hugepin_ref"));
	EXPECT(hp_row_matches_case(&r, "odirect_*"));
	EXPECT(hp_row_matches_case(&r, "hugepin_ref/odirect_read"));
	EXPECT(hp_row_matches_case(&r, "hugepin_ref/odirect_?ead"));
	EXPECT(hp_row_matches_case(&r, "hugepfn_ref:hugepfn_map.*"));
	EXPECT(hp_row_matches_case(&r, "bochs,qxl*,*noncompound_pmd*"));
	EXPECT(hp_row_matches_case(&r, ",*pmd*"));
	/* Whole names only: substrings and other programs do not match. */
	EXPECT(!hp_row_matches_case(&r, "noncompound"));
	EXPECT(!hp_row_matches_case(&r, "odirect"));
	EXPECT(!hp_row_matches_case(&r, "hugepin"));
	EXPECT(!hp_row_matches_case(&r, "bochs,qxl"));
	EXPECT(!hp_row_matches_case(&r, "pin_odirect:*"));
	EXPECT(!hp_row_matches_case(&r, ""));
	EXPECT(!hp_row_matches_case(&r, ","));
	/* The old "device/name/method" key is not one of the forms. */
	EXPECT(!hp_row_matches_case(&r, "hugepin_ref/hugepfn_map.noncompound_pmd.odirect_read/odirect_read"));
}

static const struct unit_case cases[] = {
	{ "interrupted_and_not_run", interrupted_and_not_run },
	{ "not_run_with_reasons", not_run_with_reasons },
	{ "crash_with_page_damage_is_vulnerable", crash_with_page_damage_is_vulnerable },
	{ "crash_without_damage_is_infrastructure", crash_without_damage_is_infrastructure },
	{ "timeout_is_a_hang", timeout_is_a_hang },
	{ "lost_console_is_stopped", lost_console_is_stopped },
	{ "panic_after_results_is_attributed", panic_after_results_is_attributed },
	{ "starts_pair_within_a_file", starts_pair_within_a_file },
	{ "exit_codes", exit_codes },
	{ "coverage_from_a_huge_reference_mapping", coverage_from_a_huge_reference_mapping },
	{ "coverage_from_vfio_bars", coverage_from_vfio_bars },
	{ "only_controls_is_inconclusive", only_controls_is_inconclusive },
	{ "driver_pin_infers_a_huge_entry", driver_pin_infers_a_huge_entry },
	{ "fault_in_gup_is_damage", fault_in_gup_is_damage },
	{ "crash_row_from_the_start_record", crash_row_from_the_start_record },
	{ "bisect_on_needs_the_huge_mapping", bisect_on_needs_the_huge_mapping },
	{ "bisect_on_globs", bisect_on_globs },
};

int main(void)
{
	return UNIT_RUN(cases);
}
