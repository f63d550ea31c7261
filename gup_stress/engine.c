// SPDX-License-Identifier: GPL-2.0
/*
 * gup_stress engine: one phase per memory type. Pinner threads pin random
 * page-aligned ranges of their own cells (offset 0 of a huge block included,
 * several subpages each: a pin that starts at a tail page or covers one page
 * hides the pfn-PMD refcount damage on 6.1) through random methods; mutator
 * threads change the page tables under them. Around each phase: a kernel log
 * marker and scan, and /proc/vmstat nr_foll_pin_acquired/released, which must
 * balance once every pin is released. One record per memory type x method.
 *
 * A phase lasts its share of --duration, and then as long as it takes every
 * method to have one pin answered by the kernel (taken or refused; a pin whose
 * own pattern fill faulted under a mutator says nothing), so that no verdict
 * depends on the machine's speed. A signal from the caller ends it at once.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "hugepin_ref_uapi.h"

#define GS_TEST "gup_stress"
#define GS_SHOW_BAD 5			/* integrity failures printed per phase */
/*
 * io_uring unpins a ring's buffers from a workqueue after the ring is gone:
 * the pin counters are polled until they balance, up to the cap (a real leak
 * costs the wait), or briefly after an interrupt.
 */
#define GS_SETTLE_STEP_NS 100000000L
#define GS_SETTLE_CAP_S 30.0
#define GS_SETTLE_INTERRUPTED_S 1.0
/* Past its share of --duration a phase waits this long for its minimum work. */
#define GS_MIN_WORK_CAP_S 30.0
#define GS_IDLE_S 0.02
#define GS_WEIGHT_COMMON 8		/* mutator picks: compaction is global and slow */
#define GS_WEIGHT_COMPACT 1

static const char *const mut_names[GS_MUT_NR] = {
	[GS_MUT_REMAP] = "remap",
	[GS_MUT_MREMAP] = "mremap",
	[GS_MUT_DONTNEED] = "dontneed",
	[GS_MUT_FREE] = "free",
	[GS_MUT_COLD] = "cold",
	[GS_MUT_PAGEOUT] = "pageout",
	[GS_MUT_MPROTECT] = "mprotect",
	[GS_MUT_FORK] = "fork",
	[GS_MUT_SPLIT] = "split",
	[GS_MUT_COLLAPSE] = "collapse",
	[GS_MUT_COMPACT] = "compact",
};

const char *gs_mutator_name(enum gs_mutator m)
{
	return m < GS_MUT_NR ? mut_names[m] : "?";
}

static const char *mutator_name_at(unsigned int i)
{
	return mut_names[i];
}

int gs_mutator_list_parse(const char *list, unsigned int *mask, char *bad, size_t badlen)
{
	if (list && !strcasecmp(list, "none")) {
		*mask = 0;
		return 0;
	}
	return hp_list_mask(list, mutator_name_at, GS_MUT_NR, (1u << GS_MUT_NR) - 1, mask, bad,
			    badlen);
}

/* ---- phase state ---- */

struct gs_phase;

struct gs_pinner {
	struct gs_phase *ph;
	int index;
	pthread_t tid;
	struct gs_pinctx ctx;
	struct gs_method_stats st[HP_M_NR];
	size_t *cells;
	size_t ncells;
	uint64_t rng;
};

struct gs_mutthread {
	struct gs_phase *ph;
	pthread_t tid;
	struct gs_mutctx ctx;
	struct gs_mut_stats st[GS_MUT_NR];
};

struct gs_phase {
	const struct gs_config *cfg;
	struct gs_region r;
	struct gs_mem_result *res;
	size_t cell;
	enum hp_method methods[HP_M_NR];
	int nmethods;
	unsigned int mut_live;		/* mutators not (yet) found unsupported */
	enum hp_level level_start;	/* what mapped the region once it was set up */
	long answered[HP_M_NR];		/* pins the kernel took or refused, per method */
	struct hp_case cases[HP_M_NR];	/* one case per method of the phase, as methods[] */
	struct hp_frame frames[HP_M_NR];	/* each case's frame, judged when the phase ends */
	int stop;
	long shown;
	pthread_mutex_t lock;
};

static void add_relaxed(long *p, long v)
{
	__atomic_add_fetch(p, v, __ATOMIC_RELAXED);
}

static long load_relaxed(const long *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void report_bad(struct gs_phase *ph, enum hp_method m, const char *what)
{
	pthread_mutex_lock(&ph->lock);
	if (!ph->res->first_bad[0])
		snprintf(ph->res->first_bad, sizeof(ph->res->first_bad), "%s: %s",
			 hp_method_name(m), what);
	if (ph->shown++ < GS_SHOW_BAD)
		fprintf(stderr, "gup_stress: integrity: %s %s: %s\n", ph->res->name,
			hp_method_name(m), what);
	pthread_mutex_unlock(&ph->lock);
}

/*
 * A random method, except that one with no pin answered yet comes first: the
 * phase's minimum work is done as early as the machine allows.
 */
static enum hp_method pick_method(struct gs_phase *ph, uint64_t x)
{
	int first = (int)(x % (unsigned)ph->nmethods);

	for (int i = 0; i < ph->nmethods; i++) {
		enum hp_method m = ph->methods[(first + i) % ph->nmethods];

		if (!load_relaxed(&ph->answered[m]))
			return m;
	}
	return ph->methods[first];
}

static bool min_work_done(struct gs_phase *ph)
{
	for (int i = 0; i < ph->nmethods; i++)
		if (!load_relaxed(&ph->answered[ph->methods[i]]))
			return false;
	return true;
}

/* The level of the entry at @addr, from the walk module; unknown without it. */
static enum hp_level level_at(const void *addr)
{
	struct hp_walk w;

	return hp_walk_query(addr, &w) ? HP_LEVEL_UNKNOWN : w.level;
}

static void pin_once(struct gs_pinner *p)
{
	struct gs_phase *ph = p->ph;
	struct gs_region *r = &ph->r;
	size_t cpages = ph->cell / hp_page_size();
	uint64_t x = gs_rand(&p->rng);
	enum hp_method m = pick_method(ph, x);
	size_t cell = p->cells[(x >> 8) % p->ncells];
	size_t off_pages = (x >> 24) & 3 ? (x >> 32) % cpages : 0;
	size_t avail = cpages - off_pages, npages;
	char *addr = r->addr + cell * ph->cell + off_pages * hp_page_size();
	size_t slot = (size_t)(addr - r->addr) / r->slot;
	struct gs_method_stats *st = &p->st[m];
	enum hp_level before, after;
	unsigned int seq0, seq1;
	enum gs_io_status io;
	int err;

	npages = avail >= 2 ? 2 + (size_t)(gs_rand(&p->rng) % (avail - 1)) : 1;
	before = level_at(addr);
	seq0 = __atomic_load_n(&r->seq[slot], __ATOMIC_SEQ_CST);
	io = gs_pin_io(&p->ctx, m, addr, npages * hp_page_size(), gs_rand(&p->rng), &err);
	seq1 = __atomic_load_n(&r->seq[slot], __ATOMIC_SEQ_CST);
	after = level_at(addr);
	add_relaxed(&st->met[before == after ? before : HP_LEVEL_UNKNOWN], 1);
	add_relaxed(&st->ops, 1);
	if (io != GS_IO_FAULT)
		add_relaxed(&ph->answered[m], 1);
	switch (io) {
	case GS_IO_OK:
		add_relaxed(&st->ok, 1);
		add_relaxed(&st->pages, (long)npages);
		break;
	case GS_IO_ERR:
		hp_errhist_add(&st->errs, err);
		break;
	case GS_IO_FAULT:
		add_relaxed(&st->faults, 1);
		break;
	case GS_IO_MISMATCH:
		add_relaxed(&st->ok, 1);
		add_relaxed(&st->pages, (long)npages);
		/* A destructive mutator overlapping the op changes the bytes legitimately. */
		if (seq0 != seq1 || (seq0 & 1)) {
			add_relaxed(&st->raced, 1);
		} else {
			add_relaxed(&st->integrity, 1);
			report_bad(ph, m, p->ctx.bad);
		}
		break;
	}
}

static void *pinner_main(void *arg)
{
	struct gs_pinner *p = arg;

	while (!__atomic_load_n(&p->ph->stop, __ATOMIC_RELAXED))
		pin_once(p);
	return NULL;
}

static enum gs_mutator pick_mutator(struct gs_phase *ph, uint64_t x)
{
	unsigned int live = __atomic_load_n(&ph->mut_live, __ATOMIC_RELAXED);
	unsigned int total = 0, w;

	for (int i = 0; i < GS_MUT_NR; i++)
		if (live & (1u << i))
			total += i == GS_MUT_COMPACT ? GS_WEIGHT_COMPACT : GS_WEIGHT_COMMON;
	if (!total)
		return GS_MUT_NR;
	w = (unsigned int)(x % total);
	for (int i = 0; i < GS_MUT_NR; i++) {
		unsigned int wi = i == GS_MUT_COMPACT ? GS_WEIGHT_COMPACT : GS_WEIGHT_COMMON;

		if (!(live & (1u << i)))
			continue;
		if (w < wi)
			return (enum gs_mutator)i;
		w -= wi;
	}
	return GS_MUT_NR;
}

static void *mutator_main(void *arg)
{
	struct gs_mutthread *t = arg;
	struct gs_phase *ph = t->ph;

	while (!__atomic_load_n(&ph->stop, __ATOMIC_RELAXED)) {
		uint64_t x = gs_rand(&t->ctx.rng);
		enum gs_mutator m = pick_mutator(ph, x);
		int err;

		if (m == GS_MUT_NR)
			break;
		err = gs_mutate(&t->ctx, &ph->r, m, (size_t)((x >> 16) % ph->r.nslots));
		add_relaxed(&t->st[m].ops, 1);
		if (!err)
			continue;
		/*
		 * "Not for this kind of memory" on a first try retires the mutator for
		 * the phase; after a success it is a transient state and only counted.
		 */
		if ((err == -EINVAL || err == -EOPNOTSUPP || err == -ENOSYS || err == -EACCES ||
		     err == -EPERM || err == -ENOENT) && t->st[m].ops - 1 == t->st[m].errors) {
			__atomic_and_fetch(&ph->mut_live, ~(1u << m), __ATOMIC_RELAXED);
			t->st[m].disabled = true;
			t->st[m].disabled_err = -err;
		} else {
			add_relaxed(&t->st[m].errors, 1);
			t->st[m].last_err = -err;
		}
	}
	return NULL;
}

static void sum_stats(struct gs_pinner *p, int n, struct gs_method_stats *out)
{
	memset(out, 0, sizeof(*out) * HP_M_NR);
	for (int i = 0; i < n; i++) {
		for (int m = 0; m < HP_M_NR; m++) {
			const struct gs_method_stats *s = &p[i].st[m];

			out[m].ops += load_relaxed(&s->ops);
			out[m].ok += load_relaxed(&s->ok);
			out[m].pages += load_relaxed(&s->pages);
			out[m].integrity += load_relaxed(&s->integrity);
			out[m].raced += load_relaxed(&s->raced);
			out[m].faults += load_relaxed(&s->faults);
			for (int l = 0; l <= HP_LEVEL_PUD; l++)
				out[m].met[l] += load_relaxed(&s->met[l]);
			hp_errhist_merge(&out[m].errs, &s->errs);
		}
	}
}

static void progress(struct gs_phase *ph, struct gs_pinner *p, int n,
		     struct gs_mutthread *mt, int nm, double t0, double span)
{
	struct gs_method_stats s[HP_M_NR];
	long ops = 0, ok = 0, bad = 0, muts = 0;

	sum_stats(p, n, s);
	for (int m = 0; m < HP_M_NR; m++) {
		ops += s[m].ops;
		ok += s[m].ok;
		bad += s[m].integrity;
	}
	for (int i = 0; i < nm; i++)
		for (int m = 0; m < GS_MUT_NR; m++)
			muts += load_relaxed(&mt[i].st[m].ops);
	fprintf(stderr, "gup_stress: %s %.0f/%.0f s: %ld pins (%ld ok), %ld mutations, %ld integrity failures\n",
		ph->res->name, hp_now() - t0, span, ops, ok, muts, bad);
}

/* A signal ends the sleep early: every caller looks at the clock again. */
static void sleep_ns(long ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000L, .tv_nsec = ns % 1000000000L };

	nanosleep(&ts, NULL);
}

/*
 * Wait for deferred unpins (see GS_SETTLE_CAP_S). With every pinner gone, a
 * rise in the acquired count is another process pinning: the balance cannot
 * be read then, and neither can it when an interrupt cut the wait short.
 */
static long settle_pins(long base, bool interrupted, bool *known)
{
	double end = hp_now() + (interrupted ? GS_SETTLE_INTERRUPTED_S : GS_SETTLE_CAP_S);
	long acq, rel, prev = -1, delta;

	*known = false;
	while (!hp_vmstat_pins(&acq, &rel)) {
		delta = (acq - rel) - base;
		/* Below zero is someone else dropping pins taken before the phase. */
		if (delta <= 0) {
			*known = true;
			return 0;
		}
		if (prev >= 0 && acq != prev)
			return 0;
		if (hp_now() >= end) {
			*known = !interrupted;
			return interrupted ? 0 : delta;
		}
		prev = acq;
		sleep_ns(GS_SETTLE_STEP_NS);
	}
	return 0;
}

/* The stop signals go to the thread that polls for them, never to a pinner mid-call. */
static void block_stop_signals(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, old);
}

static size_t cell_size(const struct gs_config *cfg, const struct gs_region *r)
{
	size_t cell = (size_t)cfg->io_size;

	/* Every thread needs a cell of its own; cells never straddle slots. */
	while (cell > hp_page_size() && (cell * (size_t)cfg->threads > r->len || r->slot % cell))
		cell /= 2;
	return cell;
}

/*
 * Where the walk module is loaded, each pin records the level of the entry
 * it met (pin_once), and a method's level is the largest one its pins met:
 * "SAFE at pmd" means a pin met a PMD. Without the module: the reference
 * module knows which entries it inserted, the largest level it used during
 * the phase; other memory is asked of ptdump or smaps, and the phase
 * reports the larger of the levels at its start and its end, since mutators
 * may have zapped the mapping by the time it ends.
 */
static enum hp_level phase_level(const struct gs_region *r)
{
	struct hugepin_ref_info info;

	if (r->kind != GS_MEM_REF)
		return hp_map_level(r->addr);
	if (r->ref.fd < 0 || _hp_refmod_info(&r->ref, r->buf.ref.id, &info))
		return HP_LEVEL_UNKNOWN;
	if (info.faults_pud)
		return HP_LEVEL_PUD;
	if (info.faults_pmd)
		return HP_LEVEL_PMD;
	return info.faults_pte ? HP_LEVEL_PTE : HP_LEVEL_UNKNOWN;
}

/* The largest level @s's pins met, where each pin read it; else the phase's. */
static enum hp_level method_level(const struct gs_mem_result *res, const struct gs_method_stats *s)
{
	if (!res->per_pin_level)
		return res->level;
	for (int l = HP_LEVEL_PUD; l > HP_LEVEL_UNKNOWN; l--)
		if (s->met[l])
			return (enum hp_level)l;
	return HP_LEVEL_UNKNOWN;
}

/* One case per method, started before the race: its start record is down if the guest dies in it. */
static void frames_start(struct gs_phase *ph)
{
	struct gs_mem_result *res = ph->res;

	for (int i = 0; i < ph->nmethods; i++) {
		struct hp_case *c = &ph->cases[i];

		c->test = GS_TEST;
		snprintf(c->name, sizeof(c->name), GS_TEST ".%s.%s", res->name,
			 hp_method_name(ph->methods[i]));
		snprintf(c->device, sizeof(c->device), "%s", res->name);
		snprintf(c->driver, sizeof(c->driver), "%s", res->driver);
		hp_frame_start(&ph->frames[i], c, ph->methods[i]);
		ph->frames[i].quiet = true;
	}
}

/* Each method's case judged on its own part and the phase's shared findings. */
static void judge(struct gs_phase *ph, struct hp_frame_span *span)
{
	struct gs_mem_result *res = ph->res;
	char sig[32] = "", stopped[64] = "";
	bool any_ok = false;

	if (res->interrupted) {
		hp_signal_name(res->interrupted, sig, sizeof(sig));
		snprintf(stopped, sizeof(stopped), "interrupted by %s before a pin was answered", sig);
	}
	for (int i = 0; i < ph->nmethods; i++)
		any_ok |= res->m[ph->methods[i]].ok > 0;
	res->failed = res->failed || span->seen.splats || span->seen.taint_new || res->pin_delta;
	for (int i = 0; i < ph->nmethods; i++) {
		enum hp_method m = ph->methods[i];
		struct gs_method_stats *s = &res->m[m];
		struct hp_evidence *ev = &ph->frames[i].ev;
		int top = hp_errhist_top(&s->errs);

		ev->owner = res->owner;
		ev->level = method_level(res, s);
		/*
		 * An interrupt is not a verdict: a method without its minimum work
		 * is UNTESTABLE, one with it keeps what the evidence says.
		 */
		ev->attempted = ph->answered[m] > 0;
		ev->untestable_why = res->interrupted ? stopped :
				     res->too_slow[0] ? res->too_slow : "no pinner thread ran";
		ev->pin_err = s->ok ? 0 : (top ? top : EIO);
		ev->bytes = s->pages * (long)hp_page_size();
		ev->canary_bad = s->integrity;
		ev->vuln_expected = res->vuln_expected;
		ev->expected_why = res->vuln_expected ? HP_WHY_NO_PMD_SPECIAL : NULL;
		ph->frames[i].took = s->ok > 0;
	}
	/* The settled pin count and the module's refcounts are the phase's too. */
	span->seen.pin_leak = res->pin_delta;
	span->seen.extra_refs = res->extra_refs;
	for (int i = 0; i < ph->nmethods; i++)
		hp_frame_span_share(span, &ph->frames[i], any_ok);
	for (int i = 0; i < ph->nmethods; i++) {
		enum hp_method m = ph->methods[i];
		struct gs_method_stats *s = &res->m[m];
		struct hp_frame *f = &ph->frames[i];
		char where[96], what[64] = "";

		snprintf(where, sizeof(where), "%ld ops, %ld ok, %ld integrity failures", s->ops,
			 s->ok, s->integrity);
		if (f->ev.attempted && sig[0])
			snprintf(what, sizeof(what), "phase interrupted by %s", sig);
		res->verdict[m] = hp_frame_end(f, where, what);
		snprintf(res->evidence[m], sizeof(res->evidence[m]), "%s", f->res.evidence);
		if (s->integrity || (res->verdict[m] == HP_VULNERABLE && !res->vuln_expected))
			res->failed = true;
	}
}

/* The threads of one phase. */
struct phase_threads {
	struct gs_pinner *pin;		/* cfg->threads of them */
	struct gs_mutthread *mt;	/* cfg->mutator_threads of them */
	int started, mstarted;
};

/* Each pinner's I/O context and its share of the cells. */
static void phase_assign_cells(struct gs_phase *ph, struct phase_threads *pt,
			       struct hp_scratch *scratch, uint64_t seed)
{
	const struct gs_config *cfg = ph->cfg;

	for (int i = 0; i < cfg->threads; i++) {
		struct gs_pinner *p = &pt->pin[i];
		size_t ncells = ph->r.len / ph->cell, per_slot = ph->r.slot / ph->cell;

		p->ph = ph;
		p->index = i;
		p->rng = seed ^ (0x1000193ull * (uint64_t)(i + 1));
		gs_pinctx_init(&p->ctx, scratch, i, ph->cell);
		p->cells = calloc(ncells, sizeof(size_t));
		/* Rotate ownership per slot so every thread also pins at huge-block starts. */
		for (size_t c = 0; p->cells && c < ncells; c++)
			if ((c + c / per_slot) % (size_t)cfg->threads == (size_t)i)
				p->cells[p->ncells++] = c;
	}
}

/* The requested methods that can run here; the others say why not. */
static void phase_pick_methods(struct gs_phase *ph, struct gs_pinctx *ctx)
{
	struct gs_mem_result *res = ph->res;

	for (int m = 0; m < HP_M_NR; m++) {
		if (!(ph->cfg->methods & (1u << m)))
			continue;
		if (hp_pinner_available(&ctx->pin, (enum hp_method)m, res->method_skip[m],
					sizeof(res->method_skip[m])))
			continue;
		ph->methods[ph->nmethods++] = (enum hp_method)m;
		res->methods |= 1u << m;
	}
}

static void phase_start(struct gs_phase *ph, struct phase_threads *pt, uint64_t seed)
{
	const struct gs_config *cfg = ph->cfg;
	struct gs_mem_result *res = ph->res;
	sigset_t old_mask;

	block_stop_signals(&old_mask);
	for (int i = 0; !res->interrupted && i < cfg->threads; i++) {
		if (!pt->pin[i].ncells)
			continue;
		if (pthread_create(&pt->pin[i].tid, NULL, pinner_main, &pt->pin[i]))
			break;
		pt->started = i + 1;
	}
	for (int i = 0; !res->interrupted && cfg->mutators && i < cfg->mutator_threads; i++) {
		struct gs_mutthread *m = &pt->mt[i];

		m->ph = ph;
		gs_mutctx_init(&m->ctx, &ph->r, seed ^ (0xabcdefull * (uint64_t)(i + 7)));
		if (pthread_create(&m->tid, NULL, mutator_main, m)) {
			gs_mutctx_fini(&m->ctx);
			break;
		}
		pt->mstarted = i + 1;
	}
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
}

/* Until the span is over and the minimum work is done, a stop signal, or the cap. */
static double phase_wait(struct gs_phase *ph, struct phase_threads *pt, double span)
{
	const struct gs_config *cfg = ph->cfg;
	struct gs_mem_result *res = ph->res;
	double t0 = hp_now(), next = t0 + 1;
	double cap = span > GS_MIN_WORK_CAP_S ? span : GS_MIN_WORK_CAP_S;

	for (;;) {
		double now = hp_now(), until;

		res->interrupted = gs_stop_requested(cfg);
		if (res->interrupted)
			break;
		if (now >= t0 + span) {
			if (!pt->started || min_work_done(ph))
				break;
			if (now >= t0 + cap) {
				snprintf(res->too_slow, sizeof(res->too_slow),
					 "too slow to have one pin of every method answered in %.0f s",
					 now - t0);
				break;
			}
			until = now + GS_IDLE_S;
		} else {
			until = t0 + span;
		}
		if (until > next)
			until = next;
		if (until > now)
			sleep_ns((long)((until - now) * 1e9) + 1);
		if (hp_now() >= next) {
			if (cfg->progress && !gs_stop_requested(cfg))
				progress(ph, pt->pin, pt->started, pt->mt, pt->mstarted, t0, span);
			next += 1;
		}
	}
	return t0;
}

/* Stop and join every thread, then sum what they did. */
static void phase_join(struct gs_phase *ph, struct phase_threads *pt, double t0)
{
	struct gs_mem_result *res = ph->res;

	__atomic_store_n(&ph->stop, 1, __ATOMIC_SEQ_CST);
	for (int i = 0; i < pt->started; i++)
		if (pt->pin[i].ncells)
			pthread_join(pt->pin[i].tid, NULL);
	for (int i = 0; i < pt->mstarted; i++) {
		pthread_join(pt->mt[i].tid, NULL);
		gs_mutctx_fini(&pt->mt[i].ctx);
	}
	res->seconds = hp_now() - t0;
	sum_stats(pt->pin, ph->cfg->threads, res->m);
	for (int i = 0; i < pt->mstarted; i++) {
		for (int m = 0; m < GS_MUT_NR; m++) {
			const struct gs_mut_stats *st = &pt->mt[i].st[m];

			res->mut[m].ops += st->ops;
			res->mut[m].errors += st->errors;
			if (st->last_err)
				res->mut[m].last_err = st->last_err;
			if (st->disabled) {
				res->mut[m].disabled = true;
				res->mut[m].disabled_err = st->disabled_err;
			}
		}
	}
	res->huge_kb = gs_region_huge_kb(&ph->r);
	res->level = phase_level(&ph->r);
	if (ph->level_start > res->level)
		res->level = ph->level_start;
	if (res->per_pin_level) {
		res->level = HP_LEVEL_UNKNOWN;
		for (int m = 0; m < HP_M_NR; m++)
			if (method_level(res, &res->m[m]) > res->level)
				res->level = method_level(res, &res->m[m]);
	}
}

static void run_phase(const struct gs_config *cfg, struct gs_mem_result *res,
		      struct hp_scratch *scratch, double span, uint64_t seed)
{
	struct gs_phase *ph = calloc(1, sizeof(*ph));
	struct phase_threads pt = {
		.pin = calloc((size_t)cfg->threads, sizeof(*pt.pin)),
		.mt = calloc((size_t)cfg->mutator_threads + 1, sizeof(*pt.mt)),
	};
	struct hp_frame_span window;
	char name[2 * HP_NAME_LEN];
	bool known;
	long acq = 0, rel = 0, base = 0;
	double t0;

	if (!ph || !pt.pin || !pt.mt) {
		snprintf(res->skip, sizeof(res->skip), "out of memory");
		goto out;
	}
	ph->cfg = cfg;
	ph->res = res;
	pthread_mutex_init(&ph->lock, NULL);
	if (gs_region_setup(cfg, &ph->r, res))
		goto out;
	ph->cell = cell_size(cfg, &ph->r);
	ph->level_start = phase_level(&ph->r);
	/* Asked once here, so the pinner threads find the walk module open. */
	level_at(ph->r.addr);
	res->per_pin_level = !hp_walk_absent_why();
	phase_assign_cells(ph, &pt, scratch, seed);
	phase_pick_methods(ph, &pt.pin[0].ctx);
	if (!ph->nmethods) {
		snprintf(res->skip, sizeof(res->skip), "no requested pin method can run here");
		goto teardown;
	}
	res->ran = true;

	frames_start(ph);
	snprintf(name, sizeof(name), GS_TEST ".%s", res->name);
	hp_frame_span_start(&window, GS_TEST, name);
	if (!hp_vmstat_pins(&acq, &rel))
		base = acq - rel;

	ph->mut_live = cfg->mutators;
	if (res->kind == GS_MEM_HUGETLB_1G && (cfg->mutators & (1u << GS_MUT_REMAP))) {
		/* A PUD-sized hugetlb remap needs a second reserved page; failing, it would leave a hole. */
		ph->mut_live &= ~(1u << GS_MUT_REMAP);
		res->mut[GS_MUT_REMAP].disabled = true;
		res->mut[GS_MUT_REMAP].disabled_err = ENOMEM;
	}
	/* Interrupted during setup: no thread starts, nothing is claimed. */
	res->interrupted = gs_stop_requested(cfg);
	phase_start(ph, &pt, seed);
	t0 = phase_wait(ph, &pt, span);
	phase_join(ph, &pt, t0);

teardown:
	for (int i = 0; i < cfg->threads; i++) {
		gs_pinctx_fini(&pt.pin[i].ctx);
		free(pt.pin[i].cells);
	}
	gs_region_teardown(&ph->r);
	if (res->ran) {
		res->pin_delta = settle_pins(base, res->interrupted, &known);
		res->pins_known = known;
		hp_frame_span_close(&window);
		res->splats = window.seen.splats;
		res->taint_new = window.seen.taint_new;
		snprintf(res->splat_line, sizeof(res->splat_line), "%s", window.seen.splat_line);
		judge(ph, &window);
	}
out:
	if (ph)
		pthread_mutex_destroy(&ph->lock);
	free(ph);
	free(pt.pin);
	free(pt.mt);
}

int gs_run(const struct gs_config *cfg, struct gs_run *run)
{
	struct hp_scratch scratch, *sp = NULL;
	int runnable = 0, err;
	uint64_t seed = cfg->seed;

	memset(run, 0, sizeof(*run));
	err = gs_mem_plan(cfg, &run->mem, &run->nmem);
	if (err)
		return err;
	for (int i = 0; i < run->nmem; i++)
		runnable += !run->mem[i].skip[0];
	if (!runnable)
		return 0;
	if (!hp_scratch_open(&scratch, (off_t)cfg->io_size * cfg->threads))
		sp = &scratch;
	gs_fault_guard_install();
	for (int i = 0; i < run->nmem; i++) {
		struct gs_mem_result *res = &run->mem[i];
		char sig[32];

		if (res->skip[0])
			continue;
		if (!run->interrupted)
			run->interrupted = gs_stop_requested(cfg);
		if (run->interrupted) {
			res->interrupted = run->interrupted;
			snprintf(res->skip, sizeof(res->skip), "interrupted by %s before it ran",
				 hp_signal_name(run->interrupted, sig, sizeof(sig)));
			continue;
		}
		run_phase(cfg, res, sp, cfg->duration / runnable, gs_rand(&seed));
		run->interrupted = res->interrupted;
		if (!res->ran)
			continue;
		run->any_ran = true;
		run->pin_delta += res->pin_delta;
		run->failed = run->failed || res->failed;
		for (int m = 0; m < HP_M_NR; m++)
			run->integrity += res->m[m].integrity;
	}
	if (sp)
		hp_scratch_close(sp);
	return 0;
}

void gs_run_free(struct gs_run *run)
{
	free(run->mem);
	run->mem = NULL;
	run->nmem = 0;
}
