/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hugepin host-side reporting: the KTAP reader for kselftest output, and
 * the report model that turns records plus the
 * serial console log into verdict tables and the run.sh exit code. All of
 * it is pure (text in, text out), so it is unit tested and fuzzed; the file
 * and terminal handling lives in hp_report.c.
 */
#ifndef HP_REPORT_H
#define HP_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "hp_core.h"
#include "json.h"

/* ---- growable text buffer (report.c) ---- */

struct hp_buf {
	char *s;
	size_t len;
	size_t cap;
	bool oom;		/* an allocation failed: the text is incomplete */
};

void hp_buf_printf(struct hp_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void hp_buf_free(struct hp_buf *b);

/* ---- KTAP reader (report_ktap.c) ---- */

struct hp_ktap_prog {
	char name[HP_NAME_LEN];
	unsigned int pass, fail, skip, xfail;
	int planned;		/* -1 without a plan line */
	int exit_ok;		/* runner's verdict on the program: 1 ok, 0 not ok, -1 unknown */
	/*
	 * The test numbers counted so far: a program run again on the boot
	 * after a crash repeats the numbers its first run reported (as skips,
	 * "started in an earlier boot"), and each number counts once, the first
	 * time it is seen.
	 */
	unsigned char *counted;
	size_t ncounted;
};

struct hp_ktap {
	struct hp_ktap_prog *progs;
	size_t n;
};

/*
 * Count results per test program in KTAP/TAP text: either one program's own
 * output (named @default_name) or the kselftest runner's output, where each
 * program's lines are nested under "# selftests: <dir>: <prog>". A program's
 * output may hold several runs of it (one per boot of a run that resumed
 * it): each test number counts once, as its first line says. Returns 0,
 * -EINVAL when the text holds no TAP at all, -ENOMEM.
 */
int hp_ktap_parse(struct hp_ktap *k, const char *text, size_t len,
		  const char *default_name);
void hp_ktap_free(struct hp_ktap *k);

/* ---- report model (report.c) ---- */

struct hp_row {
	struct hp_result r;
	bool from_console;	/* synthesized from the console after a guest death */
};

struct hp_open_case {
	char test[HP_NAME_LEN];
	char name[2 * HP_NAME_LEN];
	char device[HP_NAME_LEN];	/* from the start record; "-" when it does not say */
	char method[HP_NAME_LEN];
	char level[16];		/* from its mapped record; "" before one */
	char special[4];
	unsigned int results;	/* results seen since the start record */
};

struct hp_timing {
	char name[32];
	double value;
};

#define HP_MAX_TIMINGS 8
#define HP_MAX_NOTES 4
#define HP_MAX_NOT_RUN 32

struct hp_report {
	char kernel[128];
	char arch[32];		/* the guest's uname -m; "unknown" when not given */
	/*
	 * Crash rows the console yields carry no record of their own: a device
	 * whose damage is a known limitation of this kernel (the reference
	 * module before PMD special bits) is named here by the runner.
	 */
	char expected_device[2 * HP_NAME_LEN];	/* a comma list */
	char expected_why[96];
	/*
	 * A device that could not run at all leaves no record (the reference
	 * module did not build, say): the runner names it and why, for the
	 * INCONCLUSIVE line.
	 */
	struct hp_device_note {
		char device[HP_NAME_LEN];
		char why[HP_TEXT_LEN];
	} untestable[HP_MAX_NOTES];
	size_t nuntestable;
	/* A run stopped by a signal: its report is partial ("SIGINT"). */
	char interrupted[16];
	/*
	 * Deciding rows that ran SAFE count even when they formed no huge pfn
	 * mapping: bisecting a fix that removed the huge mapping itself.
	 */
	bool unmapped_safe_decides;
	/*
	 * Which provider config symbols the kernel's config sets (bit i: the
	 * i-th provider of report_providers.c), when the runner gave the config.
	 */
	bool kconfig_known;
	unsigned int kconfig_set;
	/* Programs that never started: the guest died or the run was stopped first. */
	char not_run[HP_MAX_NOT_RUN][HP_NAME_LEN];
	/* Why the runner left it out, where it did on purpose; "" otherwise. */
	char not_run_why[HP_MAX_NOT_RUN][HP_TEXT_LEN];
	size_t nnot_run;
	struct hp_row *rows;
	size_t nrows, cap;
	/* Records of the detector controls (HP_CONTROL_TEST): never verdicts. */
	struct hp_row *controls;
	size_t ncontrols, controls_cap;
	struct hp_open_case *cases;	/* start records in order of appearance */
	size_t ncases, cases_cap;
	size_t bad_lines;		/* record lines that did not parse */
	struct hp_ktap ktap;
	struct hp_timing timings[HP_MAX_TIMINGS];
	size_t ntimings;
};

struct hp_summary {
	size_t safe, vulnerable, vulnerable_expected, untestable;
};

/* A bug path that ran over a huge pfn mapping, and the records that show it. */
#define HP_PATH_LEN (HP_NAME_LEN + 32)

struct hp_path {
	char name[HP_PATH_LEN];	/* "vmwgfx (TTM huge fault)", "hugepin_ref PMD" */
	size_t seen;			/* records whose mapping level was pmd or pud */
	size_t inferred;		/* records where only a successful fast-GUP pin shows it */
};

#define HP_MAX_PATHS 16

struct hp_coverage {
	struct hp_path paths[HP_MAX_PATHS];	/* over every row of the run */
	size_t npaths;
	bool conclusive;	/* a deciding row (all, or --bisect-on's) ran over one */
	char why[2 * HP_TEXT_LEN];	/* when not conclusive: why, in one line */
};

void hp_report_init(struct hp_report *rep, const char *kernel);
/* The architecture the report is about (uname -m); NULL or "" keeps "unknown". */
void hp_report_set_arch(struct hp_report *rep, const char *arch);
void hp_report_free(struct hp_report *rep);
/* One records file (JSON lines). Returns 0 or -ENOMEM; bad lines are counted. */
int hp_report_add_records(struct hp_report *rep, const char *text, size_t len);
/*
 * Attribute guest deaths: every start without a result, the case still
 * running when the console shows a panic, page damage on the console after
 * a case reported, and the programs in @crashed (the runner killed the guest
 * at its timeout while they ran; test name, case name or "test/name")
 * become rows judged from the console text after their "hugepin: start"
 * marker. Call once, after every records file was added.
 */
int hp_report_attribute(struct hp_report *rep, const char *console, size_t len,
			const char *const *crashed, size_t ncrashed);
int hp_report_add_timing(struct hp_report *rep, const char *name_eq_value);
/* "DEV=WHY": DEV could not run at all, for WHY. -EINVAL, -ENOSPC past HP_MAX_NOTES. */
int hp_report_add_untestable(struct hp_report *rep, const char *dev_eq_why);
/* A program that never started. -EINVAL for a bad name, -ENOSPC past HP_MAX_NOT_RUN. */
/* A program (or "program:case-glob") that did not run, "NAME=WHY" when the runner says why. */
int hp_report_add_not_run(struct hp_report *rep, const char *program);
/* A synthesized row's result: test and name set, every other field "-". */
void hp_result_blank(struct hp_result *r, const char *test, const char *name);
int hp_report_add_row(struct hp_report *rep, const struct hp_result *r, bool from_console);

void hp_report_summary(const struct hp_report *rep, struct hp_summary *s);

/* ---- detector controls (report_controls.c) ---- */

enum hp_control_state {
	HP_CONTROL_NONE,	/* no control of this detector ran */
	HP_CONTROL_FIRED,	/* its control fired: the detector sees */
	HP_CONTROL_SILENT,	/* its control ran and the detector did not fire */
	HP_CONTROL_UNTESTED,	/* its control could not run */
};

/* The detectors that have controls, in the order reports list them; NULL past the end. */
const char *hp_control_detector(size_t i);
/* What the controls of @detector showed; @evidence (optional) gets the deciding record's. */
enum hp_control_state hp_report_control_state(const struct hp_report *rep, const char *detector,
					      const char **evidence);
/*
 * Every SAFE row a detector backs becomes UNTESTABLE when that detector's
 * control ran and did not fire, or could not run: the kernel log and pin
 * accounting back every row, the refcount report the reference module's,
 * the canary drm_repro's, the level probe the rows that claim a huge
 * mapping. Call once, after the records and the console were added.
 * Returns the number of rows changed.
 */
size_t hp_report_apply_controls(struct hp_report *rep);
/* "Controls: kernel-log fired, ...": one line after @prefix, nothing without controls. */
void hp_report_controls_text(const struct hp_report *rep, const char *prefix, struct hp_buf *out);
/* "controls":[{"detector":...,"state":...,"evidence":...},...] */
void hp_report_controls_json(const struct hp_report *rep, struct hp_buf *out);
/*
 * Which bug paths ran over a huge pfn mapping: a record whose mapping was
 * seen at pmd or pud level on DRM or reference-module memory, or whose
 * fast-GUP pin of driver-owned pages succeeded or left page damage that
 * killed the guest (their PTEs are special, so only a huge entry lets such
 * a pin through). Anonymous, shmem, hugetlb and page-cache controls are no
 * pfn mappings and never count.
 */
void hp_report_coverage(const struct hp_report *rep, const char *bisect_on,
			struct hp_coverage *cov);
/*
 * The run.sh exit code over the deciding rows (@bisect_on NULL: all rows):
 * 1 when one is VULNERABLE (unexpectedly so, without @bisect_on), or, without
 * @bisect_on, when a program reported a case "not ok" (a failure that is
 * neither a skip nor an expected failure: a broken assertion, a crash of the
 * test process); else 0 when one ran over a huge pfn mapping, else 125:
 * nothing could show the bug.
 */
int hp_report_exit_code(const struct hp_report *rep, const char *bisect_on);
/*
 * The cases the programs reported "not ok" (no SKIP, XFAIL or TODO), in all;
 * "pin_odirect (2), pfnmap_vma (1)" into @buf when it is given.
 */
unsigned int hp_report_ktap_failures(const struct hp_report *rep, char *buf, size_t len);
/*
 * True when @r is selected by --bisect-on GLOBS: a comma list of fnmatch
 * globs, as --tests takes them, over the case name, the program, the device,
 * the method, "device/method" and "test:name". No substring matching.
 */
bool hp_row_matches_case(const struct hp_result *r, const char *globs);
/* "VULNERABLE (expected: ...)" style verdict text for tables. */
void hp_verdict_text(const struct hp_result *r, char *buf, size_t len);

/* Renderers; @width 0 means no truncation. */
void hp_report_table(const struct hp_report *rep, unsigned int width, struct hp_buf *out);
/* Device x method grid of worst verdicts, then evidence for VULNERABLE and UNTESTABLE cells. */
void hp_report_grid(const struct hp_report *rep, unsigned int width, struct hp_buf *out);
/* The verdict counts, the coverage, INCONCLUSIVE and why, the exit code: plain lines. */
void hp_report_summary_text(const struct hp_report *rep, const char *bisect_on,
			    struct hp_buf *out);
void hp_report_markdown(const struct hp_report *rep, const char *bisect_on, struct hp_buf *out);
void hp_report_json(const struct hp_report *rep, const char *bisect_on, struct hp_buf *out);
/* @bisect_on applies to every report (NULL for a matrix). */
void hp_report_junit(const struct hp_report *const *reps, size_t n, const char *bisect_on,
		     struct hp_buf *out);

/*
 * Check an --expect file ("device method verdict" lines, '*' and globs
 * allowed, '#' comments; the first line matching a record decides for it)
 * against the rows. Rows no line matches fail the check when they came
 * from the console (guest died) or are unexpectedly VULNERABLE. Writes TAP
 * to @out; returns the number of failed checks, or -EINVAL with a message in
 * @out when the file is malformed.
 */
int hp_report_expect(const struct hp_report *rep, const char *text, size_t len,
		     struct hp_buf *out);

/* ---- huge pfn providers (report_providers.c) ---- */

enum hp_provider_state_kind {
	HP_PROVIDER_EXERCISED,		/* a record ran over its huge entry */
	HP_PROVIDER_ABSENT,		/* this kernel does not have it */
	HP_PROVIDER_NOT_EXERCISED,	/* the kernel may have it; this run did not map it huge */
};

struct hp_provider_state {
	const char *name;
	enum hp_provider_state_kind state;
	size_t pmd, pud, inferred;	/* records at each level; inferred from a pin */
	char why[HP_TEXT_LEN];		/* absent or not exercised: why, and what would */
};

#define HP_MAX_PROVIDERS 16

/* Note the kernel's config (a .config file's text): which provider symbols it sets. */
int hp_report_add_kconfig(struct hp_report *rep, const char *text, size_t len);
/* Every provider's state in this run, in the table's order; returns how many. */
size_t hp_report_providers(const struct hp_report *rep, struct hp_provider_state *out,
			   size_t max);
const char *hp_provider_state_name(enum hp_provider_state_kind s);
/* The levels an exercised provider was seen at, as a phrase ("at pmd (3 records)"). */
void hp_provider_levels(const struct hp_provider_state *st, char *buf, size_t len);

/* ---- matrix over kernels (report.c) ---- */

/* Load a report.json written by hp_report_json(); -EINVAL on bad input.
 * @rep is initialized either way and must be freed. */
int hp_report_load_json(struct hp_report *rep, const char *text, size_t len);
/* Matrix renderings over @n reports (one per kernel); returns the exit code. */
int hp_matrix_render(const struct hp_report *const *reps, size_t n,
		     struct hp_buf *md, struct hp_buf *json, struct hp_buf *txt);

#endif
