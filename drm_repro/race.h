/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pin-vs-evict race engine shared by the drm_repro CLI and, through that
 * binary, the evict_race selftest.
 *
 * Pinner threads push a buffer mapping through fast GUP (O_DIRECT, vmsplice,
 * io_uring, ...) while an evictor moves or frees the pages behind it (memory
 * pressure, TTM debugfs shrinkers, destroy and recreate, the reference
 * module's evict ioctl), a refaulter zaps and refaults the mapping and checks
 * what it reads back, and a checker runs the detectors: kernel log, held pins
 * drained after the pages went away (canaries), refcount reports of the
 * reference module. On kernels where fast GUP takes huge pfn PMDs for struct
 * pages, the pins land on pages the driver frees behind the kernel's back.
 */
#ifndef DRM_REPRO_RACE_H
#define DRM_REPRO_RACE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hp_buf.h"
#include "hp_case.h"
#include "hp_core.h"
#include "hp_sys.h"

struct race_cfg {
	enum hp_buf_kind kind;
	struct hp_drm_dev drm;		/* HP_BUF_DRM only */
	char device[HP_NAME_LEN];	/* short name used in records */
	char driver[HP_NAME_LEN];
	uint64_t size;			/* bytes per buffer, page aligned */
	int threads;			/* pinner threads per method */
	unsigned int methods;		/* mask of 1u << enum hp_method */
	double duration;		/* seconds */
	uint64_t seed;
	bool progress;			/* one status line a second on stderr */
	const char *test;		/* record "test" field */
	/*
	 * Set to a signal number by the caller's handler: the race stops
	 * early, reports what it has and marks itself interrupted. NULL when
	 * the caller handles no signals.
	 */
	const volatile sig_atomic_t *stop_signal;
};

struct race_method {
	enum hp_method method;
	bool available;			/* the control pin on anon memory worked */
	int probe_err;			/* errno of that control pin when it failed */
	char note[128];			/* why the method could not be tested */
	/* pinner side */
	long attempts;
	long ok;
	long bytes;
	struct hp_errhist errs;		/* errnos of refused pins */
	double t_first_ok;		/* seconds from start, < 0 when never */
	/* checker side: pins held across an eviction, drained afterwards */
	long holds;
	long holds_ok;
	int hold_err;			/* last errno of a refused hold */
	long canary_bad;		/* bytes that changed behind a held pin */
	long extra_refs;		/* reference module: damaged pages under a held pin */
	char canary_detail[160];
	/* outcome: the method's case, judged in its frame once the race is over */
	struct hp_case c;
	struct hp_frame f;
};

struct race_report {
	int nmethods;
	struct race_method m[HP_M_NR];
	char untestable[160];		/* set when the whole race could not run */
	char too_slow[160];		/* set when the race ended before its minimum work */
	int interrupted;		/* signal that ended the race early, 0 when none */
	double elapsed;
	enum hp_level level;		/* deepest level seen backing the buffer */
	char level_src[32];		/* who told us the level */
	long evict_cycles;
	long refault_cycles;
	long refault_bad;		/* bytes that differed after a refault */
	char refault_detail[160];
	char knobs[192];		/* eviction knobs that were used */
	/* detectors, race-wide */
	unsigned int splats;
	char splat_line[160];
	unsigned long taint_new;
	long pin_leak;
	long extra_refs;		/* reference module: pages with extra refs */
	char refs_detail[160];
	double t_first_detect;		/* < 0 when nothing fired */
	char first_detect[160];
	double t_first_vuln_pin;	/* first pin of driver-owned pages, < 0 never */
	bool vuln_expected;
	char expected_why[96];
};

/*
 * Resolve --device: a /dev/dri path, a short or driver name, "ref" (or
 * /dev/hugepin_ref), "anon" or "shmem". Returns 0, -EINVAL for input that
 * can never name a device (message in @err), -ENODEV when the device is not
 * present on this machine (a skip, reason in @err).
 */
int race_resolve_device(const char *arg, struct race_cfg *cfg, char *err, size_t len);

/* Run one race as configured. Never fails: problems end up in the report. */
void race_run(const struct race_cfg *cfg, struct race_report *rep);

/*
 * kselftest exit code: 1 unexpected VULNERABLE, 0 anything tested, 4 nothing;
 * 128 + signal for an interrupted race, whatever it found.
 */
int race_exit_code(const struct race_report *rep);

/* Human-readable report: one line per method, evidence, detectors. */
void race_print_text(FILE *f, const struct race_cfg *cfg, const struct race_report *rep);
/* JSON lines: one hp_record_format() result per method, then a summary object. */
void race_print_json(FILE *f, const struct race_cfg *cfg, const struct race_report *rep);
/* Send start/result records to $HUGEPIN_RECORDS, one case per method. */
void race_emit_records(const struct race_cfg *cfg, const struct race_report *rep);

#endif
