// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the whole report path (report.c): records, a serial
 * console log and an --expect file, split from one input at NUL bytes, then
 * crash attribution, every renderer, the coverage and the exit code.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t part(const uint8_t *data, size_t size, size_t *pos)
{
	const uint8_t *nul = memchr(data + *pos, 0, size - *pos);
	size_t len = (nul ? (size_t)(nul - data) : size) - *pos;

	return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const crashed[] = { "pin_odirect", "evict_race", "" };
	const char *text = (const char *)data;
	struct hp_buf a = { 0 }, b = { 0 }, c = { 0 };
	const struct hp_report *one;
	struct hp_report rep;
	size_t pos = 0, rlen, clen, elen;
	int code;

	rlen = part(data, size, &pos);
	pos = rlen < size ? rlen + 1 : size;
	clen = part(data, size, &pos);
	elen = pos + clen < size ? size - pos - clen - 1 : 0;

	hp_report_init(&rep, "fuzz");
	one = &rep;
	if (hp_report_add_records(&rep, text, rlen) ||
	    hp_report_attribute(&rep, text + pos, clen, crashed, clen % 3))
		abort();
	code = hp_report_exit_code(&rep, NULL);
	if (code != 0 && code != 1 && code != 125)
		abort();
	code = hp_report_exit_code(&rep, "bochs,*pmd*,hugepin_ref/vm*");
	if (code != 0 && code != 1 && code != 125)
		abort();
	{
		struct hp_coverage cov;

		/* The exit code and the coverage must tell the same story. */
		hp_report_coverage(&rep, NULL, &cov);
		if (hp_report_exit_code(&rep, NULL) == 125 && (cov.conclusive || !cov.why[0]))
			abort();
		if (hp_report_exit_code(&rep, NULL) == 0 && !cov.conclusive)
			abort();
	}
	hp_report_table(&rep, 80, &a);
	hp_report_summary_text(&rep, "*", &a);
	hp_report_markdown(&rep, NULL, &a);
	hp_report_junit(&one, 1, "bochs", &b);
	hp_report_json(&rep, NULL, &c);
	{
		struct hp_report back;

		/* What we write, we must read back. */
		if (c.oom || hp_report_load_json(&back, c.s, c.len) ||
		    back.nrows != rep.nrows)
			abort();
		hp_report_free(&back);
	}
	hp_buf_free(&a);
	hp_report_expect(&rep, text + size - elen, elen, &a);
	hp_buf_free(&a);
	hp_buf_free(&b);
	hp_buf_free(&c);
	{
		struct hp_buf md = { 0 }, js = { 0 }, tx = { 0 };

		if (hp_matrix_render(&one, 1, &md, &js, &tx) < 0)
			abort();
		hp_buf_free(&md);
		hp_buf_free(&js);
		hp_buf_free(&tx);
	}
	hp_report_free(&rep);
	return 0;
}
