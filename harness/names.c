// SPDX-License-Identifier: GPL-2.0
/*
 * Names of verdicts, page-table levels and pin methods, both ways.
 *
 * These strings are the wire format between guest records, the host report
 * and the --expect files, so one table per enum keeps them from drifting.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "hp_core.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char *const verdict_names[] = {
	[HP_SAFE] = "SAFE",
	[HP_VULNERABLE] = "VULNERABLE",
	[HP_UNTESTABLE] = "UNTESTABLE",
};

static const char *const level_names[] = {
	[HP_LEVEL_UNKNOWN] = "unknown",
	[HP_LEVEL_PTE] = "pte",
	[HP_LEVEL_PMD] = "pmd",
	[HP_LEVEL_PUD] = "pud",
};

/*
 * The pin methods: the rows of HP_METHODS (hp_core.h), read by harness/pin.c,
 * drm_repro and gup_stress; each one's body is in the body table of
 * harness/pin.c.
 */
#define METHOD_ROW(value, mname, mhead, mflow, storage, needs_uring, hold, ...)	\
	[value] = { .name = #mname, .head = mhead, .flow = mflow,		\
		    .needs_storage = storage, .uring = needs_uring, .can_hold = hold },
static const struct hp_method_info methods[HP_M_NR] = {
	HP_METHODS(METHOD_ROW)
};

static const char *lookup(const char *const *tab, size_t n, unsigned int i)
{
	return i < n ? tab[i] : "?";
}

/* Case-insensitive, so "safe" in a hand-written expect file still matches. */
static int find(const char *const *tab, size_t n, const char *s)
{
	size_t i;

	if (!s)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (tab[i] && !strcasecmp(tab[i], s))
			return (int)i;
	return -EINVAL;
}

const char *hp_verdict_name(enum hp_verdict v)
{
	return lookup(verdict_names, ARRAY_LEN(verdict_names), v);
}

int hp_verdict_parse(const char *s, enum hp_verdict *v)
{
	int i = find(verdict_names, ARRAY_LEN(verdict_names), s);

	if (i < 0)
		return i;
	*v = (enum hp_verdict)i;
	return 0;
}

const char *hp_level_name(enum hp_level l)
{
	return lookup(level_names, ARRAY_LEN(level_names), l);
}

int hp_level_parse(const char *s, enum hp_level *l)
{
	int i = find(level_names, ARRAY_LEN(level_names), s);

	if (i < 0)
		return i;
	*l = (enum hp_level)i;
	return 0;
}

const struct hp_method_info *hp_method_info(enum hp_method m)
{
	return (unsigned int)m < HP_M_NR ? &methods[m] : NULL;
}

const char *hp_method_name(enum hp_method m)
{
	return (unsigned int)m < HP_M_NR ? methods[m].name : "?";
}

int hp_method_parse(const char *s, enum hp_method *m)
{
	int i = -EINVAL;

	for (unsigned int k = 0; s && k < HP_M_NR; k++)
		if (!strcasecmp(methods[k].name, s))
			i = (int)k;
	if (i < 0)
		return i;
	*m = (enum hp_method)i;
	return 0;
}

static const char *method_name_at(unsigned int i)
{
	return methods[i].name;
}

void hp_method_names(char *buf, size_t len, const char *indent, size_t width)
{
	size_t col = 0, at = 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (unsigned int i = 0; i < HP_M_NR && at < len; i++) {
		const char *s = methods[i].name;
		int n;

		if (col && col + 1 + strlen(s) > width) {
			n = snprintf(buf + at, len - at, "\n%s", indent);
			at += n > 0 ? (size_t)n : 0;
			col = 0;
		}
		if (at >= len)
			break;
		n = snprintf(buf + at, len - at, "%s%s", col ? " " : "", s);
		at += n > 0 ? (size_t)n : 0;
		col += strlen(s) + (col ? 1 : 0);
	}
}

int hp_methods_parse(const char *list, unsigned int *mask, char *bad, size_t badlen)
{
	return hp_list_mask(list, method_name_at, HP_M_NR, (1u << HP_M_NR) - 1, mask, bad, badlen);
}
