// SPDX-License-Identifier: GPL-2.0
/*
 * --expect: a run's rows checked against an expected-verdicts file.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"

/* ---- --expect ---- */

struct expect_line {
	char device[HP_NAME_LEN];
	char method[HP_NAME_LEN];
	char verdict_word[16];
	enum hp_verdict verdict;
	size_t hits;
	const struct hp_result *contra;	/* first record with another verdict */
};

static bool expect_match(const struct expect_line *e, const struct hp_result *r)
{
	return !fnmatch(e->device, r->device, 0) && !fnmatch(e->method, r->method, 0);
}

static int parse_expect(const char *text, size_t len, struct expect_line **out,
			size_t *n, struct hp_buf *msg)
{
	const char *line = text, *end = text + len;
	struct expect_line *v = NULL;
	size_t cnt = 0, lineno = 0;

	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t l = (size_t)((nl ? nl : end) - line);
		char buf[LINE_LEN], extra[2];
		struct expect_line e, *nv;
		int got;

		lineno++;
		copy_str(buf, sizeof(buf), line, l);
		line = nl ? nl + 1 : end;
		buf[strcspn(buf, "#")] = '\0';
		if (!buf[strspn(buf, " \t\r")])
			continue;
		memset(&e, 0, sizeof(e));
		got = sscanf(buf, "%63s %63s %15s %1s", e.device, e.method,
			     e.verdict_word, extra);
		if (got != 3 || hp_verdict_parse(e.verdict_word, &e.verdict)) {
			hp_buf_printf(msg, "expect line %zu: want \"device method SAFE|VULNERABLE|UNTESTABLE\"\n",
				      lineno);
			free(v);
			return -EINVAL;
		}
		nv = realloc(v, (cnt + 1) * sizeof(*v));
		if (!nv) {
			free(v);
			return -ENOMEM;
		}
		v = nv;
		v[cnt++] = e;
	}
	*out = v;
	*n = cnt;
	return 0;
}

/* Rows no expect line speaks for that must still fail the check. */
static bool needs_cover(const struct hp_row *row)
{
	return row->from_console ||
	       (row->r.verdict == HP_VULNERABLE && !row->r.expected);
}

int hp_report_expect(const struct hp_report *rep, const char *text, size_t len,
		     struct hp_buf *out)
{
	struct expect_line *lines = NULL;
	bool *covered;
	size_t n = 0, i, j, uncovered = 0, test_no;
	int failed = 0, ret;

	ret = parse_expect(text, len, &lines, &n, out);
	if (ret)
		return ret;
	covered = calloc(rep->nrows + 1, sizeof(*covered));
	if (!covered) {
		free(lines);
		return -ENOMEM;
	}
	for (j = 0; j < rep->nrows; j++) {
		const struct hp_result *r = &rep->rows[j].r;

		for (i = 0; i < n; i++) {
			if (!expect_match(&lines[i], r))
				continue;
			covered[j] = true;
			if (r->verdict == lines[i].verdict)
				lines[i].hits++;
			else if (!lines[i].contra)
				lines[i].contra = r;
			break;
		}
		uncovered += !covered[j] && needs_cover(&rep->rows[j]);
	}
	hp_buf_printf(out, "TAP version 13\n1..%zu\n", n + uncovered);
	for (i = 0; i < n; i++) {
		const struct expect_line *e = &lines[i];
		const char *want = hp_verdict_name(e->verdict);

		if (e->contra) {
			failed++;
			hp_buf_printf(out, "not ok %zu expect %s %s %s: %s:%s/%s is %s: %s\n",
				      i + 1, e->device, e->method, want, e->contra->test,
				      e->contra->name, e->contra->method,
				      hp_verdict_name(e->contra->verdict), e->contra->evidence);
		} else if (!e->hits) {
			failed++;
			hp_buf_printf(out, "not ok %zu expect %s %s %s: no record matched\n",
				      i + 1, e->device, e->method, want);
		} else {
			hp_buf_printf(out, "ok %zu expect %s %s %s (%zu records)\n",
				      i + 1, e->device, e->method, want, e->hits);
		}
	}
	/* A crash or an unexpected VULNERABLE fails even where no line speaks. */
	test_no = n;
	for (j = 0; j < rep->nrows; j++) {
		const struct hp_result *r = &rep->rows[j].r;

		if (covered[j] || !needs_cover(&rep->rows[j]))
			continue;
		failed++;
		hp_buf_printf(out, "not ok %zu unexpected %s %s %s:%s/%s: %s\n", ++test_no,
			      hp_verdict_name(r->verdict), r->device, r->test, r->name,
			      r->method, r->evidence);
	}
	free(covered);
	free(lines);
	return failed;
}

