// SPDX-License-Identifier: GPL-2.0
/*
 * The report model behind hp_report: a growable text buffer, the rows and
 * open cases built from the guest's records, timings, and the decisions
 * over rows (summary counts, --bisect-on globs).
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"

/* ---- text buffer ---- */

void hp_buf_printf(struct hp_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		{
			size_t cap = (b->cap ? b->cap * 2 : 1024) + (size_t)n;
			char *s = realloc(b->s, cap);

			if (!s) {
				b->oom = true;
				return;
			}
			b->s = s;
			b->cap = cap;
		}
	}
}

void hp_buf_free(struct hp_buf *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}

void copy_str(char *dst, size_t len, const char *src, size_t n)
{
	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* ---- model ---- */

void hp_report_init(struct hp_report *rep, const char *kernel)
{
	memset(rep, 0, sizeof(*rep));
	snprintf(rep->kernel, sizeof(rep->kernel), "%s",
		 kernel && *kernel ? kernel : "unknown");
	hp_report_set_arch(rep, NULL);
}

void hp_report_set_arch(struct hp_report *rep, const char *arch)
{
	snprintf(rep->arch, sizeof(rep->arch), "%s", arch && *arch ? arch : "unknown");
}

void hp_report_free(struct hp_report *rep)
{
	free(rep->rows);
	free(rep->controls);
	free(rep->cases);
	hp_ktap_free(&rep->ktap);
	memset(rep, 0, sizeof(*rep));
}

/*
 * A record of the detector controls goes to their own list. A row the
 * console made for a control ("control.<detector>", the guest died in it)
 * leaves that detector unproven.
 */
/* Room for one more row in *@rows (*@cap rows, @n used): -ENOMEM when none. */
static int rows_reserve(struct hp_row **rows, size_t *cap, size_t n, size_t first)
{
	size_t want = *cap ? *cap * 2 : first;
	struct hp_row *grown;

	if (n < *cap)
		return 0;
	grown = realloc(*rows, want * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	*rows = grown;
	*cap = want;
	return 0;
}

static int add_control_row(struct hp_report *rep, const struct hp_result *r, bool from_console)
{
	struct hp_row *row;

	if (rows_reserve(&rep->controls, &rep->controls_cap, rep->ncontrols, 8))
		return -ENOMEM;
	row = &rep->controls[rep->ncontrols++];
	row->r = *r;
	row->from_console = from_console;
	if (from_console && !row->r.control[0] && !strncmp(r->name, "control.", 8)) {
		snprintf(row->r.control, sizeof(row->r.control), "%s", r->name + 8);
		row->r.verdict = HP_UNTESTABLE;
		snprintf(row->r.evidence, sizeof(row->r.evidence), "guest died in the control: %.300s",
			 r->evidence);
	}
	return 0;
}

/* True when @device is one of the runner's --expected-device names. */
static bool expected_device(const struct hp_report *rep, const char *device)
{
	const char *p = rep->expected_device[0] ? rep->expected_device : NULL;
	char item[HP_NAME_LEN];

	while (p)
		if (hp_list_item(&p, item, sizeof(item)) > 0 && !strcmp(item, device))
			return true;
	return false;
}

int hp_report_add_row(struct hp_report *rep, const struct hp_result *r, bool from_console)
{
	if (r->control[0] || !strcmp(r->test, HP_CONTROL_TEST))
		return add_control_row(rep, r, from_console);
	if (rows_reserve(&rep->rows, &rep->cap, rep->nrows, 32))
		return -ENOMEM;
	rep->rows[rep->nrows].r = *r;
	rep->rows[rep->nrows].from_console = from_console;
	if (from_console && r->verdict == HP_VULNERABLE && expected_device(rep, r->device)) {
		struct hp_result *q = &rep->rows[rep->nrows].r;
		size_t n = strlen(q->evidence);

		q->expected = true;
		snprintf(q->evidence + n, sizeof(q->evidence) - n, " (expected: %s)",
			 rep->expected_why);
	}
	rep->nrows++;
	return 0;
}

static struct hp_open_case *case_add(struct hp_report *rep, const struct hp_result *start)
{
	struct hp_open_case *c;

	if (rep->ncases == rep->cases_cap) {
		size_t cap = rep->cases_cap ? rep->cases_cap * 2 : 32;

		c = realloc(rep->cases, cap * sizeof(*c));
		if (!c)
			return NULL;
		rep->cases = c;
		rep->cases_cap = cap;
	}
	c = &rep->cases[rep->ncases++];
	memset(c, 0, sizeof(*c));
	snprintf(c->test, sizeof(c->test), "%s", start->test);
	snprintf(c->name, sizeof(c->name), "%s", start->name);
	snprintf(c->device, sizeof(c->device), "%s", start->device[0] ? start->device : "-");
	snprintf(c->method, sizeof(c->method), "%s", start->method[0] ? start->method : "-");
	return c;
}

/*
 * A start covers the results of its own name and of names below it: a
 * program that runs several methods at once (drm_repro's race) announces the
 * whole race once, then reports "race.<device>.<method>" per method.
 */
bool name_covers(const char *parent, const char *child)
{
	size_t n = strlen(parent);

	return !strncmp(parent, child, n) && (child[n] == '\0' || child[n] == '.');
}

/* Count a result against every open start of the same file that covers it. */
static void cases_close(struct hp_report *rep, size_t from, const char *test, const char *name)
{
	size_t i;

	for (i = from; i < rep->ncases; i++)
		if (!strcmp(rep->cases[i].test, test) && name_covers(rep->cases[i].name, name))
			rep->cases[i].results++;
}

/* The latest start of @test/@name at or after @from, or NULL. */
struct hp_open_case *case_find(struct hp_report *rep, size_t from,
				      const char *test, const char *name)
{
	size_t i = rep->ncases;

	while (i-- > from)
		if (!strcmp(rep->cases[i].test, test) && !strcmp(rep->cases[i].name, name))
			return &rep->cases[i];
	return NULL;
}

/* The level of the latest start of the same case in this file, for a crash row. */
static void case_mapped(struct hp_report *rep, size_t from, const struct hp_result *m)
{
	struct hp_open_case *c = case_find(rep, from, m->test, m->name);

	if (!c)
		return;
	snprintf(c->level, sizeof(c->level), "%s", m->level);
	snprintf(c->special, sizeof(c->special), "%s", m->special);
}

int hp_report_add_records(struct hp_report *rep, const char *text, size_t len)
{
	const char *line = text, *end = text + len;
	size_t first_case = rep->ncases;	/* starts pair with results of the same file */
	char *buf = NULL;
	size_t bufcap = 0;
	int ret = 0;

	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t n = (size_t)((nl ? nl : end) - line);
		struct hp_result r;
		int kind;

		if (n + 1 > bufcap) {
			char *b = realloc(buf, n + 1);

			if (!b) {
				ret = -ENOMEM;
				break;
			}
			buf = b;
			bufcap = n + 1;
		}
		memcpy(buf, line, n);
		buf[n] = '\0';
		line = nl ? nl + 1 : end;
		if (!buf[strspn(buf, " \t\r")])
			continue;
		kind = hp_record_parse(buf, &r);
		if (kind == 1) {
			cases_close(rep, first_case, r.test, r.name);
			if (hp_report_add_row(rep, &r, false)) {
				ret = -ENOMEM;
				break;
			}
		} else if (kind == 2) {
			if (!case_add(rep, &r)) {
				ret = -ENOMEM;
				break;
			}
		} else if (kind == 3) {
			case_mapped(rep, first_case, &r);
		} else {
			rep->bad_lines++;
		}
	}
	free(buf);
	return ret;
}

int hp_report_add_timing(struct hp_report *rep, const char *name_eq_value)
{
	const char *eq = name_eq_value ? strchr(name_eq_value, '=') : NULL;
	struct hp_timing *t;
	double v;

	if (!eq || eq == name_eq_value ||
	    (size_t)(eq - name_eq_value) >= sizeof(t->name) ||
	    hp_parse_duration(eq + 1, 0, 1e9, &v))
		return -EINVAL;
	if (rep->ntimings == HP_MAX_TIMINGS)
		return -ENOSPC;
	t = &rep->timings[rep->ntimings++];
	copy_str(t->name, sizeof(t->name), name_eq_value, (size_t)(eq - name_eq_value));
	t->value = v;
	return 0;
}

/* ---- decisions ---- */

void hp_report_summary(const struct hp_report *rep, struct hp_summary *s)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < rep->nrows; i++) {
		const struct hp_result *r = &rep->rows[i].r;

		if (r->verdict == HP_SAFE)
			s->safe++;
		else if (r->verdict == HP_UNTESTABLE)
			s->untestable++;
		else if (r->expected)
			s->vulnerable_expected++;
		else
			s->vulnerable++;
	}
}

/* One --bisect-on glob against every name a row answers to. */
static bool glob_hits(const char *glob, const struct hp_result *r)
{
	char both[3 * HP_NAME_LEN + 2];

	if (!fnmatch(glob, r->name, 0) || !fnmatch(glob, r->test, 0) ||
	    !fnmatch(glob, r->device, 0) || !fnmatch(glob, r->method, 0))
		return true;
	snprintf(both, sizeof(both), "%s/%s", r->device, r->method);
	if (!fnmatch(glob, both, 0))
		return true;
	snprintf(both, sizeof(both), "%s:%s", r->test, r->name);
	return !fnmatch(glob, both, 0);
}

bool hp_row_matches_case(const struct hp_result *r, const char *globs)
{
	char glob[4 * HP_NAME_LEN];

	if (!globs)
		return true;
	while (*globs) {
		size_t n = strcspn(globs, ",");

		/* A glob longer than any name a row has cannot match one. */
		if (n && n < sizeof(glob)) {
			copy_str(glob, sizeof(glob), globs, n);
			if (glob_hits(glob, r))
				return true;
		}
		globs += n;
		if (*globs)
			globs++;
	}
	return false;
}

