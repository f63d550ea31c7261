// SPDX-License-Identifier: GPL-2.0
/*
 * A small JSON reader for what hugepin itself writes: one-line records from
 * the guest (which may arrive cut off when the guest dies mid-write) and the
 * report.json files the matrix mode reads back. Strict RFC 8259 syntax,
 * bounded nesting, every string NUL-terminated for C callers.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* errno values are small; anything else in "err" is garbage, not an errno. */
#define HP_MAX_ERRNO 4095

struct parser {
	const char *p;
	const char *end;
};

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
				   *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static bool take(struct parser *ps, char c)
{
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == c) {
		ps->p++;
		return true;
	}
	return false;
}

static bool take_word(struct parser *ps, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, w, n))
		return false;
	ps->p += n;
	return true;
}

static int hex4(const char *p)
{
	int v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		int c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

static size_t put_utf8(char *o, unsigned int cp)
{
	if (cp == 0) {
		o[0] = '?';
		return 1;
	}
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Parses a string at ps->p (opening quote included) into a new heap string. */
static char *parse_string(struct parser *ps)
{
	const char *p;
	char *out, *o;

	skip_ws(ps);
	if (ps->p >= ps->end || *ps->p != '"')
		return NULL;
	p = ps->p + 1;
	/* Escapes only shrink, so the raw length bounds the output. */
	out = malloc((size_t)(ps->end - p) + 1);
	if (!out)
		return NULL;
	o = out;
	while (p < ps->end && *p != '"') {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20)
			goto bad;
		if (c != '\\') {
			*o++ = (char)c;
			p++;
			continue;
		}
		if (++p >= ps->end)
			goto bad;
		switch (*p) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			int cp, lo;

			if (ps->end - p < 5 || (cp = hex4(p + 1)) < 0)
				goto bad;
			p += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && ps->end - p >= 7 &&
			    p[1] == '\\' && p[2] == 'u' &&
			    (lo = hex4(p + 3)) >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				p += 6;
			} else if (cp >= 0xd800 && cp < 0xe000) {
				cp = '?';	/* lone surrogate */
			}
			o += put_utf8(o, (unsigned int)cp);
			break;
		}
		default:
			goto bad;
		}
		p++;
	}
	if (p >= ps->end)
		goto bad;
	*o = '\0';
	ps->p = p + 1;
	return out;
bad:
	free(out);
	return NULL;
}

static bool parse_number(struct parser *ps, double *v)
{
	const char *p = ps->p;
	char tmp[64];
	size_t n;

	if (p < ps->end && *p == '-')
		p++;
	if (p >= ps->end || !isdigit((unsigned char)*p))
		return false;
	if (*p == '0')
		p++;
	else
		while (p < ps->end && isdigit((unsigned char)*p))
			p++;
	if (p < ps->end && *p == '.') {
		p++;
		if (p >= ps->end || !isdigit((unsigned char)*p))
			return false;
		while (p < ps->end && isdigit((unsigned char)*p))
			p++;
	}
	if (p < ps->end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < ps->end && (*p == '+' || *p == '-'))
			p++;
		if (p >= ps->end || !isdigit((unsigned char)*p))
			return false;
		while (p < ps->end && isdigit((unsigned char)*p))
			p++;
	}
	n = (size_t)(p - ps->p);
	if (n >= sizeof(tmp))
		return false;
	/* The input is not NUL-terminated; strtod needs a terminated copy. */
	memcpy(tmp, ps->p, n);
	tmp[n] = '\0';
	*v = strtod(tmp, NULL);
	ps->p = p;
	return true;
}

static struct hp_json *parse_value(struct parser *ps, int depth);

static bool parse_items(struct parser *ps, struct hp_json *j, int depth, bool obj)
{
	struct hp_json **tail = &j->child;
	char close = obj ? '}' : ']';

	if (take(ps, close))
		return true;
	for (;;) {
		char *key = NULL;
		struct hp_json *item;

		if (obj) {
			key = parse_string(ps);
			if (!key)
				return false;
			if (!take(ps, ':')) {
				free(key);
				return false;
			}
		}
		item = parse_value(ps, depth + 1);
		if (!item) {
			free(key);
			return false;
		}
		item->key = key;
		*tail = item;
		tail = &item->next;
		if (take(ps, close))
			return true;
		if (!take(ps, ','))
			return false;
	}
}

static struct hp_json *parse_value(struct parser *ps, int depth)
{
	struct hp_json *j;
	bool ok = true;

	if (depth > HP_JSON_MAX_DEPTH)
		return NULL;
	skip_ws(ps);
	if (ps->p >= ps->end)
		return NULL;
	j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	switch (*ps->p) {
	case '{':
	case '[':
		j->type = *ps->p == '{' ? HP_JSON_OBJECT : HP_JSON_ARRAY;
		ps->p++;
		ok = parse_items(ps, j, depth, j->type == HP_JSON_OBJECT);
		break;
	case '"':
		j->type = HP_JSON_STRING;
		j->str = parse_string(ps);
		ok = j->str != NULL;
		break;
	case 't':
	case 'f':
		j->type = HP_JSON_BOOL;
		j->b = *ps->p == 't';
		ok = take_word(ps, j->b ? "true" : "false");
		break;
	case 'n':
		j->type = HP_JSON_NULL;
		ok = take_word(ps, "null");
		break;
	default:
		j->type = HP_JSON_NUMBER;
		ok = parse_number(ps, &j->num);
	}
	if (!ok) {
		hp_json_free(j);
		return NULL;
	}
	return j;
}

struct hp_json *hp_json_parse(const char *text, size_t len)
{
	struct parser ps = { text, text + len };
	struct hp_json *j;

	if (!text)
		return NULL;
	j = parse_value(&ps, 0);
	if (!j)
		return NULL;
	skip_ws(&ps);
	if (ps.p != ps.end) {
		hp_json_free(j);
		return NULL;
	}
	return j;
}

void hp_json_free(struct hp_json *j)
{
	while (j) {
		struct hp_json *next = j->next;

		/* Depth is bounded by the parser, so recursion on children is safe. */
		hp_json_free(j->child);
		free(j->key);
		free(j->str);
		free(j);
		j = next;
	}
}

const struct hp_json *hp_json_get(const struct hp_json *obj, const char *key)
{
	const struct hp_json *c;

	if (!obj || obj->type != HP_JSON_OBJECT)
		return NULL;
	for (c = obj->child; c; c = c->next)
		if (c->key && !strcmp(c->key, key))
			return c;
	return NULL;
}

const char *hp_json_str(const struct hp_json *obj, const char *key, const char *dflt)
{
	const struct hp_json *v = hp_json_get(obj, key);

	return v && v->type == HP_JSON_STRING ? v->str : dflt;
}

double hp_json_num(const struct hp_json *obj, const char *key, double dflt)
{
	const struct hp_json *v = hp_json_get(obj, key);

	return v && v->type == HP_JSON_NUMBER ? v->num : dflt;
}

static void copy_field(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Clamp before converting: a fuzzed 1e300 must not be undefined behaviour. */
static long to_long(double v)
{
	if (!(v == v))
		return 0;
	if (v > 9.0e18)
		return (long)9.0e18;
	if (v < -9.0e18)
		return (long)-9.0e18;
	return (long)v;
}

int hp_json_to_result(const struct hp_json *obj, struct hp_result *r)
{
	const struct hp_json *exp;
	const char *verdict;
	long err;

	memset(r, 0, sizeof(*r));
	verdict = hp_json_str(obj, "verdict", NULL);
	if (!verdict || hp_verdict_parse(verdict, &r->verdict) ||
	    !hp_json_str(obj, "test", NULL) || !hp_json_str(obj, "name", NULL))
		return -EINVAL;
	copy_field(r->test, sizeof(r->test), hp_json_str(obj, "test", ""));
	copy_field(r->name, sizeof(r->name), hp_json_str(obj, "name", ""));
	copy_field(r->device, sizeof(r->device), hp_json_str(obj, "device", "-"));
	copy_field(r->driver, sizeof(r->driver), hp_json_str(obj, "driver", "-"));
	copy_field(r->method, sizeof(r->method), hp_json_str(obj, "method", "-"));
	copy_field(r->level, sizeof(r->level), hp_json_str(obj, "level", "unknown"));
	copy_field(r->special, sizeof(r->special), hp_json_str(obj, "special", ""));
	copy_field(r->evidence, sizeof(r->evidence), hp_json_str(obj, "evidence", ""));
	copy_field(r->control, sizeof(r->control), hp_json_str(obj, "control", ""));
	exp = hp_json_get(obj, "expected");
	r->expected = exp && exp->type == HP_JSON_BOOL && exp->b &&
		      r->verdict == HP_VULNERABLE;
	err = to_long(hp_json_num(obj, "err", 0));
	r->err = err < 0 || err > HP_MAX_ERRNO ? 0 : (int)err;
	r->bytes = to_long(hp_json_num(obj, "bytes", 0));
	return 0;
}
