// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace side of the reference module (module/hugepin_ref_core.c):
 * loading it with finit_module(2), its ioctls, mapping its buffers PMD
 * aligned so the module can insert huge pfn PMDs, and one judged pin whose
 * verdict also weighs the module's eviction report, the detector that sees
 * fast GUP's refcount damage on kernels without CONFIG_DEBUG_VM.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "hp_buf.h"
#include "hp_refmod.h"

#define REFMOD_KO "hugepin_ref.ko"
#define REFMOD_SYSFS_DEV "/sys/class/misc/" HUGEPIN_REF_NAME "/dev"

/* $HUGEPIN_REF_KO, else <dir of this program>/../module/hugepin_ref.ko. */
static int find_ko(char *path, size_t len)
{
	const char *env = getenv("HUGEPIN_REF_KO");

	if (env && *env) {
		snprintf(path, len, "%s", env);
		return 0;
	}
	if (hp_self_relative("../module/" REFMOD_KO, path, len))
		return -ENOENT;
	return access(path, R_OK) ? -ENOENT : 0;
}

static int load_module(const char *params, char *why, size_t len, bool *loaded)
{
	char ko[PATH_MAX];
	int fd, err = 0;

	if (find_ko(ko, sizeof(ko))) {
		snprintf(why, len, "reference module not loaded and no %s found (set HUGEPIN_REF_KO, or make module)",
			 REFMOD_KO);
		return -ENOENT;
	}
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		snprintf(why, len, "cannot open %s: %s", ko, strerror(err));
		return -ENOENT;
	}
	if (syscall(SYS_finit_module, fd, params, 0))
		err = errno;
	close(fd);
	switch (err) {
	case 0:
		*loaded = true;
		return 0;
	case EEXIST:
		return 0;
	case EPERM:
		snprintf(why, len, "not allowed to load %s (needs root / CAP_SYS_MODULE)", ko);
		return -EPERM;
	case ENOEXEC:
	case EINVAL:
	case ENOENT:
		snprintf(why, len, "%s does not fit this kernel (%s): rebuild it with make module KDIR=...",
			 ko, strerror(err));
		return -ENOEXEC;
	case EOPNOTSUPP:
		snprintf(why, len, "%s refused this kernel (no THP or PTE special bit; see dmesg)", ko);
		return -EOPNOTSUPP;
	default:
		snprintf(why, len, "loading %s failed: %s", ko, strerror(err));
		return -err;
	}
}

/* Without devtmpfs (or before udev got to it) the node may be missing. */
static int make_node(void)
{
	unsigned int maj, min;
	FILE *f = fopen(REFMOD_SYSFS_DEV, "re");
	int ok;

	if (!f)
		return -errno;
	ok = fscanf(f, "%u:%u", &maj, &min) == 2;
	fclose(f);
	if (!ok)
		return -EIO;
	if (mknod(HUGEPIN_REF_DEV, S_IFCHR | 0600, makedev(maj, min)) && errno != EEXIST)
		return -errno;
	return 0;
}

int hp_refmod_fixture(struct hp_refmod *r, struct hp_scratch *s, off_t scratch_bytes,
		      char *why, size_t len)
{
	int err;

	s->fd = -1;
	err = hp_refmod_open(r, why, len);
	if (err)
		return err;
	if (hp_refmod_pte_only(-1) == 1)
		hp_refmod_pte_only(0);
	if (hp_scratch_open(s, scratch_bytes))
		s->fd = -1;
	return 0;
}

int hp_refmod_open(struct hp_refmod *r, char *why, size_t len)
{
	int err;

	memset(r, 0, sizeof(*r));
	r->fd = open(HUGEPIN_REF_DEV, O_RDWR | O_CLOEXEC);
	if (r->fd < 0 && errno == ENOENT) {
		err = load_module("", why, len, &r->loaded);
		if (err)
			return err;
		r->fd = open(HUGEPIN_REF_DEV, O_RDWR | O_CLOEXEC);
		if (r->fd < 0 && errno == ENOENT && !make_node())
			r->fd = open(HUGEPIN_REF_DEV, O_RDWR | O_CLOEXEC);
	}
	if (r->fd < 0) {
		err = errno;
		snprintf(why, len, "cannot open %s: %s", HUGEPIN_REF_DEV, strerror(err));
		return -err;
	}
	err = _hp_refmod_caps(r, &r->caps);
	if (err) {
		snprintf(why, len, "%s answers no caps query (%s): module and client disagree",
			 HUGEPIN_REF_DEV, strerror(-err));
		hp_refmod_close(r);
		return err;
	}
	return 0;
}

void hp_refmod_close(struct hp_refmod *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

static int refmod_ioctl(const struct hp_refmod *r, unsigned long cmd, void *arg)
{
	return ioctl(r->fd, cmd, arg) ? -errno : 0;
}

int _hp_refmod_caps(const struct hp_refmod *r, struct hugepin_ref_caps *out)
{
	memset(out, 0, sizeof(*out));
	out->size = sizeof(*out);
	return refmod_ioctl(r, HUGEPIN_REF_IOC_CAPS, out);
}

int _hp_refmod_create(const struct hp_refmod *r, uint64_t length, uint32_t flags,
		      struct hugepin_ref_create *out)
{
	memset(out, 0, sizeof(*out));
	out->size = sizeof(*out);
	out->flags = flags;
	out->length = length;
	return refmod_ioctl(r, HUGEPIN_REF_IOC_CREATE, out);
}

int _hp_refmod_destroy(const struct hp_refmod *r, uint32_t id)
{
	struct hugepin_ref_destroy d = { .size = sizeof(d), .id = id };

	return refmod_ioctl(r, HUGEPIN_REF_IOC_DESTROY, &d);
}

int _hp_refmod_info(const struct hp_refmod *r, uint32_t id, struct hugepin_ref_info *out)
{
	memset(out, 0, sizeof(*out));
	out->size = sizeof(*out);
	out->id = id;
	return refmod_ioctl(r, HUGEPIN_REF_IOC_INFO, out);
}

int _hp_refmod_pagerefs(const struct hp_refmod *r, const void *addr, size_t len,
			long long *refs)
{
	size_t step = HUGEPIN_REF_PAGEREFS_MAX * hp_page_size();
	struct hugepin_ref_pagerefs q;

	*refs = 0;
	for (size_t off = 0; off < len; off += step) {
		int err;

		memset(&q, 0, sizeof(q));
		q.size = sizeof(q);
		q.addr = (uintptr_t)addr + off;
		q.length = len - off < step ? len - off : step;
		err = refmod_ioctl(r, HUGEPIN_REF_IOC_PAGEREFS, &q);
		if (err)
			return err;
		*refs += (long long)q.refs;
	}
	return 0;
}

int _hp_refmod_evict(const struct hp_refmod *r, uint32_t id, uint32_t flags,
		     struct hugepin_ref_evict *out)
{
	memset(out, 0, sizeof(*out));
	out->size = sizeof(*out);
	out->id = id;
	out->flags = flags;
	return refmod_ioctl(r, HUGEPIN_REF_IOC_EVICT, out);
}

int _hp_refmod_test(const struct hp_refmod *r, uint32_t op, struct hugepin_ref_test *t)
{
	t->size = sizeof(*t);
	t->op = op;
	t->pad = 0;
	return refmod_ioctl(r, HUGEPIN_REF_IOC_TEST, t);
}

int hp_refmod_hooks(void)
{
	char c = 0;
	int fd = open(HUGEPIN_REF_PARAM_TEST_HOOKS, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (read(fd, &c, 1) != 1)
		c = 0;
	close(fd);
	return c == 'Y' || c == '1';
}

int hp_refmod_reload(bool hooks, char *why, size_t len)
{
	bool loaded = false;

	if (!access("/sys/module/" HUGEPIN_REF_NAME, F_OK) &&
	    syscall(SYS_delete_module, HUGEPIN_REF_NAME, O_NONBLOCK)) {
		int err = errno;

		snprintf(why, len, "cannot unload %s to reload it%s: %s", HUGEPIN_REF_NAME,
			 hooks ? " with test_hooks=1" : "", strerror(err));
		return -err;
	}
	return load_module(hooks ? "test_hooks=1" : "", why, len, &loaded);
}

int hp_refmod_open_hooks(struct hp_refmod *r, char *why, size_t len)
{
	int err;

	if (hp_refmod_hooks() != 1) {
		err = hp_refmod_reload(true, why, len);
		if (err)
			return err;
	}
	err = hp_refmod_open(r, why, len);
	if (!err && hp_refmod_hooks() != 1) {
		snprintf(why, len, "%s has no test_hooks parameter: module and client disagree",
			 HUGEPIN_REF_NAME);
		hp_refmod_close(r);
		return -ENOTTY;
	}
	return err;
}

/*
 * MADV_HUGEPAGE as a TTM user needed it on 5.x: where the core calls
 * ->huge_fault (5.x, 6.12+) it first applies the THP sysfs policy, and 6.12
 * exempts only VM_PFNMAP VMAs from it, not the module's VM_MIXEDMAP one. With
 * THP in "madvise" mode the hint is what lets the PMD form; the 6.0 .. 6.11
 * ->fault path does not consult the policy and is unaffected by it.
 */
int _hp_refmod_map(const struct hp_refmod *r, const struct hugepin_ref_create *bo,
		   struct hp_map *m)
{
	return _hp_map(m, r->fd, (off_t)bo->mmap_offset, bo->length, bo->block_size,
		       PROT_READ | PROT_WRITE, MAP_SHARED, true);
}

int _hp_refmod_fault(const struct hp_refmod *r, uint32_t id, struct hp_map *m,
		     struct hugepin_ref_info *info)
{
	struct hp_map first = *m;

	/* A PUD-sized block is mapped whole by its first touch (ref_buf_create). */
	if (m->align > hp_pmd_size())
		first.len = hp_page_size();
	hp_map_touch(&first, true);
	return _hp_refmod_info(r, id, info);
}

enum hp_level hp_refmod_level(uint32_t level)
{
	switch (level) {
	case HUGEPIN_REF_LEVEL_PTE:
		return HP_LEVEL_PTE;
	case HUGEPIN_REF_LEVEL_PMD:
		return HP_LEVEL_PMD;
	case HUGEPIN_REF_LEVEL_PUD:
		return HP_LEVEL_PUD;
	default:
		return HP_LEVEL_UNKNOWN;
	}
}

const char *hp_refmod_path_name(uint32_t path)
{
	switch (path) {
	case HUGEPIN_REF_PATH_HUGE_FAULT:
		return "huge_fault";
	case HUGEPIN_REF_PATH_FAULT_PMD:
		return "fault-pmd";
	case HUGEPIN_REF_PATH_PTE:
		return "pte";
	default:
		return "none";
	}
}

int hp_refmod_pte_only(int set)
{
	char c = 0;
	int fd, err = 0;

	fd = open(HUGEPIN_REF_PARAM_PTE_ONLY, (set < 0 ? O_RDONLY : O_WRONLY) | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (set >= 0) {
		c = set ? '1' : '0';
		if (write(fd, &c, 1) != 1)
			err = -errno;
	} else if (read(fd, &c, 1) != 1) {
		err = -EIO;
	}
	close(fd);
	if (err)
		return err;
	return c == 'Y' || c == '1';
}

bool hp_refmod_vuln_expected(const struct hp_refmod *r, const char **why)
{
	if (r->caps.caps & HUGEPIN_REF_CAP_PMD_SPECIAL)
		return false;
	*why = HP_WHY_NO_PMD_SPECIAL;
	return true;
}

void hp_refmod_evict_describe(const struct hugepin_ref_evict *e, char *buf, size_t len)
{
	size_t n;

	if (!e->pages_checked && e->blocks_freed) {
		snprintf(buf, len, "device memory, no struct pages to check");
		return;
	}
	n = (size_t)snprintf(buf, len, "%llu of %llu pages off their refcount",
			     (unsigned long long)e->pages_bad,
			     (unsigned long long)e->pages_checked);
	for (uint32_t i = 0; i < e->nr_samples && i < HUGEPIN_REF_EVICT_SAMPLES && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s page %llu ref %d (want %d)",
				      i ? "," : ":", (unsigned long long)e->samples[i].index,
				      e->samples[i].refcount, e->samples[i].expected);
	if (n < len && e->blocks_kept)
		snprintf(buf + n, len - n, "; %u block%s kept", e->blocks_kept,
			 e->blocks_kept == 1 ? "" : "s");
}

/* Why the set-up buffer cannot be pinned as @c asks, in @why; NULL when it can. */
static const char *not_testable(const struct hp_refmod_case *c, enum hp_method m,
				const struct hugepin_ref_create *bo, const struct hp_evidence *ev,
				const struct hugepin_ref_info *info, char *why, size_t len)
{
	if (c->offset >= bo->length || c->len > bo->length - c->offset) {
		snprintf(why, len, "pin range +%zu/%zu lies outside the buffer", c->offset, c->len);
		return why;
	}
	if (c->huge_required && ev->level != HP_LEVEL_PMD && ev->level != HP_LEVEL_PUD) {
		snprintf(why, len, "no huge mapping formed (level %s, path %s)",
			 hp_level_name(ev->level), hp_refmod_path_name(info->last_path));
		return why;
	}
	if (c->huge_required && c->pud_required && ev->level != HP_LEVEL_PUD) {
		snprintf(why, len, "no PUD formed over the PUD-sized block (level %s, path %s)",
			 hp_level_name(ev->level), hp_refmod_path_name(info->last_path));
		return why;
	}
	if (hp_method_available(m, c->scratch, why, len))
		return why;
	return NULL;
}

void hp_refmod_case_init(struct hp_case *hc, const struct hp_refmod *r, const char *test,
			 const char *name, uint32_t create_flags, bool never_expected)
{
	memset(hc, 0, sizeof(*hc));
	hc->test = test;
	snprintf(hc->name, sizeof(hc->name), "%s", name);
	snprintf(hc->device, sizeof(hc->device), "%s",
		 create_flags & HUGEPIN_REF_CREATE_DEVICE ? HP_REF_VRAM : HUGEPIN_REF_NAME);
	snprintf(hc->driver, sizeof(hc->driver), "%s", HUGEPIN_REF_NAME);
	hc->owner = HP_OWNER_DRIVER;
	hc->vuln_expected = !never_expected && hp_refmod_vuln_expected(r, &hc->expected_why);
}

enum hp_verdict hp_refmod_run_pin(const struct hp_refmod *r, const struct hp_refmod_case *c,
				  enum hp_method m, struct hp_result *out,
				  struct hp_refmod_outcome *oc)
{
	struct hp_buf_src src = {
		.kind = HP_BUF_REF, .drm_fd = -1, .ref = r, .ref_flags = c->create_flags,
	};
	char why[HP_TEXT_LEN] = "", what[HP_NAME_LEN];
	struct hp_refmod_outcome local;
	struct hp_buf buf = { 0 };
	struct hp_case hc;
	struct hp_frame f;
	int err;

	if (!oc)
		oc = &local;
	memset(oc, 0, sizeof(*oc));
	hp_refmod_case_init(&hc, r, c->test, c->name, c->create_flags, c->never_expected);
	hc.huge_required = c->huge_required;
	hc.scratch = c->scratch;
	hp_frame_start(&f, &hc, m);
	err = c->not_run_why ? -ECANCELED : _hp_buf_create(&src, c->size, true, &buf);
	if (!err)
		err = _hp_refmod_info(r, buf.ref.id, &oc->info);
	f.ev.level = hp_refmod_level(oc->info.last_level);
	if (err && !c->not_run_why)
		snprintf(why, sizeof(why), "buffer of %zu bytes: create, map or info failed: %s",
			 c->size, strerror(-err));
	if (err) {
		f.ev.untestable_why = c->not_run_why ? c->not_run_why : why;
	} else {
		const char *lwhy;

		/* The module says which level it inserted; the page tables say whether it is special. */
		if (c->offset < buf.ref.length)
			hp_map_level_seen((char *)buf.map.addr + c->offset, &f.ev.special, &lwhy);
		f.ev.untestable_why = not_testable(c, m, &buf.ref, &f.ev, &oc->info, why,
						   sizeof(why));
	}
	if (!f.ev.untestable_why) {
		f.buf = &buf;
		hp_frame_pin(&f, m, (char *)buf.map.addr + c->offset, c->len);
	}
	snprintf(what, sizeof(what), "+%zu len %zu, path %s", c->offset, c->len,
		 hp_refmod_path_name(oc->info.last_path));
	hp_frame_end(&f, NULL, what);
	oc->evict = buf.evict;
	oc->evicted = buf.evicted;
	if (buf.live)
		hp_buf_destroy(&buf);
	if (out)
		*out = f.res;
	return f.res.verdict;
}

struct refmod_sweep {
	const struct hp_refmod *r;
	struct hp_refmod_case one;
};

static enum hp_verdict refmod_sweep_pin(void *arg, size_t off, size_t len, enum hp_method m,
					struct hp_result *res)
{
	struct refmod_sweep *s = arg;

	s->one.offset = off;
	s->one.len = len;
	return hp_refmod_run_pin(s->r, &s->one, m, res, NULL);
}

void hp_refmod_sweep(const struct hp_refmod *r, const struct hp_refmod_case *c,
		     enum hp_method m, struct hp_case_tally *t)
{
	const struct hp_case judge = { .owner = HP_OWNER_DRIVER };
	struct refmod_sweep s = { .r = r, .one = *c };

	hp_case_sweep_each(&judge, c->sweep_len ? c->sweep_len : c->size, m, t, refmod_sweep_pin, &s);
}

/* ---- the module's buffers as buffers of a memory target (hp_buf.h) ---- */

/*
 * Mapped as _hp_refmod_map() does: whole blocks, aligned to them,
 * MADV_HUGEPAGE. A block larger than a PMD (device memory's PUD-sized ones)
 * is mapped whole by its first touch, so only that page is touched: every
 * other write would fill host memory behind the BAR for nothing.
 */
static int ref_buf_create(const struct hp_buf_src *src, size_t size, struct hp_buf *b)
{
	int ret = _hp_refmod_create(src->ref, size, src->ref_flags, &b->ref);

	if (ret) {
		b->ref.id = 0;
		return ret;
	}
	b->fd = src->ref->fd;
	b->off = (off_t)b->ref.mmap_offset;
	b->map_len = b->ref.length;
	b->align = b->ref.block_size;
	if (b->ref.block_size > hp_pmd_size())
		b->touch_len = hp_page_size();
	b->flags = MAP_SHARED;
	b->always_huge = true;
	return 0;
}

static int ref_buf_evict(struct hp_buf *b, unsigned int flags)
{
	int err = _hp_refmod_evict(b->src->ref, b->ref.id, flags, &b->evict);

	b->evicted = !err;
	return err;
}

/* After a pin: evict with the module's per-page refcount check, as TTM would. */
static void ref_buf_check(struct hp_buf *b, struct hp_evidence *ev, char *report, size_t len)
{
	int err = ref_buf_evict(b, 0);
	int n;

	if (err) {
		snprintf(report, len, "evict failed: %s", strerror(-err));
		return;
	}
	ev->extra_refs = (long)b->evict.pages_bad;
	n = snprintf(report, len, "evict: ");
	if (n > 0 && (size_t)n < len)
		hp_refmod_evict_describe(&b->evict, report + n, len - (size_t)n);
}

static void ref_buf_release(const struct hp_buf_src *src, struct hp_buf *b)
{
	if (b->ref.id)
		_hp_refmod_destroy(src->ref, b->ref.id);
	b->ref.id = 0;
}

const struct hp_buf_ops hp_buf_ref_ops = {
	.create = ref_buf_create, .release = ref_buf_release, .evict = ref_buf_evict,
	.check = ref_buf_check,
};
