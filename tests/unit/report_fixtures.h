/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Records and serial console logs shared by the report unit tests
 * (test_report.c, test_report_render.c), and the helpers that load them.
 */
#ifndef HP_REPORT_FIXTURES_H
#define HP_REPORT_FIXTURES_H

#include <errno.h>
#include <stdlib.h>

#include "report.h"
#include "unit.h"
#define S(x) x, strlen(x)

static const char records_crash[] =
	"{\"type\":\"start\",\"test\":\"pin_odirect\",\"name\":\"drm_bo.bochs.odirect_read\","
	"\"device\":\"bochs\",\"method\":\"odirect_read\"}\n"
	"{\"type\":\"result\",\"test\":\"pin_odirect\",\"name\":\"drm_bo.bochs.odirect_read\","
	"\"device\":\"bochs\",\"driver\":\"bochs-drm\",\"method\":\"odirect_read\",\"level\":\"pte\","
	"\"verdict\":\"SAFE\",\"expected\":false,\"err\":14,\"bytes\":0,"
	"\"evidence\":\"refused: EFAULT; level pte\"}\n"
	"{\"type\":\"start\",\"test\":\"hugepfn_ref\",\"name\":\"hugepfn_map.pmd.odirect_read\","
	"\"device\":\"hugepin_ref\",\"method\":\"odirect_read\"}\n"
	"{\"type\":\"result\",\"test\":\"hugepfn_ref\",\"name\":\"hugepfn_map.pmd.odirect_read\","
	"\"device\":\"hugepin_ref\",\"driver\":\"hugepin_ref\",\"method\":\"odirect_read\",\"level\":\"pmd\","
	"\"verdict\":\"VULNERABLE\",\"expected\":true,\"err\":0,\"bytes\":65536,"
	"\"evidence\":\"fast GUP pinned driver-owned pages: 65536 bytes; level pmd (expected: no PMD special bit)\"}\n"
	"{\"type\":\"start\",\"test\":\"pin_vmsplice\",\"name\":\"drm_bo.qxl.vmsplice\","
	"\"device\":\"qxl\",\"method\":\"vmsplice\"}\n";

static const char console_damage[] =
	"[    1.000000] Linux version 6.1.0-56-amd64\r\n"
	"[    5.100000] hugepin: start pin_odirect drm_bo.bochs.odirect_read\r\n"
	"[    5.200000] hugepin: start hugepfn_ref hugepfn_map.pmd.odirect_read\r\n"
	"[    5.300000] hugepin: start pin_vmsplice drm_bo.qxl.vmsplice\r\n"
	"[    5.400000] page:00000000a1b2c3d4 refcount:0 mapcount:0 mapping:0000000000000000 index:0x0 pfn:0x10a201\r\n"
	"[    5.400001] page dumped because: VM_BUG_ON_PAGE(page_ref_count(page) == 0)\r\n"
	"[    5.400002] kernel BUG at include/linux/mm.h:1240!\r\n"
	"[    5.400100] Kernel panic - not syncing: Fatal exception\r\n";

static const char console_gpf[] =
	"[    5.300000] hugepin: start pin_vmsplice drm_bo.qxl.vmsplice\n"
	"[    5.500000] general protection fault, probably for non-canonical address 0xdead000000000100: 0000 [#1] PREEMPT SMP NOPTI\n"
	"[    5.500100] RIP: 0010:qxl_bo_unref+0x10/0x40 [qxl]\n"
	"[    5.600000] Kernel panic - not syncing: Fatal exception\n";

static const char records_safe[] =
	"{\"type\":\"start\",\"test\":\"pin_vmsplice\",\"name\":\"drm_bo.qxl.vmsplice\","
	"\"device\":\"qxl\",\"method\":\"vmsplice\"}\n"
	"{\"type\":\"result\",\"test\":\"pin_vmsplice\",\"name\":\"drm_bo.qxl.vmsplice\","
	"\"device\":\"qxl\",\"driver\":\"qxl\",\"method\":\"vmsplice\",\"level\":\"pte\","
	"\"verdict\":\"SAFE\",\"expected\":false,\"err\":14,\"bytes\":0,\"evidence\":\"refused: EFAULT\"}\n"
	"{\"type\":\"result\",\"test\":\"pin_vmsplice\",\"name\":\"drm_bo.qxl.vmsplice\","
	"\"device\":\"qxl\",\"driver\":\"qxl\",\"method\":\"odirect_read\",\"level\":\"pte\","
	"\"verdict\":\"SAFE\",\"expected\":false,\"err\":14,\"bytes\":0,\"evidence\":\"refused: EFAULT\"}\n"
	"{\"type\":\"result\",\"test\":\"pin_odirect\",\"name\":\"drm_bo.vmwgfx.odirect_read\","
	"\"device\":\"vmwgfx\",\"driver\":\"-\",\"method\":\"odirect_read\",\"level\":\"unknown\","
	"\"verdict\":\"UNTESTABLE\",\"expected\":false,\"err\":0,\"bytes\":0,\"evidence\":\"no DRM device vmwgfx\"}\n";

/* One result record line; the fields the coverage rule reads are the arguments. */
#define REC(test, name, device, method, level, verdict, err, bytes, evidence)		\
	"{\"type\":\"result\",\"test\":\"" test "\",\"name\":\"" name "\",\"device\":\""	\
	device "\",\"driver\":\"" device "\",\"method\":\"" method "\",\"level\":\"" level	\
	"\",\"verdict\":\"" verdict "\",\"expected\":false,\"err\":" #err ",\"bytes\":"	\
	#bytes ",\"evidence\":\"" evidence "\"}\n"

/* Debian 12's 6.12: the reference module's PMD forms, fast GUP refuses it. */
static const char records_fixed[] =
	REC("hugepfn_ref", "hugepfn_map.noncompound_pmd.odirect_read", "hugepin_ref",
	    "odirect_read", "pmd", "SAFE", 14, 0, "off=0x0 len=0x10000: refused: EFAULT; level pmd");

/* Only controls and TTM mappings without huge entries: nothing could show the bug. */
static const char records_controls[] =
	REC("pin_vmsplice", "anon_thp.thp_2m.splice_thp", "anon", "vmsplice", "pmd", "SAFE", 0,
	    65536, "off=0x0 len=0x10000: pinned 65536 bytes, refcounted; level pmd")
	REC("gup_stress", "gup_stress.shmem_thp.odirect_read", "shmem_thp", "odirect_read", "pmd",
	    "SAFE", 0, 65536, "ok")
	REC("gup_stress", "gup_stress.hugetlb.odirect_read", "hugetlb", "odirect_read", "pmd",
	    "SAFE", 0, 65536, "ok")
	REC("gup_stress", "gup_stress.pagecache.odirect_read", "pagecache", "odirect_read", "pmd",
	    "SAFE", 0, 65536, "ok")
	REC("pin_vmsplice", "drm_bo.bochs_2m.splice_bo", "bochs", "vmsplice", "unknown", "SAFE", 14,
	    0, "off=0x0 len=0x10000: refused: EFAULT; level unknown")
	REC("pin_odirect", "drm_bo.vmwgfx_2m.read_into_bo", "vmwgfx", "-", "unknown", "UNTESTABLE",
	    0, 0, "vmwgfx: PCI 0000:00:05.0 [15ad:0405] has no driver: Hardware has no pitchlock")
	REC("pin_odirect", "drm_bo.vmwgfx_4m.read_into_bo", "vmwgfx", "-", "unknown", "UNTESTABLE",
	    0, 0, "vmwgfx: PCI 0000:00:05.0 [15ad:0405] has no driver: Hardware has no pitchlock")
	/* The level was read before the pin, which could not run: no pin, no coverage. */
	REC("hugepfn_ref", "hugepfn_map.noncompound_pmd.gup_test", "hugepin_ref", "gup_test", "pmd",
	    "UNTESTABLE", 0, 0, "off=0x0 len=0x10000: CONFIG_GUP_TEST unset");

static inline const struct hp_row *row(const struct hp_report *rep, const char *test, bool console)
{
	size_t i;

	for (i = 0; i < rep->nrows; i++)
		if (!strcmp(rep->rows[i].r.test, test) && rep->rows[i].from_console == console)
			return &rep->rows[i];
	return NULL;
}

static inline void load(struct hp_report *rep, const char *records, const char *console,
		 const char *crashed)
{
	hp_report_init(rep, "6.1.0-56-amd64");
	EXPECT_EQ(hp_report_add_records(rep, S(records)), 0);
	EXPECT_EQ(hp_report_attribute(rep, S(console), &crashed, crashed ? 1 : 0), 0);
}

#endif /* HP_REPORT_FIXTURES_H */
