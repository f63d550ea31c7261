// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the record reader (record.c, report_json.c): the
 * guest's virtio-serial stream can end mid-line when the guest dies, and
 * report.json files come back from earlier runs. Any record that parses must
 * format and parse back to the same record.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hp_core.h"
#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(const struct hp_result *a, const struct hp_result *b)
{
	if (strcmp(a->test, b->test) || strcmp(a->name, b->name) ||
	    strcmp(a->device, b->device) || strcmp(a->driver, b->driver) ||
	    strcmp(a->method, b->method) || strcmp(a->level, b->level) ||
	    strcmp(a->special, b->special) ||
	    strcmp(a->evidence, b->evidence) || a->verdict != b->verdict ||
	    a->expected != b->expected || a->err != b->err || a->bytes != b->bytes)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1);
	static char out[16384];
	struct hp_result r, back;
	struct hp_report rep;
	struct hp_json *j;
	int kind;

	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	kind = hp_record_parse(line, &r);
	if (kind == 1) {
		if (hp_record_format(&r, out, sizeof(out)) < 0)
			abort();
		if (hp_record_parse(out, &back) != 1)
			abort();
		same(&r, &back);
	} else if (kind == 2) {
		if (hp_record_format_start(r.test, r.name, r.device, r.method, out, sizeof(out)) < 0 ||
		    hp_record_parse(out, &back) != 2 || strcmp(r.test, back.test) ||
		    strcmp(r.name, back.name) || strcmp(r.device, back.device) ||
		    strcmp(r.method, back.method))
			abort();
	} else if (kind == 3) {
		enum hp_special sp = !strcmp(r.special, "yes") ? HP_SPECIAL_YES :
				     !strcmp(r.special, "no") ? HP_SPECIAL_NO : HP_SPECIAL_UNKNOWN;
		enum hp_level level;

		if (hp_level_parse(r.level, &level) ||
		    hp_record_format_mapped(r.test, r.name, level, sp, out, sizeof(out)) < 0 ||
		    hp_record_parse(out, &back) != 3 || strcmp(r.test, back.test) ||
		    strcmp(r.name, back.name) || strcmp(r.level, back.level) ||
		    strcmp(r.special, back.special))
			abort();
	}
	/* The same bytes as a whole JSON document and as a report.json. */
	j = hp_json_parse((const char *)data, size);
	hp_json_free(j);
	if (!hp_report_load_json(&rep, (const char *)data, size)) {
		struct hp_buf b = { 0 };

		hp_report_json(&rep, NULL, &b);
		hp_buf_free(&b);
	}
	hp_report_free(&rep);
	free(line);
	return 0;
}
