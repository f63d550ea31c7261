// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of util.c: JSON escaping for records and the typed option
 * parsers every CLI uses (--size 4M, --duration 30s, --threads 8), which
 * must refuse typos and out-of-range values instead of running a 0 s test;
 * the errno histogram the stress tools count refused pins in.
 */
#include <errno.h>
#include <stdint.h>

#include "hp_core.h"
#include "unit.h"

static void escape_specials(void)
{
	char buf[64];

	EXPECT_EQ(hp_json_escape("a\"b\\c\nd\te\x01", buf, sizeof(buf)), strlen("a\\\"b\\\\c\\nd\\te\\u0001"));
	EXPECT_STR(buf, "a\\\"b\\\\c\\nd\\te\\u0001");
	EXPECT_EQ(hp_json_escape("caf\xc3\xa9", buf, sizeof(buf)), 5);
	EXPECT_STR(buf, "caf\xc3\xa9");
	EXPECT_EQ(hp_json_escape(NULL, buf, sizeof(buf)), 0);
	EXPECT_STR(buf, "");
}

static void escape_truncates_whole(void)
{
	char buf[4];
	char one[1] = { 'x' };

	/* "a" fits, the 2-byte escape "\"" would not fit whole after "ab". */
	EXPECT_EQ(hp_json_escape("ab\"", buf, sizeof(buf)), 4);
	EXPECT_STR(buf, "ab");
	EXPECT_EQ(hp_json_escape("abc", one, sizeof(one)), 3);
	EXPECT_EQ(one[0], '\0');
	EXPECT_EQ(hp_json_escape("abc", NULL, 0), 3);
}

static void parse_long_values(void)
{
	long v = -7;

	EXPECT_EQ(hp_parse_long("42", 0, 100, &v), 0);
	EXPECT_EQ(v, 42);
	EXPECT_EQ(hp_parse_long("-3", -5, 5, &v), 0);
	EXPECT_EQ(v, -3);
	EXPECT_EQ(hp_parse_long("101", 0, 100, &v), -ERANGE);
	EXPECT_EQ(hp_parse_long("99999999999999999999999", 0, 100, &v), -ERANGE);
	EXPECT_EQ(hp_parse_long("4x", 0, 100, &v), -EINVAL);
	EXPECT_EQ(hp_parse_long("", 0, 100, &v), -EINVAL);
	EXPECT_EQ(hp_parse_long(" 4", 0, 100, &v), -EINVAL);
	EXPECT_EQ(hp_parse_long(NULL, 0, 100, &v), -EINVAL);
	EXPECT_EQ(v, -3);
}

static void parse_size_values(void)
{
	uint64_t v = 1;

	EXPECT_EQ(hp_parse_size("4096", 0, UINT64_MAX, &v), 0);
	EXPECT_EQ(v, 4096);
	EXPECT_EQ(hp_parse_size("2M", 0, UINT64_MAX, &v), 0);
	EXPECT_EQ(v, 2ull << 20);
	EXPECT_EQ(hp_parse_size("1GiB", 0, UINT64_MAX, &v), 0);
	EXPECT_EQ(v, 1ull << 30);
	EXPECT_EQ(hp_parse_size("64kb", 0, UINT64_MAX, &v), 0);
	EXPECT_EQ(v, 64ull << 10);
	EXPECT_EQ(hp_parse_size("8B", 0, UINT64_MAX, &v), 0);
	EXPECT_EQ(v, 8);
	EXPECT_EQ(hp_parse_size("4M", 0, 1 << 20, &v), -ERANGE);
	EXPECT_EQ(hp_parse_size("99999999999T", 0, UINT64_MAX, &v), -ERANGE);
	EXPECT_EQ(hp_parse_size("-1", 0, UINT64_MAX, &v), -EINVAL);
	EXPECT_EQ(hp_parse_size("1.5M", 0, UINT64_MAX, &v), -EINVAL);
	EXPECT_EQ(hp_parse_size("2Q", 0, UINT64_MAX, &v), -EINVAL);
	EXPECT_EQ(hp_parse_size("2iB", 0, UINT64_MAX, &v), -EINVAL);
	EXPECT_EQ(hp_parse_size("M", 0, UINT64_MAX, &v), -EINVAL);
	EXPECT_EQ(v, 8);
}

static void parse_duration_values(void)
{
	double v = -1;

	EXPECT_EQ(hp_parse_duration("30", 0, 1e6, &v), 0);
	EXPECT(v == 30);
	EXPECT_EQ(hp_parse_duration("1.5s", 0, 1e6, &v), 0);
	EXPECT(v == 1.5);
	EXPECT_EQ(hp_parse_duration("2m", 0, 1e6, &v), 0);
	EXPECT(v == 120);
	EXPECT_EQ(hp_parse_duration("1h", 0, 1e6, &v), 0);
	EXPECT(v == 3600);
	EXPECT_EQ(hp_parse_duration(".5", 0, 1e6, &v), 0);
	EXPECT(v == 0.5);
	EXPECT_EQ(hp_parse_duration("2h", 0, 3600, &v), -ERANGE);
	EXPECT_EQ(hp_parse_duration("0", 1, 10, &v), -ERANGE);
	EXPECT_EQ(hp_parse_duration("inf", 0, 1e6, &v), -EINVAL);
	EXPECT_EQ(hp_parse_duration("nan", 0, 1e6, &v), -EINVAL);
	EXPECT_EQ(hp_parse_duration("0x10", 0, 1e6, &v), -EINVAL);
	EXPECT_EQ(hp_parse_duration("1e3", 0, 1e6, &v), -EINVAL);
	EXPECT_EQ(hp_parse_duration("5ms", 0, 1e6, &v), -EINVAL);
	EXPECT_EQ(hp_parse_duration("-1", -5, 5, &v), -EINVAL);
	EXPECT_EQ(hp_parse_duration("", 0, 1e6, &v), -EINVAL);
	EXPECT_EQ(hp_parse_duration("1.2.3", 0, 1e6, &v), -EINVAL);
	EXPECT(v == 0.5);
}

static void errhist_counts_and_names(void)
{
	struct hp_errhist h = { { 0 } };
	char buf[64];

	hp_errhist_text(&h, "none", buf, sizeof(buf));
	EXPECT_STR(buf, "none");
	EXPECT_EQ(hp_errhist_top(&h), 0);
	hp_errhist_add(&h, EFAULT);
	hp_errhist_add(&h, -EFAULT);
	hp_errhist_add(&h, 0);
	hp_errhist_add(&h, 4000);
	EXPECT_EQ(h.n[EFAULT], 2);
	EXPECT_EQ(h.n[HP_ERRNO_OTHER], 1);
	EXPECT_EQ(hp_errhist_top(&h), EFAULT);
	hp_errhist_text(&h, "none", buf, sizeof(buf));
	EXPECT_STR(buf, "short:1,EFAULT:2,other:1");
}

static void errhist_top_prefers_lower_slot(void)
{
	struct hp_errhist a = { { 0 } }, b = { { 0 } };

	hp_errhist_add(&a, EPERM);
	hp_errhist_add(&a, EFAULT);
	EXPECT_EQ(hp_errhist_top(&a), EPERM);
	hp_errhist_add(&b, EFAULT);
	hp_errhist_merge(&a, &b);
	EXPECT_EQ(a.n[EFAULT], 2);
	EXPECT_EQ(hp_errhist_top(&a), EFAULT);
	EXPECT_STR(hp_errhist_name(0), "short");
	EXPECT_STR(hp_errhist_name(EFAULT), "EFAULT");
}

/* The comma lists' splitter: trimmed items, empty and over-long ones refused, then the end. */
static void list_items_split(void)
{
	const char *p = " a , bb,,ccccccccc";
	char item[8];

	EXPECT_EQ(hp_list_item(&p, item, sizeof(item)), 1);
	EXPECT_STR(item, "a");
	EXPECT_EQ(hp_list_item(&p, item, sizeof(item)), 1);
	EXPECT_STR(item, "bb");
	EXPECT_EQ(hp_list_item(&p, item, sizeof(item)), -EINVAL);
	EXPECT_STR(item, "");
	EXPECT_EQ(hp_list_item(&p, item, sizeof(item)), -EINVAL);
	EXPECT(p == NULL);
	EXPECT_EQ(hp_list_item(&p, item, sizeof(item)), 0);
}

/* The HP_OP() tier passes the result through, whatever it says on failure. */
static void op_tier_passes_result(void)
{
	EXPECT_EQ(HP_OP(0), 0);
	EXPECT_EQ(HP_OP(-ENOENT), -ENOENT);
	EXPECT_EQ(hp_op_said(3, "three"), 3);
}

static const struct unit_case cases[] = {
	{ "op_tier_passes_result", op_tier_passes_result },
	{ "list_items_split", list_items_split },
	{ "escape_specials", escape_specials },
	{ "escape_truncates_whole", escape_truncates_whole },
	{ "parse_long_values", parse_long_values },
	{ "parse_size_values", parse_size_values },
	{ "parse_duration_values", parse_duration_values },
	{ "errhist_counts_and_names", errhist_counts_and_names },
	{ "errhist_top_prefers_lower_slot", errhist_top_prefers_lower_slot },
};

int main(void)
{
	return UNIT_RUN(cases);
}
