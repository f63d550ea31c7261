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

enum hp_verdict hp_case_run_pin(const struct hp_case *c, void *addr, size_t len,
				enum hp_method m, struct hp_result *out)
{
	struct hp_evidence ev = {
		.owner = c->owner,
		.huge_required = c->huge_required,
		.vuln_expected = c->vuln_expected,
		.expected_why = c->expected_why,
	};
	struct hp_pin_res res = { 0 };
	/* Room left in the evidence line after "off=0x... len=0x...: ". */
	char why[HP_TEXT_LEN - 48], unavailable[HP_TEXT_LEN - 48];
	size_t off = (size_t)((const char *)addr - (const char *)c->base);
	size_t page_size = hp_page_size();
	struct hp_detect d;
	enum hp_verdict v;
	size_t n;

	hp_record_start(c->test, c->name, c->device, hp_method_name(m));
	/* Before the pin: a pin that fails may leave the range unmapped. */
	if (c->level_hint != HP_LEVEL_UNKNOWN) {
		ev.level = c->level_hint;
		ev.special = c->special_hint;
	} else {
		ev.level = hp_map_level_seen(addr, &ev.special, &ev.level_why);
		if (ev.level == HP_LEVEL_UNKNOWN && !ev.level_why)
			ev.level_why = c->level_why;
	}
	if (hp_method_available(m, c->scratch, unavailable, sizeof(unavailable))) {
		ev.untestable_why = unavailable;
	} else {
		hp_record_mapped(c->test, c->name, ev.level, ev.special);
		if (hp_detect_begin(&d, c->test, c->name))
			note_log_missing();
		_hp_pin(m, c->scratch, addr, len, &res);
		ev.attempted = true;
		ev.pin_err = res.err;
		ev.bytes = res.bytes;
		hp_detect_end(&d, &ev);
		/*
		 * A pin that is never released leaves one count per page of
		 * the range; less than that is another process's I/O in
		 * flight (the counters are system-wide), not this case.
		 */
		if (ev.pin_leak > 0 && (size_t)ev.pin_leak < len / page_size) {
			printf("# %s %s: pin counters moved by %ld during the case: other I/O, ignored\n",
			       c->device, hp_method_name(m), ev.pin_leak);
			ev.pin_leak = 0;
		}
		if (ev.level == HP_LEVEL_UNKNOWN)
			ev.level = hp_map_level_seen(addr, &ev.special, &ev.level_why);
	}
	hp_result_init(out, c->test, c->name, c->device, c->driver, hp_method_name(m));
	v = hp_judge(&ev, out, why, sizeof(why));
	n = note_prefix(out->evidence, sizeof(out->evidence), c->note);
	snprintf(out->evidence + n, sizeof(out->evidence) - n, "off=0x%zx len=0x%zx: %s", off, len,
		 why);
	hp_record_emit(out);
	printf("# %s %s: %s %s\n", c->device, out->method, hp_verdict_name(v), out->evidence);
	fflush(stdout);
	return v;
}

void hp_case_untestable(const struct hp_case *c, enum hp_method m, const char *why)
{
	struct hp_result r;

	hp_record_start(c->test, c->name, c->device, hp_method_name(m));
	hp_result_init(&r, c->test, c->name, c->device, c->driver,
		       m < HP_M_NR ? hp_method_name(m) : "-");
	r.verdict = HP_UNTESTABLE;
	snprintf(r.level, sizeof(r.level), "%s", hp_level_name(HP_LEVEL_UNKNOWN));
	snprintf(r.evidence, sizeof(r.evidence), "%s", why);
	hp_record_emit(&r);
	printf("# %s %s: UNTESTABLE %s\n", r.device, r.method, why);
}

bool hp_case_errno_allowed(const struct hp_case *c, int err)
{
	if (c->pin_required)
		return false;
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

void hp_case_sweep(const struct hp_case *c, size_t map_len, enum hp_method m,
		   struct hp_case_tally *t)
{
	struct hp_case one = *c;
	struct hp_result r;
	enum hp_verdict v;

	memset(t, 0, sizeof(*t));
	/* The sweep's pins leave the mapping as it was: one level read serves them all. */
	if (one.level_hint == HP_LEVEL_UNKNOWN)
		one.level_hint = hp_map_level_seen(c->base, &one.special_hint, &one.level_why);
	for (size_t block = 0; block < map_len; block += hp_pmd_size()) {
		for (size_t i = 0; i < HP_CASE_NOFFSETS; i++) {
			size_t off = block + hp_case_offset(i);

			if (off + HP_CASE_PIN_LEN > map_len)
				continue;
			v = hp_case_run_pin(&one, (char *)c->base + off, HP_CASE_PIN_LEN, m, &r);
			hp_case_tally_add(t, &one, v, &r);
		}
	}
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
	if (!skip)
		return 0;
	snprintf(t->why, sizeof(t->why), "%s", skip);
	return -ENOENT;
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
	struct hp_evidence ev = {
		.owner = t->c.owner,
		.vuln_expected = t->c.vuln_expected,
		.expected_why = t->c.expected_why,
		.level = t->c.level_hint,
	};
	char why[HP_TEXT_LEN - HP_NAME_LEN];
	struct hp_detect d;
	enum hp_verdict v;
	size_t n;

	if (!t->buf.live || t->src.kind != HP_BUF_DRM) {
		hp_target_close(t);
		return false;
	}
	if (ev.level == HP_LEVEL_UNKNOWN)
		ev.level = hp_map_level(t->c.base);
	hp_record_start(t->c.test, t->c.name, t->c.device, hp_method_name(m));
	if (hp_detect_begin(&d, t->c.test, t->c.name))
		note_log_missing();
	hp_target_close(t);
	hp_detect_end(&d, &ev);
	v = hp_decide_step(&ev, "buffer destroyed after the pins", why, sizeof(why));

	memset(out, 0, sizeof(*out));
	snprintf(out->test, sizeof(out->test), "%s", t->c.test);
	snprintf(out->name, sizeof(out->name), "%s", t->c.name);
	snprintf(out->device, sizeof(out->device), "%s", t->c.device);
	snprintf(out->driver, sizeof(out->driver), "%s", t->c.driver);
	snprintf(out->method, sizeof(out->method), "%s", hp_method_name(m));
	snprintf(out->level, sizeof(out->level), "%s", hp_level_name(ev.level));
	out->verdict = v;
	out->expected = v == HP_VULNERABLE && t->c.vuln_expected;
	n = note_prefix(out->evidence, sizeof(out->evidence), t->c.note);
	snprintf(out->evidence + n, sizeof(out->evidence) - n, "%s", why);
	hp_record_emit(out);
	printf("# %s %s: %s %s\n", t->c.device, out->method, hp_verdict_name(v), out->evidence);
	fflush(stdout);
	return true;
}

void hp_target_close(struct hp_target *t)
{
	hp_buf_destroy(&t->buf);
	if (t->bar.raw)
		hp_unmap(&t->bar);
	if (t->dev.path[0] && t->src.drm_fd >= 0)
		close(t->src.drm_fd);
	if (t->scratch.path[0])
		hp_scratch_close(&t->scratch);
	hp_vfio_close(&t->vfio);
	t->src.drm_fd = -1;
	memset(&t->dev, 0, sizeof(t->dev));
	memset(&t->scratch, 0, sizeof(t->scratch));
}
