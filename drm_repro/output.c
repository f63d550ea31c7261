// SPDX-License-Identifier: GPL-2.0
/*
 * How a race is reported: a readable summary for people, JSON lines for the
 * evict_race selftest and scripts, and start/result records for the VM
 * runner. Every method gets its own verdict line, because on a given kernel
 * O_DIRECT may reach fast GUP while io_uring registration does not.
 */
#include <inttypes.h>
#include <string.h>

#include "race.h"

static const char *verdict_text(const struct hp_result *res)
{
	if (res->verdict == HP_VULNERABLE && res->expected)
		return "VULNERABLE (expected)";
	return hp_verdict_name(res->verdict);
}

static bool huge_level(enum hp_level l)
{
	return l == HP_LEVEL_PMD || l == HP_LEVEL_PUD;
}

void race_print_text(FILE *f, const struct race_cfg *cfg, const struct race_report *rep)
{
	char taint[64], sig[32];
	int i, vuln = 0, xvuln = 0, safe = 0, untestable = 0;

	fprintf(f, "drm_repro: %s (%s%s%s) on %s, %" PRIu64 " KiB buffers, %d pinner%s per method, %.1f s, seed %" PRIu64 "\n",
		cfg->device, cfg->driver, cfg->kind == HP_BUF_DRM ? ", " : "",
		cfg->kind == HP_BUF_DRM ? cfg->drm.path : "", hp_kernel_release(),
		cfg->size >> 10, cfg->threads, cfg->threads == 1 ? "" : "s",
		rep->elapsed, cfg->seed);
	if (rep->untestable[0])
		fprintf(f, "  could not run: %s\n", rep->untestable);
	if (rep->too_slow[0])
		fprintf(f, "  %s\n", rep->too_slow);
	if (rep->interrupted)
		fprintf(f, "  INTERRUPTED by %s after %.1f s: partial results; a method short of one pin attempt and one eviction cycle is UNTESTABLE\n",
			hp_signal_name(rep->interrupted, sig, sizeof(sig)), rep->elapsed);
	fprintf(f, "  mapping: %s level (huge mapping %s)%s%s\n", hp_level_name(rep->level),
		huge_level(rep->level) ? "formed" : "not seen",
		rep->level_src[0] ? ", from " : "", rep->level_src);
	fprintf(f, "  race: %ld eviction cycles (%.1f/s)%s%s%s, %ld refault cycles\n",
		rep->evict_cycles, rep->elapsed > 0 ? rep->evict_cycles / rep->elapsed : 0.0,
		rep->knobs[0] ? ", knobs " : "", rep->knobs, rep->knobs[0] ? "" : "",
		rep->refault_cycles);
	hp_taint_describe(rep->taint_new, taint, sizeof(taint));
	fprintf(f, "  detectors: kernel log %s, taint %s, pin accounting %s (%+ld), contents %s%s%s\n",
		rep->splats ? hp_splat_name(rep->splats) : "quiet",
		rep->taint_new ? taint : "unchanged",
		rep->pin_leak ? "UNBALANCED" : "balanced", rep->pin_leak,
		rep->refault_bad ? "CHANGED" : "intact",
		cfg->kind == HP_BUF_REF ? ", refcounts " : "",
		cfg->kind == HP_BUF_REF ? (rep->extra_refs ? "DAMAGED" : "clean") : "");
	if (rep->splat_line[0])
		fprintf(f, "  kernel log: %s\n", rep->splat_line);
	if (rep->refault_detail[0])
		fprintf(f, "  contents: %s\n", rep->refault_detail);
	if (rep->refs_detail[0])
		fprintf(f, "  refcounts: %s\n", rep->refs_detail);
	if (rep->t_first_detect >= 0)
		fprintf(f, "  first detector: %.3f s: %s\n", rep->t_first_detect, rep->first_detect);
	for (i = 0; i < rep->nmethods; i++) {
		const struct hp_result *res = &rep->m[i].f.res;

		fprintf(f, "  %-20s %-22s %s\n", res->method, verdict_text(res), res->evidence);
		if (res->verdict == HP_VULNERABLE && !res->expected)
			vuln++;
		if (res->verdict == HP_VULNERABLE && res->expected)
			xvuln++;
		if (res->verdict == HP_SAFE)
			safe++;
		if (res->verdict == HP_UNTESTABLE)
			untestable++;
	}
	if (rep->interrupted)
		fprintf(f, "verdict: none, INTERRUPTED by %s (so far of %d methods: %d VULNERABLE, %d VULNERABLE (expected), %d SAFE, %d UNTESTABLE)\n",
			sig, rep->nmethods, vuln, xvuln, safe, untestable);
	else if (vuln)
		fprintf(f, "verdict: VULNERABLE (%d of %d methods)\n", vuln, rep->nmethods);
	else if (race_exit_code(rep) == 4)
		fprintf(f, "verdict: UNTESTABLE\n");
	else if (safe == rep->nmethods)
		fprintf(f, "verdict: SAFE\n");
	else
		fprintf(f, "verdict: no unexpected VULNERABLE (%d SAFE of %d methods)\n",
			safe, rep->nmethods);
}

static void json_str(FILE *f, const char *key, const char *val, bool comma)
{
	char esc[2 * HP_TEXT_LEN];

	hp_json_escape(val ? val : "", esc, sizeof(esc));
	fprintf(f, "\"%s\":\"%s\"%s", key, esc, comma ? "," : "");
}

static void json_time(FILE *f, const char *key, double t)
{
	if (t < 0)
		fprintf(f, "\"%s\":null,", key);
	else
		fprintf(f, "\"%s\":%.3f,", key, t);
}

void race_print_json(FILE *f, const struct race_cfg *cfg, const struct race_report *rep)
{
	char line[4 * HP_TEXT_LEN], sig[32];
	int i;

	for (i = 0; i < rep->nmethods; i++) {
		if (hp_record_format(&rep->m[i].f.res, line, sizeof(line)) < 0)
			continue;
		fprintf(f, "%s\n", line);
	}
	fprintf(f, "{\"type\":\"summary\",");
	json_str(f, "test", cfg->test, true);
	json_str(f, "device", cfg->device, true);
	json_str(f, "driver", cfg->driver, true);
	json_str(f, "target", hp_buf_kind_name(cfg->kind), true);
	json_str(f, "kernel", hp_kernel_release(), true);
	fprintf(f, "\"size\":%" PRIu64 ",\"threads\":%d,\"seed\":%" PRIu64 ",\"duration\":%.3f,\"elapsed\":%.3f,",
		cfg->size, cfg->threads, cfg->seed, cfg->duration, rep->elapsed);
	json_str(f, "level", hp_level_name(rep->level), true);
	fprintf(f, "\"huge\":%s,", huge_level(rep->level) ? "true" : "false");
	fprintf(f, "\"evict_cycles\":%ld,\"refault_cycles\":%ld,\"refault_bad\":%ld,",
		rep->evict_cycles, rep->refault_cycles, rep->refault_bad);
	json_str(f, "knobs", rep->knobs, true);
	json_str(f, "splat", rep->splats ? hp_splat_name(rep->splats) : "", true);
	json_str(f, "splat_line", rep->splat_line, true);
	fprintf(f, "\"taint_new\":%lu,\"pin_leak\":%ld,\"extra_refs\":%ld,",
		rep->taint_new, rep->pin_leak, rep->extra_refs);
	json_time(f, "first_detect_s", rep->t_first_detect);
	json_str(f, "first_detect", rep->first_detect, true);
	json_time(f, "first_vuln_pin_s", rep->t_first_vuln_pin);
	json_str(f, "untestable", rep->untestable, true);
	json_str(f, "too_slow", rep->too_slow, true);
	json_str(f, "interrupted", rep->interrupted ?
		 hp_signal_name(rep->interrupted, sig, sizeof(sig)) : "", true);
	fprintf(f, "\"exit\":%d,\"methods\":[", race_exit_code(rep));
	for (i = 0; i < rep->nmethods; i++) {
		const struct race_method *m = &rep->m[i];

		fprintf(f, "%s{", i ? "," : "");
		json_str(f, "method", hp_method_name(m->method), true);
		fprintf(f, "\"available\":%s,\"attempts\":%ld,\"ok\":%ld,\"bytes\":%ld,\"holds\":%ld,\"holds_ok\":%ld,\"canary_bad\":%ld,",
			m->available ? "true" : "false", m->attempts, m->ok, m->bytes,
			m->holds, m->holds_ok, m->canary_bad);
		json_time(f, "first_ok_s", m->t_first_ok);
		fprintf(f, "\"attempts_per_s\":%.1f}",
			rep->elapsed > 0 ? m->attempts / rep->elapsed : 0.0);
	}
	fprintf(f, "]}\n");
}

void race_emit_records(const struct race_cfg *cfg, const struct race_report *rep)
{
	int i;

	(void)cfg;
	for (i = 0; i < rep->nmethods; i++)
		hp_frame_emit(&rep->m[i].f);
}
