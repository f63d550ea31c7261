// SPDX-License-Identifier: GPL-2.0
/*
 * hugepin_walk: reports which page-table level maps an address of the
 * calling process, whether the entry carries the "special" bit, and whether
 * its pfn has a struct page. It only reads the caller's own page tables,
 * under its mmap lock, and touches no page: loading it changes nothing the
 * suite measures. See hugepin_walk_uapi.h.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pgtable.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/uaccess.h>
#include <linux/version.h>

#include "hugepin_pgtable.h"
#include "hugepin_walk_uapi.h"

/* Special bits on huge entries: "mm: introduce ARCH_SUPPORTS_HUGE_PFNMAP" (6.12). */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0) && defined(CONFIG_ARCH_SUPPORTS_PMD_PFNMAP)
#define HPWALK_PMD_SPECIAL	1
#else
#define HPWALK_PMD_SPECIAL	0
#endif
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0) && defined(CONFIG_ARCH_SUPPORTS_PUD_PFNMAP)
#define HPWALK_PUD_SPECIAL	1
#else
#define HPWALK_PUD_SPECIAL	0
#endif

static void hpwalk_pfn(struct hugepin_walk_query *q, unsigned long pfn)
{
	q->pfn = pfn;
	q->flags |= HUGEPIN_WALK_PRESENT;
	if (pfn_valid(pfn))
		q->flags |= HUGEPIN_WALK_HAS_PAGE;
}

static void hpwalk_pud(struct hugepin_walk_query *q, pud_t pud)
{
	q->level = HUGEPIN_WALK_LEVEL_PUD;
	if (!pud_present(pud))
		return;
	hpwalk_pfn(q, pud_pfn(pud) + ((q->addr & ~PUD_MASK) >> PAGE_SHIFT));
	if (pud_write(pud))
		q->flags |= HUGEPIN_WALK_WRITE;
#if HPWALK_PUD_SPECIAL
	q->flags |= HUGEPIN_WALK_SPECIAL_KNOWN;
	if (pud_special(pud))
		q->flags |= HUGEPIN_WALK_SPECIAL;
#endif
}

static void hpwalk_pmd(struct hugepin_walk_query *q, pmd_t pmd)
{
	q->level = HUGEPIN_WALK_LEVEL_PMD;
	if (!pmd_present(pmd))
		return;
	hpwalk_pfn(q, pmd_pfn(pmd) + ((q->addr & ~PMD_MASK) >> PAGE_SHIFT));
	if (pmd_write(pmd))
		q->flags |= HUGEPIN_WALK_WRITE;
#if HPWALK_PMD_SPECIAL
	q->flags |= HUGEPIN_WALK_SPECIAL_KNOWN;
	if (pmd_special(pmd))
		q->flags |= HUGEPIN_WALK_SPECIAL;
#endif
}

static void hpwalk_pte(struct hugepin_walk_query *q, pte_t pte)
{
	if (pte_none(pte))
		return;
	q->level = HUGEPIN_WALK_LEVEL_PTE;
	if (!pte_present(pte))
		return;
	hpwalk_pfn(q, pte_pfn(pte));
	if (pte_write(pte))
		q->flags |= HUGEPIN_WALK_WRITE;
	if (IS_ENABLED(CONFIG_ARCH_HAS_PTE_SPECIAL)) {
		q->flags |= HUGEPIN_WALK_SPECIAL_KNOWN;
		if (pte_special(pte))
			q->flags |= HUGEPIN_WALK_SPECIAL;
	}
}

/*
 * Walk @mm's tables down to @q->addr. A leaf is checked before "bad":
 * x86's pud_bad()/pmd_bad() count the huge-page bit as bad. The PTE table
 * is read under RCU: since 6.5 it may be freed (RCU-deferred) under the
 * read lock of the mmap lock.
 */
static void hpwalk_tables(struct mm_struct *mm, struct hugepin_walk_query *q)
{
	unsigned long addr = q->addr;
	pgd_t *pgd = pgd_offset(mm, addr);
	p4d_t *p4d;
	pud_t *pudp, pud;
	pmd_t *pmdp, pmd;

	if (pgd_none(READ_ONCE(*pgd)) || pgd_bad(READ_ONCE(*pgd)))
		return;
	p4d = hp_p4d_offset(pgd, addr);
	if (p4d_none(READ_ONCE(*p4d)) || p4d_bad(READ_ONCE(*p4d)))
		return;
	pudp = hp_pud_offset(p4d, addr);
	pud = READ_ONCE(*pudp);
	if (pud_none(pud))
		return;
	if (pud_leaf(pud)) {
		hpwalk_pud(q, pud);
		return;
	}
	if (pud_bad(pud))
		return;
	pmdp = pmd_offset(pudp, addr);
	pmd = READ_ONCE(*pmdp);
	if (pmd_none(pmd))
		return;
	if (pmd_leaf(pmd) || !pmd_present(pmd)) {
		hpwalk_pmd(q, pmd);
		return;
	}
	if (pmd_bad(pmd))
		return;
	rcu_read_lock();
	hpwalk_pte(q, READ_ONCE(*pte_offset_kernel(&pmd, addr)));
	rcu_read_unlock();
}

static int hpwalk_query(struct hugepin_walk_query *q)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;

	q->level = HUGEPIN_WALK_LEVEL_NONE;
	q->flags = 0;
	q->pfn = 0;
	if (!mm)
		return -EINVAL;
	if (mmap_read_lock_killable(mm))
		return -EINTR;
	vma = find_vma(mm, q->addr);
	if (vma && vma->vm_start <= q->addr) {
		if (vma->vm_flags & VM_PFNMAP)
			q->flags |= HUGEPIN_WALK_VMA_PFNMAP;
		if (vma->vm_flags & VM_MIXEDMAP)
			q->flags |= HUGEPIN_WALK_VMA_MIXEDMAP;
		if (vma->vm_flags & VM_IO)
			q->flags |= HUGEPIN_WALK_VMA_IO;
		hpwalk_tables(mm, q);
	}
	mmap_read_unlock(mm);
	return 0;
}

static long hpwalk_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	struct hugepin_walk_query q;
	int ret;

	if (cmd != HUGEPIN_WALK_IOC_QUERY)
		return -ENOTTY;
	if (copy_from_user(&q, uarg, sizeof(q)))
		return -EFAULT;
	ret = hpwalk_query(&q);
	if (!ret && copy_to_user(uarg, &q, sizeof(q)))
		ret = -EFAULT;
	return ret;
}

static const struct file_operations hpwalk_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = hpwalk_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice hpwalk_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = HUGEPIN_WALK_NAME,
	.fops = &hpwalk_fops,
	.mode = 0600,
};

module_misc_device(hpwalk_misc);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("hugepin page-table walker: the level and special bit mapping a user address");
