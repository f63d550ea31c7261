/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hugepin reference module client: load /dev/hugepin_ref, create and map its
 * buffers, read which page-table level and fault path backs them, evict them
 * and read the module's refcount report, and run one judged pin of such a
 * buffer in the case frame of hp_case.h (its buffer kind's after-pin check
 * is the eviction report).
 *
 * Tiers as in hp_sys.h: _hp_refmod_op() returns 0 or -errno and never prints.
 */
#ifndef HP_REFMOD_H
#define HP_REFMOD_H

#include <stdbool.h>
#include <stdint.h>
#include "hp_case.h"
#include "hp_core.h"
#include "hp_sys.h"
#include "hugepin_ref_uapi.h"

/* The target name (harness/targets.c) of buffers in the module's device memory. */
#define HP_REF_VRAM "hugepin_vram"

struct hp_refmod {
	int fd;				/* /dev/hugepin_ref, -1 when closed */
	struct hugepin_ref_caps caps;
	bool loaded;			/* this process inserted the module */
};

/*
 * Open /dev/hugepin_ref, inserting the module first when it is not loaded:
 * from $HUGEPIN_REF_KO, else from ../module/hugepin_ref.ko next to this
 * program's directory (the build tree's layout), via finit_module(2).
 * Returns 0, or -errno with a one-line reason in @why: -ENOENT no .ko found,
 * -EPERM not allowed to load modules, -ENOEXEC the .ko is for another kernel,
 * -EOPNOTSUPP the module refused this kernel (see dmesg).
 */
int hp_refmod_open(struct hp_refmod *r, char *why, size_t len);
void hp_refmod_close(struct hp_refmod *r);
/*
 * What a selftest fixture over the module's buffers sets up: the module
 * opened as hp_refmod_open() does (its result), with pte_only cleared (a run
 * cut short may have left it set), and O_DIRECT storage of @scratch_bytes in
 * @s, whose fd is -1 when there is none (the methods needing it then end
 * UNTESTABLE with the reason).
 */
int hp_refmod_fixture(struct hp_refmod *r, struct hp_scratch *s, off_t scratch_bytes,
		      char *why, size_t len);

/*
 * Test hooks (module/hugepin_ref_hooks.c), for the detector controls only.
 * hp_refmod_hooks(): whether the loaded module has them on (1/0, -errno when
 * it is not loaded). hp_refmod_reload(): unload the module and load it again
 * with test_hooks=1 or without (0 or -errno, reason in @why).
 * hp_refmod_open_hooks(): hp_refmod_open() of a module with the hooks on,
 * reloading it first when they are off.
 * _hp_refmod_test(): one HUGEPIN_REF_TEST_* operation @op on @t (size, op
 * and pad filled in here); -ENOTTY on a normal load.
 */
int hp_refmod_hooks(void);
int hp_refmod_reload(bool hooks, char *why, size_t len);
int hp_refmod_open_hooks(struct hp_refmod *r, char *why, size_t len);
int _hp_refmod_test(const struct hp_refmod *r, uint32_t op, struct hugepin_ref_test *t);

/* ioctls; @out's size field is filled in here. */
int _hp_refmod_caps(const struct hp_refmod *r, struct hugepin_ref_caps *out);
int _hp_refmod_create(const struct hp_refmod *r, uint64_t length, uint32_t flags,
		      struct hugepin_ref_create *out);
int _hp_refmod_destroy(const struct hp_refmod *r, uint32_t id);
int _hp_refmod_info(const struct hp_refmod *r, uint32_t id, struct hugepin_ref_info *out);
/*
 * The references the kernel counts on the pages behind [addr, addr + len)
 * of this process (HUGEPIN_REF_IOC_PAGEREFS, as many calls as it takes):
 * 0 with *refs set, or -errno (-ENOTTY: a module without the query).
 */
int _hp_refmod_pagerefs(const struct hp_refmod *r, const void *addr, size_t len,
			long long *refs);
int _hp_refmod_evict(const struct hp_refmod *r, uint32_t id, uint32_t flags,
		     struct hugepin_ref_evict *out);

/*
 * Map all of buffer @bo shared, read/write, at an address aligned to its
 * block size and with MADV_HUGEPAGE (so the blocks can be mapped by PMDs
 * under THP "madvise" too). 0 or -errno.
 */
int _hp_refmod_map(const struct hp_refmod *r, const struct hugepin_ref_create *bo,
		   struct hp_map *m);
/*
 * Write-touch every page of @m (only the first where @m's blocks are larger
 * than a PMD: a PUD maps them whole), then read the buffer's info. 0 or -errno.
 */
int _hp_refmod_fault(const struct hp_refmod *r, uint32_t id, struct hp_map *m,
		     struct hugepin_ref_info *info);

enum hp_level hp_refmod_level(uint32_t level);	/* enum hugepin_ref_level -> hp_level */
const char *hp_refmod_path_name(uint32_t path);	/* "huge_fault", "fault-pmd", "pte", "none" */

/* The pte_only parameter: @set < 0 reads it. Returns 0/1, or -errno. */
int hp_refmod_pte_only(int set);

/*
 * A successful pin is a known limitation of this kernel when it has no PMD
 * special bit; @why then says so.
 */
bool hp_refmod_vuln_expected(const struct hp_refmod *r, const char **why);

/* One line: "16 of 512 pages off: page 0 ref 16 (want 1), page 1 ref -1 (want 0), ..." */
void hp_refmod_evict_describe(const struct hugepin_ref_evict *e, char *buf, size_t len);

/* ---- judged pins ---- */

struct hp_refmod_case {
	const char *test;		/* program name */
	const char *name;		/* fixture.variant.test */
	uint32_t create_flags;		/* HUGEPIN_REF_CREATE_* */
	size_t size;			/* buffer bytes */
	size_t offset;			/* pin start within the buffer */
	size_t len;			/* pin bytes */
	bool huge_required;		/* UNTESTABLE unless a PMD/PUD backs it */
	bool pud_required;		/* with huge_required: unless a PUD backs it */
	size_t sweep_len;		/* hp_refmod_sweep(): offsets in the first bytes (0: all) */
	bool never_expected;		/* VULNERABLE is a failure on any kernel (PTE mappings) */
	struct hp_scratch *scratch;	/* O_DIRECT storage (fd may be -1) */
	const char *not_run_why;	/* set: record UNTESTABLE for this reason, touch nothing */
};

/* What one judged pin saw, beyond the record. */
struct hp_refmod_outcome {
	struct hugepin_ref_info info;	/* after the touch, before the pin */
	struct hugepin_ref_evict evict;	/* the eviction report after the pin */
	bool evicted;
};

/*
 * A case over the module's buffers named @name: device hugepin_ref (or the
 * device memory's name), owner the driver, a VULNERABLE expected unless
 * @never_expected where the kernel has no PMD special bit.
 */
void hp_refmod_case_init(struct hp_case *hc, const struct hp_refmod *r, const char *test,
			 const char *name, uint32_t create_flags, bool never_expected);

/*
 * In one case frame (hp_case.h): create a buffer (HP_BUF_REF), map and
 * touch it, check the level, then around one pin of
 * [offset, offset+len) through @m: record start, kernel-log marker, the pin,
 * eviction with the module's refcount check, detectors, verdict (owner
 * HP_OWNER_DRIVER, device "hugepin_ref", expected from the caps), record,
 * and a "# hugepin_ref method +offset: VERDICT evidence" line. Everything
 * created is torn down. Returns the verdict; @out and @oc may be NULL.
 */
enum hp_verdict hp_refmod_run_pin(const struct hp_refmod *r, const struct hp_refmod_case *c,
				  enum hp_method m, struct hp_result *out,
				  struct hp_refmod_outcome *oc);

/*
 * hp_refmod_run_pin() of HP_CASE_PIN_LEN bytes at the hp_case_offset()
 * offsets of every PMD block of a c->size buffer (c->offset and
 * c->len are ignored), tallied as hp_case_sweep() does. Offset 0 matters on
 * 6.1: fast GUP takes the folio of the first subpage, so a pin starting on a
 * tail page of a non-compound block fails where one on its head succeeds.
 */
void hp_refmod_sweep(const struct hp_refmod *r, const struct hp_refmod_case *c,
		     enum hp_method m, struct hp_case_tally *t);

#endif
