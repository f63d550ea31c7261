// SPDX-License-Identifier: GPL-2.0
/*
 * drm_repro: race fast-GUP pins of a GPU (or reference module) buffer
 * mapping against eviction, and say per pin method whether the kernel let a
 * pin reach pages the driver owns.
 *
 * TTM mapped buffer objects with huge pfn PMDs from 5.7 to 5.15, and fast GUP
 * (O_DIRECT, vmsplice, later io_uring) took references on the pages behind
 * them. This program reproduces that under load and reports a verdict with
 * evidence; --bench measures how fast the race runs and how soon a detector
 * fires on a vulnerable target.
 *
 * Exit codes follow kselftest: 0 nothing unexpected was VULNERABLE,
 * 1 unexpected VULNERABLE, 4 nothing could be tested, 2 usage error;
 * 128 + signal when SIGINT, SIGTERM or SIGHUP cut the race short.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "race.h"

#define EXIT_USAGE 2
/* Default buffer: two PMD blocks (4 MiB with 2 MiB blocks). */
#define DEFAULT_SIZE_BLOCKS 2
#define MIN_SIZE_PAGES 2	/* one page to pin, one check page */
#define MAX_SIZE (1ul << 30)
#define DEFAULT_DURATION 10.0
#define MAX_DURATION (24 * 3600.0)
#define MAX_THREADS 64
#define BENCH_RUNS 10
#define BENCH_DURATION 2.0
#define BENCH_GOAL_S 1.0

struct opt_help {
	const char *name;
	const char *arg;
	const char *text;
};

static const struct opt_help help_table[] = {
	{ "device", "DEV", "/dev/dri/cardN, a DRM driver's short name (listed below), "
			   "ref (the hugepin_ref module), vfio (the guest's ivshmem BAR through vfio-pci), or the controls anon, shmem [default: first DRM device]" },
	{ "size", "BYTES", "buffer size, page aligned, K/M/G suffixes, two pages..1G [default: two PMD blocks]" },
	{ "threads", "N", "pinner threads per method, 1..64 [default 1]" },
	{ "methods", "LIST", "comma-separated pin methods, or all [default all]:" },
	{ "duration", "TIME", "race length, s/m/h suffixes, > 0 [default 10s; 2s per run with --bench]" },
	{ "seed", "N", "seed for offsets and canaries [default: from the clock, printed]" },
	{ "json", NULL, "JSON lines on stdout: one result per method, then a summary" },
	{ "quiet", NULL, "no progress lines on stderr" },
	{ "bench", NULL, "10 races: pins/s per method, evictions/s, time to the first detector" },
	{ "help", NULL, "this text" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: drm_repro [options]\n"
		"Race fast-GUP pins of a buffer mapping against eviction; one verdict per pin method.\n\n");
	for (i = 0; i < sizeof(help_table) / sizeof(help_table[0]); i++) {
		char lhs[32];

		snprintf(lhs, sizeof(lhs), "--%s%s%s", help_table[i].name,
			 help_table[i].arg ? " " : "", help_table[i].arg ? help_table[i].arg : "");
		fprintf(f, "  %-18s %s\n", lhs, help_table[i].text);
		if (!strcmp(help_table[i].name, "device")) {
			char names[256];

			/* From the target registry (harness/targets.c). */
			hp_target_drm_names(names, sizeof(names));
			fprintf(f, "        %s\n", names);
		}
		if (!strcmp(help_table[i].name, "methods")) {
			char names[512];

			/* From the method table: a new method is listed with no edit here. */
			hp_method_names(names, sizeof(names), "        ", 84);
			fprintf(f, "        %s\n", names);
		}
	}
	fprintf(f, "\nexit: 0 no unexpected VULNERABLE, 1 VULNERABLE, 4 nothing testable, 2 usage\n"
		"SIGINT, SIGTERM, SIGHUP: stop, print the partial results marked INTERRUPTED, exit\n"
		"128 + signal (130, 143, 129); a second one of the same kind ends the program at once;\n"
		"one ignored at start (nohup, a script's background job) stays ignored\n");
}

static int __attribute__((format(printf, 1, 2))) usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "drm_repro: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see drm_repro --help)\n");
	return EXIT_USAGE;
}

static int default_device(struct race_cfg *cfg, char *err, size_t len)
{
	struct hp_drm_dev devs[1];
	int n = hp_drm_list(devs, 1);

	if (n <= 0) {
		snprintf(err, len, "no DRM device found (give --device, e.g. ref or anon)");
		return -ENODEV;
	}
	return race_resolve_device(devs[0].path, cfg, err, len);
}

/* The bench's figures over its runs. */
struct bench {
	double maxrate[HP_M_NR], maxev;
	double first[BENCH_RUNS], worst_first, worst_vpin;
	int nm;
	bool tested;
};

static void bench_header(struct bench *b, const struct race_report *rep)
{
	printf("%-4s", "run");
	for (int i = 0; i < rep->nmethods; i++) {
		char h[40];

		b->nm++;
		b->maxrate[i] = 0;
		snprintf(h, sizeof(h), "%s/s", hp_method_name(rep->m[i].method));
		printf(" %20s", h);
	}
	printf(" %10s %14s %15s\n", "evict/s", "first_detect_s", "first_vuln_pin_s");
}

static void print_secs(double s, int width, const char *end)
{
	if (s >= 0)
		printf(" %*.3f%s", width, s, end);
	else
		printf(" %*s%s", width, "-", end);
}

/* One run's line: pin rates per method, evictions, first detection and first vulnerable pin. */
static void bench_row(struct bench *b, int r, const struct race_report *rep)
{
	double evps = rep->evict_cycles / rep->elapsed, vpin = rep->t_first_vuln_pin;

	printf("%-4d", r + 1);
	for (int i = 0; i < rep->nmethods; i++) {
		const struct race_method *m = &rep->m[i];
		double rate = m->available ? m->attempts / rep->elapsed : -1;

		if (rate > b->maxrate[i])
			b->maxrate[i] = rate;
		if (m->available)
			printf(" %20.1f", rate);
		else
			printf(" %20s", "n/a");
		if (m->f.res.verdict != HP_UNTESTABLE)
			b->tested = true;
	}
	if (evps > b->maxev)
		b->maxev = evps;
	b->first[r] = rep->t_first_detect;
	if (b->first[r] >= 0 && b->first[r] > b->worst_first)
		b->worst_first = b->first[r];
	if (vpin >= 0 && vpin > b->worst_vpin)
		b->worst_vpin = vpin;
	printf(" %10.1f", evps);
	print_secs(b->first[r], 14, "");
	print_secs(vpin, 15, "\n");
	fflush(stdout);
}

static void bench_summary(const struct bench *b, int done)
{
	int r;

	printf("%-4s", "max");
	for (int i = 0; i < b->nm; i++)
		printf(" %20.1f", b->maxrate[i]);
	printf(" %10.1f", b->maxev);
	print_secs(b->worst_first, 14, "");
	print_secs(b->worst_vpin, 15, "\n");
	for (r = 0; r < done; r++)
		if (b->first[r] < 0)
			break;
	if (r == done)
		printf("bench: first detector fired in every run, worst %.3f s (goal < %.1f s): %s\n",
		       b->worst_first, BENCH_GOAL_S, b->worst_first < BENCH_GOAL_S ? "met" : "missed");
	else
		printf("bench: no detector fired in run %d (expected on a target that is not vulnerable)\n",
		       r + 1);
}

static int run_bench(struct race_cfg *cfg)
{
	static struct race_report rep;
	struct bench b = { .worst_first = -1, .worst_vpin = -1 };
	char sig[32], name[HP_NAME_LEN + 8];
	int r;

	printf("bench: %s (%s) on %s, %.1f s per run, %d runs, %d pinner%s per method\n",
	       cfg->device, cfg->driver, hp_kernel_release(), cfg->duration, BENCH_RUNS,
	       cfg->threads, cfg->threads == 1 ? "" : "s");
	/* Announced like a race, so a guest that dies in the bench is blamed on it. */
	snprintf(name, sizeof(name), "race.%s", cfg->device);
	for (r = 0; r < BENCH_RUNS; r++) {
		cfg->seed += 1;
		hp_record_start(cfg->test, name, cfg->device, NULL);
		race_run(cfg, &rep);
		/* A cut-short run's rates say nothing: the table keeps complete runs only. */
		if (rep.interrupted)
			break;
		if (rep.untestable[0]) {
			printf("bench: cannot run: %s\n", rep.untestable);
			return HP_EXIT_SKIP;
		}
		if (!r)
			bench_header(&b, &rep);
		bench_row(&b, r, &rep);
	}
	if (!r) {
		printf("bench: INTERRUPTED by %s during run 1 of %d: no run completed\n",
		       hp_signal_name(rep.interrupted, sig, sizeof(sig)), BENCH_RUNS);
		return race_exit_code(&rep);
	}
	bench_summary(&b, r);
	if (rep.interrupted) {
		printf("bench: INTERRUPTED by %s during run %d of %d: the %d runs above are complete\n",
		       hp_signal_name(rep.interrupted, sig, sizeof(sig)), r + 1, BENCH_RUNS, r);
		return race_exit_code(&rep);
	}
	return b.tested ? 0 : HP_EXIT_SKIP;
}

/* What the command line asked for. */
struct cli {
	struct race_cfg cfg;
	const char *device;
	bool json, bench, have_duration;
};

/* One option with a value; a usage error's exit code, or 0. */
static int parse_value(int c, const char *arg, struct cli *o)
{
	long page = (long)hp_page_size(), l;
	char bad_item[HP_NAME_LEN];
	uint64_t u;

	switch (c) {
	case 'd':
		o->device = arg;
		break;
	case 's':
		if (hp_parse_size(arg, 1, MAX_SIZE, &u))
			return usage_error("--size '%s' is not a size of at most 1G (K/M/G suffixes)", arg);
		if (u % (uint64_t)page)
			return usage_error("--size '%s' is not a multiple of the page size (%ld)", arg, page);
		if (u < (uint64_t)(MIN_SIZE_PAGES * page))
			return usage_error("--size '%s' is below two pages (%ld)", arg, MIN_SIZE_PAGES * page);
		o->cfg.size = u;
		break;
	case 't':
		if (hp_parse_long(arg, 1, MAX_THREADS, &l))
			return usage_error("--threads '%s' is not a number from 1 to 64", arg);
		o->cfg.threads = (int)l;
		break;
	case 'm':
		if (hp_methods_parse(arg, &o->cfg.methods, bad_item, sizeof(bad_item)))
			return usage_error("--methods: '%s' is no pin method (a comma list of names, or all)",
					   bad_item);
		break;
	case 'D':
		if (hp_parse_duration(arg, 0.001, MAX_DURATION, &o->cfg.duration))
			return usage_error("--duration '%s' must be a time above 0 and at most 24h", arg);
		o->have_duration = true;
		break;
	default:
		if (hp_parse_long(arg, 0, INT64_MAX, &l))
			return usage_error("--seed '%s' is not a non-negative number", arg);
		o->cfg.seed = (uint64_t)l;
		break;
	}
	return 0;
}

/* The command line into @o: -1 to go on, else the exit code to end with. */
static int parse_args(int argc, char **argv, struct cli *o)
{
	static const struct option longopts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "size", required_argument, NULL, 's' },
		{ "threads", required_argument, NULL, 't' },
		{ "methods", required_argument, NULL, 'm' },
		{ "duration", required_argument, NULL, 'D' },
		{ "seed", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "bench", no_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, ret;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "d:s:t:m:D:S:jqbh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o->json = true;
			break;
		case 'q':
			o->cfg.progress = false;
			break;
		case 'b':
			o->bench = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'd': case 's': case 't': case 'm': case 'D': case 'S':
			ret = parse_value(c, optarg, o);
			if (ret)
				return ret;
			break;
		default:
			return usage_error("unknown option or missing value in '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (o->json && o->bench)
		return usage_error("%s", "--json and --bench do not go together");
	return -1;
}

static int run_race(struct race_cfg *cfg, bool json)
{
	static struct race_report rep;
	char name[2 * HP_NAME_LEN];

	snprintf(name, sizeof(name), "race.%s", cfg->device);
	hp_record_start(cfg->test, name, cfg->device, NULL);
	if (cfg->progress)
		fprintf(stderr, "drm_repro: racing %s for %.1f s, seed %" PRIu64 "\n",
			cfg->device, cfg->duration, cfg->seed);
	race_run(cfg, &rep);
	race_emit_records(cfg, &rep);
	if (json)
		race_print_json(stdout, cfg, &rep);
	else
		race_print_text(stdout, cfg, &rep);
	return race_exit_code(&rep);
}

int main(int argc, char **argv)
{
	struct cli o = { .device = NULL };
	struct race_cfg *cfg = &o.cfg;
	char err[256];
	int ret;

	cfg->size = DEFAULT_SIZE_BLOCKS * hp_pmd_size();
	cfg->threads = 1;
	cfg->duration = DEFAULT_DURATION;
	cfg->progress = true;
	cfg->test = "drm_repro";
	cfg->seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	if (hp_methods_parse("all", &cfg->methods, NULL, 0))
		return usage_error("%s", "internal: method table is empty");
	ret = parse_args(argc, argv, &o);
	if (ret >= 0)
		return ret;

	ret = o.device ? race_resolve_device(o.device, cfg, err, sizeof(err))
		       : default_device(cfg, err, sizeof(err));
	if (ret == -EINVAL)
		return usage_error("%s", err);
	if (ret) {
		if (o.json) {
			char esc[2 * sizeof(err)];

			/* The reason itself: the summary is what a caller reads. */
			hp_json_escape(err, esc, sizeof(esc));
			printf("{\"type\":\"summary\",\"test\":\"drm_repro\",\"exit\":4,\"untestable\":\"%s\"}\n",
			       esc);
		}
		fprintf(stderr, "drm_repro: SKIP: %s\n", err);
		return HP_EXIT_SKIP;
	}

	cfg->stop_signal = &hp_stop_signal;
	hp_catch_stop_signals();
	if (!o.bench)
		return run_race(cfg, o.json);
	if (!o.have_duration)
		cfg->duration = BENCH_DURATION;
	cfg->progress = false;
	return run_bench(cfg);
}
