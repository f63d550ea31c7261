// SPDX-License-Identifier: GPL-2.0
/*
 * hugepin_ref: a reference driver that maps its own pages the way TTM did
 * from Linux 5.7 to 5.15, so the fast-GUP huge pfn bug can be reproduced and
 * measured without a GPU.
 *
 * /dev/hugepin_ref hands out buffers backed by higher-order page blocks the
 * driver allocated itself (alloc_pages() without __GFP_COMP and without
 * split_page(), as TTM's pool did), mapped into a VM_MIXEDMAP|VM_IO VMA with
 * huge pfn PMD entries carrying no "special" bit. Fast GUP (O_DIRECT,
 * vmsplice, ...) then takes such an entry for an ordinary THP and grabs
 * references on pages the core must never reference; when the pin is
 * released, every subpage is put as if it were its own head. The eviction
 * ioctl zaps the mapping and reports each page whose refcount differs from
 * what the driver holds: that report is the detector that works on kernels
 * without CONFIG_DEBUG_VM.
 *
 * Which handler inserts the huge entry depends on the kernel: ->huge_fault
 * on 5.x and 6.12+, while 6.0 .. 6.11 never call ->huge_fault for VM_SPECIAL
 * VMAs (hugepage_vma_check() refuses VM_NO_KHUGEPAGED first), so there the
 * ordinary ->fault inserts the PMD itself while the PMD is still empty (the
 * core leaves the PTE table unallocated before ->fault). The path taken is
 * recorded and reported. Where ->huge_fault is the path, the core consults
 * the THP sysfs policy before calling it (6.12 exempts VM_PFNMAP VMAs, not
 * this VM_MIXEDMAP one), so under "madvise" the client must MADV_HUGEPAGE
 * the mapping, as TTM's users had to on 5.x. Module parameter pte_only
 * forces PTE mappings.
 *
 * Allocation scheme and expected refcounts: each block is one alloc_pages()
 * of the block's order. Without __GFP_COMP the first page holds the single
 * reference of the allocation and the other pages stay at 0 (no
 * split_page()): exactly TTM's state, and a stray put on one of them leaves
 * it at -1 instead of freeing a page the driver still maps. With
 * HUGEPIN_REF_CREATE_COMPOUND the block is a compound page, whose tails are
 * at 0 as well. So the driver expects 1 on each block's first page and 0
 * elsewhere.
 *
 * RAM blocks are one PMD each. Blocks of the PUD size would need
 * alloc_contig_pages(), which modules cannot call, so the caps report no
 * RAM PUD support; device memory (hugepin_ref_blocks.c) has PUD-sized blocks
 * where its BAR holds a PUD-aligned one, and ->huge_fault maps them by a
 * PUD (HUGEPIN_REF_CAP_DEVICE_PUD).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/idr.h>
#include <linux/kref.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/page_ref.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/version.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 17, 0)
#include <linux/pfn_t.h>
#endif

#include "hugepin_ref_int.h"

#define HPREF_MAX_ID		(1u << (63 - HUGEPIN_REF_SLOT_SHIFT))

/*
 * 6.0 moved the VM_NO_KHUGEPAGED refusal in hugepage_vma_check() ahead of
 * the fault path ("mm: khugepaged: check THP flag in hugepage_vma_check"
 * series), and 6.12 let ->huge_fault handlers of pfnmap VMAs back in ("mm:
 * allow THP orders for PFNMAPs"). In between, only ->fault can insert a PMD.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 0, 0) && LINUX_VERSION_CODE < KERNEL_VERSION(6, 12, 0)
#define HPREF_FAULT_INSERTS_PMD	1
#else
#define HPREF_FAULT_INSERTS_PMD	0
#endif

/* "mm/gup: detect huge pfnmap entries in gup-fast" and the special bits (6.12). */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0) && defined(CONFIG_ARCH_SUPPORTS_PMD_PFNMAP)
#define HPREF_PMD_SPECIAL	1
#else
#define HPREF_PMD_SPECIAL	0
#endif
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0) && defined(CONFIG_ARCH_SUPPORTS_PUD_PFNMAP)
#define HPREF_PUD_SPECIAL	1
#else
#define HPREF_PUD_SPECIAL	0
#endif

static bool pte_only;
module_param(pte_only, bool, 0644);
MODULE_PARM_DESC(pte_only, "Map every later fault with PTEs (proves the huge entry is what fast GUP trips on)");

static DEFINE_IDR(hpref_ids);
static DEFINE_MUTEX(hpref_ids_lock);
atomic64_t hpref_pages_kept = ATOMIC64_INIT(0);

static void hpref_buf_free(struct kref *ref)
{
	struct hpref_buf *buf = container_of(ref, struct hpref_buf, ref);
	struct hpref_check c = { 0 };
	u32 kept = 0, freed = 0;
	unsigned long b;

	for (b = 0; b < buf->nr_blocks; b++)
		hpref_block_release(buf, b, 0, &c, &kept, &freed);
	if (kept)
		pr_info("buffer %u: kept %u blocks with %llu pages off their expected refcount\n",
			buf->id, kept, c.bad);
	kvfree(buf->pfns);
	kfree(buf);
}

void hpref_buf_put(struct hpref_buf *buf)
{
	kref_put(&buf->ref, hpref_buf_free);
}

struct hpref_buf *hpref_buf_get(struct file *file, u32 id)
{
	struct hpref_buf *buf;

	mutex_lock(&hpref_ids_lock);
	buf = idr_find(&hpref_ids, id);
	if (buf && buf->owner == file)
		kref_get(&buf->ref);
	else
		buf = NULL;
	mutex_unlock(&hpref_ids_lock);
	return buf;
}

static void hpref_record(struct hpref_buf *buf, u32 level, u32 path)
{
	buf->last_level = level;
	buf->last_path = path;
	buf->faults[level]++;
	buf->paths[path]++;
}

/* Byte offset within the buffer that @pgoff (a file page index) points at. */
static u64 hpref_buf_offset(const struct hpref_buf *buf, pgoff_t pgoff)
{
	return ((u64)pgoff << PAGE_SHIFT) - buf->mmap_offset;
}

static u64 hpref_block_size(const struct hpref_buf *buf)
{
	return 1ull << buf->block_shift;
}

static unsigned long hpref_pfn(struct hpref_buf *buf, u64 off)
{
	return buf->pfns[off >> buf->block_shift] +
	       ((off & (hpref_block_size(buf) - 1)) >> PAGE_SHIFT);
}

/*
 * A huge entry of @size (PMD_SIZE or PUD_SIZE) fits when the whole @size
 * around the fault lies inside the VMA and the buffer, starts at a multiple
 * of @size in the buffer, and one block holds all of it.
 */
static bool hpref_huge_fits(struct vm_fault *vmf, struct hpref_buf *buf, u64 size, u64 *off_out)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long haddr = vmf->address & ~(unsigned long)(size - 1);
	u64 off;

	if (size > hpref_block_size(buf))
		return false;
	if (haddr < vma->vm_start || haddr + size > vma->vm_end)
		return false;
	off = hpref_buf_offset(buf, vma->vm_pgoff + ((haddr - vma->vm_start) >> PAGE_SHIFT));
	if (off & (size - 1) || off + size > buf->length)
		return false;
	*off_out = off;
	return true;
}

/* pfn_t went away in 6.17 ("mm: remove pfn_t"): the inserts take raw pfns. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 17, 0)
#define HPREF_PFN(pfn)	(pfn)
#else
/* PFN_DEV without PFN_MAP: no devmap bit, just like TTM's entries. */
#define HPREF_PFN(pfn)	__pfn_to_pfn_t((pfn), PFN_DEV)
#endif

/* Caller holds buf->lock. */
static vm_fault_t hpref_insert_pmd(struct vm_fault *vmf, struct hpref_buf *buf, u32 path)
{
	bool write = vmf->flags & FAULT_FLAG_WRITE;
	vm_fault_t ret;
	u64 off;

	if (!IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE) || !hpref_huge_fits(vmf, buf, PMD_SIZE, &off))
		return VM_FAULT_FALLBACK;
	ret = hpref_block_fault(buf, off >> buf->block_shift);
	if (ret)
		return ret;
	ret = vmf_insert_pfn_pmd(vmf, HPREF_PFN(hpref_pfn(buf, off)), write);
	if (ret == VM_FAULT_NOPAGE)
		hpref_record(buf, HUGEPIN_REF_LEVEL_PMD, path);
	return ret;
}

/*
 * A PUD entry over a PUD-sized device block, from ->huge_fault only (the
 * kernels whose ->fault inserts PMDs never offer a PUD fault to this VMA).
 * Caller holds buf->lock.
 */
static vm_fault_t hpref_insert_pud(struct vm_fault *vmf, struct hpref_buf *buf)
{
#ifdef CONFIG_HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD
	bool write = vmf->flags & FAULT_FLAG_WRITE;
	vm_fault_t ret;
	u64 off;

	if (!IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE) || !hpref_huge_fits(vmf, buf, PUD_SIZE, &off))
		return VM_FAULT_FALLBACK;
	ret = hpref_block_fault(buf, off >> buf->block_shift);
	if (ret)
		return ret;
	ret = vmf_insert_pfn_pud(vmf, HPREF_PFN(hpref_pfn(buf, off)), write);
	if (ret == VM_FAULT_NOPAGE)
		hpref_record(buf, HUGEPIN_REF_LEVEL_PUD, HUGEPIN_REF_PATH_HUGE_FAULT);
	return ret;
#else
	return VM_FAULT_FALLBACK;
#endif
}

static vm_fault_t hpref_huge(struct vm_fault *vmf, u32 level)
{
	struct hpref_buf *buf = vmf->vma->vm_private_data;
	vm_fault_t ret = VM_FAULT_FALLBACK;

	mutex_lock(&buf->lock);
	if (level == HUGEPIN_REF_LEVEL_PMD && !READ_ONCE(pte_only))
		ret = hpref_insert_pmd(vmf, buf, HUGEPIN_REF_PATH_HUGE_FAULT);
	else if (level == HUGEPIN_REF_LEVEL_PUD && !READ_ONCE(pte_only))
		ret = hpref_insert_pud(vmf, buf);
	/* A PUD that does not fit is no fallback yet: the PMD fault comes next. */
	if (ret & VM_FAULT_FALLBACK && level == HUGEPIN_REF_LEVEL_PMD)
		buf->fallbacks++;
	mutex_unlock(&buf->lock);
	return ret;
}

/* ->huge_fault took an enum page_entry_size until 6.6, an order since. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
static vm_fault_t hpref_huge_fault(struct vm_fault *vmf, unsigned int order)
{
	if (order == HPREF_PMD_ORDER)
		return hpref_huge(vmf, HUGEPIN_REF_LEVEL_PMD);
	if (order == PUD_SHIFT - PAGE_SHIFT)
		return hpref_huge(vmf, HUGEPIN_REF_LEVEL_PUD);
	return VM_FAULT_FALLBACK;
}
#else
static vm_fault_t hpref_huge_fault(struct vm_fault *vmf, enum page_entry_size pe_size)
{
	if (pe_size == PE_SIZE_PMD)
		return hpref_huge(vmf, HUGEPIN_REF_LEVEL_PMD);
	if (pe_size == PE_SIZE_PUD)
		return hpref_huge(vmf, HUGEPIN_REF_LEVEL_PUD);
	return VM_FAULT_FALLBACK;
}
#endif

static vm_fault_t hpref_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct hpref_buf *buf = vma->vm_private_data;
	u64 off = hpref_buf_offset(buf, vmf->pgoff);
	vm_fault_t ret;

	if (off >= buf->length)
		return VM_FAULT_SIGBUS;
	mutex_lock(&buf->lock);
	if (HPREF_FAULT_INSERTS_PMD && !READ_ONCE(pte_only) && vmf->pmd &&
	    pmd_none(READ_ONCE(*vmf->pmd))) {
		ret = hpref_insert_pmd(vmf, buf, HUGEPIN_REF_PATH_FAULT_PMD);
		if (!(ret & VM_FAULT_FALLBACK))
			goto out;
		buf->fallbacks++;
	}
	ret = hpref_block_fault(buf, off >> buf->block_shift);
	if (ret)
		goto out;
	ret = vmf_insert_mixed(vma, vmf->address & PAGE_MASK, HPREF_PFN(hpref_pfn(buf, off)));
	if (ret == VM_FAULT_NOPAGE)
		hpref_record(buf, HUGEPIN_REF_LEVEL_PTE, HUGEPIN_REF_PATH_PTE);
out:
	mutex_unlock(&buf->lock);
	return ret;
}

static void hpref_vm_open(struct vm_area_struct *vma)
{
	struct hpref_buf *buf = vma->vm_private_data;

	kref_get(&buf->ref);
	atomic_inc(&buf->mappings);
}

static void hpref_vm_close(struct vm_area_struct *vma)
{
	struct hpref_buf *buf = vma->vm_private_data;

	atomic_dec(&buf->mappings);
	hpref_buf_put(buf);
}

static const struct vm_operations_struct hpref_vm_ops = {
	.open = hpref_vm_open,
	.close = hpref_vm_close,
	.fault = hpref_fault,
	.huge_fault = hpref_huge_fault,
};

/*
 * is_cow_mapping() moved to linux/mm.h in 5.13 ("mm: introduce
 * page_needs_cow_for_dma() for deciding whether cow"); 5.10 kept it private.
 * 7.3, with VMA flags turned into the vma_flags_t bitmap, asks the VMA
 * instead: vma_is_cow_mapping() replaced it.
 */
static bool hpref_is_cow(const struct vm_area_struct *vma)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(7, 3, 0)
	return vma_is_cow_mapping(vma);
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(5, 13, 0)
	return is_cow_mapping(vma->vm_flags);
#else
	return (vma->vm_flags & (VM_SHARED | VM_MAYWRITE)) == VM_MAYWRITE;
#endif
}

static int hpref_mmap(struct file *file, struct vm_area_struct *vma)
{
	u64 start = (u64)vma->vm_pgoff << PAGE_SHIFT;
	u64 len = vma->vm_end - vma->vm_start;
	u32 id = start >> HUGEPIN_REF_SLOT_SHIFT;
	struct hpref_buf *buf;
	u64 off;

	/* Like TTM: a private writable mapping would need COW of pfn pages. */
	if (hpref_is_cow(vma))
		return -EINVAL;
	buf = hpref_buf_get(file, id);
	if (!buf)
		return -EINVAL;
	off = start - buf->mmap_offset;
	if (off >= buf->length || len > buf->length - off) {
		hpref_buf_put(buf);
		return -EINVAL;
	}
	/* vm_flags became read-only behind vm_flags_set() in 6.3. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_set(vma, VM_MIXEDMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP);
#else
	vma->vm_flags |= VM_MIXEDMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP;
#endif
	vma->vm_ops = &hpref_vm_ops;
	vma->vm_private_data = buf;
	atomic_inc(&buf->mappings);
	return 0;
}

/*
 * mm->get_unmapped_area became mm_get_unmapped_area() in 6.10, which lost
 * its mm argument in 6.19 ("mm: Consistently use current->mm in
 * mm_get_unmapped_area()").
 */
static unsigned long hpref_mm_area(struct file *file, unsigned long addr, unsigned long len,
				   unsigned long pgoff, unsigned long flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 19, 0)
	return mm_get_unmapped_area(file, addr, len, pgoff, flags);
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
	return mm_get_unmapped_area(current->mm, file, addr, len, pgoff, flags);
#else
	return current->mm->get_unmapped_area(file, addr, len, pgoff, flags);
#endif
}

/*
 * Place mappings of 2 MiB or more so that the user address and the buffer
 * offset agree modulo 2 MiB: ask for a PMD more than needed and slide up.
 */
static unsigned long hpref_get_unmapped_area(struct file *file, unsigned long addr,
					     unsigned long len, unsigned long pgoff,
					     unsigned long flags)
{
	unsigned long off = pgoff << PAGE_SHIFT;
	unsigned long ret;

	if (flags & MAP_FIXED)
		return addr;
	if (len < PMD_SIZE || len + PMD_SIZE < len)
		return hpref_mm_area(file, addr, len, pgoff, flags);
	if (addr && !((addr - off) & ~PMD_MASK)) {
		ret = hpref_mm_area(file, addr, len, pgoff, flags);
		if (ret == addr)
			return ret;
	}
	ret = hpref_mm_area(file, 0, len + PMD_SIZE, pgoff, flags);
	if (IS_ERR_VALUE(ret))
		return hpref_mm_area(file, addr, len, pgoff, flags);
	return ret + ((off - ret) & ~PMD_MASK);
}

static int hpref_release(struct inode *inode, struct file *file)
{
	struct hpref_buf *buf;
	int id;

	mutex_lock(&hpref_ids_lock);
	idr_for_each_entry(&hpref_ids, buf, id) {
		if (buf->owner != file)
			continue;
		idr_remove(&hpref_ids, id);
		hpref_buf_put(buf);
	}
	mutex_unlock(&hpref_ids_lock);
	return 0;
}

static u32 hpref_caps(void)
{
	u32 caps = 0;

	if (HPREF_PMD_SPECIAL)
		caps |= HUGEPIN_REF_CAP_PMD_SPECIAL;
	if (HPREF_PUD_SPECIAL)
		caps |= HUGEPIN_REF_CAP_PUD_SPECIAL;
	if (IS_ENABLED(CONFIG_HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD))
		caps |= HUGEPIN_REF_CAP_PUD_ARCH;
	if (HPREF_FAULT_INSERTS_PMD)
		caps |= HUGEPIN_REF_CAP_FAULT_PMD;
	else
		caps |= HUGEPIN_REF_CAP_HUGE_FAULT;
	if (READ_ONCE(pte_only))
		caps |= HUGEPIN_REF_CAP_PTE_ONLY;
	if (hpref_devmem_ready(false))
		caps |= HUGEPIN_REF_CAP_DEVICE;
	if (hpref_devmem_ready(true))
		caps |= HUGEPIN_REF_CAP_DEVICE_PUD;
	return caps;
}

static long hpref_ioc_caps(struct hugepin_ref_caps *a)
{
	a->caps = hpref_caps();
	a->kernel_version = LINUX_VERSION_CODE;
	a->page_size = PAGE_SIZE;
	a->pmd_size = PMD_SIZE;
	a->pud_size = PUD_SIZE;
	a->pages_kept = atomic64_read(&hpref_pages_kept);
	return 0;
}

static long hpref_ioc_create(struct file *file, struct hugepin_ref_create *a)
{
	struct hpref_buf *buf;
	unsigned long b;
	int id, err;

	if (a->flags & ~HUGEPIN_REF_CREATE_FLAGS || a->pad)
		return -EINVAL;
	if (!a->length || a->length > HUGEPIN_REF_MAX_LENGTH || !PAGE_ALIGNED(a->length))
		return -EINVAL;
	/* RAM blocks of the PUD size would need alloc_contig_pages(). */
	if (a->flags & HUGEPIN_REF_CREATE_PUD && !(a->flags & HUGEPIN_REF_CREATE_DEVICE))
		return -EOPNOTSUPP;
	if (a->flags & HUGEPIN_REF_CREATE_DEVICE) {
		/* Device memory has no struct pages to make compound. */
		if (a->flags & HUGEPIN_REF_CREATE_COMPOUND)
			return -EINVAL;
		if (!hpref_devmem_ready(a->flags & HUGEPIN_REF_CREATE_PUD))
			return -ENODEV;
	}

	buf = kzalloc(sizeof(*buf), GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	kref_init(&buf->ref);
	mutex_init(&buf->lock);
	buf->owner = file;
	buf->mapping = file->f_mapping;
	buf->flags = a->flags;
	buf->length = a->length;
	buf->block_shift = a->flags & HUGEPIN_REF_CREATE_PUD ? PUD_SHIFT : PMD_SHIFT;
	buf->nr_blocks = DIV_ROUND_UP(a->length, hpref_block_size(buf));
	buf->pfns = kvmalloc_array(buf->nr_blocks, sizeof(*buf->pfns), GFP_KERNEL);
	if (!buf->pfns) {
		kfree(buf);
		return -ENOMEM;
	}
	for (b = 0; b < buf->nr_blocks; b++)
		buf->pfns[b] = HPREF_NO_PFN;
	/* Allocate up front so a short machine answers ENOMEM here, not SIGBUS later. */
	for (b = 0; b < buf->nr_blocks; b++) {
		err = hpref_block_alloc(buf, b);
		if (err) {
			hpref_buf_put(buf);
			return err;
		}
	}

	mutex_lock(&hpref_ids_lock);
	id = idr_alloc(&hpref_ids, buf, 1, HPREF_MAX_ID, GFP_KERNEL);
	if (id > 0) {
		buf->id = id;
		buf->mmap_offset = (u64)id << HUGEPIN_REF_SLOT_SHIFT;
	}
	mutex_unlock(&hpref_ids_lock);
	if (id < 0) {
		err = id;
		hpref_buf_put(buf);
		return err;
	}
	a->id = buf->id;
	a->block_size = hpref_block_size(buf);
	a->mmap_offset = buf->mmap_offset;
	return 0;
}

static long hpref_ioc_destroy(struct file *file, struct hugepin_ref_destroy *a)
{
	struct hpref_buf *buf;

	mutex_lock(&hpref_ids_lock);
	buf = idr_find(&hpref_ids, a->id);
	if (buf && buf->owner == file)
		idr_remove(&hpref_ids, a->id);
	else
		buf = NULL;
	mutex_unlock(&hpref_ids_lock);
	if (!buf)
		return -ENOENT;
	/* Mappings keep the buffer alive; the last one frees it. */
	hpref_buf_put(buf);
	return 0;
}

static long hpref_ioc_info(struct file *file, struct hugepin_ref_info *a)
{
	struct hpref_buf *buf = hpref_buf_get(file, a->id);
	unsigned long b;

	if (!buf)
		return -ENOENT;
	mutex_lock(&buf->lock);
	a->flags = buf->flags;
	a->last_level = buf->last_level;
	a->last_path = buf->last_path;
	a->mappings = atomic_read(&buf->mappings);
	a->length = buf->length;
	a->block_size = hpref_block_size(buf);
	a->faults_pte = buf->faults[HUGEPIN_REF_LEVEL_PTE];
	a->faults_pmd = buf->faults[HUGEPIN_REF_LEVEL_PMD];
	a->faults_pud = buf->faults[HUGEPIN_REF_LEVEL_PUD];
	a->path_huge_fault = buf->paths[HUGEPIN_REF_PATH_HUGE_FAULT];
	a->path_fault_pmd = buf->paths[HUGEPIN_REF_PATH_FAULT_PMD];
	a->path_pte = buf->paths[HUGEPIN_REF_PATH_PTE];
	a->fallbacks = buf->fallbacks;
	a->evictions = buf->evictions;
	a->blocks_present = 0;
	for (b = 0; b < buf->nr_blocks; b++)
		a->blocks_present += buf->pfns[b] != HPREF_NO_PFN;
	mutex_unlock(&buf->lock);
	hpref_buf_put(buf);
	return 0;
}

static long hpref_ioc_evict(struct file *file, struct hugepin_ref_evict *a)
{
	struct hpref_check c = { 0 };
	struct hpref_buf *buf;
	u32 kept = 0, freed = 0;
	unsigned long b;

	if (a->flags & ~HUGEPIN_REF_EVICT_FLAGS ||
	    (a->flags & HUGEPIN_REF_EVICT_FLAGS) == HUGEPIN_REF_EVICT_FLAGS)
		return -EINVAL;
	buf = hpref_buf_get(file, a->id);
	if (!buf)
		return -ENOENT;
	mutex_lock(&buf->lock);
	/*
	 * Faults insert under buf->lock, so once the zap is done nothing maps
	 * the blocks; a reference still there belongs to someone else.
	 */
	unmap_mapping_range(buf->mapping, buf->mmap_offset, buf->length, 1);
	for (b = 0; b < buf->nr_blocks; b++)
		hpref_block_release(buf, b, a->flags, &c, &kept, &freed);
	buf->evictions++;
	buf->last_level = HUGEPIN_REF_LEVEL_NONE;
	buf->last_path = HUGEPIN_REF_PATH_NONE;
	if (c.bad)
		pr_info("buffer %u evicted: %llu of %llu pages off their expected refcount (first: page %llu at %d, expected %d)\n",
			buf->id, c.bad, c.checked, c.samples[0].index,
			c.samples[0].refcount, c.samples[0].expected);
	mutex_unlock(&buf->lock);
	hpref_buf_put(buf);

	a->pages_checked = c.checked;
	a->pages_bad = c.bad;
	a->pages_extra = c.extra;
	a->pages_under = c.under;
	a->blocks_kept = kept;
	a->blocks_freed = freed;
	a->nr_samples = c.nr_samples;
	memcpy(a->samples, c.samples, sizeof(a->samples));
	return 0;
}

union hpref_args {
	struct hugepin_ref_caps caps;
	struct hugepin_ref_create create;
	struct hugepin_ref_destroy destroy;
	struct hugepin_ref_info info;
	struct hugepin_ref_evict evict;
	struct hugepin_ref_test test;
	struct hugepin_ref_pagerefs pagerefs;
};

/*
 * Commands are matched by number alone, so a caller with a different idea of
 * a struct's size gets -EINVAL rather than -ENOTTY.
 */
static long hpref_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	static const struct {
		unsigned int cmd;
		u32 size;
	} cmds[] = {
		{ HUGEPIN_REF_IOC_CAPS, sizeof(struct hugepin_ref_caps) },
		{ HUGEPIN_REF_IOC_CREATE, sizeof(struct hugepin_ref_create) },
		{ HUGEPIN_REF_IOC_DESTROY, sizeof(struct hugepin_ref_destroy) },
		{ HUGEPIN_REF_IOC_INFO, sizeof(struct hugepin_ref_info) },
		{ HUGEPIN_REF_IOC_EVICT, sizeof(struct hugepin_ref_evict) },
		{ HUGEPIN_REF_IOC_TEST, sizeof(struct hugepin_ref_test) },
		{ HUGEPIN_REF_IOC_PAGEREFS, sizeof(struct hugepin_ref_pagerefs) },
	};
	void __user *uarg = (void __user *)arg;
	union hpref_args a;
	unsigned int nr = _IOC_NR(cmd);
	u32 size;
	long ret;

	if (_IOC_TYPE(cmd) != HUGEPIN_REF_IOC_MAGIC || nr >= ARRAY_SIZE(cmds))
		return -ENOTTY;
	/* A normal load has no test hooks at all. */
	if (cmds[nr].cmd == HUGEPIN_REF_IOC_TEST && !hpref_test_hooks)
		return -ENOTTY;
	if (_IOC_DIR(cmd) != _IOC_DIR(cmds[nr].cmd) || _IOC_SIZE(cmd) != cmds[nr].size)
		return -EINVAL;
	if (get_user(size, (u32 __user *)uarg))
		return -EFAULT;
	if (size != cmds[nr].size)
		return -EINVAL;
	if (copy_from_user(&a, uarg, size))
		return -EFAULT;

	switch (cmds[nr].cmd) {
	case HUGEPIN_REF_IOC_CAPS:
		ret = hpref_ioc_caps(&a.caps);
		break;
	case HUGEPIN_REF_IOC_CREATE:
		ret = hpref_ioc_create(file, &a.create);
		break;
	case HUGEPIN_REF_IOC_DESTROY:
		ret = hpref_ioc_destroy(file, &a.destroy);
		break;
	case HUGEPIN_REF_IOC_INFO:
		ret = hpref_ioc_info(file, &a.info);
		break;
	case HUGEPIN_REF_IOC_EVICT:
		ret = hpref_ioc_evict(file, &a.evict);
		break;
	case HUGEPIN_REF_IOC_PAGEREFS:
		ret = hpref_ioc_pagerefs(&a.pagerefs);
		break;
	default:
		ret = hpref_ioc_test(file, &a.test);
		break;
	}
	if (!ret && (_IOC_DIR(cmd) & _IOC_READ) && copy_to_user(uarg, &a, size))
		ret = -EFAULT;
	return ret;
}

static const struct file_operations hpref_fops = {
	.owner = THIS_MODULE,
	.release = hpref_release,
	.mmap = hpref_mmap,
	.get_unmapped_area = hpref_get_unmapped_area,
	.unlocked_ioctl = hpref_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice hpref_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = HUGEPIN_REF_NAME,
	.fops = &hpref_fops,
	.mode = 0600,
};

static int __init hpref_init(void)
{
	if (!IS_ENABLED(CONFIG_HAVE_ARCH_TRANSPARENT_HUGEPAGE)) {
		pr_err("this architecture has no huge page-table entries (HAVE_ARCH_TRANSPARENT_HUGEPAGE unset)\n");
		return -EOPNOTSUPP;
	}
	if (!IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE)) {
		pr_err("CONFIG_TRANSPARENT_HUGEPAGE is unset: no huge pfn entries to test\n");
		return -EOPNOTSUPP;
	}
	/* Without PTE special, vmf_insert_mixed() would refcount our tail pages. */
	if (!IS_ENABLED(CONFIG_ARCH_HAS_PTE_SPECIAL)) {
		pr_err("this architecture lacks ARCH_HAS_PTE_SPECIAL: PTE fallback would refcount driver pages\n");
		return -EOPNOTSUPP;
	}
	return misc_register(&hpref_misc);
}

static void __exit hpref_exit(void)
{
	misc_deregister(&hpref_misc);
	hpref_test_exit();
	idr_destroy(&hpref_ids);
	hpref_devmem_exit();
	if (atomic64_read(&hpref_pages_kept))
		pr_info("unloading with %lld pages kept allocated on purpose (refcounts damaged or kept by request)\n",
			(long long)atomic64_read(&hpref_pages_kept));
}

module_init(hpref_init);
module_exit(hpref_exit);
/*
 * What the module was built to expect, readable on the host with modinfo
 * before any guest boots: the runner judges crash rows of the reference
 * module by it, as the module's ioctl tells the programs in the guest.
 */
#if HPREF_PMD_SPECIAL
MODULE_INFO(hugepin_pmd_special, "yes");
#else
MODULE_INFO(hugepin_pmd_special, "no");
#endif
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("hugepin reference driver: huge pfn mappings of driver-owned pages, as TTM made them");
