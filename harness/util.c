// SPDX-License-Identifier: GPL-2.0
/*
 * Small helpers shared by every CLI and record writer: JSON string escaping
 * for the records the guest sends over virtio-serial, and typed option
 * parsing with ranges, so a typo in --duration or --size is an error and
 * never a silent zero; comma lists of names; errno histograms.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hp_core.h"

size_t hp_json_escape(const char *in, char *buf, size_t len)
{
	size_t need = 0;
	size_t used = 0;
	const unsigned char *p;

	if (len)
		buf[0] = '\0';
	if (!in)
		return 0;
	for (p = (const unsigned char *)in; *p; p++) {
		char esc[8];
		size_t n;

		switch (*p) {
		case '"':  memcpy(esc, "\\\"", 3); break;
		case '\\': memcpy(esc, "\\\\", 3); break;
		case '\n': memcpy(esc, "\\n", 3); break;
		case '\r': memcpy(esc, "\\r", 3); break;
		case '\t': memcpy(esc, "\\t", 3); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				snprintf(esc, sizeof(esc), "\\u%04x", *p);
			else {
				esc[0] = (char)*p;
				esc[1] = '\0';
			}
		}
		n = strlen(esc);
		need += n;
		/* Never cut an escape sequence in half: the reader would reject it. */
		if (used + n < len) {
			memcpy(buf + used, esc, n + 1);
			used += n;
		}
	}
	return need;
}

int hp_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int hp_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	switch (toupper((unsigned char)*end)) {
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	case 'T': shift = 40; end++; break;
	default: break;
	}
	/* "4M", "4MiB" and "4MB" all mean 4 << 20; "4B" is four bytes. */
	if (shift && !strcasecmp(end, "iB"))
		end += 2;
	else if (!strcasecmp(end, "B"))
		end++;
	if (*end)
		return -EINVAL;
	if (shift && v > (ULLONG_MAX >> shift))
		return -ERANGE;
	v <<= shift;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int hp_parse_duration(const char *s, double min, double max, double *out)
{
	double v, scale = 1.0;
	char *end;

	/* Digits first: strtod would also take "inf", "nan" and hex floats. */
	if (!s || !(isdigit((unsigned char)*s) ||
		    (*s == '.' && isdigit((unsigned char)s[1]))))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (end[0] && end[1])
		return -EINVAL;
	switch (*end) {
	case '\0':
	case 's': break;
	case 'm': scale = 60.0; break;
	case 'h': scale = 3600.0; break;
	default: return -EINVAL;
	}
	if (s[strspn(s, "0123456789.")] != *end)
		return -EINVAL;
	v *= scale;
	if (errno == ERANGE || !isfinite(v) || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

void hp_appendf(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strnlen(buf, len);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

int hp_list_item(const char **p, char *item, size_t len)
{
	const char *start = *p, *end;
	size_t n;

	if (!start)
		return 0;
	n = strcspn(start, ",");
	*p = start[n] ? start + n + 1 : NULL;
	end = start + n;
	while (start < end && isspace((unsigned char)*start))
		start++;
	while (end > start && isspace((unsigned char)end[-1]))
		end--;
	snprintf(item, len, "%.*s", (int)(end - start), start);
	return end > start && (size_t)(end - start) < len ? 1 : -EINVAL;
}

static int list_name(const char *item, const char *(*name)(unsigned int i), unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (!strcasecmp(item, name(i)))
			return (int)i;
	return -EINVAL;
}

int hp_list_mask(const char *list, const char *(*name)(unsigned int i), unsigned int n,
		 unsigned int all, unsigned int *mask, char *bad, size_t badlen)
{
	char item[HP_NAME_LEN];
	unsigned int acc = 0;
	const char *p = list;
	int i;

	if (bad && badlen)
		bad[0] = '\0';
	if (!list)
		return -EINVAL;
	while (p) {
		if (hp_list_item(&p, item, sizeof(item)) < 0)
			goto refused;
		if (!strcasecmp(item, "all")) {
			acc |= all;
		} else {
			i = list_name(item, name, n);
			if (i < 0)
				goto refused;
			acc |= 1u << i;
		}
	}
	*mask = acc;
	return 0;
refused:
	if (bad && badlen)
		snprintf(bad, badlen, "%s", item);
	return -EINVAL;
}

void hp_errhist_add(struct hp_errhist *h, int err)
{
	if (err < 0)
		err = -err;
	if (err > HP_ERRNO_OTHER)
		err = HP_ERRNO_OTHER;
	__atomic_add_fetch(&h->n[err], 1, __ATOMIC_RELAXED);
}

void hp_errhist_merge(struct hp_errhist *dst, const struct hp_errhist *src)
{
	for (int e = 0; e < HP_ERRNO_SLOTS; e++)
		dst->n[e] += __atomic_load_n(&src->n[e], __ATOMIC_RELAXED);
}

int hp_errhist_top(const struct hp_errhist *h)
{
	int top = 0;

	for (int e = 1; e < HP_ERRNO_SLOTS; e++)
		if (h->n[e] > h->n[top])
			top = e;
	return top;
}

const char *hp_errhist_name(int slot)
{
	const char *s;

	if (!slot)
		return "short";
	if (slot >= HP_ERRNO_OTHER)
		return "other";
	s = strerrorname_np(slot);
	return s ? s : "E?";
}

void hp_errhist_text(const struct hp_errhist *h, const char *none, char *buf, size_t len)
{
	bool any = false;

	if (len)
		buf[0] = '\0';
	for (int e = 0; e < HP_ERRNO_SLOTS; e++) {
		if (!h->n[e])
			continue;
		hp_appendf(buf, len, "%s%s:%ld", any ? "," : "", hp_errhist_name(e), h->n[e]);
		any = true;
	}
	if (!any)
		snprintf(buf, len, "%s", none);
}

int hp_op_said(int ret, const char *call)
{
	if (ret < 0)
		printf("# %s: %s\n", call, strerror(-ret));
	return ret;
}
