// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the report logic behind hp_report (report.c, report_ktap.c):
 * hand-made guest records and serial console logs, including a guest that
 * died in bio_release_pages() after fast GUP pinned a huge pfn PMD, a guest
 * that panicked for an unrelated reason, one killed at the runner's timeout,
 * which bug paths ran over a huge pfn mapping, and the exit codes run.sh and
 * git bisect act on: a run where none formed proves nothing and exits 125.
 */
#include <errno.h>
#include <stdlib.h>

#include "report.h"
#include "unit.h"

#define S(x) x, strlen(x)

static const char records_crash[] =
	"{\"type\":\"start\",\"test\":\"pin_odirect\",\"name\":\"drm_bo.bochs.odirect_read\"}\n"
	"{\"type\":\"result\",\"test\":\"pin_odirect\",\"name\":\"drm_bo.bochs.odirect_read\","
	"\"device\":\"bochs\",\"driver\":\"bochs-drm\",\"method\":\"odirect_read\",\"level\":\"pte\","
	"\"verdict\":\"SAFE\",\"expected\":false,\"err\":14,\"bytes\":0,"
	"\"evidence\":\"refused: EFAULT; level pte\"}\n"
	"{\"type\":\"start\",\"test\":\"hugepfn_ref\",\"name\":\"hugepfn_map.pmd.odirect_read\"}\n"
	"{\"type\":\"result\",\"test\":\"hugepfn_ref\",\"name\":\"hugepfn_map.pmd.odirect_read\","
	"\"device\":\"hugepin_ref\",\"driver\":\"hugepin_ref\",\"method\":\"odirect_read\",\"level\":\"pmd\","
	"\"verdict\":\"VULNERABLE\",\"expected\":true,\"err\":0,\"bytes\":65536,"
	"\"evidence\":\"fast GUP pinned driver-owned pages: 65536 bytes; level pmd (expected: no PMD special bit)\"}\n"
	"{\"type\":\"start\",\"test\":\"pin_vmsplice\",\"name\":\"drm_bo.qxl.vmsplice\"}\n";

static const char console_damage[] =
	"[    1.000000] Linux version 6.1.0-56-amd64\r\n"
	"[    5.100000] hugepin: start pin_odirect drm_bo.bochs.odirect_read\r\n"
	"[    5.200000] hugepin: start hugepfn_ref hugepfn_map.pmd.odirect_read\r\n"
	"[    5.300000] hugepin: start pin_vmsplice drm_bo.qxl.vmsplice\r\n"
	"[    5.400000] page:00000000a1b2c3d4 refcount:0 mapcount:0 mapping:0000000000000000 index:0x0 pfn:0x10a201\r\n"
	"[    5.400001] page dumped because: VM_BUG_ON_PAGE(page_ref_count(page) == 0)\r\n"
	"[    5.400002] kernel BUG at include/linux/mm.h:1240!\r\n"
	"[    5.400100] Kernel panic - not syncing: Fatal exception\r\n";

static const char console_gpf[] =
	"[    5.300000] hugepin: start pin_vmsplice drm_bo.qxl.vmsplice\n"
	"[    5.500000] general protection fault, probably for non-canonical address 0xdead000000000100: 0000 [#1] PREEMPT SMP NOPTI\n"
	"[    5.500100] RIP: 0010:qxl_bo_unref+0x10/0x40 [qxl]\n"
	"[    5.600000] Kernel panic - not syncing: Fatal exception\n";

static const char records_safe[] =
	"{\"type\":\"start\",\"test\":\"pin_vmsplice\",\"name\":\"drm_bo.qxl.vmsplice\"}\n"
	"{\"type\":\"result\",\"test\":\"pin_vmsplice\",\"name\":\"drm_bo.qxl.vmsplice\","
	"\"device\":\"qxl\",\"driver\":\"qxl\",\"method\":\"vmsplice\",\"level\":\"pte\","
	"\"verdict\":\"SAFE\",\"expected\":false,\"err\":14,\"bytes\":0,\"evidence\":\"refused: EFAULT\"}\n"
	"{\"type\":\"result\",\"test\":\"pin_vmsplice\",\"name\":\"drm_bo.qxl.vmsplice\","
	"\"device\":\"qxl\",\"driver\":\"qxl\",\"method\":\"odirect_read\",\"level\":\"pte\","
	"\"verdict\":\"SAFE\",\"expected\":false,\"err\":14,\"bytes\":0,\"evidence\":\"refused: EFAULT\"}\n"
	"{\"type\":\"result\",\"test\":\"pin_odirect\",\"name\":\"drm_bo.vmwgfx.odirect_read\","
	"\"device\":\"vmwgfx\",\"driver\":\"-\",\"method\":\"odirect_read\",\"level\":\"unknown\","
	"\"verdict\":\"UNTESTABLE\",\"expected\":false,\"err\":0,\"bytes\":0,\"evidence\":\"no DRM device vmwgfx\"}\n";

/* One result record line; the fields the coverage rule reads are the arguments. */
#define REC(test, name, device, method, level, verdict, err, bytes, evidence)		\
	"{\"type\":\"result\",\"test\":\"" test "\",\"name\":\"" name "\",\"device\":\""	\
	device "\",\"driver\":\"" device "\",\"method\":\"" method "\",\"level\":\"" level	\
	"\",\"verdict\":\"" verdict "\",\"expected\":false,\"err\":" #err ",\"bytes\":"	\
	#bytes ",\"evidence\":\"" evidence "\"}\n"

/* Debian 12's 6.12: the reference module's PMD forms, fast GUP refuses it. */
static const char records_fixed[] =
	REC("hugepfn_ref", "hugepfn_map.noncompound_pmd.odirect_read", "hugepin_ref",
	    "odirect_read", "pmd", "SAFE", 14, 0, "off=0x0 len=0x10000: refused: EFAULT; level pmd");

/* Only controls and TTM mappings without huge entries: nothing could show the bug. */
static const char records_controls[] =
	REC("pin_vmsplice", "anon_thp.thp_2m.splice_thp", "anon", "vmsplice", "pmd", "SAFE", 0,
	    65536, "off=0x0 len=0x10000: pinned 65536 bytes, refcounted; level pmd")
	REC("gup_stress", "gup_stress.shmem_thp.odirect_read", "shmem_thp", "odirect_read", "pmd",
	    "SAFE", 0, 65536, "ok")
	REC("gup_stress", "gup_stress.hugetlb.odirect_read", "hugetlb", "odirect_read", "pmd",
	    "SAFE", 0, 65536, "ok")
	REC("gup_stress", "gup_stress.pagecache.odirect_read", "pagecache", "odirect_read", "pmd",
	    "SAFE", 0, 65536, "ok")
	REC("pin_vmsplice", "drm_bo.bochs_2m.splice_bo", "bochs", "vmsplice", "unknown", "SAFE", 14,
	    0, "off=0x0 len=0x10000: refused: EFAULT; level unknown")
	REC("pin_odirect", "drm_bo.vmwgfx_2m.read_into_bo", "vmwgfx", "-", "unknown", "UNTESTABLE",
	    0, 0, "vmwgfx: PCI 0000:00:05.0 [15ad:0405] has no driver: Hardware has no pitchlock")
	REC("pin_odirect", "drm_bo.vmwgfx_4m.read_into_bo", "vmwgfx", "-", "unknown", "UNTESTABLE",
	    0, 0, "vmwgfx: PCI 0000:00:05.0 [15ad:0405] has no driver: Hardware has no pitchlock")
	/* The level was read before the pin, which could not run: no pin, no coverage. */
	REC("hugepfn_ref", "hugepfn_map.noncompound_pmd.gup_test", "hugepin_ref", "gup_test", "pmd",
	    "UNTESTABLE", 0, 0, "off=0x0 len=0x10000: CONFIG_GUP_TEST unset");

static const struct hp_row *row(const struct hp_report *rep, const char *test, bool console)
{
	size_t i;

	for (i = 0; i < rep->nrows; i++)
		if (!strcmp(rep->rows[i].r.test, test) && rep->rows[i].from_console == console)
			return &rep->rows[i];
	return NULL;
}

static void load(struct hp_report *rep, const char *records, const char *console,
		 const char *crashed)
{
	hp_report_init(rep, "6.1.0-56-amd64");
	EXPECT_EQ(hp_report_add_records(rep, S(records)), 0);
	EXPECT_EQ(hp_report_attribute(rep, S(console), &crashed, crashed ? 1 : 0), 0);
}

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
							"\"name\":\"drm_bo.vgem.evict_while_pinned\"}\n")), 0);
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
	hp_report_summary_text(&rep, NULL, &out);
	EXPECT_CONTAINS(out.s, "5 SAFE, 0 VULNERABLE, 0 VULNERABLE (expected), 3 UNTESTABLE.\n"
			"Huge pfn mappings formed: none.\nINCONCLUSIVE: no case formed a huge pfn mapping: ");
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
						"\"name\":\"hugepfn_map.noncompound_pmd.odirect_read\"}\n")), 0);
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

static void expect_file(void)
{
	struct hp_report rep;
	struct hp_buf out = { 0 };

	load(&rep, records_crash, console_damage, NULL);
	EXPECT_EQ(hp_report_expect(&rep, S("# device method verdict\n"
					   "bochs odirect_read SAFE\n"
					   "hugepin_ref odirect_* VULNERABLE  # module\n"
					   "\n"
					   "qxl vm* VULNERABLE\n"), &out), 0);
	EXPECT_CONTAINS(out.s, "1..3\n");
	EXPECT_CONTAINS(out.s, "ok 2 expect hugepin_ref odirect_* VULNERABLE (1 records)");
	hp_buf_free(&out);

	EXPECT_EQ(hp_report_expect(&rep, S("bochs odirect_read VULNERABLE\n"
					   "vmwgfx * UNTESTABLE\n"
					   "* * SAFE\n"), &out), 3);
	EXPECT_CONTAINS(out.s, "not ok 1 expect bochs odirect_read VULNERABLE: pin_odirect:drm_bo.bochs.odirect_read/odirect_read is SAFE");
	EXPECT_CONTAINS(out.s, "not ok 2 expect vmwgfx * UNTESTABLE: no record matched");
	EXPECT_CONTAINS(out.s, "not ok 3 expect * * SAFE: hugepfn_ref");
	hp_buf_free(&out);

	/* The first matching line decides, so a later catch-all stays quiet. */
	EXPECT_EQ(hp_report_expect(&rep, S("hugepin_ref * VULNERABLE\nqxl * VULNERABLE\n* * SAFE\n"), &out), 0);
	hp_buf_free(&out);

	/* The guest died in a qxl case no line speaks for: still a failure. */
	EXPECT_EQ(hp_report_expect(&rep, S("bochs * SAFE\nhugepin_ref * VULNERABLE\n"), &out), 1);
	EXPECT_CONTAINS(out.s, "1..3\n");
	EXPECT_CONTAINS(out.s, "not ok 3 unexpected VULNERABLE qxl pin_vmsplice:drm_bo.qxl.vmsplice/vmsplice: page dumped");
	hp_buf_free(&out);

	EXPECT_EQ(hp_report_expect(&rep, S("bochs odirect_read\n"), &out), -EINVAL);
	EXPECT_CONTAINS(out.s, "expect line 1");
	hp_buf_free(&out);
	EXPECT_EQ(hp_report_expect(&rep, S("a b SAFE extra\n"), &out), -EINVAL);
	hp_buf_free(&out);
	EXPECT_EQ(hp_report_expect(&rep, S("a b FINE\n"), &out), -EINVAL);
	hp_buf_free(&out);
	hp_report_free(&rep);
}

static void table_rendering(void)
{
	struct hp_report rep;
	struct hp_buf out = { 0 };
	char *line, *save = NULL;
	size_t lines = 0;

	load(&rep, records_crash, console_damage, NULL);
	hp_report_table(&rep, 0, &out);
	EXPECT(out.s && !strncmp(out.s, "KERNEL", 6));
	EXPECT_CONTAINS(out.s, "VERDICT");
	EXPECT_CONTAINS(out.s, "VULNERABLE (expected: no PMD special bit)");
	EXPECT_CONTAINS(out.s, "refused: EFAULT; level pte");
	hp_buf_free(&out);

	hp_report_table(&rep, 60, &out);
	for (line = strtok_r(out.s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		EXPECT(strlen(line) <= 60);
		lines++;
	}
	EXPECT_EQ(lines, 4);
	hp_buf_free(&out);
	hp_report_free(&rep);
}

static void markdown_and_junit(void)
{
	struct hp_report rep;
	const struct hp_report *one = &rep;
	struct hp_buf md = { 0 }, xml = { 0 };

	load(&rep, records_crash, console_damage, NULL);
	strcpy(rep.rows[0].r.evidence, "a|b <c> & \"d\"");
	hp_report_markdown(&rep, NULL, &md);
	EXPECT_CONTAINS(md.s, "# hugepin report: 6.1.0-56-amd64");
	EXPECT_CONTAINS(md.s, "1 SAFE, 1 VULNERABLE, 1 VULNERABLE (expected), 0 UNTESTABLE");
	EXPECT_CONTAINS(md.s, "a\\|b");
	EXPECT_CONTAINS(md.s, "Exit code 1");
	hp_report_junit(&one, 1, NULL, &xml);
	EXPECT_CONTAINS(xml.s, "tests=\"3\" failures=\"1\" skipped=\"0\"");
	EXPECT_CONTAINS(xml.s, "<property name=\"exit_code\" value=\"1\"/>");
	/* The qxl case killed the guest with page damage: that pin went through. */
	EXPECT_CONTAINS(xml.s, "<property name=\"coverage\" value=\"hugepin_ref PMD (1 record), "
			"qxl huge pfn (1 record, inferred from the pin)\"/>");
	EXPECT(!strstr(xml.s, "inconclusive"));
	EXPECT_CONTAINS(xml.s, "a|b &lt;c&gt; &amp; &quot;d&quot;");
	EXPECT_CONTAINS(xml.s, "<failure message=\"VULNERABLE: page dumped because");
	EXPECT_CONTAINS(xml.s, "<system-out>VULNERABLE (expected: no PMD special bit): ");
	hp_buf_free(&md);
	hp_buf_free(&xml);
	hp_report_free(&rep);

	load(&rep, records_safe, "", NULL);
	hp_report_junit(&one, 1, NULL, &xml);
	EXPECT_CONTAINS(xml.s, "<skipped message=\"no DRM device vmwgfx\"/>");
	EXPECT_CONTAINS(xml.s, "<property name=\"coverage\" value=\"none\"/>");
	EXPECT_CONTAINS(xml.s, "<property name=\"inconclusive\" value=\"no case formed a huge pfn mapping: "
			"vmwgfx UNTESTABLE (no DRM device vmwgfx)");
	hp_buf_free(&xml);
	hp_report_free(&rep);
}

static void json_round_trip(void)
{
	struct hp_report rep, back;
	struct hp_buf out = { 0 };
	size_t i;

	load(&rep, records_crash, console_damage, NULL);
	EXPECT_EQ(hp_report_add_timing(&rep, "boot_s=6.5"), 0);
	EXPECT_EQ(hp_report_add_timing(&rep, "suite_s=2m"), 0);
	EXPECT_EQ(hp_ktap_parse(&rep.ktap, S("TAP version 13\n1..2\nok 1 a\nnot ok 2 b\n"), "pin_odirect"), 0);
	hp_report_json(&rep, NULL, &out);
	EXPECT_CONTAINS(out.s, "\"exit_code\":1");
	EXPECT_EQ(hp_report_load_json(&back, out.s, out.len), 0);
	EXPECT_STR(back.kernel, rep.kernel);
	EXPECT_EQ(back.nrows, rep.nrows);
	for (i = 0; i < rep.nrows && i < back.nrows; i++) {
		const struct hp_result *x = &rep.rows[i].r, *y = &back.rows[i].r;

		EXPECT_STR(y->test, x->test);
		EXPECT_STR(y->name, x->name);
		EXPECT_STR(y->device, x->device);
		EXPECT_STR(y->method, x->method);
		EXPECT_STR(y->evidence, x->evidence);
		EXPECT_EQ(y->verdict, x->verdict);
		EXPECT_EQ(y->expected, x->expected);
		EXPECT_EQ(y->err, x->err);
		EXPECT_EQ(y->bytes, x->bytes);
		EXPECT_EQ(back.rows[i].from_console, rep.rows[i].from_console);
	}
	EXPECT_EQ(back.ntimings, 2);
	EXPECT(back.ntimings == 2 && back.timings[1].value == 120.0);
	EXPECT_EQ(back.ktap.n, 1);
	EXPECT(back.ktap.n == 1 && back.ktap.progs[0].fail == 1 && back.ktap.progs[0].planned == 2);
	EXPECT_EQ(hp_report_exit_code(&back, NULL), 1);
	hp_report_free(&back);
	hp_buf_free(&out);
	hp_report_free(&rep);

	EXPECT_EQ(hp_report_load_json(&back, S("{\"kernel\":\"x\"}")), -EINVAL);
	hp_report_free(&back);
	EXPECT_EQ(hp_report_load_json(&back, S("{\"records\":[{\"verdict\":\"SAFE\"}]}")), -EINVAL);
	hp_report_free(&back);
	EXPECT_EQ(hp_report_load_json(&back, S("not json")), -EINVAL);
}

static void timings_checked(void)
{
	struct hp_report rep;
	int i;

	hp_report_init(&rep, "k");
	EXPECT_EQ(hp_report_add_timing(&rep, "build_s"), -EINVAL);
	EXPECT_EQ(hp_report_add_timing(&rep, "=5"), -EINVAL);
	EXPECT_EQ(hp_report_add_timing(&rep, "boot_s=fast"), -EINVAL);
	EXPECT_EQ(hp_report_add_timing(&rep, NULL), -EINVAL);
	for (i = 0; i < HP_MAX_TIMINGS; i++)
		EXPECT_EQ(hp_report_add_timing(&rep, "t=1"), 0);
	EXPECT_EQ(hp_report_add_timing(&rep, "t=1"), -ENOSPC);
	hp_report_free(&rep);
}

static void matrix(void)
{
	struct hp_report a, b, c;
	const struct hp_report *reps[3] = { &a, &b, &c };
	struct hp_buf md = { 0 }, json = { 0 }, txt = { 0 };
	struct hp_json *j;

	load(&a, records_safe, "", NULL);
	EXPECT_EQ(hp_report_add_records(&a, S(records_fixed)), 0);
	snprintf(a.kernel, sizeof(a.kernel), "6.1.0-56-amd64");
	hp_report_add_timing(&a, "boot_s=6.2");
	load(&b, records_crash, console_damage, NULL);
	snprintf(b.kernel, sizeof(b.kernel), "5.12.0");
	hp_report_init(&c, "4.19.0");
	EXPECT_EQ(hp_matrix_render(reps, 3, &md, &json, &txt), 1);
	EXPECT_CONTAINS(md.s, "kernels needing a fix: 5.12.0\n");
	EXPECT_CONTAINS(md.s, "kernels that could not be tested: 4.19.0");
	EXPECT_CONTAINS(md.s, "| boot_s |");
	EXPECT_CONTAINS(md.s, "| 6.2 |");
	EXPECT_CONTAINS(md.s, "qxl/vmsplice");
	EXPECT_CONTAINS(txt.s, "kernels needing a fix: 5.12.0");
	j = hp_json_parse(json.s, json.len);
	EXPECT(j != NULL);
	EXPECT(hp_json_get(j, "needing_fix") && hp_json_get(j, "needing_fix")->child &&
	       !strcmp(hp_json_get(j, "needing_fix")->child->str, "5.12.0"));
	hp_json_free(j);
	EXPECT_CONTAINS(json.s, "\"hugepin_ref/odirect_read\":\"VULNERABLE (expected)\"");
	EXPECT_CONTAINS(json.s, "\"kernel\":\"4.19.0\",\"exit_code\":125");
	EXPECT_CONTAINS(json.s, "\"coverage\":[{\"path\":\"hugepin_ref PMD\",\"records\":1,\"inferred\":0}]");
	hp_buf_free(&md);
	hp_buf_free(&json);
	hp_buf_free(&txt);

	EXPECT_EQ(hp_matrix_render(reps, 1, &md, &json, &txt), 0);
	EXPECT_CONTAINS(md.s, "kernels needing a fix: none");
	hp_buf_free(&md);
	hp_buf_free(&json);
	hp_buf_free(&txt);
	EXPECT_EQ(hp_matrix_render(reps + 2, 1, &md, &json, &txt), 125);
	hp_buf_free(&md);
	hp_buf_free(&json);
	hp_buf_free(&txt);
	hp_report_free(&a);
	hp_report_free(&b);
	hp_report_free(&c);
}

static void ktap_plain(void)
{
	struct hp_ktap k = { 0 };

	EXPECT_EQ(hp_ktap_parse(&k, S("TAP version 13\n1..5\n# Starting 5 tests\n"
				      "ok 1 drm_bo.bochs.odirect_read\n"
				      "not ok 2 drm_bo.qxl.vmsplice\n"
				      "ok 3 drm_bo.vmwgfx.odirect_read # SKIP no DRM device vmwgfx\n"
				      "ok 4 hugepfn_map.pmd.odirect_read # XFAIL no PMD special bit\n"
				      "    ok 1 nested subtest\n"
				      "not ok 5 x # TODO known\n"
				      "# Totals: pass:1 fail:1 xfail:2 xpass:0 skip:1 error:0\n"), "pin_odirect"), 0);
	EXPECT_EQ(k.n, 1);
	if (k.n == 1) {
		EXPECT_STR(k.progs[0].name, "pin_odirect");
		EXPECT_EQ(k.progs[0].pass, 1);
		EXPECT_EQ(k.progs[0].fail, 1);
		EXPECT_EQ(k.progs[0].skip, 1);
		EXPECT_EQ(k.progs[0].xfail, 2);
		EXPECT_EQ(k.progs[0].planned, 5);
	}
	hp_ktap_free(&k);
	EXPECT_EQ(hp_ktap_parse(&k, S("hello\nworld\n"), "x"), -EINVAL);
	EXPECT_EQ(hp_ktap_parse(&k, S(""), NULL), -EINVAL);
	hp_ktap_free(&k);
}

static void ktap_runner(void)
{
	struct hp_ktap k = { 0 };

	EXPECT_EQ(hp_ktap_parse(&k, S("TAP version 13\n1..3\n"
				      "# selftests: drivers/gpu/hugepin: pin_odirect\n"
				      "# TAP version 13\n# 1..2\n"
				      "# # Starting 2 tests from 1 test cases.\n"
				      "# ok 1 drm_bo.bochs.odirect_read\n"
				      "# ok 2 drm_bo.qxl.odirect_read # SKIP no huge mapping formed\n"
				      "# # Totals: pass:1 fail:0 xfail:0 xpass:0 skip:1 error:0\n"
				      "ok 1 selftests: drivers/gpu/hugepin: pin_odirect\n"
				      "# selftests: drivers/gpu/hugepin: evict_race\n"
				      "# timeout set to 45\n"
				      "not ok 2 selftests: drivers/gpu/hugepin: evict_race # TIMEOUT 45 seconds\n"
				      "# selftests: drivers/gpu/hugepin: pin_iouring\n"
				      "ok 3 selftests: drivers/gpu/hugepin: pin_iouring # SKIP\n"), "ignored"), 0);
	EXPECT_EQ(k.n, 3);
	if (k.n == 3) {
		EXPECT_STR(k.progs[0].name, "pin_odirect");
		EXPECT_EQ(k.progs[0].pass, 1);
		EXPECT_EQ(k.progs[0].skip, 1);
		EXPECT_EQ(k.progs[0].planned, 2);
		EXPECT_EQ(k.progs[0].exit_ok, 1);
		EXPECT_STR(k.progs[1].name, "evict_race");
		EXPECT_EQ(k.progs[1].fail, 1);
		EXPECT_EQ(k.progs[1].exit_ok, 0);
		EXPECT_EQ(k.progs[2].skip, 1);
		EXPECT_EQ(k.progs[2].exit_ok, 1);
	}
	hp_ktap_free(&k);
}

static const struct unit_case cases[] = {
	{ "interrupted_and_not_run", interrupted_and_not_run },
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
	{ "crash_row_from_the_start_record", crash_row_from_the_start_record },
	{ "bisect_on_needs_the_huge_mapping", bisect_on_needs_the_huge_mapping },
	{ "bisect_on_globs", bisect_on_globs },
	{ "expect_file", expect_file },
	{ "table_rendering", table_rendering },
	{ "markdown_and_junit", markdown_and_junit },
	{ "json_round_trip", json_round_trip },
	{ "timings_checked", timings_checked },
	{ "matrix", matrix },
	{ "ktap_plain", ktap_plain },
	{ "ktap_runner", ktap_runner },
};

int main(void)
{
	return UNIT_RUN(cases);
}
