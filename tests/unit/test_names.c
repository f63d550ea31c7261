// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of names.c: the verdict, level and method names are the wire
 * format of records and --expect files, so every name must parse back to
 * its value and typos must be refused rather than mapped to a default.
 */
#include <errno.h>
#include <string.h>

#include "hp_core.h"
#include "unit.h"

static void verdicts_round_trip(void)
{
	enum hp_verdict v;
	int i;

	for (i = HP_SAFE; i <= HP_UNTESTABLE; i++) {
		EXPECT_EQ(hp_verdict_parse(hp_verdict_name((enum hp_verdict)i), &v), 0);
		EXPECT_EQ(v, i);
	}
	EXPECT_STR(hp_verdict_name(HP_VULNERABLE), "VULNERABLE");
	EXPECT_EQ(hp_verdict_parse("safe", &v), 0);
	EXPECT_EQ(v, HP_SAFE);
}

static void verdict_typos_refused(void)
{
	enum hp_verdict v = HP_UNTESTABLE;

	EXPECT_EQ(hp_verdict_parse("SAVE", &v), -EINVAL);
	EXPECT_EQ(hp_verdict_parse("", &v), -EINVAL);
	EXPECT_EQ(hp_verdict_parse(NULL, &v), -EINVAL);
	EXPECT_EQ(v, HP_UNTESTABLE);
	EXPECT_STR(hp_verdict_name((enum hp_verdict)42), "?");
}

static void levels_round_trip(void)
{
	enum hp_level l;
	int i;

	for (i = HP_LEVEL_UNKNOWN; i <= HP_LEVEL_PUD; i++) {
		EXPECT_EQ(hp_level_parse(hp_level_name((enum hp_level)i), &l), 0);
		EXPECT_EQ(l, i);
	}
	EXPECT_STR(hp_level_name(HP_LEVEL_PMD), "pmd");
	EXPECT_EQ(hp_level_parse("p4d", &l), -EINVAL);
}

static void methods_round_trip(void)
{
	enum hp_method m;
	int i;

	for (i = 0; i < HP_M_NR; i++) {
		const char *name = hp_method_name((enum hp_method)i);

		EXPECT(name[0] != '?');
		EXPECT_EQ(hp_method_parse(name, &m), 0);
		EXPECT_EQ(m, i);
	}
	EXPECT_STR(hp_method_name(HP_M_ODIRECT_READ), "odirect_read");
	EXPECT_STR(hp_method_name(HP_M_VMSPLICE), "vmsplice");
	EXPECT_STR(hp_method_name(HP_M_NR), "?");
	EXPECT_EQ(hp_method_parse("odirect", &m), -EINVAL);
}

static void method_lists_parse(void)
{
	unsigned int mask = 0;

	EXPECT_EQ(hp_methods_parse("all", &mask, NULL, 0), 0);
	EXPECT_EQ(mask, (1u << HP_M_NR) - 1);
	EXPECT_EQ(hp_methods_parse("odirect_read,vmsplice", &mask, NULL, 0), 0);
	EXPECT_EQ(mask, (1u << HP_M_ODIRECT_READ) | (1u << HP_M_VMSPLICE));
	EXPECT_EQ(hp_methods_parse("gup_test", &mask, NULL, 0), 0);
	EXPECT_EQ(mask, 1u << HP_M_GUP_TEST);
	/* Spaces around an item are trimmed; "all" may be one item among others. */
	EXPECT_EQ(hp_methods_parse(" vmsplice , GUP_TEST", &mask, NULL, 0), 0);
	EXPECT_EQ(mask, (1u << HP_M_VMSPLICE) | (1u << HP_M_GUP_TEST));
	EXPECT_EQ(hp_methods_parse("vmsplice,all", &mask, NULL, 0), 0);
	EXPECT_EQ(mask, (1u << HP_M_NR) - 1);
}

static void method_list_typos_refused(void)
{
	unsigned int mask = 7;
	char bad[HP_NAME_LEN];

	EXPECT_EQ(hp_methods_parse("", &mask, bad, sizeof(bad)), -EINVAL);
	EXPECT_STR(bad, "");
	EXPECT_EQ(hp_methods_parse(NULL, &mask, bad, sizeof(bad)), -EINVAL);
	EXPECT_EQ(hp_methods_parse("vmsplice,", &mask, bad, sizeof(bad)), -EINVAL);
	EXPECT_STR(bad, "");
	EXPECT_EQ(hp_methods_parse(",vmsplice", &mask, NULL, 0), -EINVAL);
	EXPECT_EQ(hp_methods_parse("vmsplice, ,odirect_read", &mask, bad, sizeof(bad)), -EINVAL);
	EXPECT_STR(bad, "");
	EXPECT_EQ(hp_methods_parse("vmsplice, bogus ,odirect_read", &mask, bad, sizeof(bad)),
		  -EINVAL);
	EXPECT_STR(bad, "bogus");
	EXPECT_EQ(mask, 7);
}

/* The help texts' list: every method of the table, wrapped, each head set. */
static void method_names_listed(void)
{
	char buf[512], *line, *save = NULL;

	hp_method_names(buf, sizeof(buf), "  ", 40);
	for (int i = 0; i < HP_M_NR; i++) {
		EXPECT_CONTAINS(buf, hp_method_name((enum hp_method)i));
		EXPECT(hp_method_info((enum hp_method)i)->head != NULL);
	}
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		EXPECT(strlen(line) <= 42);
}

static const struct unit_case cases[] = {
	{ "verdicts_round_trip", verdicts_round_trip },
	{ "verdict_typos_refused", verdict_typos_refused },
	{ "levels_round_trip", levels_round_trip },
	{ "methods_round_trip", methods_round_trip },
	{ "method_lists_parse", method_lists_parse },
	{ "method_list_typos_refused", method_list_typos_refused },
	{ "method_names_listed", method_names_listed },
};

int main(void)
{
	return UNIT_RUN(cases);
}
