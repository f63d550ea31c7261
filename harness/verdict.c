// SPDX-License-Identifier: GPL-2.0
/*
 * The verdict rules: turn what one pin attempt saw (owner of the pages,
 * page-table level, errno or bytes, detector findings) into SAFE, VULNERABLE
 * or UNTESTABLE with a one-line reason. A pin that fast GUP took on a huge
 * pfn mapping of driver-owned pages is the bug itself even when no detector
 * fires, because non-debug kernels damage the refcounts silently.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hp_core.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct errno_name {
	int err;
	const char *name;
};

/* The errnos pin paths return; anything else prints as "errno N". */
static const struct errno_name errno_names[] = {
	{ EPERM, "EPERM" },	{ ENOENT, "ENOENT" },	{ EINTR, "EINTR" },
	{ EIO, "EIO" },		{ ENXIO, "ENXIO" },	{ E2BIG, "E2BIG" },
	{ EBADF, "EBADF" },	{ EAGAIN, "EAGAIN" },	{ ENOMEM, "ENOMEM" },
	{ EACCES, "EACCES" },	{ EFAULT, "EFAULT" },	{ EBUSY, "EBUSY" },
	{ EEXIST, "EEXIST" },	{ ENODEV, "ENODEV" },	{ EINVAL, "EINVAL" },
	{ ENOSPC, "ENOSPC" },	{ ESPIPE, "ESPIPE" },	{ EROFS, "EROFS" },
	{ EPIPE, "EPIPE" },	{ ERANGE, "ERANGE" },	{ ENOSYS, "ENOSYS" },
	{ EOVERFLOW, "EOVERFLOW" }, { EOPNOTSUPP, "EOPNOTSUPP" },
	{ ETIMEDOUT, "ETIMEDOUT" }, { ESRCH, "ESRCH" },	{ ENOTTY, "ENOTTY" },
	{ EMFILE, "EMFILE" },	{ ENFILE, "ENFILE" },	{ EXDEV, "EXDEV" },
};

/* Name of a (positive or negative) errno, for the why-line. */
static const char *errno_name(int err, char *tmp, size_t len)
{
	size_t i;

	err = abs(err);
	for (i = 0; i < ARRAY_LEN(errno_names); i++)
		if (errno_names[i].err == err)
			return errno_names[i].name;
	snprintf(tmp, len, "errno %d", err);
	return tmp;
}

struct line {
	char *buf;
	size_t len;
	size_t used;
};

/* Append "; "-separated parts; a full buffer truncates, never overflows. */
static void add(struct line *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void add(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->used + 1 >= l->len)
		return;
	if (l->used) {
		n = snprintf(l->buf + l->used, l->len - l->used, "; ");
		l->used += (size_t)n;
		if (l->used >= l->len) {
			l->used = l->len - 1;
			return;
		}
	}
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->used, l->len - l->used, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	l->used += (size_t)n;
	if (l->used >= l->len)
		l->used = l->len - 1;
}

static bool huge_level(enum hp_level l)
{
	return l == HP_LEVEL_PMD || l == HP_LEVEL_PUD;
}

/* Each detector that fired, in the order an investigator would read them. */
static bool add_findings(const struct hp_evidence *ev, struct line *l)
{
	unsigned long damage = ev->taint_new & HP_TAINT_DAMAGE_MASK;
	bool fired = false;

	if (ev->splats) {
		add(l, "%s splat: %s", hp_splat_name(ev->splats),
		    ev->splat_line[0] ? ev->splat_line : "(line not captured)");
		fired = true;
	}
	if (damage) {
		char letters[64];

		hp_taint_describe(damage, letters, sizeof(letters));
		add(l, "taint %s", letters);
		fired = true;
	}
	if (ev->pin_leak) {
		add(l, "pin accounting off by %ld", ev->pin_leak);
		fired = true;
	}
	if (ev->canary_bad > 0) {
		add(l, "canary: %ld bytes changed through a stale pin", ev->canary_bad);
		fired = true;
	}
	if (ev->extra_refs > 0) {
		add(l, "%ld pages with extra references", ev->extra_refs);
		fired = true;
	}
	if (ev->page_refs_off) {
		add(l, "page references %s by %ld after the pin's release",
		    ev->page_refs_off > 0 ? "up" : "down",
		    ev->page_refs_off > 0 ? ev->page_refs_off : -ev->page_refs_off);
		fired = true;
	}
	return fired;
}

static void add_outcome(const struct hp_evidence *ev, struct line *l)
{
	char tmp[32];

	if (ev->pin_err)
		add(l, "refused: %s", errno_name(ev->pin_err, tmp, sizeof(tmp)));
	else
		add(l, "pinned %ld bytes", ev->bytes);
}

/* " (expected: why)" at the end of a VULNERABLE line, kept through truncation. */
/* "pmd, special", "pte, not special", "unknown: why", or just the level. */
static const char *level_text(const struct hp_evidence *ev, char *buf, size_t len)
{
	static const char *const special[] = { "", ", not special", ", special" };

	if (ev->level == HP_LEVEL_UNKNOWN && ev->level_why && *ev->level_why)
		snprintf(buf, len, "unknown: %s", ev->level_why);
	else
		snprintf(buf, len, "%s%s", hp_level_name(ev->level),
			 ev->special <= HP_SPECIAL_YES ? special[ev->special] : "");
	return buf;
}

static void add_level(const struct hp_evidence *ev, struct line *l)
{
	char buf[128];

	add(l, "level %s", level_text(ev, buf, sizeof(buf)));
}

static void add_expected(const struct hp_evidence *ev, struct line *l)
{
	char suffix[HP_TEXT_LEN];
	int n;

	if (!ev->vuln_expected)
		return;
	n = snprintf(suffix, sizeof(suffix), " (expected: %s)",
		     ev->expected_why && *ev->expected_why ?
		     ev->expected_why : "known limitation of this kernel");
	if (n > 0 && (size_t)n < l->len) {
		if (l->used + (size_t)n >= l->len)
			l->used = l->len - 1 - (size_t)n;
		memcpy(l->buf + l->used, suffix, (size_t)n + 1);
		l->used += (size_t)n;
	}
}

enum hp_verdict hp_decide(const struct hp_evidence *ev, char *why, size_t len)
{
	char scratch[HP_TEXT_LEN], lvl[128];
	char findings[HP_TEXT_LEN];
	struct line l = { why, len, 0 };
	struct line f = { findings, sizeof(findings), 0 };
	enum hp_verdict v;

	/* Callers that do not want the reason still get the verdict. */
	if (!why || !len) {
		l.buf = scratch;
		l.len = sizeof(scratch);
	}
	l.buf[0] = '\0';
	findings[0] = '\0';

	if (!ev->attempted) {
		add(&l, "%s", ev->untestable_why && *ev->untestable_why ?
			      ev->untestable_why : "not attempted");
		return HP_UNTESTABLE;
	}
	if (add_findings(ev, &f)) {
		add_outcome(ev, &l);
		add(&l, "%s", findings);
		add_level(ev, &l);
		v = HP_VULNERABLE;
	} else if (ev->owner == HP_OWNER_DRIVER && !ev->pin_err) {
		add(&l, "fast GUP pinned driver-owned pages: %ld bytes", ev->bytes);
		add_level(ev, &l);
		v = HP_VULNERABLE;
	} else if (ev->huge_required && !huge_level(ev->level)) {
		add(&l, "no huge mapping formed (level %s)", level_text(ev, lvl, sizeof(lvl)));
		add_outcome(ev, &l);
		return HP_UNTESTABLE;
	} else if (ev->pin_err) {
		add_outcome(ev, &l);
		add_level(ev, &l);
		return HP_SAFE;
	} else {
		add(&l, "pinned %ld bytes, refcounted", ev->bytes);
		add_level(ev, &l);
		return HP_SAFE;
	}
	add_expected(ev, &l);
	return v;
}

enum hp_verdict hp_decide_step(const struct hp_evidence *ev, const char *what, char *why,
			       size_t len)
{
	char findings[HP_TEXT_LEN];
	struct line l = { why, len, 0 };
	struct line f = { findings, sizeof(findings), 0 };

	findings[0] = '\0';
	l.buf[0] = '\0';
	if (!add_findings(ev, &f)) {
		add(&l, "%s: no detector fired", what);
		add_level(ev, &l);
		return HP_SAFE;
	}
	add(&l, "%s: %s", what, findings);
	add_level(ev, &l);
	add_expected(ev, &l);
	return HP_VULNERABLE;
}
