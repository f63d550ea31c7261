// SPDX-License-Identifier: GPL-2.0
/*
 * The detectors, one row each: the name its control's records carry, what
 * it watches, the control in detector_controls that makes it fire on
 * purpose, and the records whose SAFE it backs (a SAFE it backs becomes
 * UNTESTABLE when its control did not fire). The report's controls line and
 * the README's detector table are made from these rows. A new detector is
 * its own file, one row here and its control.
 */
#include <stdio.h>
#include <string.h>

#include "hp_core.h"
#include "hugepin_ref_uapi.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static bool backs_all(const struct hp_result *r)
{
	(void)r;
	return true;
}

static bool backs_refmod(const struct hp_result *r)
{
	return !strcmp(r->device, HUGEPIN_REF_NAME);
}

static bool backs_race(const struct hp_result *r)
{
	return !strcmp(r->test, "drm_repro");
}

static bool backs_dax(const struct hp_result *r)
{
	return !strcmp(r->device, "dax");
}

static bool backs_huge(const struct hp_result *r)
{
	enum hp_level l;

	return !hp_level_parse(r->level, &l) && (l == HP_LEVEL_PMD || l == HP_LEVEL_PUD);
}

/* In the order of the report's "Controls:" line. */
static const struct hp_detector detectors[] = {
	{ HP_CONTROL_KMSG, "the kernel log from a /dev/kmsg marker, and damage taint bits (harness/kmsg.c)",
	  "controls.kernel_log",
	  "a deliberate `WARN()` from the module, last (it taints the kernel: taint W)",
	  "every case", backs_all },
	{ HP_CONTROL_REFCOUNT, "the reference module's per-page refcount report at eviction (harness/refmod.c)",
	  "controls.refcount_report",
	  "without the PMD special bit: vmsplice at a block's first page, as `hugepfn_ref` does; with it (6.12+, every pin refused), or where fast GUP refuses that pin all the same (riscv before 6.15): the module takes an extra reference on a buffer page",
	  "the reference module's records", backs_refmod },
	{ HP_CONTROL_PINS, "`nr_foll_pin_acquired/released` of /proc/vmstat around the case (harness/detect.c)",
	  "controls.pin_accounting",
	  "the module takes a FOLL_PIN of 16 pages and holds it across the detector window",
	  "every case", backs_all },
	{ HP_CONTROL_CANARY, "canaries in fresh memory read back through a pin held across eviction (harness/detect.c)",
	  "controls.canary",
	  "a vmsplice pin held while its pages are freed, fresh memory filled with canaries, a read through the held pin",
	  "drm_repro's race records", backs_race },
	{ HP_CONTROL_PAGEREFS, "the references the kernel counts on pinned pages, before the pin and after its release (harness/dax.c, the module's page-reference query)",
	  "controls.page_refs",
	  "a FOLL_PIN of a DAX page taken and released by the module, then one reference taken off that page (left on it where its count is too low to lose one: the devmap pages before 6.15), undone after the check",
	  "DAX records", backs_dax },
	{ HP_CONTROL_LEVEL, "the page-table level backing the mapping (harness/map.c, harness/walk.c)",
	  "controls.level_probe",
	  "maps a reference-module buffer by a PMD, another under `pte_only`, and anonymous memory without THP",
	  "every record that claims a pmd or pud mapping", backs_huge },
};

const struct hp_detector *hp_detector_at(size_t i)
{
	return i < ARRAY_LEN(detectors) ? &detectors[i] : NULL;
}

const struct hp_detector *hp_detector_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(detectors); i++)
		if (!strcmp(detectors[i].name, name))
			return &detectors[i];
	return NULL;
}

size_t hp_detector_table_md(char *buf, size_t len)
{
	size_t n = 0;

	n += (size_t)snprintf(buf, len,
			      "| detector | watches | control | what the control does | backs |\n"
			      "|---|---|---|---|---|\n");
	for (size_t i = 0; i < ARRAY_LEN(detectors) && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "| %s | %s | `%s` | %s | %s |\n",
				      detectors[i].name, detectors[i].watches,
				      detectors[i].control, detectors[i].control_does,
				      detectors[i].backs_what);
	return n;
}
