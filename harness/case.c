// SPDX-License-Identifier: GPL-2.0
/*
 * One pin case from start record to verdict, the sweep of offsets a test
 * makes over a mapping, and the fixture state behind it (see hp_case.h).
 *
 * The offsets are the point: on 6.1, fast GUP's gup_huge_pmd() takes the
 * folio of the first subpage it pins; over a non-compound driver block the
 * tail pages have refcount 0, so a pin starting there fails and falls back
 * to slow GUP (-EFAULT on VM_IO), while a pin starting at the block's first
 * page goes through and damages every subpage it covers. Pins cover 16
 * pages so several subpages are involved: a single-page pin balances out.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hp_case.h"

#define HP_MAX_UNBOUND 16

void hp_case_name(struct hp_case *c, const char *fixture, const char *variant,
		  const char *test)
{
	snprintf(c->name, sizeof(c->name), "%s.%s.%s", fixture, variant, test);
}

static void note_log_missing(void)
{
	static bool noted;

	if (!noted)
		printf("# /dev/kmsg unreadable (%s): kernel log detector off, run as root\n",
		       strerror(errno));
	noted = true;
}

/* "note; " at the start of an evidence line; returns its length. */
static size_t note_prefix(char *buf, size_t len, const char *note)
{
	int n = snprintf(buf, len, "%s%s", note, *note ? "; " : "");

	return n < 0 ? 0 : (size_t)n >= len ? len - 1 : (size_t)n;
}

void hp_result_init(struct hp_result *res, const char *test, const char *name,
		    const char *device, const char *driver, const char *method)
{
	memset(res, 0, sizeof(*res));
	snprintf(res->test, sizeof(res->test), "%s", test);
	snprintf(res->name, sizeof(res->name), "%s", name);
	snprintf(res->device, sizeof(res->device), "%s", device);
	snprintf(res->driver, sizeof(res->driver), "%s", driver && *driver ? driver : "-");
	snprintf(res->method, sizeof(res->method), "%s", method);
}

enum hp_verdict hp_judge(const struct hp_evidence *ev, struct hp_result *res, char *why,
			 size_t len)
{
	res->verdict = hp_decide(ev, why, len);
	res->expected = res->verdict == HP_VULNERABLE && ev->vuln_expected;
	res->err = ev->attempted ? ev->pin_err : 0;
	res->bytes = ev->attempted ? ev->bytes : 0;
	snprintf(res->level, sizeof(res->level), "%s", hp_level_name(ev->level));
	snprintf(res->special, sizeof(res->special), "%s", hp_special_name(ev->special));
	return res->verdict;
}

void hp_frame_start_deferred(struct hp_frame *f, const struct hp_case *c, enum hp_method m)
{
	const char *method = m < HP_M_NR ? hp_method_name(m) : "-";

	memset(f, 0, sizeof(*f));
	f->deferred = true;
	f->c = c;
	f->ev.owner = c->owner;
	f->ev.huge_required = c->huge_required;
	f->ev.vuln_expected = c->vuln_expected;
	f->ev.expected_why = c->expected_why;
	f->ev.level = c->level_hint;
	f->ev.special = c->special_hint;
	hp_result_init(&f->res, c->test, c->name, c->device, c->driver, method);
}

void hp_frame_start(struct hp_frame *f, const struct hp_case *c, enum hp_method m)
{
	hp_frame_start_deferred(f, c, m);
	f->deferred = false;
	hp_record_start(c->test, c->name, c->device, f->res.method);
}

void hp_frame_emit(const struct hp_frame *f)
{
	hp_record_start(f->c->test, f->c->name, f->c->device, f->res.method);
	hp_record_emit(&f->res);
}

void hp_frame_window(struct hp_frame *f)
{
	if (hp_detect_begin(&f->det, f->c->test, f->c->name))
		note_log_missing();
	f->window = true;
	if (f->buf)
		hp_buf_arm(f->buf);
	hp_contingency_pinned();
}

void hp_frame_pinned(struct hp_frame *f, const struct hp_pin_res *r, size_t len)
{
	f->ev.attempted = true;
	f->ev.pin_err = r->err;
	f->ev.bytes = r->bytes;
	f->len = len;
}

void hp_frame_pin(struct hp_frame *f, enum hp_method m, void *addr, size_t len)
{
	struct hp_pin_res res = { 0 };

	hp_record_mapped(f->c->test, f->c->name, f->ev.level, f->ev.special);
	hp_frame_window(f);
	_hp_pin(m, f->c->scratch, addr, len, &res);
	hp_frame_pinned(f, &res, len);
}

int hp_frame_span_start(struct hp_frame_span *s, const char *test, const char *name)
{
	int ret;

	memset(s, 0, sizeof(*s));
	ret = hp_detect_begin(&s->det, test, name);
	s->window = !ret;
	hp_contingency_pinned();
	return ret;
}

void hp_frame_span_close(struct hp_frame_span *s)
{
	if (s->window)
		hp_detect_end(&s->det, &s->seen);
	s->window = false;
}

void hp_frame_span_share(const struct hp_frame_span *s, struct hp_frame *f, bool any_took)
{
	const struct hp_evidence *w = &s->seen;
	struct hp_evidence *ev = &f->ev;

	if (any_took && !f->took)
		return;
	ev->splats |= w->splats;
	if (!ev->splat_line[0])
		snprintf(ev->splat_line, sizeof(ev->splat_line), "%s", w->splat_line);
	ev->taint_new |= w->taint_new;
	ev->pin_leak += w->pin_leak;
	ev->canary_bad += w->canary_bad;
	ev->extra_refs += w->extra_refs;
}

/* The detectors' part, in the window: the buffer's own check first, so its report is scanned too. */
static void frame_close(struct hp_frame *f)
{
	size_t page_size = hp_page_size();

	if (f->buf && f->window)
		hp_buf_check(f->buf, &f->ev, f->check, sizeof(f->check));
	if (!f->window)
		return;
	hp_detect_end(&f->det, &f->ev);
	f->window = false;
	/*
	 * A pin that is never released leaves one count per page of the
	 * range; less than that is another process's I/O in flight (the
	 * counters are system-wide), not this case.
	 */
	if (f->len && f->ev.pin_leak > 0 && (size_t)f->ev.pin_leak < f->len / page_size) {
		printf("# %s %s: pin counters moved by %ld during the case: other I/O, ignored\n",
		       f->c->device, f->res.method, f->ev.pin_leak);
		f->ev.pin_leak = 0;
	}
}

enum hp_verdict hp_frame_end(struct hp_frame *f, const char *where, const char *what)
{
	struct hp_result *r = &f->res;
	char why[HP_TEXT_LEN];
	size_t n;

	frame_close(f);
	if (f->step) {
		r->verdict = hp_decide_step(&f->ev, f->step, why, sizeof(why));
		r->expected = r->verdict == HP_VULNERABLE && f->ev.vuln_expected;
		snprintf(r->level, sizeof(r->level), "%s", hp_level_name(f->ev.level));
		snprintf(r->special, sizeof(r->special), "%s", hp_special_name(f->ev.special));
	} else {
		hp_judge(&f->ev, r, why, sizeof(why));
	}
	if (f->finding && r->verdict != HP_UNTESTABLE) {
		r->verdict = HP_VULNERABLE;
		r->expected = false;
		hp_appendf(why, sizeof(why), "; %s", f->finding);
	}
	if (f->unproven && r->verdict == HP_SAFE) {
		r->verdict = HP_UNTESTABLE;
		snprintf(why, sizeof(why), "%s", f->unproven);
	}
	n = note_prefix(r->evidence, sizeof(r->evidence), f->c->note);
	/* The evidence line is cut at HP_TEXT_LEN; the record says so by its last character. */
	if (snprintf(r->evidence + n, sizeof(r->evidence) - n, "%s%s%s%s%s%s%s",
		     where ? where : "", where ? ": " : "", why, what && *what ? "; " : "",
		     what ? what : "", *f->check ? "; " : "", f->check) >=
	    (int)(sizeof(r->evidence) - n))
		r->evidence[sizeof(r->evidence) - 2] = '~';
	if (f->deferred)
		return r->verdict;
	hp_record_emit(r);
	if (f->quiet)
		return r->verdict;
	printf("# %s %s: %s%s %s\n", r->device, r->method, hp_verdict_name(r->verdict),
	       r->expected ? " (expected)" : "", r->evidence);
	fflush(stdout);
	return r->verdict;
}

enum hp_verdict hp_case_run_pin(const struct hp_case *c, void *addr, size_t len,
				enum hp_method m, struct hp_result *out)
{
	char unavailable[HP_TEXT_LEN - 48], where[48];
	size_t off = (size_t)((const char *)addr - (const char *)c->base);
	struct hp_frame f;

	hp_frame_start(&f, c, m);
	f.buf = c->buf;
	/* Before the pin: a pin that fails may leave the range unmapped. */
	if (c->level_hint == HP_LEVEL_UNKNOWN) {
		f.ev.level = hp_map_level_seen(addr, &f.ev.special, &f.ev.level_why);
		if (f.ev.level == HP_LEVEL_UNKNOWN && !f.ev.level_why)
			f.ev.level_why = c->level_why;
	}
	if (hp_method_available(m, c->scratch, unavailable, sizeof(unavailable))) {
		f.ev.untestable_why = unavailable;
	} else {
		hp_frame_pin(&f, m, addr, len);
		frame_close(&f);
		if (f.ev.level == HP_LEVEL_UNKNOWN)
			f.ev.level = hp_map_level_seen(addr, &f.ev.special, &f.ev.level_why);
	}
	snprintf(where, sizeof(where), "off=0x%zx len=0x%zx", off, len);
	hp_frame_end(&f, where, NULL);
	*out = f.res;
	return out->verdict;
}

void hp_case_untestable(const struct hp_case *c, enum hp_method m, const char *why)
{
	struct hp_frame f;

	hp_frame_start(&f, c, m);
	f.ev.level = HP_LEVEL_UNKNOWN;
	f.ev.untestable_why = why;
	hp_frame_end(&f, NULL, NULL);
}

bool hp_case_errno_allowed(const struct hp_case *c, int err)
{
	/*
	 * Memory that must pin may still be memory a method does not take at
	 * all: io_uring registers no file-backed buffers but hugetlb's before
	 * 6.x (DAX's EOPNOTSUPP on 6.1). Any other refusal is a failure.
	 */
	if (c->pin_required)
		return err == EOPNOTSUPP;
	return err == EFAULT || err == EOPNOTSUPP || err == EINVAL || err == ENOMEM ||
	       err == EPERM;
}

size_t hp_case_offset(size_t i)
{
	switch (i) {
	case 0:
		return 0;
	case 1:
		return HP_CASE_PIN_LEN;
	default:
		return hp_pmd_size() / 2 + hp_page_size();
	}
}

static void note(char *buf, const struct hp_result *r)
{
	if (!buf[0])
		snprintf(buf, HP_TEXT_LEN, "%.40s %.40s: %.290s", r->device, r->method,
			 r->evidence);
}

void hp_case_tally_add(struct hp_case_tally *t, const struct hp_case *c, enum hp_verdict v,
		       const struct hp_result *r)
{
	switch (v) {
	case HP_SAFE:
		if (r->err && !hp_case_errno_allowed(c, r->err)) {
			t->unexpected_err++;
			note(t->bad, r);
		} else {
			t->safe++;
		}
		break;
	case HP_VULNERABLE:
		if (r->expected) {
			t->expected++;
			note(t->xfail, r);
		} else {
			t->vulnerable++;
			note(t->bad, r);
		}
		break;
	case HP_UNTESTABLE:
		t->untestable++;
		note(t->skip, r);
		break;
	}
}

void hp_case_sweep_each(const struct hp_case *c, size_t map_len, enum hp_method m,
			struct hp_case_tally *t, hp_case_pin_fn pin, void *arg)
{
	struct hp_result r;
	enum hp_verdict v;

	memset(t, 0, sizeof(*t));
	for (size_t block = 0; block < map_len; block += hp_pmd_size()) {
		for (size_t i = 0; i < HP_CASE_NOFFSETS; i++) {
			size_t off = block + hp_case_offset(i);

			if (off + HP_CASE_PIN_LEN > map_len)
				continue;
			v = pin(arg, off, HP_CASE_PIN_LEN, m, &r);
			hp_case_tally_add(t, c, v, &r);
		}
	}
}

static enum hp_verdict sweep_pin(void *arg, size_t off, size_t len, enum hp_method m,
				 struct hp_result *r)
{
	const struct hp_case *c = arg;

	return hp_case_run_pin(c, (char *)c->base + off, len, m, r);
}

void hp_case_sweep(const struct hp_case *c, size_t map_len, enum hp_method m,
		   struct hp_case_tally *t)
{
	struct hp_case one = *c;

	/* The sweep's pins leave the mapping as it was: one level read serves them all. */
	if (one.level_hint == HP_LEVEL_UNKNOWN)
		one.level_hint = hp_map_level_seen(c->base, &one.special_hint, &one.level_why);
	hp_case_sweep_each(&one, map_len, m, t, sweep_pin, &one);
}

/* ---- fixture state ---- */

int hp_target_init(struct hp_target *t, const char *test, const char *fixture,
		   const char *variant, const char *test_name, const char *device)
{
	const char *skip;

	memset(t, 0, sizeof(*t));
	t->src.drm_fd = -1;
	t->scratch.fd = -1;
	t->c.test = test;
	t->c.scratch = &t->scratch;
	hp_case_name(&t->c, fixture, variant, test_name);
	snprintf(t->c.device, sizeof(t->c.device), "%s", device);
	snprintf(t->c.driver, sizeof(t->c.driver), "-");
	skip = hp_case_skip_why(test, t->c.name);
	if (skip) {
		snprintf(t->why, sizeof(t->why), "%s", skip);
		return -ENOENT;
	}
	/* A device the runner bounded: its cases say why, as UNTESTABLE records. */
	skip = hp_case_device_skipped(test, device);
	if (!skip)
		return 0;
	snprintf(t->why, sizeof(t->why), "%s", skip);
	return -ENXIO;
}

/* Why a device we want is missing: unbound hardware says more than "absent". */
static int explain_missing(struct hp_target *t, const char *device)
{
	struct hp_pci_unbound ub[HP_MAX_UNBOUND];
	int n = hp_pci_unbound_list(ub, HP_MAX_UNBOUND);

	for (int i = 0; i < n; i++) {
		if (strcmp(ub[i].device, device))
			continue;
		const char *shim = getenv("HUGEPIN_VMWSHIM_WHY");

		snprintf(t->why, sizeof(t->why), "%s: PCI %s [%s] has no driver: %s%s%s",
			 device, ub[i].addr, ub[i].ids, ub[i].reason,
			 shim && !strcmp(device, "vmwgfx") ? "; shim: " : "",
			 shim && !strcmp(device, "vmwgfx") ? shim : "");
		return -ENXIO;
	}
	snprintf(t->why, sizeof(t->why), "no %s DRM device (no such hardware or driver not loaded)",
		 device);
	return -ENODEV;
}

/*
 * vmwgfx under QEMU binds only through the shim (init.sh loads it after the
 * driver refused the device); every record of such a device says so.
 */
#define HP_VMWSHIM_SYSFS "/sys/module/hugepin_vmwshim"
#define HP_VMWSHIM_ANSWERED HP_VMWSHIM_SYSFS "/parameters/answered"

static void note_vmwshim(struct hp_target *t)
{
	char answered[32] = "?";
	FILE *f;

	if (strcmp(t->dev.driver, "vmwgfx") || access(HP_VMWSHIM_SYSFS, F_OK))
		return;
	f = fopen(HP_VMWSHIM_ANSWERED, "r");
	if (f) {
		if (!fgets(answered, sizeof(answered), f))
			snprintf(answered, sizeof(answered), "?");
		answered[strcspn(answered, "\n")] = '\0';
		fclose(f);
	}
	snprintf(t->c.note, sizeof(t->c.note), "bound through hugepin_vmwshim (%s checks answered)",
		 answered);
}

/* O_DIRECT storage is optional: methods that need it report UNTESTABLE without it. */
void hp_target_scratch(struct hp_target *t)
{
	if (hp_scratch_open(&t->scratch, (off_t)hp_pmd_size()))
		t->scratch.fd = -1;
}

/* A made and mapped buffer is what the sweep pins, whole. */
static void target_ready(struct hp_target *t)
{
	t->c.base = t->buf.map.addr;
	t->sweep_len = t->buf.map.len;
	hp_target_scratch(t);
}

int hp_target_drm(struct hp_target *t, const char *test, const char *fixture,
		  const char *variant, const char *test_name, const char *device,
		  enum hp_placement placement, size_t size)
{
	int ret;

	ret = hp_target_init(t, test, fixture, variant, test_name, device);
	if (ret)
		return ret;
	if (hp_drm_find(device, &t->dev))
		return explain_missing(t, device);
	snprintf(t->c.driver, sizeof(t->c.driver), "%s", t->dev.driver);
	t->c.owner = t->dev.ttm ? HP_OWNER_DRIVER : HP_OWNER_PAGES;
	note_vmwshim(t);

	t->src.drm_fd = open(t->dev.path, O_RDWR | O_CLOEXEC);
	if (t->src.drm_fd < 0) {
		ret = -errno;
		snprintf(t->why, sizeof(t->why), "open %s: %s", t->dev.path, strerror(-ret));
		return ret;
	}
	t->src.kind = HP_BUF_DRM;
	t->src.driver = t->dev.driver;
	t->src.placement = placement;
	ret = _hp_buf_create(&t->src, size, true, &t->buf);
	if (ret == -EOPNOTSUPP) {
		snprintf(t->why, sizeof(t->why), "%s: no %s buffer interface in this build or driver",
			 t->dev.driver, hp_placement_name(placement));
		return ret;
	}
	if (ret) {
		snprintf(t->why, sizeof(t->why), "%s: %s buffer of %zu bytes refused or not mappable: %s",
			 t->dev.driver, hp_placement_name(placement), size, strerror(-ret));
		return ret;
	}
	target_ready(t);
	return 0;
}

int hp_target_kind(struct hp_target *t, const char *test, const char *fixture,
		   const char *variant, const char *test_name, enum hp_buf_kind kind, size_t size)
{
	const char *name = hp_buf_kind_name(kind);
	const struct hp_target_info *info = hp_target_info(name);
	enum hp_mem_kind mem = info ? info->kind : HP_MEM_UNKNOWN;
	int ret;

	ret = hp_target_init(t, test, fixture, variant, test_name, name);
	if (ret)
		return ret;
	t->src.kind = kind;
	ret = hp_buf_available(&t->src, t->why, sizeof(t->why));
	if (ret)
		return -ENODEV;
	ret = _hp_buf_create(&t->src, size, true, &t->buf);
	if (ret) {
		snprintf(t->why, sizeof(t->why), "%s mapping of %zu bytes: %s", name, size,
			 strerror(-ret));
		return -ENXIO;
	}
	t->c.owner = mem == HP_MEM_DRIVER ? HP_OWNER_DRIVER : HP_OWNER_PAGES;
	t->c.huge_required = true;
	t->c.pin_required = mem == HP_MEM_CONTROL;
	t->c.buf = &t->buf;
	target_ready(t);
	return 0;
}

int hp_target_anon(struct hp_target *t, const char *test, const char *fixture,
		   const char *variant, const char *test_name, size_t size)
{
	char mode[16];
	int ret;

	ret = hp_target_init(t, test, fixture, variant, test_name, "anon");
	if (ret)
		return ret;
	if (hp_thp_mode(mode, sizeof(mode), NULL)) {
		snprintf(t->why, sizeof(t->why), "no THP (CONFIG_TRANSPARENT_HUGEPAGE unset)");
		return -EOPNOTSUPP;
	}
	if (!strcmp(mode, "never")) {
		snprintf(t->why, sizeof(t->why),
			 "THP is 'never' (echo madvise > /sys/kernel/mm/transparent_hugepage/enabled)");
		return -EOPNOTSUPP;
	}
	t->src.kind = HP_BUF_ANON;
	ret = _hp_buf_create(&t->src, size, true, &t->buf);
	if (ret) {
		snprintf(t->why, sizeof(t->why), "anonymous THP mapping of %zu bytes: %s", size,
			 strerror(-ret));
		return ret;
	}
	t->c.owner = HP_OWNER_PAGES;
	t->c.huge_required = true;
	t->c.pin_required = true;
	target_ready(t);
	return 0;
}

bool hp_target_release(struct hp_target *t, enum hp_method m, struct hp_result *out)
{
	struct hp_frame f;

	if (!t->buf.live || t->src.kind != HP_BUF_DRM) {
		hp_target_close(t);
		return false;
	}
	hp_frame_start(&f, &t->c, m);
	if (f.ev.level == HP_LEVEL_UNKNOWN)
		f.ev.level = hp_map_level(t->c.base);
	f.step = "buffer destroyed after the pins";
	hp_frame_window(&f);
	hp_target_close(t);
	hp_frame_end(&f, NULL, NULL);
	*out = f.res;
	return true;
}

void hp_target_close(struct hp_target *t)
{
	hp_buf_destroy(&t->buf);
	if (t->dev.path[0] && t->src.drm_fd >= 0)
		close(t->src.drm_fd);
	if (t->scratch.path[0])
		hp_scratch_close(&t->scratch);
	hp_vfio_close(&t->vfio);
	t->src.drm_fd = -1;
	memset(&t->dev, 0, sizeof(t->dev));
	memset(&t->scratch, 0, sizeof(t->scratch));
}
