// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the KTAP reader (report_ktap.c): kselftest output
 * from a guest that may have been killed mid-line, runner output with
 * nested "# " levels, and arbitrary bytes in test names.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hp_ktap k = { 0 };
	size_t i;

	if (hp_ktap_parse(&k, (const char *)data, size, "fuzz") == 0) {
		for (i = 0; i < k.n; i++) {
			const struct hp_ktap_prog *p = &k.progs[i];

			if (strlen(p->name) >= sizeof(p->name) || p->exit_ok < -1 ||
			    p->exit_ok > 1 || p->planned < -1)
				abort();
		}
	} else if (k.n) {
		/* A failed parse found no TAP, so it cannot have named programs. */
		abort();
	}
	hp_ktap_free(&k);
	return 0;
}
