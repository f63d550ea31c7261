// SPDX-License-Identifier: GPL-2.0
/*
 * Pin-vs-evict race engine: fast GUP against buffers whose pages move.
 *
 * On kernels where fast GUP takes a huge pfn PMD for an ordinary huge page
 * (TTM from 5.7 to 5.15, any driver inserting PMD pfn entries before 6.12),
 * a pin of a buffer mapping holds references to pages the driver still
 * owns. The damage shows when the driver moves the buffer: the pages go back
 * to its pool or the page allocator while the pin still points at them. So
 * this engine pins continuously while it evicts, destroys and refaults, and
 * checks memory that was handed out afterwards for writes or reads through
 * the old pins. Methods are accounted separately, because which pin paths
 * reach fast GUP differs between kernels.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "hp_refmod.h"
#include "race.h"

#define DRM_CHAR_MAJOR 226
/* A pinned range of 64 KiB spans 16 subpages: a pin of just one balances out. */
#define HOLD_LEN (64ul << 10)
/* Pressure per eviction cycle: more than small VRAM BARs, little enough for TCG. */
#define PRESSURE_MIN (16ul << 20)
#define PRESSURE_MAX (64ul << 20)
#define PRESSURE_BUFS_MAX 32
/* Fresh memory filled with canaries after a held pin's buffer is freed. */
#define FRESH_BUFS 4
#define FRESH_ANON (8ul << 20)
/* Kernel-log scan period: the time to first detection is bounded by it. */
#define KMSG_ROUND_S 0.25
#define IDLE_US 20000
/* How long a thread may stay in one kernel call after the race ended. */
#define JOIN_GRACE_S 10
/*
 * The race runs for --duration, then on until the evictor has completed a
 * cycle and every method has made an attempt, so what callers assert never
 * depends on how busy the machine is; past this cap the race ends anyway and
 * says it was too slow.
 */
#define MIN_WORK_CAP_S 30.0
/*
 * io_uring releases a registration's pins from a workqueue after its ring is
 * gone, so the FOLL_PIN counters can lag the race's end by as long as the
 * machine takes to run that work: they are polled until they balance, up to
 * this cap (a real leak costs the wait), or briefly after an interrupt. With
 * MIN_WORK_CAP_S it stays inside evict_race's 60 s per test.
 */
#define PIN_SETTLE_CAP_S 20.0
#define PIN_SETTLE_INTERRUPTED_S 1.0
#define PIN_SETTLE_STEP_US 100000
/*
 * The reference module keeps blocks whose refcounts were damaged allocated
 * for good. Past this much per race the evictor stops, so a vulnerable
 * kernel is not run out of memory by its own evidence.
 */
#define REF_KEPT_BUDGET (64ul << 20)
/* Reference module: evict every cycle, replace the buffer every few. */
#define REF_RECREATE_EVERY 4

struct tbuf {
	struct hp_bo bo;
	struct hp_map map;
	int memfd;
	struct hugepin_ref_create ref;	/* reference module buffer; id 0 when none */
	size_t size;
	bool live;
};

struct race {
	const struct race_cfg *cfg;
	struct race_report *rep;
	int fd;				/* DRM device fd */
	struct hp_refmod ref;		/* RACE_T_REF */
	uint64_t ref_kept0;		/* module-wide kept pages when the race began */
	bool ref_budget_hit;
	enum hp_owner owner;
	bool huge_required;
	bool zap_keeps;			/* contents survive MADV_DONTNEED and remap */
	/*
	 * Contents survive eviction (TTM moves them, shmem keeps them); the
	 * reference module hands out fresh blocks instead, so its contents are
	 * never checked.
	 */
	bool evict_keeps;
	struct hp_scratch scratch;
	bool have_scratch;
	/*
	 * Every pin method does its I/O at offset 0 of the scratch storage. The
	 * pinners share that freely; a drain that reads back what it wrote
	 * takes it alone.
	 */
	pthread_rwlock_t scratch_lock;
	size_t page;
	size_t block;			/* 2 MiB, or the whole buffer when smaller */
	size_t nblocks;
	/* Writers replace the target mapping; pinners hold it for one pin. */
	pthread_rwlock_t lock;
	struct tbuf target;
	uint64_t gen;			/* bumps when the target's contents are rewritten */
	pthread_mutex_t note_lock;
	double t0;
	bool have_ev;			/* an evictor thread runs: its cycle is minimum work */
	int stop;
	int check_now;		/* the evictor just destroyed a buffer: scan the log */
	char knob_paths[4][96];
	int nknobs;
};

struct pinner {
	struct race *r;
	struct race_method *m;
	uint64_t rng;
	pthread_t th;
	bool started;
	bool noted;		/* this thread reported its first successful pin */
};

static bool stopped(struct race *r)
{
	return __atomic_load_n(&r->stop, __ATOMIC_ACQUIRE);
}

static double since(struct race *r)
{
	return hp_now() - r->t0;
}

/*
 * A method's minimum work: one pin attempt, and one eviction cycle of the
 * race when it has an evictor. A SAFE needs it; the race runs on for it.
 */
static bool method_min_done(const struct race *r, const struct race_method *m)
{
	if (r->have_ev && !__atomic_load_n(&r->rep->evict_cycles, __ATOMIC_RELAXED))
		return false;
	return !m->available || __atomic_load_n(&m->attempts, __ATOMIC_RELAXED);
}

static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

const char *race_kind_name(enum race_kind k)
{
	switch (k) {
	case RACE_T_DRM: return "drm";
	case RACE_T_REF: return "ref";
	case RACE_T_ANON: return "anon";
	case RACE_T_SHMEM: return "shmem";
	}
	return "?";
}

static const char *errname(int e)
{
	const char *s = e > 0 ? strerrorname_np(e) : NULL;

	return s ? s : "E?";
}

static bool method_needs_scratch(enum hp_method m)
{
	switch (m) {
	case HP_M_ODIRECT_READ:
	case HP_M_ODIRECT_WRITE:
	case HP_M_IOURING_FIXED_READ:
	case HP_M_IOURING_FIXED_WRITE:
	case HP_M_IOURING_READ:
		return true;
	default:
		return false;
	}
}

static bool method_can_hold(enum hp_method m)
{
	return m == HP_M_VMSPLICE || m == HP_M_IOURING_REG;
}

/* ---- device resolution ---- */

/* A DRM driver name of the target registry (lib/targets.c). */
static bool is_known_drm_name(const char *s)
{
	const struct hp_target_info *t = hp_target_info(s);

	return t && t->drm;
}

int race_resolve_device(const char *arg, struct race_cfg *cfg, char *err, size_t len)
{
	struct stat st;

	err[0] = '\0';
	if (!arg || !*arg) {
		snprintf(err, len, "--device needs a value: /dev/dri/cardN, a driver short name, ref, anon or shmem");
		return -EINVAL;
	}
	if (!strcmp(arg, "anon") || !strcmp(arg, "shmem")) {
		cfg->kind = !strcmp(arg, "anon") ? RACE_T_ANON : RACE_T_SHMEM;
		snprintf(cfg->device, sizeof(cfg->device), "%s", arg);
		snprintf(cfg->driver, sizeof(cfg->driver), "%s", arg);
		return 0;
	}
	if (!strcmp(arg, "ref") || !strcmp(arg, "hugepin_ref") || !strcmp(arg, "/dev/hugepin_ref")) {
		cfg->kind = RACE_T_REF;
		snprintf(cfg->device, sizeof(cfg->device), "hugepin_ref");
		snprintf(cfg->driver, sizeof(cfg->driver), "hugepin_ref");
		return 0;
	}
	cfg->kind = RACE_T_DRM;
	if (arg[0] == '/') {
		if (stat(arg, &st)) {
			snprintf(err, len, "no device node %s: %s", arg, strerror(errno));
			return -ENODEV;
		}
		if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != DRM_CHAR_MAJOR) {
			snprintf(err, len, "%s is not a DRM device node (want /dev/dri/cardN, a driver short name, ref, anon or shmem)", arg);
			return -EINVAL;
		}
	}
	if (hp_drm_find(arg, &cfg->drm)) {
		if (arg[0] == '/' || is_known_drm_name(arg)) {
			struct hp_pci_unbound ub[8];
			int i, n = hp_pci_unbound_list(ub, 8);

			snprintf(err, len, "no %s DRM device on this machine", arg);
			/* Present but refused by its driver: say why (vmwgfx under QEMU). */
			for (i = 0; i < n; i++)
				if (!strcmp(ub[i].device, arg))
					snprintf(err, len, "%s at %s has no driver bound: %s", arg,
						 ub[i].addr, ub[i].reason[0] ? ub[i].reason : "reason not logged");
			return -ENODEV;
		}
		snprintf(err, len, "unknown device '%s' (want /dev/dri/cardN, a driver short name such as bochs, qxl, virtio_gpu, vgem, vmwgfx, amdgpu, or ref, anon, shmem)", arg);
		return -EINVAL;
	}
	snprintf(cfg->device, sizeof(cfg->device), "%s", cfg->drm.device);
	snprintf(cfg->driver, sizeof(cfg->driver), "%s", cfg->drm.driver);
	return 0;
}

/* ---- buffers of the target kind ---- */

static int tbuf_create(struct race *r, size_t size, struct tbuf *b, bool huge)
{
	int ret;

	memset(b, 0, sizeof(*b));
	b->memfd = -1;
	b->bo.fd = -1;
	b->size = size;
	switch (r->cfg->kind) {
	case RACE_T_DRM:
		ret = _hp_bo_create(r->fd, size, &b->bo);
		if (ret)
			return ret;
		ret = _hp_map(&b->map, r->fd, (off_t)b->bo.mmap_offset, size, HP_SZ_2M,
			      PROT_READ | PROT_WRITE, MAP_SHARED, huge);
		if (ret) {
			_hp_bo_destroy(&b->bo);
			return ret;
		}
		break;
	case RACE_T_SHMEM:
		b->memfd = memfd_create("hugepin-race", MFD_CLOEXEC);
		if (b->memfd < 0)
			return -errno;
		if (ftruncate(b->memfd, (off_t)size)) {
			ret = -errno;
			close(b->memfd);
			return ret;
		}
		ret = _hp_map(&b->map, b->memfd, 0, size, HP_SZ_2M,
			      PROT_READ | PROT_WRITE, MAP_SHARED, huge);
		if (ret) {
			close(b->memfd);
			return ret;
		}
		break;
	case RACE_T_ANON:
		ret = _hp_map(&b->map, -1, 0, size, HP_SZ_2M, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE, huge);
		if (ret)
			return ret;
		break;
	case RACE_T_REF:
		ret = _hp_refmod_create(&r->ref, size, 0, &b->ref);
		if (ret)
			return ret;
		ret = _hp_refmod_map(&r->ref, &b->ref, &b->map);
		if (ret) {
			_hp_refmod_destroy(&r->ref, b->ref.id);
			b->ref.id = 0;
			return ret;
		}
		break;
	}
	hp_map_touch(&b->map, true);
	b->live = true;
	return 0;
}

/* Map the same backing again at a new aligned address. */
static int tbuf_remap(struct race *r, struct tbuf *b)
{
	int fd = r->cfg->kind == RACE_T_DRM ? r->fd : b->memfd;
	off_t off = r->cfg->kind == RACE_T_DRM ? (off_t)b->bo.mmap_offset : 0;
	int flags = r->cfg->kind == RACE_T_ANON ? MAP_PRIVATE : MAP_SHARED;
	int ret;

	hp_unmap(&b->map);
	if (r->cfg->kind == RACE_T_REF) {
		ret = _hp_refmod_map(&r->ref, &b->ref, &b->map);
		if (!ret)
			hp_map_touch(&b->map, false);
		return ret;
	}
	ret = _hp_map(&b->map, r->cfg->kind == RACE_T_ANON ? -1 : fd, off, b->size,
		      HP_SZ_2M, PROT_READ | PROT_WRITE, flags, true);
	if (ret)
		return ret;
	/* Read faults only: a write touch would overwrite the contents under check. */
	hp_map_touch(&b->map, false);
	return 0;
}

/* Release the backing object; the mapping is already gone. */
static void tbuf_release(struct race *r, struct tbuf *b)
{
	if (b->bo.fd >= 0)
		_hp_bo_destroy(&b->bo);
	b->bo.fd = -1;
	if (b->memfd >= 0)
		close(b->memfd);
	b->memfd = -1;
	if (b->ref.id)
		_hp_refmod_destroy(&r->ref, b->ref.id);
	b->ref.id = 0;
}

static void tbuf_destroy(struct race *r, struct tbuf *b)
{
	if (!b->live)
		return;
	hp_unmap(&b->map);
	tbuf_release(r, b);
	b->live = false;
}

/* ---- findings ---- */

static void note_detect(struct race *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note_detect(struct race *r, const char *fmt, ...)
{
	struct race_report *rep = r->rep;
	va_list ap;

	pthread_mutex_lock(&r->note_lock);
	if (rep->t_first_detect < 0) {
		rep->t_first_detect = since(r);
		va_start(ap, fmt);
		vsnprintf(rep->first_detect, sizeof(rep->first_detect), fmt, ap);
		va_end(ap);
		/* Now, not at the end: on an affected kernel the guest may not live that long. */
		if (r->cfg->progress)
			fprintf(stderr, "drm_repro: first detector at %.3f s: %s\n",
				rep->t_first_detect, rep->first_detect);
	}
	pthread_mutex_unlock(&r->note_lock);
}

static void note_pin_ok(struct race *r, struct race_method *m)
{
	double t = since(r);

	pthread_mutex_lock(&r->note_lock);
	if (m->t_first_ok < 0)
		m->t_first_ok = t;
	if (r->owner == HP_OWNER_DRIVER && r->rep->t_first_vuln_pin < 0)
		r->rep->t_first_vuln_pin = t;
	pthread_mutex_unlock(&r->note_lock);
}

static void count_err(struct race_method *m, int e)
{
	if (e < 0)
		e = -e;
	if (e >= RACE_ERRNO_SLOTS)
		e = RACE_ERRNO_SLOTS - 1;
	__atomic_fetch_add(&m->errs[e], 1, __ATOMIC_RELAXED);
}

/* ---- the check pages: last page of each 2 MiB block, never pinned ---- */

static uint64_t check_seed(struct race *r, size_t blk)
{
	return r->cfg->seed ^ (r->gen << 20) ^ (blk * 0x9e3779b97f4a7c15ull);
}

static char *check_page(struct race *r, size_t blk)
{
	return (char *)r->target.map.addr + (blk + 1) * r->block - r->page;
}

static void check_fill(struct race *r)
{
	size_t b;

	r->gen++;
	for (b = 0; b < r->nblocks; b++)
		hp_canary_fill(check_page(r, b), r->page, check_seed(r, b));
}

/*
 * Called with the lock held (read or write). A damaged check page is
 * re-armed so one corruption counts once, unless the mapping is read-only
 * right now: then the caller re-arms with check_fill() later.
 */
static bool check_verify(struct race *r, const char *after, bool writable)
{
	bool found = false;
	size_t b, first, bad;
	unsigned char want[8];

	for (b = 0; b < r->nblocks; b++) {
		bad = hp_canary_check(check_page(r, b), r->page, check_seed(r, b), &first);
		if (!bad)
			continue;
		hp_canary_fill(want, sizeof(want), check_seed(r, b));
		pthread_mutex_lock(&r->note_lock);
		if (!r->rep->refault_bad) {
			unsigned char *p = (unsigned char *)check_page(r, b);
			unsigned char exp = 0;

			if (first < sizeof(want)) {
				exp = want[first];
			} else {
				unsigned char *tmp = malloc(r->page);

				if (tmp) {
					hp_canary_fill(tmp, r->page, check_seed(r, b));
					exp = tmp[first];
					free(tmp);
				}
			}
			snprintf(r->rep->refault_detail, sizeof(r->rep->refault_detail),
				 "after %s: %zu bytes differ in block %zu check page %p, first at +0x%zx: expected 0x%02x found 0x%02x",
				 after, bad, b, (void *)p, (b + 1) * r->block - r->page + first,
				 exp, p[first]);
		}
		r->rep->refault_bad += (long)bad;
		pthread_mutex_unlock(&r->note_lock);
		note_detect(r, "buffer contents changed after %s (%zu bytes, block %zu)", after, bad, b);
		found = true;
		if (writable)
			hp_canary_fill(check_page(r, b), r->page, check_seed(r, b));
	}
	return found;
}

/* ---- reference module eviction: its refcount report is a detector ---- */

static bool ref_budget_left(struct race *r)
{
	struct hugepin_ref_caps c;

	if (__atomic_load_n(&r->ref_budget_hit, __ATOMIC_RELAXED))
		return false;
	if (_hp_refmod_caps(&r->ref, &c))
		return true;
	if ((c.pages_kept - r->ref_kept0) * c.page_size > REF_KEPT_BUDGET) {
		__atomic_store_n(&r->ref_budget_hit, true, __ATOMIC_RELAXED);
		return false;
	}
	return true;
}

/*
 * Zap the buffer and have the module compare its pages' refcounts with
 * what it holds. Damage counts against @m when given (a pin held across
 * this eviction), else against the race. Returns false when the eviction
 * did not happen.
 */
static bool ref_evict(struct race *r, struct tbuf *b, struct race_method *m, const char *who)
{
	struct hugepin_ref_evict ev;
	char desc[128];

	if (!b->live || !b->ref.id || !ref_budget_left(r))
		return false;
	memset(&ev, 0, sizeof(ev));
	if (_hp_refmod_evict(&r->ref, b->ref.id, 0, &ev))
		return false;
	if (!ev.pages_bad)
		return true;
	hp_refmod_evict_describe(&ev, desc, sizeof(desc));
	pthread_mutex_lock(&r->note_lock);
	if (m) {
		m->extra_refs += (long)ev.pages_bad;
		if (!m->canary_detail[0])
			snprintf(m->canary_detail, sizeof(m->canary_detail),
				 "refcounts after %s: %s", who, desc);
	} else {
		r->rep->extra_refs += (long)ev.pages_bad;
		if (!r->rep->refs_detail[0])
			snprintf(r->rep->refs_detail, sizeof(r->rep->refs_detail),
				 "after %s: %s", who, desc);
	}
	pthread_mutex_unlock(&r->note_lock);
	note_detect(r, "hugepin_ref refcounts after %s: %s", who, desc);
	return true;
}

/* ---- pinners ---- */

static void pick_range(struct race *r, uint64_t *rng, size_t *off, size_t *len)
{
	static const size_t lens[] = { 8ul << 10, 64ul << 10, 256ul << 10 };
	size_t usable = r->block - r->page;	/* the check page stays unpinned */
	uint64_t x = rng_next(rng);
	size_t blk = (size_t)(x % r->nblocks);
	size_t o, l;

	/* 6.1's folio GUP only succeeds from a block's first subpage: favour 0. */
	switch ((x >> 16) & 7) {
	case 0: case 1: case 2: case 3:
		o = 0;
		break;
	case 4:
		o = r->page;
		break;
	case 5:
		o = 64ul << 10;
		break;
	default:
		o = ((x >> 24) % (usable / r->page)) * r->page;
		break;
	}
	if (o >= usable)
		o = 0;
	l = lens[(x >> 40) % (sizeof(lens) / sizeof(lens[0]))];
	if (l > usable - o)
		l = usable - o;
	*off = blk * r->block + o;
	*len = l;
}

static void *pinner_main(void *arg)
{
	struct pinner *p = arg;
	struct race *r = p->r;
	struct race_method *m = p->m;
	struct hp_pin_res res;
	bool io = method_needs_scratch(m->method);
	size_t off, len;
	int ret;

	while (!stopped(r)) {
		pick_range(r, &p->rng, &off, &len);
		pthread_rwlock_rdlock(&r->lock);
		if (!r->target.live) {
			pthread_rwlock_unlock(&r->lock);
			usleep(IDLE_US);
			continue;
		}
		memset(&res, 0, sizeof(res));
		if (io)
			pthread_rwlock_rdlock(&r->scratch_lock);
		ret = _hp_pin(m->method, &r->scratch, (char *)r->target.map.addr + off, len, &res);
		if (io)
			pthread_rwlock_unlock(&r->scratch_lock);
		pthread_rwlock_unlock(&r->lock);
		__atomic_fetch_add(&m->attempts, 1, __ATOMIC_RELAXED);
		if (!ret) {
			__atomic_fetch_add(&m->ok, 1, __ATOMIC_RELAXED);
			__atomic_fetch_add(&m->bytes, res.bytes, __ATOMIC_RELAXED);
			if (!p->noted)
				note_pin_ok(r, m);
			p->noted = true;
		} else {
			count_err(m, res.err ? res.err : ret);
		}
	}
	return NULL;
}

/* ---- evictor ---- */

static void find_knobs(struct race *r)
{
	char path[96];
	const char *ttm[] = { "tt_shrink", "page_pool_shrink" };
	const char *amd[] = { "amdgpu_evict_vram", "amdgpu_evict_gtt" };
	unsigned int minor = 0;
	size_t i;

	if (r->cfg->kind != RACE_T_DRM)
		return;
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "/sys/kernel/debug/ttm/%s", ttm[i]);
		if (!access(path, R_OK))
			snprintf(r->knob_paths[r->nknobs++], sizeof(r->knob_paths[0]), "%s", path);
	}
	if (sscanf(r->cfg->drm.path, "/dev/dri/card%u", &minor) != 1)
		return;
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "/sys/kernel/debug/dri/%u/%s", minor, amd[i]);
		if (!access(path, R_OK))
			snprintf(r->knob_paths[r->nknobs++], sizeof(r->knob_paths[0]), "%s", path);
	}
}

/* Reading these debugfs files runs the eviction or shrinker they are named for. */
static void poke_knobs(struct race *r)
{
	char buf[256];
	int i, fd;

	for (i = 0; i < r->nknobs && !stopped(r); i++) {
		fd = open(r->knob_paths[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
	}
}

/* Allocate and touch buffers beyond what the device can keep resident, then drop them. */
static void apply_pressure(struct race *r)
{
	struct tbuf bufs[PRESSURE_BUFS_MAX];
	size_t total = r->cfg->size * 2, bsz = r->block;
	int n = 0, i;

	if (total < PRESSURE_MIN)
		total = PRESSURE_MIN;
	if (total > PRESSURE_MAX)
		total = PRESSURE_MAX;
	while (n < PRESSURE_BUFS_MAX && (size_t)n * bsz < total && !stopped(r)) {
		if (r->cfg->kind == RACE_T_DRM) {
			if (tbuf_create(r, bsz, &bufs[n], false))
				break;
		} else {
			memset(&bufs[n], 0, sizeof(bufs[n]));
			bufs[n].memfd = -1;
			bufs[n].bo.fd = -1;
			if (_hp_map(&bufs[n].map, -1, 0, bsz, HP_SZ_2M,
				    PROT_READ | PROT_WRITE, MAP_PRIVATE, true))
				break;
			hp_map_touch(&bufs[n].map, true);
			bufs[n].live = true;
		}
		n++;
	}
	for (i = 0; i < n; i++)
		tbuf_destroy(r, &bufs[i]);
	if (r->cfg->kind == RACE_T_SHMEM) {
		/* No swap means no effect, which is fine: this is the control. */
		pthread_rwlock_rdlock(&r->lock);
		if (r->target.live)
			madvise(r->target.map.addr, r->target.size, MADV_PAGEOUT);
		pthread_rwlock_unlock(&r->lock);
	}
}

static void recreate_target(struct race *r)
{
	struct tbuf fresh;
	int ret;

	/* Build the replacement first, so pinners never wait on an allocation. */
	ret = tbuf_create(r, r->cfg->size, &fresh, true);
	pthread_rwlock_wrlock(&r->lock);
	tbuf_destroy(r, &r->target);
	if (!ret) {
		r->target = fresh;
		check_fill(r);
	}
	pthread_rwlock_unlock(&r->lock);
}

/* Some pin has been attempted, or none ever will be. */
static bool pins_started(struct race *r)
{
	bool any_available = false;
	int i;

	for (i = 0; i < r->rep->nmethods; i++) {
		if (__atomic_load_n(&r->rep->m[i].attempts, __ATOMIC_RELAXED))
			return true;
		any_available |= r->rep->m[i].available;
	}
	return !any_available;
}

static void *evictor_main(void *arg)
{
	struct race *r = arg;
	long n = 0;
	bool done;

	while (r->cfg->kind == RACE_T_REF && !stopped(r)) {
		pthread_rwlock_rdlock(&r->lock);
		done = ref_evict(r, &r->target, NULL, "an eviction during the race");
		pthread_rwlock_unlock(&r->lock);
		if (!done) {
			usleep(IDLE_US);
			continue;
		}
		if (++n % REF_RECREATE_EVERY == 0)
			recreate_target(r);
		__atomic_fetch_add(&r->rep->evict_cycles, 1, __ATOMIC_RELAXED);
	}
	/* Destroying a buffer no pin has touched yet proves nothing: wait for one. */
	while (!stopped(r) && !pins_started(r))
		usleep(IDLE_US);
	while (!stopped(r)) {
		/*
		 * Destroy first: TTM checks and frees the pages there, which is
		 * where damage from the pins shows, so the checker looks at once.
		 */
		recreate_target(r);
		__atomic_store_n(&r->check_now, 1, __ATOMIC_RELEASE);
		__atomic_fetch_add(&r->rep->evict_cycles, 1, __ATOMIC_RELAXED);
		apply_pressure(r);
		poke_knobs(r);
	}
	return NULL;
}

/* ---- refaulter ---- */

static void *refaulter_main(void *arg)
{
	struct race *r = arg;
	unsigned int step = 0;
	bool rearm = false;

	while (!stopped(r)) {
		switch (step++ % 3) {
		case 0:
			pthread_rwlock_rdlock(&r->lock);
			if (r->target.live) {
				madvise(r->target.map.addr, r->target.size, MADV_DONTNEED);
				if (r->zap_keeps && r->evict_keeps)
					check_verify(r, "MADV_DONTNEED and refault", true);
			}
			pthread_rwlock_unlock(&r->lock);
			if (!r->zap_keeps) {
				/* Private anon reads back zeroes after a zap: re-arm. */
				pthread_rwlock_wrlock(&r->lock);
				if (r->target.live)
					check_fill(r);
				pthread_rwlock_unlock(&r->lock);
			}
			break;
		case 1:
			pthread_rwlock_wrlock(&r->lock);
			if (r->target.live) {
				if (tbuf_remap(r, &r->target)) {
					/* The evictor's next cycle brings a new buffer. */
					r->target.live = false;
					tbuf_release(r, &r->target);
				} else if (r->zap_keeps && r->evict_keeps) {
					check_verify(r, "munmap and mmap again", true);
				} else {
					check_fill(r);
				}
			}
			pthread_rwlock_unlock(&r->lock);
			break;
		default:
			pthread_rwlock_rdlock(&r->lock);
			if (r->target.live &&
			    !mprotect(r->target.map.addr, r->target.size, PROT_READ)) {
				bool bad = r->evict_keeps && check_verify(r, "mprotect read-only", false);

				mprotect(r->target.map.addr, r->target.size, PROT_READ | PROT_WRITE);
				if (bad)
					rearm = true;
			}
			pthread_rwlock_unlock(&r->lock);
			if (rearm) {
				pthread_rwlock_wrlock(&r->lock);
				if (r->target.live)
					check_fill(r);
				pthread_rwlock_unlock(&r->lock);
				rearm = false;
			}
			break;
		}
		__atomic_fetch_add(&r->rep->refault_cycles, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* ---- checker ---- */

static void record_canary(struct race *r, struct race_method *m, const char *what,
			  size_t bad, size_t n, size_t first, uint64_t seed,
			  const unsigned char *found)
{
	unsigned char *exp = malloc(first + 1);
	unsigned int want = exp ? 0 : 0x100;

	if (exp) {
		hp_canary_fill(exp, first + 1, seed);
		want = exp[first];
		free(exp);
	}
	pthread_mutex_lock(&r->note_lock);
	if (!m->canary_bad)
		snprintf(m->canary_detail, sizeof(m->canary_detail),
			 "%s: %zu of %zu bytes changed, first at +0x%zx: expected 0x%02x found 0x%02x",
			 what, bad, n, first, want, found[first]);
	m->canary_bad += (long)bad;
	pthread_mutex_unlock(&r->note_lock);
	note_detect(r, "%s pin: %s (%zu bytes)", hp_method_name(m->method), what, bad);
}

/*
 * Hold a pin on a fresh buffer, free the buffer, hand its memory out again
 * filled with canaries, then drain the old pin. A correct kernel kept the
 * pinned pages alive, so the drain returns the original pattern and the
 * canaries stay as written.
 */
static void canary_round(struct race *r, struct race_method *m, uint64_t round)
{
	size_t vsize = r->cfg->size < HP_SZ_2M ? r->cfg->size : HP_SZ_2M;
	size_t len = vsize - r->page < HOLD_LEN ? vsize - r->page : HOLD_LEN;
	uint64_t pseed = r->cfg->seed ^ 0xa5a5a5a5ull ^ (round << 8);
	uint64_t cseed = pseed ^ 0x5a5a0000ull;
	struct tbuf victim, fresh[FRESH_BUFS];
	struct hp_map anon = { 0 };
	struct hp_held_pin hp;
	bool have_anon = false;
	size_t bad, first;
	unsigned char *out;
	long n;
	int ret, nfresh = 0, i;

	if (tbuf_create(r, vsize, &victim, true)) {
		usleep(IDLE_US);
		return;
	}
	hp_canary_fill(victim.map.addr, len, pseed);
	memset(&hp, 0, sizeof(hp));
	__atomic_fetch_add(&m->holds, 1, __ATOMIC_RELAXED);
	ret = _hp_pin_hold(&hp, m->method, victim.map.addr, len);
	if (ret) {
		m->hold_err = -ret;
		tbuf_destroy(r, &victim);
		return;
	}
	__atomic_fetch_add(&m->holds_ok, 1, __ATOMIC_RELAXED);
	note_pin_ok(r, m);
	if (r->cfg->kind == RACE_T_REF) {
		char who[64];

		snprintf(who, sizeof(who), "an eviction under a held %s pin",
			 hp_method_name(m->method));
		ref_evict(r, &victim, m, who);
	}
	tbuf_destroy(r, &victim);

	for (i = 0; i < FRESH_BUFS; i++) {
		if (tbuf_create(r, vsize, &fresh[nfresh], false))
			break;
		hp_canary_fill(fresh[nfresh].map.addr, vsize, cseed + (uint64_t)nfresh);
		nfresh++;
	}
	if (!_hp_map(&anon, -1, 0, FRESH_ANON, HP_SZ_2M, PROT_READ | PROT_WRITE, MAP_PRIVATE, true)) {
		have_anon = true;
		hp_canary_fill(anon.addr, FRESH_ANON, cseed + FRESH_BUFS);
	}

	out = malloc(len);
	if (out) {
		pthread_rwlock_wrlock(&r->scratch_lock);
		n = _hp_pin_drain(&hp, &r->scratch, out, len);
		pthread_rwlock_unlock(&r->scratch_lock);
		if (n > 0) {
			bad = hp_canary_check(out, (size_t)n, pseed, &first);
			if (bad)
				record_canary(r, m, "bytes read through the pin after its buffer was freed",
					      bad, (size_t)n, first, pseed, out);
		}
		free(out);
	}
	hp_pin_release(&hp);

	for (i = 0; i < nfresh; i++) {
		bad = hp_canary_check(fresh[i].map.addr, vsize, cseed + (uint64_t)i, &first);
		if (bad)
			record_canary(r, m, "canary in a buffer allocated after the free",
				      bad, vsize, first, cseed + (uint64_t)i, fresh[i].map.addr);
		tbuf_destroy(r, &fresh[i]);
	}
	if (have_anon) {
		bad = hp_canary_check(anon.addr, FRESH_ANON, cseed + FRESH_BUFS, &first);
		if (bad)
			record_canary(r, m, "canary in anonymous memory allocated after the free",
				      bad, FRESH_ANON, first, cseed + FRESH_BUFS, anon.addr);
		hp_unmap(&anon);
	}
}

/* The module counts what it inserted at each level, which ptdump cannot beat. */
static enum hp_level ref_level(struct race *r, const struct tbuf *b)
{
	struct hugepin_ref_info info;

	if (!b->live || _hp_refmod_info(&r->ref, b->ref.id, &info))
		return HP_LEVEL_UNKNOWN;
	snprintf(r->rep->level_src, sizeof(r->rep->level_src), "hugepin_ref %s",
		 hp_refmod_path_name(info.last_path));
	if (info.faults_pud)
		return HP_LEVEL_PUD;
	if (info.faults_pmd)
		return HP_LEVEL_PMD;
	return info.faults_pte ? HP_LEVEL_PTE : HP_LEVEL_UNKNOWN;
}

static void sample_level(struct race *r)
{
	enum hp_level l = HP_LEVEL_UNKNOWN;

	pthread_rwlock_rdlock(&r->lock);
	if (r->target.live)
		l = r->cfg->kind == RACE_T_REF ? ref_level(r, &r->target)
					       : hp_map_level(r->target.map.addr);
	pthread_rwlock_unlock(&r->lock);
	pthread_mutex_lock(&r->note_lock);
	if (l > r->rep->level)
		r->rep->level = l;
	pthread_mutex_unlock(&r->note_lock);
}

static void kmsg_round_end(struct race *r, struct hp_detect *d)
{
	struct hp_evidence ev;

	memset(&ev, 0, sizeof(ev));
	if (hp_detect_end(d, &ev))
		return;
	if (ev.splats)
		note_detect(r, "kernel log: %s", ev.splat_line);
	else if (ev.taint_new) {
		char t[64];

		hp_taint_describe(ev.taint_new, t, sizeof(t));
		note_detect(r, "kernel taint: %s", t);
	}
}

static void *checker_main(void *arg)
{
	struct race *r = arg;
	struct race_report *rep = r->rep;
	struct hp_detect d;
	struct race_method *hold[HP_M_NR];
	double next = hp_now() + KMSG_ROUND_S;
	uint64_t round = 0;
	int nhold = 0, i;
	bool open;

	for (i = 0; i < rep->nmethods; i++)
		if (rep->m[i].available && method_can_hold(rep->m[i].method))
			hold[nhold++] = &rep->m[i];
	open = !hp_detect_begin(&d, r->cfg->test, "race.check");
	while (!stopped(r)) {
		if (hp_now() >= next || __atomic_exchange_n(&r->check_now, 0, __ATOMIC_ACQ_REL)) {
			if (open)
				kmsg_round_end(r, &d);
			open = !hp_detect_begin(&d, r->cfg->test, "race.check");
			sample_level(r);
			next = hp_now() + KMSG_ROUND_S;
		}
		if (nhold) {
			canary_round(r, hold[round % (uint64_t)nhold], round);
			round++;
		} else {
			usleep(IDLE_US);
		}
	}
	if (open)
		kmsg_round_end(r, &d);
	return NULL;
}

/* ---- setup, probe, decide ---- */

static void probe_methods(struct race *r)
{
	struct race_report *rep = r->rep;
	struct hp_map ctl = { 0 };
	struct hp_pin_res res;
	bool have_ctl;
	int i, ret;

	have_ctl = !_hp_map(&ctl, -1, 0, HP_SZ_2M, HP_SZ_2M, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE, true);
	if (have_ctl)
		hp_map_touch(&ctl, true);
	for (i = 0; i < HP_M_NR; i++) {
		struct race_method *m;

		if (!(r->cfg->methods & (1u << i)))
			continue;
		m = &rep->m[rep->nmethods++];
		m->method = (enum hp_method)i;
		m->t_first_ok = -1;
		if (hp_method_available(m->method, &r->scratch, m->note, sizeof(m->note))) {
			m->probe_err = EOPNOTSUPP;
			continue;
		}
		if (!have_ctl) {
			m->probe_err = ENOMEM;
			continue;
		}
		memset(&res, 0, sizeof(res));
		ret = _hp_pin(m->method, &r->scratch, ctl.addr, HOLD_LEN, &res);
		if (ret)
			m->probe_err = res.err ? res.err : -ret;
		else
			m->available = true;
	}
	if (have_ctl)
		hp_unmap(&ctl);
}

static int dominant_err(const struct race_method *m)
{
	long best = 0;
	int e, which = 0;

	for (e = 1; e < RACE_ERRNO_SLOTS; e++)
		if (m->errs[e] > best) {
			best = m->errs[e];
			which = e;
		}
	if (!which && m->hold_err)
		which = m->hold_err;
	return which;
}

static void errs_text(const struct race_method *m, char *buf, size_t len)
{
	size_t used = 0;
	int e, shown = 0;

	buf[0] = '\0';
	for (e = 1; e < RACE_ERRNO_SLOTS && used < len; e++) {
		if (!m->errs[e])
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%s x%ld",
					 shown++ ? " " : "", errname(e), m->errs[e]);
	}
	if (!shown)
		snprintf(buf, len, "none");
}

static void decide(struct race *r)
{
	struct race_report *rep = r->rep;
	const struct race_cfg *cfg = r->cfg;
	char sig[32], no_attempt[96], no_evict[96];
	bool any_ok = false;
	int i;

	if (rep->interrupted) {
		hp_signal_name(rep->interrupted, sig, sizeof(sig));
		snprintf(no_attempt, sizeof(no_attempt), "interrupted by %s before one pin attempt", sig);
		snprintf(no_evict, sizeof(no_evict), "interrupted by %s before an eviction cycle", sig);
	}
	for (i = 0; i < rep->nmethods; i++)
		if (rep->m[i].ok || rep->m[i].holds_ok)
			any_ok = true;
	for (i = 0; i < rep->nmethods; i++) {
		struct race_method *m = &rep->m[i];
		struct hp_evidence *ev = &m->ev;
		struct hp_result *res = &m->res;
		bool took = m->ok || m->holds_ok;
		char why[256], errs[96];

		memset(ev, 0, sizeof(*ev));
		ev->owner = r->owner;
		ev->huge_required = r->huge_required;
		ev->level = rep->level;
		ev->attempted = m->attempts || m->holds;
		if (rep->untestable[0]) {
			ev->untestable_why = rep->untestable;
		} else if (!m->available) {
			if (!m->note[0])
				snprintf(m->note, sizeof(m->note),
					 "control pin on anonymous memory failed: %s",
					 strerror(m->probe_err));
			ev->untestable_why = m->note;
		} else if (!ev->attempted) {
			ev->untestable_why = rep->interrupted ? no_attempt
							      : "no pin attempt completed in the race";
		}
		ev->pin_err = took ? 0 : dominant_err(m);
		ev->bytes = m->bytes;
		/* Race-wide findings belong to the methods that got pins in. */
		if (took || !any_ok) {
			ev->splats = rep->splats;
			snprintf(ev->splat_line, sizeof(ev->splat_line), "%s", rep->splat_line);
			ev->taint_new = rep->taint_new;
			ev->pin_leak = rep->pin_leak;
			ev->extra_refs = rep->extra_refs;
			ev->canary_bad = rep->refault_bad;
		}
		ev->canary_bad += m->canary_bad;
		ev->extra_refs += m->extra_refs;
		ev->vuln_expected = rep->vuln_expected;
		ev->expected_why = rep->expected_why[0] ? rep->expected_why : NULL;

		memset(res, 0, sizeof(*res));
		res->verdict = hp_decide(ev, why, sizeof(why));
		/*
		 * An interrupt is not a verdict: what a detector found stands, a
		 * SAFE needs the method's minimum work behind it.
		 */
		if (rep->interrupted && res->verdict == HP_SAFE && !method_min_done(r, m)) {
			res->verdict = HP_UNTESTABLE;
			snprintf(why, sizeof(why), "%s", m->attempts ? no_evict : no_attempt);
		}
		res->expected = res->verdict == HP_VULNERABLE && ev->vuln_expected;
		res->err = ev->pin_err;
		res->bytes = ev->bytes;
		snprintf(res->test, sizeof(res->test), "%s", cfg->test);
		snprintf(res->name, sizeof(res->name), "race.%s.%s", cfg->device,
			 hp_method_name(m->method));
		snprintf(res->device, sizeof(res->device), "%s", cfg->device);
		snprintf(res->driver, sizeof(res->driver), "%s", cfg->driver);
		snprintf(res->method, sizeof(res->method), "%s", hp_method_name(m->method));
		snprintf(res->level, sizeof(res->level), "%s", hp_level_name(rep->level));
		errs_text(m, errs, sizeof(errs));
		hp_appendf(res->evidence, sizeof(res->evidence), "%s; %ld pins, %ld ok, errors: %s; held %ld/%ld",
			why, m->attempts, m->ok, errs, m->holds_ok, m->holds);
		if (m->canary_detail[0])
			hp_appendf(res->evidence, sizeof(res->evidence), "; %s", m->canary_detail);
		if ((took || !any_ok) && rep->refs_detail[0])
			hp_appendf(res->evidence, sizeof(res->evidence), "; refcounts %s", rep->refs_detail);
		if ((took || !any_ok) && rep->refault_detail[0])
			hp_appendf(res->evidence, sizeof(res->evidence), "; contents %s", rep->refault_detail);
		if (rep->interrupted && res->verdict != HP_UNTESTABLE)
			hp_appendf(res->evidence, sizeof(res->evidence), "; race interrupted by %s", sig);
	}
}

/*
 * The FOLL_PIN counters are per-CPU deltas folded into /proc/vmstat only now
 * and then; a write to stat_refresh folds them, so before and after compare
 * exact numbers.
 */
static void vmstat_fold(void)
{
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (write(fd, "1", 1) < 0) {
		/* Not root, or an old kernel: the counters are approximate then. */
	}
	close(fd);
}

static void race_setup(struct race *r)
{
	const struct race_cfg *cfg = r->cfg;
	struct race_report *rep = r->rep;
	int ret;

	r->fd = -1;
	r->page = (size_t)sysconf(_SC_PAGESIZE);
	r->block = cfg->size < HP_SZ_2M ? cfg->size : HP_SZ_2M;
	r->nblocks = cfg->size / r->block;
	r->owner = HP_OWNER_PAGES;
	r->zap_keeps = cfg->kind != RACE_T_ANON;
	r->evict_keeps = cfg->kind != RACE_T_REF;
	r->have_scratch = !hp_scratch_open(&r->scratch, (off_t)(4 * HOLD_LEN + (1ul << 20)));
	if (!r->have_scratch)
		r->scratch.fd = -1;

	switch (cfg->kind) {
	case RACE_T_DRM:
		r->owner = cfg->drm.ttm ? HP_OWNER_DRIVER : HP_OWNER_PAGES;
		r->fd = open(cfg->drm.path, O_RDWR | O_CLOEXEC);
		if (r->fd < 0) {
			snprintf(rep->untestable, sizeof(rep->untestable), "cannot open %s: %s",
				 cfg->drm.path, strerror(errno));
			return;
		}
		find_knobs(r);
		break;
	case RACE_T_REF: {
		const char *why = NULL;

		if (hp_refmod_open(&r->ref, rep->untestable, sizeof(rep->untestable))) {
			r->ref.fd = -1;
			return;
		}
		r->owner = HP_OWNER_DRIVER;
		r->huge_required = true;
		r->ref_kept0 = r->ref.caps.pages_kept;
		rep->vuln_expected = hp_refmod_vuln_expected(&r->ref, &why);
		snprintf(rep->expected_why, sizeof(rep->expected_why), "%s", why ? why : "");
		break;
	}
	case RACE_T_ANON:
	case RACE_T_SHMEM:
		break;
	}
	ret = tbuf_create(r, cfg->size, &r->target, true);
	if (ret) {
		snprintf(rep->untestable, sizeof(rep->untestable),
			 "cannot create and map a %" PRIu64 " byte %s buffer: %s",
			 cfg->size, cfg->device, strerror(-ret));
		return;
	}
	check_fill(r);
	if (cfg->kind == RACE_T_REF) {
		rep->level = ref_level(r, &r->target);
	} else {
		rep->level = hp_map_level(r->target.map.addr);
		snprintf(rep->level_src, sizeof(rep->level_src), "page tables");
	}
}

static void race_teardown(struct race *r)
{
	tbuf_destroy(r, &r->target);
	if (r->fd >= 0)
		close(r->fd);
	if (r->have_scratch)
		hp_scratch_close(&r->scratch);
	if (r->ref.fd >= 0)
		hp_refmod_close(&r->ref);
}

static void knobs_text(struct race *r)
{
	size_t used = 0;
	int i;

	r->rep->knobs[0] = '\0';
	for (i = 0; i < r->nknobs; i++) {
		const char *base = strrchr(r->knob_paths[i], '/');

		used += (size_t)snprintf(r->rep->knobs + used, sizeof(r->rep->knobs) - used,
					 "%s%s", i ? "," : "", base ? base + 1 : r->knob_paths[i]);
		if (used >= sizeof(r->rep->knobs))
			break;
	}
}

static void progress_line(struct race *r)
{
	struct race_report *rep = r->rep;
	char line[512];
	size_t used;
	int i;

	used = (size_t)snprintf(line, sizeof(line), "drm_repro: %4.1fs", since(r));
	for (i = 0; i < rep->nmethods && used < sizeof(line); i++)
		used += (size_t)snprintf(line + used, sizeof(line) - used, " %s %ld/%ld",
					 hp_method_name(rep->m[i].method),
					 __atomic_load_n(&rep->m[i].ok, __ATOMIC_RELAXED),
					 __atomic_load_n(&rep->m[i].attempts, __ATOMIC_RELAXED));
	if (used < sizeof(line))
		snprintf(line + used, sizeof(line) - used, " | evict %ld refault %ld | %s",
			 __atomic_load_n(&rep->evict_cycles, __ATOMIC_RELAXED),
			 __atomic_load_n(&rep->refault_cycles, __ATOMIC_RELAXED),
			 rep->t_first_detect < 0 ? "detectors quiet" : "DETECTED");
	fprintf(stderr, "%s\n", line);
}

/* Join, or give up on a thread stuck in the kernel; returns false when it stayed. */
static bool join_bounded(pthread_t th)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += JOIN_GRACE_S;
	if (pthread_timedjoin_np(th, NULL, &ts)) {
		pthread_detach(th);
		return false;
	}
	return true;
}

/* The least a race must do before it may end: see MIN_WORK_CAP_S. */
static bool min_work_done(struct race *r)
{
	int i;

	for (i = 0; i < r->rep->nmethods; i++)
		if (!method_min_done(r, &r->rep->m[i]))
			return false;
	return true;
}

static int stop_requested(const struct race_cfg *cfg)
{
	return cfg->stop_signal ? *cfg->stop_signal : 0;
}

/*
 * Wait for the FOLL_PIN counters to balance against the race's baseline
 * (see PIN_SETTLE_CAP_S). Another process pinning moves the acquired count:
 * then the balance cannot be read, and hp_detect_end() says so.
 */
static void settle_pins(const struct race *r, const struct hp_detect *d)
{
	double end = hp_now() + (r->rep->interrupted ? PIN_SETTLE_INTERRUPTED_S : PIN_SETTLE_CAP_S);
	long acq, rel, prev = -1;

	if (d->pins_acquired < 0)
		return;
	while (!hp_vmstat_pins(&acq, &rel)) {
		if (acq - d->pins_acquired <= rel - d->pins_released)
			return;
		if ((prev >= 0 && acq != prev) || hp_now() >= end)
			return;
		prev = acq;
		usleep(PIN_SETTLE_STEP_US);
	}
}

void race_run(const struct race_cfg *cfg, struct race_report *rep)
{
	struct race r;
	struct pinner *pins = NULL;
	pthread_t evictor, refaulter, checker;
	bool have_rf = false, have_ck = false, all_joined = true;
	sigset_t stop_set, old_set;
	pthread_rwlockattr_t la;
	struct hp_detect race_d;
	struct hp_evidence ev;
	bool detect_open;
	int npins = 0, i, t;

	memset(rep, 0, sizeof(*rep));
	rep->t_first_detect = -1;
	rep->t_first_vuln_pin = -1;
	memset(&r, 0, sizeof(r));
	r.cfg = cfg;
	r.rep = rep;
	r.target.bo.fd = -1;
	r.target.memfd = -1;
	r.ref.fd = -1;
	pthread_rwlockattr_init(&la);
	/* glibc prefers readers by default: the remapping writer would starve. */
	pthread_rwlockattr_setkind_np(&la, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&r.lock, &la);
	pthread_rwlock_init(&r.scratch_lock, &la);
	pthread_rwlockattr_destroy(&la);
	pthread_mutex_init(&r.note_lock, NULL);

	race_setup(&r);
	probe_methods(&r);
	knobs_text(&r);
	/* Interrupted during setup: no racer starts, nothing is claimed. */
	rep->interrupted = stop_requested(cfg);
	if (rep->untestable[0] || rep->interrupted) {
		decide(&r);
		race_teardown(&r);
		return;
	}

	vmstat_fold();
	detect_open = !hp_detect_begin(&race_d, cfg->test, "race");
	r.t0 = hp_now();
	/* The stop signals reach this thread only: racers never see EINTR. */
	sigemptyset(&stop_set);
	sigaddset(&stop_set, SIGINT);
	sigaddset(&stop_set, SIGTERM);
	sigaddset(&stop_set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop_set, &old_set);
	pins = calloc((size_t)rep->nmethods * (size_t)cfg->threads, sizeof(*pins));
	for (i = 0; pins && i < rep->nmethods; i++) {
		if (!rep->m[i].available)
			continue;
		for (t = 0; t < cfg->threads; t++) {
			struct pinner *p = &pins[npins];

			p->r = &r;
			p->m = &rep->m[i];
			p->rng = (cfg->seed ^ ((uint64_t)(i * 64 + t) << 32)) | 1;
			p->started = !pthread_create(&p->th, NULL, pinner_main, p);
			npins++;
		}
	}
	r.have_ev = !pthread_create(&evictor, NULL, evictor_main, &r);
	have_rf = !pthread_create(&refaulter, NULL, refaulter_main, &r);
	have_ck = !pthread_create(&checker, NULL, checker_main, &r);
	pthread_sigmask(SIG_SETMASK, &old_set, NULL);

	for (;;) {
		double now = since(&r), left = cfg->duration - now;

		rep->interrupted = stop_requested(cfg);
		if (rep->interrupted)
			break;
		if (left <= 0) {
			if (min_work_done(&r))
				break;
			if (now >= (cfg->duration > MIN_WORK_CAP_S ? cfg->duration : MIN_WORK_CAP_S)) {
				snprintf(rep->too_slow, sizeof(rep->too_slow),
					 "too slow to complete an eviction cycle and one pin per method in %.0f s",
					 now);
				break;
			}
			left = IDLE_US / 1e6;
		}
		usleep((useconds_t)((left < 1.0 ? left : 1.0) * 1e6));
		if (cfg->progress && !stop_requested(cfg))
			progress_line(&r);
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < npins; i++)
		if (pins[i].started && !join_bounded(pins[i].th)) {
			all_joined = false;
			snprintf(rep->untestable, sizeof(rep->untestable),
				 "a %s pin did not return within %d s after the race ended",
				 hp_method_name(pins[i].m->method), JOIN_GRACE_S);
		}
	if (r.have_ev && !join_bounded(evictor))
		all_joined = false;
	if (have_rf && !join_bounded(refaulter))
		all_joined = false;
	if (have_ck && !join_bounded(checker))
		all_joined = false;
	rep->elapsed = since(&r);
	if (!all_joined && !rep->untestable[0])
		snprintf(rep->untestable, sizeof(rep->untestable),
			 "a racer thread did not return within %d s after the race ended",
			 JOIN_GRACE_S);

	if (detect_open) {
		if (all_joined)
			settle_pins(&r, &race_d);
		vmstat_fold();
		memset(&ev, 0, sizeof(ev));
		if (!hp_detect_end(&race_d, &ev)) {
			rep->splats = ev.splats;
			snprintf(rep->splat_line, sizeof(rep->splat_line), "%s", ev.splat_line);
			rep->taint_new = ev.taint_new;
			rep->pin_leak = ev.pin_leak;
			if (ev.splats)
				note_detect(&r, "kernel log: %s", ev.splat_line);
			if (ev.pin_leak)
				note_detect(&r, "pin accounting off by %ld", ev.pin_leak);
		}
	}
	sample_level(&r);
	decide(&r);
	/* Stuck threads may still use the buffers; leave them to process exit. */
	if (all_joined) {
		race_teardown(&r);
		free(pins);
		pthread_rwlock_destroy(&r.lock);
		pthread_rwlock_destroy(&r.scratch_lock);
		pthread_mutex_destroy(&r.note_lock);
	}
}

int race_exit_code(const struct race_report *rep)
{
	bool tested = false;
	int i;

	if (rep->interrupted)
		return 128 + rep->interrupted;
	for (i = 0; i < rep->nmethods; i++) {
		const struct hp_result *res = &rep->m[i].res;

		if (res->verdict == HP_VULNERABLE && !res->expected)
			return 1;
		if (res->verdict != HP_UNTESTABLE)
			tested = true;
	}
	return tested ? 0 : 4;
}
