// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of what the report tool writes: --expect files, the terminal
 * table, Markdown, JUnit and JSON (read back), timings, the kernel matrix
 * and the KTAP it turns a run into.
 */
#include "report_fixtures.h"

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
	hp_report_set_arch(&b, "aarch64");
	EXPECT_EQ(hp_matrix_render(reps, 3, &md, &json, &txt), 1);
	/* A kernel whose architecture is known is named with it, in every form. */
	EXPECT_CONTAINS(md.s, "| 5.12.0 (aarch64) |");
	EXPECT_CONTAINS(txt.s, "  5.12.0 (aarch64)");
	EXPECT_CONTAINS(json.s, "\"kernel\":\"5.12.0\",\"arch\":\"aarch64\",\"exit_code\":1");
	EXPECT_CONTAINS(md.s, "kernels needing a fix: 5.12.0 (aarch64)\n");
	EXPECT_CONTAINS(md.s, "kernels that could not be tested: 4.19.0");
	EXPECT_CONTAINS(md.s, "| boot_s |");
	EXPECT_CONTAINS(md.s, "| 6.2 |");
	EXPECT_CONTAINS(md.s, "qxl/vmsplice");
	EXPECT_CONTAINS(txt.s, "kernels needing a fix: 5.12.0 (aarch64)");
	/* Which huge pfn mappings each kernel formed, one line per kernel. */
	EXPECT_CONTAINS(md.s, "Huge pfn mappings formed:\n\n- 6.1.0-56-amd64: hugepin_ref PMD (1 record)\n");
	EXPECT_CONTAINS(md.s, "\n- 4.19.0: none\n");
	EXPECT_CONTAINS(txt.s, "Huge pfn mappings formed:\n  6.1.0-56-amd64: hugepin_ref PMD (1 record)\n");
	j = hp_json_parse(json.s, json.len);
	EXPECT(j != NULL);
	EXPECT(hp_json_get(j, "needing_fix") && hp_json_get(j, "needing_fix")->child &&
	       !strcmp(hp_json_get(j, "needing_fix")->child->str, "5.12.0"));
	hp_json_free(j);
	EXPECT_CONTAINS(json.s, "\"hugepin_ref/odirect_read\":\"VULNERABLE (expected)\"");
	EXPECT_CONTAINS(json.s, "\"kernel\":\"4.19.0\",\"arch\":\"unknown\",\"exit_code\":125");
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

/* One program's output and what it counts: pass, fail, skip, xfail, plan. */
static const struct {
	const char *name, *text;
	unsigned int pass, fail, skip, xfail;
	int planned;
} ktap_cases[] = {
	{ "pin_odirect", "TAP version 13\n1..5\n# Starting 5 tests\n"
	  "ok 1 drm_bo.bochs.odirect_read\n"
	  "not ok 2 drm_bo.qxl.vmsplice\n"
	  "ok 3 drm_bo.vmwgfx.odirect_read # SKIP no DRM device vmwgfx\n"
	  "ok 4 hugepfn_map.pmd.odirect_read # XFAIL no PMD special bit\n"
	  "    ok 1 nested subtest\n"
	  "not ok 5 x # TODO known\n"
	  "# Totals: pass:1 fail:1 xfail:2 xpass:0 skip:1 error:0\n", 1, 1, 1, 2, 5 },
	/* A program resumed on a second boot: each test number counts once, as first seen. */
	{ "hugepfn_ref", "TAP version 13\n1..4\nok 1 a\nok 2 b # SKIP no device\n"
	  "TAP version 13\n1..4\n"
	  "ok 1 # SKIP started in an earlier boot, which the guest did not survive\n"
	  "ok 2 # SKIP started in an earlier boot, which the guest did not survive\n"
	  "ok 3 # SKIP started in an earlier boot, which the guest did not survive\n"
	  "not ok 4 d\n", 1, 1, 2, 0, 4 },
};

static void ktap_plain(void)
{
	struct hp_ktap k = { 0 };

	for (size_t i = 0; i < sizeof(ktap_cases) / sizeof(ktap_cases[0]); i++) {
		EXPECT_EQ(hp_ktap_parse(&k, S(ktap_cases[i].text), ktap_cases[i].name), 0);
		EXPECT_EQ(k.n, 1);
		if (k.n == 1) {
			EXPECT_STR(k.progs[0].name, ktap_cases[i].name);
			EXPECT_EQ(k.progs[0].pass, ktap_cases[i].pass);
			EXPECT_EQ(k.progs[0].fail, ktap_cases[i].fail);
			EXPECT_EQ(k.progs[0].skip, ktap_cases[i].skip);
			EXPECT_EQ(k.progs[0].xfail, ktap_cases[i].xfail);
			EXPECT_EQ(k.progs[0].planned, ktap_cases[i].planned);
		}
		hp_ktap_free(&k);
	}
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
