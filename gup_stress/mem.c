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
#include <unistd.h>

#include "engine.h"
#include "hugepin_ref_uapi.h"

#define GS_MAX_DRM 8

/* The rows of GS_MEMS (gs_mems.h): each type's buffer kind and hints. */
#define GS_KIND_ROW(value, tname, kind, thuge, tsmall, tadvice, tpage, twhole)	\
	[value] = { #tname, kind, thuge, tsmall, tadvice, tpage, twhole },
static const struct gs_kind {
	const char *name;
	enum hp_buf_kind buf;
	bool huge;		/* MADV_HUGEPAGE on the buffer */
	bool small;		/* MADV_NOHUGEPAGE on the buffer */
	int advice;		/* for remapped slots; 0: none */
	enum hp_level page;	/* hugetlb page: a PMD block or a PUD block */
	bool whole;		/* only the whole region can be remapped */
} kinds[GS_MEM_NR] = {
	GS_MEMS(GS_KIND_ROW)
};

/* The hugetlb page size of @k, from the running kernel; 0 for the other kinds. */
static size_t kind_page(const struct gs_kind *k)
{
	switch (k->page) {
	case HP_LEVEL_PMD:
		return hp_pmd_size();
	case HP_LEVEL_PUD:
		return hp_pud_size();
	default:
		return 0;
	}
}

const char *gs_mem_kind_name(enum gs_mem_kind k)
{
	return k < GS_MEM_NR ? kinds[k].name : "?";
}

static const char *kind_name_at(unsigned int i)
{
	return kinds[i].name;
}

/* The module is expected to damage refcounts before 6.12: it is in no "all". */
int gs_mem_list_parse(const char *list, unsigned int *mask, char *bad, size_t badlen)
{
	return hp_list_mask(list, kind_name_at, GS_MEM_NR,
			    ((1u << GS_MEM_NR) - 1) & ~(1u << GS_MEM_REF), mask, bad, badlen);
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
	size_t need = (size_t)(cfg->size / hp_pmd_size());
	char mode[32] = "absent", why[160], dir_why[128];
	long nfree;

	switch (r->kind) {
	case GS_MEM_ANON_THP:
		hp_thp_mode(mode, sizeof(mode), NULL);
		if (strcmp(mode, "always") && strcmp(mode, "madvise")) {
			snprintf(why, sizeof(why), "THP is %s (" HP_THP_ENABLED ")", mode);
			skip(r, why);
		}
		break;
	case GS_MEM_HUGETLB:
		/* One spare page: the remap mutator maps a fresh one before the old goes. */
		need++;
		nfree = hp_hugetlb_free(hp_pmd_size());
		if (nfree < (long)need) {
			snprintf(why, sizeof(why),
				 "%ld free %zu KiB huge pages, %zu needed (echo %zu > /proc/sys/vm/nr_hugepages)",
				 nfree < 0 ? 0 : nfree, hp_pmd_size() >> 10, need, need);
			skip(r, why);
		}
		break;
	case GS_MEM_HUGETLB_1G:
		if (hp_hugetlb_free(hp_pud_size()) < 1) {
			snprintf(why, sizeof(why),
				 "no %zu MiB huge pages reserved (hugepagesz=%zuM hugepages=N on the kernel command line)",
				 hp_pud_size() >> 20, hp_pud_size() >> 20);
			skip(r, why);
		}
		break;
	case GS_MEM_PAGECACHE:
		if (hp_pagecache_dir_check(pagecache_dir(cfg), dir_why, sizeof(dir_why))) {
			snprintf(why, sizeof(why), "%s (--dir DIR on ext4, xfs, ...)", dir_why);
			skip(r, why);
		}
		break;
	default: {
		struct hp_buf_src src = { .kind = kinds[r->kind].buf, .drm_fd = -1 };

		/* A kind that knows why it cannot run here says so. */
		if (hp_buf_available(&src, why, sizeof(why)))
			skip(r, why);
		break;
	}
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
		add(&v, &cnt, (enum gs_mem_kind)k, kinds[k].name);
		check_kind(cfg, &v[cnt - 1]);
	}
	*out = v;
	*n = cnt;
	return 0;
}

/* The module is loaded when it is not (hp_refmod_open()): a missing one is a skip with its reason. */
static int open_ref(struct gs_region *r, char *why, size_t wlen)
{
	const char *expected_why;
	int err = hp_refmod_open(&r->ref, why, wlen);

	if (err)
		return err;
	r->src.ref = &r->ref;
	r->res->vuln_expected = hp_refmod_vuln_expected(&r->ref, &expected_why);
	r->res->owner = HP_OWNER_DRIVER;
	snprintf(r->res->driver, sizeof(r->res->driver), "%s", HUGEPIN_REF_NAME);
	return 0;
}

static int open_vfio(struct gs_region *r, char *why, size_t wlen)
{
	char bdf[32];
	int err = hp_vfio_open(&r->vfio, bdf, sizeof(bdf), why, wlen);

	if (err)
		return err;
	r->src.vfio = &r->vfio;
	r->src.level = HP_LEVEL_PMD;
	r->res->owner = HP_OWNER_DRIVER;
	snprintf(r->res->driver, sizeof(r->res->driver), "vfio-pci");
	return 0;
}

static int open_drm(struct gs_region *r, char *why, size_t wlen)
{
	struct hp_drm_dev dev;

	if (hp_drm_find(r->res->name, &dev)) {
		snprintf(why, wlen, "DRM device %s went away", r->res->name);
		return -ENODEV;
	}
	r->drm_fd = open(dev.path, O_RDWR | O_CLOEXEC);
	if (r->drm_fd < 0) {
		snprintf(why, wlen, "open %s: %s", dev.path, strerror(errno));
		return -errno;
	}
	r->src.drm_fd = r->drm_fd;
	return 0;
}

/* The buffer of @r's kind, mapped: DRM buffers shrink until they fit. */
static int make_buffer(const struct gs_config *cfg, struct gs_region *r, char *why, size_t wlen)
{
	const struct gs_kind *k = &kinds[r->kind];
	/* A PUD-sized hugetlb region is one page: the pool rarely has more. */
	size_t want = k->page == HP_LEVEL_PUD ? hp_pud_size() : (size_t)cfg->size, size = want;
	char mode[32] = "absent";
	int err;

	/* Small VRAM (bochs has 16 MiB with a console on it): halve until it fits. */
	do {
		err = _hp_buf_create(&r->src, size, k->huge, &r->buf);
		size /= 2;
	} while (err && r->kind == GS_MEM_DRM && size >= hp_pmd_size());
	if (!err)
		return 0;
	if (r->kind == GS_MEM_DRM) {
		snprintf(why, wlen, "%s: dumb buffer of %zu bytes refused: %s", r->res->driver,
			 want, strerror(-err));
	} else if (r->kind == GS_MEM_SHMEM_THP && err == -EOPNOTSUPP) {
		hp_sysfs_choice(HP_THP_SHMEM, mode, sizeof(mode));
		snprintf(why, wlen, "shmem THP is %s (" HP_THP_SHMEM ") and a huge=always tmpfs cannot be mounted",
			 mode);
	} else {
		snprintf(why, wlen, "%s buffer of %zu bytes, made and mapped: %s", k->name, want,
			 strerror(-err));
	}
	return err;
}

int gs_region_setup(const struct gs_config *cfg, struct gs_region *r, struct gs_mem_result *res)
{
	const struct gs_kind *k = &kinds[res->kind];
	char why[160] = "";
	int err = 0;

	memset(r, 0, sizeof(*r));
	r->res = res;
	r->kind = res->kind;
	r->fd = r->drm_fd = r->ref.fd = -1;
	r->slot = kind_page(k) > hp_pmd_size() ? kind_page(k) : hp_pmd_size();
	r->advice = k->advice;
	r->whole = k->whole;
	r->src.kind = k->buf;
	r->src.small_pages = k->small;
	r->src.page_size = kind_page(k);
	r->src.dir = pagecache_dir(cfg);
	if (r->kind == GS_MEM_DRM)
		err = open_drm(r, why, sizeof(why));
	else if (r->kind == GS_MEM_REF)
		err = open_ref(r, why, sizeof(why));
	else if (r->kind == GS_MEM_VFIO)
		err = open_vfio(r, why, sizeof(why));
	if (!err)
		err = make_buffer(cfg, r, why, sizeof(why));
	if (err) {
		skip(res, why[0] ? why : strerror(-err));
		gs_region_teardown(r);
		return err;
	}
	r->map = r->buf.map;
	r->addr = r->map.addr;
	r->len = r->map.len;
	r->nslots = r->len / r->slot;
	r->fd = r->buf.fd;
	r->fd_off = r->buf.off;
	/* _hp_map adds MAP_ANONYMOUS itself; a MAP_FIXED remap needs it spelled out. */
	r->map_flags = r->fd < 0 ? r->buf.flags | MAP_ANONYMOUS : r->buf.flags;
	r->seq = calloc(r->nslots, sizeof(*r->seq));
	if (!r->seq) {
		gs_region_teardown(r);
		return -ENOMEM;
	}
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
	hp_refmod_close(&r->ref);
	hp_vfio_close(&r->vfio);
	free(r->seq);
	r->seq = NULL;
	r->fd = r->drm_fd = -1;
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
