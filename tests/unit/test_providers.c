// SPDX-License-Identifier: GPL-2.0
/*
 * The huge pfn providers of a report (report_providers.c) and the grid's
 * rule that a cell reads SAFE only over a huge entry (report_grid.c).
 */
#include <string.h>

#include "report_fixtures.h"

#define RESULT(dev, meth, level, verdict, err, bytes, ev)				\
	"{\"type\":\"start\",\"test\":\"t\",\"name\":\"f." dev "." meth "\"}\n"		\
	"{\"type\":\"result\",\"test\":\"t\",\"name\":\"f." dev "." meth "\",\"device\":\""	\
	dev "\",\"driver\":\"d\",\"method\":\"" meth "\",\"level\":\"" level "\","	\
	"\"verdict\":\"" verdict "\",\"expected\":false,\"err\":" #err ",\"bytes\":" #bytes \
	",\"evidence\":\"" ev "\"}\n"

/* A 7.2 kernel: vgem at pmd, virtio_gpu at pte, vfio's PUD case untestable beside its PTE case. */
static const char records_72[] =
	RESULT("vgem", "vmsplice", "pmd", "SAFE", 14, 0, "refused: EFAULT; level pmd, special")
	RESULT("virtio_gpu", "vmsplice", "pte", "SAFE", 14, 0, "refused: EFAULT; level pte")
	RESULT("vfio", "vmsplice", "pte", "SAFE", 14, 0, "refused: EFAULT; level pte")
	RESULT("vfio", "vmsplice", "unknown", "UNTESTABLE", 0, 0, "vfio: no PUD formed (level pmd)")
	RESULT("hugepin_ref", "vmsplice", "pud", "SAFE", 14, 0, "refused: EFAULT; level pud, special")
	RESULT("hugepin_ref", "odirect_read", "pmd", "SAFE", 14, 0, "refused: EFAULT; level pmd, special");

static const char kconfig_no_vfio[] =
	"CONFIG_DRM_VMWGFX=m\n"
	"# CONFIG_VFIO_PCI is not set\n"
	"CONFIG_VFIO_PCI_CORE=m\n"
	"CONFIG_DRM_GEM_SHMEM_HELPER=y\n";

static const struct hp_provider_state *find(const struct hp_provider_state *st, size_t n,
					    const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(st[i].name, name))
			return &st[i];
	return NULL;
}

static void load72(struct hp_report *rep, const char *kernel)
{
	hp_report_init(rep, kernel);
	EXPECT_EQ(hp_report_add_records(rep, S(records_72)), 0);
	EXPECT_EQ(hp_report_attribute(rep, NULL, 0, NULL, 0), 0);
}

static void providers_by_level_version_and_config(void)
{
	struct hp_provider_state st[HP_MAX_PROVIDERS];
	const struct hp_provider_state *p;
	struct hp_report rep;
	size_t n;

	load72(&rep, "7.2.13+deb14-amd64");
	n = hp_report_providers(&rep, st, HP_MAX_PROVIDERS);
	p = find(st, n, "GEM shmem huge PMDs");
	EXPECT(p && p->state == HP_PROVIDER_EXERCISED && p->pmd == 1);
	p = find(st, n, "reference module");
	EXPECT(p && p->state == HP_PROVIDER_EXERCISED && p->pmd == 1 && p->pud == 1);
	/* 7.2 is past TTM's huge faults. */
	p = find(st, n, "TTM huge faults (vmwgfx)");
	EXPECT(p && p->state == HP_PROVIDER_ABSENT);
	if (p)
		EXPECT_CONTAINS(p->why, "removed in 5.16");
	/* The kernel has vfio's huge faults, the run did not form one: the reason and what would. */
	p = find(st, n, "vfio-pci BAR huge faults");
	EXPECT(p && p->state == HP_PROVIDER_NOT_EXERCISED);
	if (p) {
		EXPECT_CONTAINS(p->why, "vfio: no PUD formed (level pmd)");
		EXPECT_CONTAINS(p->why, "--devices vfio");
	}
	/* The kernel's config decides where the version cannot. */
	EXPECT_EQ(hp_report_add_kconfig(&rep, S(kconfig_no_vfio)), 0);
	n = hp_report_providers(&rep, st, HP_MAX_PROVIDERS);
	p = find(st, n, "vfio-pci BAR huge faults");
	EXPECT(p && p->state == HP_PROVIDER_ABSENT);
	if (p)
		EXPECT_STR(p->why, "CONFIG_VFIO_PCI is not set");
	hp_report_free(&rep);

	/* On 6.1 the same records cannot have come from vfio's huge faults: absent by version. */
	load72(&rep, "6.1.0-57-amd64");
	n = hp_report_providers(&rep, st, HP_MAX_PROVIDERS);
	p = find(st, n, "vfio-pci BAR huge faults");
	EXPECT(p && p->state == HP_PROVIDER_ABSENT);
	if (p)
		EXPECT_CONTAINS(p->why, "6.12");
	hp_report_free(&rep);
}

static void summary_and_json_name_providers(void)
{
	struct hp_buf out = { 0 };
	struct hp_report rep;

	load72(&rep, "7.2.13+deb14-amd64");
	hp_report_summary_text(&rep, NULL, &out);
	EXPECT_CONTAINS(out.s, "Provider GEM shmem huge PMDs: exercised at pmd (1 record).\n");
	EXPECT_CONTAINS(out.s, "Provider reference module: exercised at pmd and pud (1 and 1 records).\n");
	EXPECT_CONTAINS(out.s, "Provider TTM huge faults (vmwgfx): absent from this kernel: ");
	hp_buf_free(&out);
	hp_report_json(&rep, NULL, &out);
	EXPECT_CONTAINS(out.s, "{\"provider\":\"GEM shmem huge PMDs\",\"state\":\"exercised\",\"pmd\":1,");
	hp_buf_free(&out);
	hp_report_free(&rep);
}

/* The grid row of @dev in @grid, up to its newline. */
static const char *grid_row(const char *grid, const char *dev, char *buf, size_t len)
{
	const char *p = strstr(grid, dev);
	size_t n;

	if (!p)
		return "";
	n = strcspn(p, "\n");
	snprintf(buf, len, "%.*s", (int)n, p);
	return buf;
}

static void grid_safe_only_over_huge_entries(void)
{
	struct hp_buf out = { 0 };
	struct hp_report rep;
	char row[256];

	load72(&rep, "7.2.13+deb14-amd64");
	hp_report_grid(&rep, 0, &out);
	EXPECT_CONTAINS(grid_row(out.s, "vgem ", row, sizeof(row)), "SAFE");
	/* A pin refused over PTEs is no SAFE: the cell names the level. */
	EXPECT_CONTAINS(grid_row(out.s, "virtio_gpu ", row, sizeof(row)), "pte");
	EXPECT(!strstr(grid_row(out.s, "virtio_gpu ", row, sizeof(row)), "SAFE"));
	/* The PTE case does not outrank the untestable huge case of its cell. */
	EXPECT_CONTAINS(grid_row(out.s, "vfio ", row, sizeof(row)), "UNTEST");
	EXPECT_CONTAINS(out.s, "UNTESTABLE vfio/vmsplice: vfio: no PUD formed (level pmd)");
	hp_buf_free(&out);
	hp_report_free(&rep);
}

static const struct unit_case cases[] = {
	{ "providers_by_level_version_and_config", providers_by_level_version_and_config },
	{ "summary_and_json_name_providers", summary_and_json_name_providers },
	{ "grid_safe_only_over_huge_entries", grid_safe_only_over_huge_entries },
};

int main(void)
{
	return UNIT_RUN(cases);
}
