// SPDX-License-Identifier: GPL-2.0
/*
 * detector_controls: every detector made to fire on purpose, in the same
 * guest as the cases it backs. A SAFE verdict means "no detector fired";
 * that is worth something only for a detector that is known to fire, so
 * each control here provokes exactly one kind of damage through the
 * reference module's test hooks (module/hugepin_ref_hooks.c, loaded with
 * test_hooks=1, which this program does itself) and asserts that its
 * detector saw it:
 *
 *   level           the module's level report says pmd for a PMD it
 *                   inserted and pte under pte_only; the generic probe
 *                   (ptdump, smaps) says pte for anonymous memory without THP;
 *   pin-accounting  a FOLL_PIN the module takes and holds moves
 *                   nr_foll_pin_acquired and not nr_foll_pin_released;
 *   refcount        the eviction report counts pages off their refcount:
 *                   fast GUP's damage through the PMD where the kernel has no
 *                   PMD special bit, an extra reference the module takes where
 *                   it has one, or where its fast GUP refuses the block's
 *                   first page all the same (riscv before 6.15 pins only
 *                   compound blocks, whose references it counts right);
 *   canary          a vmsplice pin held over the freeing of its pages, fresh
 *                   memory filled with canaries, then a read through the held
 *                   pin: its bytes changed. The pages are freed by the module's
 *                   free-on-evict mode where fast GUP pins its PMDs (no special
 *                   bit), and by a reference the module drops too many on a
 *                   pinned anonymous page where every pin of its mappings is
 *                   refused;
 *   kernel-log      a deliberate WARN: a WARNING splat and taint W.
 *
 * Each control writes one record naming its detector ("control"); the
 * report lists them apart from the verdicts and makes the cases a silent
 * detector backs UNTESTABLE. The controls damage the kernel on purpose, so
 * this program runs after every other one but hugepfn_ref (whose device
 * memory may kill the kernel: last in TEST_GEN_PROGS), and the WARN comes
 * last within it. The pipes that still point at freed pages
 * stay with a child that sleeps until the machine powers off: closing them
 * would put pages that now belong to someone else.
 *
 * The pin-accounting, canary and kernel-log controls open raw detector
 * windows (hp_detect_begin/end) instead of a case frame: they test the
 * detectors themselves, so they read each detector's own finding, not a
 * verdict the frame would make of all of them together.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "hp_case.h"
#include "hp_refmod.h"

#define HOLD_LEN (2 * hp_page_size())	/* two pages: the second one is freed */
#define FRESH_LEN (2ul << 20)		/* fresh memory the freed page may go to */
#define CANARY_ROUNDS 8
#define PIN_LEN (16 * hp_page_size())
#define MAX_FD 1024
/* Seeds of the victim's pattern ("canary") and of the fresh memory's canaries. */
#define VICTIM_SEED 0x63616e617279ull
#define FRESH_SEED_XOR 0x5a5a5a5a00000000ull

/* One control record: the detector, its verdict and the report's evidence. */
static void control_emit(const char *detector, enum hp_verdict v, const char *level,
			 const char *evidence)
{
	struct hp_result r = { .verdict = v };

	snprintf(r.test, sizeof(r.test), "%s", HP_CONTROL_TEST);
	snprintf(r.name, sizeof(r.name), "control.%s", detector);
	snprintf(r.device, sizeof(r.device), "%s", HUGEPIN_REF_NAME);
	snprintf(r.driver, sizeof(r.driver), "%s", HUGEPIN_REF_NAME);
	snprintf(r.method, sizeof(r.method), "-");
	snprintf(r.level, sizeof(r.level), "%s", level);
	snprintf(r.control, sizeof(r.control), "%s", detector);
	snprintf(r.evidence, sizeof(r.evidence), "%s", evidence);
	hp_record_emit(&r);
	printf("# control %s: %s %s\n", detector, v == HP_VULNERABLE ? "fired:" :
	       v == HP_SAFE ? "DID NOT FIRE:" : "UNTESTABLE:", evidence);
	fflush(stdout);
}

/*
 * A control fired when its own detector did (@fired), whatever else the
 * damage set off; the evidence line is the one the report gives a case.
 */
static bool control_judge(const char *detector, bool fired, const struct hp_evidence *ev,
			  const char *what, char *why, size_t len)
{
	hp_decide_step(ev, what, why, len);
	control_emit(detector, fired ? HP_VULNERABLE : HP_SAFE, hp_level_name(ev->level), why);
	return fired;
}

FIXTURE(controls) {
	struct hp_refmod r;
	char why[HP_TEXT_LEN];
	int err;
};

FIXTURE_SETUP(controls)
{
	self->r.fd = -1;
	self->err = -ENODEV;
}

FIXTURE_TEARDOWN(controls)
{
	hp_refmod_close(&self->r);
}

/*
 * Case selection first (run.sh --tests, a resumed boot, listing), then the
 * module with its hooks on: UNTESTABLE and SKIP when it cannot have them.
 */
#define CONTROL_START(detector)							\
	do {									\
		const char *_skip = hp_case_skip_why(HP_CONTROL_TEST, "control." detector); \
		if (_skip)							\
			SKIP(return, "%s", _skip);				\
		hp_record_start(HP_CONTROL_TEST, "control." detector,		\
				HUGEPIN_REF_NAME, "-");				\
		self->err = hp_refmod_open_hooks(&self->r, self->why, sizeof(self->why)); \
		if (self->err) {						\
			control_emit(detector, HP_UNTESTABLE, "unknown", self->why); \
			SKIP(return, "%s", self->why);				\
		}								\
		if (hp_refmod_pte_only(-1) == 1)				\
			hp_refmod_pte_only(0);					\
	} while (0)

/*
 * First, before any control loads the module with its hooks: a normal load
 * has none (the test ioctl answers ENOTTY, the parameter reads N).
 */
TEST(hooks_absent_on_normal_load)
{
	struct hugepin_ref_test t = { 0 };
	char why[HP_TEXT_LEN];
	const char *skip = hp_case_skip_why(HP_CONTROL_TEST, "hooks_absent_on_normal_load");
	struct hp_refmod r;
	int err;

	if (skip)
		SKIP(return, "%s", skip);
	err = hp_refmod_hooks() == 1 ? hp_refmod_reload(false, why, sizeof(why)) : 0;
	if (!err)
		err = hp_refmod_open(&r, why, sizeof(why));
	if (err)
		SKIP(return, "%s", why);
	EXPECT_EQ(0, hp_refmod_hooks());
	HP_EXPECT_ERR(ENOTTY, _hp_refmod_test(&r, HUGEPIN_REF_TEST_WARN, &t));
	HP_EXPECT_ERR(ENOTTY, _hp_refmod_test(&r, HUGEPIN_REF_TEST_DROP_REF, &t));
	hp_refmod_close(&r);
}

/* Map a fresh buffer of the module, touch it, return its fault info. */
static int ref_buffer(const struct hp_refmod *r, struct hugepin_ref_create *bo, struct hp_map *m,
		      struct hugepin_ref_info *info)
{
	int err = _hp_refmod_create(r, hp_pmd_size(), 0, bo);

	if (err)
		return err;
	err = _hp_refmod_map(r, bo, m);
	if (!err)
		err = _hp_refmod_fault(r, bo->id, m, info);
	return err;
}

static int anon_map(struct hp_map *m, size_t len, bool huge)
{
	int err = _hp_map(m, -1, 0, len, hp_pmd_size(), PROT_READ | PROT_WRITE, MAP_PRIVATE, huge);

	if (!err && !huge)
		madvise(m->addr, len, MADV_NOHUGEPAGE);
	if (!err)
		hp_map_touch(m, true);
	return err;
}

/* Level the module reports for one buffer, under pte_only @pte. */
static enum hp_level level_of(const struct hp_refmod *r, bool pte, enum hp_level *generic,
			      char *path, size_t len)
{
	struct hugepin_ref_create bo = { 0 };
	struct hugepin_ref_info info = { 0 };
	struct hp_map m = { 0 };
	enum hp_level l = HP_LEVEL_UNKNOWN;

	hp_refmod_pte_only(pte);
	if (!ref_buffer(r, &bo, &m, &info)) {
		l = hp_refmod_level(info.last_level);
		/* A mapping of one level only: no fallback inside the block. */
		if (pte ? info.faults_pmd : info.faults_pte)
			l = HP_LEVEL_UNKNOWN;
		*generic = hp_map_level(m.addr);
		snprintf(path, len, "%s", hp_refmod_path_name(info.last_path));
	}
	if (m.raw)
		hp_unmap(&m);
	_hp_refmod_destroy(r, bo.id);
	hp_refmod_pte_only(0);
	return l;
}

/* The probes tell a PMD from a PTE: the module's report, and the generic probe where it sees. */
TEST_F(controls, level_probe)
{
	enum hp_level pmd, pte, gen_pmd = HP_LEVEL_UNKNOWN, gen_pte = HP_LEVEL_UNKNOWN, anon;
	char path[32] = "none", pte_path[32] = "none", why[HP_TEXT_LEN];
	struct hp_map m = { 0 };
	bool ok;

	CONTROL_START(HP_CONTROL_LEVEL);
	pmd = level_of(&self->r, false, &gen_pmd, path, sizeof(path));
	pte = level_of(&self->r, true, &gen_pte, pte_path, sizeof(pte_path));
	anon = anon_map(&m, hp_pmd_size(), false) ? HP_LEVEL_UNKNOWN : hp_map_level(m.addr);
	if (m.raw)
		hp_unmap(&m);
	ok = pmd == HP_LEVEL_PMD && pte == HP_LEVEL_PTE && anon == HP_LEVEL_PTE &&
	     (gen_pmd == HP_LEVEL_UNKNOWN || gen_pmd == HP_LEVEL_PMD) &&
	     (gen_pte == HP_LEVEL_UNKNOWN || gen_pte == HP_LEVEL_PTE);
	snprintf(why, sizeof(why),
		 "level probe: %s for the module's PMD mapping (path %s, generic probe %s), %s under pte_only (path %s, generic probe %s), %s for anonymous memory without THP",
		 hp_level_name(pmd), path, hp_level_name(gen_pmd), hp_level_name(pte), pte_path,
		 hp_level_name(gen_pte), hp_level_name(anon));
	if (pmd != HP_LEVEL_PMD && pte == HP_LEVEL_PTE && anon == HP_LEVEL_PTE) {
		/* No PMD can form here (THP off, say): nothing to tell apart. */
		control_emit(HP_CONTROL_LEVEL, HP_UNTESTABLE, "unknown", why);
		SKIP(return, "%s", why);
	}
	control_emit(HP_CONTROL_LEVEL, ok ? HP_VULNERABLE : HP_SAFE, "pmd", why);
	EXPECT_TRUE(ok) TH_LOG("%s", why);
}

/* A FOLL_PIN the module holds shows as pins acquired and not released. */
TEST_F(controls, pin_accounting)
{
	struct hugepin_ref_test t = { 0 };
	struct hp_evidence ev = { .owner = HP_OWNER_PAGES };
	char why[HP_TEXT_LEN];
	struct hp_map m = { 0 };
	struct hp_detect d;
	long acq, rel;
	bool fired;
	int err;

	CONTROL_START(HP_CONTROL_PINS);
	if (hp_vmstat_pins(&acq, &rel)) {
		snprintf(why, sizeof(why), "no nr_foll_pin_acquired/released in /proc/vmstat (before 5.9)");
		control_emit(HP_CONTROL_PINS, HP_UNTESTABLE, "unknown", why);
		SKIP(return, "%s", why);
	}
	ASSERT_EQ(0, anon_map(&m, hp_pmd_size(), false));
	hp_detect_begin(&d, HP_CONTROL_TEST, "control." HP_CONTROL_PINS);
	t.addr = (uintptr_t)m.addr;
	t.length = PIN_LEN;
	err = _hp_refmod_test(&self->r, HUGEPIN_REF_TEST_PIN, &t);
	hp_detect_end(&d, &ev);
	memset(&t, 0, sizeof(t));
	_hp_refmod_test(&self->r, HUGEPIN_REF_TEST_UNPIN, &t);
	hp_unmap(&m);
	ASSERT_EQ(0, err) TH_LOG("test pin: %s", strerror(-err));
	ev.level = HP_LEVEL_PTE;
	fired = control_judge(HP_CONTROL_PINS, ev.pin_leak > 0, &ev,
			      "a FOLL_PIN of 16 pages held by the module", why, sizeof(why));
	EXPECT_TRUE(fired) TH_LOG("%s", why);
	EXPECT_LE((long)(PIN_LEN / getpagesize()), ev.pin_leak) TH_LOG("%s", why);
	EXPECT_EQ((long long)(PIN_LEN / getpagesize()), t.result);
}

/*
 * Without the PMD special bit: the pin fast GUP takes through the PMD at a
 * block's first page (the reference module's own expected case). With it:
 * an extra reference the module takes on the block's first page.
 */
TEST_F(controls, refcount_report)
{
	struct hp_evidence ev = { .owner = HP_OWNER_DRIVER, .level = HP_LEVEL_PMD };
	char why[HP_TEXT_LEN], report[HP_TEXT_LEN], what[HP_TEXT_LEN];
	struct hugepin_ref_evict evict = { 0 };
	bool fired, hook;

	CONTROL_START(HP_CONTROL_REFCOUNT);
	hook = self->r.caps.caps & HUGEPIN_REF_CAP_PMD_SPECIAL;
	what[0] = '\0';
	if (!hook) {
		struct hp_refmod_case c = {
			.test = HP_CONTROL_TEST, .name = "control.refcount.vmsplice",
			.size = hp_pmd_size(), .offset = 0, .len = PIN_LEN, .huge_required = true,
		};
		struct hp_refmod_outcome oc;
		struct hp_result res;

		hp_refmod_run_pin(&self->r, &c, HP_M_VMSPLICE, &res, &oc);
		hp_record_start(HP_CONTROL_TEST, "control." HP_CONTROL_REFCOUNT, HUGEPIN_REF_NAME, "-");
		if (!oc.evicted) {
			snprintf(why, sizeof(why), "the vmsplice pin at the block's first page did not run (level %s)",
				 hp_level_name(hp_refmod_level(oc.info.last_level)));
			control_emit(HP_CONTROL_REFCOUNT, HP_UNTESTABLE, "unknown", why);
			SKIP(return, "%s", why);
		}
		evict = oc.evict;
		snprintf(what, sizeof(what), "fast GUP's vmsplice pin through the PMD, then eviction");
		/* Refused without the special bit: the hook's reference stands in for the damage. */
		if (res.err && !res.bytes && !evict.pages_bad) {
			snprintf(what, sizeof(what), "this kernel refused the vmsplice pin at the block's first page (%s), so ",
				 strerror(res.err));
			hook = true;
		}
	}
	if (hook) {
		struct hugepin_ref_test t = { 0 };
		struct hugepin_ref_info info;
		struct hugepin_ref_create bo;
		struct hp_map m = { 0 };

		ASSERT_EQ(0, ref_buffer(&self->r, &bo, &m, &info));
		t.id = bo.id;
		t.index = 0;
		HP_ASSERT_OK(_hp_refmod_test(&self->r, HUGEPIN_REF_TEST_EXTRA_REF, &t));
		HP_EXPECT_OK(_hp_refmod_evict(&self->r, bo.id, 0, &evict));
		hp_unmap(&m);
		_hp_refmod_destroy(&self->r, bo.id);
		hp_appendf(what, sizeof(what), "an extra reference the module took on page 0, then eviction");
	}
	ev.extra_refs = (long)evict.pages_bad;
	hp_refmod_evict_describe(&evict, report, sizeof(report));
	hp_appendf(what, sizeof(what), " (%s)", report);
	fired = control_judge(HP_CONTROL_REFCOUNT, ev.extra_refs > 0, &ev, what, why, sizeof(why));
	EXPECT_TRUE(fired) TH_LOG("%s", why);
}

/* Keep @fds open in a child that outlives this program, then close ours. */
static void hand_to_holder(int *fds, int n)
{
	pid_t pid = fork();
	int i, fd;

	if (pid == 0) {
		for (fd = 0; fd < MAX_FD; fd++) {
			bool keep = false;

			for (i = 0; i < n; i++)
				keep |= fds[i] == fd;
			if (!keep)
				close(fd);
		}
		signal(SIGTERM, SIG_IGN);
		for (;;)
			pause();
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
}

struct canary_round {
	struct hp_held_pin pin;
	char detail[HP_TEXT_LEN];
	long bad;
	bool refused;		/* fast GUP refused the module buffer's pin */
};

/*
 * Hold a vmsplice pin on a victim, free its pages behind it: 0 or a reason
 * in @why. @hook: the victim is anonymous memory and the module's hook drops
 * the reference, else it is a module buffer that fast GUP pins through its
 * PMD and free-on-evict frees.
 */
static int free_behind_pin(const struct hp_refmod *r, struct canary_round *cr, uint64_t seed,
			   bool hook, char *why, size_t len)
{
	struct hugepin_ref_test t = { 0 };
	struct hugepin_ref_info info;
	struct hugepin_ref_create bo = { 0 };
	struct hugepin_ref_evict ev;
	struct hp_map m = { 0 };
	int err;

	/* Two pages only: the one freed is then the allocator's hottest. */
	err = hook ? anon_map(&m, HOLD_LEN, false) : ref_buffer(r, &bo, &m, &info);
	if (err) {
		snprintf(why, len, "victim buffer: %s", strerror(-err));
	} else if (!hook && info.last_level != HUGEPIN_REF_LEVEL_PMD) {
		snprintf(why, len, "no huge mapping formed (level %s)",
			 hp_level_name(hp_refmod_level(info.last_level)));
		err = -EOPNOTSUPP;
	}
	if (err) {
		if (m.raw)
			hp_unmap(&m);
		if (!hook && bo.id)
			_hp_refmod_destroy(r, bo.id);
		return err;
	}
	hp_canary_fill(m.addr, HOLD_LEN, seed);
	err = _hp_pin_hold(&cr->pin, HP_M_VMSPLICE, m.addr, HOLD_LEN);
	if (err) {
		cr->refused = !hook;
		snprintf(why, len, "vmsplice of the victim refused: %s", strerror(-err));
	} else if (hook) {
		t.addr = (uintptr_t)m.addr + HOLD_LEN / 2;
		err = _hp_refmod_test(r, HUGEPIN_REF_TEST_DROP_REF, &t);
		if (err)
			snprintf(why, len, "test hook drop_ref: %s", strerror(-err));
	} else {
		err = _hp_refmod_evict(r, bo.id, HUGEPIN_REF_EVICT_FREE, &ev);
		if (err)
			snprintf(why, len, "free-on-evict: %s", strerror(-err));
	}
	hp_unmap(&m);
	if (!hook)
		_hp_refmod_destroy(r, bo.id);
	return err;
}

/*
 * Read what the held pipe buffers point at without consuming them: tee()
 * takes a reference of its own on each page (which only succeeds on a page
 * that is in use again) and the read drops exactly that one; the pipe's
 * own stale pointers are never released.
 */
static long tee_read(struct hp_held_pin *p, unsigned char *out, size_t len)
{
	int t[2];
	long n, got = 0;

	if (pipe2(t, O_CLOEXEC))
		return -errno;
	n = tee(p->pipe[0], t[1], len, SPLICE_F_NONBLOCK);
	if (n < 0)
		got = -errno;
	while (n > 0 && got < n) {
		ssize_t r = read(t[0], out + got, (size_t)(n - got));

		if (r <= 0)
			break;
		got += r;
	}
	close(t[0]);
	close(t[1]);
	return got;
}

/* One round: free behind a held pin, refill, read through the pin. */
static int canary_round(const struct hp_refmod *r, struct canary_round *cr, uint64_t seed,
			bool hook, char *why, size_t len)
{
	uint64_t cseed = seed ^ FRESH_SEED_XOR;
	unsigned char *out, *want;
	struct hp_map fresh = { 0 };
	size_t first = 0, k;
	long n;
	int err;

	err = free_behind_pin(r, cr, seed, hook, why, len);
	if (err)
		return err;
	out = malloc(2 * HOLD_LEN);
	if (!out) {
		snprintf(why, len, "no memory for the read-back buffer");
		return -ENOMEM;
	}
	want = out + HOLD_LEN;
	/* Fresh memory right away: the freed page is the allocator's hottest. */
	if (!anon_map(&fresh, FRESH_LEN, false))
		hp_canary_fill(fresh.addr, FRESH_LEN, cseed);
	n = tee_read(&cr->pin, out, HOLD_LEN);
	/* A page nobody took again refuses tee()'s reference: no evidence this round. */
	if (n > 0)
		cr->bad = (long)hp_canary_check(out, (size_t)n, seed, &first);
	if (cr->bad) {
		size_t page = first & ~(size_t)(getpagesize() - 1);

		hp_canary_fill(want, HOLD_LEN, seed);
		snprintf(cr->detail, sizeof(cr->detail),
			 "%ld of %ld bytes read through the held vmsplice pin changed after its pages were freed, first at +0x%zx: expected 0x%02x found 0x%02x",
			 cr->bad, n, first, want[first], out[first]);
		for (k = 0; fresh.addr && k < FRESH_LEN; k += (size_t)getpagesize())
			if (!memcmp(out + page, (char *)fresh.addr + k, (size_t)getpagesize()))
				break;
		if (fresh.addr && k < FRESH_LEN)
			hp_appendf(cr->detail, sizeof(cr->detail),
				   "; the page reads back the canary written at +0x%zx of fresh memory", k);
	}
	if (fresh.raw)
		hp_unmap(&fresh);
	free(out);
	return err;
}

TEST_F_TIMEOUT(controls, canary, 120)
{
	struct hp_evidence ev = { .owner = HP_OWNER_PAGES, .level = HP_LEVEL_PTE };
	struct canary_round cr[CANARY_ROUNDS];
	char why[HP_TEXT_LEN] = "", what[HP_TEXT_LEN], refused[HP_TEXT_LEN] = "";
	int fds[2 * CANARY_ROUNDS], nfds = 0, i, err = 0;
	struct hp_detect d;
	bool fired, hook;

	CONTROL_START(HP_CONTROL_CANARY);
	hook = self->r.caps.caps & HUGEPIN_REF_CAP_PMD_SPECIAL;
	memset(cr, 0, sizeof(cr));
	hp_detect_begin(&d, HP_CONTROL_TEST, "control." HP_CONTROL_CANARY);
	for (i = 0; i < CANARY_ROUNDS && !ev.canary_bad; i++) {
		err = canary_round(&self->r, &cr[i], VICTIM_SEED + (uint64_t)i, hook, why, sizeof(why));
		/* Refused without the special bit: the hook's dropped reference frees instead. */
		if (err && cr[i].refused && !hook) {
			snprintf(refused, sizeof(refused), "this kernel refused the vmsplice pin of a module buffer (%s), so ",
				 why);
			hook = true;
			memset(&cr[i], 0, sizeof(cr[i]));
			err = canary_round(&self->r, &cr[i], VICTIM_SEED + (uint64_t)i, hook, why, sizeof(why));
		}
		if (cr[i].pin.held) {
			fds[nfds++] = cr[i].pin.pipe[0];
			fds[nfds++] = cr[i].pin.pipe[1];
		}
		if (err)
			break;
		ev.canary_bad = cr[i].bad;
	}
	if (!hook)
		ev.level = HP_LEVEL_PMD;
	hp_detect_end(&d, &ev);
	/* Nothing else may read or close these pipes: they point at freed pages. */
	hand_to_holder(fds, nfds);
	if (err && !ev.canary_bad) {
		control_emit(HP_CONTROL_CANARY, HP_UNTESTABLE, "unknown", why);
		SKIP(return, "%s", why);
	}
	snprintf(what, sizeof(what), "%s%s, %d round%s: %s", refused,
		 hook ? "a reference the module dropped too many on a pinned anonymous page" :
		 "free-on-evict of a module buffer fast GUP pinned through its PMD",
		 i, i == 1 ? "" : "s", ev.canary_bad ? cr[i - 1].detail : "the canary never changed");
	fired = control_judge(HP_CONTROL_CANARY, ev.canary_bad > 0, &ev, what, why, sizeof(why));
	EXPECT_TRUE(fired) TH_LOG("%s", why);
}

/*
 * The page-reference check of memory whose pins must succeed (DAX): a real
 * pin and release through the DAX mapping, then one reference taken off
 * the page, as a pin path that gives back one more than it took would do.
 * Where the page's count is too low to lose one safely (the idle devmap
 * pages of kernels before 6.15 count 1), one is left on it instead, as a
 * pin path that keeps one would. Either is undone after the check, so the
 * page's count is right again for every case after this one.
 */
TEST_F(controls, page_refs)
{
	struct hp_evidence ev = { .owner = HP_OWNER_PAGES, .level = HP_LEVEL_UNKNOWN };
	struct hp_buf_src src = { .kind = HP_BUF_DAX };
	struct hugepin_ref_test t = { 0 };
	char why[HP_TEXT_LEN], report[HP_TEXT_LEN] = "", what[2 * HP_TEXT_LEN];
	struct hp_buf b;
	struct hp_detect d;
	const char *how = "taken off";
	int err, back, shift = -1;
	bool fired;

	/* No DAX, no DAX records for the detector to back: no control record either. */
	if (hp_buf_available(&src, why, sizeof(why)))
		SKIP(return, "%s", why);
	CONTROL_START(HP_CONTROL_PAGEREFS);
	err = _hp_buf_create(&src, hp_pmd_size(), true, &b);
	if (err) {
		snprintf(why, sizeof(why), "DAX mapping of one PMD block: %s", strerror(-err));
		control_emit(HP_CONTROL_PAGEREFS, HP_UNTESTABLE, "unknown", why);
		SKIP(return, "%s", why);
	}
	ev.level = hp_map_level_seen(b.map.addr, &ev.special, &ev.level_why);
	hp_detect_begin(&d, HP_CONTROL_TEST, "control." HP_CONTROL_PAGEREFS);
	hp_buf_arm(&b);
	t.addr = (uintptr_t)b.map.addr;
	t.length = PIN_LEN;
	err = _hp_refmod_test(&self->r, HUGEPIN_REF_TEST_PIN, &t);
	memset(&t, 0, sizeof(t));
	_hp_refmod_test(&self->r, HUGEPIN_REF_TEST_UNPIN, &t);
	memset(&t, 0, sizeof(t));
	t.addr = (uintptr_t)b.map.addr;
	t.index = 1;
	if (!err)
		err = _hp_refmod_test(&self->r, HUGEPIN_REF_TEST_SHIFT_REF, &t);
	if (err == -EBUSY) {
		t.index = 0;
		err = _hp_refmod_test(&self->r, HUGEPIN_REF_TEST_SHIFT_REF, &t);
		shift = 1;
		how = "left on";
	}
	hp_buf_check(&b, &ev, report, sizeof(report));
	hp_detect_end(&d, &ev);
	back = 0;
	if (!err) {
		t.index = shift < 0 ? 0 : 1;
		back = _hp_refmod_test(&self->r, HUGEPIN_REF_TEST_SHIFT_REF, &t);
	}
	hp_buf_destroy(&b);
	if (err) {
		snprintf(why, sizeof(why), "test pin or shift_ref on the DAX page: %s", strerror(-err));
		control_emit(HP_CONTROL_PAGEREFS, HP_UNTESTABLE, hp_level_name(ev.level), why);
		SKIP(return, "%s", why);
	}
	snprintf(what, sizeof(what), "a pin and release of %zu bytes of device DAX, then one reference %s its first page: %s",
		 (size_t)PIN_LEN, how, report);
	fired = control_judge(HP_CONTROL_PAGEREFS, ev.page_refs_off == shift, &ev, what, why,
			      sizeof(why));
	EXPECT_TRUE(fired) TH_LOG("%s", why);
	EXPECT_EQ(0, back) TH_LOG("putting the reference back: %s", strerror(-back));
}

/* Last: a WARN taints the kernel for good. */
TEST_F(controls, kernel_log)
{
	struct hp_evidence ev = { .owner = HP_OWNER_PAGES };
	struct hugepin_ref_test t = { 0 };
	char why[HP_TEXT_LEN];
	struct hp_detect d;
	bool fired;
	int err;

	CONTROL_START(HP_CONTROL_KMSG);
	ASSERT_EQ(0, hp_detect_begin(&d, HP_CONTROL_TEST, "control." HP_CONTROL_KMSG));
	err = _hp_refmod_test(&self->r, HUGEPIN_REF_TEST_WARN, &t);
	hp_detect_end(&d, &ev);
	ASSERT_EQ(0, err) TH_LOG("test warn: %s", strerror(-err));
	fired = control_judge(HP_CONTROL_KMSG, ev.splats != 0, &ev,
			      "a deliberate WARN from the module", why, sizeof(why));
	EXPECT_TRUE(fired) TH_LOG("%s", why);
	EXPECT_TRUE(ev.splats & HP_SPLAT_WARNING) TH_LOG("%s", why);
}

TEST_HARNESS_MAIN
