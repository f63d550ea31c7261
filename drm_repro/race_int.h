/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the race engine's files share: its limits, the race state, the
 * pinner threads' state and the small helpers every thread uses.
 */
#ifndef DRM_REPRO_RACE_INT_H
#define DRM_REPRO_RACE_INT_H

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
/* A held pin spans 16 subpages: a pin of just one balances out. */
#define HOLD_LEN (16 * hp_page_size())
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

struct race {
	const struct race_cfg *cfg;
	struct race_report *rep;
	struct hp_frame_span window;	/* the race-wide detector window, its findings */
	int fd;				/* DRM device fd */
	struct hp_refmod ref;		/* HP_BUF_REF */
	struct hp_vfio_dev vfio;	/* HP_BUF_VFIO: the BAR every buffer maps slots of */
	struct hp_buf_src src;		/* where the target's buffers come from */
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
	size_t block;			/* a PMD block, or the whole buffer when smaller */
	size_t nblocks;
	/* Writers replace the target mapping; pinners hold it for one pin. */
	pthread_rwlock_t lock;
	struct hp_buf target;
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

static inline bool stopped(struct race *r)
{
	return __atomic_load_n(&r->stop, __ATOMIC_ACQUIRE);
}

static inline double since(struct race *r)
{
	return hp_now() - r->t0;
}

/*
 * A method's minimum work: one pin attempt, and one eviction cycle of the
 * race when it has an evictor. A SAFE needs it; the race runs on for it.
 */
static inline bool method_min_done(const struct race *r, const struct race_method *m)
{
	if (r->have_ev && !__atomic_load_n(&r->rep->evict_cycles, __ATOMIC_RELAXED))
		return false;
	return !m->available || __atomic_load_n(&m->attempts, __ATOMIC_RELAXED);
}

static inline uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

static inline bool method_needs_scratch(enum hp_method m)
{
	return hp_method_info(m) && hp_method_info(m)->needs_storage;
}

static inline bool method_can_hold(enum hp_method m)
{
	return hp_method_info(m) && hp_method_info(m)->can_hold;
}


/* Shared between race.c, race_threads.c and race_run.c. */
void check_fill(struct race *r);
bool check_verify(struct race *r, const char *after, bool writable);
void *checker_main(void *arg);
void *evictor_main(void *arg);
void find_knobs(struct race *r);
void note_detect(struct race *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void note_pin_ok(struct race *r, struct race_method *m);
void *pinner_main(void *arg);
bool ref_evict(struct race *r, struct hp_buf *b, struct race_method *m, const char *who);
enum hp_level ref_level(struct race *r, const struct hp_buf *b);
void *refaulter_main(void *arg);
void sample_level(struct race *r);

#endif /* DRM_REPRO_RACE_INT_H */
