/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gup_stress engine: pins user memory of many kinds (anonymous, THP, shmem,
 * hugetlb, page cache, DRM buffer objects, the reference module's huge pfn
 * mapping) through every pin method that reaches get_user_pages/pin_user_pages,
 * while mutator threads unmap, move, zap, protect, fork, split and collapse
 * the same ranges underneath. Every I/O carries a pattern that is checked
 * afterwards; pin accounting and the kernel log are checked per memory type.
 * The CLI (main.c) and the benchmark are thin layers over this.
 */
#ifndef GS_ENGINE_H
#define GS_ENGINE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hp_buf.h"
#include "hp_case.h"
#include "hp_refmod.h"
#include "hp_core.h"
#include "hp_sys.h"
#include "gs_mems.h"

#define GS_MEM_ENUM(value, ...) value,
enum gs_mem_kind {
	GS_MEMS(GS_MEM_ENUM)
	GS_MEM_NR,
};

enum gs_mutator {
	GS_MUT_REMAP,		/* mmap(MAP_FIXED) over a slot: munmap + mmap in one step */
	GS_MUT_MREMAP,		/* move a slot away and back (MREMAP_DONTUNMAP) */
	GS_MUT_DONTNEED,
	GS_MUT_FREE,
	GS_MUT_COLD,
	GS_MUT_PAGEOUT,
	GS_MUT_MPROTECT,	/* read-only and back, whole slot or one page (splits THP) */
	GS_MUT_FORK,		/* child writes a page (copy-on-write) and exits */
	GS_MUT_SPLIT,		/* remap one page inside a slot: splits a huge mapping */
	GS_MUT_COLLAPSE,	/* MADV_COLLAPSE */
	GS_MUT_COMPACT,		/* /proc/sys/vm/compact_memory */
	GS_MUT_NR,
};

const char *gs_mem_kind_name(enum gs_mem_kind k);
/*
 * "anon,hugetlb", "all" (every kind but hugepin_ref) into a bitmask of
 * 1u << kind, by hp_list_mask()'s rules.
 */
int gs_mem_list_parse(const char *list, unsigned int *mask, char *bad, size_t badlen);
const char *gs_mutator_name(enum gs_mutator m);
/* "remap,fork", "all", or "none" alone: bitmask of 1u << mutator. */
int gs_mutator_list_parse(const char *list, unsigned int *mask, char *bad, size_t badlen);

struct gs_config {
	double duration;		/* seconds, whole run (split across memory types) */
	unsigned int mem_mask;		/* 1u << enum gs_mem_kind */
	unsigned int methods;		/* 1u << enum hp_method */
	bool methods_explicit;		/* methods named on the command line */
	unsigned int mutators;		/* 1u << enum gs_mutator */
	int threads;			/* pinner threads */
	int mutator_threads;
	uint64_t size;			/* bytes per memory type */
	uint64_t io_size;		/* largest single I/O */
	uint64_t seed;
	const char *dir;		/* directory for the page-cache file */
	bool progress;			/* one line per second on stderr */
	/*
	 * Set to a signal number by the caller's handler: the run stops at
	 * once and reports what it has. NULL when no signal is handled.
	 */
	const volatile sig_atomic_t *stop_signal;
};

struct gs_method_stats {
	long ops;			/* attempts */
	long ok;			/* kernel took the pin and moved every byte */
	long pages;			/* pages pinned by successful ops */
	long integrity;			/* pattern mismatches with no mutator in between */
	long raced;			/* mismatches excused: a destructive mutator hit the slot */
	long faults;			/* our own fill/check faulted (range unmapped or read-only) */
	/*
	 * Pins by the level of the entry they met: read from the page tables
	 * right before and right after the pin, in the pinning thread; a pin
	 * whose entry changed in between counts as unknown.
	 */
	long met[HP_LEVEL_PUD + 1];
	struct hp_errhist errs;		/* refused and short pins (slot 0) */
};

struct gs_mut_stats {
	long ops;
	long errors;
	int last_err;
	bool disabled;			/* unsupported on this memory type */
	int disabled_err;
};

struct gs_mem_result {
	char name[HP_NAME_LEN];		/* anon, anon_thp, ..., bochs, hugepin_ref */
	enum gs_mem_kind kind;
	bool ran;
	char skip[160];			/* reason when not ran */
	char driver[HP_NAME_LEN];
	enum hp_owner owner;
	enum hp_level level;
	bool per_pin_level;		/* level is what the pins met (walk module), not the phase's */
	long huge_kb;			/* huge-mapped kB seen in smaps at the end of the phase */
	double seconds;
	long pin_delta;			/* nr_foll_pin_acquired - released change; 0 balanced */
	bool pins_known;
	unsigned int splats;
	char splat_line[160];
	unsigned long taint_new;
	long extra_refs;		/* reference module: pages with wrong refcounts at eviction */
	char first_bad[240];		/* first integrity failure, one line */
	char too_slow[160];		/* the phase ended before every method's minimum work */
	int interrupted;		/* signal that cut this phase short or kept it from running */
	unsigned int methods;		/* methods run on this memory */
	char method_skip[HP_M_NR][160];	/* why a requested method did not run */
	struct gs_method_stats m[HP_M_NR];
	enum hp_verdict verdict[HP_M_NR];
	char evidence[HP_M_NR][HP_TEXT_LEN];
	struct gs_mut_stats mut[GS_MUT_NR];
	bool failed;			/* integrity, pin balance, log or unexpected VULNERABLE */
	bool vuln_expected;
};

struct gs_run {
	int nmem;
	struct gs_mem_result *mem;	/* nmem entries */
	long integrity;
	long pin_delta;
	bool failed;
	bool any_ran;
	int interrupted;		/* signal that stopped the run early, 0 when none */
};

/* Run the stress over every memory type in cfg. 0, or -errno on setup failure. */
int gs_run(const struct gs_config *cfg, struct gs_run *run);
void gs_run_free(struct gs_run *run);

/* Benchmark rows, one per memory type x method. */
struct gs_bench_row {
	char mem[HP_NAME_LEN];
	enum hp_method method;
	long ops;
	long ok;
	long pages;
	double seconds;
	int err;			/* first errno when no op succeeded */
	double gup_test_ns_page;	/* PIN_FAST_BENCHMARK on the same range; 0 when absent */
	bool interrupted;		/* cut short by a signal: the rates are partial */
	char skip[160];
};

/* Rows up to the one a signal cut short, if one did: *interrupted is then its number. */
/* The signal that asked the run to stop, 0 while none did. */
static inline int gs_stop_requested(const struct gs_config *cfg)
{
	return cfg->stop_signal ? *cfg->stop_signal : 0;
}

int gs_bench(const struct gs_config *cfg, struct gs_bench_row **rows, int *nrows,
	     int *interrupted);

/* ---- internals shared between the engine's files ---- */

/* One mapped memory type: slots are the unit mutators work on. */
struct gs_region {
	struct gs_mem_result *res;
	enum gs_mem_kind kind;
	struct hp_map map;
	char *addr;
	size_t len;
	size_t slot;			/* bytes per slot (huge page size, 2 MiB for small pages) */
	size_t nslots;
	int fd;				/* backing fd for shared mappings, -1 for anonymous */
	off_t fd_off;			/* fd offset of addr */
	int map_flags;			/* flags to recreate a slot with MAP_FIXED */
	int advice;			/* MADV_HUGEPAGE / MADV_NOHUGEPAGE / 0 after a remap */
	bool whole;			/* only the whole region can be remapped (DRM, module) */
	unsigned int *seq;		/* per slot: odd while a destructive mutator runs */
	int drm_fd;			/* the DRM device, -1 when not opened */
	struct hp_refmod ref;		/* the reference module, fd -1 when not opened */
	struct hp_vfio_dev vfio;	/* the vfio device, .open false when not opened */
	struct hp_buf_src src;		/* where the region's buffer comes from */
	struct hp_buf buf;		/*   and the buffer, made and mapped by the library */
};

/* mem.c */
int gs_mem_plan(const struct gs_config *cfg, struct gs_mem_result **out, int *n);
int gs_region_setup(const struct gs_config *cfg, struct gs_region *r, struct gs_mem_result *res);
void gs_region_teardown(struct gs_region *r);
long gs_region_huge_kb(const struct gs_region *r);

/* Per-thread pin context (pattern.c): the library's pinner and the pattern state. */
struct gs_pinctx {
	struct hp_pinner pin;		/* this thread's scratch area, buffer, ring, pipe */
	bool scratch_valid;		/* the scratch area holds the pattern of scratch_seed */
	uint64_t scratch_seed;
	bool check;			/* fill and verify patterns (off in the benchmark) */
	char bad[160];			/* last mismatch, one line */
};

enum gs_io_status {
	GS_IO_OK,
	GS_IO_ERR,		/* kernel refused or short transfer: *err set (0 = short) */
	GS_IO_FAULT,		/* our own access faulted: the range is changing under us */
	GS_IO_MISMATCH,		/* pattern wrong after a complete transfer */
};

/* The pinner of thread @index, whose scratch area is the @index-th of @cell bytes. 0 or -ENOMEM. */
int gs_pinctx_init(struct gs_pinctx *c, struct hp_scratch *s, int index, size_t cell);
void gs_pinctx_fini(struct gs_pinctx *c);
enum gs_io_status gs_pin_io(struct gs_pinctx *c, enum hp_method m, char *addr, size_t len,
			    uint64_t seed, int *err);
/* PIN_FAST_BENCHMARK over a range: nanoseconds per page, or -errno. */
double gs_gup_test_ns_per_page(int gup_fd, void *addr, size_t len);
void gs_fault_guard_install(void);

/* mutate.c */
struct gs_mutctx {
	struct hp_map spare;		/* slot-sized area for mremap round trips */
	bool have_spare;
	uint64_t rng;
};
int gs_mutctx_init(struct gs_mutctx *c, const struct gs_region *r, uint64_t seed);
void gs_mutctx_fini(struct gs_mutctx *c);
/* Apply mutator @m to slot @slot; 0 or -errno. */
int gs_mutate(struct gs_mutctx *c, struct gs_region *r, enum gs_mutator m, size_t slot);

/* small shared helpers */
uint64_t gs_rand(uint64_t *state);

#endif
