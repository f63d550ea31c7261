// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the verdict rules (verdict.c): each rule of DESIGN.md with
 * the evidence a real case produces, e.g. O_DIRECT into a TTM buffer that
 * Debian's 6.1 refuses with EFAULT (SAFE), the reference module's huge pfn
 * PMD pinned by fast GUP (VULNERABLE, expected before 6.12), and a pin that
 * succeeded on shmem pages while a detector fired (VULNERABLE).
 */
#include <errno.h>

#include "hp_core.h"
#include "unit.h"

static struct hp_evidence base(enum hp_owner owner, enum hp_level level)
{
	struct hp_evidence ev = {
		.owner = owner,
		.level = level,
		.attempted = true,
	};

	return ev;
}

static void not_attempted_is_untestable(void)
{
	struct hp_evidence ev = base(HP_OWNER_DRIVER, HP_LEVEL_UNKNOWN);
	char why[128];

	ev.attempted = false;
	ev.untestable_why = "no DRM device";
	EXPECT_EQ(hp_decide(&ev, why, sizeof(why)), HP_UNTESTABLE);
	EXPECT_STR(why, "no DRM device");
	ev.untestable_why = NULL;
	EXPECT_EQ(hp_decide(&ev, why, sizeof(why)), HP_UNTESTABLE);
	EXPECT_STR(why, "not attempted");
	/* Detectors cannot have fired for a case that never ran. */
	ev.splats = HP_SPLAT_WARNING;
	EXPECT_EQ(hp_decide(&ev, why, sizeof(why)), HP_UNTESTABLE);
}

static void refused_pin_is_safe(void)
{
	struct hp_evidence ev = base(HP_OWNER_DRIVER, HP_LEVEL_PMD);
	char why[128];

	ev.pin_err = EFAULT;
	EXPECT_EQ(hp_decide(&ev, why, sizeof(why)), HP_SAFE);
	EXPECT_CONTAINS(why, "refused: EFAULT");
	EXPECT_CONTAINS(why, "level pmd");
	ev.pin_err = EOPNOTSUPP;
	EXPECT_EQ(hp_decide(&ev, why, sizeof(why)), HP_SAFE);
	EXPECT_CONTAINS(why, "refused: EOPNOTSUPP");
	ev.pin_err = 1234;
	EXPECT_EQ(hp_decide(&ev, why, sizeof(why)), HP_SAFE);
	EXPECT_CONTAINS(why, "errno 1234");
}

/* The level says whether its entry was special, and why it is unknown when that is known. */
static void level_special_and_why(void)
{
	struct hp_evidence ev = base(HP_OWNER_DRIVER, HP_LEVEL_PMD);
	char why[160];

	ev.pin_err = EFAULT;
	ev.special = HP_SPECIAL_YES;
	EXPECT_EQ(hp_decide(&ev, why, sizeof(why)), HP_SAFE);
	EXPECT_CONTAINS(why, "level pmd, special");
	ev.special = HP_SPECIAL_NO;
	hp_decide(&ev, why, sizeof(why));
	EXPECT_CONTAINS(why, "level pmd, not special");
	ev.huge_required = true;
	ev.level = HP_LEVEL_UNKNOWN;
	ev.special = HP_SPECIAL_UNKNOWN;
	ev.level_why = "/dev/hugepin_walk: No such file or directory";
	EXPECT_EQ(hp_decide(&ev, why, sizeof(why)), HP_UNTESTABLE);
	EXPECT_CONTAINS(why, "no huge mapping formed (level unknown: /dev/hugepin_walk: No such file");
	/* A known level never carries the reason. */
	ev.level = HP_LEVEL_PTE;
	hp_decide(&ev, why, sizeof(why));
	EXPECT_CONTAINS(why, "(level pte)");
}

static void driver_pin_is_vulnerable(void)
{
	struct hp_evidence ev = base(HP_OWNER_DRIVER, HP_LEVEL_PMD);
	char why[256];

	ev.bytes = 65536;
	EXPECT_EQ(hp_decide(&ev, why, sizeof(why)), HP_VULNERABLE);
	EXPECT_CONTAINS(why, "fast GUP pinned driver-owned pages: 65536 bytes");
	EXPECT_CONTAINS(why, "level pmd");
}

static void expected_vulnerable_is_annotated(void)
{
	struct hp_evidence ev = base(HP_OWNER_DRIVER, HP_LEVEL_PMD);
	char why[256];
	char tiny[40];
	size_t n;

	ev.bytes = 8192;
	ev.vuln_expected = true;
	ev.expected_why = "no PMD special bit";
	EXPECT_EQ(hp_decide(&ev, why, sizeof(why)), HP_VULNERABLE);
	n = strlen(why);
	EXPECT(n > 30 && !strcmp(why + n - strlen(" (expected: no PMD special bit)"),
				 " (expected: no PMD special bit)"));
	/* A short buffer cuts the evidence, never the annotation. */
	EXPECT_EQ(hp_decide(&ev, tiny, sizeof(tiny)), HP_VULNERABLE);
	EXPECT_CONTAINS(tiny, "(expected: no PMD special bit)");
	ev.expected_why = NULL;
	EXPECT_EQ(hp_decide(&ev, why, sizeof(why)), HP_VULNERABLE);
	EXPECT_CONTAINS(why, "(expected: ");
	/* A SAFE outcome is never annotated. */
	ev.pin_err = EFAULT;
	EXPECT_EQ(hp_decide(&ev, why, sizeof(why)), HP_SAFE);
	EXPECT(!strstr(why, "expected"));
}

static void no_huge_mapping_is_untestable(void)
{
	struct hp_evidence ev = base(HP_OWNER_PAGES, HP_LEVEL_PTE);
	char why[128];

	ev.huge_required = true;
	ev.bytes = 4096;
	EXPECT_EQ(hp_decide(&ev, why, sizeof(why)), HP_UNTESTABLE);
	EXPECT_CONTAINS(why, "no huge mapping formed");
	ev.pin_err = EFAULT;
	EXPECT_EQ(hp_decide(&ev, why, sizeof(why)), HP_UNTESTABLE);
	ev.level = HP_LEVEL_PUD;
	EXPECT_EQ(hp_decide(&ev, why, sizeof(why)), HP_SAFE);
}

static void refcounted_pin_is_safe(void)
{
	struct hp_evidence ev = base(HP_OWNER_PAGES, HP_LEVEL_PMD);
	char why[128];

	ev.bytes = 1 << 20;
	ev.huge_required = true;
	EXPECT_EQ(hp_decide(&ev, why, sizeof(why)), HP_SAFE);
	EXPECT_CONTAINS(why, "pinned 1048576 bytes, refcounted");
}

static void each_detector_fires(void)
{
	struct hp_evidence ev;
	char why[HP_TEXT_LEN];

	ev = base(HP_OWNER_PAGES, HP_LEVEL_PMD);
	ev.splats = HP_SPLAT_BAD_PAGE;
	strcpy(ev.splat_line, "BUG: Bad page state in process pin_odirect  pfn:10a200");
	EXPECT_EQ(hp_decide(&ev, why, sizeof(why)), HP_VULNERABLE);
	EXPECT_CONTAINS(why, "BUG: Bad page state in process pin_odirect");

	ev = base(HP_OWNER_PAGES, HP_LEVEL_PMD);
	ev.taint_new = 1ul << 5;
	EXPECT_EQ(hp_decide(&ev, why, sizeof(why)), HP_VULNERABLE);
	EXPECT_CONTAINS(why, "taint B");

	ev = base(HP_OWNER_PAGES, HP_LEVEL_PMD);
	ev.pin_leak = 16;
	EXPECT_EQ(hp_decide(&ev, why, sizeof(why)), HP_VULNERABLE);
	EXPECT_CONTAINS(why, "pin accounting off by 16");

	ev = base(HP_OWNER_PAGES, HP_LEVEL_PMD);
	ev.canary_bad = 4096;
	EXPECT_EQ(hp_decide(&ev, why, sizeof(why)), HP_VULNERABLE);
	EXPECT_CONTAINS(why, "canary: 4096 bytes");

	ev = base(HP_OWNER_DRIVER, HP_LEVEL_PMD);
	ev.pin_err = EFAULT;
	ev.extra_refs = 15;
	EXPECT_EQ(hp_decide(&ev, why, sizeof(why)), HP_VULNERABLE);
	EXPECT_CONTAINS(why, "refused: EFAULT");
	EXPECT_CONTAINS(why, "15 pages with extra references");
}

static void module_taint_is_ignored(void)
{
	struct hp_evidence ev = base(HP_OWNER_PAGES, HP_LEVEL_PMD);
	char why[128];

	/* Loading the out-of-tree reference module taints O and E: not damage. */
	ev.taint_new = (1ul << 12) | (1ul << 13);
	EXPECT_EQ(hp_decide(&ev, why, sizeof(why)), HP_SAFE);
}

static void all_findings_listed(void)
{
	struct hp_evidence ev = base(HP_OWNER_DRIVER, HP_LEVEL_PMD);
	char why[HP_TEXT_LEN];

	ev.bytes = 65536;
	ev.splats = HP_SPLAT_VM_BUG | HP_SPLAT_BUG;
	strcpy(ev.splat_line, "kernel BUG at mm/swap.c:102!");
	ev.taint_new = (1ul << 7) | (1ul << 12);
	ev.extra_refs = 15;
	EXPECT_EQ(hp_decide(&ev, why, sizeof(why)), HP_VULNERABLE);
	EXPECT_CONTAINS(why, "pinned 65536 bytes");
	EXPECT_CONTAINS(why, "kernel BUG at mm/swap.c:102!");
	EXPECT_CONTAINS(why, "taint D");
	EXPECT_CONTAINS(why, "taint D;");
	EXPECT_CONTAINS(why, "15 pages");
}

static void why_buffer_edges(void)
{
	struct hp_evidence ev = base(HP_OWNER_PAGES, HP_LEVEL_PMD);
	char one[1] = { 'x' };
	char small[8];

	ev.pin_err = EFAULT;
	EXPECT_EQ(hp_decide(&ev, NULL, 0), HP_SAFE);
	EXPECT_EQ(hp_decide(&ev, one, sizeof(one)), HP_SAFE);
	EXPECT_EQ(one[0], '\0');
	EXPECT_EQ(hp_decide(&ev, small, sizeof(small)), HP_SAFE);
	EXPECT_EQ(strlen(small), sizeof(small) - 1);
}

/*
 * Destroying a vmwgfx buffer after fast GUP pinned it on Debian's 5.10: TTM
 * finds the refcounts off and says so, then the page allocator does.
 */
static void buffer_destroyed_step(void)
{
	struct hp_evidence ev = base(HP_OWNER_DRIVER, HP_LEVEL_UNKNOWN);
	char why[200];

	EXPECT_EQ(hp_decide_step(&ev, "buffer destroyed", why, sizeof(why)), HP_SAFE);
	EXPECT_CONTAINS(why, "buffer destroyed: no detector fired");
	ev.splats = HP_SPLAT_BAD_PAGE;
	snprintf(ev.splat_line, sizeof(ev.splat_line), "[TTM] Erroneous page count. Leaking pages.");
	EXPECT_EQ(hp_decide_step(&ev, "buffer destroyed", why, sizeof(why)), HP_VULNERABLE);
	EXPECT_CONTAINS(why, "Erroneous page count");
	EXPECT_EQ(strstr(why, "expected") == NULL, true);
	ev.vuln_expected = true;
	ev.expected_why = "no PMD special bit";
	EXPECT_EQ(hp_decide_step(&ev, "buffer destroyed", why, 40), HP_VULNERABLE);
	EXPECT_CONTAINS(why, "(expected: no PMD special bit)");
}

static const struct unit_case cases[] = {
	{ "level_special_and_why", level_special_and_why },
	{ "not_attempted_is_untestable", not_attempted_is_untestable },
	{ "refused_pin_is_safe", refused_pin_is_safe },
	{ "driver_pin_is_vulnerable", driver_pin_is_vulnerable },
	{ "expected_vulnerable_is_annotated", expected_vulnerable_is_annotated },
	{ "no_huge_mapping_is_untestable", no_huge_mapping_is_untestable },
	{ "refcounted_pin_is_safe", refcounted_pin_is_safe },
	{ "each_detector_fires", each_detector_fires },
	{ "module_taint_is_ignored", module_taint_is_ignored },
	{ "all_findings_listed", all_findings_listed },
	{ "why_buffer_edges", why_buffer_edges },
	{ "buffer_destroyed_step", buffer_destroyed_step },
};

int main(void)
{
	return UNIT_RUN(cases);
}
