/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hugepin core: the vocabulary every hugepin program shares.
 *
 * A test case pins a user mapping through one pin method (O_DIRECT, io_uring,
 * vmsplice, ...), runs the detectors around it and ends in one verdict. The
 * types here are pure data and pure rules, so the host-side report tools and
 * the unit tests use them without touching a device.
 */
#ifndef HP_CORE_H
#define HP_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum hp_verdict {
	HP_SAFE,
	HP_VULNERABLE,
	HP_UNTESTABLE,
};

/* Page-table level that backs a mapping, as far as the kernel lets us see. */
enum hp_level {
	HP_LEVEL_UNKNOWN,
	HP_LEVEL_PTE,
	HP_LEVEL_PMD,
	HP_LEVEL_PUD,
};

/*
 * Whether the entry backing a mapping carried the architecture's special
 * bit, as the walk module saw it: NO also where the kernel has no such bit
 * at that level (PMDs and PUDs before 6.12).
 */
enum hp_special {
	HP_SPECIAL_UNKNOWN,
	HP_SPECIAL_NO,
	HP_SPECIAL_YES,
};

/*
 * The pin methods, one row each, the method table:
 *   X(value, name, head, flow, needs_storage, uring, can_hold, program, pre, post, vma)
 * name is the records' method, head its column in the report's grid (short
 * enough for ten methods on one terminal line); flow, needs_storage, uring and can_hold as
 * in struct hp_method_info; program is the pin selftest that runs it (none:
 * only the sweeps over every method run it), its tests named
 * pre ## tag ## post around a fixture's tag (read_into_bo, read_bo_remotely);
 * vma is true where the pin is one call of the process that owns the
 * mapping, with no io_uring ring, second process or test ioctl: pfnmap_vma's
 * VMA cases (fork, split, mremap) pin through these, and the read-only ones
 * (flow HP_FLOW_OUT) also pin its huge zero page.
 * enum hp_method, the table of names.c and every selftest's per-method tests
 * (HP_PIN_TESTS in hp_case.h, hugepfn_ref) are made from these rows: a new
 * method is one row here and its body in harness/pin.c.
 */
#define HP_METHOD_ROWS(X, a)							\
	/* pread() from an O_DIRECT fd into the mapping */			\
	X(a, HP_M_ODIRECT_READ, odirect_read, "dio-rd", HP_FLOW_INTO, true, false, false,	\
	  pin_odirect, read_into_, , true)						\
	/* pwrite() from the mapping to an O_DIRECT fd */			\
	X(a, HP_M_ODIRECT_WRITE, odirect_write, "dio-wr", HP_FLOW_OUT, true, false, false,	\
	  pin_odirect, write_from_, , true)						\
	/* io_uring_register_buffers() of the mapping */			\
	X(a, HP_M_IOURING_REG, iouring_reg, "uring-reg", HP_FLOW_NONE, false, true, true,	\
	  pin_iouring, register_, , false)						\
	/* READ_FIXED into a registered mapping */				\
	X(a, HP_M_IOURING_FIXED_READ, iouring_fixed_read, "uring-frd", HP_FLOW_INTO, true, true, \
	  false, pin_iouring, read_fixed_into_, , false)				\
	/* WRITE_FIXED from a registered mapping */				\
	X(a, HP_M_IOURING_FIXED_WRITE, iouring_fixed_write, "uring-fwr", HP_FLOW_OUT, true, true, \
	  false, pin_iouring, write_fixed_from_, , false)				\
	/* plain io_uring O_DIRECT read, no registration */			\
	X(a, HP_M_IOURING_READ, iouring_read, "uring-rd", HP_FLOW_INTO, true, true, false,	\
	  pin_iouring, read_into_, , false)						\
	/* vmsplice() of the mapping into a pipe */				\
	X(a, HP_M_VMSPLICE, vmsplice, "vmsplice", HP_FLOW_OUT, false, false, true,		\
	  pin_vmsplice, splice_, , true)						\
	/* process_vm_readv() from a second process */				\
	X(a, HP_M_PROCVM_READ, procvm_read, "procvm-rd", HP_FLOW_OUT, false, false, false,	\
	  pin_procvm, read_, _remotely, false)						\
	/* process_vm_writev() from a second process */				\
	X(a, HP_M_PROCVM_WRITE, procvm_write, "procvm-wr", HP_FLOW_INTO, false, false, false,	\
	  pin_procvm, write_, _remotely, false)					\
	/* CONFIG_GUP_TEST PIN_FAST_BENCHMARK ioctl */				\
	X(a, HP_M_GUP_TEST, gup_test, "gup_test", HP_FLOW_NONE, false, false, false, none, , , false)

/*
 * HP_METHODS(X): X(value, mname, ...) for each row; HP_METHODS_WITH(X, a):
 * X(a, value, mname, ...), for tables made per fixture (HP_PIN_TESTS).
 */
#define HP_METHOD_NOARG(X, ...) X(__VA_ARGS__)
#define HP_METHODS(X) HP_METHOD_ROWS(HP_METHOD_NOARG, X)
#define HP_METHODS_WITH(X, a) HP_METHOD_ROWS(X, a)

/*
 * For the tables' boolean columns: the rest when the column is true (1 where
 * a table passes through one more macro, which expands stdbool's true).
 */
#define HP_IF_true(...) __VA_ARGS__
#define HP_IF_false(...)
#define HP_IF_1(...) __VA_ARGS__
#define HP_IF_0(...)

#define HP_METHOD_ENUM(value, ...) value,
enum hp_method {
	HP_METHODS(HP_METHOD_ENUM)
	HP_M_NR,
};

/* Who owns the pages behind a mapping: decides whether a successful pin is damage. */
enum hp_owner {
	HP_OWNER_PAGES,		/* anon, shmem, page-backed GEM: pins are refcounted */
	HP_OWNER_DRIVER,	/* TTM or the reference module: kernel must not reference */
};

const char *hp_verdict_name(enum hp_verdict v);	/* "SAFE", ... */
int hp_verdict_parse(const char *s, enum hp_verdict *v);	/* 0 or -EINVAL */
const char *hp_level_name(enum hp_level l);		/* "unknown","pte","pmd","pud" */
int hp_level_parse(const char *s, enum hp_level *l);
/* Which way a pin method moves the bytes of the pinned range. */
enum hp_flow {
	HP_FLOW_NONE,		/* it only pins: io_uring registration, gup_test */
	HP_FLOW_INTO,		/* into the range: O_DIRECT and io_uring reads, process_vm_writev */
	HP_FLOW_OUT,		/* out of it: O_DIRECT and io_uring writes, vmsplice, process_vm_readv */
};

struct hp_method_info {
	const char *name;	/* "odirect_read", ...: the records' method */
	const char *head;	/* "dio-rd": the report grid's column */
	enum hp_flow flow;	/* the other end is the O_DIRECT storage with needs_storage, else memory */
	bool needs_storage;	/* I/O against the O_DIRECT scratch storage */
	bool uring;		/* needs io_uring (and liburing at build time) */
	bool can_hold;		/* the pin can be held open (a pipe, a registered buffer) */
};
/* The method table (names.c); NULL past HP_M_NR. */
const struct hp_method_info *hp_method_info(enum hp_method m);
const char *hp_method_name(enum hp_method m);		/* "odirect_read", ... */
int hp_method_parse(const char *s, enum hp_method *m);
/*
 * Parse "odirect_read,vmsplice" or "all" into a bitmask of (1u << method),
 * by hp_list_mask()'s rules; @bad (may be NULL) gets the item refused.
 */
int hp_methods_parse(const char *list, unsigned int *mask, char *bad, size_t badlen);
/*
 * The method names, space separated, lines of at most @width characters,
 * each after the first opened by "\n" and @indent: for --help texts.
 */
void hp_method_names(char *buf, size_t len, const char *indent, size_t width);

/* ---- kernel log scanning (kmsg.c) ---- */

enum hp_splat {
	HP_SPLAT_BUG		= 1u << 0,	/* "BUG:", "kernel BUG at" */
	HP_SPLAT_OOPS		= 1u << 1,	/* "Oops:" */
	HP_SPLAT_WARNING	= 1u << 2,	/* "WARNING:" */
	HP_SPLAT_BAD_PAGE	= 1u << 3,	/* "Bad page state", "Bad page map" */
	HP_SPLAT_VM_BUG		= 1u << 4,	/* VM_BUG_ON*, "page dumped because" */
	HP_SPLAT_REFCOUNT	= 1u << 5,	/* "refcount_t: underflow", saturation */
	HP_SPLAT_KASAN		= 1u << 6,	/* "BUG: KASAN:" */
	HP_SPLAT_GPF		= 1u << 7,	/* "general protection fault" */
	HP_SPLAT_PANIC		= 1u << 8,	/* "Kernel panic - not syncing" */
	HP_SPLAT_HUNG		= 1u << 9,	/* "blocked for more than", soft lockup */
};

/*
 * Classify one kernel log line (with or without the "[  1.23]" or
 * "<4>...;" kmsg prefix). Returns a mask of enum hp_splat, 0 for a quiet line.
 */
unsigned int hp_kmsg_classify(const char *line);
/* True when the splat mask points at page refcounting / GUP damage. */
bool hp_splat_is_page_damage(unsigned int mask, const char *text);
/*
 * True when @line is an oops's "RIP: seg:function+off/len" line whose
 * function is page refcounting or GUP code (the words that make a generic
 * splat page damage); the function name goes to @fn.
 */
bool hp_fault_site_is_page_code(const char *line, char *fn, size_t len);
const char *hp_splat_name(unsigned int mask);	/* name of the lowest bit set */

/* Taint bits that mean damage (die, warn, bad page, ...), as a mask of 1u << bit. */
#define HP_TAINT_DAMAGE_MASK ((1ul << 4) | (1ul << 5) | (1ul << 7) | (1ul << 9) | (1ul << 14))
/* Taint bits set by loading an out-of-tree/unsigned module: ignored. */
#define HP_TAINT_MODULE_MASK ((1ul << 12) | (1ul << 13) | (1ul << 0) | (1ul << 1))
/* Render taint bits the way /proc/sys/kernel/tainted's letters do ("B W D"). */
void hp_taint_describe(unsigned long bits, char *buf, size_t len);

/* ---- evidence and verdict rules (verdict.c) ---- */

struct hp_evidence {
	enum hp_owner owner;
	bool huge_required;	/* the case means nothing without a huge mapping */
	enum hp_level level;	/* level seen backing the mapping */
	enum hp_special special; /* its special bit */
	const char *level_why;	/* why the level is unknown, when that is known */
	bool attempted;		/* the pin was tried at all */
	const char *untestable_why; /* set when the case could not run */
	int pin_err;		/* 0: pin succeeded, else a positive errno */
	long bytes;		/* bytes moved when it succeeded */
	/* detectors */
	unsigned int splats;	/* mask of enum hp_splat seen since the marker */
	char splat_line[160];	/* first splat line */
	unsigned long taint_new; /* damage taint bits that appeared */
	long pin_leak;		/* nr_foll_pin_acquired - released delta; 0 balanced */
	long canary_bad;	/* canary bytes changed through a dangling pin */
	long extra_refs;	/* pages with extra references (reference module) */
	long page_refs_off;	/* page references after the pin's release less before (DAX) */
	bool vuln_expected;	/* a VULNERABLE is a known limitation of this kernel */
	const char *expected_why; /* e.g. "no PMD special bit" */
};

/*
 * The verdict rules of DESIGN.md. Fills @why with one line of evidence
 * (method-independent part: errno or bytes, detector findings, mapping level).
 */
enum hp_verdict hp_decide(const struct hp_evidence *ev, char *why, size_t len);
/*
 * The same for a step that pins nothing but can set the detectors off: the
 * destruction of a buffer after its pins (TTM checks and frees the pages
 * then). @what names the step. VULNERABLE when a detector fired, else SAFE.
 */
enum hp_verdict hp_decide_step(const struct hp_evidence *ev, const char *what, char *why,
			       size_t len);

/* ---- per-case result records (record.c) ---- */

#define HP_NAME_LEN 64
#define HP_TEXT_LEN 384

struct hp_result {
	char test[HP_NAME_LEN];		/* program: pin_odirect */
	char name[2 * HP_NAME_LEN];	/* case: fixture.variant.test */
	char device[HP_NAME_LEN];	/* bochs, qxl, virtio_gpu, vgem, hugepin_ref, anon */
	char driver[HP_NAME_LEN];	/* kernel driver name */
	char method[HP_NAME_LEN];	/* hp_method_name() or "-" */
	char level[16];			/* hp_level_name() */
	char special[4];		/* "yes", "no"; "" when not seen */
	enum hp_verdict verdict;
	bool expected;			/* VULNERABLE that is expected for this kernel */
	int err;			/* errno of the pin, 0 if it succeeded */
	long bytes;
	char evidence[HP_TEXT_LEN];	/* one line */
	char control[32];		/* a detector control: the detector it proves, else "" */
};

/*
 * The detector controls (selftests/detector_controls.c) make each detector
 * fire on purpose. Their records name the detector in "control"; every
 * record of their program is the controls' own, never a finding about the
 * kernel. A control record is VULNERABLE when its detector fired, SAFE when
 * it did not (the detector is blind), UNTESTABLE when it could not run.
 */
#define HP_CONTROL_TEST "detector_controls"
#define HP_CONTROL_KMSG "kernel-log"
#define HP_CONTROL_REFCOUNT "refcount"
#define HP_CONTROL_PINS "pin-accounting"
#define HP_CONTROL_CANARY "canary"
#define HP_CONTROL_LEVEL "level"
#define HP_CONTROL_PAGEREFS "page-refs"

/*
 * One detector (detectors.c): the name its control's records carry, what it
 * watches, its control in detector_controls and what that does, and which
 * records it backs: @backs says whether a SAFE @r rests on it.
 */
struct hp_detector {
	const char *name;
	const char *watches;
	const char *control;
	const char *control_does;
	const char *backs_what;
	bool (*backs)(const struct hp_result *r);
};

/* The rows in order, NULL past the end; one by name, NULL when unknown. */
const struct hp_detector *hp_detector_at(size_t i);
const struct hp_detector *hp_detector_find(const char *name);
/* The README's detector table, Markdown, into @buf; returns its length. */
size_t hp_detector_table_md(char *buf, size_t len);

/*
 * One record is one line of JSON:
 *   {"type":"result","test":...,"name":...,"device":...,"driver":...,
 *    "method":...,"level":...,"verdict":"SAFE","expected":false,
 *    "err":14,"bytes":0,"evidence":"...",["special":"no",]["control":"kernel-log"]}
 * and a case start is announced by
 *   {"type":"start","test":...,"name":...,"device":...,"method":...}
 * where device and method are those of the records the case will write
 * ("-" when the case covers several, as drm_repro's race does), so a case
 * the guest dies in still has them. Once its mapping is set up and its
 * level seen, just before the pin, a case may say so:
 *   {"type":"mapped","test":...,"name":...,"level":"pmd"[,"special":"no"]}
 * so a case the guest dies in still shows the level it died at.
 */
int hp_record_format(const struct hp_result *r, char *buf, size_t len);
int hp_record_format_start(const char *test, const char *name, const char *device,
			   const char *method, char *buf, size_t len);
int hp_record_format_mapped(const char *test, const char *name, enum hp_level level,
			    enum hp_special special, char *buf, size_t len);
/* "yes", "no", or "" for HP_SPECIAL_UNKNOWN. */
const char *hp_special_name(enum hp_special s);
/*
 * Parse one line. Returns 1 for a result, 2 for a start (test, name, device
 * and method set; "-" for those an older start record lacks), 3 for a
 * mapped record (test, name, level and special set), -EINVAL.
 */
int hp_record_parse(const char *line, struct hp_result *r);

/*
 * The kernel-log side of the guest/host protocol (the shell's side is
 * host/vm/protocol.sh): a case opens with "hugepin: start <test> <name>",
 * which the host reads from the serial console to attribute a crash, and a
 * detector window with "hugepin: marker <test> <name> <tag>". The scanner
 * skips every line with HP_MARK_PREFIX: those are ours.
 */
#define HP_MARK_PREFIX "hugepin: "
/*
 * The start of a case goes to the log at KERN_NOTICE: run.sh's console
 * (loglevel=6) shows it, once per case however many offsets it sweeps; a
 * console shared with the test output (LAVA, loglevel=5) does not, so it
 * never splits a result line there. A detector window's marker is for the
 * /dev/kmsg reader alone: KERN_INFO, on no console (every console line
 * costs time under TCG).
 */
#define HP_MARK_LEVEL "<5>"
#define HP_MARK_WINDOW_LEVEL "<6>"
#define HP_MARK_START HP_MARK_PREFIX "start "
#define HP_MARK_WINDOW HP_MARK_PREFIX "marker "

/*
 * Emit records where the runner wants them: the path in $HUGEPIN_RECORDS
 * (the guest's virtio-serial port), opened once, one write() per line.
 * No-op when unset. Start records also go to /dev/kmsg as HP_MARK_START
 * "<test> <name>" so a crash can be attributed from the console.
 */
void hp_record_start(const char *test, const char *name, const char *device, const char *method);
/* The level (and special bit) case @test/@name is about to pin at; nothing when unknown. */
void hp_record_mapped(const char *test, const char *name, enum hp_level level,
		      enum hp_special special);
void hp_record_emit(const struct hp_result *r);

/* Why the reference module's damage is expected on a kernel without the bit. */
#define HP_WHY_NO_PMD_SPECIAL "no PMD special bit"

/* Exit code of a program that could test nothing: kselftest's KSFT_SKIP. */
#define HP_EXIT_SKIP 4

/* ---- memory targets (targets.c) ---- */

enum hp_mem_kind {
	HP_MEM_CONTROL,	/* anonymous, shmem, hugetlb, page cache: no pfn mapping */
	HP_MEM_PAGES,	/* GEM shmem: pfn entries over pages the kernel refcounts */
	HP_MEM_DRIVER,	/* TTM, the reference module: pages the kernel must not reference */
	HP_MEM_UNKNOWN,	/* depends on the device (i915: TTM only for local memory) */
};

struct hp_target_info {
	const char *name;	/* as records name the device: "bochs", "virtio_gpu" */
	enum hp_mem_kind kind;
	const char *path;	/* bug path of a huge entry over it; NULL: "<name> huge pfn" */
	bool by_level;		/* the path is named per level: " PMD", " PUD" */
	bool huge;		/* has a huge pfn path on some kernel */
	bool ttm;		/* its buffer objects are TTM objects on every kernel */
	bool drm;		/* a DRM driver drm_repro --device takes by name */
	struct {
		unsigned int vendor;	/* 0 ends the list */
		int device;		/* -1: any */
	} pci[2];		/* PCI display devices its driver takes */
};

/*
 * The target registry, one row per memory target the records name:
 *   X(arg, name, bo, evict, fields...)
 * fields are the struct hp_target_info initializers after the name; bo is
 * the set of DRM buffer variants every pin program runs on it (HP_BO_SET_*
 * in hp_case.h: qemu, vmw, hw, none); evict says evict_race runs drm_repro
 * on it. @arg is passed through to X. harness/targets.c, the pin programs'
 * drm_bo variants and evict_race's devices are made from these rows, so a
 * new target is one row here. Drivers first, then the GEM shmem devices,
 * then the controls.
 */
#define HP_TARGETS(X, arg)							\
	/* SVGA II (also QEMU's vmware-svga), SVGA 3 */				\
	X(arg, vmwgfx, vmw, true, .kind = HP_MEM_DRIVER, .path = "vmwgfx (TTM huge fault)", \
	  .huge = true, .ttm = true, .drm = true,				\
	  .pci = { { 0x15ad, 0x0405 }, { 0x15ad, 0x0406 } })			\
	/* huge pfn PMDs over driver-owned pages on any kernel */		\
	X(arg, hugepin_ref, none, true, .kind = HP_MEM_DRIVER, .path = "hugepin_ref", \
	  .by_level = true, .huge = true)					\
	/*									\
	 * The reference module's device memory: a PCI BAR, no struct pages.	\
	 * Where it is missing, hugepin_ref's own note says why.		\
	 */									\
	X(arg, hugepin_vram, none, false, .kind = HP_MEM_DRIVER, .path = "hugepin_ref VRAM", \
	  .by_level = true)							\
	/*									\
	 * A PCI BAR through vfio-pci (QEMU's ivshmem): huge faults from 6.12,	\
	 * where run.sh's guests have it; evict_race races it (drm_repro	\
	 * --device vfio). Not counted as a huge path every run is missing.	\
	 */									\
	X(arg, vfio, none, true, .kind = HP_MEM_DRIVER, .path = "vfio-pci BAR", .by_level = true) \
	/*									\
	 * DAX (device DAX, fsdax): PMDs over pages the kernel refcounts (devmap, \
	 * folios since 6.15), so pinning them is right. Like the controls it is \
	 * no huge pfn mapping the bug could show on: it never counts as one.	\
	 */									\
	X(arg, dax, none, false, .kind = HP_MEM_CONTROL)			\
	/* QEMU std VGA */							\
	X(arg, bochs, qemu, true, .kind = HP_MEM_DRIVER, .ttm = true, .drm = true, \
	  .pci = { { 0x1234, 0x1111 } })					\
	X(arg, qxl, qemu, true, .kind = HP_MEM_DRIVER, .ttm = true, .drm = true, \
	  .pci = { { 0x1b36, 0x0100 } })					\
	/* radeon for pre-GCN parts */						\
	X(arg, amdgpu, hw, true, .kind = HP_MEM_DRIVER, .ttm = true, .drm = true, \
	  .pci = { { 0x1002, -1 } })						\
	X(arg, radeon, hw, false, .kind = HP_MEM_DRIVER, .ttm = true, .drm = true) \
	X(arg, nouveau, hw, false, .kind = HP_MEM_DRIVER, .ttm = true, .drm = true, \
	  .pci = { { 0x10de, -1 } })						\
	X(arg, vboxvideo, none, false, .kind = HP_MEM_DRIVER, .ttm = true,	\
	  .pci = { { 0x80ee, 0xbeef } })					\
	X(arg, hibmc, none, false, .kind = HP_MEM_DRIVER, .ttm = true, .drm = true, \
	  .pci = { { 0x19e5, 0x1711 } })					\
	X(arg, xe, none, false, .kind = HP_MEM_DRIVER, .ttm = true)		\
	/* i915 uses TTM only for device-local memory: drm.c decides per device. */ \
	X(arg, i915, none, false, .kind = HP_MEM_UNKNOWN, .drm = true, .pci = { { 0x8086, -1 } }) \
	/* TTM through the VRAM helper before 5.10, shmem after: not guessed. */ \
	X(arg, ast, none, false, .kind = HP_MEM_UNKNOWN, .drm = true)		\
	X(arg, mgag200, none, false, .kind = HP_MEM_UNKNOWN, .drm = true)	\
	X(arg, vgem, qemu, true, .kind = HP_MEM_PAGES, .drm = true)		\
	X(arg, virtio_gpu, qemu, true, .kind = HP_MEM_PAGES, .drm = true,	\
	  .pci = { { 0x1af4, 0x1050 } })					\
	X(arg, anon, none, false, .kind = HP_MEM_CONTROL)			\
	X(arg, anon_thp, none, false, .kind = HP_MEM_CONTROL)			\
	X(arg, shmem, none, false, .kind = HP_MEM_CONTROL)			\
	X(arg, shmem_thp, none, false, .kind = HP_MEM_CONTROL)			\
	X(arg, memfd, none, false, .kind = HP_MEM_CONTROL)			\
	X(arg, hugetlb, none, false, .kind = HP_MEM_CONTROL)			\
	X(arg, hugetlb_1g, none, false, .kind = HP_MEM_CONTROL)			\
	X(arg, pagecache, none, false, .kind = HP_MEM_CONTROL)

/* The target called @name, or NULL. */
const struct hp_target_info *hp_target_info(const char *name);
/* The @i-th target, NULL past the end: the whole registry in order. */
const struct hp_target_info *hp_target_at(size_t i);
/* The target whose driver would take PCI device @vendor:@device, or NULL. */
const struct hp_target_info *hp_target_by_pci(unsigned int vendor, unsigned int device);
/* The DRM drivers drm_repro takes by name, ", " separated, in registry order (help and errors). */
void hp_target_drm_names(char *buf, size_t len);

/* ---- small helpers (util.c) ---- */

/* JSON string escaping into buf; always NUL-terminates; returns bytes needed. */
size_t hp_json_escape(const char *in, char *buf, size_t len);
/* Append to the NUL-terminated line in buf[len]; what does not fit is cut, never overrun. */
void hp_appendf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The HP_OP() tier (hp_sys.h): @ret passed through, "# @call: <errno text>" printed when it is < 0. */
int hp_op_said(int ret, const char *call);
#define HP_OP(call) hp_op_said((call), #call)
/*
 * Comma lists of names (--methods, --mem, --mutators): every item, with the
 * spaces around it trimmed, must be one of @n names (@name(i), matched
 * without regard to case) or "all", which stands for @all. An empty list or
 * item ("a,,b", a trailing comma) is a typo, not "nothing". 0 with the
 * items' union in *mask (1u << i each), or -EINVAL with *mask unchanged and
 * the refused item (cut to fit; "" for an empty one) in @bad when not NULL.
 */
int hp_list_mask(const char *list, const char *(*name)(unsigned int i), unsigned int n,
		 unsigned int all, unsigned int *mask, char *bad, size_t badlen);
/*
 * The comma lists' one splitter: the item at *@p, spaces trimmed, into
 * @item; *@p moves to the next item (NULL after the last). 1 for an item,
 * -EINVAL for an empty one or one longer than @len, 0 when *@p is NULL.
 */
int hp_list_item(const char **p, char *item, size_t len);

/*
 * Errnos of refused pins, counted per errno: slot 0 counts short transfers
 * (nothing refused, fewer bytes moved), the last slot every errno past the
 * table (EHWPOISON, 133, is the highest Linux has). Adding is atomic, so
 * threads may share one.
 */
#define HP_ERRNO_OTHER 134
#define HP_ERRNO_SLOTS (HP_ERRNO_OTHER + 1)
struct hp_errhist {
	long n[HP_ERRNO_SLOTS];
};
/* Count @err (a positive or negative errno; 0 for a short transfer). */
void hp_errhist_add(struct hp_errhist *h, int err);
/* Add @src's counts into @dst; @src may be being added to. */
void hp_errhist_merge(struct hp_errhist *dst, const struct hp_errhist *src);
/* The slot counted most (the lower one on a tie), 0 when none was. */
int hp_errhist_top(const struct hp_errhist *h);
/* "EFAULT", "short" for slot 0, "other" for the last. */
const char *hp_errhist_name(int slot);
/* "EFAULT:598,short:2" in slot order, or @none when nothing was counted. */
void hp_errhist_text(const struct hp_errhist *h, const char *none, char *buf, size_t len);

/* Monotonic clock in seconds. */
double hp_now(void);
/*
 * Typed option values for the CLIs. Each returns 0, or -EINVAL / -ERANGE and
 * leaves *out alone. Sizes accept K/M/G suffixes (binary); durations accept
 * s/m/h suffixes (plain number = seconds).
 */
int hp_parse_long(const char *s, long min, long max, long *out);
int hp_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out);
int hp_parse_duration(const char *s, double min, double max, double *out);
/*
 * Seconds for the time-bounded parts of a selftest: $HUGEPIN_DURATION (set by
 * run.sh --duration) when it is a whole number of seconds > 0, else @def.
 */
const char *hp_env_duration(const char *def);
/*
 * @rel resolved against the directory this program was started from
 * (/proc/self/exe): "drm_repro", "../module/hugepin_ref.ko". Programs of the
 * suite are installed side by side, so this is how they find each other.
 * 0 or -errno; @buf holds the path either way when it fits.
 */
int hp_self_relative(const char *rel, char *buf, size_t len);
/*
 * Case selection. From run.sh --tests: $HUGEPIN_FILTER is a comma list of
 * globs over case names ("drm_bo.qxl*", "*vmsplice*"), matched against
 * "name" and "test:name"; a case is selected when it is unset or one glob
 * matches. From a guest that died: $HUGEPIN_SKIP names a file of
 * "test:name" lines, the cases that started in an earlier boot (the one
 * that crashed among them), which are not run again. With $HUGEPIN_LIST
 * set every case prints "# hugepin-case test:name" and is skipped. NULL
 * when the case is to run, else the reason it is skipped.
 */
const char *hp_case_skip_why(const char *test, const char *name);
/*
 * Why the runner will not have program @test pin @device again (its skip
 * list line "test:@device", a TAB and why: the guest died in too many of
 * its cases), or NULL.
 */
const char *hp_case_device_skipped(const char *test, const char *device);
/* HUGEPIN_INJECT "panic-device:DEV" (run.sh's own tests): a case start on DEV dies. */
#define HP_INJECT_DEVICE "panic-device:"
/*
 * True when a case of @test whose name matches @glob was started in an
 * earlier boot that died (HUGEPIN_SKIP); "test:name" of the first such case
 * goes to @which.
 */
bool hp_case_crashed_before(const char *test, const char *glob, char *which, size_t len);

/*
 * The contingency: a program about to start a case that may kill the
 * kernel (a device-memory pin where the kernel has no special bit) runs the
 * cases after it first, as a boot resuming after that case would, and
 * hands what they printed to the runner before it starts the case. Run by
 * init for the last program of a boot only ($HUGEPIN_CONTINGENCY: the
 * port to write to; $HUGEPIN_STARTED: the file every case start of this
 * program is appended to). If the guest then dies in that case, the runner
 * takes this for the resumed boot's output and boots no more. It is only
 * handed over when none of those cases pinned: a pin's outcome is what a
 * boot has to show. Without $HUGEPIN_CONTINGENCY, or inside a contingency,
 * it does nothing. On the port:
 *   HP_MARK_CONT test:name, the program's KTAP, HP_MARK_CONT_RECORDS,
 *   its records, HP_MARK_CONT_END rc=N; or HP_MARK_CONT_VOID test:name: why.
 */
#define HP_MARK_CONT "# hugepin: contingency"
#define HP_MARK_CONT_RECORDS "# hugepin: contingency records"
#define HP_MARK_CONT_END "# hugepin: contingency end"
#define HP_MARK_CONT_VOID "# hugepin: contingency void"
void hp_case_contingency(const char *test, const char *name);
/* True when hp_case_contingency() would run one: the port is set, and this is no contingency run. */
bool hp_contingency_wanted(void);
/* True inside a contingency run ($HUGEPIN_CONTINGENT, which hp_case_contingency sets). */
bool hp_in_contingency(void);
/* A case of a contingency run opened a pin window: what it wrote is not handed over. */
void hp_contingency_pinned(void);
/* Kernel release of the running kernel (uname -r), "unknown" on failure. */
const char *hp_kernel_release(void);

#endif
