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
#include "race_int.h"

/* ---- device resolution ---- */

/* A DRM driver name of the target registry (harness/targets.c). */
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
		snprintf(err, len, "--device needs a value: /dev/dri/cardN, a driver short name, ref, vfio, anon or shmem");
		return -EINVAL;
	}
	if (!strcmp(arg, "anon") || !strcmp(arg, "shmem")) {
		cfg->kind = !strcmp(arg, "anon") ? HP_BUF_ANON : HP_BUF_SHMEM;
		snprintf(cfg->device, sizeof(cfg->device), "%s", arg);
		snprintf(cfg->driver, sizeof(cfg->driver), "%s", arg);
		return 0;
	}
	if (!strcmp(arg, "ref") || !strcmp(arg, "hugepin_ref") || !strcmp(arg, "/dev/hugepin_ref")) {
		cfg->kind = HP_BUF_REF;
		snprintf(cfg->device, sizeof(cfg->device), "%s", HUGEPIN_REF_NAME);
		snprintf(cfg->driver, sizeof(cfg->driver), "%s", HUGEPIN_REF_NAME);
		return 0;
	}
	if (!strcmp(arg, "vfio")) {
		struct hp_vfio_dev v;
		char bdf[32];

		/* Absent is no device, as for DRM; present but unusable is the race's UNTESTABLE. */
		if (hp_vfio_open(&v, bdf, sizeof(bdf), err, len) == -ENODEV)
			return -ENODEV;
		hp_vfio_close(&v);
		err[0] = '\0';
		cfg->kind = HP_BUF_VFIO;
		snprintf(cfg->device, sizeof(cfg->device), "vfio");
		snprintf(cfg->driver, sizeof(cfg->driver), "vfio-pci");
		return 0;
	}
	cfg->kind = HP_BUF_DRM;
	if (arg[0] == '/') {
		if (stat(arg, &st)) {
			snprintf(err, len, "no device node %s: %s", arg, strerror(errno));
			return -ENODEV;
		}
		if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != DRM_CHAR_MAJOR) {
			snprintf(err, len, "%s is not a DRM device node (want /dev/dri/cardN, a driver short name, ref, vfio, anon or shmem)", arg);
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
		char names[256];

		hp_target_drm_names(names, sizeof(names));
		snprintf(err, len, "unknown device '%s' (want /dev/dri/cardN, a driver short name: %s; or ref, vfio, anon, shmem)",
			 arg, names);
		return -EINVAL;
	}
	snprintf(cfg->device, sizeof(cfg->device), "%s", cfg->drm.device);
	snprintf(cfg->driver, sizeof(cfg->driver), "%s", cfg->drm.driver);
	return 0;
}

/* ---- findings ---- */

void note_detect(struct race *r, const char *fmt, ...)
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

void note_pin_ok(struct race *r, struct race_method *m)
{
	double t = since(r);

	pthread_mutex_lock(&r->note_lock);
	if (m->t_first_ok < 0)
		m->t_first_ok = t;
	if (r->owner == HP_OWNER_DRIVER && r->rep->t_first_vuln_pin < 0)
		r->rep->t_first_vuln_pin = t;
	pthread_mutex_unlock(&r->note_lock);
}

/* ---- the check pages: last page of each PMD block, never pinned ---- */

static uint64_t check_seed(struct race *r, size_t blk)
{
	return r->cfg->seed ^ (r->gen << 20) ^ (blk * 0x9e3779b97f4a7c15ull);
}

static char *check_page(struct race *r, size_t blk)
{
	return (char *)r->target.map.addr + (blk + 1) * r->block - r->page;
}

void check_fill(struct race *r)
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
bool check_verify(struct race *r, const char *after, bool writable)
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
bool ref_evict(struct race *r, struct hp_buf *b, struct race_method *m, const char *who)
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

