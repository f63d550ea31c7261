// SPDX-License-Identifier: GPL-2.0
/*
 * Renderers: the terminal table, Markdown, JSON and JUnit XML of one run.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"

/* ---- renderers ---- */

struct column {
	const char *title;
	size_t width;
};

static void cell_text(const struct hp_report *rep, const struct hp_row *row,
		      int col, char *buf, size_t len)
{
	const struct hp_result *r = &row->r;

	switch (col) {
	case 0: snprintf(buf, len, "%s", rep->kernel); break;
	case 1: snprintf(buf, len, "%s", r->device); break;
	case 2: snprintf(buf, len, "%s", r->driver); break;
	case 3: snprintf(buf, len, "%s:%s", r->test, r->name); break;
	case 4: snprintf(buf, len, "%s", r->method); break;
	case 5: hp_verdict_text(r, buf, len); break;
	default: snprintf(buf, len, "%s", r->evidence); break;
	}
}

#define NCOLS 7

static void cut(char *s, size_t cap)
{
	if (strlen(s) > cap && cap > 3)
		memcpy(s + cap - 3, "...", 4);
}

/*
 * The terminal table has one line per test x device x method: the worst
 * record of the group speaks for it (VULNERABLE over an expected one over
 * SAFE over UNTESTABLE), with the group's count when it has several (start
 * offsets, mapping sizes). report.json and report.md keep every record.
 */
static size_t table_groups(const struct hp_report *rep, size_t *rep_row, size_t *count)
{
	size_t i, g, ng = 0;

	for (i = 0; i < rep->nrows; i++) {
		const struct hp_result *r = &rep->rows[i].r;

		for (g = 0; g < ng; g++) {
			const struct hp_result *q = &rep->rows[rep_row[g]].r;

			if (!strcmp(q->test, r->test) && !strcmp(q->device, r->device) &&
			    !strcmp(q->method, r->method))
				break;
		}
		if (g == ng) {
			rep_row[ng] = i;
			count[ng++] = 1;
			continue;
		}
		count[g]++;
		if (row_rank(r) > row_rank(&rep->rows[rep_row[g]].r))
			rep_row[g] = i;
	}
	return ng;
}

void hp_report_table(const struct hp_report *rep, unsigned int width, struct hp_buf *out)
{
	struct column cols[NCOLS] = {
		{ "KERNEL", 0 }, { "DEVICE", 0 }, { "DRIVER", 0 }, { "CASE", 0 },
		{ "METHOD", 0 }, { "VERDICT", 0 }, { "EVIDENCE", 0 },
	};
	char cell[LINE_LEN];
	char line[4 * LINE_LEN];
	size_t *rep_row, *count, ng, i;
	int c;

	rep_row = calloc(rep->nrows + 1, sizeof(*rep_row));
	count = calloc(rep->nrows + 1, sizeof(*count));
	if (!rep_row || !count) {
		free(rep_row);
		free(count);
		hp_buf_printf(out, "out of memory\n");
		return;
	}
	ng = table_groups(rep, rep_row, count);
	for (c = 0; c < NCOLS; c++)
		cols[c].width = strlen(cols[c].title);
	for (i = 0; i < ng; i++)
		for (c = 0; c < NCOLS - 1; c++) {
			size_t w;

			cell_text(rep, &rep->rows[rep_row[i]], c, cell, sizeof(cell));
			w = strlen(cell);
			/* The verdict column is never cut: it is the answer. */
			if (c != 5 && w > CELL_CAP)
				w = CELL_CAP;
			if (w > cols[c].width)
				cols[c].width = w;
		}
	for (i = 0; i <= ng; i++) {
		size_t used = 0;

		for (c = 0; c < NCOLS; c++) {
			int n;

			if (i == 0)
				snprintf(cell, sizeof(cell), "%s", cols[c].title);
			else
				cell_text(rep, &rep->rows[rep_row[i - 1]], c, cell, sizeof(cell));
			if (c < NCOLS - 1) {
				cut(cell, cols[c].width);
				n = snprintf(line + used, sizeof(line) - used, "%-*s  ",
					     (int)cols[c].width, cell);
			} else if (i && count[i - 1] > 1) {
				n = snprintf(line + used, sizeof(line) - used, "[%zu records] %s",
					     count[i - 1], cell);
			} else {
				n = snprintf(line + used, sizeof(line) - used, "%s", cell);
			}
			if (n > 0)
				used += (size_t)n;
			if (used >= sizeof(line))
				used = sizeof(line) - 1;
		}
		while (used && line[used - 1] == ' ')
			line[--used] = '\0';
		if (width && used > width)
			line[width] = '\0';
		hp_buf_printf(out, "%s\n", line);
	}
	free(rep_row);
	free(count);
}

void md_cell(struct hp_buf *out, const char *s)
{
	hp_buf_printf(out, " ");
	for (; *s; s++) {
		if (*s == '|')
			hp_buf_printf(out, "\\|");
		else if (*s == '\n' || *s == '\r')
			hp_buf_printf(out, " ");
		else
			hp_buf_printf(out, "%c", *s);
	}
	hp_buf_printf(out, " |");
}

static const char *exit_word(int code)
{
	return code == 0 ? "nothing unexpected was VULNERABLE" :
	       code == 1 ? "unexpected VULNERABLE" : "nothing could be tested";
}

/* "hugepin_ref PMD (24 records), vmwgfx (TTM huge fault) (3 records, inferred from the pin)" */
void coverage_list(struct hp_buf *out, const struct hp_coverage *cov)
{
	size_t i;

	if (!cov->npaths)
		hp_buf_printf(out, "none");
	for (i = 0; i < cov->npaths; i++) {
		const struct hp_path *p = &cov->paths[i];

		hp_buf_printf(out, "%s%s (", i ? ", " : "", p->name);
		if (p->seen)
			hp_buf_printf(out, "%zu record%s", p->seen, p->seen == 1 ? "" : "s");
		if (p->seen && p->inferred)
			hp_buf_printf(out, "; %zu more inferred from the pin)", p->inferred);
		else if (p->inferred)
			hp_buf_printf(out, "%zu record%s, inferred from the pin)", p->inferred,
				      p->inferred == 1 ? "" : "s");
		else
			hp_buf_printf(out, ")");
	}
}

/* How many not-run entries carry no reason of their own. */
static size_t not_run_plain(const struct hp_report *rep)
{
	size_t n = 0;

	for (size_t i = 0; i < rep->nnot_run; i++)
		n += !rep->not_run_why[i][0];
	return n;
}

/* One line per huge pfn provider: exercised at which level, absent, or why not. */
static void provider_lines(const struct hp_report *rep, const char *prefix, struct hp_buf *out)
{
	struct hp_provider_state st[HP_MAX_PROVIDERS];
	size_t n = hp_report_providers(rep, st, HP_MAX_PROVIDERS);
	char levels[LINE_LEN];

	for (size_t i = 0; i < n; i++) {
		hp_buf_printf(out, "%sProvider %s: %s", prefix, st[i].name,
			      hp_provider_state_name(st[i].state));
		if (st[i].state == HP_PROVIDER_EXERCISED) {
			hp_provider_levels(&st[i], levels, sizeof(levels));
			hp_buf_printf(out, " %s.\n", levels);
		} else {
			hp_buf_printf(out, "%s: %s.\n",
				      st[i].state == HP_PROVIDER_ABSENT ? " from this kernel" : "",
				      st[i].why);
		}
	}
}

static void json_providers(struct hp_buf *out, const struct hp_report *rep)
{
	struct hp_provider_state st[HP_MAX_PROVIDERS];
	size_t n = hp_report_providers(rep, st, HP_MAX_PROVIDERS);

	hp_buf_printf(out, "\"providers\":[");
	for (size_t i = 0; i < n; i++) {
		hp_buf_printf(out, "%s{\"provider\":", i ? "," : "");
		json_str(out, st[i].name);
		hp_buf_printf(out, ",\"state\":");
		json_str(out, hp_provider_state_name(st[i].state));
		hp_buf_printf(out, ",\"pmd\":%zu,\"pud\":%zu,\"inferred\":%zu,\"why\":", st[i].pmd,
			      st[i].pud, st[i].inferred);
		json_str(out, st[i].why);
		hp_buf_printf(out, "}");
	}
	hp_buf_printf(out, "]");
}

/* The summary lines, each after @prefix: counts, coverage, INCONCLUSIVE, exit code. */
static void summary_lines(const struct hp_report *rep, const char *bisect_on,
			  const char *prefix, struct hp_buf *out)
{
	int code = hp_report_exit_code(rep, bisect_on);
	char failed[LINE_LEN] = "";
	struct hp_coverage cov;
	struct hp_summary s;

	hp_report_summary(rep, &s);
	hp_report_coverage(rep, bisect_on, &cov);
	hp_buf_printf(out, "%sKernel %s on %s.\n", prefix, rep->kernel, rep->arch);
	if (rep->interrupted[0])
		hp_buf_printf(out, "%sINTERRUPTED by %s: a partial report of the cases that ran.\n",
			      prefix, rep->interrupted);
	hp_buf_printf(out, "%s%zu SAFE, %zu VULNERABLE, %zu VULNERABLE (expected), %zu UNTESTABLE.\n",
		      prefix, s.safe, s.vulnerable, s.vulnerable_expected, s.untestable);
	if (not_run_plain(rep)) {
		hp_buf_printf(out, "%sNOT RUN: ", prefix);
		for (size_t i = 0, k = 0; i < rep->nnot_run; i++)
			if (!rep->not_run_why[i][0])
				hp_buf_printf(out, "%s%s", k++ ? ", " : "", rep->not_run[i]);
		hp_buf_printf(out, " (never started: %s).\n",
			      rep->interrupted[0] ? "the run was interrupted" :
			      "the guest did not get to them");
	}
	for (size_t i = 0; i < rep->nnot_run; i++)
		if (rep->not_run_why[i][0])
			hp_buf_printf(out, "%sNOT RUN: %s (%s).\n", prefix, rep->not_run[i],
				      rep->not_run_why[i]);
	hp_report_controls_text(rep, prefix, out);
	hp_buf_printf(out, "%sHuge pfn mappings formed: ", prefix);
	coverage_list(out, &cov);
	hp_buf_printf(out, ".\n");
	provider_lines(rep, prefix, out);
	if (code == 125)
		hp_buf_printf(out, "%sINCONCLUSIVE: %s.\n", prefix, cov.why);
	else if (code == 0 && !cov.conclusive)
		hp_buf_printf(out, "%sNO HUGE MAPPING: %s; the deciding cases ran SAFE, counted as fixed as asked.\n",
			      prefix, cov.why);
	if (!bisect_on && hp_report_ktap_failures(rep, failed, sizeof(failed)))
		hp_buf_printf(out, "%sFAILED: the programs reported cases not ok: %s.\n", prefix, failed);
	hp_buf_printf(out, "%sExit code %d: %s%s%s.\n", prefix, code,
		      code == 1 && !s.vulnerable && failed[0] ? "a kselftest case failed" : exit_word(code),
		      bisect_on ? ", deciding case: " : "", bisect_on ? bisect_on : "");
}

void hp_report_summary_text(const struct hp_report *rep, const char *bisect_on,
			    struct hp_buf *out)
{
	summary_lines(rep, bisect_on, "", out);
}

void hp_report_markdown(const struct hp_report *rep, const char *bisect_on, struct hp_buf *out)
{
	char cell[LINE_LEN];
	size_t i;
	int c;

	hp_buf_printf(out, "# hugepin report: %s\n\n", rep->kernel);
	summary_lines(rep, bisect_on, "- ", out);
	hp_buf_printf(out, "\n| device | driver | case | method | verdict | evidence |\n");
	hp_buf_printf(out, "|---|---|---|---|---|---|\n");
	for (i = 0; i < rep->nrows; i++) {
		hp_buf_printf(out, "|");
		for (c = 1; c < NCOLS; c++) {
			cell_text(rep, &rep->rows[i], c, cell, sizeof(cell));
			md_cell(out, cell);
		}
		hp_buf_printf(out, "\n");
	}
	if (rep->bad_lines)
		hp_buf_printf(out, "\n%zu record lines could not be parsed.\n", rep->bad_lines);
	if (rep->ntimings) {
		hp_buf_printf(out, "\n| timing | seconds |\n|---|---|\n");
		for (i = 0; i < rep->ntimings; i++)
			hp_buf_printf(out, "| %s | %.1f |\n", rep->timings[i].name,
				      rep->timings[i].value);
	}
	if (rep->ktap.n) {
		hp_buf_printf(out, "\n| kselftest | pass | fail | skip | xfail | plan |\n"
			      "|---|---|---|---|---|---|\n");
		for (i = 0; i < rep->ktap.n; i++) {
			const struct hp_ktap_prog *p = &rep->ktap.progs[i];

			hp_buf_printf(out, "|");
			md_cell(out, p->name);
			hp_buf_printf(out, " %u | %u | %u | %u | %d |\n", p->pass, p->fail,
				      p->skip, p->xfail, p->planned);
		}
	}
}

void json_str(struct hp_buf *out, const char *s)
{
	char esc[6 * LINE_LEN + 1];

	/* Long strings are cut at an escape boundary rather than mangled. */
	hp_json_escape(s, esc, sizeof(esc));
	hp_buf_printf(out, "\"%s\"", esc);
}

/* {"build_s":1.234,...}: a run's timings as a JSON object. */
void json_timings(struct hp_buf *out, const struct hp_report *rep)
{
	size_t i;

	hp_buf_printf(out, "{");
	for (i = 0; i < rep->ntimings; i++) {
		hp_buf_printf(out, "%s", i ? "," : "");
		json_str(out, rep->timings[i].name);
		hp_buf_printf(out, ":%.3f", rep->timings[i].value);
	}
	hp_buf_printf(out, "}");
}

/* "safe":N,"vulnerable":N,"vulnerable_expected":N,"untestable":N: the verdict counts. */
void json_counts(struct hp_buf *out, const struct hp_summary *s)
{
	hp_buf_printf(out, "\"safe\":%zu,\"vulnerable\":%zu,\"vulnerable_expected\":%zu,"
		      "\"untestable\":%zu", s->safe, s->vulnerable, s->vulnerable_expected,
		      s->untestable);
}

/* "coverage":[{"path":...,"records":N,"inferred":M},...] */
void json_coverage(struct hp_buf *out, const struct hp_coverage *cov)
{
	size_t i;

	hp_buf_printf(out, "\"coverage\":[");
	for (i = 0; i < cov->npaths; i++) {
		hp_buf_printf(out, "%s{\"path\":", i ? "," : "");
		json_str(out, cov->paths[i].name);
		hp_buf_printf(out, ",\"records\":%zu,\"inferred\":%zu}", cov->paths[i].seen,
			      cov->paths[i].inferred);
	}
	hp_buf_printf(out, "]");
}

void hp_report_json(const struct hp_report *rep, const char *bisect_on, struct hp_buf *out)
{
	int code = hp_report_exit_code(rep, bisect_on);
	struct hp_coverage cov;
	char line[8192];
	struct hp_summary s;
	size_t i;

	hp_report_summary(rep, &s);
	hp_report_coverage(rep, bisect_on, &cov);
	hp_buf_printf(out, "{\"kernel\":");
	json_str(out, rep->kernel);
	hp_buf_printf(out, ",\"arch\":");
	json_str(out, rep->arch);
	hp_buf_printf(out, ",\n\"summary\":{");
	json_counts(out, &s);
	hp_buf_printf(out, ",\"exit_code\":%d,\"bad_record_lines\":%zu,", code, rep->bad_lines);
	json_coverage(out, &cov);
	/* Set exactly when the exit code is 125 for want of a huge pfn mapping. */
	hp_buf_printf(out, ",\"inconclusive\":");
	if (code == 125)
		json_str(out, cov.why);
	else
		hp_buf_printf(out, "null");
	hp_buf_printf(out, ",");
	json_providers(out, rep);
	hp_buf_printf(out, ",\"interrupted\":");
	if (rep->interrupted[0])
		json_str(out, rep->interrupted);
	else
		hp_buf_printf(out, "null");
	hp_buf_printf(out, ",\"not_run\":[");
	for (i = 0; i < rep->nnot_run; i++) {
		hp_buf_printf(out, "%s", i ? "," : "");
		json_str(out, rep->not_run[i]);
	}
	/* Why the runner left each one out, where it said: "" for "never started". */
	hp_buf_printf(out, "],\"not_run_why\":[");
	for (i = 0; i < rep->nnot_run; i++) {
		hp_buf_printf(out, "%s", i ? "," : "");
		json_str(out, rep->not_run_why[i]);
	}
	hp_buf_printf(out, "],");
	hp_report_controls_json(rep, out);
	hp_buf_printf(out, "},\n\"timings\":");
	json_timings(out, rep);
	hp_buf_printf(out, ",\n\"ktap\":[");
	for (i = 0; i < rep->ktap.n; i++) {
		const struct hp_ktap_prog *p = &rep->ktap.progs[i];

		hp_buf_printf(out, "%s\n{\"program\":", i ? "," : "");
		json_str(out, p->name);
		hp_buf_printf(out, ",\"pass\":%u,\"fail\":%u,\"skip\":%u,\"xfail\":%u,"
			      "\"planned\":%d,\"exit_ok\":%d}", p->pass, p->fail, p->skip,
			      p->xfail, p->planned, p->exit_ok);
	}
	hp_buf_printf(out, "],\n\"records\":[");
	for (i = 0; i < rep->nrows; i++) {
		int n = hp_record_format(&rep->rows[i].r, line, sizeof(line));

		if (n <= 0)
			continue;
		/* Same object as the guest's record, plus where it came from. */
		line[n - 1] = '\0';
		hp_buf_printf(out, "%s\n%s,\"from_console\":%s}", i ? "," : "", line,
			      rep->rows[i].from_console ? "true" : "false");
	}
	hp_buf_printf(out, "]}\n");
}

static void xml_text(struct hp_buf *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '&': hp_buf_printf(out, "&amp;"); break;
		case '<': hp_buf_printf(out, "&lt;"); break;
		case '>': hp_buf_printf(out, "&gt;"); break;
		case '"': hp_buf_printf(out, "&quot;"); break;
		case '\'': hp_buf_printf(out, "&apos;"); break;
		default:
			/* XML 1.0 has no escape for control characters. */
			hp_buf_printf(out, "%c", c < 0x20 && c != '\t' && c != '\n' ? '?' : c);
		}
	}
}

static void junit_property(struct hp_buf *out, const char *name, const char *value)
{
	hp_buf_printf(out, "   <property name=\"%s\" value=\"", name);
	xml_text(out, value);
	hp_buf_printf(out, "\"/>\n");
}

/* The run's answer beside its cases: exit code, coverage, and why when inconclusive. */
static void junit_properties(const struct hp_report *rep, const char *bisect_on,
			     struct hp_buf *out)
{
	int code = hp_report_exit_code(rep, bisect_on);
	struct hp_buf list = { 0 };
	struct hp_coverage cov;
	char num[16];

	hp_report_coverage(rep, bisect_on, &cov);
	coverage_list(&list, &cov);
	snprintf(num, sizeof(num), "%d", code);
	hp_buf_printf(out, "  <properties>\n");
	junit_property(out, "exit_code", num);
	junit_property(out, "coverage", list.s && !list.oom ? list.s : "?");
	if (code == 125)
		junit_property(out, "inconclusive", cov.why);
	if (bisect_on)
		junit_property(out, "bisect_on", bisect_on);
	hp_buf_printf(out, "  </properties>\n");
	hp_buf_free(&list);
}

static void junit_suite(const struct hp_report *rep, const char *bisect_on, struct hp_buf *out)
{
	struct hp_summary s;
	char verdict[HP_TEXT_LEN];
	size_t i, failures = 0;

	hp_report_summary(rep, &s);
	for (i = 0; i < rep->ktap.n; i++)
		failures += rep->ktap.progs[i].fail > 0;
	hp_buf_printf(out, " <testsuite name=\"hugepin ");
	xml_text(out, rep->kernel);
	hp_buf_printf(out, "\" tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\">\n",
		      rep->nrows + rep->ktap.n + rep->nnot_run, s.vulnerable + failures,
		      s.untestable + rep->nnot_run);
	junit_properties(rep, bisect_on, out);
	for (i = 0; i < rep->nrows; i++) {
		const struct hp_result *r = &rep->rows[i].r;

		hp_buf_printf(out, "  <testcase classname=\"");
		xml_text(out, rep->kernel);
		hp_buf_printf(out, ".");
		xml_text(out, r->device);
		hp_buf_printf(out, "\" name=\"");
		xml_text(out, r->test);
		hp_buf_printf(out, ":");
		xml_text(out, r->name);
		hp_buf_printf(out, "/");
		xml_text(out, r->method);
		hp_buf_printf(out, "\">");
		hp_verdict_text(r, verdict, sizeof(verdict));
		if (r->verdict == HP_UNTESTABLE) {
			hp_buf_printf(out, "<skipped message=\"");
			xml_text(out, r->evidence);
			hp_buf_printf(out, "\"/>");
		} else if (r->verdict == HP_VULNERABLE && !r->expected) {
			hp_buf_printf(out, "<failure message=\"VULNERABLE: ");
			xml_text(out, r->evidence);
			hp_buf_printf(out, "\">");
			xml_text(out, r->evidence);
			hp_buf_printf(out, "</failure>");
		} else {
			hp_buf_printf(out, "<system-out>");
			xml_text(out, verdict);
			hp_buf_printf(out, ": ");
			xml_text(out, r->evidence);
			hp_buf_printf(out, "</system-out>");
		}
		hp_buf_printf(out, "</testcase>\n");
	}
	for (i = 0; i < rep->nnot_run; i++) {
		hp_buf_printf(out, "  <testcase classname=\"");
		xml_text(out, rep->kernel);
		hp_buf_printf(out, ".kselftest\" name=\"");
		xml_text(out, rep->not_run[i]);
		hp_buf_printf(out, "\"><skipped message=\"NOT RUN%s", rep->not_run_why[i][0] ? ": " :
			      rep->interrupted[0] ? ": interrupted" : "");
		xml_text(out, rep->not_run_why[i]);
		hp_buf_printf(out, "\"/></testcase>\n");
	}
	for (i = 0; i < rep->ktap.n; i++) {
		const struct hp_ktap_prog *p = &rep->ktap.progs[i];

		hp_buf_printf(out, "  <testcase classname=\"");
		xml_text(out, rep->kernel);
		hp_buf_printf(out, ".kselftest\" name=\"");
		xml_text(out, p->name);
		hp_buf_printf(out, "\">");
		if (p->fail)
			hp_buf_printf(out, "<failure message=\"%u not ok\"/>", p->fail);
		hp_buf_printf(out, "<system-out>pass %u fail %u skip %u xfail %u</system-out>"
			      "</testcase>\n", p->pass, p->fail, p->skip, p->xfail);
	}
	hp_buf_printf(out, " </testsuite>\n");
}

void hp_report_junit(const struct hp_report *const *reps, size_t n, const char *bisect_on,
		     struct hp_buf *out)
{
	size_t i;

	hp_buf_printf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"hugepin\">\n");
	for (i = 0; i < n; i++)
		junit_suite(reps[i], bisect_on, out);
	hp_buf_printf(out, "</testsuites>\n");
}

