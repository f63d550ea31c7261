// SPDX-License-Identifier: GPL-2.0
/*
 * The race engine's set-up, probe and decision: one race from start to
 * verdicts.
 */
#include "race_int.h"

/* ---- setup, probe, decide ---- */

static void probe_methods(struct race *r)
{
	struct race_report *rep = r->rep;
	struct hp_map ctl = { 0 };
	struct hp_pin_res res;
	bool have_ctl;
	int i, ret;

	have_ctl = !_hp_map(&ctl, -1, 0, hp_pmd_size(), hp_pmd_size(), PROT_READ | PROT_WRITE,
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
	int which = hp_errhist_top(&m->errs);

	if (!which && m->hold_err)
		which = m->hold_err;
	return which;
}

/* What an interrupted race says where a verdict is missing. */
struct interrupt_text {
	char sig[32];
	char no_attempt[96];
	char no_evict[96];
};

/*
 * @m's case, started (deferred: the race was announced whole) with its own
 * part of the evidence; the race-wide findings come from the span.
 */
static void method_evidence(struct race *r, struct race_method *m,
			    const struct interrupt_text *it)
{
	const struct race_cfg *cfg = r->cfg;
	struct race_report *rep = r->rep;
	struct hp_evidence *ev = &m->f.ev;
	bool took = m->ok || m->holds_ok;

	m->c.test = cfg->test;
	snprintf(m->c.name, sizeof(m->c.name), "race.%s.%s", cfg->device, hp_method_name(m->method));
	snprintf(m->c.device, sizeof(m->c.device), "%s", cfg->device);
	snprintf(m->c.driver, sizeof(m->c.driver), "%s", cfg->driver);
	hp_frame_start_deferred(&m->f, &m->c, m->method);
	m->f.took = took;
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
		ev->untestable_why = rep->interrupted ? it->no_attempt
						      : "no pin attempt completed in the race";
	}
	ev->pin_err = took ? 0 : dominant_err(m);
	ev->bytes = m->bytes;
	ev->canary_bad += m->canary_bad;
	ev->extra_refs += m->extra_refs;
	ev->vuln_expected = rep->vuln_expected;
	ev->expected_why = rep->expected_why[0] ? rep->expected_why : NULL;
}

/* @m's record: the verdict of its evidence in its frame, named and explained. */
static void method_result(struct race *r, struct race_method *m, bool any_ok,
			  const struct interrupt_text *it)
{
	const struct race_report *rep = r->rep;
	struct hp_result *res = &m->f.res;
	bool wide = m->ok || m->holds_ok || !any_ok;
	char what[HP_TEXT_LEN], errs[96];

	/*
	 * An interrupt is not a verdict: what a detector found stands, a
	 * SAFE needs the method's minimum work behind it.
	 */
	if (rep->interrupted && !method_min_done(r, m))
		m->f.unproven = m->attempts ? it->no_evict : it->no_attempt;
	hp_errhist_text(&m->errs, "none", errs, sizeof(errs));
	snprintf(what, sizeof(what), "%ld pins, %ld ok, errors: %s; held %ld/%ld", m->attempts,
		 m->ok, errs, m->holds_ok, m->holds);
	if (m->canary_detail[0])
		hp_appendf(what, sizeof(what), "; %s", m->canary_detail);
	if (wide && rep->refs_detail[0])
		hp_appendf(what, sizeof(what), "; refcounts %s", rep->refs_detail);
	if (wide && rep->refault_detail[0])
		hp_appendf(what, sizeof(what), "; contents %s", rep->refault_detail);
	hp_frame_end(&m->f, NULL, what);
	if (rep->interrupted && res->verdict != HP_UNTESTABLE)
		hp_appendf(res->evidence, sizeof(res->evidence), "; race interrupted by %s", it->sig);
}

static void decide(struct race *r)
{
	struct race_report *rep = r->rep;
	struct interrupt_text it;
	bool any_ok = false;
	int i;

	memset(&it, 0, sizeof(it));
	if (rep->interrupted) {
		hp_signal_name(rep->interrupted, it.sig, sizeof(it.sig));
		snprintf(it.no_attempt, sizeof(it.no_attempt),
			 "interrupted by %s before one pin attempt", it.sig);
		snprintf(it.no_evict, sizeof(it.no_evict),
			 "interrupted by %s before an eviction cycle", it.sig);
	}
	for (i = 0; i < rep->nmethods; i++)
		if (rep->m[i].ok || rep->m[i].holds_ok)
			any_ok = true;
	for (i = 0; i < rep->nmethods; i++)
		method_evidence(r, &rep->m[i], &it);
	/* The race-wide findings beside the window's: settled pins, refcounts, refaulted contents. */
	r->window.seen.pin_leak = rep->pin_leak;
	r->window.seen.extra_refs = rep->extra_refs;
	r->window.seen.canary_bad = rep->refault_bad;
	for (i = 0; i < rep->nmethods; i++)
		hp_frame_span_share(&r->window, &rep->m[i].f, any_ok);
	for (i = 0; i < rep->nmethods; i++)
		method_result(r, &rep->m[i], any_ok, &it);
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
	r->page = hp_page_size();
	r->block = cfg->size < hp_pmd_size() ? cfg->size : hp_pmd_size();
	r->nblocks = cfg->size / r->block;
	r->owner = HP_OWNER_PAGES;
	r->zap_keeps = cfg->kind != HP_BUF_ANON;
	r->evict_keeps = cfg->kind != HP_BUF_REF;
	r->have_scratch = !hp_scratch_open(&r->scratch, (off_t)(4 * HOLD_LEN + (1ul << 20)));
	if (!r->have_scratch)
		r->scratch.fd = -1;

	switch (cfg->kind) {
	case HP_BUF_DRM:
		r->owner = cfg->drm.ttm ? HP_OWNER_DRIVER : HP_OWNER_PAGES;
		r->fd = open(cfg->drm.path, O_RDWR | O_CLOEXEC);
		if (r->fd < 0) {
			snprintf(rep->untestable, sizeof(rep->untestable), "cannot open %s: %s",
				 cfg->drm.path, strerror(errno));
			return;
		}
		find_knobs(r);
		break;
	case HP_BUF_REF: {
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
	case HP_BUF_VFIO: {
		char bdf[32];

		/* The BAR belongs to the device: a pin that succeeds is the bug. */
		if (hp_vfio_open(&r->vfio, bdf, sizeof(bdf), rep->untestable,
				 sizeof(rep->untestable)))
			return;
		r->owner = HP_OWNER_DRIVER;
		r->huge_required = true;
		r->src.vfio = &r->vfio;
		r->src.level = HP_LEVEL_PMD;
		break;
	}
	default:
		/* The other kinds need nothing opened first: their ops make the buffer. */
		break;
	}
	r->src.kind = cfg->kind;
	r->src.drm_fd = r->fd;
	r->src.ref = &r->ref;
	ret = _hp_buf_create(&r->src, cfg->size, true, &r->target);
	if (ret) {
		snprintf(rep->untestable, sizeof(rep->untestable),
			 "cannot create and map a %" PRIu64 " byte %s buffer: %s",
			 cfg->size, cfg->device, strerror(-ret));
		return;
	}
	check_fill(r);
	if (cfg->kind == HP_BUF_REF) {
		rep->level = ref_level(r, &r->target);
	} else {
		rep->level = hp_map_level(r->target.map.addr);
		snprintf(rep->level_src, sizeof(rep->level_src), "page tables");
	}
}

static void race_teardown(struct race *r)
{
	hp_buf_destroy(&r->target);
	if (r->fd >= 0)
		close(r->fd);
	if (r->have_scratch)
		hp_scratch_close(&r->scratch);
	if (r->ref.fd >= 0)
		hp_refmod_close(&r->ref);
	hp_vfio_close(&r->vfio);
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

static void race_init(struct race *r, const struct race_cfg *cfg, struct race_report *rep)
{
	pthread_rwlockattr_t la;

	memset(rep, 0, sizeof(*rep));
	rep->t_first_detect = -1;
	rep->t_first_vuln_pin = -1;
	memset(r, 0, sizeof(*r));
	r->cfg = cfg;
	r->rep = rep;
	r->ref.fd = -1;
	pthread_rwlockattr_init(&la);
	/* glibc prefers readers by default: the remapping writer would starve. */
	pthread_rwlockattr_setkind_np(&la, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&r->lock, &la);
	pthread_rwlock_init(&r->scratch_lock, &la);
	pthread_rwlockattr_destroy(&la);
	pthread_mutex_init(&r->note_lock, NULL);
}

/* The threads of one race. */
struct racers {
	struct pinner *pins;
	int npins;
	pthread_t evictor, refaulter, checker;
	bool have_rf, have_ck;
};

/* Pinners for every available method, then the evictor, refaulter and checker. */
static void racers_start(struct race *r, struct racers *rs)
{
	const struct race_cfg *cfg = r->cfg;
	struct race_report *rep = r->rep;
	sigset_t stop_set, old_set;
	int i, t;

	/* The stop signals reach this thread only: racers never see EINTR. */
	sigemptyset(&stop_set);
	sigaddset(&stop_set, SIGINT);
	sigaddset(&stop_set, SIGTERM);
	sigaddset(&stop_set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop_set, &old_set);
	rs->pins = calloc((size_t)rep->nmethods * (size_t)cfg->threads, sizeof(*rs->pins));
	for (i = 0; rs->pins && i < rep->nmethods; i++) {
		if (!rep->m[i].available)
			continue;
		for (t = 0; t < cfg->threads; t++) {
			struct pinner *p = &rs->pins[rs->npins];

			p->r = r;
			p->m = &rep->m[i];
			p->rng = (cfg->seed ^ ((uint64_t)(i * 64 + t) << 32)) | 1;
			p->started = !pthread_create(&p->th, NULL, pinner_main, p);
			rs->npins++;
		}
	}
	r->have_ev = !pthread_create(&rs->evictor, NULL, evictor_main, r);
	rs->have_rf = !pthread_create(&rs->refaulter, NULL, refaulter_main, r);
	rs->have_ck = !pthread_create(&rs->checker, NULL, checker_main, r);
	pthread_sigmask(SIG_SETMASK, &old_set, NULL);
}

/* Until the duration is over and the minimum work is done, a stop signal, or the cap. */
static void race_wait(struct race *r)
{
	const struct race_cfg *cfg = r->cfg;
	struct race_report *rep = r->rep;

	for (;;) {
		double now = since(r), left = cfg->duration - now;

		rep->interrupted = stop_requested(cfg);
		if (rep->interrupted)
			break;
		if (left <= 0) {
			if (min_work_done(r))
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
			progress_line(r);
	}
}

/* Stop and join every racer; false when one did not return in time. */
static bool racers_join(struct race *r, struct racers *rs)
{
	struct race_report *rep = r->rep;
	bool all_joined = true;
	int i;

	__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < rs->npins; i++)
		if (rs->pins[i].started && !join_bounded(rs->pins[i].th)) {
			all_joined = false;
			snprintf(rep->untestable, sizeof(rep->untestable),
				 "a %s pin did not return within %d s after the race ended",
				 hp_method_name(rs->pins[i].m->method), JOIN_GRACE_S);
		}
	if (r->have_ev && !join_bounded(rs->evictor))
		all_joined = false;
	if (rs->have_rf && !join_bounded(rs->refaulter))
		all_joined = false;
	if (rs->have_ck && !join_bounded(rs->checker))
		all_joined = false;
	rep->elapsed = since(r);
	if (!all_joined && !rep->untestable[0])
		snprintf(rep->untestable, sizeof(rep->untestable),
			 "a racer thread did not return within %d s after the race ended",
			 JOIN_GRACE_S);
	return all_joined;
}

/* The race-wide detector window: kernel log and pin accounting over the whole race. */
static void race_detect_end(struct race *r, bool all_joined)
{
	struct race_report *rep = r->rep;
	const struct hp_evidence *w = &r->window.seen;

	if (all_joined)
		settle_pins(r, &r->window.det);
	vmstat_fold();
	hp_frame_span_close(&r->window);
	rep->splats = w->splats;
	snprintf(rep->splat_line, sizeof(rep->splat_line), "%s", w->splat_line);
	rep->taint_new = w->taint_new;
	rep->pin_leak = w->pin_leak;
	if (w->splats)
		note_detect(r, "kernel log: %s", w->splat_line);
	if (w->pin_leak)
		note_detect(r, "pin accounting off by %ld", w->pin_leak);
}

void race_run(const struct race_cfg *cfg, struct race_report *rep)
{
	struct racers rs = { .pins = NULL };
	bool detect_open, all_joined;
	struct race r;

	race_init(&r, cfg, rep);
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
	detect_open = !hp_frame_span_start(&r.window, cfg->test, "race");
	r.t0 = hp_now();
	racers_start(&r, &rs);
	race_wait(&r);
	all_joined = racers_join(&r, &rs);
	if (detect_open)
		race_detect_end(&r, all_joined);
	sample_level(&r);
	decide(&r);
	/* Stuck threads may still use the buffers; leave them to process exit. */
	if (all_joined) {
		race_teardown(&r);
		free(rs.pins);
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
		const struct hp_result *res = &rep->m[i].f.res;

		if (res->verdict == HP_VULNERABLE && !res->expected)
			return 1;
		if (res->verdict != HP_UNTESTABLE)
			tested = true;
	}
	return tested ? 0 : 4;
}

