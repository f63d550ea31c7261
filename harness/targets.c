// SPDX-License-Identifier: GPL-2.0
/*
 * The memory targets the suite names in its records: DRM devices, the
 * reference module and the controls, the rows of HP_TARGETS (hp_core.h).
 * Each says what kind of memory it is, the bug path a huge entry over it
 * exercises, whether its buffer objects are TTM objects, and which PCI
 * display device its driver takes. The guest library, drm_repro and the
 * host report all read it here.
 */
#include <string.h>

#include "hp_core.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define TARGET_ROW(arg, tname, bo, evict, ...) { .name = #tname, __VA_ARGS__ },
static const struct hp_target_info targets[] = {
	HP_TARGETS(TARGET_ROW, 0)
	/* A console row whose case name did not tell the device. */
	{ .name = "-", .kind = HP_MEM_CONTROL },
};

const struct hp_target_info *hp_target_info(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(targets); i++)
		if (!strcmp(targets[i].name, name))
			return &targets[i];
	return NULL;
}

const struct hp_target_info *hp_target_at(size_t i)
{
	return i < ARRAY_LEN(targets) ? &targets[i] : NULL;
}

const struct hp_target_info *hp_target_by_pci(unsigned int vendor, unsigned int device)
{
	for (size_t i = 0; i < ARRAY_LEN(targets); i++)
		for (size_t j = 0; j < ARRAY_LEN(targets[i].pci) && targets[i].pci[j].vendor; j++)
			if (targets[i].pci[j].vendor == vendor &&
			    (targets[i].pci[j].device < 0 ||
			     (unsigned int)targets[i].pci[j].device == device))
				return &targets[i];
	return NULL;
}

void hp_target_drm_names(char *buf, size_t len)
{
	size_t at = 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_LEN(targets) && at < len; i++) {
		int n;

		if (!targets[i].drm)
			continue;
		n = snprintf(buf + at, len - at, "%s%s", at ? ", " : "", targets[i].name);
		at += n > 0 ? (size_t)n : 0;
	}
}
