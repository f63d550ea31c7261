// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the kernel log classifier (kmsg.c), which reads
 * whatever a crashing guest leaves on its serial console: cut-off lines,
 * stray bytes, half-written /dev/kmsg headers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hp_core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1);
	char taint[64];
	unsigned int mask;
	unsigned long bits = 0;

	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	mask = hp_kmsg_classify(line);
	/* Only the documented bits may come back. */
	if (mask & ~((HP_SPLAT_HUNG << 1) - 1))
		abort();
	if (hp_splat_is_page_damage(mask, line) && !mask)
		abort();
	if (!strcmp(hp_splat_name(mask), "none") != !mask)
		abort();
	memcpy(&bits, data, size < sizeof(bits) ? size : sizeof(bits));
	hp_taint_describe(bits, taint, size % sizeof(taint) + 1);
	if (strlen(taint) > size % sizeof(taint))
		abort();
	free(line);
	return 0;
}
