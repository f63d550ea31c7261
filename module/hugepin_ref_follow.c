// SPDX-License-Identifier: GPL-2.0
/*
 * hugepin_ref follow check: a test hook (test_hooks=1 only) that watches
 * every successful follow_pfnmap_start() and compares what it hands its
 * caller with the page table it leaves locked.
 *
 * follow_pfnmap_start() (6.12+) returns with the page-table lock of the
 * level it found held, so until follow_pfnmap_end() the entry behind the
 * returned pfn cannot change. A kernel that takes that lock but decides
 * from a value read before it (what ffef67b93aa3 fixed in 7.0) can hand out
 * a PMD or PUD that a concurrent zap or split has already cleared: the
 * caller (vfio's DMA mapping of a BAR, generic_access_phys() behind
 * /proc/PID/mem) then uses a pfn the page table no longer maps. That is
 * silent on its own, so this hook makes it loud: at the function's return,
 * under the lock it holds, the huge entry at the address must still be a
 * present leaf mapping the returned pfn; otherwise one WARNING (the
 * kernel-log detector sees it) and a count the race program reads back.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/bug.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/pgtable.h>
#include <linux/version.h>

#include "hugepin_ref_int.h"

#if defined(CONFIG_KRETPROBES) && LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#include <linux/kprobes.h>

static atomic64_t hpref_follow_seen;	/* huge entries returned */
static atomic64_t hpref_follow_stale;	/* of those, not in the locked table */
static DEFINE_MUTEX(hpref_follow_lock);
static bool hpref_follow_armed;

struct hpref_follow_call {
	struct follow_pfnmap_args *args;
};

static int hpref_follow_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct hpref_follow_call *call = (struct hpref_follow_call *)ri->data;

	call->args = (struct follow_pfnmap_args *)regs_get_kernel_argument(regs, 0);
	return 0;
}

/*
 * The pfn the locked table maps at @addr at the level of @mask, or -1 when
 * no present leaf of that level is there. Upper levels are stable: the
 * caller of follow_pfnmap_start() holds the mmap or VMA lock.
 */
static long hpref_follow_locked_pfn(struct mm_struct *mm, unsigned long addr,
				    unsigned long mask)
{
	pgd_t *pgd = pgd_offset(mm, addr);
	p4d_t *p4d;
	pud_t *pudp, pud;
	pmd_t pmd;

	if (pgd_none(*pgd) || pgd_bad(*pgd))
		return -1;
	p4d = p4d_offset(pgd, addr);
	if (p4d_none(*p4d) || p4d_bad(*p4d))
		return -1;
	pudp = pud_offset(p4d, addr);
	pud = pudp_get(pudp);
	if (mask == PUD_MASK)
		return pud_present(pud) && pud_leaf(pud) ?
			(long)(pud_pfn(pud) + ((addr & ~PUD_MASK) >> PAGE_SHIFT)) : -1;
	if (!pud_present(pud) || pud_leaf(pud))
		return -1;
	pmd = pmdp_get(pmd_offset(pudp, addr));
	return pmd_present(pmd) && pmd_leaf(pmd) ?
		(long)(pmd_pfn(pmd) + ((addr & ~PMD_MASK) >> PAGE_SHIFT)) : -1;
}

static int hpref_follow_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct hpref_follow_call *call = (struct hpref_follow_call *)ri->data;
	struct follow_pfnmap_args *args = call->args;
	long mapped;

	/* PTEs are read again under their lock by every kernel: only huge entries. */
	if (regs_return_value(regs) || !args ||
	    (args->addr_mask != PMD_MASK && args->addr_mask != PUD_MASK))
		return 0;
	atomic64_inc(&hpref_follow_seen);
	mapped = hpref_follow_locked_pfn(args->vma->vm_mm, args->address, args->addr_mask);
	if (mapped == (long)args->pfn)
		return 0;
	atomic64_inc(&hpref_follow_stale);
	WARN_ONCE(1, "follow_pfnmap_start() returned pfn %#lx at %#lx (%s) that its locked page table does not map (%s): a stale entry (test_hooks follow check)\n",
		  args->pfn, args->address, args->addr_mask == PUD_MASK ? "pud" : "pmd",
		  mapped < 0 ? "no present leaf" : "another pfn");
	return 0;
}

static struct kretprobe hpref_follow_probe = {
	.kp.symbol_name = "follow_pfnmap_start",
	.entry_handler = hpref_follow_entry,
	.handler = hpref_follow_ret,
	.data_size = sizeof(struct hpref_follow_call),
	.maxactive = 64,
};

long hpref_test_follow_check(struct hugepin_ref_test *a)
{
	long ret = 0;

	mutex_lock(&hpref_follow_lock);
	if (a->index && !hpref_follow_armed) {
		ret = register_kretprobe(&hpref_follow_probe);
		if (!ret)
			hpref_follow_armed = true;
		else
			pr_info("follow check: cannot probe follow_pfnmap_start: %ld\n", ret);
	} else if (!a->index && hpref_follow_armed) {
		unregister_kretprobe(&hpref_follow_probe);
		hpref_follow_armed = false;
	}
	a->result = atomic64_read(&hpref_follow_stale);
	a->length = atomic64_read(&hpref_follow_seen);
	mutex_unlock(&hpref_follow_lock);
	return ret;
}

void hpref_follow_exit(void)
{
	mutex_lock(&hpref_follow_lock);
	if (hpref_follow_armed)
		unregister_kretprobe(&hpref_follow_probe);
	hpref_follow_armed = false;
	mutex_unlock(&hpref_follow_lock);
}

#else

long hpref_test_follow_check(struct hugepin_ref_test *a)
{
	return -EOPNOTSUPP;
}

void hpref_follow_exit(void)
{
}

#endif
