// SPDX-License-Identifier: GPL-2.0
/*
 * Huge-aligned user mappings and what backs them.
 *
 * A huge PMD (or PUD) can only back a user address that is aligned to the
 * block it maps (2 MiB and 1 GiB on x86-64, 32 MiB and 64 GiB on arm64 with
 * 16 KiB pages), whether the fault handler is THP's or a driver's huge_fault/fault
 * inserting a pfn PMD. mmap() gives no alignment, so we reserve len + align
 * bytes of PROT_NONE address space, then map the real object with MAP_FIXED
 * at the aligned address inside it and hand the slack back. MADV_HUGEPAGE is
 * what THP "madvise" mode (Debian's default) needs before a huge fault.
 *
 * The backing level comes from the ptdump debugfs file of the current
 * process (CONFIG_PTDUMP_DEBUGFS) when the kernel has it, else from smaps,
 * which sees THP (anon, shmem, file) but not pfn mappings.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "hp_buf.h"

#define PTDUMP_CURRENT "/sys/kernel/debug/page_tables/current_user"

int _hp_map(struct hp_map *m, int fd, off_t off, size_t len, size_t align,
	    int prot, int flags, bool huge)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uintptr_t start, aligned;
	void *resv, *addr;
	size_t head, tail;

	memset(m, 0, sizeof(*m));
	if (!len || !align || (align & (align - 1)) || align < page)
		return -EINVAL;
	resv = mmap(NULL, len + align, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (resv == MAP_FAILED)
		return -errno;
	start = (uintptr_t)resv;
	aligned = (start + align - 1) & ~(uintptr_t)(align - 1);
	if (fd < 0)
		flags |= MAP_ANONYMOUS;
	addr = mmap((void *)aligned, len, prot, flags | MAP_FIXED, fd, fd < 0 ? 0 : off);
	if (addr == MAP_FAILED) {
		int err = errno;

		munmap(resv, len + align);
		return -err;
	}
	/* Give back the unused ends of the reservation. */
	head = aligned - start;
	tail = len + align - head - len;
	if (head)
		munmap(resv, head);
	if (tail)
		munmap((char *)addr + len, tail);
	m->addr = addr;
	m->len = len;
	m->raw = addr;
	m->raw_len = len;
	m->align = align;

	/*
	 * Drivers may refuse the hint on their VMAs; that only costs the huge
	 * mapping, which the level check reports. For anonymous memory a
	 * refusal means THP is off and the caller must hear it.
	 */
	if (huge && madvise(addr, len, MADV_HUGEPAGE) && fd < 0) {
		int err = errno;

		hp_unmap(m);
		return -err;
	}
	return 0;
}

void hp_unmap(struct hp_map *m)
{
	if (m->raw)
		munmap(m->raw, m->raw_len);
	memset(m, 0, sizeof(*m));
}

void hp_map_touch(struct hp_map *m, bool write)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	volatile char *p = m->addr;

	for (size_t off = 0; off < m->len; off += page) {
		if (write)
			p[off] = (char)(off / page);
		else
			(void)p[off];
	}
}

/*
 * ptdump lines look like
 *   0x00007f1c00000000-0x00007f1c00200000   2M  RW  PSE  NX  pmd
 * with the level as the last word.
 */
static enum hp_level level_ptdump(uintptr_t addr)
{
	char line[512], last[16];
	enum hp_level lvl = HP_LEVEL_UNKNOWN;
	FILE *f = fopen(PTDUMP_CURRENT, "re");

	if (!f)
		return HP_LEVEL_UNKNOWN;
	while (fgets(line, sizeof(line), f)) {
		uint64_t lo, hi;
		char *word;

		if (sscanf(line, "0x%" SCNx64 "-0x%" SCNx64, &lo, &hi) != 2 || addr < lo || addr >= hi)
			continue;
		line[strcspn(line, "\n")] = '\0';
		word = strrchr(line, ' ');
		snprintf(last, sizeof(last), "%s", word ? word + 1 : "");
		if (!strcmp(last, "pte"))
			lvl = HP_LEVEL_PTE;
		else if (!strcmp(last, "pmd"))
			lvl = HP_LEVEL_PMD;
		else if (!strcmp(last, "pud"))
			lvl = HP_LEVEL_PUD;
		break;
	}
	fclose(f);
	return lvl;
}

/*
 * smaps counts huge mappings per VMA. Our mappings are one aligned VMA, so
 * any PMD-mapped THP in it means the pinned range sits on one. A VMA with
 * resident memory and none of it PMD-mapped is PTE-mapped, unless it is a
 * pfn/mixed map, whose entries smaps does not count at all.
 */
/* smaps "VmFlags: rd wr sh mr mw me ms pf io" holds two-letter words. */
static bool vm_flag(const char *line, const char *flag)
{
	for (const char *p = strchr(line, ':'); p && *p; p++)
		if (p[0] == ' ' && p[1] == flag[0] && p[2] == flag[1] &&
		    (p[3] == ' ' || p[3] == '\n' || p[3] == '\0'))
			return true;
	return false;
}

static enum hp_level level_smaps(uintptr_t addr)
{
	char line[512];
	bool in_vma = false, pfnmap = false;
	long rss = 0, huge_kb = 0;
	FILE *f = fopen("/proc/self/smaps", "re");

	if (!f)
		return HP_LEVEL_UNKNOWN;
	while (fgets(line, sizeof(line), f)) {
		uint64_t lo, hi;
		long kb;
		char key[64];

		/* Key lines ("AnonHugePages:") never parse as "lo-hi". */
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " ", &lo, &hi) == 2) {
			if (in_vma)
				break;
			in_vma = addr >= lo && addr < hi;
			continue;
		}
		if (!in_vma)
			continue;
		if (sscanf(line, "%63[^:]: %ld kB", key, &kb) == 2) {
			if (!strcmp(key, "Rss"))
				rss = kb;
			else if (!strcmp(key, "AnonHugePages") || !strcmp(key, "ShmemPmdMapped") ||
				 !strcmp(key, "FilePmdMapped"))
				huge_kb += kb;
		} else if (!strncmp(line, "VmFlags:", 8)) {
			pfnmap = vm_flag(line, "pf") || vm_flag(line, "io") || vm_flag(line, "mm");
		}
	}
	fclose(f);
	if (!in_vma || pfnmap)
		return HP_LEVEL_UNKNOWN;
	if (huge_kb)
		return HP_LEVEL_PMD;
	return rss ? HP_LEVEL_PTE : HP_LEVEL_UNKNOWN;
}

enum hp_level hp_map_level_seen(const void *addr, enum hp_special *special, const char **why)
{
	struct hp_walk w;
	enum hp_level lvl;

	*special = HP_SPECIAL_UNKNOWN;
	*why = NULL;
	if (!hp_walk_query(addr, &w) && w.level != HP_LEVEL_UNKNOWN) {
		if (w.present)
			*special = w.special_known && w.special ? HP_SPECIAL_YES : HP_SPECIAL_NO;
		return w.level;
	}
	/* Nothing mapped at @addr now: what smaps says of the whole VMA. */
	lvl = level_ptdump((uintptr_t)addr);
	if (lvl == HP_LEVEL_UNKNOWN)
		lvl = level_smaps((uintptr_t)addr);
	if (lvl == HP_LEVEL_UNKNOWN)
		*why = hp_walk_absent_why();
	return lvl;
}

enum hp_level hp_map_level(const void *addr)
{
	enum hp_special special;
	const char *why;

	return hp_map_level_seen(addr, &special, &why);
}

int hp_sysfs_choice(const char *path, char *cur, size_t len)
{
	char buf[256], *lb, *rb;
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	lb = strchr(buf, '[');
	rb = lb ? strchr(lb, ']') : NULL;
	if (!rb)
		return -EIO;
	*rb = '\0';
	if (cur)
		snprintf(cur, len, "%s", lb + 1);
	return 0;
}

int hp_sysfs_write(const char *path, const char *value)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -errno;
	if (fputs(value, f) < 0) {
		fclose(f);
		return -EIO;
	}
	return fclose(f) ? -errno : 0;
}

int hp_thp_mode(char *cur, size_t len, const char *set)
{
	int ret = set ? hp_sysfs_write(HP_THP_ENABLED, set) : 0;

	return ret ? ret : hp_sysfs_choice(HP_THP_ENABLED, cur, len);
}

/* ---- buffers of the controls (hp_buf.h) ---- */

static int anon_buf_create(const struct hp_buf_src *src, size_t size, struct hp_buf *b)
{
	(void)src;
	(void)size;
	b->flags = MAP_PRIVATE;
	return 0;
}

const struct hp_buf_ops hp_buf_anon_ops = { .create = anon_buf_create, .release = hp_buf_close_fd };

static int shmem_buf_create(const struct hp_buf_src *src, size_t size, struct hp_buf *b)
{
	int fd = hp_buf_memfd("hugepin-buf", size);

	(void)src;
	if (fd < 0)
		return fd;
	b->fd = fd;
	b->flags = MAP_SHARED;
	return 0;
}

const struct hp_buf_ops hp_buf_shmem_ops = { .create = shmem_buf_create, .release = hp_buf_close_fd };
