// SPDX-License-Identifier: GPL-2.0
/*
 * What VMA operations do to a huge pfn mapping, and whether fast GUP can pin
 * what is left: fork, mprotect and munmap of half of a PMD, and mremap of a
 * whole one, each on a buffer of the reference module (a VM_MIXEDMAP|VM_IO
 * mapping of driver-owned pages by a huge pfn PMD), then a huge zero page
 * control on anonymous memory.
 *
 * fork: copy_huge_pmd() leaves a non-anonymous VMA's PMD to be refaulted in
 * the child, except that since 6.12 ("mm/fork: accept huge pfnmap entries",
 * made to look at pmd_present() first by 47fa30118f02) it copies a special
 * one. Either way the child sees the parent's bytes, and where the PMD has
 * no special bit (before 6.12) its pins get through: VULNERABLE, expected.
 * mprotect and munmap of half a PMD split the VMA, and the split zaps a pfn
 * PMD of such a VMA (vma_is_special_huge()): the refault maps PTEs, which
 * every kernel must refuse to pin. mremap of a whole PMD to another 2 MiB
 * aligned address moves the entry itself (move_huge_pmd()).
 * The huge zero page: a read fault of anonymous THP memory maps it by a PMD
 * where use_zero_page allows; since 6.18 that PMD is special too, so fast
 * GUP backs off and the slow path must still pin it, read-only, as zeros.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "hp_case.h"
#include "hp_refmod.h"

#define HP_TEST "pfnmap_vma"
#define SCRATCH_BYTES (4ul << 20)
#define HALF_PMD (hp_pmd_size() / 2)
#define PATTERN_SEED 0x9e3779b97f4a7c15ull
#define SCRATCH_FILL 0xa5
#define THP_ZERO_PAGE "/sys/kernel/mm/transparent_hugepage/use_zero_page"

/* ---- levels and contents ---- */

/* What maps @addr in this process; "none" is a level too here. */
struct where {
	enum hp_level level;
	bool mapped;
	bool walked;		/* read by the walk module: the two below are known */
	bool special;		/* the entry carries the special bit */
	uint64_t pfn;
};

static struct where where_at(const void *addr)
{
	struct where w = { .level = HP_LEVEL_UNKNOWN };
	struct hp_walk walk;

	if (!hp_walk_query(addr, &walk)) {
		w.mapped = walk.present && walk.level != HP_LEVEL_UNKNOWN;
		w.level = w.mapped ? walk.level : HP_LEVEL_UNKNOWN;
		w.walked = true;
		w.special = walk.special_known && walk.special;
		w.pfn = walk.pfn;
		return w;
	}
	w.level = hp_map_level(addr);
	w.mapped = w.level != HP_LEVEL_UNKNOWN;
	return w;
}

static const char *where_name(const struct where *w)
{
	return w->mapped ? hp_level_name(w->level) : "none";
}

static bool at_pmd(const struct where *w)
{
	return w->mapped && w->level == HP_LEVEL_PMD;
}

/* Each 8-byte word holds its offset in the buffer mixed with a seed. */
static void pattern_fill(void *base, size_t off, size_t len)
{
	for (size_t o = off; o + 8 <= off + len; o += 8)
		*(volatile uint64_t *)((char *)base + o) = o ^ PATTERN_SEED;
}

/* Words of [off, off+len) that do not hold the pattern (reading faults them in). */
static size_t pattern_bad(const void *base, size_t off, size_t len)
{
	size_t bad = 0;

	for (size_t o = off; o + 8 <= off + len; o += 8)
		bad += *(const volatile uint64_t *)((const char *)base + o) != (o ^ PATTERN_SEED);
	return bad;
}

/* ---- one judged case over a reference-module buffer ---- */

struct vma_case {
	const struct hp_refmod *r;
	enum hp_method m;
	struct hp_scratch *scratch;
	char name[2 * HP_NAME_LEN];
	struct hp_case c;
	struct hp_frame f;		/* the case frame: record, window, verdict */
	struct hp_buf_src src;
	struct hp_buf buf;		/* HP_BUF_REF; its after-pin check is the eviction report */
	struct hugepin_ref_info info;	/* after the first touch */
	char what[HP_TEXT_LEN];		/* what the VMA operation left, for the evidence */
	char setup_why[HP_TEXT_LEN];
};

/*
 * A 2 MiB buffer mapped at a 2 MiB aligned address, written with the pattern.
 * False with the frame's untestable_why set when it is not mapped by a PMD.
 */
static bool vc_setup(struct vma_case *vc, bool never_expected)
{
	struct hp_evidence *ev = &vc->f.ev;
	struct where w;
	int err;

	hp_refmod_case_init(&vc->c, vc->r, HP_TEST, vc->name, 0, never_expected);
	vc->c.scratch = vc->scratch;
	hp_frame_start(&vc->f, &vc->c, vc->m);
	vc->src.kind = HP_BUF_REF;
	vc->src.drm_fd = -1;
	vc->src.ref = vc->r;
	err = _hp_buf_create(&vc->src, hp_pmd_size(), true, &vc->buf);
	if (!err)
		err = _hp_refmod_info(vc->r, vc->buf.ref.id, &vc->info);
	if (err) {
		snprintf(vc->setup_why, sizeof(vc->setup_why), "buffer set-up failed: %s",
			 strerror(-err));
		ev->untestable_why = vc->setup_why;
		return false;
	}
	vc->f.buf = &vc->buf;
	pattern_fill(vc->buf.map.addr, 0, hp_pmd_size());
	w = where_at(vc->buf.map.addr);
	ev->level = w.mapped ? w.level : HP_LEVEL_UNKNOWN;
	if (!at_pmd(&w)) {
		snprintf(vc->setup_why, sizeof(vc->setup_why),
			 "no huge mapping formed (level %s, path %s)", where_name(&w),
			 hp_refmod_path_name(vc->info.last_path));
		ev->untestable_why = vc->setup_why;
		return false;
	}
	if (hp_method_available(vc->m, vc->c.scratch, vc->setup_why, sizeof(vc->setup_why))) {
		ev->untestable_why = vc->setup_why;
		return false;
	}
	return true;
}

/* One pin of HP_CASE_PIN_LEN bytes at @addr in this process, in the frame. */
static void vc_pin(struct vma_case *vc, void *addr, const struct where *w)
{
	vc->f.ev.level = w->mapped ? w->level : HP_LEVEL_UNKNOWN;
	hp_frame_pin(&vc->f, vc->m, addr, HP_CASE_PIN_LEN);
}

/*
 * Unmap, then end the frame (the buffer's check evicts with the module's
 * refcount report inside the window), destroy the buffer. Returns the verdict.
 */
static enum hp_verdict vc_finish(struct vma_case *vc)
{
	hp_unmap(&vc->buf.map);
	hp_frame_end(&vc->f, NULL, vc->what);
	hp_buf_destroy(&vc->buf);
	return vc->f.res.verdict;
}

/* ok / not ok / XFAIL / SKIP from the case's record, as hugepfn_ref concludes a sweep. */
#define VC_CONCLUDE(vc)								\
	do {									\
		const struct hp_case _judge = { .owner = HP_OWNER_DRIVER };	\
		struct hp_case_tally _t;					\
		memset(&_t, 0, sizeof(_t));					\
		hp_case_tally_add(&_t, &_judge, (vc)->f.res.verdict, &(vc)->f.res); \
		EXPECT_EQ(0, _t.unexpected_err) TH_LOG("unexpected errno: %s", _t.bad); \
		EXPECT_EQ(0, _t.vulnerable) TH_LOG("VULNERABLE: %s", _t.bad);	\
		if (!_metadata->passed)						\
			return;							\
		if (_t.expected)						\
			HP_XFAIL(return, "%s", _t.xfail);			\
		if (!_t.safe)							\
			SKIP(return, "%s", _t.skip);				\
	} while (0)

/* In a fixture's setup: "fixture.variant.test" into self->name, or skip when not selected. */
#define CASE_NAME_OR_SKIP()							\
	do {									\
		const char *_skip;						\
										\
		snprintf(self->name, sizeof(self->name), "%s.%s.%s",		\
			 HP_FIXTURE_NAME(), variant->name, _metadata->name);	\
		_skip = hp_case_skip_why(HP_TEST, self->name);			\
		if (_skip)							\
			SKIP(return, "%s", _skip);				\
	} while (0)

/* ---- the reference module's buffers ---- */

FIXTURE(ref_vma) {
	struct hp_refmod r;
	struct hp_scratch scratch;
	char name[2 * HP_NAME_LEN];
};

FIXTURE_VARIANT(ref_vma) {
	const char *name;
	enum hp_method m;
};

/* The methods whose row of the method table says vma (HP_METHODS in hp_core.h). */
#define REF_VMA_VARIANT(value, mname, head, flow, storage, uring, hold, program, pre, post, vma) \
	HP_IF_##vma(FIXTURE_VARIANT_ADD(ref_vma, mname) { .name = #mname, .m = value };)
HP_METHODS(REF_VMA_VARIANT)

FIXTURE_SETUP(ref_vma)
{
	char why[HP_TEXT_LEN];

	self->r.fd = -1;
	self->scratch.fd = -1;
	CASE_NAME_OR_SKIP();
	if (hp_refmod_fixture(&self->r, &self->scratch, SCRATCH_BYTES, why, sizeof(why)))
		SKIP(return, "%s", why);
}

FIXTURE_TEARDOWN(ref_vma)
{
	if (self->scratch.fd >= 0)
		hp_scratch_close(&self->scratch);
	hp_refmod_close(&self->r);
}

static void vc_init(struct vma_case *vc, FIXTURE_DATA(ref_vma) *self,
		    const FIXTURE_VARIANT(ref_vma) *variant)
{
	memset(vc, 0, sizeof(*vc));
	vc->r = &self->r;
	vc->scratch = &self->scratch;
	vc->m = variant->m;
	snprintf(vc->name, sizeof(vc->name), "%s", self->name);
}

/* What the child of a fork saw, sent back through a pipe. */
struct fork_report {
	struct where before;	/* before the child touched the mapping */
	struct where after;	/* after it read every byte */
	size_t words_bad;	/* words not holding the parent's pattern */
	struct hp_pin_res pin;
};

static void fork_child(int wfd, void *addr, enum hp_method m, struct hp_scratch *s)
{
	struct fork_report rep;

	memset(&rep, 0, sizeof(rep));
	rep.before = where_at(addr);
	rep.words_bad = pattern_bad(addr, 0, hp_pmd_size());
	rep.after = where_at(addr);
	_hp_pin(m, s, addr, HP_CASE_PIN_LEN, &rep.pin);
	_exit(write(wfd, &rep, sizeof(rep)) == (ssize_t)sizeof(rep) ? 0 : 1);
}

/* Fork inside the window; the child reads, probes and pins. 0 or -errno. */
static int fork_and_pin(struct vma_case *vc, struct fork_report *rep)
{
	int fds[2], status = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(fds))
		return -errno;
	hp_frame_window(&vc->f);
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -errno;
	}
	if (!pid) {
		close(fds[0]);
		fork_child(fds[1], vc->buf.map.addr, vc->m, vc->c.scratch);
	}
	close(fds[1]);
	n = read(fds[0], rep, sizeof(*rep));
	close(fds[0]);
	waitpid(pid, &status, 0);
	if (n != (ssize_t)sizeof(*rep) || !WIFEXITED(status) || WEXITSTATUS(status))
		return -EPIPE;
	hp_frame_pinned(&vc->f, &rep->pin, HP_CASE_PIN_LEN);
	vc->f.ev.level = rep->after.mapped ? rep->after.level : HP_LEVEL_UNKNOWN;
	return 0;
}

/*
 * The parent maps the buffer by a PMD and forks; the child must read the
 * parent's bytes through its copy of the mapping, which a kernel with the
 * PMD special bit copies at fork and an older one leaves to be refaulted
 * through the driver. The child's pin goes through that PMD.
 */
TEST_F(ref_vma, fork_child_pins)
{
	struct hugepin_ref_info after;
	struct fork_report rep;
	struct vma_case vc;
	bool special = self->r.caps.caps & HUGEPIN_REF_CAP_PMD_SPECIAL, refaulted = false;
	struct where parent = { 0 };
	int err = 0;

	if (HP_SETUP_SKIPPED())
		return;
	vc_init(&vc, self, variant);
	memset(&rep, 0, sizeof(rep));
	if (vc_setup(&vc, false)) {
		parent = where_at(vc.buf.map.addr);
		err = fork_and_pin(&vc, &rep);
		if (err) {
			snprintf(vc.setup_why, sizeof(vc.setup_why), "fork: %s", strerror(-err));
			vc.f.ev.untestable_why = vc.setup_why;
		} else if (!_hp_refmod_info(vc.r, vc.buf.ref.id, &after)) {
			refaulted = after.faults_pmd > vc.info.faults_pmd;
		}
		snprintf(vc.what, sizeof(vc.what),
			 "fork: parent %s, child %s before its touch, %s after (%s), %zu words differ",
			 where_name(&parent), where_name(&rep.before), where_name(&rep.after),
			 refaulted ? "refaulted through the driver" : "copied at fork",
			 rep.words_bad);
	}
	vc_finish(&vc);
	if (vc.f.ev.attempted) {
		TH_LOG("%s", vc.what);
		EXPECT_EQ(0, rep.words_bad) TH_LOG("the child did not see the parent's bytes");
		EXPECT_TRUE(at_pmd(&rep.after));
		/* A special PMD is copied at fork (6.12+); a plain one is left to refault. */
		EXPECT_EQ(special, at_pmd(&rep.before));
		EXPECT_EQ(!special, refaulted);
	}
	VC_CONCLUDE(&vc);
}

/*
 * Split the PMD-mapped VMA at its middle with @op; the split zaps the pfn
 * PMD, the refault of the first half maps PTEs, and a pin there must be
 * refused on every kernel.
 */
static void split_case(struct __test_metadata *_metadata, struct vma_case *vc,
		       const char *op)
{
	struct where gone = { 0 }, refault = { 0 };
	size_t bad = 0;
	char *half;
	int ret;

	if (vc_setup(vc, true)) {
		half = (char *)vc->buf.map.addr + HALF_PMD;
		ret = strcmp(op, "mprotect") ? munmap(half, HALF_PMD) :
		      mprotect(half, HALF_PMD, PROT_READ);
		if (ret) {
			snprintf(vc->setup_why, sizeof(vc->setup_why), "%s of the second half: %s",
				 op, strerror(errno));
			vc->f.ev.untestable_why = vc->setup_why;
			vc_finish(vc);
			return;
		}
		gone = where_at(vc->buf.map.addr);
		bad = pattern_bad(vc->buf.map.addr, 0, HALF_PMD);
		refault = where_at(vc->buf.map.addr);
		snprintf(vc->what, sizeof(vc->what),
			 "%s of the second half: first half %s, %s after its refault, %zu words differ",
			 op, where_name(&gone), where_name(&refault), bad);
		vc_pin(vc, vc->buf.map.addr, &refault);
	}
	vc_finish(vc);
	if (!vc->f.ev.attempted)
		return;
	TH_LOG("%s", vc->what);
	/* vma_is_special_huge(): the split zaps the PMD instead of making PTEs. */
	EXPECT_FALSE(gone.mapped) TH_LOG("the first half stayed mapped (%s)", where_name(&gone));
	EXPECT_TRUE(refault.mapped && refault.level == HP_LEVEL_PTE);
	EXPECT_EQ(0, bad) TH_LOG("the first half lost its bytes");
}

TEST_F(ref_vma, mprotect_half)
{
	struct vma_case vc;

	if (HP_SETUP_SKIPPED())
		return;
	vc_init(&vc, self, variant);
	split_case(_metadata, &vc, "mprotect");
	if (!_metadata->passed)
		return;
	VC_CONCLUDE(&vc);
}

TEST_F(ref_vma, munmap_half)
{
	struct vma_case vc;

	if (HP_SETUP_SKIPPED())
		return;
	vc_init(&vc, self, variant);
	split_case(_metadata, &vc, "munmap");
	if (!_metadata->passed)
		return;
	VC_CONCLUDE(&vc);
}

/* Move @vc's whole mapping to a fresh 2 MiB aligned address; @dst holds it after. */
static int move_mapping(struct vma_case *vc, struct hp_map *dst)
{
	void *p;
	int err;

	err = _hp_map(dst, -1, 0, hp_pmd_size(), hp_pmd_size(), PROT_NONE, MAP_PRIVATE | MAP_NORESERVE,
		      false);
	if (err)
		return err;
	p = mremap(vc->buf.map.addr, hp_pmd_size(), hp_pmd_size(), MREMAP_MAYMOVE | MREMAP_FIXED, dst->addr);
	if (p == MAP_FAILED) {
		err = -errno;
		hp_unmap(dst);
		return err;
	}
	return 0;
}

/*
 * mremap of the whole PMD-mapped VMA: the entry moves with it (or is
 * refaulted there), the bytes stay, and the pin at the new address meets
 * a huge pfn PMD: refused where it is special, VULNERABLE (expected) where not.
 */
TEST_F(ref_vma, mremap_whole)
{
	struct where old = { 0 }, moved = { 0 }, touched = { 0 };
	struct hugepin_ref_info after;
	struct hp_map dst = { 0 };
	struct vma_case vc;
	bool refaulted = false;
	size_t bad = 0;
	int err;

	if (HP_SETUP_SKIPPED())
		return;
	vc_init(&vc, self, variant);
	if (vc_setup(&vc, false)) {
		err = move_mapping(&vc, &dst);
		if (err) {
			snprintf(vc.setup_why, sizeof(vc.setup_why),
				 "mremap to a 2 MiB aligned address: %s", strerror(-err));
			vc.f.ev.untestable_why = vc.setup_why;
			vc_finish(&vc);
			SKIP(return, "%s", vc.setup_why);
		}
		old = where_at(vc.buf.map.addr);
		moved = where_at(dst.addr);
		bad = pattern_bad(dst.addr, 0, hp_pmd_size());
		touched = where_at(dst.addr);
		if (!_hp_refmod_info(vc.r, vc.buf.ref.id, &after))
			refaulted = after.faults_pmd > vc.info.faults_pmd;
		snprintf(vc.what, sizeof(vc.what),
			 "mremap: old address %s, new %s before a touch, %s after (%s), %zu words differ",
			 where_name(&old), where_name(&moved), where_name(&touched),
			 refaulted ? "refaulted" : "moved", bad);
		vc_pin(&vc, dst.addr, &touched);
	}
	hp_unmap(&dst);
	vc_finish(&vc);
	if (vc.f.ev.attempted) {
		TH_LOG("%s", vc.what);
		EXPECT_FALSE(old.mapped);
		EXPECT_EQ(0, bad) TH_LOG("the bytes did not move with the mapping");
		if (!at_pmd(&touched))
			SKIP(return, "no huge mapping at the new address (level %s)",
			     where_name(&touched));
	}
	VC_CONCLUDE(&vc);
}

/* ---- the huge zero page ---- */

FIXTURE(zero_thp) {
	struct hp_scratch scratch;
	char name[2 * HP_NAME_LEN];
};

FIXTURE_VARIANT(zero_thp) {
	const char *name;
	enum hp_method m;
};

/*
 * Read-only pins (flow HP_FLOW_OUT) of the vma methods: the page is pinned
 * for what is read out of it.
 */
#define ZERO_IF_HP_FLOW_OUT(...) __VA_ARGS__
#define ZERO_IF_HP_FLOW_INTO(...)
#define ZERO_IF_HP_FLOW_NONE(...)
#define ZERO_VARIANT(value, mname, head, flow, storage, uring, hold, program, pre, post, vma) \
	HP_IF_##vma(ZERO_IF_##flow(FIXTURE_VARIANT_ADD(zero_thp, mname)		\
				   { .name = #mname, .m = value };))
HP_METHODS(ZERO_VARIANT)

FIXTURE_SETUP(zero_thp)
{
	self->scratch.fd = -1;
	CASE_NAME_OR_SKIP();
	if (hp_scratch_open(&self->scratch, SCRATCH_BYTES))
		self->scratch.fd = -1;
}

FIXTURE_TEARDOWN(zero_thp)
{
	if (self->scratch.fd >= 0)
		hp_scratch_close(&self->scratch);
}

/* Why no huge zero page can form here, NULL when one can. */
static const char *zero_page_missing(char *why, size_t len)
{
	char mode[32] = "", c = 0;
	int fd;

	if (hp_thp_mode(mode, sizeof(mode), NULL) || !strcmp(mode, "never")) {
		snprintf(why, len, "THP is %s", *mode ? "never" : "not built in");
		return why;
	}
	fd = open(THP_ZERO_PAGE, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, &c, 1) != 1 || c != '1') {
		snprintf(why, len, "%s is %s", THP_ZERO_PAGE, fd < 0 ? "missing" : "0");
		if (fd >= 0)
			close(fd);
		return why;
	}
	close(fd);
	return NULL;
}

/* O_DIRECT scratch cell filled with a non-zero byte, so zeros that land there came from the pin. */
static int scratch_prefill(struct hp_pinner *p)
{
	unsigned char *buf = hp_pinner_buf(p);

	if (!buf || !p->scratch || p->scratch->fd < 0)
		return 0;
	memset(buf, SCRATCH_FILL, p->cell);
	return pwrite(p->scratch->fd, buf, p->cell, p->off) == (ssize_t)p->cell ? 0 : -errno;
}

/* Non-zero bytes among the @n the pin moved: read back from storage, or the pipe's. */
static long pinned_nonzero(struct hp_pinner *p, enum hp_method m, long n)
{
	unsigned char *buf = hp_pinner_buf(p);
	long bad = 0;

	if (!buf || n <= 0)
		return 0;
	if (m == HP_M_ODIRECT_WRITE && pread(p->scratch->fd, buf, p->cell, p->off) != (ssize_t)p->cell)
		return -1;
	for (long i = 0; i < n; i++)
		bad += buf[i] != 0;
	return bad;
}

struct zero_case {
	struct hp_map map;
	struct where lo, hi, after;	/* both 2 MiB blocks after the read; lo after the pin */
	struct hp_case c;
	struct hp_frame f;
	long nonzero;
	char why[HP_TEXT_LEN];
};

/* Map 4 MiB, read-fault it; false with the reason when no huge zero page formed. */
static bool zero_setup(struct zero_case *z)
{
	int err = _hp_map(&z->map, -1, 0, 2 * hp_pmd_size(), hp_pmd_size(), PROT_READ | PROT_WRITE,
			  MAP_PRIVATE, true);

	if (err) {
		snprintf(z->why, sizeof(z->why), "anonymous THP mapping failed: %s", strerror(-err));
		return false;
	}
	hp_map_touch(&z->map, false);
	z->lo = where_at(z->map.addr);
	z->hi = where_at((char *)z->map.addr + hp_pmd_size());
	z->f.ev.level = z->lo.mapped ? z->lo.level : HP_LEVEL_UNKNOWN;
	if (!at_pmd(&z->lo) || !at_pmd(&z->hi)) {
		snprintf(z->why, sizeof(z->why), "no huge zero page formed (levels %s, %s)",
			 where_name(&z->lo), where_name(&z->hi));
		return false;
	}
	/* Both blocks map one folio: the huge zero page, not two fresh THPs. */
	if (z->lo.walked && z->lo.pfn != z->hi.pfn) {
		snprintf(z->why, sizeof(z->why),
			 "read faults mapped two THPs (pfn 0x%llx, 0x%llx), no huge zero page",
			 (unsigned long long)z->lo.pfn, (unsigned long long)z->hi.pfn);
		return false;
	}
	return true;
}

static void zero_pin(struct zero_case *z, struct hp_scratch *s, enum hp_method m)
{
	struct hp_pin_res pres = { 0 };
	struct hp_pinner p;

	hp_pinner_init(&p, s, 0, HP_CASE_PIN_LEN, true);
	if (hp_pinner_available(&p, m, z->why, sizeof(z->why)) || scratch_prefill(&p)) {
		if (!*z->why)
			snprintf(z->why, sizeof(z->why), "cannot fill the O_DIRECT storage");
		hp_pinner_fini(&p);
		return;
	}
	hp_frame_window(&z->f);
	_hp_pinner_pin(&p, m, z->map.addr, HP_CASE_PIN_LEN, &pres);
	z->after = where_at(z->map.addr);
	hp_frame_pinned(&z->f, &pres, HP_CASE_PIN_LEN);
	z->nonzero = pres.err ? 0 : pinned_nonzero(&p, m, pres.bytes);
	hp_pinner_fini(&p);
}

static void zero_record(struct zero_case *z)
{
	char what[HP_TEXT_LEN], page[64] = "walk module absent", nonzero[64];

	if (!z->f.ev.attempted)
		z->f.ev.untestable_why = z->why;
	if (z->lo.walked)
		snprintf(page, sizeof(page), "pfn 0x%llx in both blocks, special %s",
			 (unsigned long long)z->lo.pfn, z->lo.special ? "yes" : "no");
	if (z->f.ev.attempted && z->nonzero) {
		snprintf(nonzero, sizeof(nonzero), "%ld of %ld pinned bytes not zero", z->nonzero,
			 z->f.ev.bytes);
		z->f.finding = nonzero;
	}
	snprintf(what, sizeof(what), "huge zero page: %s; %s after the pin", page,
		 where_name(&z->after));
	hp_frame_end(&z->f, NULL, what);
}

/*
 * The control: a read-only pin of the huge zero page succeeds on every
 * kernel (through fast GUP, or its slow path where the PMD is special),
 * reads zeros and leaves the pin accounting balanced.
 */
TEST_F(zero_thp, pin_reads_zero)
{
	struct zero_case z;

	if (HP_SETUP_SKIPPED())
		return;
	memset(&z, 0, sizeof(z));
	if (zero_page_missing(z.why, sizeof(z.why)))
		SKIP(return, "%s", z.why);
	z.c.test = HP_TEST;
	snprintf(z.c.name, sizeof(z.c.name), "%s", self->name);
	snprintf(z.c.device, sizeof(z.c.device), "anon");
	z.c.owner = HP_OWNER_PAGES;
	z.c.huge_required = true;
	z.c.scratch = &self->scratch;
	hp_frame_start(&z.f, &z.c, variant->m);
	if (zero_setup(&z))
		zero_pin(&z, &self->scratch, variant->m);
	zero_record(&z);
	hp_unmap(&z.map);
	if (!z.f.ev.attempted)
		SKIP(return, "%s", z.why);
	EXPECT_EQ(0, z.f.ev.pin_err) TH_LOG("the huge zero page refused a read-only pin: %s",
					     strerror(z.f.ev.pin_err));
	EXPECT_EQ((long)HP_CASE_PIN_LEN, z.f.ev.bytes);
	EXPECT_EQ(0, z.nonzero) TH_LOG("bytes read through the pin were not zero");
	EXPECT_EQ(0, z.f.ev.pin_leak);
	EXPECT_EQ(HP_SAFE, z.f.res.verdict) TH_LOG("%s", z.f.res.evidence);
}

TEST_HARNESS_MAIN
