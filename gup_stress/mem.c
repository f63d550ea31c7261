// SPDX-License-Identifier: GPL-2.0
/*
 * gup_stress memory types: how each kind of user memory is mapped, and why a
 * kind cannot run here. Fast GUP takes a different branch for each: PTEs of
 * order-0 pages, PMD-mapped THP (anon, shmem, file), hugetlb PMDs and PUDs,
 * page cache folios of a disk filesystem, DRM buffer objects (TTM pfn
 * mappings or GEM shmem), and the reference module's pfn PMDs over
 * driver-owned non-compound pages.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "engine.h"
#include "hugepin_ref_uapi.h"

#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif
#define GS_MAP_HUGE_2MB (21 << MAP_HUGE_SHIFT)
#define GS_MAP_HUGE_1GB (30 << MAP_HUGE_SHIFT)

#define GS_TMPFS_MAGIC 0x01021994
#define GS_RAMFS_MAGIC 0x858458f6
#define GS_MAX_DRM 8
#define GS_DRM_MIN_SIZE HP_SZ_2M

#define THP_ENABLED "/sys/kernel/mm/transparent_hugepage/enabled"
#define THP_SHMEM "/sys/kernel/mm/transparent_hugepage/shmem_enabled"
#define HUGETLB_DIR "/sys/kernel/mm/hugepages/hugepages-"

static const char *const kind_names[GS_MEM_NR] = {
	[GS_MEM_ANON] = "anon",
	[GS_MEM_ANON_THP] = "anon_thp",
	[GS_MEM_SHMEM] = "shmem",
	[GS_MEM_SHMEM_THP] = "shmem_thp",
	[GS_MEM_HUGETLB] = "hugetlb",
	[GS_MEM_HUGETLB_1G] = "hugetlb_1g",
	[GS_MEM_PAGECACHE] = "pagecache",
	[GS_MEM_DRM] = "drm",
	[GS_MEM_REF] = "hugepin_ref",
};

const char *gs_mem_kind_name(enum gs_mem_kind k)
{
	return k < GS_MEM_NR ? kind_names[k] : "?";
}

static const char *kind_name_at(unsigned int i)
{
	return kind_names[i];
}

/* The module is expected to damage refcounts before 6.12: it is in no "all". */
int gs_mem_list_parse(const char *list, unsigned int *mask, char *bad, size_t badlen)
{
	return hp_list_mask(list, kind_name_at, GS_MEM_NR,
			    ((1u << GS_MEM_NR) - 1) & ~(1u << GS_MEM_REF), mask, bad, badlen);
}

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

/* The bracketed word of a sysfs mode file: "always [madvise] never". */
static void sysfs_mode(const char *path, char *out, size_t len)
{
	char line[256], *a, *b;

	snprintf(out, len, "absent");
	if (read_line(path, line, sizeof(line)))
		return;
	a = strchr(line, '[');
	b = a ? strchr(a, ']') : NULL;
	if (a && b) {
		*b = 0;
		snprintf(out, len, "%s", a + 1);
	}
}

static long hugetlb_free(const char *size_dir)
{
	char path[128], line[64];

	snprintf(path, sizeof(path), HUGETLB_DIR "%s/free_hugepages", size_dir);
	if (read_line(path, line, sizeof(line)))
		return -1;
	return strtol(line, NULL, 10);
}

static const char *pagecache_dir(const struct gs_config *cfg)
{
	const char *d = cfg->dir ? cfg->dir : getenv("TMPDIR");

	return d && *d ? d : "/tmp";
}

static void add(struct gs_mem_result **v, int *n, enum gs_mem_kind k, const char *name)
{
	struct gs_mem_result *r;

	*v = realloc(*v, sizeof(**v) * (size_t)(*n + 1));
	if (!*v)
		abort();
	r = &(*v)[(*n)++];
	memset(r, 0, sizeof(*r));
	r->kind = k;
	r->owner = HP_OWNER_PAGES;
	snprintf(r->name, sizeof(r->name), "%s", name);
}

static void skip(struct gs_mem_result *r, const char *why)
{
	snprintf(r->skip, sizeof(r->skip), "%s", why);
}

static void check_kind(const struct gs_config *cfg, struct gs_mem_result *r)
{
	size_t need = (size_t)(cfg->size / HP_SZ_2M);
	char mode[32], why[160];
	struct statfs sfs;
	long nfree;

	switch (r->kind) {
	case GS_MEM_ANON_THP:
		sysfs_mode(THP_ENABLED, mode, sizeof(mode));
		if (strcmp(mode, "always") && strcmp(mode, "madvise")) {
			snprintf(why, sizeof(why), "THP is %s (" THP_ENABLED ")", mode);
			skip(r, why);
		}
		break;
	case GS_MEM_HUGETLB:
		/* One spare page: the remap mutator maps a fresh one before the old goes. */
		need++;
		nfree = hugetlb_free("2048kB");
		if (nfree < (long)need) {
			snprintf(why, sizeof(why),
				 "%ld free 2 MiB huge pages, %zu needed (echo %zu > /proc/sys/vm/nr_hugepages)",
				 nfree < 0 ? 0 : nfree, need, need);
			skip(r, why);
		}
		break;
	case GS_MEM_HUGETLB_1G:
		nfree = hugetlb_free("1048576kB");
		if (nfree < 1) {
			skip(r, "no 1 GiB huge pages reserved (hugepagesz=1G hugepages=N on the kernel command line)");
		}
		break;
	case GS_MEM_PAGECACHE:
		if (statfs(pagecache_dir(cfg), &sfs)) {
			snprintf(why, sizeof(why), "cannot stat %s: %s (--dir DIR)",
				 pagecache_dir(cfg), strerror(errno));
			skip(r, why);
		} else if ((unsigned long)sfs.f_type == GS_TMPFS_MAGIC ||
			   (unsigned long)sfs.f_type == GS_RAMFS_MAGIC) {
			snprintf(why, sizeof(why),
				 "%s is tmpfs/ramfs, not a disk filesystem (--dir DIR on ext4, xfs, ...)",
				 pagecache_dir(cfg));
			skip(r, why);
		}
		break;
	default:
		break;
	}
}

int gs_mem_plan(const struct gs_config *cfg, struct gs_mem_result **out, int *n)
{
	struct gs_mem_result *v = NULL;
	int cnt = 0;

	for (int k = 0; k < GS_MEM_NR; k++) {
		if (!(cfg->mem_mask & (1u << k)))
			continue;
		if (k == GS_MEM_DRM) {
			struct hp_drm_dev devs[GS_MAX_DRM];
			int nd = hp_drm_list(devs, GS_MAX_DRM);

			if (nd <= 0) {
				add(&v, &cnt, GS_MEM_DRM, "drm");
				skip(&v[cnt - 1], "no DRM device (/dev/dri/card*)");
				continue;
			}
			for (int i = 0; i < nd; i++) {
				add(&v, &cnt, GS_MEM_DRM, devs[i].device);
				snprintf(v[cnt - 1].driver, sizeof(v[cnt - 1].driver), "%s",
					 devs[i].driver);
				v[cnt - 1].owner = devs[i].ttm ? HP_OWNER_DRIVER : HP_OWNER_PAGES;
			}
			continue;
		}
		add(&v, &cnt, (enum gs_mem_kind)k, kind_names[k]);
		check_kind(cfg, &v[cnt - 1]);
	}
	*out = v;
	*n = cnt;
	return 0;
}

/* A private tmpfs with huge=always: shmem THP without touching the global knob. */
static int shmem_thp_file(struct gs_region *r, size_t len, char *why, size_t wlen)
{
	char mode[32];
	int fd;

	snprintf(r->tmpdir, sizeof(r->tmpdir), "/tmp/gup_stress.XXXXXX");
	if (mkdtemp(r->tmpdir) && !mount("gup_stress", r->tmpdir, "tmpfs", 0, "huge=always")) {
		snprintf(r->path, sizeof(r->path), "%s/shmem_thp", r->tmpdir);
		fd = open(r->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		/* Detached now: the mount lives as long as the file is open. */
		unlink(r->path);
		umount2(r->tmpdir, MNT_DETACH);
		rmdir(r->tmpdir);
		r->tmpdir[0] = r->path[0] = 0;
		if (fd >= 0 && !ftruncate(fd, (off_t)len))
			return fd;
		if (fd >= 0)
			close(fd);
	} else if (r->tmpdir[0]) {
		rmdir(r->tmpdir);
		r->tmpdir[0] = 0;
	}
	sysfs_mode(THP_SHMEM, mode, sizeof(mode));
	if (strcmp(mode, "always") && strcmp(mode, "advise") && strcmp(mode, "within_size") &&
	    strcmp(mode, "force")) {
		snprintf(why, wlen, "shmem THP is %s (" THP_SHMEM ") and a huge=always tmpfs cannot be mounted",
			 mode);
		return -EOPNOTSUPP;
	}
	fd = memfd_create("gup_stress_thp", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)len)) {
		snprintf(why, wlen, "memfd: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	return fd;
}

/* The module is loaded when it is not (hp_refmod_open()): a missing one is a skip with its reason. */
static int setup_ref(const struct gs_config *cfg, struct gs_region *r, char *why, size_t wlen)
{
	const char *expected_why;
	int err = hp_refmod_open(&r->ref, why, wlen);

	if (err)
		return err;
	r->src.kind = HP_BUF_REF;
	r->src.ref = &r->ref;
	err = _hp_buf_create(&r->src, cfg->size, true, &r->buf);
	if (err) {
		snprintf(why, wlen, "reference module refused a %llu byte buffer: %s",
			 (unsigned long long)cfg->size, strerror(-err));
		return err;
	}
	r->res->vuln_expected = hp_refmod_vuln_expected(&r->ref, &expected_why);
	r->res->owner = HP_OWNER_DRIVER;
	snprintf(r->res->driver, sizeof(r->res->driver), "%s", HUGEPIN_REF_NAME);
	r->fd = r->buf.fd;
	r->fd_off = r->buf.off;
	return 0;
}

static int setup_drm(const struct gs_config *cfg, struct gs_region *r, char *why, size_t wlen)
{
	struct hp_drm_dev dev;
	uint64_t size = cfg->size;
	int err;

	if (hp_drm_find(r->res->name, &dev)) {
		snprintf(why, wlen, "DRM device %s went away", r->res->name);
		return -ENODEV;
	}
	r->drm_fd = open(dev.path, O_RDWR | O_CLOEXEC);
	if (r->drm_fd < 0) {
		snprintf(why, wlen, "open %s: %s", dev.path, strerror(errno));
		return -errno;
	}
	r->src.kind = HP_BUF_DRM;
	r->src.drm_fd = r->drm_fd;
	/* Small VRAM (bochs has 16 MiB with a console on it): halve until it fits. */
	do {
		err = _hp_buf_create(&r->src, size, true, &r->buf);
		if (!err)
			break;
		size /= 2;
	} while (size >= GS_DRM_MIN_SIZE);
	if (err) {
		snprintf(why, wlen, "%s: dumb buffer of %llu bytes refused: %s", dev.driver,
			 (unsigned long long)cfg->size, strerror(-err));
		return err;
	}
	r->fd = r->buf.fd;
	r->fd_off = r->buf.off;
	r->whole = true;
	return (int)(size & ~(HP_SZ_2M - 1));
}

/* How a region of one kind is mapped. */
struct region_map {
	size_t len, align;
	int flags;
	bool huge;
};

/* The backing of @r's kind (a file, a buffer, nothing for anonymous memory) and how to map it. */
static int region_backing(const struct gs_config *cfg, struct gs_region *r,
			  struct region_map *rm, char *why, size_t wlen)
{
	int err = 0;

	switch (r->kind) {
	case GS_MEM_ANON:
		r->advice = MADV_NOHUGEPAGE;
		break;
	case GS_MEM_ANON_THP:
		r->advice = MADV_HUGEPAGE;
		rm->huge = true;
		break;
	case GS_MEM_SHMEM:
		r->fd = memfd_create("gup_stress", MFD_CLOEXEC);
		if (r->fd < 0 || ftruncate(r->fd, (off_t)rm->len)) {
			err = -errno;
			snprintf(why, wlen, "memfd: %s", strerror(errno));
		}
		rm->flags = MAP_SHARED;
		r->advice = MADV_NOHUGEPAGE;
		break;
	case GS_MEM_SHMEM_THP:
		r->fd = shmem_thp_file(r, rm->len, why, wlen);
		if (r->fd < 0)
			err = r->fd;
		rm->flags = MAP_SHARED;
		r->advice = MADV_HUGEPAGE;
		rm->huge = true;
		break;
	case GS_MEM_HUGETLB:
		rm->flags = MAP_PRIVATE | MAP_HUGETLB | GS_MAP_HUGE_2MB;
		break;
	case GS_MEM_HUGETLB_1G:
		rm->flags = MAP_PRIVATE | MAP_HUGETLB | GS_MAP_HUGE_1GB;
		rm->len = HP_SZ_1G;
		rm->align = HP_SZ_1G;
		r->slot = HP_SZ_1G;
		break;
	case GS_MEM_PAGECACHE:
		snprintf(r->path, sizeof(r->path), "%s/gup_stress.XXXXXX", pagecache_dir(cfg));
		r->fd = mkostemp(r->path, O_CLOEXEC);
		if (r->fd < 0 || ftruncate(r->fd, (off_t)rm->len)) {
			err = -errno;
			snprintf(why, wlen, "page-cache file in %s: %s", pagecache_dir(cfg),
				 strerror(errno));
		}
		rm->flags = MAP_SHARED;
		break;
	case GS_MEM_DRM:
		err = setup_drm(cfg, r, why, wlen);
		if (err > 0) {
			rm->len = (size_t)err;
			err = 0;
		}
		rm->flags = MAP_SHARED;
		rm->huge = true;
		break;
	case GS_MEM_REF:
		err = setup_ref(cfg, r, why, wlen);
		rm->flags = MAP_SHARED;
		/*
		 * Where the core calls the module's ->huge_fault (6.12+) it applies
		 * the THP policy first; under "madvise" the PMDs need the hint.
		 */
		r->advice = MADV_HUGEPAGE;
		rm->huge = true;
		break;
	case GS_MEM_NR:
		err = -EINVAL;
		break;
	}
	return err;
}

int gs_region_setup(const struct gs_config *cfg, struct gs_region *r, struct gs_mem_result *res)
{
	struct region_map rm = { .len = (size_t)cfg->size, .align = HP_SZ_2M, .flags = MAP_PRIVATE };
	char why[160] = "";
	int err;

	memset(r, 0, sizeof(*r));
	r->res = res;
	r->kind = res->kind;
	r->fd = r->drm_fd = r->ref.fd = -1;
	r->slot = HP_SZ_2M;

	err = region_backing(cfg, r, &rm, why, sizeof(why));
	/* A library buffer comes mapped. */
	if (!err && r->buf.live) {
		r->map = r->buf.map;
	} else if (!err) {
		err = _hp_map(&r->map, r->fd, r->fd < 0 ? 0 : r->fd_off, rm.len, rm.align,
			      PROT_READ | PROT_WRITE, rm.flags, rm.huge);
		if (err)
			snprintf(why, sizeof(why), "mmap of %zu bytes: %s", rm.len, strerror(-err));
	}
	if (!err && r->advice == MADV_NOHUGEPAGE)
		madvise(r->map.addr, rm.len, MADV_NOHUGEPAGE);
	if (err) {
		skip(res, why[0] ? why : strerror(-err));
		gs_region_teardown(r);
		return err;
	}
	r->addr = r->map.addr;
	r->len = rm.len;
	r->nslots = rm.len / r->slot;
	/* _hp_map adds MAP_ANONYMOUS itself; a MAP_FIXED remap needs it spelled out. */
	r->map_flags = r->fd < 0 ? rm.flags | MAP_ANONYMOUS : rm.flags;
	r->seq = calloc(r->nslots, sizeof(*r->seq));
	if (!r->seq) {
		gs_region_teardown(r);
		return -ENOMEM;
	}
	hp_map_touch(&r->map, true);
	return 0;
}

/* The module's refcount report at eviction is the detector fast GUP damage shows up in. */
static void ref_evict_report(struct gs_region *r)
{
	struct hugepin_ref_evict ev;
	char what[sizeof(r->res->first_bad) - 16];

	if (!_hp_refmod_evict(&r->ref, r->buf.ref.id, 0, &ev) && ev.pages_bad) {
		/* Expected on kernels without the PMD special bit: the verdict says so. */
		r->res->failed = r->res->failed || !r->res->vuln_expected;
		hp_refmod_evict_describe(&ev, what, sizeof(what));
		snprintf(r->res->first_bad, sizeof(r->res->first_bad), "eviction: %s", what);
		r->res->extra_refs = (long)ev.pages_bad;
	}
}

void gs_region_teardown(struct gs_region *r)
{
	if (r->map.addr)
		hp_unmap(&r->map);
	r->map.addr = NULL;
	if (r->kind == GS_MEM_REF && r->buf.ref.id)
		ref_evict_report(r);
	/* The mapping went with r->map: only the backing is left. */
	hp_buf_release(&r->buf);
	if (r->drm_fd >= 0)
		close(r->drm_fd);
	if (r->fd >= 0 && r->fd != r->drm_fd && r->fd != r->ref.fd)
		close(r->fd);
	hp_refmod_close(&r->ref);
	if (r->path[0])
		unlink(r->path);
	free(r->seq);
	r->seq = NULL;
	r->fd = r->drm_fd = -1;
	r->path[0] = 0;
}

/* Huge-mapped kB of the region from smaps: proof the huge branch of GUP was hit. */
long gs_region_huge_kb(const struct gs_region *r)
{
	static const char *const keys[] = { "AnonHugePages:", "ShmemPmdMapped:",
					    "FilePmdMapped:", "Private_Hugetlb:",
					    "Shared_Hugetlb:" };
	uintptr_t lo = (uintptr_t)r->addr, hi = lo + r->len;
	char line[256];
	bool in = false;
	long kb = 0;
	FILE *f;

	f = fopen("/proc/self/smaps", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long a, b;

		if (sscanf(line, "%lx-%lx ", &a, &b) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			in = a < hi && b > lo;
			continue;
		}
		if (!in)
			continue;
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			size_t kl = strlen(keys[i]);

			if (!strncmp(line, keys[i], kl))
				kb += strtol(line + kl, NULL, 10);
		}
	}
	fclose(f);
	return kb;
}
