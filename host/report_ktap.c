// SPDX-License-Identifier: GPL-2.0
/*
 * KTAP/TAP reader for kselftest output, so a run's report counts what every
 * test program said (ok, not ok, skip, xfail) next to the per-case verdict
 * records. Accepts one program's own output and the kselftest runner's
 * output, which nests each program under "# selftests: <dir>: <prog>".
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "report.h"

#define RUNNER_HEADER "# selftests: "

static struct hp_ktap_prog *prog_get(struct hp_ktap *k, const char *name, size_t len)
{
	struct hp_ktap_prog *p;
	size_t i;

	if (len >= sizeof(p->name))
		len = sizeof(p->name) - 1;
	for (i = 0; i < k->n; i++)
		if (!strncmp(k->progs[i].name, name, len) && !k->progs[i].name[len])
			return &k->progs[i];
	p = realloc(k->progs, (k->n + 1) * sizeof(*p));
	if (!p)
		return NULL;
	k->progs = p;
	p = &k->progs[k->n++];
	memset(p, 0, sizeof(*p));
	memcpy(p->name, name, len);
	p->name[len] = '\0';
	p->planned = -1;
	p->exit_ok = -1;
	return p;
}

enum tap_kind { TAP_NONE, TAP_VERSION, TAP_PLAN, TAP_RESULT };

struct tap_line {
	enum tap_kind kind;
	bool ok;
	bool skip;
	bool xfail;
	int plan;
	long num;		/* the test number, 0 without one */
	const char *desc;	/* after the test number */
	size_t desc_len;	/* up to the directive */
};

static bool has_prefix(const char *s, size_t len, const char *pre)
{
	size_t n = strlen(pre);

	return len >= n && !memcmp(s, pre, n);
}

/* Directive words after '#': SKIP, XFAIL and TODO, any case. */
static bool directive_is(const char *d, const char *end, const char *word)
{
	size_t n = strlen(word);

	while (d < end && *d == ' ')
		d++;
	return (size_t)(end - d) >= n && !strncasecmp(d, word, n);
}

static void classify(const char *s, size_t len, struct tap_line *t)
{
	const char *p, *end = s + len, *hash;

	memset(t, 0, sizeof(*t));
	if (has_prefix(s, len, "TAP version") || has_prefix(s, len, "KTAP version")) {
		t->kind = TAP_VERSION;
		return;
	}
	if (has_prefix(s, len, "1..")) {
		long v = 0;

		for (p = s + 3; p < end && isdigit((unsigned char)*p) && v < 1000000; p++)
			v = v * 10 + (*p - '0');
		t->kind = TAP_PLAN;
		t->plan = (int)v;
		return;
	}
	if (has_prefix(s, len, "ok ") || (len == 2 && !memcmp(s, "ok", 2)))
		t->ok = true;
	else if (!has_prefix(s, len, "not ok"))
		return;
	t->kind = TAP_RESULT;
	p = s + (t->ok ? 2 : 6);
	while (p < end && *p == ' ')
		p++;
	while (p < end && isdigit((unsigned char)*p)) {
		if (t->num < 1000000)
			t->num = t->num * 10 + (*p - '0');
		p++;
	}
	while (p < end && (*p == ' ' || *p == '-'))
		p++;
	t->desc = p;
	hash = memchr(p, '#', (size_t)(end - p));
	t->desc_len = (size_t)((hash ? hash : end) - p);
	while (t->desc_len && p[t->desc_len - 1] == ' ')
		t->desc_len--;
	if (hash) {
		t->skip = directive_is(hash + 1, end, "SKIP");
		t->xfail = directive_is(hash + 1, end, "XFAIL") ||
			   (!t->ok && directive_is(hash + 1, end, "TODO"));
	}
}

/* True the first time @num of @p is seen (and for lines without a number). */
static bool first_time(struct hp_ktap_prog *p, long num)
{
	size_t i = (size_t)num, n;
	unsigned char *c;

	if (num <= 0 || num >= 1000000)
		return true;
	if (i >= p->ncounted) {
		n = i + 64;
		c = realloc(p->counted, n);
		if (!c)
			return true;
		memset(c + p->ncounted, 0, n - p->ncounted);
		p->counted = c;
		p->ncounted = n;
	}
	if (p->counted[i])
		return false;
	p->counted[i] = 1;
	return true;
}

static void count(struct hp_ktap_prog *p, const struct tap_line *t)
{
	if (!first_time(p, t->num))
		return;
	if (t->skip)
		p->skip++;
	else if (t->xfail)
		p->xfail++;
	else if (t->ok)
		p->pass++;
	else
		p->fail++;
}

/* The runner's own line for a program: "ok 3 selftests: dir: prog". */
static void runner_result(struct hp_ktap *k, const struct tap_line *t)
{
	const char *d = t->desc, *name;
	size_t n = t->desc_len;
	struct hp_ktap_prog *p;
	size_t i;

	if (!has_prefix(d, n, "selftests: "))
		return;
	name = d;
	for (i = 0; i + 1 < n; i++)
		if (d[i] == ':' && d[i + 1] == ' ')
			name = d + i + 2;
	p = prog_get(k, name, n - (size_t)(name - d));
	if (!p)
		return;
	p->exit_ok = t->ok || t->skip;
	/* A program that died before printing anything must still count. */
	if (!p->pass && !p->fail && !p->skip && !p->xfail) {
		struct tap_line once = *t;

		once.num = 0;	/* the runner's number, not one of the program's */
		count(p, &once);
	}
}

int hp_ktap_parse(struct hp_ktap *k, const char *text, size_t len,
		  const char *default_name)
{
	const char *line = text, *end = text + len;
	/* An index, not a pointer: prog_get() may move the array. */
	size_t cur = SIZE_MAX;
	bool runner = false, seen = false;
	int plan = -1;

	if (!default_name || !*default_name)
		default_name = "unnamed";
	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t n = (size_t)((nl ? nl : end) - line);
		struct tap_line t;

		while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
			n--;
		if (has_prefix(line, n, RUNNER_HEADER)) {
			const char *name = line + strlen(RUNNER_HEADER);
			const char *colon;

			while ((colon = memchr(name, ':', (size_t)(line + n - name))) &&
			       colon + 1 < line + n && colon[1] == ' ')
				name = colon + 2;
			struct hp_ktap_prog *p = prog_get(k, name, (size_t)(line + n - name));

			if (!p)
				return -ENOMEM;
			cur = (size_t)(p - k->progs);
			runner = seen = true;
		} else if (runner && cur < k->n && has_prefix(line, n, "# ")) {
			classify(line + 2, n - 2, &t);
			if (t.kind == TAP_PLAN)
				k->progs[cur].planned = t.plan;
			else if (t.kind == TAP_RESULT)
				count(&k->progs[cur], &t);
		} else {
			classify(line, n, &t);
			if (t.kind != TAP_NONE)
				seen = true;
			if (t.kind == TAP_RESULT && runner) {
				runner_result(k, &t);
			} else if (t.kind == TAP_PLAN) {
				/* The runner's own plan precedes its first header. */
				plan = t.plan;
			} else if (t.kind == TAP_RESULT) {
				struct hp_ktap_prog *p = prog_get(k, default_name,
								  strlen(default_name));

				if (!p)
					return -ENOMEM;
				p->planned = plan;
				count(p, &t);
			}
		}
		line = nl ? nl + 1 : end;
	}
	/* TAP allows the plan last; "1..0" alone means the program skipped itself. */
	if (!runner && plan >= 0) {
		bool known = false;
		size_t i;

		for (i = 0; i < k->n; i++)
			known |= !strncmp(k->progs[i].name, default_name,
					   sizeof(k->progs[i].name) - 1);
		if (known || plan == 0) {
			struct hp_ktap_prog *p = prog_get(k, default_name, strlen(default_name));

			if (!p)
				return -ENOMEM;
			p->planned = plan;
			if (!p->pass && !p->fail && !p->xfail && !p->skip)
				p->skip = 1;
		}
	}
	return seen ? 0 : -EINVAL;
}

void hp_ktap_free(struct hp_ktap *k)
{
	for (size_t i = 0; i < k->n; i++)
		free(k->progs[i].counted);
	free(k->progs);
	k->progs = NULL;
	k->n = 0;
}
