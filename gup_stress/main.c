// SPDX-License-Identifier: GPL-2.0
/*
 * gup_stress: fast-GUP stress across memory types, with stress-ng as
 * background memory pressure (reclaim, compaction and migration racing with
 * the pins), and a pin-rate benchmark against gup_test's PIN_FAST_BENCHMARK.
 *
 * Exit codes follow kselftest: 0 pass, 1 failure (integrity, pin accounting,
 * kernel log, unexpected VULNERABLE), 2 usage, 4 nothing could run (skip);
 * 128 + signal when SIGINT, SIGTERM or SIGHUP cut the run short.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"

#define EXIT_PASS 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2

#define DEF_DURATION 10.0
#define MAX_DURATION (24 * 3600.0)
#define DEF_THREADS 2
#define MAX_THREADS 64
#define DEF_MUT_THREADS 1
#define MAX_MUT_THREADS 16
/* Default bytes per memory type: four PMD blocks (8 MiB with 2 MiB blocks). */
#define DEF_SIZE_BLOCKS 4
#define MAX_SIZE (1ull << 30)
#define DEF_IO (256ull << 10)
#define MAX_IO (1ull << 20)
#define DEF_SEED 1
#define STRESS_NG "stress-ng"
#define STRESS_NG_DEFAULT "--vm 1 --vm-bytes 10% --mmap 1 --mmap-bytes 10% --page-in"
#define STRESS_NG_MAX_ARGS 64
#define STRESS_NG_GRACE_STEPS 100	/* x 100 ms after SIGINT, then SIGKILL */
#define STRESS_NG_GRACE_STEPS_INTERRUPTED 20	/* the same when we were interrupted */
#define STRESS_NG_SAFETY_TIMEOUT 60	/* seconds past our run: it must not outlive us */

struct opts {
	struct gs_config cfg;
	bool json;
	bool bench;
	const char *stress_args;	/* NULL: no background pressure */
};

/* Names from a table, space separated, wrapped under the help's option text. */
static void help_names(char *buf, size_t len, const char *(*name)(int), int n, int skip)
{
	size_t col = 0, at = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && at < len; i++) {
		const char *s = name(i);

		if (i == skip)
			continue;
		if (col && col + strlen(s) > 60) {
			at += (size_t)snprintf(buf + at, len - at, "\n%21s", "");
			col = 0;
		}
		at += (size_t)snprintf(buf + at, len - at, "%s%s", col ? " " : "", s);
		col += strlen(s) + 1;
	}
}

static const char *mem_name(int i)
{
	return gs_mem_kind_name((enum gs_mem_kind)i);
}

static void usage(FILE *f)
{
	char mems[512], methods[512];

	help_names(mems, sizeof(mems), mem_name, GS_MEM_NR, GS_MEM_REF);
	hp_method_names(methods, sizeof(methods), "                     ", 60);
	fprintf(f,
"usage: gup_stress [options]\n"
"Pin memory of many kinds through every GUP path while mutators change the\n"
"page tables underneath; check patterns, pin accounting and the kernel log.\n"
"\n"
"  --duration D       whole run, split across memory types: 0.1s..24h (s/m/h suffix) [%.0fs]\n"
"  --mem LIST         memory types, comma separated, or all [all]:\n"
"                     %s\n"
"                     hugepin_ref (the reference module; not in all: it damages\n"
"                     refcounts on kernels without the PMD special bit)\n"
"  --methods LIST     pin methods, comma separated, or all [all]:\n"
"                     %s\n"
"  --mutators LIST    comma separated, all or none [all]: remap mremap dontneed free\n"
"                     cold pageout mprotect fork split collapse compact\n"
"  --threads N        pinner threads: 1..%d [%d]\n"
"  --mutator-threads N  0..%d [%d]\n"
"  --size SIZE        bytes per memory type, a multiple of the PMD block (%zuK\n"
"                     here) up to 1G [%zuK: four blocks]\n"
"                     (hugetlb_1g always maps one huge page of the PUD size)\n"
"  --io-size SIZE     largest single pin, a power of two: the page (%zuK)..1M [256K]\n"
"  --seed N           random seed: 0..2^63 [%d]\n"
"  --dir DIR          directory on a disk filesystem for the pagecache type [$TMPDIR or /tmp]\n"
"  --stress-ng ARGS   run stress-ng ARGS in the background (when installed)\n"
"                     [\"%s\"]\n"
"  --no-stress-ng     no background pressure\n"
"  --bench            pins per second per memory type and method, and the ratio of\n"
"                     our per-page cost to gup_test PIN_FAST_BENCHMARK (CONFIG_GUP_TEST)\n"
"  --json             summary as JSON on stdout\n"
"  --list-mem         the memory types, one a line, and exit\n"
"  --quiet            no progress lines on stderr\n"
"  -h, --help         this text\n"
"Exit: 0 pass, 1 failure, 2 usage, 4 nothing could run (skip).\n"
"SIGINT, SIGTERM, SIGHUP: stop, print the partial results marked INTERRUPTED, exit\n"
"128 + signal (130, 143, 129); a second one of the same kind ends the program at once;\n"
"one ignored at start (nohup, a script's background job) stays ignored.\n"
"Environment: HUGEPIN_DISK O_DIRECT scratch device, HUGEPIN_RECORDS record port.\n",
		DEF_DURATION, mems, methods, MAX_THREADS, DEF_THREADS, MAX_MUT_THREADS, DEF_MUT_THREADS,
		hp_pmd_size() >> 10, DEF_SIZE_BLOCKS * hp_pmd_size() >> 10, hp_page_size() >> 10,
		DEF_SEED, STRESS_NG_DEFAULT);
}

static int bad(const char *opt, const char *val, const char *want)
{
	fprintf(stderr, "gup_stress: invalid %s '%s': %s (see --help)\n", opt, val, want);
	return -EINVAL;
}

enum {
	OPT_DURATION = 256, OPT_MEM, OPT_METHODS, OPT_MUTATORS, OPT_THREADS, OPT_MUT_THREADS,
	OPT_SIZE, OPT_IO, OPT_SEED, OPT_DIR, OPT_STRESS, OPT_NO_STRESS, OPT_BENCH, OPT_JSON,
	OPT_LIST_MEM, OPT_QUIET,
};

static void set_defaults(struct opts *o)
{
	struct gs_config *c = &o->cfg;

	memset(o, 0, sizeof(*o));
	c->duration = DEF_DURATION;
	c->threads = DEF_THREADS;
	c->mutator_threads = DEF_MUT_THREADS;
	c->size = DEF_SIZE_BLOCKS * hp_pmd_size();
	c->io_size = DEF_IO;
	c->seed = DEF_SEED;
	c->progress = true;
	gs_mem_list_parse("all", &c->mem_mask, NULL, 0);
	hp_methods_parse("all", &c->methods, NULL, 0);
	gs_mutator_list_parse("all", &c->mutators, NULL, 0);
	o->stress_args = STRESS_NG_DEFAULT;
}

/* The refused item of a comma list, or that an item was empty. */
static int bad_item(const char *opt, const char *item, const char *what)
{
	return bad(opt, item, *item ? what : "an empty item in the comma list");
}

static int parse_list(int opt, const char *arg, struct gs_config *c)
{
	char item[HP_NAME_LEN];

	switch (opt) {
	case OPT_MEM:
		if (gs_mem_list_parse(arg, &c->mem_mask, item, sizeof(item)))
			return bad_item("--mem", item, "no memory type of that name");
		break;
	case OPT_METHODS:
		if (hp_methods_parse(arg, &c->methods, item, sizeof(item)))
			return bad_item("--methods", item, "no pin method of that name");
		c->methods_explicit = strcmp(arg, "all") != 0;
		break;
	default:
		if (gs_mutator_list_parse(arg, &c->mutators, item, sizeof(item)))
			return bad_item("--mutators", item, "no mutator of that name");
		break;
	}
	return 0;
}

static int parse_number(int opt, const char *arg, struct gs_config *c)
{
	long l;

	switch (opt) {
	case OPT_DURATION:
		if (hp_parse_duration(arg, 0.1, MAX_DURATION, &c->duration))
			return bad("--duration", arg, "0.1s..24h");
		break;
	case OPT_THREADS:
		if (hp_parse_long(arg, 1, MAX_THREADS, &l))
			return bad("--threads", arg, "1..64");
		c->threads = (int)l;
		break;
	case OPT_MUT_THREADS:
		if (hp_parse_long(arg, 0, MAX_MUT_THREADS, &l))
			return bad("--mutator-threads", arg, "0..16");
		c->mutator_threads = (int)l;
		break;
	case OPT_SIZE:
		if (hp_parse_size(arg, hp_pmd_size(), MAX_SIZE, &c->size) ||
		    c->size % hp_pmd_size())
			return bad("--size", arg, "a multiple of the PMD block size, up to 1G");
		break;
	case OPT_IO:
		if (hp_parse_size(arg, hp_page_size(), MAX_IO, &c->io_size) ||
		    (c->io_size & (c->io_size - 1)))
			return bad("--io-size", arg, "a power of two from the page size up to 1M");
		break;
	default:
		if (hp_parse_long(arg, 0, INT64_MAX, &l))
			return bad("--seed", arg, "0..2^63");
		c->seed = (uint64_t)l;
		break;
	}
	return 0;
}

/* One option getopt_long() found; 'h' and unknown ones are the caller's. */
static int parse_one(int opt, const char *arg, struct opts *o)
{
	struct gs_config *c = &o->cfg;

	switch (opt) {
	case OPT_MEM:
	case OPT_METHODS:
	case OPT_MUTATORS:
		return parse_list(opt, arg, c);
	case OPT_DURATION:
	case OPT_THREADS:
	case OPT_MUT_THREADS:
	case OPT_SIZE:
	case OPT_IO:
	case OPT_SEED:
		return parse_number(opt, arg, c);
	case OPT_DIR:
		if (access(arg, W_OK))
			return bad("--dir", arg, "not a writable directory");
		c->dir = arg;
		break;
	case OPT_STRESS:
		if (!*arg)
			return bad("--stress-ng", arg, "stressor arguments, or --no-stress-ng");
		o->stress_args = arg;
		break;
	case OPT_NO_STRESS:
		o->stress_args = NULL;
		break;
	case OPT_BENCH:
		o->bench = true;
		break;
	case OPT_JSON:
		o->json = true;
		break;
	case OPT_LIST_MEM:
		/* Every memory type of the table, one a line: what a caller checks its own list against. */
		for (int k = 0; k < GS_MEM_NR; k++)
			printf("%s\n", gs_mem_kind_name((enum gs_mem_kind)k));
		exit(EXIT_PASS);
	case OPT_QUIET:
		c->progress = false;
		break;
	}
	return 0;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "mem", required_argument, NULL, OPT_MEM },
		{ "methods", required_argument, NULL, OPT_METHODS },
		{ "mutators", required_argument, NULL, OPT_MUTATORS },
		{ "threads", required_argument, NULL, OPT_THREADS },
		{ "mutator-threads", required_argument, NULL, OPT_MUT_THREADS },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "io-size", required_argument, NULL, OPT_IO },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "dir", required_argument, NULL, OPT_DIR },
		{ "stress-ng", required_argument, NULL, OPT_STRESS },
		{ "no-stress-ng", no_argument, NULL, OPT_NO_STRESS },
		{ "bench", no_argument, NULL, OPT_BENCH },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "list-mem", no_argument, NULL, OPT_LIST_MEM },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	set_defaults(o);
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			exit(EXIT_PASS);
		}
		if (opt < OPT_DURATION || opt > OPT_QUIET) {
			fprintf(stderr, "gup_stress: unknown option or missing value '%s' (see --help)\n",
				argv[optind - 1]);
			return -EINVAL;
		}
		if (parse_one(opt, optarg, o))
			return -EINVAL;
	}
	if (optind < argc) {
		fprintf(stderr, "gup_stress: unexpected argument '%s' (see --help)\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/* ---- stress-ng ---- */

struct stressng {
	pid_t pid;
	char status[96];
};

static bool in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[512], dir[4096], *save = NULL, *tok;

	snprintf(dir, sizeof(dir), "%s", path && *path ? path : "/usr/bin:/bin");
	for (tok = strtok_r(dir, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
		snprintf(buf, sizeof(buf), "%s/%s", tok, prog);
		if (!access(buf, X_OK))
			return true;
	}
	return false;
}

static void stressng_start(struct stressng *s, const char *args, double duration)
{
	char *argv[STRESS_NG_MAX_ARGS + 4], *copy, *save = NULL, *tok, timeout[32];
	int n = 0;
	bool has_timeout = false;

	s->pid = -1;
	if (!args) {
		snprintf(s->status, sizeof(s->status), "off");
		return;
	}
	if (!in_path(STRESS_NG)) {
		snprintf(s->status, sizeof(s->status), "not installed (no background pressure)");
		fprintf(stderr, "gup_stress: stress-ng not installed: running without background pressure\n");
		return;
	}
	copy = strdup(args);
	argv[n++] = STRESS_NG;
	for (tok = strtok_r(copy, " \t", &save); tok && n < STRESS_NG_MAX_ARGS;
	     tok = strtok_r(NULL, " \t", &save)) {
		has_timeout = has_timeout || !strcmp(tok, "--timeout") || !strcmp(tok, "-t");
		argv[n++] = tok;
	}
	/* A safety net: it must not outlive us if we die without stopping it. */
	if (!has_timeout) {
		snprintf(timeout, sizeof(timeout), "%.0fs", duration + STRESS_NG_SAFETY_TIMEOUT);
		argv[n++] = "--timeout";
		argv[n++] = timeout;
	}
	argv[n] = NULL;
	fflush(NULL);
	s->pid = fork();
	if (s->pid == 0) {
		setpgid(0, 0);
		if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
			_exit(127);
		execvp(STRESS_NG, argv);
		_exit(127);
	}
	free(copy);
	if (s->pid < 0)
		snprintf(s->status, sizeof(s->status), "fork failed: %s", strerror(errno));
	else
		setpgid(s->pid, s->pid);
}

static void stressng_stop(struct stressng *s, bool interrupted)
{
	struct timespec step = { .tv_nsec = 100000000L };
	int steps = interrupted ? STRESS_NG_GRACE_STEPS_INTERRUPTED : STRESS_NG_GRACE_STEPS;
	int status = 0;
	pid_t w = 0;

	if (s->pid <= 0)
		return;
	kill(-s->pid, SIGINT);
	for (int i = 0; i < steps; i++) {
		w = waitpid(s->pid, &status, WNOHANG);
		if (w)
			break;
		nanosleep(&step, NULL);
	}
	if (!w) {
		kill(-s->pid, SIGKILL);
		w = waitpid(s->pid, &status, 0);
		snprintf(s->status, sizeof(s->status), "killed: did not stop on SIGINT");
		return;
	}
	if (w < 0)
		snprintf(s->status, sizeof(s->status), "lost: %s", strerror(errno));
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		snprintf(s->status, sizeof(s->status), "could not be started (exit 127)");
	else if (WIFEXITED(status))
		snprintf(s->status, sizeof(s->status), "exit status %d", WEXITSTATUS(status));
	else if (WTERMSIG(status) == SIGINT)
		snprintf(s->status, sizeof(s->status), "stopped by SIGINT");
	else
		snprintf(s->status, sizeof(s->status), "killed by signal %d", WTERMSIG(status));
	s->pid = -1;
}

/* ---- output ---- */

static const char *log_text(const struct gs_mem_result *r)
{
	if (r->splats)
		return r->splat_line[0] ? r->splat_line : hp_splat_name(r->splats);
	return r->taint_new ? "new damage taint" : "clean";
}

static void print_text(const struct opts *o, const struct gs_run *run, const char *stress)
{
	char sig[32] = "";

	printf("gup_stress: kernel %s, %.0f s, seed %llu, %d pinner(s), %d mutator thread(s)\n",
	       hp_kernel_release(), o->cfg.duration, (unsigned long long)o->cfg.seed,
	       o->cfg.threads, o->cfg.mutator_threads);
	if (run->interrupted)
		printf("gup_stress: INTERRUPTED by %s: partial results; a method without one pin answered is UNTESTABLE\n",
		       hp_signal_name(run->interrupted, sig, sizeof(sig)));
	printf("stress-ng: %s\n", stress);
	printf("%-12s %-20s %9s %9s %10s %6s %6s %6s  %-24s %s\n", "memory", "method", "ops", "ok",
	       "pages", "integ", "raced", "faults", "errors", "verdict");
	for (int i = 0; i < run->nmem; i++) {
		const struct gs_mem_result *r = &run->mem[i];
		char errs[256], taint[64];

		if (!r->ran) {
			printf("%-12s skipped: %s\n", r->name, r->skip);
			continue;
		}
		for (int m = 0; m < HP_M_NR; m++) {
			const struct gs_method_stats *s = &r->m[m];

			if (!(r->methods & (1u << m))) {
				if (r->method_skip[m][0])
					printf("%-12s %-20s skipped: %s\n", r->name,
					       hp_method_name((enum hp_method)m), r->method_skip[m]);
				continue;
			}
			hp_errhist_text(&s->errs, "-", errs, sizeof(errs));
			printf("%-12s %-20s %9ld %9ld %10ld %6ld %6ld %6ld  %-24s %s%s\n", r->name,
			       hp_method_name((enum hp_method)m), s->ops, s->ok, s->pages,
			       s->integrity, s->raced, s->faults, errs, hp_verdict_name(r->verdict[m]),
			       r->verdict[m] == HP_VULNERABLE && r->vuln_expected ? " (expected)" : "");
		}
		hp_taint_describe(r->taint_new, taint, sizeof(taint));
		printf("%-12s huge %ld kB, level %s, pin balance %s%ld, log %s%s%s\n", r->name,
		       r->huge_kb, hp_level_name(r->level), r->pins_known ? "" : "unknown ",
		       r->pin_delta, log_text(r), r->taint_new ? ", taint " : "",
		       r->taint_new ? taint : "");
		printf("%-12s mutators:", r->name);
		for (int m = 0; m < GS_MUT_NR; m++) {
			const struct gs_mut_stats *s = &r->mut[m];

			if (!(o->cfg.mutators & (1u << m)))
				continue;
			printf(" %s %ld", gs_mutator_name((enum gs_mutator)m), s->ops);
			if (s->disabled)
				printf(" (unsupported: %s)", hp_errhist_name(s->disabled_err));
			else if (s->errors)
				printf(" (%ld errors, last %s)", s->errors, hp_errhist_name(s->last_err));
		}
		printf("\n");
		if (r->first_bad[0])
			printf("%-12s first failure: %s\n", r->name, r->first_bad);
		if (r->too_slow[0])
			printf("%-12s %s\n", r->name, r->too_slow);
		if (r->interrupted)
			printf("%-12s interrupted by %s after %.1f s\n", r->name, sig, r->seconds);
	}
	if (run->interrupted)
		printf("result: none, INTERRUPTED by %s (so far %s: %ld integrity failures, pin balance %ld)\n",
		       sig, run->failed ? "FAIL" : "no failure", run->integrity, run->pin_delta);
	else
		printf("result: %s: %ld integrity failures, pin balance %ld\n",
		       !run->any_ran ? "SKIP" : run->failed ? "FAIL" : "PASS", run->integrity,
		       run->pin_delta);
}

static void json_str(const char *key, const char *val, bool comma)
{
	char buf[1024];

	hp_json_escape(val, buf, sizeof(buf));
	printf("\"%s\":\"%s\"%s", key, buf, comma ? "," : "");
}

static const char *mem_status(const struct gs_mem_result *r)
{
	if (r->interrupted)
		return "interrupted";
	if (!r->ran)
		return "skip";
	return r->failed ? "fail" : "pass";
}

static void json_method(const struct gs_mem_result *r, enum hp_method m)
{
	const struct gs_method_stats *s = &r->m[m];
	bool first = true;

	json_str("method", hp_method_name(m), true);
	if (!(r->methods & (1u << m))) {
		json_str("status", "skip", true);
		json_str("reason", r->method_skip[m], false);
		return;
	}
	printf("\"ops\":%ld,\"ok\":%ld,\"pages\":%ld,\"integrity_failures\":%ld,"
	       "\"raced\":%ld,\"faults\":%ld,\"errors\":{",
	       s->ops, s->ok, s->pages, s->integrity, s->raced, s->faults);
	for (int e = 0; e < HP_ERRNO_SLOTS; e++) {
		if (!s->errs.n[e])
			continue;
		printf("%s\"%s\":%ld", first ? "" : ",", hp_errhist_name(e), s->errs.n[e]);
		first = false;
	}
	printf("},");
	json_str("verdict", hp_verdict_name(r->verdict[m]), true);
	printf("\"expected\":%s,",
	       r->verdict[m] == HP_VULNERABLE && r->vuln_expected ? "true" : "false");
	json_str("evidence", r->evidence[m], false);
}

static void json_mutators(const struct opts *o, const struct gs_mem_result *r)
{
	bool first = true;

	printf("\"mutators\":{");
	for (int m = 0; m < GS_MUT_NR; m++) {
		const struct gs_mut_stats *s = &r->mut[m];

		if (!(o->cfg.mutators & (1u << m)))
			continue;
		printf("%s\"%s\":{\"ops\":%ld,\"errors\":%ld,\"supported\":%s}",
		       first ? "" : ",", gs_mutator_name((enum gs_mutator)m), s->ops,
		       s->errors, s->disabled ? "false" : "true");
		first = false;
	}
	printf("}");
}

/* One memory type's object, without its braces. */
static void json_mem(const struct opts *o, const struct gs_mem_result *r)
{
	bool first = true;

	json_str("mem", r->name, true);
	json_str("status", mem_status(r), true);
	if (!r->ran) {
		json_str("reason", r->skip, false);
		return;
	}
	json_str("driver", r->driver[0] ? r->driver : "-", true);
	json_str("level", hp_level_name(r->level), true);
	printf("\"huge_kb\":%ld,\"seconds\":%.3f,\"pin_balance\":%ld,\"pins_known\":%s,",
	       r->huge_kb, r->seconds, r->pin_delta, r->pins_known ? "true" : "false");
	json_str("log", log_text(r), true);
	printf("\"taint\":%lu,\"extra_refs\":%ld,", r->taint_new, r->extra_refs);
	json_str("first_failure", r->first_bad, true);
	json_str("too_slow", r->too_slow, true);
	printf("\"methods\":[");
	for (int m = 0; m < HP_M_NR; m++) {
		if (!(r->methods & (1u << m)) && !r->method_skip[m][0])
			continue;
		printf("%s{", first ? "" : ",");
		first = false;
		json_method(r, (enum hp_method)m);
		printf("}");
	}
	printf("],");
	json_mutators(o, r);
}

static void print_json(const struct opts *o, const struct gs_run *run, const char *stress)
{
	char sig[32] = "";

	if (run->interrupted)
		hp_signal_name(run->interrupted, sig, sizeof(sig));
	printf("{");
	json_str("kernel", hp_kernel_release(), true);
	json_str("interrupted", sig, true);
	printf("\"duration\":%.3f,\"seed\":%llu,\"threads\":%d,\"mutator_threads\":%d,",
	       o->cfg.duration, (unsigned long long)o->cfg.seed, o->cfg.threads,
	       o->cfg.mutator_threads);
	json_str("stress_ng", stress, true);
	printf("\"memory\":[");
	for (int i = 0; i < run->nmem; i++) {
		printf("%s{", i ? "," : "");
		json_mem(o, &run->mem[i]);
		printf("}");
	}
	printf("],\"integrity_failures\":%ld,\"pin_balance\":%ld,", run->integrity,
	       run->pin_delta);
	json_str("result", run->interrupted ? "interrupted" : !run->any_ran ? "skip" :
		 run->failed ? "fail" : "pass", false);
	printf("}\n");
}

static void print_bench(const struct opts *o, const struct gs_bench_row *v, int n,
			int interrupted)
{
	char sig[32] = "";

	if (interrupted)
		hp_signal_name(interrupted, sig, sizeof(sig));
	if (o->json)
		printf("{\"interrupted\":\"%s\",\"bench\":[", sig);
	else
		printf("%-12s %-20s %12s %12s %14s %14s\n", "memory", "method", "pins/s",
		       "pages/s", "ns/page", "vs gup_test");
	for (int i = 0; i < n; i++) {
		const struct gs_bench_row *r = &v[i];
		double pins = r->seconds > 0 ? (double)r->ok / r->seconds : 0;
		double pages = r->seconds > 0 ? (double)r->pages / r->seconds : 0;
		double ns = r->pages ? r->seconds * 1e9 / (double)r->pages : 0;
		double ratio = r->gup_test_ns_page > 0 && ns > 0 ? ns / r->gup_test_ns_page : 0;
		const char *method = r->method == HP_M_NR ? "-" : hp_method_name(r->method);

		if (o->json) {
			printf("%s{", i ? "," : "");
			json_str("mem", r->mem, true);
			json_str("method", method, true);
			if (r->interrupted) {
				json_str("status", "interrupted", true);
				printf("\"ops\":%ld,\"ok\":%ld", r->ops, r->ok);
			} else if (r->skip[0] || !r->ok) {
				json_str("status", "skip", true);
				json_str("reason", r->skip[0] ? r->skip : hp_errhist_name(r->err), false);
			} else {
				printf("\"pins_per_s\":%.1f,\"pages_per_s\":%.1f,\"ns_per_page\":%.1f,"
				       "\"gup_test_ns_per_page\":%.1f,\"ratio\":%.3f",
				       pins, pages, ns, r->gup_test_ns_page, ratio);
			}
			printf("}");
			continue;
		}
		if (r->interrupted) {
			printf("%-12s %-20s interrupted by %s after %ld attempts (%ld ok): no rate\n",
			       r->mem, method, sig, r->ops, r->ok);
		} else if (r->skip[0]) {
			printf("%-12s %-20s skipped: %s\n", r->mem, method, r->skip);
		} else if (!r->ok) {
			printf("%-12s %-20s refused: %s (%ld attempts)\n", r->mem, method,
			       hp_errhist_name(r->err), r->ops);
		} else if (ratio > 0) {
			printf("%-12s %-20s %12.1f %12.1f %14.1f %13.2fx\n", r->mem, method, pins,
			       pages, ns, ratio);
		} else {
			printf("%-12s %-20s %12.1f %12.1f %14.1f %14s\n", r->mem, method, pins,
			       pages, ns, "n/a");
		}
	}
	if (o->json)
		printf("]}\n");
	else if (n)
		printf("vs gup_test: our per-page cost / PIN_FAST_BENCHMARK on the same range "
		       "(n/a: CONFIG_GUP_TEST not available or nothing pinned)\n");
	if (interrupted && !o->json)
		printf("bench: INTERRUPTED by %s: partial results, the rows above are all that ran\n",
		       sig);
}

static int run_bench(struct opts *o)
{
	struct gs_bench_row *rows = NULL;
	int n = 0, ok = 0, err, interrupted;

	err = gs_bench(&o->cfg, &rows, &n, &interrupted);
	if (err) {
		fprintf(stderr, "gup_stress: benchmark setup failed: %s\n", strerror(-err));
		return EXIT_FAIL;
	}
	print_bench(o, rows, n, interrupted);
	for (int i = 0; i < n; i++)
		ok += rows[i].ok > 0;
	free(rows);
	if (interrupted)
		return 128 + interrupted;
	return ok ? EXIT_PASS : HP_EXIT_SKIP;
}

static bool runnable(const struct gs_config *cfg)
{
	struct gs_mem_result *mem = NULL;
	bool any = false;
	int n = 0;

	if (gs_mem_plan(cfg, &mem, &n))
		return true;
	for (int i = 0; i < n; i++)
		any = any || !mem[i].skip[0];
	free(mem);
	return any;
}

int main(int argc, char **argv)
{
	struct stressng sng;
	struct gs_run run;
	struct opts o;
	int err, rc;

	if (parse(argc, argv, &o))
		return EXIT_USAGE;
	setvbuf(stdout, NULL, _IOLBF, 0);
	o.cfg.stop_signal = &hp_stop_signal;
	hp_catch_stop_signals();
	if (o.bench)
		return run_bench(&o);

	/* Background pressure only when something will run under it. */
	stressng_start(&sng, runnable(&o.cfg) ? o.stress_args : NULL, o.cfg.duration);
	err = gs_run(&o.cfg, &run);
	stressng_stop(&sng, run.interrupted != 0);
	if (err) {
		fprintf(stderr, "gup_stress: setup failed: %s\n", strerror(-err));
		return EXIT_FAIL;
	}
	if (o.json)
		print_json(&o, &run, sng.status);
	else
		print_text(&o, &run, sng.status);
	if (run.interrupted) {
		rc = 128 + run.interrupted;
	} else if (!run.any_ran) {
		/* One line naming why, for the kselftest SKIP. */
		for (int i = 0; i < run.nmem; i++)
			fprintf(stderr, "gup_stress: %s skipped: %s\n", run.mem[i].name,
				run.mem[i].skip[0] ? run.mem[i].skip : "nothing ran");
		rc = HP_EXIT_SKIP;
	} else {
		rc = run.failed ? EXIT_FAIL : EXIT_PASS;
	}
	gs_run_free(&run);
	return rc;
}
