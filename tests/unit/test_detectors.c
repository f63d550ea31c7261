// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of detectors.c: every detector row is complete and found by
 * its name, the report's control names come from the rows, and the
 * README's detector table is the one the rows make (run from the top of
 * the tree, as make unit does).
 */
#include <stdlib.h>
#include <string.h>

#include "hp_core.h"
#include "report.h"
#include "unit.h"

static void rows_complete_and_found(void)
{
	const struct hp_detector *d;
	size_t i;

	for (i = 0; (d = hp_detector_at(i)); i++) {
		EXPECT(d->name && *d->name && d->watches && d->control && d->control_does &&
			    d->backs_what && d->backs);
		EXPECT(hp_detector_find(d->name) == d);
		EXPECT_STR(hp_control_detector(i), d->name);
	}
	EXPECT_EQ(i, (size_t)6);
	EXPECT(hp_detector_find("no-such-detector") == NULL);
}

static void backs_by_row(void)
{
	struct hp_result r;

	memset(&r, 0, sizeof(r));
	snprintf(r.test, sizeof(r.test), "pin_odirect");
	snprintf(r.device, sizeof(r.device), "bochs");
	snprintf(r.level, sizeof(r.level), "pte");
	EXPECT(hp_detector_find(HP_CONTROL_KMSG)->backs(&r));
	EXPECT(!hp_detector_find(HP_CONTROL_LEVEL)->backs(&r));
	EXPECT(!hp_detector_find(HP_CONTROL_CANARY)->backs(&r));
	EXPECT(!hp_detector_find(HP_CONTROL_PAGEREFS)->backs(&r));
	snprintf(r.level, sizeof(r.level), "pmd");
	EXPECT(hp_detector_find(HP_CONTROL_LEVEL)->backs(&r));
	snprintf(r.device, sizeof(r.device), "dax");
	EXPECT(hp_detector_find(HP_CONTROL_PAGEREFS)->backs(&r));
}

static void readme_holds_the_table(void)
{
	char table[8192], *readme;
	size_t n = 0, cap = 1 << 20;
	FILE *f = fopen("README.md", "r");

	EXPECT(f != NULL);
	if (!f)
		return;
	readme = malloc(cap);
	EXPECT(readme != NULL);
	if (readme) {
		n = fread(readme, 1, cap - 1, f);
		readme[n] = '\0';
		hp_detector_table_md(table, sizeof(table));
		EXPECT(strstr(readme, table) != NULL);
		free(readme);
	}
	fclose(f);
}

int main(void)
{
	static const struct unit_case cases[] = {
		{ "rows_complete_and_found", rows_complete_and_found },
		{ "backs_by_row", backs_by_row },
		{ "readme_holds_the_table", readme_holds_the_table },
	};

	return UNIT_RUN(cases);
}
