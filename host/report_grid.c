// SPDX-License-Identifier: GPL-2.0
/*
 * The terminal's short answer: one line per device, one column per pin
 * method, each cell the worst verdict of its records (the shape of the
 * kernel matrix), then one line of evidence for every VULNERABLE cell and
 * one per distinct reason for the UNTESTABLE ones. A cell reads SAFE only
 * when a record behind it was SAFE over a huge entry (level pmd or pud):
 * a pin refused over PTEs says nothing about the huge-entry paths, so such
 * a cell names the level that formed instead ("pte", or "unknown" where
 * nothing could see it), and a PTE case never outranks the UNTESTABLE
 * huge cases of its cell. The full table
 * (run.sh --verbose), report.md and report.json keep every record.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define GRID_MAX 64
#define GRID_CELL 10

/* A method's column header, from the method table; an unknown one as it is. */
static const char *head_of(const char *method)
{
	enum hp_method m;

	return hp_method_parse(method, &m) ? method : hp_method_info(m)->head;
}

enum rank { R_NONE, R_SAFE_UNKNOWN, R_SAFE_PTE, R_UNTEST, R_SAFE, R_VULN_EXPECTED, R_VULN };

static bool huge_level(const struct hp_result *r)
{
	return !strcmp(r->level, "pmd") || !strcmp(r->level, "pud");
}

/*
 * VULNERABLE over expected over SAFE over UNTESTABLE over a SAFE without a
 * huge entry (over PTEs before one whose level nobody saw); R_NONE for no
 * record. An UNTESTABLE huge case thus keeps its cell, with its reason.
 */
static enum rank rank(const struct hp_result *r)
{
	if (r->verdict == HP_VULNERABLE)
		return r->expected ? R_VULN_EXPECTED : R_VULN;
	if (r->verdict != HP_SAFE)
		return R_UNTEST;
	if (huge_level(r))
		return R_SAFE;
	return !strcmp(r->level, "pte") ? R_SAFE_PTE : R_SAFE_UNKNOWN;
}

static const char *const rank_word[] = {
	[R_NONE] = "-", [R_UNTEST] = "UNTEST", [R_SAFE_PTE] = "pte", [R_SAFE_UNKNOWN] = "unknown",
	[R_SAFE] = "SAFE", [R_VULN_EXPECTED] = "VULN*", [R_VULN] = "VULN",
};

struct grid {
	const char *dev[GRID_MAX];
	const char *meth[GRID_MAX];
	size_t ndev, nmeth;
	/* Index of the row that speaks for each cell, or -1. */
	long cell[GRID_MAX][GRID_MAX];
	/* A setup failure ("-" method) speaks for every cell of its device. */
	long setup[GRID_MAX];
};

static size_t slot(const char **list, size_t *n, const char *name)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp(list[i], name))
			return i;
	if (*n < GRID_MAX)
		list[(*n)++] = name;
	return i;
}

static void grid_fill(const struct hp_report *rep, struct grid *g)
{
	size_t i, d, m;

	memset(g, 0, sizeof(*g));
	memset(g->cell, 0xff, sizeof(g->cell));
	memset(g->setup, 0xff, sizeof(g->setup));
	for (i = 0; i < rep->nrows; i++) {
		const struct hp_result *r = &rep->rows[i].r;
		long *at;

		d = slot(g->dev, &g->ndev, r->device);
		if (d == GRID_MAX)
			continue;
		if (!strcmp(r->method, "-")) {
			at = &g->setup[d];
		} else {
			m = slot(g->meth, &g->nmeth, r->method);
			if (m == GRID_MAX)
				continue;
			at = &g->cell[d][m];
		}
		if (*at < 0 || rank(r) > rank(&rep->rows[*at].r))
			*at = (long)i;
	}
}

static long speaker(const struct grid *g, size_t d, size_t m)
{
	return g->cell[d][m] >= 0 ? g->cell[d][m] : g->setup[d];
}

/* The evidence without the "off=0x.. len=0x..: " of one pin. */
static const char *reason(const struct hp_result *r)
{
	const char *p = strstr(r->evidence, "len=0x");

	if (p && (p = strstr(p, ": ")))
		return p + 2;
	return r->evidence;
}

/* Off a terminal, evidence lines are cut here; report.md has them whole. */
#define GRID_PLAIN_WIDTH 200

static void line_out(struct hp_buf *out, unsigned int width, const char *s)
{
	if (!width)
		width = GRID_PLAIN_WIDTH;
	if (strlen(s) > width)
		hp_buf_printf(out, "%.*s...\n", (int)width - 3, s);
	else
		hp_buf_printf(out, "%s\n", s);
}

static void evidence_lines(const struct hp_report *rep, const struct grid *g,
			   unsigned int width, struct hp_buf *out)
{
	char line[4 * HP_TEXT_LEN];
	bool done[GRID_MAX][GRID_MAX + 1] = { { false } };
	size_t d, m, d2, m2;
	int n;

	for (d = 0; d < g->ndev; d++)
		for (m = 0; m < g->nmeth; m++) {
			long s = speaker(g, d, m);
			const struct hp_result *r = s >= 0 ? &rep->rows[s].r : NULL;

			if (!r || r->verdict != HP_VULNERABLE)
				continue;
			hp_verdict_text(r, line, sizeof(line));
			n = (int)strlen(line);
			snprintf(line + n, sizeof(line) - (size_t)n, " %s %s: %s", r->device,
				 r->method, r->evidence);
			line_out(out, width, line);
		}
	/* UNTESTABLE cells, one line per distinct reason naming where it held. */
	for (d = 0; d < g->ndev; d++)
		for (m = 0; m < g->nmeth; m++) {
			long s = speaker(g, d, m);
			const struct hp_result *r = s >= 0 ? &rep->rows[s].r : NULL;
			size_t used;

			if (!r || r->verdict != HP_UNTESTABLE || done[d][m])
				continue;
			used = (size_t)snprintf(line, sizeof(line), "UNTESTABLE");
			for (d2 = d; d2 < g->ndev; d2++)
				for (m2 = 0; m2 < g->nmeth; m2++) {
					long s2 = speaker(g, d2, m2);
					const struct hp_result *o = s2 >= 0 ? &rep->rows[s2].r : NULL;

					if (!o || done[d2][m2] || o->verdict != HP_UNTESTABLE ||
					    strcmp(reason(o), reason(r)))
						continue;
					done[d2][m2] = true;
					/* A device that failed its setup is named once. */
					if (!strcmp(o->method, "-") && m2 && speaker(g, d2, m2 - 1) == s2)
						continue;
					if (used < sizeof(line))
						used += (size_t)snprintf(line + used, sizeof(line) - used,
									 "%s%s%s%s", used > 10 ? "," : " ",
									 o->device, strcmp(o->method, "-") ? "/" : "",
									 strcmp(o->method, "-") ? o->method : "");
				}
			if (used < sizeof(line))
				snprintf(line + used, sizeof(line) - used, ": %s", reason(r));
			line_out(out, width, line);
		}
}

void hp_report_grid(const struct hp_report *rep, unsigned int width, struct hp_buf *out)
{
	struct grid *g = malloc(sizeof(*g));
	size_t d, m, dw = strlen("DEVICE");

	if (!g) {
		hp_buf_printf(out, "out of memory\n");
		return;
	}
	grid_fill(rep, g);
	for (d = 0; d < g->ndev; d++)
		if (strlen(g->dev[d]) > dw)
			dw = strlen(g->dev[d]);
	hp_buf_printf(out, "%-*s", (int)dw, "DEVICE");
	for (m = 0; m < g->nmeth; m++)
		hp_buf_printf(out, " %-*s", m + 1 < g->nmeth ? GRID_CELL : 0, head_of(g->meth[m]));
	hp_buf_printf(out, "\n");
	for (d = 0; d < g->ndev; d++) {
		hp_buf_printf(out, "%-*s", (int)dw, g->dev[d]);
		for (m = 0; m < g->nmeth; m++) {
			long s = speaker(g, d, m);

			hp_buf_printf(out, " %-*s", m + 1 < g->nmeth ? GRID_CELL : 0,
				      rank_word[s >= 0 ? rank(&rep->rows[s].r) : 0]);
		}
		hp_buf_printf(out, "\n");
	}
	if (g->ndev)
		hp_buf_printf(out, "(VULN* = VULNERABLE, expected for this kernel; pte, unknown = SAFE, but no "
			      "case behind the cell pinned over a huge entry, the level seen instead; - = no case)\n");
	evidence_lines(rep, g, width, out);
	free(g);
}
