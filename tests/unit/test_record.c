// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the record format (record.c) and the JSON reader under it
 * (report_json.c): records must survive any evidence text (quotes, splat
 * lines with backslashes, control characters), and lines cut off by a
 * guest that died mid-write must be rejected, not half-read.
 */
#include <errno.h>

#include "hp_core.h"
#include "report.h"
#include "unit.h"

static struct hp_result sample(void)
{
	struct hp_result r;

	memset(&r, 0, sizeof(r));
	strcpy(r.test, "pin_odirect");
	strcpy(r.name, "drm_bo.bochs_4m.odirect_read");
	strcpy(r.device, "bochs");
	strcpy(r.driver, "bochs-drm");
	strcpy(r.method, "odirect_read");
	strcpy(r.level, "pmd");
	r.verdict = HP_VULNERABLE;
	r.expected = true;
	r.err = 0;
	r.bytes = 65536;
	strcpy(r.evidence, "splat: \"kernel BUG at mm/swap.c:102!\"\\\t\x01 tab; caf\xc3\xa9");
	return r;
}

static void result_round_trip(void)
{
	struct hp_result in = sample(), out;
	char line[4096];
	int n = hp_record_format(&in, line, sizeof(line));

	EXPECT(n > 0);
	EXPECT_EQ((size_t)n, strlen(line));
	EXPECT(!strchr(line, '\n'));
	EXPECT_EQ(hp_record_parse(line, &out), 1);
	EXPECT_STR(out.test, in.test);
	EXPECT_STR(out.name, in.name);
	EXPECT_STR(out.device, in.device);
	EXPECT_STR(out.driver, in.driver);
	EXPECT_STR(out.method, in.method);
	EXPECT_STR(out.level, in.level);
	EXPECT_STR(out.evidence, in.evidence);
	EXPECT_EQ(out.verdict, HP_VULNERABLE);
	EXPECT(out.expected);
	EXPECT_EQ(out.bytes, 65536);
	/* "special" is written only when the walk saw the entry. */
	EXPECT(!strstr(line, "\"special\""));
	strcpy(in.special, "no");
	EXPECT(hp_record_format(&in, line, sizeof(line)) > 0);
	EXPECT(strstr(line, "\",\"special\":\"no\"}"));
	EXPECT_EQ(hp_record_parse(line, &out), 1);
	EXPECT_STR(out.special, "no");
}

static void start_round_trip(void)
{
	struct hp_result out;
	char line[256];

	EXPECT(hp_record_format_start("evict_race", "drm_bo.qxl.\"x\"", "qxl", "vmsplice", line,
				      sizeof(line)) > 0);
	EXPECT_STR(line, "{\"type\":\"start\",\"test\":\"evict_race\",\"name\":\"drm_bo.qxl.\\\"x\\\"\","
			 "\"device\":\"qxl\",\"method\":\"vmsplice\"}");
	EXPECT_EQ(hp_record_parse(line, &out), 2);
	EXPECT_STR(out.test, "evict_race");
	EXPECT_STR(out.name, "drm_bo.qxl.\"x\"");
	EXPECT_STR(out.device, "qxl");
	EXPECT_STR(out.method, "vmsplice");
	/* A race covers every method: none is named. */
	EXPECT(hp_record_format_start("drm_repro", "race.qxl", "qxl", NULL, line, sizeof(line)) > 0);
	EXPECT_EQ(hp_record_parse(line, &out), 2);
	EXPECT_STR(out.method, "-");
	/* A start record of an older guest names neither. */
	EXPECT_EQ(hp_record_parse("{\"type\":\"start\",\"test\":\"t\",\"name\":\"n\"}", &out), 2);
	EXPECT_STR(out.device, "-");
	EXPECT_STR(out.method, "-");
}

/* The level a case is about to pin at, for the case the guest may die in. */
static void mapped_round_trip(void)
{
	struct hp_result out;
	char line[512];

	EXPECT(hp_record_format_mapped("hugepfn_ref", "hugepfn_map.device_pmd.pin_odirect_read",
				       HP_LEVEL_PMD, HP_SPECIAL_NO, line, sizeof(line)) > 0);
	EXPECT_STR(line, "{\"type\":\"mapped\",\"test\":\"hugepfn_ref\","
		   "\"name\":\"hugepfn_map.device_pmd.pin_odirect_read\",\"level\":\"pmd\","
		   "\"special\":\"no\"}");
	EXPECT_EQ(hp_record_parse(line, &out), 3);
	EXPECT_STR(out.name, "hugepfn_map.device_pmd.pin_odirect_read");
	EXPECT_STR(out.level, "pmd");
	EXPECT_STR(out.special, "no");
	EXPECT(hp_record_format_mapped("t", "n", HP_LEVEL_PTE, HP_SPECIAL_UNKNOWN, line,
				       sizeof(line)) > 0);
	EXPECT(!strstr(line, "special"));
	/* A level it does not know makes the line bad, not a guess. */
	EXPECT_EQ(hp_record_parse("{\"type\":\"mapped\",\"test\":\"t\",\"name\":\"n\",\"level\":\"p4d\"}",
				  &out), -EINVAL);
}

static void short_buffer_refused(void)
{
	struct hp_result in = sample();
	char line[64];

	EXPECT_EQ(hp_record_format(&in, line, sizeof(line)), -ENOSPC);
	EXPECT_EQ(hp_record_format_start("t", "n", "d", "m", line, 10), -ENOSPC);
}

static void expected_only_for_vulnerable(void)
{
	struct hp_result in = sample(), out;
	char line[4096];

	in.verdict = HP_SAFE;
	hp_record_format(&in, line, sizeof(line));
	EXPECT_CONTAINS(line, "\"expected\":false");
	EXPECT_EQ(hp_record_parse(line, &out), 1);
	EXPECT(!out.expected);
}

static void bad_lines_refused(void)
{
	struct hp_result in = sample(), out;
	char line[4096];
	int n = hp_record_format(&in, line, sizeof(line));

	/* Every cut of a valid record is invalid. */
	while (--n > 0) {
		line[n] = '\0';
		if (hp_record_parse(line, &out) >= 0) {
			printf("# prefix of %d bytes parsed\n", n);
			EXPECT(0);
			break;
		}
	}
	EXPECT_EQ(hp_record_parse("", &out), -EINVAL);
	EXPECT_EQ(hp_record_parse(NULL, &out), -EINVAL);
	EXPECT_EQ(hp_record_parse("[1,2]", &out), -EINVAL);
	EXPECT_EQ(hp_record_parse("{\"type\":\"end\",\"test\":\"a\",\"name\":\"b\"}", &out), -EINVAL);
	EXPECT_EQ(hp_record_parse("{\"type\":\"start\",\"test\":\"a\"}", &out), -EINVAL);
	EXPECT_EQ(hp_record_parse("{\"type\":\"result\",\"test\":\"a\",\"name\":\"b\",\"verdict\":\"MAYBE\"}", &out), -EINVAL);
	EXPECT_EQ(hp_record_parse("{\"type\":\"result\",\"test\":\"a\",\"name\":\"b\"}", &out), -EINVAL);
	EXPECT_EQ(hp_record_parse("{\"type\":\"start\",\"test\":\"a\",\"name\":\"b\"} x", &out), -EINVAL);
	EXPECT_EQ(hp_record_parse("[    5.1] hugepin: start a b", &out), -EINVAL);
}

static void missing_fields_default(void)
{
	struct hp_result out;

	EXPECT_EQ(hp_record_parse("{\"type\":\"result\",\"test\":\"a\",\"name\":\"b\",\"verdict\":\"UNTESTABLE\",\"future\":[1,{}]}", &out), 1);
	EXPECT_STR(out.device, "-");
	EXPECT_STR(out.method, "-");
	EXPECT_STR(out.level, "unknown");
	EXPECT_EQ(out.err, 0);
	EXPECT_EQ(hp_record_parse("{\"type\":\"result\",\"test\":\"a\",\"name\":\"b\",\"verdict\":\"SAFE\",\"err\":1e300,\"bytes\":-1e300}", &out), 1);
	EXPECT_EQ(out.err, 0);
	EXPECT(out.bytes < 0);
}

static void long_fields_truncated(void)
{
	char line[2048], big[600];
	struct hp_result out;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	snprintf(line, sizeof(line), "{\"type\":\"result\",\"test\":\"%s\",\"name\":\"n\","
		 "\"verdict\":\"SAFE\",\"evidence\":\"%s\"}", big, big);
	EXPECT_EQ(hp_record_parse(line, &out), 1);
	EXPECT_EQ(strlen(out.test), HP_NAME_LEN - 1);
	EXPECT_EQ(strlen(out.evidence), HP_TEXT_LEN - 1);
}

static void json_reader(void)
{
	const char *doc = " {\"a\":[1,-2.5e1,true,false,null,\"\\u00e9\\ud83d\\ude00\\u0000\"],\"b\":{}} ";
	struct hp_json *j = hp_json_parse(doc, strlen(doc));
	const struct hp_json *a, *e;

	EXPECT(j != NULL);
	if (!j)
		return;
	a = hp_json_get(j, "a");
	EXPECT(a && a->type == HP_JSON_ARRAY);
	e = a ? a->child : NULL;
	EXPECT(e && e->type == HP_JSON_NUMBER && e->num == 1);
	e = e ? e->next : NULL;
	EXPECT(e && e->num == -25);
	e = e ? e->next : NULL;
	EXPECT(e && e->type == HP_JSON_BOOL && e->b);
	e = e && e->next ? e->next->next : NULL;
	EXPECT(e && e->type == HP_JSON_NULL);
	e = e ? e->next : NULL;
	EXPECT(e && e->type == HP_JSON_STRING && !strcmp(e->str, "\xc3\xa9\xf0\x9f\x98\x80?"));
	EXPECT(hp_json_get(j, "b") && hp_json_get(j, "b")->type == HP_JSON_OBJECT);
	EXPECT(!hp_json_get(j, "c"));
	EXPECT_STR(hp_json_str(j, "a", "dflt"), "dflt");
	hp_json_free(j);
}

static void json_reader_refuses(void)
{
	static const char *const bad[] = {
		"", "{", "{\"a\"}", "{\"a\":}", "[1,]", "[01]", "[1.]", "[-]", "[+1]",
		"\"\\x\"", "\"\\u12g4\"", "\"a\nb\"", "tru", "nul", "{\"a\":1,}", "[1 2]",
		"{'a':1}", "[1]]", "\"unterminated",
	};
	char deep[200];
	struct hp_json *j;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j = hp_json_parse(bad[i], strlen(bad[i]));
		if (j) {
			printf("# accepted: %s\n", bad[i]);
			EXPECT(0);
			hp_json_free(j);
		}
	}
	memset(deep, '[', sizeof(deep));
	EXPECT(hp_json_parse(deep, sizeof(deep)) == NULL);
	/* Length, not NUL, bounds the input. */
	j = hp_json_parse("[1]garbage", 3);
	EXPECT(j != NULL);
	hp_json_free(j);
}

static const struct unit_case cases[] = {
	{ "result_round_trip", result_round_trip },
	{ "start_round_trip", start_round_trip },
	{ "mapped_round_trip", mapped_round_trip },
	{ "short_buffer_refused", short_buffer_refused },
	{ "expected_only_for_vulnerable", expected_only_for_vulnerable },
	{ "bad_lines_refused", bad_lines_refused },
	{ "missing_fields_default", missing_fields_default },
	{ "long_fields_truncated", long_fields_truncated },
	{ "json_reader", json_reader },
	{ "json_reader_refuses", json_reader_refuses },
};

int main(void)
{
	return UNIT_RUN(cases);
}
