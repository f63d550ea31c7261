// SPDX-License-Identifier: GPL-2.0
/*
 * The two device registries agree: every device the VM runner's table
 * (host/vm/devices.sh) can boot is a target of harness/targets.c, and every PCI
 * identity the runner's modaliases give belongs, by the C registry's PCI
 * ids, to that same target. Run from the top of the tree, as make unit does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hp_core.h"
#include "unit.h"

#define DEVICES_SH "host/vm/devices.sh"
#define TABLE_START "HP_VM_DEVICE_TABLE=\""

/* One device line: its name checked, and each pci:vVVVVVVVVdDDDDDDDD token. */
static int check_line(char *line)
{
	char *save = NULL, *name = strtok_r(line, " \t\n", &save), *tok;
	const struct hp_target_info *t;
	int ids = 0;

	if (!name)
		return 0;
	t = hp_target_info(name);
	EXPECT(t != NULL);
	if (!t) {
		printf("# %s: device %s of the runner is no target of harness/targets.c\n", DEVICES_SH, name);
		return 0;
	}
	while ((tok = strtok_r(NULL, " \t\n", &save))) {
		unsigned int vendor, device;
		const struct hp_target_info *by;

		if (sscanf(tok, "pci:v%8xd%8x", &vendor, &device) != 2)
			continue;
		by = hp_target_by_pci(vendor, device);
		EXPECT(by == t);
		if (by != t)
			printf("# %s: %s's PCI id %04x:%04x is %s in harness/targets.c\n", DEVICES_SH, name,
			       vendor, device, by ? by->name : "unknown");
		ids++;
	}
	return ids;
}

static void runner_devices_are_targets(void)
{
	char line[512];
	bool in_table = false;
	int devices = 0, ids = 0;
	FILE *f = fopen(DEVICES_SH, "r");

	EXPECT(f != NULL);
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!in_table) {
			in_table = strstr(line, TABLE_START) != NULL;
			continue;
		}
		if (line[0] == '"')
			break;
		if (line[0] == '\n')
			continue;
		ids += check_line(line);
		devices++;
	}
	fclose(f);
	/* The table was found and held devices with PCI identities. */
	EXPECT(devices > 0);
	EXPECT(ids > 0);
}

int main(void)
{
	static const struct unit_case cases[] = {
		{ "runner_devices_are_targets", runner_devices_are_targets },
	};

	return UNIT_RUN(cases);
}
