// SPDX-License-Identifier: GPL-2.0
/*
 * Per-case result records: one JSON object per line, written by the guest
 * to the virtio-serial port and read back by hp_report on the host. A
 * "start" record before each case lets the host name the case that was
 * running when the guest died, so a crash becomes a verdict, not a gap.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hp_core.h"
#include "json.h"

/* Escaped forms of the record's text fields; escaping can grow text 6x. */
struct escaped {
	char s[6 * HP_TEXT_LEN + 1];
};

static const char *esc(struct escaped *e, const char *in)
{
	hp_json_escape(in, e->s, sizeof(e->s));
	return e->s;
}

static int fit(int n, size_t len)
{
	if (n < 0)
		return -EINVAL;
	return (size_t)n >= len ? -ENOSPC : n;
}

int hp_record_format(const struct hp_result *r, char *buf, size_t len)
{
	struct escaped e[9];	/* on the stack: threads emit records concurrently */
	int n;

	n = snprintf(buf, len,
		     "{\"type\":\"result\",\"test\":\"%s\",\"name\":\"%s\","
		     "\"device\":\"%s\",\"driver\":\"%s\",\"method\":\"%s\","
		     "\"level\":\"%s\",\"verdict\":\"%s\",\"expected\":%s,"
		     "\"err\":%d,\"bytes\":%ld,\"evidence\":\"%s\"%s%s%s%s%s%s}",
		     esc(&e[0], r->test), esc(&e[1], r->name),
		     esc(&e[2], r->device), esc(&e[3], r->driver),
		     esc(&e[4], r->method), esc(&e[5], r->level),
		     hp_verdict_name(r->verdict),
		     r->expected && r->verdict == HP_VULNERABLE ? "true" : "false",
		     r->err, r->bytes, esc(&e[6], r->evidence),
		     r->special[0] ? ",\"special\":\"" : "", esc(&e[8], r->special),
		     r->special[0] ? "\"" : "",
		     r->control[0] ? ",\"control\":\"" : "", esc(&e[7], r->control),
		     r->control[0] ? "\"" : "");
	return fit(n, len);
}

int hp_record_format_start(const char *test, const char *name, const char *device,
			   const char *method, char *buf, size_t len)
{
	struct escaped e[4];

	return fit(snprintf(buf, len,
			    "{\"type\":\"start\",\"test\":\"%s\",\"name\":\"%s\",\"device\":\"%s\","
			    "\"method\":\"%s\"}",
			    esc(&e[0], test), esc(&e[1], name), esc(&e[2], device ? device : "-"),
			    esc(&e[3], method ? method : "-")), len);
}

const char *hp_special_name(enum hp_special s)
{
	return s == HP_SPECIAL_YES ? "yes" : s == HP_SPECIAL_NO ? "no" : "";
}

int hp_record_format_mapped(const char *test, const char *name, enum hp_level level,
			    enum hp_special special, char *buf, size_t len)
{
	struct escaped e[2];
	const char *sp = hp_special_name(special);

	return fit(snprintf(buf, len,
			    "{\"type\":\"mapped\",\"test\":\"%s\",\"name\":\"%s\",\"level\":\"%s\"%s%s%s}",
			    esc(&e[0], test), esc(&e[1], name), hp_level_name(level),
			    *sp ? ",\"special\":\"" : "", sp, *sp ? "\"" : ""), len);
}

int hp_record_parse(const char *line, struct hp_result *r)
{
	struct hp_json *j;
	const char *type;
	int ret = -EINVAL;

	if (!line)
		return -EINVAL;
	j = hp_json_parse(line, strlen(line));
	type = hp_json_str(j, "type", "");
	if (!strcmp(type, "result")) {
		if (!hp_json_to_result(j, r))
			ret = 1;
	} else if (!strcmp(type, "start")) {
		const char *test = hp_json_str(j, "test", NULL);
		const char *name = hp_json_str(j, "name", NULL);

		if (test && name) {
			memset(r, 0, sizeof(*r));
			snprintf(r->test, sizeof(r->test), "%s", test);
			snprintf(r->name, sizeof(r->name), "%s", name);
			snprintf(r->device, sizeof(r->device), "%s", hp_json_str(j, "device", "-"));
			snprintf(r->method, sizeof(r->method), "%s", hp_json_str(j, "method", "-"));
			ret = 2;
		}
	} else if (!strcmp(type, "mapped")) {
		const char *test = hp_json_str(j, "test", NULL);
		const char *name = hp_json_str(j, "name", NULL);
		enum hp_level level;

		if (test && name && !hp_level_parse(hp_json_str(j, "level", ""), &level)) {
			memset(r, 0, sizeof(*r));
			snprintf(r->test, sizeof(r->test), "%s", test);
			snprintf(r->name, sizeof(r->name), "%s", name);
			snprintf(r->level, sizeof(r->level), "%s", hp_level_name(level));
			snprintf(r->special, sizeof(r->special), "%s",
				 !strcmp(hp_json_str(j, "special", ""), "yes") ? "yes" :
				 !strcmp(hp_json_str(j, "special", ""), "no") ? "no" : "");
			ret = 3;
		}
	}
	hp_json_free(j);
	return ret;
}
