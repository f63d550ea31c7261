// SPDX-License-Identifier: GPL-2.0
/*
 * hp_report: the host side of a hugepin VM run. run.sh calls it after the
 * guest stops, with the records the guest sent over virtio-serial and the
 * serial console log. A guest that died inside a case (a VM_BUG_ON_PAGE in
 * bio_release_pages() after fast GUP pinned a huge pfn PMD, say) leaves a
 * start record without a result; the console after that case's marker then
 * decides. Prints the verdict table, writes Markdown/JSON/JUnit, and exits
 * with the code bisect and CI act on.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"

#define EXIT_USAGE 2
#define MAX_INPUTS 64
#define MAX_FILE_BYTES (512ul << 20)

enum format { FMT_TABLE, FMT_MD, FMT_JSON, FMT_JUNIT };

struct opts {
	const char *records[MAX_INPUTS];
	size_t nrecords;
	const char *ktap[MAX_INPUTS];
	size_t nktap;
	const char *timings[HP_MAX_TIMINGS];
	size_t ntimings;
	const char *console;
	const char *kernel;
	const char *arch;
	const char *kconfig;
	const char *out;
	const char *expect_cases;
	const char *expect;
	const char *bisect_on;
	const char *expected_device;
	const char *untestable[HP_MAX_NOTES];
	size_t nuntestable;
	const char *crashed[MAX_INPUTS];
	size_t ncrashed;
	const char *not_run[HP_MAX_NOT_RUN];
	size_t nnot_run;
	const char *interrupted;
	bool unmapped_safe;
	enum format format;
	bool matrix;
	bool verbose;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hp_report --records FILE [--records FILE ...] --console LOG\n"
		"                 [--kernel RELEASE] [--arch ARCH] [--kernel-config FILE] [--out DIR] [--format table|md|json|junit]\n"
		"                 [--ktap FILE ...] [--timing NAME=SECONDS ...]\n"
		"                 [--expect-cases LIST] [--expect FILE] [--bisect-on GLOBS]\n"
		"                 [--crashed-test NAME ...] [--expected-device DEV[,DEV]=WHY]\n"
		"                 [--untestable-device DEV=WHY ...] [--not-run NAME[=WHY] ...]\n"
		"                 [--interrupted SIGNAL] [--unmapped-safe-decides] [--verbose]\n"
		"       hp_report --matrix DIR [DIR ...] [--out DIR]\n"
		"       hp_report starts RECORDS|- [PROGRAM] [--device]   test:name of each case\n"
		"                 started (and its device)\n"
		"       hp_report detectors                    the detector table (Markdown)\n"
		"\n"
		"  --records FILE      JSON-lines records the guest wrote (start + result)\n"
		"  --console LOG       serial console log, to judge cases the guest died in\n"
		"  --kernel RELEASE    kernel release shown in every row\n"
		"  --arch ARCH         the guest's architecture (uname -m), in the summary,\n"
		"                      report.json and the matrix\n"
		"  --kernel-config F   the kernel's .config: which huge pfn providers it builds\n"
		"  --out DIR           write report.md, report.json, junit.xml there\n"
		"  --format F          what goes to stdout (default: table)\n"
		"  --ktap FILE         kselftest output; ok/not ok/skip counted per program\n"
		"  --timing N=S        a timing (build_s, boot_s, suite_s) kept in report.json\n"
		"  --expect-cases LIST lines \"test [name]\" that must have run; missing ones\n"
		"                      become UNTESTABLE\n"
		"  --expect FILE       lines \"device method verdict\" ('*' and globs allowed;\n"
		"                      first matching line decides); exit 1 on any mismatch\n"
		"  --bisect-on GLOBS   only rows matching GLOBS decide: comma list of globs (as\n"
		"                      run.sh --tests) over case name, program, device, method,\n"
		"                      device/method and test:name; no substring matching\n"
		"  --crashed-test NAME the runner killed the guest at its timeout while the\n"
		"                      program (or case) NAME ran; repeat for each boot\n"
		"  --expected-device DEV[,DEV]=WHY  a guest death attributed to one of the\n"
		"                      devices DEV is an expected VULNERABLE (WHY, e.g. no PMD\n"
		"                      special bit)\n"
		"  --untestable-device DEV=WHY  DEV could not run at all (no record): WHY is\n"
		"                      named when the run is INCONCLUSIVE\n"
		"  --not-run NAME[=WHY]  a program, or PROGRAM:CASE-GLOB, that did not run\n"
		"                      (NOT RUN: never started, or WHY the runner left it out)\n"
		"  --verbose           the table format lists every test x device x method\n"
		"                      (default: a device x method grid and the evidence that matters)\n"
		"  --interrupted SIG   the run was stopped by SIG: the report is partial\n"
		"  --unmapped-safe-decides  deciding cases that ran SAFE decide (exit 0) even\n"
		"                      without a huge pfn mapping (a fix that removed it)\n"
		"  --matrix DIR...     kernel x case matrix over DIR/report.json files\n"
		"exit: 0 nothing unexpected VULNERABLE and a huge pfn mapping formed, 1 unexpected\n"
		"VULNERABLE (or --expect mismatch), 125 nothing could be tested (INCONCLUSIVE:\n"
		"no deciding case formed a huge pfn mapping), 2 usage or I/O error\n");
}

static void die_usage(const char *what)
{
	fprintf(stderr, "hp_report: %s (see hp_report --help)\n", what);
	exit(EXIT_USAGE);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f) {
		fprintf(stderr, "hp_report: cannot read %s: %s\n", path, strerror(errno));
		exit(EXIT_USAGE);
	}
	for (;;) {
		size_t got;

		if (cap - n < 65536) {
			char *nb;

			cap = cap ? cap * 2 : 131072;
			if (cap > MAX_FILE_BYTES + 65536) {
				fprintf(stderr, "hp_report: %s is larger than %lu MiB: pass a trimmed log\n",
					path, MAX_FILE_BYTES >> 20);
				exit(EXIT_USAGE);
			}
			nb = realloc(buf, cap + 1);
			if (!nb) {
				fprintf(stderr, "hp_report: out of memory reading %s\n", path);
				exit(EXIT_USAGE);
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "hp_report: error reading %s: %s\n", path, strerror(errno));
		exit(EXIT_USAGE);
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static void write_file(const char *dir, const char *name, const struct hp_buf *b)
{
	char path[4096];
	FILE *f;

	if (b->oom) {
		fprintf(stderr, "hp_report: out of memory rendering %s\n", name);
		exit(EXIT_USAGE);
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || (b->len && fwrite(b->s, 1, b->len, f) != b->len) || fclose(f)) {
		fprintf(stderr, "hp_report: cannot write %s: %s\n", path, strerror(errno));
		exit(EXIT_USAGE);
	}
}

static void make_out_dir(const char *dir)
{
	if (mkdir(dir, 0755) && errno != EEXIST) {
		fprintf(stderr, "hp_report: cannot create %s: %s\n", dir, strerror(errno));
		exit(EXIT_USAGE);
	}
}

static void add_input(const char **list, size_t *n, size_t max, const char *v,
		      const char *what)
{
	if (*n == max) {
		fprintf(stderr, "hp_report: more than %zu %s options\n", max, what);
		exit(EXIT_USAGE);
	}
	list[(*n)++] = v;
}

/* getopt_long values of the long options. */
enum { O_RECORDS = 256, O_CONSOLE, O_KERNEL, O_ARCH, O_KCONFIG, O_OUT, O_EXPECT_CASES, O_EXPECT,
       O_BISECT, O_CRASHED, O_FORMAT, O_KTAP, O_TIMING, O_MATRIX, O_EXPECTED_DEV,
       O_UNTESTABLE_DEV, O_NOT_RUN, O_INTERRUPTED, O_VERBOSE, O_UNMAPPED_SAFE };

/* Apply option @c with argument @arg; returns false for an option it does not know. */
static bool take_option(int c, char *arg, struct opts *o)
{
	switch (c) {
	case O_RECORDS:
		add_input(o->records, &o->nrecords, MAX_INPUTS, arg, "--records");
		break;
	case O_KTAP:
		add_input(o->ktap, &o->nktap, MAX_INPUTS, arg, "--ktap");
		break;
	case O_TIMING:
		add_input(o->timings, &o->ntimings, HP_MAX_TIMINGS, arg, "--timing");
		break;
	case O_CONSOLE: o->console = arg; break;
	case O_KERNEL: o->kernel = arg; break;
	case O_ARCH: o->arch = arg; break;
	case O_KCONFIG: o->kconfig = arg; break;
	case O_OUT: o->out = arg; break;
	case O_EXPECT_CASES: o->expect_cases = arg; break;
	case O_EXPECT: o->expect = arg; break;
	case O_BISECT: o->bisect_on = arg; break;
	case O_UNMAPPED_SAFE: o->unmapped_safe = true; break;
	case O_CRASHED:
		add_input(o->crashed, &o->ncrashed, MAX_INPUTS, arg, "--crashed-test");
		break;
	case O_MATRIX: o->matrix = true; break;
	case O_EXPECTED_DEV:
		if (!strchr(arg, '=') || arg[0] == '=')
			die_usage("--expected-device wants DEVICE=WHY, e.g. hugepin_ref=no PMD special bit");
		o->expected_device = arg;
		break;
	case O_VERBOSE:
		o->verbose = true;
		break;
	case O_NOT_RUN:
		add_input(o->not_run, &o->nnot_run, HP_MAX_NOT_RUN, arg, "--not-run");
		break;
	case O_INTERRUPTED:
		if (strncmp(arg, "SIG", 3) || strlen(arg) >= 16)
			die_usage("--interrupted wants a signal name, e.g. SIGINT");
		o->interrupted = arg;
		break;
	case O_UNTESTABLE_DEV:
		if (!strchr(arg, '=') || arg[0] == '=')
			die_usage("--untestable-device wants DEVICE=WHY, e.g. hugepin_ref=no kernel headers");
		add_input(o->untestable, &o->nuntestable, HP_MAX_NOTES, arg,
			  "--untestable-device");
		break;
	case O_FORMAT:
		if (!strcmp(arg, "table"))
			o->format = FMT_TABLE;
		else if (!strcmp(arg, "md"))
			o->format = FMT_MD;
		else if (!strcmp(arg, "json"))
			o->format = FMT_JSON;
		else if (!strcmp(arg, "junit"))
			o->format = FMT_JUNIT;
		else
			die_usage("--format takes table, md, json or junit");
		break;
	default:
		return false;
	}
	return true;
}

/* What the options together must satisfy once all are read. */
static void check_args(int argc, struct opts *o)
{
	if (o->matrix) {
		if (optind == argc)
			die_usage("--matrix needs at least one run directory holding report.json");
		if (o->nrecords || o->console)
			die_usage("--matrix takes run directories, not --records/--console");
		return;
	}
	if (optind != argc)
		die_usage("unexpected argument: directories are only taken with --matrix");
	if (!o->nrecords)
		die_usage("--records FILE is required");
	if (!o->console)
		die_usage("--console LOG is required (the guest's serial log)");
	if (o->bisect_on && (!*o->bisect_on || strstr(o->bisect_on, ",,") ||
			     o->bisect_on[0] == ',' || o->bisect_on[strlen(o->bisect_on) - 1] == ','))
		die_usage("--bisect-on wants a comma list of non-empty globs, e.g. '*noncompound*,hugepin_ref/vmsplice'");
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "records", required_argument, NULL, O_RECORDS },
		{ "console", required_argument, NULL, O_CONSOLE },
		{ "kernel", required_argument, NULL, O_KERNEL },
		{ "arch", required_argument, NULL, O_ARCH },
		{ "kernel-config", required_argument, NULL, O_KCONFIG },
		{ "out", required_argument, NULL, O_OUT },
		{ "expect-cases", required_argument, NULL, O_EXPECT_CASES },
		{ "expect", required_argument, NULL, O_EXPECT },
		{ "bisect-on", required_argument, NULL, O_BISECT },
		{ "crashed-test", required_argument, NULL, O_CRASHED },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "ktap", required_argument, NULL, O_KTAP },
		{ "timing", required_argument, NULL, O_TIMING },
		{ "matrix", no_argument, NULL, O_MATRIX },
		{ "expected-device", required_argument, NULL, O_EXPECTED_DEV },
		{ "untestable-device", required_argument, NULL, O_UNTESTABLE_DEV },
		{ "not-run", required_argument, NULL, O_NOT_RUN },
		{ "verbose", no_argument, NULL, O_VERBOSE },
		{ "interrupted", required_argument, NULL, O_INTERRUPTED },
		{ "unmapped-safe-decides", no_argument, NULL, O_UNMAPPED_SAFE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			exit(0);
		}
		if (!take_option(c, optarg, o)) {
			fprintf(stderr, "hp_report: unknown or incomplete option %s (see hp_report --help)\n",
				argv[optind - 1]);
			exit(EXIT_USAGE);
		}
	}
	check_args(argc, o);
}

static unsigned int terminal_width(void)
{
	struct winsize ws;

	if (!isatty(STDOUT_FILENO) || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) || !ws.ws_col)
		return 0;
	return ws.ws_col;
}

static void print_buf(const struct hp_buf *b)
{
	if (b->oom) {
		fprintf(stderr, "hp_report: out of memory rendering the report\n");
		exit(EXIT_USAGE);
	}
	if (b->len)
		fwrite(b->s, 1, b->len, stdout);
}

/* Cases the run was supposed to reach: the guest stopped before the missing ones. */
static void add_missing_cases(struct hp_report *rep, const char *path)
{
	size_t len, i, lineno = 0;
	char *text = read_file(path, &len);
	char *save = NULL, *line;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char test[HP_NAME_LEN], name[2 * HP_NAME_LEN] = "", extra[2];
		struct hp_result r;
		bool found = false;
		int got;

		lineno++;
		line[strcspn(line, "#")] = '\0';
		got = sscanf(line, "%63s %127s %1s", test, name, extra);
		if (got <= 0)
			continue;
		if (got > 2) {
			fprintf(stderr, "hp_report: %s:%zu: want \"test [name]\"\n", path, lineno);
			exit(EXIT_USAGE);
		}
		for (i = 0; i < rep->nrows && !found; i++)
			found = !strcmp(rep->rows[i].r.test, test) &&
				(got == 1 || !strcmp(rep->rows[i].r.name, name));
		if (found)
			continue;
		hp_result_blank(&r, test, got == 2 ? name : "-");
		r.verdict = HP_UNTESTABLE;
		snprintf(r.evidence, sizeof(r.evidence),
			 "infrastructure: case never ran (no record; the guest stopped earlier)");
		if (hp_report_add_row(rep, &r, true)) {
			fprintf(stderr, "hp_report: out of memory\n");
			exit(EXIT_USAGE);
		}
	}
	free(text);
}

static int run_matrix(int argc, char **argv, const struct opts *o)
{
	int n = argc - optind, i, code;
	struct hp_report *reps = calloc((size_t)n, sizeof(*reps));
	const struct hp_report **ptrs = calloc((size_t)n, sizeof(*ptrs));
	struct hp_buf md = { 0 }, json = { 0 }, txt = { 0 }, junit = { 0 };

	if (!reps || !ptrs) {
		fprintf(stderr, "hp_report: out of memory\n");
		return EXIT_USAGE;
	}
	for (i = 0; i < n; i++) {
		char path[4096];
		size_t len;
		char *text;

		snprintf(path, sizeof(path), "%s/report.json", argv[optind + i]);
		text = read_file(path, &len);
		if (hp_report_load_json(&reps[i], text, len)) {
			fprintf(stderr, "hp_report: %s is not a hp_report report.json: rerun that kernel\n",
				path);
			return EXIT_USAGE;
		}
		free(text);
		ptrs[i] = &reps[i];
	}
	code = hp_matrix_render(ptrs, (size_t)n, &md, &json, &txt);
	if (code < 0) {
		fprintf(stderr, "hp_report: out of memory\n");
		return EXIT_USAGE;
	}
	hp_report_junit(ptrs, (size_t)n, NULL, &junit);
	print_buf(&txt);
	if (o->out) {
		make_out_dir(o->out);
		write_file(o->out, "matrix.md", &md);
		write_file(o->out, "matrix.json", &json);
		write_file(o->out, "matrix.txt", &txt);
		write_file(o->out, "junit.xml", &junit);
	}
	hp_buf_free(&md);
	hp_buf_free(&json);
	hp_buf_free(&txt);
	hp_buf_free(&junit);
	for (i = 0; i < n; i++)
		hp_report_free(&reps[i]);
	free(reps);
	free(ptrs);
	return code;
}

/* The runner's notes about the run: expected and untestable devices, programs not run. */
static void load_notes(const struct opts *o, struct hp_report *rep)
{
	size_t i;

	if (o->expected_device) {
		const char *eq = strchr(o->expected_device, '=');

		snprintf(rep->expected_device, sizeof(rep->expected_device), "%.*s",
			 (int)(eq - o->expected_device), o->expected_device);
		snprintf(rep->expected_why, sizeof(rep->expected_why), "%s", eq + 1);
	}
	for (i = 0; i < o->nuntestable; i++)
		if (hp_report_add_untestable(rep, o->untestable[i]))
			die_usage("--untestable-device wants DEVICE=WHY with a device name under 64 characters");
	for (i = 0; i < o->nnot_run; i++)
		if (hp_report_add_not_run(rep, o->not_run[i]))
			die_usage("--not-run wants NAME[=WHY], a program or PROGRAM:CASE-GLOB under 64 characters");
	if (o->interrupted)
		snprintf(rep->interrupted, sizeof(rep->interrupted), "%s", o->interrupted);
	rep->unmapped_safe_decides = o->unmapped_safe;
	for (i = 0; i < o->ntimings; i++)
		if (hp_report_add_timing(rep, o->timings[i]))
			die_usage("--timing wants NAME=SECONDS, e.g. boot_s=6.2");
}

/* Records, console and KTAP files into @rep; EXIT_USAGE on failure, else 0. */
static int load_inputs(const struct opts *o, struct hp_report *rep)
{
	size_t i, len;
	char *text;

	for (i = 0; i < o->nrecords; i++) {
		text = read_file(o->records[i], &len);
		if (hp_report_add_records(rep, text, len)) {
			fprintf(stderr, "hp_report: out of memory reading %s\n", o->records[i]);
			return EXIT_USAGE;
		}
		free(text);
	}
	if (rep->bad_lines)
		fprintf(stderr, "hp_report: warning: %zu record lines did not parse (guest cut off mid-line?)\n",
			rep->bad_lines);
	if (o->kconfig) {
		text = read_file(o->kconfig, &len);
		if (hp_report_add_kconfig(rep, text, len)) {
			fprintf(stderr, "hp_report: out of memory reading %s\n", o->kconfig);
			return EXIT_USAGE;
		}
		free(text);
	}
	text = read_file(o->console, &len);
	if (hp_report_attribute(rep, text, len, o->crashed, o->ncrashed)) {
		fprintf(stderr, "hp_report: out of memory\n");
		return EXIT_USAGE;
	}
	free(text);
	if (o->expect_cases)
		add_missing_cases(rep, o->expect_cases);
	/* A SAFE that a silent detector backs proves nothing. */
	if (hp_report_apply_controls(rep))
		fprintf(stderr, "hp_report: warning: a detector did not fire in its control: the SAFE cases it backs are UNTESTABLE\n");
	for (i = 0; i < o->nktap; i++) {
		char name[HP_NAME_LEN];
		const char *base = strrchr(o->ktap[i], '/');

		/* A program's own output file is named after the program. */
		snprintf(name, sizeof(name), "%s", base ? base + 1 : o->ktap[i]);
		name[strcspn(name, ".")] = '\0';
		text = read_file(o->ktap[i], &len);
		if (hp_ktap_parse(&rep->ktap, text, len, name)) {
			fprintf(stderr, "hp_report: %s holds no KTAP/TAP output\n", o->ktap[i]);
			return EXIT_USAGE;
		}
		free(text);
	}
	for (i = 0; i < rep->ktap.n; i++)
		if (rep->ktap.progs[i].fail)
			fprintf(stderr, "hp_report: warning: kselftest %s: %u not ok\n",
				rep->ktap.progs[i].name, rep->ktap.progs[i].fail);
	return 0;
}

/* --expect: the TAP of the check, and the exit code it decides (or EXIT_USAGE). */
static int check_expect(const struct opts *o, const struct hp_report *rep)
{
	struct hp_buf exp = { 0 };
	size_t len;
	char *text;
	int failed;

	text = read_file(o->expect, &len);
	failed = hp_report_expect(rep, text, len, &exp);
	free(text);
	if (failed < 0) {
		fprintf(stderr, "hp_report: %s: %s", o->expect, exp.s ? exp.s : "out of memory\n");
		hp_buf_free(&exp);
		return EXIT_USAGE;
	}
	/* Expectation output is TAP; on stderr when stdout carries JSON/XML. */
	if (o->format == FMT_TABLE || o->format == FMT_MD)
		print_buf(&exp);
	else
		fwrite(exp.s, 1, exp.len, stderr);
	if (o->out)
		write_file(o->out, "expect.tap", &exp);
	hp_buf_free(&exp);
	return failed ? 1 : 0;
}

static int run_single(const struct opts *o)
{
	struct hp_buf table = { 0 }, md = { 0 }, json = { 0 }, junit = { 0 };
	const struct hp_report *one;
	struct hp_report rep;
	int code;

	hp_report_init(&rep, o->kernel);
	hp_report_set_arch(&rep, o->arch);
	load_notes(o, &rep);
	one = &rep;
	if (load_inputs(o, &rep))
		return EXIT_USAGE;
	code = hp_report_exit_code(&rep, o->bisect_on);
	if (o->verbose)
		hp_report_table(&rep, terminal_width(), &table);
	else
		hp_report_grid(&rep, terminal_width(), &table);
	hp_report_summary_text(&rep, o->bisect_on, &table);
	hp_report_markdown(&rep, o->bisect_on, &md);
	hp_report_json(&rep, o->bisect_on, &json);
	hp_report_junit(&one, 1, o->bisect_on, &junit);
	switch (o->format) {
	case FMT_TABLE: print_buf(&table); break;
	case FMT_MD: print_buf(&md); break;
	case FMT_JSON: print_buf(&json); break;
	case FMT_JUNIT: print_buf(&junit); break;
	}
	if (o->out) {
		make_out_dir(o->out);
		write_file(o->out, "report.md", &md);
		write_file(o->out, "report.json", &json);
		write_file(o->out, "junit.xml", &junit);
	}
	if (o->expect)
		code = check_expect(o, &rep);
	hp_buf_free(&table);
	hp_buf_free(&md);
	hp_buf_free(&json);
	hp_buf_free(&junit);
	hp_report_free(&rep);
	return code;
}

/*
 * "hp_report starts FILE|- [TEST]": "test:name" of every case a records file
 * (or stdin) started, each once, in order, only TEST's when given. What the
 * VM runner needs from records (progress, the case a guest died in), read
 * by the one parser instead of by the shell.
 */
static int run_starts(int argc, char **argv)
{
	char line[4 * HP_TEXT_LEN], (*seen)[3 * HP_NAME_LEN] = NULL, key[3 * HP_NAME_LEN];
	bool device = argc > 3 && !strcmp(argv[argc - 1], "--device");
	size_t nseen = 0, cap = 0;
	const char *test;
	struct hp_result r;
	FILE *f;

	argc -= device;
	test = argc > 3 ? argv[3] : NULL;
	if (argc < 3 || argc > 4)
		die_usage("starts wants a records file (or -), optionally a program name, and optionally --device");
	f = strcmp(argv[2], "-") ? fopen(argv[2], "r") : stdin;
	if (!f)
		return 0;	/* a boot that wrote no records started no case */
	while (fgets(line, sizeof(line), f)) {
		size_t i;

		line[strcspn(line, "\n")] = '\0';
		if (hp_record_parse(line, &r) != 2 || (test && strcmp(r.test, test)))
			continue;
		snprintf(key, sizeof(key), "%s:%s", r.test, r.name);
		for (i = 0; i < nseen && strcmp(seen[i], key); i++)
			;
		if (i < nseen)
			continue;
		if (nseen == cap) {
			void *p = realloc(seen, (cap = cap ? 2 * cap : 64) * sizeof(*seen));

			if (!p)
				die_usage("out of memory");
			seen = p;
		}
		memcpy(seen[nseen++], key, sizeof(key));
		if (device)
			printf("%s %s\n", key, r.device[0] ? r.device : "-");
		else
			printf("%s\n", key);
		fflush(stdout);
	}
	free(seen);
	if (f != stdin)
		fclose(f);
	return 0;
}

/* "hp_report detectors": the README's detector table, from the detectors' rows. */
static int run_detectors(void)
{
	char buf[8192];

	hp_detector_table_md(buf, sizeof(buf));
	fputs(buf, stdout);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;

	if (argc > 1 && !strcmp(argv[1], "starts"))
		return run_starts(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "detectors"))
		return run_detectors();
	parse_args(argc, argv, &o);
	if (o.matrix)
		return run_matrix(argc, argv, &o);
	return run_single(&o);
}
