// SPDX-License-Identifier: GPL-2.0
/*
 * The huge pfn providers of a run: every kind of kernel memory that can be
 * mapped by huge pfn entries, and whether this run exercised it, whether
 * this kernel lacks it (its version, or a config symbol the runner read from
 * the kernel's config), or why it was not exercised and what would. A SAFE
 * grid means little when the provider the kernel has was never mapped huge:
 * this says so, one provider a line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"

#define KV(major, minor) ((major) << 8 | (minor))

/*
 * @since and @until bound the kernel versions that have the provider (0:
 * no bound); @config is the symbol it needs, without CONFIG_; @how says what
 * exercises it where the kernel has it.
 */
static const struct provider {
	const char *name;
	const char *devices;		/* record devices, a comma list */
	unsigned int since, until;
	const char *since_why, *until_why;
	const char *config;
	const char *how;
} providers[] = {
	{ "reference module", "hugepin_ref", 0, 0, NULL, NULL, NULL,
	  "the module built against this kernel's headers (run.sh builds it)" },
	{ "reference module device memory", "hugepin_vram", 0, 0, NULL, NULL, NULL,
	  "a free ivshmem-plain BAR for the module (run.sh's guests have one)" },
	{ "TTM huge faults (vmwgfx)", "vmwgfx", KV(5, 7), KV(5, 16),
	  "TTM huge faults came in 5.7 (314b6580adc5)",
	  "TTM huge faults were removed in 5.16 and 5.15.y/5.14.y (0d979509539e)", "DRM_VMWGFX",
	  "vmwgfx bound to a VMware SVGA device (run.sh: QEMU's vmware-svga through the shim, x86 only)" },
	{ "GEM shmem huge PMDs", "vgem,virtio_gpu,bochs", KV(7, 0), 0,
	  "GEM shmem huge PMDs came in 7.0 (211b9a39f261)", NULL, "DRM_GEM_SHMEM_HELPER",
	  "huge shmem folios: run.sh --shmem-thp always" },
	/*
	 * DAX maps PMDs over pages the kernel refcounts (devmap before 6.15,
	 * folios since b6cc78551f3a): pins must succeed and balance.
	 */
	{ "DAX huge PMDs", "dax", 0, 0, NULL, NULL, "DEV_DAX",
	  "a DAX region (run.sh's x86 guests: legacy pmem from memmap= as device DAX)" },
	{ "vfio-pci BAR huge faults", "vfio", KV(6, 12), 0,
	  "vfio-pci huge faults came in 6.12 (f9e54c3a2f5b)", NULL, "VFIO_PCI",
	  "a large BAR bound to vfio-pci (run.sh adds one on kernels that have these faults; --devices vfio forces it)" },
};

#define NPROVIDERS (sizeof(providers) / sizeof(providers[0]))

static bool in_list(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, name, n) && (p[n] == ',' || !p[n]))
			return true;
	return false;
}

int hp_report_add_kconfig(struct hp_report *rep, const char *text, size_t len)
{
	char *copy = malloc(len + 2);

	if (!copy)
		return -ENOMEM;
	/* A leading newline lets every symbol match at a line start. */
	copy[0] = '\n';
	memcpy(copy + 1, text, len);
	copy[len + 1] = '\0';
	rep->kconfig_known = true;
	rep->kconfig_set = 0;
	for (size_t i = 0; i < NPROVIDERS; i++) {
		char y[64], m[64];

		if (!providers[i].config)
			continue;
		snprintf(y, sizeof(y), "\nCONFIG_%s=y", providers[i].config);
		snprintf(m, sizeof(m), "\nCONFIG_%s=m", providers[i].config);
		if (strstr(copy, y) || strstr(copy, m))
			rep->kconfig_set |= 1u << i;
	}
	free(copy);
	return 0;
}

/* The kernel's major.minor from its release ("6.1.0-57-amd64"), 0 if it has none. */
static unsigned int kernel_version(const char *release)
{
	unsigned int major, minor;

	if (sscanf(release, "%u.%u", &major, &minor) != 2 || minor > 255)
		return 0;
	return KV(major, minor);
}

/*
 * Count @p's records by level into @st; @untestable gets a reason when none
 * was noted yet, a set-up failure's over a single method's.
 */
static void tally(const struct hp_report *rep, const struct provider *p,
		  struct hp_provider_state *st, const char **untestable, size_t *small)
{
	bool noted = *untestable != NULL;

	for (size_t i = 0; i < rep->nrows; i++) {
		const struct hp_row *row = &rep->rows[i];
		const struct hp_result *r = &row->r;
		const struct hp_target_info *t = hp_target_info(r->device);

		if (!in_list(p->devices, r->device))
			continue;
		if (r->verdict == HP_UNTESTABLE) {
			/* A device's set-up failure speaks for it before one method's reason. */
			if (!*untestable || (!noted && !strcmp(r->method, "-")))
				*untestable = reason_of(r->evidence);
			continue;
		}
		if (!strcmp(r->level, "pmd"))
			st->pmd++;
		else if (!strcmp(r->level, "pud"))
			st->pud++;
		/* Driver-owned memory has special PTEs: a pin that got through met a huge entry. */
		else if (t && t->kind == HP_MEM_DRIVER &&
			 ((r->err == 0 && r->bytes > 0) ||
			  (row->from_console && r->verdict == HP_VULNERABLE)))
			st->inferred++;
		else
			(*small)++;
	}
}

static void runner_note(const struct hp_report *rep, const struct provider *p, const char **why)
{
	for (size_t i = 0; i < rep->nuntestable && !*why; i++)
		if (in_list(p->devices, rep->untestable[i].device))
			*why = rep->untestable[i].why;
}

size_t hp_report_providers(const struct hp_report *rep, struct hp_provider_state *out,
			   size_t max)
{
	unsigned int version = kernel_version(rep->kernel);
	size_t n = 0;

	for (size_t i = 0; i < NPROVIDERS && n < max; i++) {
		const struct provider *p = &providers[i];
		struct hp_provider_state *st = &out[n++];
		const char *untestable = NULL;
		size_t small = 0;

		memset(st, 0, sizeof(*st));
		st->name = p->name;
		/* The runner's note on a device that could not run at all comes first. */
		runner_note(rep, p, &untestable);
		tally(rep, p, st, &untestable, &small);
		if (st->pmd || st->pud || st->inferred) {
			st->state = HP_PROVIDER_EXERCISED;
		} else if (version && p->since && version < p->since) {
			st->state = HP_PROVIDER_ABSENT;
			snprintf(st->why, sizeof(st->why), "%s", p->since_why);
		} else if (version && p->until && version >= p->until) {
			st->state = HP_PROVIDER_ABSENT;
			snprintf(st->why, sizeof(st->why), "%s", p->until_why);
		} else if (p->config && rep->kconfig_known && !(rep->kconfig_set & (1u << i))) {
			st->state = HP_PROVIDER_ABSENT;
			snprintf(st->why, sizeof(st->why), "CONFIG_%s is not set", p->config);
		} else {
			st->state = HP_PROVIDER_NOT_EXERCISED;
			if (untestable)
				snprintf(st->why, sizeof(st->why), "%s", untestable);
			else if (small)
				snprintf(st->why, sizeof(st->why),
					 "no huge entry formed (%zu record%s at pte or unknown level)",
					 small, small == 1 ? "" : "s");
			else
				snprintf(st->why, sizeof(st->why), "no case of this run mapped it");
			hp_appendf(st->why, sizeof(st->why), "; needs %s", p->how);
		}
	}
	return n;
}

const char *hp_provider_state_name(enum hp_provider_state_kind s)
{
	switch (s) {
	case HP_PROVIDER_EXERCISED:
		return "exercised";
	case HP_PROVIDER_ABSENT:
		return "absent";
	default:
		return "not exercised";
	}
}

/* "at pmd (69 records)", "at pmd and pud (4, 2 records)", "inferred from the pin (3 records)" */
void hp_provider_levels(const struct hp_provider_state *st, char *buf, size_t len)
{
	buf[0] = '\0';
	if (st->pmd && st->pud)
		hp_appendf(buf, len, "at pmd and pud (%zu and %zu records)", st->pmd, st->pud);
	else if (st->pmd || st->pud)
		hp_appendf(buf, len, "at %s (%zu record%s)", st->pmd ? "pmd" : "pud",
			   st->pmd + st->pud, st->pmd + st->pud == 1 ? "" : "s");
	if (st->inferred)
		hp_appendf(buf, len, "%s%zu record%s inferred from the pin", buf[0] ? "; " : "",
			   st->inferred, st->inferred == 1 ? "" : "s");
}
