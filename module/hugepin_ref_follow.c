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
 *
 * Two more hooks widen the windows of those races, so that a kernel
 * without a fix shows it within seconds under QEMU's emulation rather than
 * once in hours, as the races did on real machines:
 *   SPLIT_DELAY  an mmu notifier on the caller's mm whose invalidate_range_end
 *                waits on every other PUD-sized zap. A PUD split
 *                (__split_huge_pud) calls it after dropping the page-table
 *                lock and before the page walker looks at the PUD again,
 *                so a refault gets in between, as it does on a busy machine.
 *   PTL_HOLD     holds the caller's mm->page_table_lock (the lock of its
 *                PUDs) in bursts, as the other threads of a busy process
 *                would: a zapper and a follow_pfnmap_start() that read the
 *                entry before it queue up behind the holder (which takes
 *                a CPU of its own: the race needs three).
 * Neither changes what the kernel under test does; a fixed kernel answers
 * every window correctly.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/bug.h>
#include <linux/delay.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/pgtable.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/version.h>

#include "hugepin_pgtable.h"
#include "hugepin_ref_int.h"

/* Serializes arming and disarming the hooks of this file. */
static DEFINE_MUTEX(hpref_follow_lock);

#if defined(CONFIG_KRETPROBES) && LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#include <linux/kprobes.h>

static atomic64_t hpref_follow_seen;	/* huge entries returned */
static atomic64_t hpref_follow_stale;	/* of those, not in the locked table */
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
 * The pfn the locked table maps at @addr through a huge leaf (PUD, else
 * PMD), or -1 when no present huge leaf is there; *@pud says which level.
 * Upper levels are stable: the caller of follow_pfnmap_start() holds the
 * mmap or VMA lock. (args->addr_mask, which would name the level, is not in
 * 6.12, the first kernel with follow_pfnmap_start.)
 */
static long hpref_follow_locked_pfn(struct mm_struct *mm, unsigned long addr, bool *at_pud)
{
	pgd_t *pgd = pgd_offset(mm, addr);
	p4d_t *p4d;
	pud_t *pudp, pud;
	pmd_t pmd;

	*at_pud = false;
	if (pgd_none(*pgd) || pgd_bad(*pgd))
		return -1;
	p4d = hp_p4d_offset(pgd, addr);
	if (p4d_none(*p4d) || p4d_bad(*p4d))
		return -1;
	pudp = hp_pud_offset(p4d, addr);
	pud = pudp_get(pudp);
	if (!pud_present(pud))
		return -1;
	if (pud_leaf(pud)) {
		*at_pud = true;
		return (long)(pud_pfn(pud) + ((addr & ~PUD_MASK) >> PAGE_SHIFT));
	}
	pmd = pmdp_get(pmd_offset(pudp, addr));
	return pmd_present(pmd) && pmd_leaf(pmd) ?
		(long)(pmd_pfn(pmd) + ((addr & ~PMD_MASK) >> PAGE_SHIFT)) : -1;
}

static int hpref_follow_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct hpref_follow_call *call = (struct hpref_follow_call *)ri->data;
	struct follow_pfnmap_args *args = call->args;
	bool at_pud;
	long mapped;

	/* A PTE (ptep set) is read again under its lock by every kernel: only huge entries. */
	if (regs_return_value(regs) || !args || args->ptep)
		return 0;
	atomic64_inc(&hpref_follow_seen);
	mapped = hpref_follow_locked_pfn(args->vma->vm_mm, args->address, &at_pud);
	if (mapped == (long)args->pfn)
		return 0;
	atomic64_inc(&hpref_follow_stale);
	WARN_ONCE(1, "follow_pfnmap_start() returned pfn %#lx at %#lx that its locked page table does not map (%s): a stale entry (test_hooks follow check)\n",
		  args->pfn, args->address,
		  mapped < 0 ? "no present huge leaf" : at_pud ? "another pfn, pud" : "another pfn, pmd");
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

#endif

/* Longest wait either window hook takes at a time. */
#define HPREF_WINDOW_MAX_USEC 5000

#if defined(CONFIG_MMU_NOTIFIER) && LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#include <linux/mmu_notifier.h>

static struct hpref_delay {
	struct mmu_notifier mn;
	struct mm_struct *mm;		/* grabbed while registered */
	unsigned int usec;
	atomic_t zaps;
	atomic64_t delayed;
} hpref_delay;

static void hpref_delay_end(struct mmu_notifier *mn, const struct mmu_notifier_range *range)
{
	if (range->event != MMU_NOTIFY_CLEAR || range->end - range->start < PUD_SIZE)
		return;
	/* Every other one, so a walker that retries gets through in the end. */
	if (!(atomic_inc_return(&hpref_delay.zaps) & 1))
		return;
	udelay(READ_ONCE(hpref_delay.usec));
	atomic64_inc(&hpref_delay.delayed);
}

static const struct mmu_notifier_ops hpref_delay_ops = {
	.invalidate_range_end = hpref_delay_end,
};

static void hpref_delay_off(void)
{
	if (!hpref_delay.mm)
		return;
	mmu_notifier_unregister(&hpref_delay.mn, hpref_delay.mm);
	mmdrop(hpref_delay.mm);
	hpref_delay.mm = NULL;
}

long hpref_test_split_delay(struct hugepin_ref_test *a)
{
	long ret = 0;

	if (a->index > HPREF_WINDOW_MAX_USEC)
		return -EINVAL;
	mutex_lock(&hpref_follow_lock);
	if (a->index && !hpref_delay.mm) {
		hpref_delay.mn.ops = &hpref_delay_ops;
		WRITE_ONCE(hpref_delay.usec, a->index);
		ret = mmu_notifier_register(&hpref_delay.mn, current->mm);
		if (!ret) {
			mmgrab(current->mm);
			hpref_delay.mm = current->mm;
		}
	} else if (a->index) {
		WRITE_ONCE(hpref_delay.usec, a->index);
	} else {
		hpref_delay_off();
	}
	a->result = atomic64_read(&hpref_delay.delayed);
	mutex_unlock(&hpref_follow_lock);
	return ret;
}

#else

long hpref_test_split_delay(struct hugepin_ref_test *a)
{
	return -EOPNOTSUPP;
}

static void hpref_delay_off(void)
{
}

#endif

long hpref_test_ptl_hold(struct hugepin_ref_test *a)
{
	struct mm_struct *mm = current->mm;
	u64 i;

	if (!mm || !a->index || a->index > HPREF_WINDOW_MAX_USEC || !a->length || a->length > 1000)
		return -EINVAL;
	for (i = 0; i < a->length; i++) {
		spin_lock(&mm->page_table_lock);
		udelay(a->index);
		spin_unlock(&mm->page_table_lock);
		/* Asleep between holds: the CPU is for the threads that race. */
		usleep_range(a->index, 2 * a->index);
		if (fatal_signal_pending(current))
			return -EINTR;
	}
	a->result = i;
	return 0;
}

#if defined(CONFIG_KRETPROBES) && LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)

void hpref_follow_exit(void)
{
	mutex_lock(&hpref_follow_lock);
	if (hpref_follow_armed)
		unregister_kretprobe(&hpref_follow_probe);
	hpref_follow_armed = false;
	hpref_delay_off();
	mutex_unlock(&hpref_follow_lock);
}

#else

long hpref_test_follow_check(struct hugepin_ref_test *a)
{
	return -EOPNOTSUPP;
}

void hpref_follow_exit(void)
{
	hpref_delay_off();
}

#endif
