// SPDX-License-Identifier: GPL-2.0
/*
 * Console attribution: the serial log for the cases the guest never
 * finished (a panic in bio_release_pages() after fast GUP pinned a huge pfn
 * PMD leaves only a start record and a splat) and damage printed after a
 * case reported.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"
#include "hugepin_ref_uapi.h"

/* ---- console attribution ---- */

struct segment_scan {
	unsigned int mask;
	char first_splat[LINE_LEN];
	char first_damage[LINE_LEN];
};

/* Drop the "[   12.345678] " console timestamp: evidence reads better without. */
static const char *strip_stamp(const char *s, size_t *n)
{
	const char *close;

	if (*n && s[0] == '[') {
		close = memchr(s, ']', *n < 32 ? *n : 32);
		if (close) {
			close++;
			while (close < s + *n && *close == ' ')
				close++;
			*n -= (size_t)(close - s);
			return close;
		}
	}
	return s;
}

static void scan_segment(const char *seg, const char *end, struct segment_scan *sc)
{
	char line[LINE_LEN], fn[HP_NAME_LEN];

	memset(sc, 0, sizeof(*sc));
	while (seg < end) {
		const char *nl = memchr(seg, '\n', (size_t)(end - seg));
		size_t n = (size_t)((nl ? nl : end) - seg);
		const char *text;
		unsigned int m;

		while (n && (seg[n - 1] == '\r' || seg[n - 1] == ' '))
			n--;
		copy_str(line, sizeof(line), seg, n);
		seg = nl ? nl + 1 : end;
		m = hp_kmsg_classify(line);
		/* A fault inside GUP or page refcounting is damage, whatever its first line said. */
		if (!m && !sc->first_damage[0] && (sc->mask & (HP_SPLAT_BUG | HP_SPLAT_OOPS | HP_SPLAT_GPF)) &&
		    hp_fault_site_is_page_code(line, fn, sizeof(fn)))
			snprintf(sc->first_damage, sizeof(sc->first_damage), "%.*s (in %s)",
				 (int)(sizeof(sc->first_damage) - HP_NAME_LEN - 8), sc->first_splat, fn);
		if (!m)
			continue;
		n = strlen(line);
		text = strip_stamp(line, &n);
		if (!sc->mask)
			copy_str(sc->first_splat, sizeof(sc->first_splat), text, n);
		if (!sc->first_damage[0] && hp_splat_is_page_damage(m, line))
			copy_str(sc->first_damage, sizeof(sc->first_damage), text, n);
		sc->mask |= m;
	}
}

/* Where the next case's marker starts, or @end. */
static const char *next_marker(const char *p, const char *end)
{
	const char *q = p;

	while (q < end) {
		const char *hit = memmem(q, (size_t)(end - q), MARKER, strlen(MARKER));

		if (!hit)
			return end;
		while (hit > p && hit[-1] != '\n')
			hit--;
		return hit;
	}
	return end;
}

/*
 * The segment of console after the last "hugepin: start <test> <name>" line.
 * Returns false when the marker is missing (console lost or cut).
 */
static bool find_segment(const char *con, size_t len, const char *test,
			 const char *name, const char **seg, const char **seg_end)
{
	char marker[3 * HP_NAME_LEN + 32];
	const char *end = con + len, *p = con, *found = NULL;
	size_t mlen;

	snprintf(marker, sizeof(marker), MARKER "%s %s", test, name);
	mlen = strlen(marker);
	while (p < end) {
		const char *hit = memmem(p, (size_t)(end - p), marker, mlen);
		const char *after;

		if (!hit)
			break;
		after = hit + mlen;
		/* Exact name: "a.b" must not match the marker of "a.bc". */
		if (after == end || *after == '\n' || *after == '\r')
			found = after;
		p = hit + 1;
	}
	if (!found)
		return false;
	p = memchr(found, '\n', (size_t)(end - found));
	*seg = p ? p + 1 : end;
	*seg_end = next_marker(*seg, end);
	return true;
}

static bool crashed_matches(const char *crashed, const char *test, const char *name)
{
	size_t tl = strlen(test);

	if (!crashed || !*crashed)
		return false;
	return !strcmp(crashed, test) || !strcmp(crashed, name) ||
	       (!strncmp(crashed, test, tl) && crashed[tl] == '/' &&
		!strcmp(crashed + tl + 1, name));
}

void hp_result_blank(struct hp_result *r, const char *test, const char *name)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->test, sizeof(r->test), "%s", test);
	snprintf(r->name, sizeof(r->name), "%s", name);
	strcpy(r->device, "-");
	strcpy(r->driver, "-");
	strcpy(r->method, "-");
	strcpy(r->level, "unknown");
}

/* Device, method and (from its mapped record) level of a case's start record into @r. */
static void open_case_names(const struct hp_open_case *c, struct hp_result *r)
{
	snprintf(r->device, sizeof(r->device), "%s", c->device);
	snprintf(r->method, sizeof(r->method), "%s", c->method);
	if (c->level[0]) {
		snprintf(r->level, sizeof(r->level), "%s", c->level);
		snprintf(r->special, sizeof(r->special), "%s", c->special);
	}
}

static int add_console_row(struct hp_report *rep, const char *test, const char *name,
			   const char *con, size_t len, bool hung, const char *note)
{
	const char *seg = NULL, *seg_end = NULL;
	const struct hp_open_case *c;
	struct segment_scan sc;
	struct hp_result r;
	const char *kind;

	hp_result_blank(&r, test, name);
	/*
	 * Its start record names device and method (every case frame writes
	 * one before anything else); a case without one names neither.
	 */
	c = case_find(rep, 0, test, name);
	if (c)
		open_case_names(c, &r);
	memset(&sc, 0, sizeof(sc));
	if (find_segment(con, len, test, name, &seg, &seg_end))
		scan_segment(seg, seg_end, &sc);
	if (sc.first_damage[0]) {
		r.verdict = HP_VULNERABLE;
		snprintf(r.evidence, sizeof(r.evidence), "%.300s (guest died in this case%s)",
			 sc.first_damage, note);
		return hp_report_add_row(rep, &r, true);
	}
	/* An interrupt stopped this case: no verdict, unless the kernel said more. */
	if (rep->interrupted[0] && !(sc.mask & (HP_SPLAT_PANIC | HP_SPLAT_HUNG)))
		return 0;
	if (sc.mask & HP_SPLAT_PANIC)
		kind = "panic";
	else if (hung || (sc.mask & HP_SPLAT_HUNG))
		kind = "hang";
	else
		kind = "stopped";
	r.verdict = HP_UNTESTABLE;
	snprintf(r.evidence, sizeof(r.evidence),
		 "infrastructure: guest %s in this case%s: %.300s", kind, note,
		 sc.first_splat[0] ? sc.first_splat :
		 seg ? "no kernel splat after the start marker" :
		       "start marker not on the console");
	return hp_report_add_row(rep, &r, true);
}

/* True when @test/@name already has a row that is VULNERABLE or from the console. */
static bool has_decisive_row(const struct hp_report *rep, const char *test, const char *name)
{
	size_t i;

	for (i = 0; i < rep->nrows; i++) {
		const struct hp_row *row = &rep->rows[i];

		if (!strcmp(row->r.test, test) && name_covers(name, row->r.name) &&
		    (row->from_console || row->r.verdict == HP_VULNERABLE))
			return true;
	}
	return false;
}

/*
 * Damage that shows up after a case reported (when its pins are dropped at
 * munmap or exit) was past the guest's own log scan; the console still has
 * it, between this case's marker and the next.
 */
static int add_late_damage(struct hp_report *rep, const char *con, size_t len)
{
	size_t i;

	for (i = 0; i < rep->ncases; i++) {
		const struct hp_open_case *c = &rep->cases[i];
		const char *seg, *seg_end;
		struct segment_scan sc;
		struct hp_result r;
		int ret;

		/* The controls damage the kernel on purpose: their records say what fired. */
		if (!c->results || !strcmp(c->test, HP_CONTROL_TEST) ||
		    has_decisive_row(rep, c->test, c->name) ||
		    !find_segment(con, len, c->test, c->name, &seg, &seg_end))
			continue;
		scan_segment(seg, seg_end, &sc);
		if (!sc.first_damage[0])
			continue;
		hp_result_blank(&r, c->test, c->name);
		open_case_names(c, &r);
		r.verdict = HP_VULNERABLE;
		snprintf(r.evidence, sizeof(r.evidence),
			 "%.300s (on the console after the case reported)", sc.first_damage);
		ret = hp_report_add_row(rep, &r, true);
		if (ret)
			return ret;
	}
	return 0;
}

/* Test and name of the console's last marker line, if any. */
static bool last_marker(const char *con, size_t len, char *test, size_t tlen,
			char *name, size_t nlen)
{
	const char *end = con + len, *p = con, *last = NULL;
	const char *eol, *sp;

	while (p < end) {
		const char *hit = memmem(p, (size_t)(end - p), MARKER, strlen(MARKER));

		if (!hit)
			break;
		last = hit + strlen(MARKER);
		p = last;
	}
	if (!last)
		return false;
	eol = memchr(last, '\n', (size_t)(end - last));
	if (!eol)
		eol = end;
	while (eol > last && eol[-1] == '\r')
		eol--;
	sp = memchr(last, ' ', (size_t)(eol - last));
	if (!sp || sp == last || sp + 1 >= eol)
		return false;
	copy_str(test, tlen, last, (size_t)(sp - last));
	copy_str(name, nlen, sp + 1, (size_t)(eol - sp - 1));
	return true;
}

/* Index of the --crashed-test entry naming this case, or -1. */
static long crashed_index(const char *const *crashed, size_t ncrashed,
			  const char *test, const char *name)
{
	size_t i;

	for (i = 0; i < ncrashed; i++)
		if (crashed_matches(crashed[i], test, name))
			return (long)i;
	return -1;
}

static int attribute(struct hp_report *rep, const char *console, size_t len,
		     const char *const *crashed, size_t ncrashed, bool *used)
{
	char test[HP_NAME_LEN], name[2 * HP_NAME_LEN];
	size_t i;
	long hit;
	int ret;

	for (i = 0; i < rep->ncases; i++) {
		const struct hp_open_case *c = &rep->cases[i];

		if (c->results)
			continue;
		hit = crashed_index(crashed, ncrashed, c->test, c->name);
		if (hit >= 0)
			used[hit] = true;
		ret = add_console_row(rep, c->test, c->name, console, len, hit >= 0, "");
		if (ret)
			return ret;
	}
	ret = add_late_damage(rep, console, len);
	if (ret)
		return ret;
	/*
	 * A case can report its results and then kill the guest while its
	 * pins are released at exit: the console's last case shows the panic.
	 */
	if (last_marker(console, len, test, sizeof(test), name, sizeof(name))) {
		const struct hp_open_case *c = case_find(rep, 0, test, name);
		const char *seg, *seg_end;
		struct segment_scan sc;

		hit = crashed_index(crashed, ncrashed, test, name);
		if (hit >= 0 && used[hit])
			hit = -1;
		if (has_decisive_row(rep, test, name)) {
			if (hit >= 0)
				used[hit] = true;
		} else if ((!c || c->results) &&
			   find_segment(console, len, test, name, &seg, &seg_end)) {
			scan_segment(seg, seg_end, &sc);
			if ((sc.mask & HP_SPLAT_PANIC) || hit >= 0) {
				if (hit >= 0)
					used[hit] = true;
				ret = add_console_row(rep, test, name, console, len, hit >= 0,
						      " after reporting");
				if (ret)
					return ret;
			}
		}
	}
	for (i = 0; i < ncrashed; i++) {
		struct hp_result r;

		if (used[i] || !crashed[i] || !*crashed[i])
			continue;
		hp_result_blank(&r, crashed[i], "-");
		r.verdict = HP_UNTESTABLE;
		snprintf(r.evidence, sizeof(r.evidence),
			 "infrastructure: guest hang in this test: killed at the timeout, no unfinished case on record");
		ret = hp_report_add_row(rep, &r, true);
		if (ret)
			return ret;
	}
	return 0;
}

int hp_report_attribute(struct hp_report *rep, const char *console, size_t len,
			const char *const *crashed, size_t ncrashed)
{
	bool *used = calloc(ncrashed + 1, sizeof(*used));
	int ret;

	if (!used)
		return -ENOMEM;
	if (!console) {
		console = "";
		len = 0;
	}
	ret = attribute(rep, console, len, crashed, ncrashed, used);
	free(used);
	return ret;
}

