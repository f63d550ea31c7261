// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of kmsg.c on kernel log lines in the formats the detectors see:
 * /dev/kmsg records ("4,812,5123456,-;..."), syslog "<4>" lines and serial
 * console lines with "[   12.345678] " stamps. The splats are the ones fast
 * GUP damage produces (bad page state, VM_BUG_ON_PAGE in bio_release_pages,
 * refcount underflow) and the generic crashes that must not count as it.
 */
#include "hp_core.h"
#include "unit.h"

static void bad_page_state(void)
{
	const char *l = "[   12.345678] BUG: Bad page state in process pin_odirect  pfn:10a200";
	unsigned int m = hp_kmsg_classify(l);

	EXPECT_EQ(m, HP_SPLAT_BAD_PAGE);
	EXPECT(hp_splat_is_page_damage(m, l));
	EXPECT_STR(hp_splat_name(m), "bad page");
	EXPECT_EQ(hp_kmsg_classify("BUG: Bad page map in process a.out  pte:8000000 pmd:1234"),
		  HP_SPLAT_BAD_PAGE);
}

static void kernel_bug_in_mm(void)
{
	const char *l = "[   31.000101] kernel BUG at mm/swap.c:102!";
	unsigned int m = hp_kmsg_classify(l);

	EXPECT_EQ(m, HP_SPLAT_BUG);
	EXPECT(hp_splat_is_page_damage(m, l));
	EXPECT_STR(hp_splat_name(m), "BUG");
}

static void kernel_bug_elsewhere(void)
{
	const char *l = "[    8.100000] kernel BUG at drivers/gpu/drm/ttm/ttm_bo.c:77!";
	unsigned int m = hp_kmsg_classify(l);

	EXPECT_EQ(m, HP_SPLAT_BUG);
	EXPECT(!hp_splat_is_page_damage(m, l));
}

static void warning_line(void)
{
	const char *l = "<4>WARNING: CPU: 1 PID: 1 at drivers/gpu/drm/drm_gem.c:1010 drm_gem_mmap_obj+0x1c/0x90";
	unsigned int m = hp_kmsg_classify(l);

	EXPECT_EQ(m, HP_SPLAT_WARNING);
	EXPECT(!hp_splat_is_page_damage(m, l));
	l = "4,812,5123456,-;WARNING: CPU: 0 PID: 77 at mm/gup.c:212 try_grab_folio+0x1d0/0x200";
	m = hp_kmsg_classify(l);
	EXPECT_EQ(m, HP_SPLAT_WARNING);
	EXPECT(hp_splat_is_page_damage(m, l));
}

/* The page tables of huge mappings that pfnmap_race races count as page code. */
static void page_table_sites(void)
{
	const char *bug = "[   11.139388] BUG: Bad rss-counter state mm:00000000a1b2c3d4 type:MM_ANONPAGES val:-512 Comm:pfnmap_race Pid:601";
	char fn[64] = "";

	EXPECT(hp_splat_is_page_damage(hp_kmsg_classify(bug), bug));
	EXPECT(hp_fault_site_is_page_code("[   17.577951] RIP: 0010:walk_pgd_range+0x7ac/0xbb0", fn,
					  sizeof(fn)));
	EXPECT_STR(fn, "walk_pgd_range");
	EXPECT(hp_fault_site_is_page_code("RIP: 0010:pgtable_trans_huge_withdraw+0x40/0xa0", fn,
					  sizeof(fn)));
	EXPECT(!hp_fault_site_is_page_code("RIP: 0010:run_timer_softirq+0xd2/0xf0", fn, sizeof(fn)));
}

static void vm_bug_on_page(void)
{
	const char *l = "[   40.250000] page dumped because: VM_BUG_ON_PAGE(page_ref_count(page) == 0)";
	unsigned int m = hp_kmsg_classify(l);

	EXPECT_EQ(m, HP_SPLAT_VM_BUG);
	EXPECT(hp_splat_is_page_damage(m, NULL));
}

static void refcount_underflow(void)
{
	const char *l = "[   22.000001] refcount_t: underflow; use-after-free.";
	unsigned int m = hp_kmsg_classify(l);

	EXPECT_EQ(m, HP_SPLAT_REFCOUNT);
	EXPECT(hp_splat_is_page_damage(m, l));
	EXPECT_EQ(hp_kmsg_classify("refcount_t: saturated; leaking memory."), HP_SPLAT_REFCOUNT);
}

static void gpf_and_panic(void)
{
	const char *gpf = "[   50.123456] general protection fault, probably for non-canonical address 0xdead000000000100: 0000 [#1] PREEMPT SMP NOPTI";
	const char *panic = "[   50.200000] Kernel panic - not syncing: Fatal exception";
	unsigned int m = hp_kmsg_classify(gpf);

	EXPECT_EQ(m, HP_SPLAT_GPF);
	EXPECT(!hp_splat_is_page_damage(m, gpf));
	m = hp_kmsg_classify(panic);
	EXPECT_EQ(m, HP_SPLAT_PANIC);
	EXPECT(!hp_splat_is_page_damage(m, panic));
	EXPECT_STR(hp_splat_name(m), "panic");
}

static void oops_and_kasan(void)
{
	unsigned int m = hp_kmsg_classify("[   60.000000] Oops: 0000 [#1] PREEMPT SMP PTI");

	EXPECT_EQ(m, HP_SPLAT_OOPS);
	m = hp_kmsg_classify("[    9.9] invalid opcode: 0000 [#1] PREEMPT SMP NOPTI");
	EXPECT_EQ(m, HP_SPLAT_OOPS);
	m = hp_kmsg_classify("[   61.000000] BUG: KASAN: use-after-free in bio_release_pages+0x40/0x120");
	EXPECT_EQ(m, HP_SPLAT_KASAN);
	EXPECT(hp_splat_is_page_damage(m, "BUG: KASAN: use-after-free in bio_release_pages+0x40/0x120"));
	m = hp_kmsg_classify("[   62.000000] BUG: unable to handle page fault for address: ffffc90000400000");
	EXPECT_EQ(m, HP_SPLAT_BUG);
}

/* The oops's RIP line names where it faulted: inside GUP is page damage, elsewhere not. */
static void fault_site(void)
{
	char fn[64];

	EXPECT(hp_fault_site_is_page_code("[   22.05] RIP: 0010:try_grab_folio+0x109/0x370", fn, sizeof(fn)));
	EXPECT_STR(fn, "try_grab_folio");
	EXPECT(hp_fault_site_is_page_code("RIP: 0010:gup_pmd_range+0x1e/0x2c0", fn, sizeof(fn)));
	EXPECT_STR(fn, "gup_pmd_range");
	EXPECT(!hp_fault_site_is_page_code("RIP: 0010:qxl_bo_move+0x10/0x90 [qxl]", fn, sizeof(fn)));
	/* The words must be in the function's name, not in its offset or module. */
	EXPECT(!hp_fault_site_is_page_code("RIP: 0010:memcpy+0x6/0x10 [gup_x]", fn, sizeof(fn)));
	EXPECT(!hp_fault_site_is_page_code("RIP: 0033:0x7f00deadbeef", fn, sizeof(fn)));
	EXPECT(!hp_fault_site_is_page_code("Code: 83 c4 08 5b", fn, sizeof(fn)));
	EXPECT(!hp_fault_site_is_page_code("RIP: try_grab_folio", fn, sizeof(fn)));
	/* arm64 and riscv name the faulting function after "pc : " and "epc : ". */
	EXPECT(hp_fault_site_is_page_code("[   17.32] pc : try_get_folio+0x18/0x110", fn, sizeof(fn)));
	EXPECT_STR(fn, "try_get_folio");
	EXPECT(hp_fault_site_is_page_code("[    9.10] epc : try_grab_folio+0x1c/0x120", fn, sizeof(fn)));
	EXPECT_STR(fn, "try_grab_folio");
	EXPECT(!hp_fault_site_is_page_code("[   17.32] lr : try_grab_folio+0xec/0x1d0", fn, sizeof(fn)));
	EXPECT(!hp_fault_site_is_page_code("[    9.10] epc : ffffffff8021a6c4 ra : ffffffff8021a7f0", fn, sizeof(fn)));
}

static void hangs(void)
{
	EXPECT_EQ(hp_kmsg_classify("[  245.1] INFO: task pin_vmsplice:120 blocked for more than 120 seconds."),
		  HP_SPLAT_HUNG);
	EXPECT_EQ(hp_kmsg_classify("[  30.0] watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [evict_race:99]"),
		  HP_SPLAT_HUNG);
	EXPECT_EQ(hp_kmsg_classify("BUG: soft lockup - CPU#0 stuck for 23s!"), HP_SPLAT_HUNG);
}

static void prefixes_stripped(void)
{
	/* kmsg header with a caller id, console stamp with a thread id. */
	EXPECT_EQ(hp_kmsg_classify("3,900,77000000,-,caller=T120;BUG: Bad page state in process x"),
		  HP_SPLAT_BAD_PAGE);
	EXPECT_EQ(hp_kmsg_classify("[   12.000001][  T120] WARNING: CPU: 1 PID: 120 at mm/gup.c:1 x"),
		  HP_SPLAT_WARNING);
	EXPECT_EQ(hp_kmsg_classify("<0>[ 5.5] Kernel panic - not syncing: Fatal exception"),
		  HP_SPLAT_PANIC);
}

static void quiet_lines(void)
{
	EXPECT_EQ(hp_kmsg_classify("[    1.234567] [drm] Initialized bochs-drm 1.0.0 20130925 for 0000:00:02.0 on minor 0"), 0);
	EXPECT_EQ(hp_kmsg_classify("[    2.0] virtio_blk virtio1: [vda] 131072 512-byte logical blocks"), 0);
	EXPECT_EQ(hp_kmsg_classify(""), 0);
	EXPECT_EQ(hp_kmsg_classify(NULL), 0);
	/* A message that merely mentions WARNING: later on is not a splat. */
	EXPECT_EQ(hp_kmsg_classify("[    3.0] systemd[1]: note WARNING: deprecated"), 0);
	/* Our own case markers never count, whatever the case is called. */
	EXPECT_EQ(hp_kmsg_classify("[    4.0] hugepin: start pin_odirect Bad page state"), 0);
	EXPECT_EQ(hp_kmsg_classify("6,100,200,-;hugepin: start x kernel BUG at mm/"), 0);
	EXPECT_STR(hp_splat_name(0), "none");
}

static void taint_letters(void)
{
	char buf[64];

	hp_taint_describe((1ul << 5) | (1ul << 7) | (1ul << 9), buf, sizeof(buf));
	EXPECT_STR(buf, "B D W");
	hp_taint_describe(0, buf, sizeof(buf));
	EXPECT_STR(buf, "");
	hp_taint_describe((1ul << 12) | (1ul << 13), buf, sizeof(buf));
	EXPECT_STR(buf, "O E");
	hp_taint_describe(1ul << 40, buf, sizeof(buf));
	EXPECT_STR(buf, "bit40");
	hp_taint_describe((1ul << 5) | (1ul << 7) | (1ul << 9), buf, 4);
	EXPECT_STR(buf, "B D");
	EXPECT((HP_TAINT_DAMAGE_MASK & HP_TAINT_MODULE_MASK) == 0);
}

/* arm64's and riscv's oops lines, and the fault site they name. */
static void other_arch_oops(void)
{
	char fn[64];

	EXPECT_EQ(hp_kmsg_classify("[   22.808344] Unable to handle kernel paging request at virtual address ff1c00000e000008"),
		  HP_SPLAT_OOPS);
	EXPECT_EQ(hp_kmsg_classify("[   22.808821] Oops [#1]"), HP_SPLAT_OOPS);
	EXPECT_EQ(hp_kmsg_classify("[   17.328629] Internal error: Oops: 0000000096000005 [#1] SMP"), HP_SPLAT_OOPS);
	EXPECT(hp_fault_site_is_page_code("[   22.809785] epc : try_get_folio+0xe/0x150", fn, sizeof(fn)));
	EXPECT_STR(fn, "try_get_folio");
	EXPECT_EQ(hp_kmsg_classify("[    1.000000] hugepin: Oops [#1] was a word in a message"), 0u);
}

static const struct unit_case cases[] = {
	{ "other_arch_oops", other_arch_oops },
	{ "bad_page_state", bad_page_state },
	{ "kernel_bug_in_mm", kernel_bug_in_mm },
	{ "kernel_bug_elsewhere", kernel_bug_elsewhere },
	{ "warning_line", warning_line },
	{ "vm_bug_on_page", vm_bug_on_page },
	{ "page_table_sites", page_table_sites },
	{ "refcount_underflow", refcount_underflow },
	{ "gpf_and_panic", gpf_and_panic },
	{ "oops_and_kasan", oops_and_kasan },
	{ "fault_site", fault_site },
	{ "hangs", hangs },
	{ "prefixes_stripped", prefixes_stripped },
	{ "quiet_lines", quiet_lines },
	{ "taint_letters", taint_letters },
};

int main(void)
{
	return UNIT_RUN(cases);
}
