// SPDX-License-Identifier: GPL-2.0
/*
 * The report model behind hp_report: per-case records from the guest, plus
 * the serial console for the cases the guest never finished (a panic in
 * bio_release_pages() after fast GUP pinned a huge pfn PMD leaves only a
 * start record and a splat). Decides run.sh's exit code and renders the
 * verdict tables, the --expect check and the kernel matrix.
 * hugepin: pure
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define MARKER "hugepin: start "
#define CELL_CAP 40		/* table cells wider than this are cut */
#define LINE_LEN 512

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

static void copy_str(char *dst, size_t len, const char *src, size_t n)
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
}

void hp_report_free(struct hp_report *rep)
{
	free(rep->rows);
	free(rep->cases);
	hp_ktap_free(&rep->ktap);
	memset(rep, 0, sizeof(*rep));
}

int hp_report_add_row(struct hp_report *rep, const struct hp_result *r, bool from_console)
{
	if (rep->nrows == rep->cap) {
		size_t cap = rep->cap ? rep->cap * 2 : 32;
		struct hp_row *rows = realloc(rep->rows, cap * sizeof(*rows));

		if (!rows)
			return -ENOMEM;
		rep->rows = rows;
		rep->cap = cap;
	}
	rep->rows[rep->nrows].r = *r;
	rep->rows[rep->nrows].from_console = from_console;
	if (from_console && r->verdict == HP_VULNERABLE && rep->expected_device[0] &&
	    !strcmp(r->device, rep->expected_device)) {
		struct hp_result *q = &rep->rows[rep->nrows].r;
		size_t n = strlen(q->evidence);

		q->expected = true;
		snprintf(q->evidence + n, sizeof(q->evidence) - n, " (expected: %s)",
			 rep->expected_why);
	}
	rep->nrows++;
	return 0;
}

static struct hp_open_case *case_add(struct hp_report *rep, const char *test, const char *name)
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
	snprintf(c->test, sizeof(c->test), "%s", test);
	snprintf(c->name, sizeof(c->name), "%s", name);
	return c;
}

/*
 * A start covers the results of its own name and of names below it: a
 * program that runs several methods at once (drm_repro's race) announces the
 * whole race once, then reports "race.<device>.<method>" per method.
 */
static bool name_covers(const char *parent, const char *child)
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
static struct hp_open_case *case_find(struct hp_report *rep, size_t from,
				      const char *test, const char *name)
{
	size_t i = rep->ncases;

	while (i-- > from)
		if (!strcmp(rep->cases[i].test, test) && !strcmp(rep->cases[i].name, name))
			return &rep->cases[i];
	return NULL;
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
			if (!case_add(rep, r.test, r.name)) {
				ret = -ENOMEM;
				break;
			}
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
	char line[LINE_LEN];

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

/* Device short names the suite reports, to recognize them inside case names. */
static const char *const known_devices[] = {
	"bochs", "qxl", "virtio_gpu", "vgem", "vmwgfx", "hugepin_ref", "anon",
	"shmem", "amdgpu", "radeon", "nouveau", "i915",
};

/*
 * A start record carries only test and name; case names are
 * fixture.variant.test, with the device and method among the parts
 * ("drm_bo.qxl_4m.vmsplice"), so a crashed case still lands in its row.
 */
static void guess_device_method(const char *name, struct hp_result *r)
{
	char part[2 * HP_NAME_LEN];
	const char *p = name;

	while (*p) {
		size_t n = strcspn(p, ".");
		enum hp_method m;
		size_t i;

		copy_str(part, sizeof(part), p, n);
		if (!hp_method_parse(part, &m))
			snprintf(r->method, sizeof(r->method), "%s", hp_method_name(m));
		for (i = 0; i < sizeof(known_devices) / sizeof(known_devices[0]); i++) {
			size_t dl = strlen(known_devices[i]);

			if (!strcmp(r->device, "-") && !strncmp(part, known_devices[i], dl) &&
			    (part[dl] == '\0' || part[dl] == '_' || part[dl] == '-'))
				snprintf(r->device, sizeof(r->device), "%s", known_devices[i]);
		}
		p += n;
		if (*p)
			p++;
	}
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

/* Programs that exercise one device only, for crash rows whose case name does not say it. */
static void guess_device_from_test(const char *test, struct hp_result *r)
{
	if (!strcmp(r->device, "-") && !strcmp(test, "hugepfn_ref"))
		snprintf(r->device, sizeof(r->device), "hugepin_ref");
}

static int add_console_row(struct hp_report *rep, const char *test, const char *name,
			   const char *con, size_t len, bool hung, const char *note)
{
	const char *seg = NULL, *seg_end = NULL;
	struct segment_scan sc;
	struct hp_result r;
	const char *kind;

	hp_result_blank(&r, test, name);
	guess_device_method(name, &r);
	guess_device_from_test(test, &r);
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

		if (!c->results || has_decisive_row(rep, c->test, c->name) ||
		    !find_segment(con, len, c->test, c->name, &seg, &seg_end))
			continue;
		scan_segment(seg, seg_end, &sc);
		if (!sc.first_damage[0])
			continue;
		hp_result_blank(&r, c->test, c->name);
		guess_device_method(c->name, &r);
		guess_device_from_test(c->test, &r);
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

/* ---- coverage: which bug paths ran over a huge pfn mapping ---- */

enum mem_kind {
	MEM_CONTROL,	/* anonymous, shmem, hugetlb, page cache: no pfn mapping */
	MEM_PAGES,	/* GEM shmem: pfn entries over pages the kernel refcounts */
	MEM_DRIVER,	/* TTM, the reference module: pages the kernel must not reference */
};

/*
 * The memory the suite maps and the bug path a huge entry over it exercises,
 * one line per device. A device not listed is a DRM device whose ownership
 * the record does not tell: its huge entries count as "<device> huge pfn",
 * a pin of it proves nothing. @huge marks devices with a huge pfn path on
 * some kernel: a run where none formed names what kept each of them out.
 */
static const struct pfn_target {
	const char *device;
	enum mem_kind kind;
	const char *path;	/* NULL: "<device> huge pfn" */
	bool by_level;		/* the path is named per level: " PMD", " PUD" */
	bool huge;
} pfn_targets[] = {
	{ "vmwgfx", MEM_DRIVER, "vmwgfx (TTM huge fault)", false, true },
	{ "hugepin_ref", MEM_DRIVER, "hugepin_ref", true, true },
	{ "bochs", MEM_DRIVER, NULL, false, false },
	{ "qxl", MEM_DRIVER, NULL, false, false },
	{ "amdgpu", MEM_DRIVER, NULL, false, false },
	{ "radeon", MEM_DRIVER, NULL, false, false },
	{ "nouveau", MEM_DRIVER, NULL, false, false },
	{ "vboxvideo", MEM_DRIVER, NULL, false, false },
	{ "hibmc", MEM_DRIVER, NULL, false, false },
	{ "xe", MEM_DRIVER, NULL, false, false },
	{ "vgem", MEM_PAGES, NULL, false, false },
	{ "virtio_gpu", MEM_PAGES, NULL, false, false },
	{ "anon", MEM_CONTROL, NULL, false, false },
	{ "anon_thp", MEM_CONTROL, NULL, false, false },
	{ "shmem", MEM_CONTROL, NULL, false, false },
	{ "shmem_thp", MEM_CONTROL, NULL, false, false },
	{ "memfd", MEM_CONTROL, NULL, false, false },
	{ "hugetlb", MEM_CONTROL, NULL, false, false },
	{ "hugetlb_1g", MEM_CONTROL, NULL, false, false },
	{ "pagecache", MEM_CONTROL, NULL, false, false },
	/* A console row whose case name did not tell the device. */
	{ "-", MEM_CONTROL, NULL, false, false },
};

#define NTARGETS (sizeof(pfn_targets) / sizeof(pfn_targets[0]))

static const struct pfn_target *pfn_target(const char *device)
{
	size_t i;

	for (i = 0; i < NTARGETS; i++)
		if (!strcmp(pfn_targets[i].device, device))
			return &pfn_targets[i];
	return NULL;
}

static bool is_control(const char *device)
{
	const struct pfn_target *t = pfn_target(device);

	return !device[0] || (t && t->kind == MEM_CONTROL);
}

/*
 * True when @row ran over a huge pfn mapping; @name gets its bug path and
 * @inferred says that only the pin shows it. Driver-owned memory is mapped
 * with special PTEs, which fast GUP refuses, so a pin of it that succeeded
 * went through a huge entry even where the level could not be seen; so did
 * one whose page damage killed the guest (a console row is VULNERABLE only
 * on page damage), as a CONFIG_DEBUG_VM kernel does at the first such pin.
 */
static bool row_path(const struct hp_row *row, char *name, size_t len, bool *inferred)
{
	const struct hp_result *r = &row->r;
	const struct pfn_target *t = pfn_target(r->device);
	enum hp_level level = HP_LEVEL_UNKNOWN;
	bool huge, pinned;

	if (r->verdict == HP_UNTESTABLE || is_control(r->device))
		return false;
	if (hp_level_parse(r->level, &level))
		level = HP_LEVEL_UNKNOWN;
	huge = level == HP_LEVEL_PMD || level == HP_LEVEL_PUD;
	pinned = t && t->kind == MEM_DRIVER &&
		 ((r->err == 0 && r->bytes > 0) ||
		  (row->from_console && r->verdict == HP_VULNERABLE));
	if (!huge && !pinned)
		return false;
	*inferred = !huge;
	if (t && t->path)
		snprintf(name, len, "%s%s", t->path,
			 !t->by_level || !huge ? "" : level == HP_LEVEL_PUD ? " PUD" : " PMD");
	else
		snprintf(name, len, "%s huge pfn", r->device);
	return true;
}

int hp_report_exit_code(const struct hp_report *rep, const char *bisect_on)
{
	char name[HP_PATH_LEN];
	bool covered = false, vuln = false, safe = false, inferred;
	size_t i;

	for (i = 0; i < rep->nrows; i++) {
		const struct hp_result *r = &rep->rows[i].r;

		if (bisect_on && !hp_row_matches_case(r, bisect_on))
			continue;
		/* Under --bisect-on, either side of a fix may be the "expected" one. */
		if (r->verdict == HP_VULNERABLE && (bisect_on || !r->expected))
			vuln = true;
		if (r->verdict == HP_SAFE)
			safe = true;
		if (row_path(&rep->rows[i], name, sizeof(name), &inferred))
			covered = true;
	}
	if (vuln)
		return 1;
	return covered || (safe && rep->unmapped_safe_decides) ? 0 : 125;
}

/* The reason of an UNTESTABLE row without the pin's "off=0x0 len=0x10000: ". */
static const char *reason_of(const char *evidence)
{
	const char *colon = strstr(evidence, ": ");

	if (!strncmp(evidence, "off=", 4) && colon)
		return colon + 2;
	return evidence;
}

static bool row_decides(const struct hp_result *r, const char *bisect_on)
{
	return !bisect_on || hp_row_matches_case(r, bisect_on);
}

/* Why @dev's deciding rows formed no huge pfn mapping, as one clause. */
static void device_why(const struct hp_report *rep, const char *bisect_on, const char *dev,
		       char *buf, size_t len)
{
	const char *reason = NULL;
	size_t i, j, tested = 0, best = 0;
	unsigned int levels = 0;
	enum hp_level l;

	for (i = 0; i < rep->nrows; i++) {
		const struct hp_result *r = &rep->rows[i].r;
		size_t same = 0;

		if (strcmp(r->device, dev) || !row_decides(r, bisect_on))
			continue;
		if (r->verdict != HP_UNTESTABLE) {
			tested++;
			if (hp_level_parse(r->level, &l))
				l = HP_LEVEL_UNKNOWN;
			levels |= 1u << l;
			continue;
		}
		/* The reason most of its rows give speaks for the device. */
		for (j = 0; j < rep->nrows; j++)
			same += rep->rows[j].r.verdict == HP_UNTESTABLE &&
				!strcmp(rep->rows[j].r.device, dev) &&
				row_decides(&rep->rows[j].r, bisect_on) &&
				!strcmp(reason_of(rep->rows[j].r.evidence), reason_of(r->evidence));
		if (same > best) {
			best = same;
			reason = reason_of(r->evidence);
		}
	}
	if (is_control(dev)) {
		hp_appendf(buf, len, "%s is a control, no pfn mapping", dev);
	} else if (tested) {
		hp_appendf(buf, len, "%s formed no huge entry (%zu record%s, level", dev, tested,
			 tested == 1 ? "" : "s");
		for (l = HP_LEVEL_UNKNOWN; l <= HP_LEVEL_PUD; l++)
			if (levels & (1u << l)) {
				hp_appendf(buf, len, "%c%s", levels & ((1u << l) - 1) ? '/' : ' ',
					 hp_level_name(l));
			}
		hp_appendf(buf, len, ")");
	} else if (reason) {
		hp_appendf(buf, len, "%s UNTESTABLE (%.160s)", dev, reason);
	} else {
		for (i = 0; i < rep->nuntestable; i++)
			if (!strcmp(rep->untestable[i].device, dev))
				break;
		if (i < rep->nuntestable)
			hp_appendf(buf, len, "%s UNTESTABLE (%.160s)", dev, rep->untestable[i].why);
		else
			hp_appendf(buf, len, "%s: no record (no such device, or its cases not selected)",
				 dev);
	}
}

static bool note_listed(const struct hp_report *rep, size_t upto, const char *dev)
{
	size_t i;

	for (i = 0; i < upto; i++)
		if (!strcmp(rep->untestable[i].device, dev))
			return true;
	return false;
}

/* Whether an earlier deciding row than @upto has device @dev. */
static bool device_seen(const struct hp_report *rep, const char *bisect_on, size_t upto,
			const char *dev)
{
	size_t i;

	for (i = 0; i < upto; i++)
		if (!strcmp(rep->rows[i].r.device, dev) && row_decides(&rep->rows[i].r, bisect_on))
			return true;
	return false;
}

static void why_inconclusive(const struct hp_report *rep, const char *bisect_on,
			     char *buf, size_t len)
{
	const char *sep = ": ";
	size_t i;

	buf[0] = '\0';
	if (!bisect_on) {
		hp_appendf(buf, len, "no case formed a huge pfn mapping");
		for (i = 0; i < NTARGETS; i++) {
			if (!pfn_targets[i].huge)
				continue;
			hp_appendf(buf, len, "%s", sep);
			device_why(rep, NULL, pfn_targets[i].device, buf, len);
			sep = "; ";
		}
		for (i = 0; i < rep->nuntestable; i++) {
			const char *dev = rep->untestable[i].device;
			const struct pfn_target *t = pfn_target(dev);

			if ((t && t->huge) || note_listed(rep, i, dev))
				continue;
			hp_appendf(buf, len, "%s", sep);
			device_why(rep, NULL, dev, buf, len);
		}
		return;
	}
	for (i = 0; i < rep->nrows; i++)
		if (row_decides(&rep->rows[i].r, bisect_on))
			break;
	if (i == rep->nrows) {
		hp_appendf(buf, len, "no case matches --bisect-on %s (globs match whole names: "
			 "'*part*' for a part)", bisect_on);
		return;
	}
	hp_appendf(buf, len, "the deciding cases (--bisect-on %s) formed no huge pfn mapping",
		 bisect_on);
	for (; i < rep->nrows; i++) {
		const struct hp_result *r = &rep->rows[i].r;

		if (!row_decides(r, bisect_on) || device_seen(rep, bisect_on, i, r->device))
			continue;
		hp_appendf(buf, len, "%s", sep);
		device_why(rep, bisect_on, r->device, buf, len);
		sep = "; ";
	}
}

void hp_report_coverage(const struct hp_report *rep, const char *bisect_on,
			struct hp_coverage *cov)
{
	char name[HP_PATH_LEN];
	bool inferred;
	size_t i, p;

	memset(cov, 0, sizeof(*cov));
	for (i = 0; i < rep->nrows; i++) {
		const struct hp_result *r = &rep->rows[i].r;

		if (!row_path(&rep->rows[i], name, sizeof(name), &inferred))
			continue;
		if (row_decides(r, bisect_on))
			cov->conclusive = true;
		for (p = 0; p < cov->npaths && strcmp(cov->paths[p].name, name); p++)
			;
		if (p == cov->npaths) {
			if (p == HP_MAX_PATHS)
				continue;
			snprintf(cov->paths[cov->npaths++].name, sizeof(name), "%s", name);
		}
		if (inferred)
			cov->paths[p].inferred++;
		else
			cov->paths[p].seen++;
	}
	if (!cov->conclusive)
		why_inconclusive(rep, bisect_on, cov->why, sizeof(cov->why));
}

int hp_report_add_not_run(struct hp_report *rep, const char *program)
{
	if (!*program || strlen(program) >= HP_NAME_LEN)
		return -EINVAL;
	if (rep->nnot_run == HP_MAX_NOT_RUN)
		return -ENOSPC;
	snprintf(rep->not_run[rep->nnot_run++], HP_NAME_LEN, "%s", program);
	return 0;
}

int hp_report_add_untestable(struct hp_report *rep, const char *dev_eq_why)
{
	const char *eq = dev_eq_why ? strchr(dev_eq_why, '=') : NULL;
	struct hp_device_note *n;

	if (!eq || eq == dev_eq_why || (size_t)(eq - dev_eq_why) >= sizeof(n->device) || !eq[1])
		return -EINVAL;
	if (rep->nuntestable == HP_MAX_NOTES)
		return -ENOSPC;
	n = &rep->untestable[rep->nuntestable++];
	copy_str(n->device, sizeof(n->device), dev_eq_why, (size_t)(eq - dev_eq_why));
	snprintf(n->why, sizeof(n->why), "%s", eq + 1);
	return 0;
}

void hp_verdict_text(const struct hp_result *r, char *buf, size_t len)
{
	const char *ev = r->evidence;
	const char *exp = strstr(ev, "(expected: ");

	if (r->verdict != HP_VULNERABLE || !r->expected) {
		snprintf(buf, len, "%s", hp_verdict_name(r->verdict));
		return;
	}
	/* hp_decide() ends the evidence with "(expected: <why>)": reuse it. */
	if (exp)
		snprintf(buf, len, "VULNERABLE %.*s", (int)(strcspn(exp, ")") + 1), exp);
	else
		snprintf(buf, len, "VULNERABLE (expected)");
}

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

static int row_rank(const struct hp_result *r);

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

static void md_cell(struct hp_buf *out, const char *s)
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
static void coverage_list(struct hp_buf *out, const struct hp_coverage *cov)
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

/* The summary lines, each after @prefix: counts, coverage, INCONCLUSIVE, exit code. */
static void summary_lines(const struct hp_report *rep, const char *bisect_on,
			  const char *prefix, struct hp_buf *out)
{
	int code = hp_report_exit_code(rep, bisect_on);
	struct hp_coverage cov;
	struct hp_summary s;

	hp_report_summary(rep, &s);
	hp_report_coverage(rep, bisect_on, &cov);
	if (rep->interrupted[0])
		hp_buf_printf(out, "%sINTERRUPTED by %s: a partial report of the cases that ran.\n",
			      prefix, rep->interrupted);
	hp_buf_printf(out, "%s%zu SAFE, %zu VULNERABLE, %zu VULNERABLE (expected), %zu UNTESTABLE.\n",
		      prefix, s.safe, s.vulnerable, s.vulnerable_expected, s.untestable);
	if (rep->nnot_run) {
		hp_buf_printf(out, "%sNOT RUN: ", prefix);
		for (size_t i = 0; i < rep->nnot_run; i++)
			hp_buf_printf(out, "%s%s", i ? ", " : "", rep->not_run[i]);
		hp_buf_printf(out, " (never started: %s).\n",
			      rep->interrupted[0] ? "the run was interrupted" :
			      "the guest did not get to them");
	}
	hp_buf_printf(out, "%sHuge pfn mappings formed: ", prefix);
	coverage_list(out, &cov);
	hp_buf_printf(out, ".\n");
	if (code == 125)
		hp_buf_printf(out, "%sINCONCLUSIVE: %s.\n", prefix, cov.why);
	else if (code == 0 && !cov.conclusive)
		hp_buf_printf(out, "%sNO HUGE MAPPING: %s; the deciding cases ran SAFE, counted as fixed as asked.\n",
			      prefix, cov.why);
	hp_buf_printf(out, "%sExit code %d: %s%s%s.\n", prefix, code, exit_word(code),
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

static void json_str(struct hp_buf *out, const char *s)
{
	char esc[6 * LINE_LEN + 1];

	/* Long strings are cut at an escape boundary rather than mangled. */
	hp_json_escape(s, esc, sizeof(esc));
	hp_buf_printf(out, "\"%s\"", esc);
}

/* "coverage":[{"path":...,"records":N,"inferred":M},...] */
static void json_coverage(struct hp_buf *out, const struct hp_coverage *cov)
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
	hp_buf_printf(out, ",\n\"summary\":{\"safe\":%zu,\"vulnerable\":%zu,"
		      "\"vulnerable_expected\":%zu,\"untestable\":%zu,\"exit_code\":%d,"
		      "\"bad_record_lines\":%zu,", s.safe, s.vulnerable,
		      s.vulnerable_expected, s.untestable, code, rep->bad_lines);
	json_coverage(out, &cov);
	/* Set exactly when the exit code is 125 for want of a huge pfn mapping. */
	hp_buf_printf(out, ",\"inconclusive\":");
	if (code == 125)
		json_str(out, cov.why);
	else
		hp_buf_printf(out, "null");
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
	hp_buf_printf(out, "]},\n\"timings\":{");
	for (i = 0; i < rep->ntimings; i++) {
		hp_buf_printf(out, "%s", i ? "," : "");
		json_str(out, rep->timings[i].name);
		hp_buf_printf(out, ":%.3f", rep->timings[i].value);
	}
	hp_buf_printf(out, "},\n\"ktap\":[");
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
		hp_buf_printf(out, "\"><skipped message=\"NOT RUN%s\"/></testcase>\n",
			      rep->interrupted[0] ? ": interrupted" : "");
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

/* ---- report.json back in, and the matrix ---- */

int hp_report_load_json(struct hp_report *rep, const char *text, size_t len)
{
	struct hp_json *j = hp_json_parse(text, len);
	const struct hp_json *arr, *it;
	int ret = -EINVAL;

	/* Initialized on every path: callers free @rep whatever we return. */
	hp_report_init(rep, hp_json_str(j, "kernel", "unknown"));
	if (!j || j->type != HP_JSON_OBJECT)
		goto out;
	arr = hp_json_get(j, "records");
	if (!arr || arr->type != HP_JSON_ARRAY)
		goto out;
	for (it = arr->child; it; it = it->next) {
		const struct hp_json *fc = hp_json_get(it, "from_console");
		struct hp_result r;

		if (hp_json_to_result(it, &r))
			goto out;
		if (hp_report_add_row(rep, &r, fc && fc->type == HP_JSON_BOOL && fc->b)) {
			ret = -ENOMEM;
			goto out;
		}
	}
	arr = hp_json_get(j, "timings");
	if (arr && arr->type == HP_JSON_OBJECT)
		for (it = arr->child; it && rep->ntimings < HP_MAX_TIMINGS; it = it->next) {
			struct hp_timing *t = &rep->timings[rep->ntimings];

			if (it->type != HP_JSON_NUMBER)
				continue;
			snprintf(t->name, sizeof(t->name), "%s", it->key);
			t->value = it->num;
			rep->ntimings++;
		}
	arr = hp_json_get(j, "ktap");
	if (arr && arr->type == HP_JSON_ARRAY)
		for (it = arr->child; it; it = it->next) {
			struct hp_ktap_prog *p = realloc(rep->ktap.progs,
							 (rep->ktap.n + 1) * sizeof(*p));
			double v;

			if (!p) {
				ret = -ENOMEM;
				goto out;
			}
			rep->ktap.progs = p;
			p = &rep->ktap.progs[rep->ktap.n++];
			memset(p, 0, sizeof(*p));
			snprintf(p->name, sizeof(p->name), "%s", hp_json_str(it, "program", "?"));
			/* Counts are clamped: the file may have been edited by hand. */
#define COUNT(f) (v = hp_json_num(it, #f, 0), v < 0 || v > 1e6 ? 0u : (unsigned int)v)
			p->pass = COUNT(pass);
			p->fail = COUNT(fail);
			p->skip = COUNT(skip);
			p->xfail = COUNT(xfail);
#undef COUNT
			v = hp_json_num(it, "planned", -1);
			p->planned = v < -1 || v > 1e6 ? -1 : (int)v;
			v = hp_json_num(it, "exit_ok", -1);
			p->exit_ok = v == 0 || v == 1 ? (int)v : -1;
		}
	ret = 0;
out:
	hp_json_free(j);
	return ret;
}

/* Rank of a verdict inside one matrix cell: the worst record wins the cell. */
static int cell_rank(const struct hp_result *r)
{
	if (r->verdict == HP_VULNERABLE)
		return r->expected ? 3 : 4;
	return r->verdict == HP_SAFE ? 2 : 1;
}

static int row_rank(const struct hp_result *r)
{
	return cell_rank(r);
}

static const char *const rank_short[] = { "-", "UNTEST", "SAFE", "VULN(exp)", "VULN" };
static const char *const rank_long[] = {
	NULL, "UNTESTABLE", "SAFE", "VULNERABLE (expected)", "VULNERABLE",
};

static void case_key(const struct hp_result *r, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", r->device,
		 strcmp(r->method, "-") ? r->method : r->test);
}

struct keys {
	char (*k)[3 * HP_NAME_LEN];
	size_t n;
};

static long key_index(const struct keys *ks, const char *key)
{
	size_t i;

	for (i = 0; i < ks->n; i++)
		if (!strcmp(ks->k[i], key))
			return (long)i;
	return -1;
}

static int collect_keys(const struct hp_report *const *reps, size_t n, struct keys *ks)
{
	char key[3 * HP_NAME_LEN];
	size_t i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < reps[i]->nrows; j++) {
			void *nk;

			case_key(&reps[i]->rows[j].r, key, sizeof(key));
			if (key_index(ks, key) >= 0)
				continue;
			nk = realloc(ks->k, (ks->n + 1) * sizeof(*ks->k));
			if (!nk)
				return -ENOMEM;
			ks->k = nk;
			snprintf(ks->k[ks->n++], sizeof(*ks->k), "%s", key);
		}
	return 0;
}

static int cell_of(const struct hp_report *rep, const char *key)
{
	char k[3 * HP_NAME_LEN];
	int best = 0;
	size_t j;

	for (j = 0; j < rep->nrows; j++) {
		case_key(&rep->rows[j].r, k, sizeof(k));
		if (!strcmp(k, key) && cell_rank(&rep->rows[j].r) > best)
			best = cell_rank(&rep->rows[j].r);
	}
	return best;
}

/* Timing names in order of first appearance over all kernels. */
static size_t timing_names(const struct hp_report *const *reps, size_t n,
			   const char **names, size_t max)
{
	size_t cnt = 0, i, j, k;

	for (i = 0; i < n; i++)
		for (j = 0; j < reps[i]->ntimings; j++) {
			const char *t = reps[i]->timings[j].name;

			for (k = 0; k < cnt && strcmp(names[k], t); k++)
				;
			if (k == cnt && cnt < max)
				names[cnt++] = t;
		}
	return cnt;
}

static bool timing_of(const struct hp_report *rep, const char *name, double *v)
{
	size_t j;

	for (j = 0; j < rep->ntimings; j++)
		if (!strcmp(rep->timings[j].name, name)) {
			*v = rep->timings[j].value;
			return true;
		}
	return false;
}

static void list_kernels(const struct hp_report *const *reps, size_t n, int code,
			 struct hp_buf *out, bool json)
{
	bool any = false;
	size_t i;

	for (i = 0; i < n; i++) {
		if (hp_report_exit_code(reps[i], NULL) != code)
			continue;
		if (json) {
			hp_buf_printf(out, "%s", any ? "," : "");
			json_str(out, reps[i]->kernel);
		} else {
			hp_buf_printf(out, "%s%s", any ? ", " : "", reps[i]->kernel);
		}
		any = true;
	}
	if (!any && !json)
		hp_buf_printf(out, "none");
}

int hp_matrix_render(const struct hp_report *const *reps, size_t n,
		     struct hp_buf *md, struct hp_buf *json, struct hp_buf *txt)
{
	const char *tnames[HP_MAX_TIMINGS * 4];
	struct keys ks = { NULL, 0 };
	size_t nt, i, k;
	bool tested = false, vuln = false;
	double v;
	int ret;

	ret = collect_keys(reps, n, &ks);
	if (ret) {
		free(ks.k);
		return ret;
	}
	nt = timing_names(reps, n, tnames, sizeof(tnames) / sizeof(tnames[0]));
	for (i = 0; i < n; i++) {
		int code = hp_report_exit_code(reps[i], NULL);

		vuln |= code == 1;
		tested |= code == 0;
	}

	/*
	 * Markdown and text: one column per kernel, one row per timing and per
	 * device/method, so a matrix of a few kernels stays narrow enough to
	 * paste into a bug report.
	 */
	hp_buf_printf(md, "# hugepin matrix\n\n| case |");
	for (i = 0; i < n; i++)
		md_cell(md, reps[i]->kernel);
	hp_buf_printf(md, "\n|---|");
	for (i = 0; i < n; i++)
		hp_buf_printf(md, "---|");
	hp_buf_printf(md, "\n");
	for (k = 0; k < nt; k++) {
		hp_buf_printf(md, "| %s |", tnames[k]);
		for (i = 0; i < n; i++)
			if (timing_of(reps[i], tnames[k], &v))
				hp_buf_printf(md, " %.1f |", v);
			else
				hp_buf_printf(md, " - |");
		hp_buf_printf(md, "\n");
	}
	for (k = 0; k < ks.n; k++) {
		hp_buf_printf(md, "|");
		md_cell(md, ks.k[k]);
		for (i = 0; i < n; i++)
			hp_buf_printf(md, " %s |", rank_short[cell_of(reps[i], ks.k[k])]);
		hp_buf_printf(md, "\n");
	}
	hp_buf_printf(md, "\nCells show the worst verdict of the cases of a device and method"
		      " (VULN > VULN(exp) > SAFE > UNTEST; - not run); timings in seconds."
		      "\n\nkernels needing a fix: ");
	list_kernels(reps, n, 1, md, false);
	hp_buf_printf(md, "\n\nkernels that could not be tested: ");
	list_kernels(reps, n, 125, md, false);
	hp_buf_printf(md, "\n");

	{
		size_t cw = strlen("CASE"), *colw = calloc(n + 1, sizeof(*colw));

		if (!colw) {
			free(ks.k);
			return -ENOMEM;
		}
		for (k = 0; k < ks.n; k++)
			if (strlen(ks.k[k]) > cw)
				cw = strlen(ks.k[k]);
		for (k = 0; k < nt; k++)
			if (strlen(tnames[k]) > cw)
				cw = strlen(tnames[k]);
		hp_buf_printf(txt, "%-*s", (int)cw, "CASE");
		for (i = 0; i < n; i++) {
			colw[i] = strlen(reps[i]->kernel) > 9 ? strlen(reps[i]->kernel) : 9;
			hp_buf_printf(txt, "  %-*s", (int)colw[i], reps[i]->kernel);
		}
		hp_buf_printf(txt, "\n");
		for (k = 0; k < nt; k++) {
			hp_buf_printf(txt, "%-*s", (int)cw, tnames[k]);
			for (i = 0; i < n; i++)
				if (timing_of(reps[i], tnames[k], &v))
					hp_buf_printf(txt, "  %-*.1f", (int)colw[i], v);
				else
					hp_buf_printf(txt, "  %-*s", (int)colw[i], "-");
			hp_buf_printf(txt, "\n");
		}
		for (k = 0; k < ks.n; k++) {
			hp_buf_printf(txt, "%-*s", (int)cw, ks.k[k]);
			for (i = 0; i < n; i++)
				hp_buf_printf(txt, "  %-*s", (int)colw[i],
					      rank_short[cell_of(reps[i], ks.k[k])]);
			hp_buf_printf(txt, "\n");
		}
		free(colw);
	}
	hp_buf_printf(txt, "kernels needing a fix: ");
	list_kernels(reps, n, 1, txt, false);
	hp_buf_printf(txt, "\n");

	hp_buf_printf(json, "{\"cases\":[");
	for (k = 0; k < ks.n; k++) {
		hp_buf_printf(json, "%s", k ? "," : "");
		json_str(json, ks.k[k]);
	}
	hp_buf_printf(json, "],\n\"kernels\":[");
	for (i = 0; i < n; i++) {
		struct hp_coverage cov;
		struct hp_summary s;
		bool first = true;

		hp_report_summary(reps[i], &s);
		hp_report_coverage(reps[i], NULL, &cov);
		hp_buf_printf(json, "%s\n{\"kernel\":", i ? "," : "");
		json_str(json, reps[i]->kernel);
		hp_buf_printf(json, ",\"exit_code\":%d,\"summary\":{\"safe\":%zu,\"vulnerable\":%zu,"
			      "\"vulnerable_expected\":%zu,\"untestable\":%zu},",
			      hp_report_exit_code(reps[i], NULL), s.safe, s.vulnerable,
			      s.vulnerable_expected, s.untestable);
		json_coverage(json, &cov);
		hp_buf_printf(json, ",\"timings\":{");
		for (k = 0; k < reps[i]->ntimings; k++) {
			hp_buf_printf(json, "%s", k ? "," : "");
			json_str(json, reps[i]->timings[k].name);
			hp_buf_printf(json, ":%.3f", reps[i]->timings[k].value);
		}
		hp_buf_printf(json, "},\"cells\":{");
		for (k = 0; k < ks.n; k++) {
			int rank = cell_of(reps[i], ks.k[k]);

			if (!rank)
				continue;
			hp_buf_printf(json, "%s", first ? "" : ",");
			json_str(json, ks.k[k]);
			hp_buf_printf(json, ":\"%s\"", rank_long[rank]);
			first = false;
		}
		hp_buf_printf(json, "}}");
	}
	hp_buf_printf(json, "],\n\"needing_fix\":[");
	list_kernels(reps, n, 1, json, true);
	hp_buf_printf(json, "],\"untestable\":[");
	list_kernels(reps, n, 125, json, true);
	hp_buf_printf(json, "]}\n");
	free(ks.k);
	if (vuln)
		return 1;
	return tested ? 0 : 125;
}
