// SPDX-License-Identifier: GPL-2.0
/*
 * gup_stress mutators: change the page tables under the pinners. Each one
 * drives a different path that must stay coherent with (fast) GUP: zap_page_range
 * (munmap, MADV_DONTNEED/FREE), move_page_tables (mremap), change_protection
 * (mprotect, which also splits a huge PMD when only part of it changes),
 * copy_page_range + do_wp_page (fork and copy-on-write), __split_huge_pmd,
 * khugepaged's collapse (MADV_COLLAPSE), reclaim (MADV_COLD/PAGEOUT) and
 * page migration (compaction).
 *
 * Unmapping is done as mmap(MAP_FIXED) over the range and mremap uses
 * MREMAP_DONTUNMAP both ways, so the address range is never a hole another
 * thread's mmap() could land in. Mutators that may change the contents bump
 * the slot's sequence count around the change so the pinners excuse a
 * mismatch that overlapped it; the others must leave every byte intact.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine.h"

#ifndef MADV_COLD
#define MADV_COLD 20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

#define GS_COMPACT_PATH "/proc/sys/vm/compact_memory"

uint64_t gs_rand(uint64_t *s)
{
	/* xorshift64*: cheap, and the run is reproducible from --seed */
	uint64_t x = *s ? *s : 0x2545f4914f6cdd1dull;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

int gs_mutctx_init(struct gs_mutctx *c, const struct gs_region *r, uint64_t seed)
{
	int err;

	memset(c, 0, sizeof(*c));
	c->rng = seed;
	/* A slot-aligned landing place keeps hugetlb mremap legal. */
	err = _hp_map(&c->spare, -1, 0, r->whole ? r->len : r->slot,
		      r->slot >= hp_pmd_size() ? r->slot : hp_pmd_size(), PROT_NONE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, false);
	c->have_spare = err == 0;
	return 0;
}

void gs_mutctx_fini(struct gs_mutctx *c)
{
	if (c->have_spare)
		hp_unmap(&c->spare);
	c->have_spare = false;
}

static void seq_bump(struct gs_region *r, size_t first, size_t n)
{
	for (size_t i = first; i < first + n; i++)
		__atomic_add_fetch(&r->seq[i], 1, __ATOMIC_SEQ_CST);
}

/* Recreate [addr, addr+len) in place: the old pages are unmapped atomically. */
static int remap_range(struct gs_region *r, char *addr, size_t len)
{
	off_t off = r->fd_off + (addr - r->addr);
	void *p;

	p = mmap(addr, len, PROT_READ | PROT_WRITE, r->map_flags | MAP_FIXED,
		 r->fd, r->fd < 0 ? 0 : off);
	if (p == MAP_FAILED)
		return -errno;
	if (r->advice && madvise(addr, len, r->advice))
		return -errno;
	return 0;
}

static int do_mremap(struct gs_mutctx *c, struct gs_region *r, char *addr, size_t len)
{
	void *p;

	if (!c->have_spare)
		return -ENOMEM;
	p = mremap(addr, len, len, MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP,
		   c->spare.addr);
	if (p == MAP_FAILED)
		return -errno;
	p = mremap(c->spare.addr, len, len, MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP,
		   addr);
	if (p == MAP_FAILED) {
		int e = errno;

		/* Put the range back so the pinners keep a mapping there. */
		remap_range(r, addr, len);
		return -e;
	}
	if (r->advice)
		madvise(addr, len, r->advice);
	return 0;
}

static int do_fork(struct gs_region *r, char *addr, size_t len, uint64_t rnd)
{
	/*
	 * Only a private mapping can be written by the child without the parent
	 * seeing it; hugetlb is left alone (the child's copy would need a spare
	 * huge page and dies of SIGBUS without one).
	 */
	bool write = r->kind == GS_MEM_ANON || r->kind == GS_MEM_ANON_THP;
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		/* Writing breaks copy-on-write on one page, in the child only. */
		volatile char *p = addr + (rnd % (len / hp_page_size())) * hp_page_size();

		if (write)
			*p = (char)(*p + 1);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (WIFSIGNALED(status))
		return -EFAULT;
	return 0;
}

static int do_compact(void)
{
	int fd = open(GS_COMPACT_PATH, O_WRONLY | O_CLOEXEC);
	int err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, "1", 1) != 1)
		err = -errno;
	close(fd);
	return err;
}

static int do_madvise(char *addr, size_t len, int advice)
{
	return madvise(addr, len, advice) ? -errno : 0;
}

int gs_mutate(struct gs_mutctx *c, struct gs_region *r, enum gs_mutator m, size_t slot)
{
	size_t first = r->whole ? 0 : slot;
	size_t nslots = r->whole ? r->nslots : 1;
	char *addr = r->addr + first * r->slot;
	size_t len = nslots * r->slot;
	size_t pages = r->slot / hp_page_size();
	uint64_t rnd = gs_rand(&c->rng);
	char *page = r->addr + slot * r->slot + (rnd % pages) * hp_page_size();
	int err;

	switch (m) {
	case GS_MUT_REMAP:
		seq_bump(r, first, nslots);
		err = remap_range(r, addr, len);
		seq_bump(r, first, nslots);
		return err;
	case GS_MUT_MREMAP:
		seq_bump(r, first, nslots);
		err = do_mremap(c, r, addr, len);
		seq_bump(r, first, nslots);
		return err;
	case GS_MUT_DONTNEED:
	case GS_MUT_FREE:
		seq_bump(r, slot, 1);
		err = do_madvise(r->addr + slot * r->slot, r->slot,
				 m == GS_MUT_FREE ? MADV_FREE : MADV_DONTNEED);
		seq_bump(r, slot, 1);
		return err;
	case GS_MUT_COLD:
		return do_madvise(r->addr + slot * r->slot, r->slot, MADV_COLD);
	case GS_MUT_PAGEOUT:
		return do_madvise(r->addr + slot * r->slot, r->slot, MADV_PAGEOUT);
	case GS_MUT_COLLAPSE:
		return do_madvise(r->addr + slot * r->slot, r->slot, MADV_COLLAPSE);
	case GS_MUT_MPROTECT: {
		/* Half the time one page only: the VMA splits inside a huge page. */
		char *a = (rnd >> 32) & 1 ? page : r->addr + slot * r->slot;
		size_t l = (rnd >> 32) & 1 ? hp_page_size() : r->slot;

		if (r->kind == GS_MEM_HUGETLB || r->kind == GS_MEM_HUGETLB_1G) {
			a = r->addr + slot * r->slot;
			l = r->slot;
		}
		if (mprotect(a, l, PROT_READ))
			return -errno;
		if (mprotect(a, l, PROT_READ | PROT_WRITE))
			return -errno;
		return 0;
	}
	case GS_MUT_SPLIT:
		if (r->whole)
			return -EOPNOTSUPP;
		seq_bump(r, slot, 1);
		err = remap_range(r, page, hp_page_size());
		seq_bump(r, slot, 1);
		return err;
	case GS_MUT_FORK:
		return do_fork(r, r->addr + slot * r->slot, r->slot, rnd);
	case GS_MUT_COMPACT:
		return do_compact();
	case GS_MUT_NR:
		break;
	}
	return -EINVAL;
}
