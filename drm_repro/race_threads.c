// SPDX-License-Identifier: GPL-2.0
/*
 * The race engine's threads: pinners, the evictor, the refaulter and the
 * checker that runs the detectors while they go.
 */
#include "race_int.h"

/* ---- pinners ---- */

static void pick_range(struct race *r, uint64_t *rng, size_t *off, size_t *len)
{
	/* Pin lengths in pages: two, 16 and 64 (8, 64 and 256 KiB with 4 KiB pages). */
	static const size_t lens[] = { 2, 16, 64 };
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
		o = 16 * r->page;
		break;
	default:
		o = ((x >> 24) % (usable / r->page)) * r->page;
		break;
	}
	if (o >= usable)
		o = 0;
	l = lens[(x >> 40) % (sizeof(lens) / sizeof(lens[0]))] * r->page;
	if (l > usable - o)
		l = usable - o;
	*off = blk * r->block + o;
	*len = l;
}

void *pinner_main(void *arg)
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
			hp_errhist_add(&m->errs, res.err ? res.err : ret);
		}
	}
	return NULL;
}

/* ---- evictor ---- */

void find_knobs(struct race *r)
{
	char path[96];
	const char *ttm[] = { "tt_shrink", "page_pool_shrink" };
	const char *amd[] = { "amdgpu_evict_vram", "amdgpu_evict_gtt" };
	unsigned int minor = 0;
	size_t i;

	if (r->cfg->kind != HP_BUF_DRM)
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
	static const struct hp_buf_src anon = { .kind = HP_BUF_ANON };
	struct hp_buf bufs[PRESSURE_BUFS_MAX];
	size_t total = r->cfg->size * 2, bsz = r->block;
	int n = 0, i;

	if (total < PRESSURE_MIN)
		total = PRESSURE_MIN;
	if (total > PRESSURE_MAX)
		total = PRESSURE_MAX;
	while (n < PRESSURE_BUFS_MAX && (size_t)n * bsz < total && !stopped(r)) {
		/* The device's own buffers where it has a pool to evict from. */
		if (r->cfg->kind == HP_BUF_DRM ? _hp_buf_create(&r->src, bsz, false, &bufs[n])
					       : _hp_buf_create(&anon, bsz, true, &bufs[n]))
			break;
		n++;
	}
	for (i = 0; i < n; i++)
		hp_buf_destroy(&bufs[i]);
	if (r->cfg->kind == HP_BUF_SHMEM) {
		/* No swap means no effect, which is fine: this is the control. */
		pthread_rwlock_rdlock(&r->lock);
		if (r->target.live)
			madvise(r->target.map.addr, r->target.size, MADV_PAGEOUT);
		pthread_rwlock_unlock(&r->lock);
	}
}

static void recreate_target(struct race *r)
{
	struct hp_buf fresh;
	int ret;

	/* Build the replacement first, so pinners never wait on an allocation. */
	ret = _hp_buf_create(&r->src, r->cfg->size, true, &fresh);
	pthread_rwlock_wrlock(&r->lock);
	hp_buf_destroy(&r->target);
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

void *evictor_main(void *arg)
{
	struct race *r = arg;
	long n = 0;
	bool done;

	while (r->cfg->kind == HP_BUF_REF && !stopped(r)) {
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

void *refaulter_main(void *arg)
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
				if (_hp_buf_remap(&r->target)) {
					/* The evictor's next cycle brings a new buffer. */
					r->target.live = false;
					hp_buf_release(&r->target);
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
	size_t vsize = r->cfg->size < hp_pmd_size() ? r->cfg->size : hp_pmd_size();
	size_t len = vsize - r->page < HOLD_LEN ? vsize - r->page : HOLD_LEN;
	uint64_t pseed = r->cfg->seed ^ 0xa5a5a5a5ull ^ (round << 8);
	uint64_t cseed = pseed ^ 0x5a5a0000ull;
	struct hp_buf victim, fresh[FRESH_BUFS];
	struct hp_map anon = { 0 };
	struct hp_held_pin hp;
	bool have_anon = false;
	size_t bad, first;
	unsigned char *out;
	long n;
	int ret, nfresh = 0, i;

	if (_hp_buf_create(&r->src, vsize, true, &victim)) {
		usleep(IDLE_US);
		return;
	}
	hp_canary_fill(victim.map.addr, len, pseed);
	memset(&hp, 0, sizeof(hp));
	__atomic_fetch_add(&m->holds, 1, __ATOMIC_RELAXED);
	ret = _hp_pin_hold(&hp, m->method, victim.map.addr, len);
	if (ret) {
		m->hold_err = -ret;
		hp_buf_destroy(&victim);
		return;
	}
	__atomic_fetch_add(&m->holds_ok, 1, __ATOMIC_RELAXED);
	note_pin_ok(r, m);
	if (r->cfg->kind == HP_BUF_REF) {
		char who[64];

		snprintf(who, sizeof(who), "an eviction under a held %s pin",
			 hp_method_name(m->method));
		ref_evict(r, &victim, m, who);
	}
	hp_buf_destroy(&victim);

	for (i = 0; i < FRESH_BUFS; i++) {
		if (_hp_buf_create(&r->src, vsize, false, &fresh[nfresh]))
			break;
		hp_canary_fill(fresh[nfresh].map.addr, vsize, cseed + (uint64_t)nfresh);
		nfresh++;
	}
	if (!_hp_map(&anon, -1, 0, FRESH_ANON, hp_pmd_size(), PROT_READ | PROT_WRITE, MAP_PRIVATE, true)) {
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
		hp_buf_destroy(&fresh[i]);
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
enum hp_level ref_level(struct race *r, const struct hp_buf *b)
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

void sample_level(struct race *r)
{
	enum hp_level l = HP_LEVEL_UNKNOWN;

	pthread_rwlock_rdlock(&r->lock);
	if (r->target.live)
		l = r->cfg->kind == HP_BUF_REF ? ref_level(r, &r->target)
					       : hp_map_level(r->target.map.addr);
	pthread_rwlock_unlock(&r->lock);
	pthread_mutex_lock(&r->note_lock);
	if (l > r->rep->level)
		r->rep->level = l;
	pthread_mutex_unlock(&r->note_lock);
}

static void kmsg_round_end(struct race *r, struct hp_frame_span *round)
{
	const struct hp_evidence *ev = &round->seen;

	hp_frame_span_close(round);
	if (ev->splats)
		note_detect(r, "kernel log: %s", ev->splat_line);
	else if (ev->taint_new) {
		char t[64];

		hp_taint_describe(ev->taint_new, t, sizeof(t));
		note_detect(r, "kernel taint: %s", t);
	}
}

void *checker_main(void *arg)
{
	struct race *r = arg;
	struct race_report *rep = r->rep;
	struct hp_frame_span d;	/* a round of the kernel log, for the time of a first finding */
	struct race_method *hold[HP_M_NR];
	double next = hp_now() + KMSG_ROUND_S;
	uint64_t round = 0;
	int nhold = 0, i;
	bool open;

	for (i = 0; i < rep->nmethods; i++)
		if (rep->m[i].available && method_can_hold(rep->m[i].method))
			hold[nhold++] = &rep->m[i];
	open = !hp_frame_span_start(&d, r->cfg->test, "race.check");
	while (!stopped(r)) {
		if (hp_now() >= next || __atomic_exchange_n(&r->check_now, 0, __ATOMIC_ACQ_REL)) {
			if (open)
				kmsg_round_end(r, &d);
			open = !hp_frame_span_start(&d, r->cfg->test, "race.check");
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

