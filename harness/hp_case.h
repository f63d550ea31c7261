/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hugepin cases: one pin of one mapping through one method, with the
 * detectors around it, ending in one verdict and one record.
 *
 * Every program that pins (the pin_* selftests, drm_repro, the reference
 * module's tests, pfnmap_vma, vfio_bar, gup_stress) goes through one case
 * frame, struct hp_frame below, so the sequence
 *   hp_record_start -> hp_detect_begin -> _hp_pin -> the buffer's after-pin
 *   check -> hp_detect_end -> hp_decide -> hp_record_emit ->
 *   "# device method: VERDICT evidence"
 * is written once.
 *
 * Four layers:
 *   struct hp_frame    one judged case, start record to '#' line; the
 *                      caller may pin in between itself (a fork, a pinner);
 *   hp_case_run_pin()  one pin of [addr, addr+len) in a frame;
 *   hp_case_sweep()    the pins a test makes of a whole mapping: several
 *                      start offsets in each PMD block, offset 0 included,
 *                      each covering 16 subpages, tallied;
 *   struct hp_target   the fixture state behind a sweep: a buffer of the
 *                      hp_buf.h table (a DRM buffer, dumb or placed in
 *                      VRAM/system memory, anonymous THP memory, a VFIO
 *                      BAR), plus O_DIRECT scratch storage.
 * and, for kselftest programs, macros that turn a tally into ok / not ok /
 * SKIP / XFAIL (include this header after kselftest_harness.h for those).
 */
#ifndef HP_CASE_H
#define HP_CASE_H

#include <errno.h>
#include "hp_buf.h"
#include "hp_core.h"
#include "hp_sys.h"

/* What is pinned and how its outcome is judged. */
struct hp_case {
	const char *test;		/* program: pin_odirect */
	char name[2 * HP_NAME_LEN];	/* fixture.variant.test */
	char device[HP_NAME_LEN];	/* bochs, qxl, virtio_gpu, vgem, anon, ... */
	char driver[HP_NAME_LEN];	/* kernel driver, "-" for core memory */
	enum hp_owner owner;
	bool huge_required;	/* UNTESTABLE unless a PMD/PUD backs the range */
	bool pin_required;	/* a control: any refusal but EOPNOTSUPP is a failure */
	bool vuln_expected;	/* VULNERABLE is a known limitation of this kernel */
	const char *expected_why;
	struct hp_scratch *scratch;	/* O_DIRECT storage, may be closed (fd -1) */
	const void *base;	/* start of the mapping: offsets in evidence are from here */
	char note[HP_NAME_LEN];	/* leads every evidence line: "bound through hugepin_vmwshim" */
	struct hp_buf *buf;	/* the buffer whose kind checks each pin (DAX), or NULL */
	/*
	 * Level read once for a whole sweep: the ptdump debugfs file costs a
	 * full page-table walk per read (about 0.6 s under TCG on a debug
	 * kernel). HP_LEVEL_UNKNOWN: read it for every pin. With it, the
	 * entry's special bit and why the level is unknown, when known.
	 */
	enum hp_level level_hint;
	enum hp_special special_hint;
	const char *level_why;
};

/*
 * One judged case, the frame every program's cases run in:
 *   hp_frame_start()   start record; the evidence set up from the case;
 *   hp_frame_pin()     "mapped" record, detector window, the pin; or
 *   hp_frame_window() and hp_frame_pinned() around a pin made elsewhere
 *                      (in a forked child, through a pinner);
 *   hp_frame_end()     the buffer's after-pin check (f->buf, its kind's
 *                      check op: the reference module's refcount report;
 *                      its arm op ran when the window opened)
 *                      inside the window, the window closed, the verdict,
 *                      the record emitted and its '#' line printed.
 * Between start and end the caller may set f->ev (level, untestable_why),
 * f->finding (a check of its own that failed: VULNERABLE) and f->unproven
 * (the case's minimum work was not done: a SAFE becomes UNTESTABLE).
 * Several cases that race at once share one window: see hp_frame_span.
 */
struct hp_frame {
	const struct hp_case *c;
	struct hp_evidence ev;
	struct hp_result res;
	struct hp_detect det;
	bool window;		/* the detector window is open */
	size_t len;		/* bytes pinned, 0 when unknown */
	struct hp_buf *buf;	/* its kind's after-pin check runs in the window; NULL: none */
	const char *step;	/* set: a step that pins nothing (hp_decide_step()) */
	const char *finding;	/* set: the caller's own check failed, VULNERABLE */
	const char *unproven;	/* set: a SAFE lacks the case's minimum work, UNTESTABLE for this reason */
	bool quiet;		/* no '#' line: the program's stdout is its own report (JSON) */
	bool took;		/* in a span: pins of this case got in (it shares the span's findings) */
	bool deferred;		/* hp_frame_start_deferred(): records by hp_frame_emit() */
	char check[HP_TEXT_LEN];	/* what the after-pin check reported */
};

void hp_frame_start(struct hp_frame *f, const struct hp_case *c, enum hp_method m);
/*
 * A case judged after a race that was announced whole (drm_repro's
 * "race.DEVICE"): no start record now, none written by hp_frame_end();
 * hp_frame_emit() writes its start record and its record together, or
 * nothing is written (drm_repro's benchmark judges runs it does not report).
 */
void hp_frame_start_deferred(struct hp_frame *f, const struct hp_case *c, enum hp_method m);
void hp_frame_emit(const struct hp_frame *f);
void hp_frame_window(struct hp_frame *f);
void hp_frame_pinned(struct hp_frame *f, const struct hp_pin_res *r, size_t len);
void hp_frame_pin(struct hp_frame *f, enum hp_method m, void *addr, size_t len);
/*
 * @where leads the evidence ("off=0x0 len=0x10000"), @what follows the
 * verdict's reason; either may be NULL. Returns the verdict; f->res holds
 * the record.
 */
enum hp_verdict hp_frame_end(struct hp_frame *f, const char *where, const char *what);

/*
 * The frame of a race: the cases of several pin methods over one target run
 * at once (a gup_stress phase, a drm_repro race, a pfnmap_race round), so
 * one detector window spans them all. Each case is a frame started by
 * hp_frame_start() before the race (its start record); the span's window
 * opens once, hp_frame_span_close() closes it into s->seen, where the
 * caller may add race-wide findings of its own (settled pin counts, the
 * module's refcounts); hp_frame_span_share() gives those to a frame whose
 * pins got in (f->took), or to every frame when none did (@any_took false):
 * a method refused throughout did not do the damage. Each frame is then judged by
 * hp_frame_end() on its own evidence.
 */
struct hp_frame_span {
	struct hp_detect det;
	bool window;
	struct hp_evidence seen;	/* what the window saw, and the race-wide findings */
};
/* 0 with the window open; -errno when the kernel log cannot be read, and no window then. */
int hp_frame_span_start(struct hp_frame_span *s, const char *test, const char *name);
void hp_frame_span_close(struct hp_frame_span *s);
void hp_frame_span_share(const struct hp_frame_span *s, struct hp_frame *f, bool any_took);

/* "fixture.variant.test" into c->name. */
void hp_case_name(struct hp_case *c, const char *fixture, const char *variant,
		  const char *test);

/*
 * Pin [addr, addr+len) once through @m and judge it. Methods that cannot run
 * here (hp_method_available()) end UNTESTABLE without being tried. Fills and
 * emits @out, prints it as a '#' line, and returns the verdict.
 */
enum hp_verdict hp_case_run_pin(const struct hp_case *c, void *addr, size_t len,
				enum hp_method m, struct hp_result *out);

/*
 * A record's names, on a zeroed @res: test, case, device, driver ("-" when
 * empty) and method. Every program that judges pins starts its records here.
 */
void hp_result_init(struct hp_result *res, const char *test, const char *name,
		    const char *device, const char *driver, const char *method);
/*
 * The judged part of a record from @ev: the verdict (hp_decide(), its
 * evidence line in @why), whether a VULNERABLE is expected, the level, and
 * the errno and bytes of a pin that was attempted (0 otherwise). Returns the
 * verdict; the caller writes the evidence around @why.
 */
enum hp_verdict hp_judge(const struct hp_evidence *ev, struct hp_result *res, char *why,
			 size_t len);

/* Emit an UNTESTABLE record for a case that could not be set up (method "-" when @m is HP_M_NR). */
void hp_case_untestable(const struct hp_case *c, enum hp_method m, const char *why);

/* True for the errnos a driver may legitimately refuse a pin of its mapping with. */
bool hp_case_errno_allowed(const struct hp_case *c, int err);

/* One pin of a sweep: 16 pages, so a pin never covers a single subpage. */
#define HP_CASE_PIN_LEN (16 * hp_page_size())

/*
 * Start offsets of a sweep inside each PMD block: the block's first page,
 * one pin length in, and one page past the block's middle (64 KiB and
 * 1 MiB + 4 KiB with 4 KiB pages and 2 MiB blocks). @i < HP_CASE_NOFFSETS.
 */
#define HP_CASE_NOFFSETS 3
size_t hp_case_offset(size_t i);

struct hp_case_tally {
	int safe;
	int vulnerable;		/* unexpected VULNERABLE verdicts */
	int expected;		/* VULNERABLE, but expected for this kernel */
	int untestable;
	int unexpected_err;	/* refused with an errno hp_case_errno_allowed() rejects */
	char bad[HP_TEXT_LEN];	/* first failure: "method off=...: evidence" */
	char xfail[HP_TEXT_LEN];	/* first expected VULNERABLE */
	char skip[HP_TEXT_LEN];	/* first UNTESTABLE reason */
};

/*
 * Count one judged pin into @t: an unexpected errno (by @c's rules) or an
 * unexpected VULNERABLE is a failure, an expected one XFAIL, UNTESTABLE a
 * skip; the first of each kind keeps its evidence.
 */
void hp_case_tally_add(struct hp_case_tally *t, const struct hp_case *c, enum hp_verdict v,
		       const struct hp_result *r);

/*
 * Pin @map_len bytes from c->base through @m: in every PMD block, at the
 * offsets hp_case_offset() gives, HP_CASE_PIN_LEN each. Offset 0
 * matters on 6.1, where fast GUP takes the folio of the first subpage: a
 * pin that starts on a tail page of a non-compound block fails there and
 * one that starts on its head succeeds.
 */
void hp_case_sweep(const struct hp_case *c, size_t map_len, enum hp_method m,
		   struct hp_case_tally *t);
/*
 * The same offsets, each pinned by @pin (a case over fresh memory per pin,
 * as the reference module's are), tallied by @c's rules.
 */
typedef enum hp_verdict (*hp_case_pin_fn)(void *arg, size_t off, size_t len, enum hp_method m,
					  struct hp_result *res);
void hp_case_sweep_each(const struct hp_case *c, size_t map_len, enum hp_method m,
			struct hp_case_tally *t, hp_case_pin_fn pin, void *arg);

/* ---- fixture state ---- */

/* A vfio-pci device opened through a type1 container (harness/vfio.c). */
/* BAR2 in PMD-sized slots: each buffer of the vfio kind maps slots of its own. */
#define HP_VFIO_SLOTS 1024

struct hp_vfio_dev {
	bool open;		/* the fds below are set (-1 when not opened) */
	int container, group, device;
	unsigned long long bar_offset;	/* BAR2's region in the device fd */
	unsigned long long bar_size;
	uint64_t slots_used[HP_VFIO_SLOTS / 64];	/* one bit per slot (vfio.c) */
};

struct hp_target {
	struct hp_case c;
	struct hp_drm_dev dev;
	struct hp_buf_src src;	/* the buffer's kind; src.drm_fd -1 when no device is open */
	struct hp_buf buf;	/* live once made and mapped */
	struct hp_scratch scratch;
	struct hp_vfio_dev vfio;	/* a VFIO target's device, open while its buffer lives */
	size_t sweep_len;	/* what the sweep pins from c.base */
	char why[HP_TEXT_LEN];	/* reason when setup failed */
};

/*
 * Set up a DRM buffer (HP_BUF_DRM) of @size on @device (short or driver
 * name), a dumb buffer or one placed through the driver's ioctl (-EOPNOTSUPP
 * if it has none), mapped PMD aligned with MADV_HUGEPAGE and touched. 0, or -errno with
 * t->why set: -ENODEV no such device, -ENXIO the device exists but no driver
 * bound (t->why carries the kernel's reason), others from the driver.
 * t->c is named fixture.variant.test and ready for hp_case_sweep().
 */
int hp_target_drm(struct hp_target *t, const char *test, const char *fixture,
		  const char *variant, const char *test_name, const char *device,
		  enum hp_placement placement, size_t size);
/* Same for anonymous memory (HP_BUF_ANON) with THP asked for: the control, which must pin. */
int hp_target_anon(struct hp_target *t, const char *test, const char *fixture,
		   const char *variant, const char *test_name, size_t size);
/*
 * Same for a buffer kind whose buffers need nothing but the kind (DAX: the
 * guest's device DAX, or a file on a -o dax filesystem), mapped huge. What a
 * pin means comes from the kind's HP_TARGETS row: a control's pins must
 * succeed (pin_required), a driver's pages must never be pinned; the mapping
 * must be huge, and the kind's arm and check ops run around every pin.
 * -ENODEV when the kind says this machine has no such buffers (t->why).
 */
int hp_target_kind(struct hp_target *t, const char *test, const char *fixture,
		   const char *variant, const char *test_name, enum hp_buf_kind kind, size_t size);
/*
 * Same for BAR2 of the guest's ivshmem device through vfio-pci, mapped where
 * a @want entry can form: HP_LEVEL_PMD two PMD blocks, PMD aligned,
 * HP_LEVEL_PUD one PUD block, PUD aligned (the sweep pins its first two PMD
 * blocks), HP_LEVEL_PTE two PMD blocks from one page into the BAR, which no
 * huge entry can map. The huge ones
 * are UNTESTABLE unless the level seen is pmd or pud, the PUD one (-ENXIO)
 * unless it is pud. -ENODEV without the
 * device, -ENXIO with it but unusable (t->why says why).
 */
int hp_target_vfio(struct hp_target *t, const char *test, const char *fixture,
		   const char *variant, const char *test_name, enum hp_level want);
/* Safe on a zeroed target and on one whose setup failed. */
void hp_target_close(struct hp_target *t);
/*
 * For the setups of harness/: name a zeroed target; -ENOENT with t->why set when
 * HUGEPIN_FILTER leaves its case out. hp_target_scratch() opens O_DIRECT
 * storage if it can.
 */
int hp_target_init(struct hp_target *t, const char *test, const char *fixture,
		   const char *variant, const char *test_name, const char *device);
void hp_target_scratch(struct hp_target *t);
void hp_vfio_close(struct hp_vfio_dev *v);
/*
 * Open the guest's ivshmem device bound to vfio-pci (its BDF into @bdf) and
 * read BAR2's region into @v: 0, -ENODEV without the device, -ENXIO with it
 * but unusable; @why says why.
 */
int hp_vfio_open(struct hp_vfio_dev *v, char *bdf, size_t bdf_len, char *why, size_t len);
/*
 * Close a DRM target inside a detector window and judge that as one more
 * record of @m's case: TTM checks and frees a buffer's pages when the
 * buffer is destroyed, so damage that the pins did to them shows up here
 * ("Erroneous page count", "Bad page state"), not during the pins. True
 * with @out filled and emitted when a buffer was judged; a target that is
 * not DRM is just closed (false).
 */
bool hp_target_release(struct hp_target *t, enum hp_method m, struct hp_result *out);

/* ---- kselftest glue (expanded in the test program) ---- */

/*
 * The fixture variants every DRM pin test runs: device x placement x mapping
 * size, in PMD blocks of the running kernel (a "2m" variant is one block, a
 * "4m" variant two).
 */
struct hp_bo_variant {
	const char *name;
	const char *device;
	enum hp_placement placement;
	size_t blocks;
};

#define HP_BO_PLACED_VARIANT(fixture, dev, place, tag, nblocks, pl)		\
	FIXTURE_VARIANT_ADD(fixture, dev##_##place##_##tag) {			\
		.v = { .name = #dev "_" #place "_" #tag, .device = #dev,	\
		       .placement = (pl), .blocks = (nblocks) },		\
	}

#define HP_BO_VARIANT(fixture, dev, tag, nblocks)				\
	FIXTURE_VARIANT_ADD(fixture, dev##_##tag) {				\
		.v = { .name = #dev "_" #tag, .device = #dev,			\
		       .placement = HP_PLACE_DUMB, .blocks = (nblocks) },	\
	}

/*
 * The buffer sets of the target registry's bo column (HP_TARGETS in
 * hp_core.h): qemu, dumb buffers of one and two blocks (the devices QEMU
 * gives); vmw, those and one placed in system memory (TTM pool pages);
 * hw, the TTM drivers of real machines with two blocks dumb, placed in VRAM
 * (no struct pages behind the BAR) and in system memory; none, no DRM
 * buffers.
 */
#define HP_BO_SET_qemu(fixture, dev)						\
	HP_BO_VARIANT(fixture, dev, 2m, 1);					\
	HP_BO_VARIANT(fixture, dev, 4m, 2);
#define HP_BO_SET_vmw(fixture, dev)						\
	HP_BO_SET_qemu(fixture, dev)						\
	HP_BO_PLACED_VARIANT(fixture, dev, system, 4m, 2, HP_PLACE_SYSTEM);
#define HP_BO_SET_hw(fixture, dev)						\
	HP_BO_VARIANT(fixture, dev, 4m, 2);					\
	HP_BO_PLACED_VARIANT(fixture, dev, vram, 4m, 2, HP_PLACE_VRAM);		\
	HP_BO_PLACED_VARIANT(fixture, dev, system, 4m, 2, HP_PLACE_SYSTEM);
#define HP_BO_SET_none(fixture, dev)

/*
 * HP_BO_ONLY_<set>_<bo>: the rest when a row's bo column is <set>. Programs
 * that run one case per target take them by set (qemu, vmw, hw, none),
 * each in registry order: QEMU's devices before vmwgfx, whose races on a
 * vulnerable kernel may end the guest.
 */
#define HP_BO_ONLY_qemu_qemu(...) __VA_ARGS__
#define HP_BO_ONLY_qemu_vmw(...)
#define HP_BO_ONLY_qemu_hw(...)
#define HP_BO_ONLY_qemu_none(...)
#define HP_BO_ONLY_vmw_qemu(...)
#define HP_BO_ONLY_vmw_vmw(...) __VA_ARGS__
#define HP_BO_ONLY_vmw_hw(...)
#define HP_BO_ONLY_vmw_none(...)
#define HP_BO_ONLY_hw_qemu(...)
#define HP_BO_ONLY_hw_vmw(...)
#define HP_BO_ONLY_hw_hw(...) __VA_ARGS__
#define HP_BO_ONLY_hw_none(...)
#define HP_BO_ONLY_none_qemu(...)
#define HP_BO_ONLY_none_vmw(...)
#define HP_BO_ONLY_none_hw(...)
#define HP_BO_ONLY_none_none(...) __VA_ARGS__
#define HP_BO_ROW_qemu(fixture, dev, bo, ...) HP_BO_ONLY_qemu_##bo(HP_BO_SET_##bo(fixture, dev))
#define HP_BO_ROW_vmw(fixture, dev, bo, ...) HP_BO_ONLY_vmw_##bo(HP_BO_SET_##bo(fixture, dev))
#define HP_BO_ROW_hw(fixture, dev, bo, ...) HP_BO_ONLY_hw_##bo(HP_BO_SET_##bo(fixture, dev))

/*
 * Every target's buffer set, a new device being its row there: QEMU's
 * devices first (the default run's first cases are theirs), then vmwgfx's,
 * then those of real machines, each in registry order.
 */
#define HP_BO_VARIANTS(fixture)							\
	HP_TARGETS(HP_BO_ROW_qemu, fixture)					\
	HP_TARGETS(HP_BO_ROW_vmw, fixture)					\
	HP_TARGETS(HP_BO_ROW_hw, fixture)

/* Anonymous THP controls, in PMD blocks as the DRM variants. */
struct hp_anon_variant {
	const char *name;
	size_t blocks;
};

#define HP_ANON_VARIANT(fixture, tag, nblocks)					\
	FIXTURE_VARIANT_ADD(fixture, tag) {					\
		.v = { .name = #tag, .blocks = (nblocks) },			\
	}

#define HP_ANON_VARIANTS(fixture)						\
	HP_ANON_VARIANT(fixture, thp_2m, 1);				\
	HP_ANON_VARIANT(fixture, thp_4m, 2)

/*
 * FIXTURE_SETUP bodies: @call sets up self->t. A device that is absent is a
 * plain SKIP; one that is present but unusable (-ENXIO) also leaves an
 * UNTESTABLE record with the kernel's reason, so the report shows it.
 */
#define HP_SETUP_TARGET(call)							\
	do {									\
		int _ret = (call);						\
		if (_ret == -ENXIO)						\
			hp_case_untestable(&self->t.c, HP_M_NR, self->t.why);	\
		if (_ret)							\
			SKIP(return, "%s", self->t.why);			\
	} while (0)

#define HP_SETUP_DRM(test)							\
	HP_SETUP_TARGET(hp_target_drm(&self->t, (test), HP_FIXTURE_NAME(),	\
				      variant->v.name, _metadata->name,		\
				      variant->v.device, variant->v.placement,	\
				      variant->v.blocks * hp_pmd_size()))

#define HP_SETUP_ANON(test)							\
	HP_SETUP_TARGET(hp_target_anon(&self->t, (test), HP_FIXTURE_NAME(),	\
				       variant->v.name, _metadata->name,		\
				       variant->v.blocks * hp_pmd_size()))

/*
 * A fixture whose state is one target: @vtype variants added by @variants,
 * set up by the statement @setup, the target closed at teardown.
 */
#define HP_TARGET_FIXTURE(fixture, vtype, variants, setup)			\
	HP_TARGET_FIXTURE_OF(fixture, vtype, variants(fixture), setup)

/* The same with the variants' statements themselves. */
#define HP_TARGET_FIXTURE_OF(fixture, vtype, variant_adds, setup)		\
	FIXTURE(fixture) {							\
		struct hp_target t;						\
	};									\
	FIXTURE_VARIANT(fixture) {						\
		struct vtype v;							\
	};									\
	variant_adds;								\
	FIXTURE_SETUP(fixture)							\
	{									\
		setup;								\
	}									\
	FIXTURE_TEARDOWN(fixture)						\
	{									\
		hp_target_close(&self->t);					\
	}

/*
 * The two fixtures every pin test program declares, whole:
 *   drm_bo    a dumb or placed buffer per device and size (HP_BO_VARIANTS);
 *   anon_thp  anonymous THP memory, the control that must pin.
 * @test is the program name used in records.
 */
#define HP_DRM_BO_FIXTURE(test)							\
	HP_TARGET_FIXTURE(drm_bo, hp_bo_variant, HP_BO_VARIANTS, HP_SETUP_DRM(test))

#define HP_ANON_THP_FIXTURE(test)						\
	HP_TARGET_FIXTURE(anon_thp, hp_anon_variant, HP_ANON_VARIANTS, HP_SETUP_ANON(test))

/*
 * A buffer kind as a pin fixture (hp_target_kind()): variants TAG_2m and
 * TAG_4m, one and two PMD blocks as the anonymous controls.
 */
#define HP_KIND_FIXTURE(test, fixture, tag, kind)				\
	HP_TARGET_FIXTURE_OF(fixture, hp_anon_variant,				\
		HP_ANON_VARIANT(fixture, tag##_2m, 1);				\
		HP_ANON_VARIANT(fixture, tag##_4m, 2),				\
		HP_SETUP_TARGET(hp_target_kind(&self->t, (test), HP_FIXTURE_NAME(), \
					       variant->v.name, _metadata->name, (kind), \
					       variant->v.blocks * hp_pmd_size())))

struct hp_vfio_variant {
	const char *name;
	enum hp_level want;
};

#define HP_VFIO_VARIANT(fixture, tag, level)					\
	FIXTURE_VARIANT_ADD(fixture, tag) {					\
		.v = { .name = #tag, .want = (level) },				\
	}

/* BAR mappings a PMD, a PUD and (misaligned) only PTEs can map. */
#define HP_VFIO_VARIANTS(fixture)						\
	HP_VFIO_VARIANT(fixture, pmd, HP_LEVEL_PMD);				\
	HP_VFIO_VARIANT(fixture, pud, HP_LEVEL_PUD);				\
	HP_VFIO_VARIANT(fixture, misaligned, HP_LEVEL_PTE)

#define HP_SETUP_VFIO(test)							\
	HP_SETUP_TARGET(hp_target_vfio(&self->t, (test), HP_FIXTURE_NAME(),	\
				       variant->v.name, _metadata->name, variant->v.want))

/*
 * vfio_bar: BAR2 of ivshmem through vfio-pci (HP_VFIO_VARIANTS); absent
 * unless the run asked for the device (run.sh --devices vfio).
 */
#define HP_VFIO_BAR_FIXTURE(test)						\
	HP_TARGET_FIXTURE(vfio_bar, hp_vfio_variant, HP_VFIO_VARIANTS, HP_SETUP_VFIO(test))

/*
 * Every target a pin program pins, each with the program's tests of the
 * method table (HP_PIN_TESTS, named PRE TAG POST: read_into_bo): DRM
 * buffers, the VFIO BAR, the buffer kinds that need nothing but their kind
 * (DAX), and the anonymous THP control. A new buffer kind is one more
 * HP_KIND_FIXTURE line and its HP_PIN_TESTS line here, and every pin
 * program runs it.
 */
#define HP_PIN_FIXTURES(test)							\
	HP_DRM_BO_FIXTURE(test)							\
	HP_PIN_TESTS(drm_bo, bo)						\
	HP_VFIO_BAR_FIXTURE(test)						\
	HP_PIN_TESTS(vfio_bar, bar)						\
	HP_KIND_FIXTURE(test, dax, dax, HP_BUF_DAX)				\
	HP_PIN_TESTS(dax, dax)							\
	HP_ANON_THP_FIXTURE(test)						\
	HP_PIN_TESTS(anon_thp, thp)

/*
 * Harnesses from 6.9 keep the outcome in _metadata->exit_code, have XFAIL()
 * and stop after a SKIP in FIXTURE_SETUP; older ones (6.1) have no XFAIL,
 * keep a skip flag and run the test body after a setup SKIP.
 */
#ifdef XFAIL
#define HP_XFAIL(statement, fmt, ...) XFAIL(statement, fmt, ##__VA_ARGS__)
#define HP_SETUP_SKIPPED() false
#else
#define HP_XFAIL(statement, fmt, ...) SKIP(statement, "XFAIL: " fmt, ##__VA_ARGS__)
#define HP_SETUP_SKIPPED() (_metadata->skip)
#endif

/*
 * Test body: sweep the fixture's mapping through @method, destroy a DRM
 * buffer under the detectors, and conclude.
 * Unexpected VULNERABLE or errno: not ok. Expected VULNERABLE: XFAIL. No
 * pin judged at all: SKIP with the first reason. Otherwise ok.
 */
#define HP_SWEEP(method)							\
	do {									\
		struct hp_case_tally _tally;					\
		struct hp_result _rel;						\
		if (HP_SETUP_SKIPPED())						\
			return;							\
		hp_case_sweep(&self->t.c, self->t.sweep_len, (method), &_tally); \
		if (hp_target_release(&self->t, (method), &_rel))		\
			hp_case_tally_add(&_tally, &self->t.c, _rel.verdict, &_rel); \
		if (_tally.unexpected_err || _tally.vulnerable) {		\
			EXPECT_EQ(0, _tally.unexpected_err) {			\
				TH_LOG("unexpected errno: %s", _tally.bad);	\
			}							\
			EXPECT_EQ(0, _tally.vulnerable) {			\
				TH_LOG("VULNERABLE: %s", _tally.bad);		\
			}							\
			return;							\
		}								\
		if (_tally.expected)						\
			HP_XFAIL(return, "%s", _tally.xfail);			\
		if (!_tally.safe)						\
			SKIP(return, "%s", _tally.skip);			\
	} while (0)

/*
 * One test per method of the table (HP_METHODS in hp_core.h) whose row names
 * this program, over @fixture (drm_bo, vfio_bar, dax or anon_thp), each a
 * HP_SWEEP of its method named pre ## tag ## post (read_into_bo). A program
 * takes its own rows by redefining its HP_PIN_TEST_IN_<program> as
 * HP_PIN_TEST_DEFINE before HP_PIN_TESTS:
 *   #undef HP_PIN_TEST_IN_pin_odirect
 *   #define HP_PIN_TEST_IN_pin_odirect HP_PIN_TEST_DEFINE
 * so a new method reaches the program of its row with no edit there.
 */
#define HP_PIN_TEST_DEFINE(fixture, tname, method)				\
	TEST_F(fixture, tname)							\
	{									\
		HP_SWEEP(method);						\
	}
#define HP_PIN_TEST_IN_pin_odirect(fixture, tname, method)
#define HP_PIN_TEST_IN_pin_iouring(fixture, tname, method)
#define HP_PIN_TEST_IN_pin_vmsplice(fixture, tname, method)
#define HP_PIN_TEST_IN_pin_procvm(fixture, tname, method)
#define HP_PIN_TEST_IN_none(fixture, tname, method)
#define HP_PIN_TEST_ROW(fixture, tag, value, program, pre, post)		\
	HP_PIN_TEST_IN_##program(fixture, pre##tag##post, value)
/* @ft is (fixture, tag); one more step so both are plain tokens where they are pasted. */
#define HP_PIN_FT_FIXTURE(fixture, tag) fixture
#define HP_PIN_FT_TAG(fixture, tag) tag
#define HP_PIN_TEST_FT(ft, value, mname, head, flow, storage, uring, hold, program, pre, post, ...) \
	HP_PIN_TEST_FT2(HP_PIN_FT_FIXTURE ft, HP_PIN_FT_TAG ft, value, program, pre, post)
#define HP_PIN_TEST_FT2(fixture, tag, value, program, pre, post)		\
	HP_PIN_TEST_ROW(fixture, tag, value, program, pre, post)
#define HP_PIN_TESTS(fixture, tag) HP_METHODS_WITH(HP_PIN_TEST_FT, (fixture, tag))

/*
 * The kselftest tiers of any _hp_op() call (hp_sys.h): success asserted (the
 * test stops) or expected, or one errno expected; a failure names the call
 * and what it returned.
 */
#define HP_ASSERT_OK(call) ASSERT_EQ(0, HP_OP(call))
#define HP_EXPECT_OK(call) EXPECT_EQ(0, HP_OP(call))
#define HP_EXPECT_ERR(err, call)						\
	do {									\
		int _hp_ret = (call);						\
		EXPECT_EQ(-(err), _hp_ret)					\
			TH_LOG("%s: %s, expected %s", #call,			\
			       _hp_ret ? strerror(-_hp_ret) : "success", strerror(err)); \
	} while (0)

/* The fixture name as the harness knows it, for case names. */
#define HP_FIXTURE_NAME() (_metadata->fixture->name)

#endif
