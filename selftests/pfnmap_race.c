// SPDX-License-Identifier: GPL-2.0
/*
 * Races of 2024-26 against huge pfn mappings and huge pages, one case per
 * upstream fix, each racing the code that fix changed against the page-table
 * change that broke it, under the detectors every case has.
 *
 * vfio_race.*.walk_refault (9b25a6e3d243, "mm/pagewalk: fix race between
 *   concurrent split and refault"): /proc/self/numa_maps and smaps walk the
 *   VFIO BAR's VMA with walk_page_vma(), which does not skip VM_PFNMAP. The
 *   walker's walk_pud_range() splits a PUD leaf, which for a pfn mapping
 *   zaps it, and then descends into walk_pmd_range(). Until the fix it
 *   checked only that the PUD was empty right after the split: a refault of
 *   the PUD between that check and pmd_offset() (another thread touching the
 *   BAR, or VFIO_IOMMU_MAP_DMA faulting it in through
 *   vfio_pin_pages_remote()) makes the walker read the BAR's physical
 *   address as a PMD table, which is not in the direct map: an oops in
 *   walk_pgd_range. Only a PUD is split by these walkers: one level down
 *   they have no pte_entry, so a PMD leaf is read where it is and never
 *   split, and the BAR is mapped for a PUD. The window between the split's
 *   unlock and that check is a few instructions; the reference module's
 *   SPLIT_DELAY hook (an mmu notifier waiting at the end of every other PUD
 *   zap, which the split calls in that very window) holds it open long
 *   enough for the touchers to refault, as a busy machine would by chance.
 * vfio_race.*.follow_split (ffef67b93aa3, "mm/memory: fix PMD/PUD checks in
 *   follow_pfnmap_start()"): VFIO_IOMMU_MAP_DMA of the BAR mapping looks up
 *   each pfn with follow_pfnmap_start(), which reads the PMD or PUD without
 *   its lock, takes the lock and, until the fix, used the value it had read
 *   before: a numa_maps walker splitting (zapping) the entry in between
 *   makes it return an entry the locked table no longer holds (the PUD
 *   here, the one level the walker zaps; the PMD path is the same code).
 *   The window is the follower's few instructions between its read and its
 *   lock; the module's PTL_HOLD hook holds the mm's page_table_lock (the
 *   PUDs' lock) in bursts, as a busy process's other threads would, so a
 *   zap and a follow that read the entry before it queue up behind it
 *   (which needs three CPUs: run.sh --smp 4).
 *   Nothing
 *   crashes; the reference module's follow check (a test hook on
 *   follow_pfnmap_start's return, module/hugepin_ref_follow.c) compares the
 *   returned pfn with the locked table and WARNs.
 * anon_race.thp.fork_migrate (47fa30118f02, "mm/huge_memory: check
 *   pmd_special() only after pmd_present()"): fork copies a PMD that is a
 *   migration entry while move_pages() moves the THP between NUMA nodes. A
 *   PMD migration entry can carry the bit pmd_special() tests (on x86 it
 *   holds the inverted low bit of the pfn, set for every THP), and before
 *   the fix copy_huge_pmd() took it for a special pfn PMD and copied it
 *   as is: no rmap or refcount for the child, no deposited page table, a
 *   writable entry the migration then completes in both processes. The
 *   child's writes show through in the parent, and its exit unbalances the
 *   RSS counters ("BUG: Bad rss-counter state") or oopses withdrawing a
 *   page table that was never deposited. Needs two NUMA nodes (numa=fake=2:
 *   run.sh --numa 2).
 *
 * Every race is time-bounded ($HUGEPIN_DURATION) but first does its minimum
 * work: each thread a few rounds, and the kernel's own counters show the
 * window was opened (thp_split_pud/pmd moved for the walkers, the follow
 * check saw huge entries, thp_migration_success moved); past a 30 s cap
 * the case is UNTESTABLE, never SAFE. A guest that dies in a race is
 * attributed to it by the runner.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "kselftest_harness.h"
#include "hp_case.h"
#include "hp_refmod.h"

#define HP_TEST "pfnmap_race"
#define RACE_CAP_S 30.0
/* The harness's limit per case: the cap, set-up and the detectors' reads. */
#define RACE_TIMEOUT_S 90
#define MIN_ROUNDS 3
#define MAX_WORKERS 8
#define WALK_BUF (64 * 1024)
/* IOVAs of the DMA mappings: above 4 GiB, clear of the x86 MSI window. */
#define IOVA_BASE (1ull << 33)
#define FORK_BLOCKS 4
/*
 * The window hooks of the reference module: how long the walker waits after
 * a PUD split, and the page_table_lock bursts (hold, then leave as long).
 */
#define SPLIT_DELAY_USEC 1000
#define PTL_HOLD_USEC 100
#define PTL_HOLDS 20
#define FORK_SEED 0x5a17c0ffee00d1ceull
#ifndef MPOL_MF_MOVE
#define MPOL_MF_MOVE (1 << 1)
#endif

enum role {
	R_NUMA_MAPS,	/* read /proc/self/numa_maps: walk_page_vma, splits */
	R_SMAPS,	/* read /proc/self/smaps: the same walker, other ops */
	R_TOUCH,	/* read one byte per huge block: refaults */
	R_DMA,		/* VFIO_IOMMU_MAP_DMA + UNMAP_DMA: follow_pfnmap_start */
	R_MIGRATE,	/* move_pages() of every THP to the other node */
	R_FORK,		/* fork, the child writes its copy; parent checks its own */
	R_PTL,		/* hold the mm's page_table_lock in bursts (module hook) */
	R_NR,
};

static const char *const role_names[R_NR] = {
	"numa_maps", "smaps", "touch", "map_dma", "migrate", "fork", "ptl_hold",
};

struct race;

struct worker {
	struct race *r;
	enum role role;
	int idx;
	pthread_t th;
	bool started;
	atomic_long rounds;
	atomic_long errs;
	atomic_int last_err;
};

struct race {
	atomic_int stop;
	char *base;		/* the mapping raced over */
	size_t len;
	size_t block;		/* its huge entry size: touches and DMA go per block */
	int container;		/* VFIO container for R_DMA, else -1 */
	const struct hp_refmod *ref;	/* the module with its test hooks, for R_PTL */
	struct worker w[MAX_WORKERS];
	int nw;
	/* fork_migrate */
	atomic_long cow_bad;	/* parent words the child's writes changed */
	atomic_long child_died;	/* children killed by a signal */
	atomic_int child_sig;
};

/* ---- workers ---- */

static void walk_once(struct worker *w, const char *path)
{
	static __thread char buf[WALK_BUF];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		atomic_fetch_add(&w->errs, 1);
		atomic_store(&w->last_err, errno);
		return;
	}
	do
		n = read(fd, buf, sizeof(buf));
	while (n > 0);
	close(fd);
	if (n < 0) {
		atomic_fetch_add(&w->errs, 1);
		atomic_store(&w->last_err, errno);
		return;
	}
	atomic_fetch_add(&w->rounds, 1);
}

static void touch_once(struct worker *w)
{
	struct race *r = w->r;

	for (size_t off = 0; off < r->len; off += r->block)
		(void)*(volatile char *)(r->base + off);
	atomic_fetch_add(&w->rounds, 1);
}

/* Map one block of the BAR for DMA and unmap it: one follow per pfn batch. */
static void dma_once(struct worker *w, size_t round)
{
	struct race *r = w->r;
	size_t nblocks = r->len / r->block, b = (round + (size_t)w->idx) % nblocks;
	/* Each DMA thread its own IOVA range, one PMD per round (a PUD block is pinned in part). */
	size_t len = hp_pmd_size();
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)(r->base + b * r->block),
		.iova = IOVA_BASE + (uint64_t)w->idx * hp_pud_size(),
		.size = len,
	};
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap), .iova = map.iova, .size = len,
	};

	if (ioctl(r->container, VFIO_IOMMU_MAP_DMA, &map)) {
		atomic_fetch_add(&w->errs, 1);
		atomic_store(&w->last_err, errno);
		return;
	}
	if (ioctl(r->container, VFIO_IOMMU_UNMAP_DMA, &unmap)) {
		atomic_fetch_add(&w->errs, 1);
		atomic_store(&w->last_err, errno);
		return;
	}
	atomic_fetch_add(&w->rounds, 1);
}

/* Move every block's THP to the node it is not on; a round counts when one moved. */
static void migrate_once(struct worker *w)
{
	struct race *r = w->r;
	size_t n = r->len / r->block;
	void *pages[FORK_BLOCKS];
	int nodes[FORK_BLOCKS], status[FORK_BLOCKS];
	long moved = 0;

	for (size_t i = 0; i < n; i++)
		pages[i] = r->base + i * r->block;
	if (syscall(SYS_move_pages, 0, n, pages, NULL, status, 0)) {
		atomic_fetch_add(&w->errs, 1);
		atomic_store(&w->last_err, errno);
		return;
	}
	for (size_t i = 0; i < n; i++)
		nodes[i] = status[i] == 1 ? 0 : 1;
	if (syscall(SYS_move_pages, 0, n, pages, nodes, status, MPOL_MF_MOVE) < 0) {
		atomic_fetch_add(&w->errs, 1);
		atomic_store(&w->last_err, errno);
		return;
	}
	for (size_t i = 0; i < n; i++)
		moved += status[i] == nodes[i];
	if (moved)
		atomic_fetch_add(&w->rounds, 1);
}

/* The word of block @b the child of round @round writes. */
static size_t fork_word(size_t b, long round)
{
	return b * hp_pmd_size() + (size_t)(round % 4096) * 8 + 8 * 4096 * (b % 2);
}

static void fork_once(struct worker *w, long round)
{
	struct race *r = w->r;
	size_t n = r->len / r->block;
	int status = 0;
	pid_t pid;

	pid = fork();
	if (pid < 0) {
		atomic_fetch_add(&w->errs, 1);
		atomic_store(&w->last_err, errno);
		return;
	}
	if (!pid) {
		/* The child writes its copy: copy-on-write must keep the parent's bytes. */
		for (size_t b = 0; b < n; b++)
			*(volatile uint64_t *)(r->base + fork_word(b, round)) = ~FORK_SEED;
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid) {
		atomic_fetch_add(&w->errs, 1);
		atomic_store(&w->last_err, errno);
		return;
	}
	if (WIFSIGNALED(status)) {
		atomic_fetch_add(&r->child_died, 1);
		atomic_store(&r->child_sig, WTERMSIG(status));
	}
	for (size_t b = 0; b < n; b++) {
		size_t o = fork_word(b, round);

		if (*(volatile uint64_t *)(r->base + o) != (o ^ FORK_SEED))
			atomic_fetch_add(&r->cow_bad, 1);
	}
	atomic_fetch_add(&w->rounds, 1);
}

/* One burst of page_table_lock holds in the kernel (HUGEPIN_REF_TEST_PTL_HOLD). */
static void ptl_once(struct worker *w)
{
	struct hugepin_ref_test t = { .index = PTL_HOLD_USEC, .length = PTL_HOLDS };
	int err = _hp_refmod_test(w->r->ref, HUGEPIN_REF_TEST_PTL_HOLD, &t);

	if (err) {
		atomic_fetch_add(&w->errs, 1);
		atomic_store(&w->last_err, -err);
		usleep(1000);
		return;
	}
	atomic_fetch_add(&w->rounds, 1);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct race *r = w->r;
	long round = 0;

	while (!atomic_load(&r->stop)) {
		switch (w->role) {
		case R_NUMA_MAPS:
			walk_once(w, "/proc/self/numa_maps");
			break;
		case R_SMAPS:
			walk_once(w, "/proc/self/smaps");
			break;
		case R_TOUCH:
			touch_once(w);
			break;
		case R_DMA:
			dma_once(w, (size_t)round);
			break;
		case R_MIGRATE:
			migrate_once(w);
			break;
		case R_FORK:
			fork_once(w, round);
			break;
		case R_PTL:
			ptl_once(w);
			break;
		case R_NR:
			return NULL;
		}
		round++;
	}
	return NULL;
}

static void race_add(struct race *r, enum role role)
{
	struct worker *w = &r->w[r->nw];

	w->r = r;
	w->role = role;
	w->idx = r->nw++;
}

/* Every worker did its minimum rounds. */
static bool race_min_done(struct race *r)
{
	for (int i = 0; i < r->nw; i++)
		if (atomic_load(&r->w[i].rounds) < MIN_ROUNDS)
			return false;
	return true;
}

/*
 * Run the workers for @duration seconds and until each did MIN_ROUNDS and
 * @window (may be NULL) says the window was opened, or until the cap.
 * Returns the seconds it ran; *@capped when the cap ended it first.
 */
static double race_run(struct race *r, double duration, bool (*window)(void *), void *arg,
		       bool *capped)
{
	double t0 = hp_now(), t;
	int started = 0;

	atomic_store(&r->stop, 0);
	for (int i = 0; i < r->nw; i++) {
		r->w[i].started = !pthread_create(&r->w[i].th, NULL, worker_main, &r->w[i]);
		started += r->w[i].started;
	}
	*capped = false;
	for (;;) {
		usleep(20 * 1000);
		t = hp_now() - t0;
		if (t >= duration && race_min_done(r) && (!window || window(arg)))
			break;
		if (t >= RACE_CAP_S || started < r->nw) {
			*capped = true;
			break;
		}
	}
	atomic_store(&r->stop, 1);
	for (int i = 0; i < r->nw; i++)
		if (r->w[i].started)
			pthread_join(r->w[i].th, NULL);
	return hp_now() - t0;
}

/* "numa_maps 812 (EINVAL x3), touch 4100, ..." into @buf. */
static void race_describe(struct race *r, char *buf, size_t len)
{
	buf[0] = '\0';
	for (int i = 0; i < r->nw; i++) {
		struct worker *w = &r->w[i];
		long errs = atomic_load(&w->errs);

		hp_appendf(buf, len, "%s%s %ld", i ? ", " : "", role_names[w->role],
			   atomic_load(&w->rounds));
		if (errs)
			hp_appendf(buf, len, " (%s x%ld)", strerror(atomic_load(&w->last_err)), errs);
	}
}

static double race_duration(void)
{
	return strtod(hp_env_duration("2"), NULL);
}

/* ---- one judged race ---- */

struct race_case {
	struct hp_case c;
	struct hp_frame f;
	char what[HP_TEXT_LEN];	/* what ran: counts, windows, findings */
	char why[HP_TEXT_LEN];	/* UNTESTABLE reason */
	char extra[HP_TEXT_LEN];	/* a finding of the case's own detector */
};

/* The case's frame started: its start record, owner the driver unless said otherwise. */
static void rc_start(struct race_case *rc, const char *device, const char *driver)
{
	rc->c.test = HP_TEST;
	snprintf(rc->c.device, sizeof(rc->c.device), "%s", device);
	snprintf(rc->c.driver, sizeof(rc->c.driver), "%s", driver);
	rc->c.owner = HP_OWNER_DRIVER;
	hp_frame_start(&rc->f, &rc->c, HP_M_NR);
}

/* A race that did not do its minimum work: UNTESTABLE unless a detector or its own check fired. */
static void rc_untestable(struct race_case *rc, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void rc_untestable(struct race_case *rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rc->why, sizeof(rc->why), fmt, ap);
	va_end(ap);
	rc->f.unproven = rc->why;
}

/* The race is a step that pins nothing by itself: judged by its detectors and its own check. */
static enum hp_verdict rc_finish(struct race_case *rc, const char *what)
{
	rc->f.step = what;
	if (*rc->extra)
		rc->f.finding = rc->extra;
	return hp_frame_end(&rc->f, NULL, rc->what);
}

#define RC_CONCLUDE(rc)								\
	do {									\
		if ((rc)->f.res.verdict == HP_VULNERABLE) {			\
			EXPECT_EQ(HP_SAFE, (rc)->f.res.verdict)			\
				TH_LOG("VULNERABLE: %s", (rc)->f.res.evidence);	\
			return;							\
		}								\
		if ((rc)->f.res.verdict == HP_UNTESTABLE)				\
			SKIP(return, "%s", (rc)->f.res.evidence);			\
	} while (0)

#define CASE_NAME_OR_SKIP(rc)							\
	do {									\
		const char *_skip;						\
										\
		snprintf((rc)->c.name, sizeof((rc)->c.name), "%s.%s.%s",		\
			 HP_FIXTURE_NAME(), variant->v.name, _metadata->name);	\
		_skip = hp_case_skip_why(HP_TEST, (rc)->c.name);			\
		if (_skip)							\
			SKIP(return, "%s", _skip);				\
	} while (0)

/*
 * The reference module with its test hooks (reloaded with test_hooks=1 when
 * loaded without); false with the case UNTESTABLE when it cannot be had.
 */
static bool race_hooks(struct race_case *rc, struct hp_refmod *ref)
{
	char why[HP_TEXT_LEN];

	if (!hp_refmod_open_hooks(ref, why, sizeof(why)))
		return true;
	rc_untestable(rc, "reference module test hooks: %.200s", why);
	return false;
}

/* ---- vfio BAR races ---- */

FIXTURE(vfio_race) {
	struct hp_target t;
	int setup_err;
};

FIXTURE_VARIANT(vfio_race) {
	struct hp_vfio_variant v;
};

FIXTURE_VARIANT_ADD(vfio_race, pud) { .v = { .name = "pud", .want = HP_LEVEL_PUD } };

FIXTURE_SETUP(vfio_race)
{
	/* Set up in the test, after the case is named and started. */
	self->setup_err = 0;
}

FIXTURE_TEARDOWN(vfio_race)
{
	hp_target_close(&self->t);
}

/* The split counter of the variant's level moved since @base. */
struct split_window {
	const char *counter;	/* thp_split_pud or thp_split_pmd */
	long base;
	/* follow_split: the follow check's entries checked, since @checked0 */
	const struct hp_refmod *ref;
	long checked0;
};

static long follow_check(const struct hp_refmod *r, bool arm, long *checked)
{
	struct hugepin_ref_test t = { .index = arm };
	int err = _hp_refmod_test(r, HUGEPIN_REF_TEST_FOLLOW_CHECK, &t);

	if (err)
		return err;
	if (checked)
		*checked = (long)t.length;
	return t.result;
}

static bool split_window_open(void *arg)
{
	struct split_window *s = arg;
	long checked = 0;

	if (hp_vmstat(s->counter) <= s->base)
		return false;
	if (s->ref && (follow_check(s->ref, true, &checked) < 0 || checked <= s->checked0))
		return false;
	return true;
}

/*
 * Map the BAR for the variant's level and start the case; false (case
 * UNTESTABLE) when no huge entry of that level formed.
 */
static bool vfio_bar_prepare(struct __test_metadata *_metadata, FIXTURE_DATA(vfio_race) *self,
			    const FIXTURE_VARIANT(vfio_race) *variant, struct race_case *rc,
			    bool *absent)
{
	enum hp_special special = HP_SPECIAL_UNKNOWN;
	const char *lwhy = NULL;
	int err;

	*absent = false;
	err = hp_target_vfio(&self->t, HP_TEST, HP_FIXTURE_NAME(), variant->v.name,
			     _metadata->name, variant->v.want);
	if (err == -ENODEV || err == -ENOENT) {
		*absent = true;
		return false;
	}
	rc_start(rc, "vfio", "vfio-pci");
	if (err) {
		rc_untestable(rc, "%s", self->t.why);
		return false;
	}
	rc->f.ev.level = hp_map_level_seen(self->t.c.base, &special, &lwhy);
	rc->f.ev.special = special;
	rc->f.ev.level_why = lwhy;
	rc->f.ev.huge_required = true;
	if (rc->f.ev.level != variant->v.want) {
		rc_untestable(rc, "no %s formed over BAR2 (level %s)", hp_level_name(variant->v.want),
			      hp_level_name(rc->f.ev.level));
		return false;
	}
	hp_record_mapped(HP_TEST, rc->c.name, rc->f.ev.level, rc->f.ev.special);
	return true;
}

static void vfio_race_fill(struct race *r, FIXTURE_DATA(vfio_race) *self,
			   const FIXTURE_VARIANT(vfio_race) *variant)
{
	memset(r, 0, sizeof(*r));
	r->base = (char *)self->t.c.base;
	r->block = variant->v.want == HP_LEVEL_PUD ? hp_pud_size() : hp_pmd_size();
	/* Two blocks of the level where the mapping has them, else the one. */
	r->len = variant->v.want == HP_LEVEL_PUD ? hp_pud_size() : 2 * hp_pmd_size();
	r->container = self->t.vfio.container;
}

/*
 * 9b25a6e3d243: walkers split the BAR's huge entry while a toucher and a
 * DMA mapper refault it.
 */
TEST_F_TIMEOUT(vfio_race, walk_refault, RACE_TIMEOUT_S)
{
	struct split_window win = { 0 };
	struct hp_refmod ref = { .fd = -1 };
	struct hugepin_ref_test t = { .index = SPLIT_DELAY_USEC };
	struct race_case rc;
	struct race r;
	bool absent, capped;
	char counts[HP_TEXT_LEN / 2];
	double secs;
	int err;

	memset(&rc, 0, sizeof(rc));
	CASE_NAME_OR_SKIP(&rc);
	if (!vfio_bar_prepare(_metadata, self, variant, &rc, &absent)) {
		if (absent)
			SKIP(return, "%s", self->t.why);
		rc_finish(&rc, "walk vs refault");
		RC_CONCLUDE(&rc);
		return;
	}
	if (!race_hooks(&rc, &ref)) {
		rc_finish(&rc, "walk vs refault");
		RC_CONCLUDE(&rc);
		return;
	}
	err = _hp_refmod_test(&ref, HUGEPIN_REF_TEST_SPLIT_DELAY, &t);
	if (err) {
		rc_untestable(&rc, "reference module split delay: %s", strerror(-err));
		hp_refmod_close(&ref);
		rc_finish(&rc, "walk vs refault");
		RC_CONCLUDE(&rc);
		return;
	}
	vfio_race_fill(&r, self, variant);
	race_add(&r, R_NUMA_MAPS);
	race_add(&r, R_SMAPS);
	race_add(&r, R_TOUCH);
	race_add(&r, R_TOUCH);
	race_add(&r, R_DMA);
	win.counter = variant->v.want == HP_LEVEL_PUD ? "thp_split_pud" : "thp_split_pmd";
	win.base = hp_vmstat(win.counter);
	hp_frame_window(&rc.f);
	secs = race_run(&r, race_duration(), split_window_open, &win, &capped);
	t.index = 0;
	err = _hp_refmod_test(&ref, HUGEPIN_REF_TEST_SPLIT_DELAY, &t);
	hp_refmod_close(&ref);
	race_describe(&r, counts, sizeof(counts));
	hp_appendf(rc.what, sizeof(rc.what), "%.1f s: %s; %s +%ld; %lld splits held open %d us",
		   secs, counts, win.counter, hp_vmstat(win.counter) - win.base,
		   err ? -1ll : (long long)t.result, SPLIT_DELAY_USEC);
	if (win.base < 0)
		rc_untestable(&rc, "no %s in /proc/vmstat: cannot tell the walker split anything",
			      win.counter);
	else if (capped)
		rc_untestable(&rc, "too slow to open the window in %.0f s (%s)", RACE_CAP_S, counts);
	rc_finish(&rc, "walk vs refault");
	RC_CONCLUDE(&rc);
}

/*
 * ffef67b93aa3: DMA mappers follow the BAR's huge entry while a numa_maps
 * walker zaps it and a toucher refaults it; the module's follow check
 * compares each answer with the locked table.
 */
TEST_F_TIMEOUT(vfio_race, follow_split, RACE_TIMEOUT_S)
{
	struct split_window win = { 0 };
	struct race_case rc;
	struct hp_refmod ref = { .fd = -1 };
	char counts[HP_TEXT_LEN / 2];
	bool absent, capped;
	long stale0, stale;
	struct race r;
	double secs;

	memset(&rc, 0, sizeof(rc));
	CASE_NAME_OR_SKIP(&rc);
	if (!vfio_bar_prepare(_metadata, self, variant, &rc, &absent)) {
		if (absent)
			SKIP(return, "%s", self->t.why);
		rc_finish(&rc, "follow vs split");
		RC_CONCLUDE(&rc);
		return;
	}
	if (!race_hooks(&rc, &ref)) {
		rc_finish(&rc, "follow vs split");
		RC_CONCLUDE(&rc);
		return;
	}
	stale0 = follow_check(&ref, true, &win.checked0);
	if (stale0 < 0) {
		rc_untestable(&rc, "follow check: cannot probe follow_pfnmap_start: %s",
			      strerror((int)-stale0));
		hp_refmod_close(&ref);
		rc_finish(&rc, "follow vs split");
		RC_CONCLUDE(&rc);
		return;
	}
	vfio_race_fill(&r, self, variant);
	r.ref = &ref;
	race_add(&r, R_DMA);
	race_add(&r, R_DMA);
	race_add(&r, R_NUMA_MAPS);
	race_add(&r, R_TOUCH);
	race_add(&r, R_PTL);
	win.counter = variant->v.want == HP_LEVEL_PUD ? "thp_split_pud" : "thp_split_pmd";
	win.base = hp_vmstat(win.counter);
	win.ref = &ref;
	hp_frame_window(&rc.f);
	secs = race_run(&r, race_duration(), split_window_open, &win, &capped);
	stale = follow_check(&ref, false, NULL);
	race_describe(&r, counts, sizeof(counts));
	{
		long checked = 0;

		follow_check(&ref, false, &checked);
		hp_appendf(rc.what, sizeof(rc.what),
			 "%.1f s: %s; %s +%ld; follow check: %ld huge entries checked, %ld stale",
			 secs, counts, win.counter, hp_vmstat(win.counter) - win.base,
			 checked - win.checked0, stale - stale0);
	}
	if (stale > stale0)
		snprintf(rc.extra, sizeof(rc.extra),
			 "follow_pfnmap_start returned %ld huge entries its locked table did not map",
			 stale - stale0);
	else if (win.base < 0)
		rc_untestable(&rc, "no %s in /proc/vmstat: cannot tell the walker split anything",
			      win.counter);
	else if (capped)
		rc_untestable(&rc, "too slow to open the window in %.0f s (%s)", RACE_CAP_S, counts);
	hp_refmod_close(&ref);
	rc_finish(&rc, "follow vs split");
	RC_CONCLUDE(&rc);
}

/* ---- anonymous THP: fork against migration ---- */

struct anon_variant {
	const char *name;
};

FIXTURE(anon_race) {
	struct hp_map map;
};

FIXTURE_VARIANT(anon_race) {
	struct anon_variant v;
};

FIXTURE_VARIANT_ADD(anon_race, thp) { .v = { .name = "thp" } };

FIXTURE_SETUP(anon_race)
{
	memset(&self->map, 0, sizeof(self->map));
}

FIXTURE_TEARDOWN(anon_race)
{
	hp_unmap(&self->map);
}

static bool two_nodes(void)
{
	return !access("/sys/devices/system/node/node1", F_OK);
}

static bool migrated_window(void *arg)
{
	long *base = arg;

	return hp_vmstat("thp_migration_success") > *base;
}

/*
 * 47fa30118f02: fork while move_pages() migrates the THPs; each child writes
 * its copy, the parent checks that its own bytes stayed.
 */
TEST_F_TIMEOUT(anon_race, fork_migrate, RACE_TIMEOUT_S)
{
	struct race_case rc;
	struct race r;
	char counts[HP_TEXT_LEN / 2];
	size_t len = FORK_BLOCKS * hp_pmd_size();
	enum hp_special special = HP_SPECIAL_UNKNOWN;
	long base;
	bool capped;
	double secs;
	int err;

	memset(&rc, 0, sizeof(rc));
	CASE_NAME_OR_SKIP(&rc);
	rc_start(&rc, "anon", "-");
	rc.f.ev.owner = HP_OWNER_PAGES;
	rc.f.ev.huge_required = true;
	if (!two_nodes()) {
		rc_untestable(&rc, "one NUMA node: move_pages() has nowhere to migrate to (boot with numa=fake=2: run.sh --numa 2)");
		rc_finish(&rc, "fork vs migration");
		RC_CONCLUDE(&rc);
		return;
	}
	err = _hp_map(&self->map, -1, 0, len, hp_pmd_size(), PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, true);
	if (err) {
		rc_untestable(&rc, "mmap of %zu bytes: %s", len, strerror(-err));
		rc_finish(&rc, "fork vs migration");
		RC_CONCLUDE(&rc);
		return;
	}
	for (size_t o = 0; o + 8 <= len; o += 8)
		*(uint64_t *)((char *)self->map.addr + o) = o ^ FORK_SEED;
	rc.f.ev.level = hp_map_level_seen(self->map.addr, &special, &rc.f.ev.level_why);
	rc.f.ev.special = special;
	if (rc.f.ev.level != HP_LEVEL_PMD) {
		rc_untestable(&rc, "no THP formed (level %s; transparent_hugepage off?)",
			      hp_level_name(rc.f.ev.level));
		rc_finish(&rc, "fork vs migration");
		RC_CONCLUDE(&rc);
		return;
	}
	hp_record_mapped(HP_TEST, rc.c.name, rc.f.ev.level, rc.f.ev.special);
	memset(&r, 0, sizeof(r));
	r.base = self->map.addr;
	r.len = len;
	r.block = hp_pmd_size();
	r.container = -1;
	race_add(&r, R_MIGRATE);
	race_add(&r, R_FORK);
	base = hp_vmstat("thp_migration_success");
	hp_frame_window(&rc.f);
	secs = race_run(&r, race_duration(), migrated_window, &base, &capped);
	race_describe(&r, counts, sizeof(counts));
	hp_appendf(rc.what, sizeof(rc.what),
		 "%.1f s: %s; thp_migration_success +%ld; parent words changed by children %ld; children killed %ld",
		 secs, counts, hp_vmstat("thp_migration_success") - base,
		 atomic_load(&r.cow_bad), atomic_load(&r.child_died));
	if (atomic_load(&r.cow_bad))
		snprintf(rc.extra, sizeof(rc.extra),
			 "%ld words of the parent changed by its children's writes (copy-on-write broken)",
			 atomic_load(&r.cow_bad));
	else if (atomic_load(&r.child_died))
		snprintf(rc.extra, sizeof(rc.extra), "a forked child died of signal %d",
			 atomic_load(&r.child_sig));
	else if (base < 0)
		rc_untestable(&rc, "no thp_migration_success in /proc/vmstat (CONFIG_MIGRATION off?)");
	else if (capped)
		rc_untestable(&rc, "too slow to migrate and fork in %.0f s (%s)", RACE_CAP_S, counts);
	rc_finish(&rc, "fork vs migration");
	RC_CONCLUDE(&rc);
}

TEST_HARNESS_MAIN
