// SPDX-License-Identifier: GPL-2.0
/*
 * Coverage and exit code: which bug paths ran over a huge pfn mapping, why
 * a run was inconclusive, and the runner's notes about devices.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"

/* ---- coverage: which bug paths ran over a huge pfn mapping ---- */

/*
 * What a record's device is and which bug path a huge entry over it
 * exercises comes from the target registry (harness/targets.c). A device not
 * listed is a DRM device whose ownership the record does not tell: its huge
 * entries count as "<device> huge pfn", a pin of it proves nothing.
 */
static const struct hp_target_info *pfn_target(const char *device)
{
	return hp_target_info(device);
}

static bool is_control(const char *device)
{
	const struct hp_target_info *t = pfn_target(device);

	return !device[0] || (t && t->kind == HP_MEM_CONTROL);
}

/*
 * True when @row ran over a huge pfn mapping; @name gets its bug path and
 * @inferred says that only the pin shows it. Driver-owned memory is mapped
 * with special PTEs, which fast GUP refuses, so a pin of it that succeeded
 * went through a huge entry even where the level could not be seen; so did
 * one whose page damage killed the guest (a console row is VULNERABLE only
 * on page damage), as a CONFIG_DEBUG_VM kernel does at the first such pin.
 */
static bool row_path(const struct hp_row *row, char *name, size_t len, bool *inferred)
{
	const struct hp_result *r = &row->r;
	const struct hp_target_info *t = pfn_target(r->device);
	enum hp_level level = HP_LEVEL_UNKNOWN;
	bool huge, pinned;

	if (r->verdict == HP_UNTESTABLE || is_control(r->device))
		return false;
	if (hp_level_parse(r->level, &level))
		level = HP_LEVEL_UNKNOWN;
	huge = level == HP_LEVEL_PMD || level == HP_LEVEL_PUD;
	pinned = t && t->kind == HP_MEM_DRIVER &&
		 ((r->err == 0 && r->bytes > 0) ||
		  (row->from_console && r->verdict == HP_VULNERABLE));
	if (!huge && !pinned)
		return false;
	*inferred = !huge;
	if (t && t->path)
		snprintf(name, len, "%s%s", t->path,
			 !t->by_level || !huge ? "" : level == HP_LEVEL_PUD ? " PUD" : " PMD");
	else
		snprintf(name, len, "%s huge pfn", r->device);
	return true;
}

unsigned int hp_report_ktap_failures(const struct hp_report *rep, char *buf, size_t len)
{
	unsigned int n = 0;
	size_t used = 0;

	if (buf && len)
		buf[0] = '\0';
	for (size_t i = 0; i < rep->ktap.n; i++) {
		const struct hp_ktap_prog *p = &rep->ktap.progs[i];
		int w;

		if (!p->fail)
			continue;
		n += p->fail;
		if (!buf || used >= len)
			continue;
		w = snprintf(buf + used, len - used, "%s%s (%u)", used ? ", " : "", p->name, p->fail);
		used += w > 0 ? (size_t)w : 0;
	}
	return n;
}

int hp_report_exit_code(const struct hp_report *rep, const char *bisect_on)
{
	char name[HP_PATH_LEN];
	bool covered = false, vuln = false, safe = false, inferred;
	size_t i;

	for (i = 0; i < rep->nrows; i++) {
		const struct hp_result *r = &rep->rows[i].r;

		if (bisect_on && !hp_row_matches_case(r, bisect_on))
			continue;
		/* Under --bisect-on, either side of a fix may be the "expected" one. */
		if (r->verdict == HP_VULNERABLE && (bisect_on || !r->expected))
			vuln = true;
		if (r->verdict == HP_SAFE)
			safe = true;
		if (row_path(&rep->rows[i], name, sizeof(name), &inferred))
			covered = true;
	}
	if (vuln || (!bisect_on && hp_report_ktap_failures(rep, NULL, 0)))
		return 1;
	return covered || (safe && rep->unmapped_safe_decides) ? 0 : 125;
}

const char *reason_of(const char *evidence)
{
	const char *colon = strstr(evidence, ": ");

	if (!strncmp(evidence, "off=", 4) && colon)
		return colon + 2;
	return evidence;
}

static bool row_decides(const struct hp_result *r, const char *bisect_on)
{
	return !bisect_on || hp_row_matches_case(r, bisect_on);
}

/* Why @dev's deciding rows formed no huge pfn mapping, as one clause. */
static void device_why(const struct hp_report *rep, const char *bisect_on, const char *dev,
		       char *buf, size_t len)
{
	const char *reason = NULL;
	size_t i, j, tested = 0, best = 0;
	unsigned int levels = 0;
	enum hp_level l;

	for (i = 0; i < rep->nrows; i++) {
		const struct hp_result *r = &rep->rows[i].r;
		size_t same = 0;

		if (strcmp(r->device, dev) || !row_decides(r, bisect_on))
			continue;
		if (r->verdict != HP_UNTESTABLE) {
			tested++;
			if (hp_level_parse(r->level, &l))
				l = HP_LEVEL_UNKNOWN;
			levels |= 1u << l;
			continue;
		}
		/* The reason most of its rows give speaks for the device. */
		for (j = 0; j < rep->nrows; j++)
			same += rep->rows[j].r.verdict == HP_UNTESTABLE &&
				!strcmp(rep->rows[j].r.device, dev) &&
				row_decides(&rep->rows[j].r, bisect_on) &&
				!strcmp(reason_of(rep->rows[j].r.evidence), reason_of(r->evidence));
		if (same > best) {
			best = same;
			reason = reason_of(r->evidence);
		}
	}
	if (is_control(dev)) {
		hp_appendf(buf, len, "%s is a control, no pfn mapping", dev);
	} else if (tested) {
		hp_appendf(buf, len, "%s formed no huge entry (%zu record%s, level", dev, tested,
			 tested == 1 ? "" : "s");
		for (l = HP_LEVEL_UNKNOWN; l <= HP_LEVEL_PUD; l++)
			if (levels & (1u << l)) {
				hp_appendf(buf, len, "%c%s", levels & ((1u << l) - 1) ? '/' : ' ',
					 hp_level_name(l));
			}
		hp_appendf(buf, len, ")");
	} else if (reason) {
		hp_appendf(buf, len, "%s UNTESTABLE (%.160s)", dev, reason);
	} else {
		for (i = 0; i < rep->nuntestable; i++)
			if (!strcmp(rep->untestable[i].device, dev))
				break;
		if (i < rep->nuntestable)
			hp_appendf(buf, len, "%s UNTESTABLE (%.160s)", dev, rep->untestable[i].why);
		else
			hp_appendf(buf, len, "%s: no record (no such device, or its cases not selected)",
				 dev);
	}
}

static bool note_listed(const struct hp_report *rep, size_t upto, const char *dev)
{
	size_t i;

	for (i = 0; i < upto; i++)
		if (!strcmp(rep->untestable[i].device, dev))
			return true;
	return false;
}

/* Whether an earlier deciding row than @upto has device @dev. */
static bool device_seen(const struct hp_report *rep, const char *bisect_on, size_t upto,
			const char *dev)
{
	size_t i;

	for (i = 0; i < upto; i++)
		if (!strcmp(rep->rows[i].r.device, dev) && row_decides(&rep->rows[i].r, bisect_on))
			return true;
	return false;
}

static void why_inconclusive(const struct hp_report *rep, const char *bisect_on,
			     char *buf, size_t len)
{
	const char *sep = ": ";
	size_t i;

	buf[0] = '\0';
	if (!bisect_on) {
		hp_appendf(buf, len, "no case formed a huge pfn mapping");
		for (i = 0; hp_target_at(i); i++) {
			const struct hp_target_info *t = hp_target_at(i);

			/* An opt-in target with a bug path speaks when the run had it. */
			if (!t->huge && !(t->path && device_seen(rep, NULL, rep->nrows, t->name)))
				continue;
			hp_appendf(buf, len, "%s", sep);
			device_why(rep, NULL, hp_target_at(i)->name, buf, len);
			sep = "; ";
		}
		for (i = 0; i < rep->nuntestable; i++) {
			const char *dev = rep->untestable[i].device;
			const struct hp_target_info *t = pfn_target(dev);

			if ((t && t->huge) || note_listed(rep, i, dev))
				continue;
			hp_appendf(buf, len, "%s", sep);
			device_why(rep, NULL, dev, buf, len);
		}
		return;
	}
	for (i = 0; i < rep->nrows; i++)
		if (row_decides(&rep->rows[i].r, bisect_on))
			break;
	if (i == rep->nrows) {
		hp_appendf(buf, len, "no case matches --bisect-on %s (globs match whole names: "
			 "'*part*' for a part)", bisect_on);
		return;
	}
	hp_appendf(buf, len, "the deciding cases (--bisect-on %s) formed no huge pfn mapping",
		 bisect_on);
	for (; i < rep->nrows; i++) {
		const struct hp_result *r = &rep->rows[i].r;

		if (!row_decides(r, bisect_on) || device_seen(rep, bisect_on, i, r->device))
			continue;
		hp_appendf(buf, len, "%s", sep);
		device_why(rep, bisect_on, r->device, buf, len);
		sep = "; ";
	}
}

void hp_report_coverage(const struct hp_report *rep, const char *bisect_on,
			struct hp_coverage *cov)
{
	char name[HP_PATH_LEN];
	bool inferred;
	size_t i, p;

	memset(cov, 0, sizeof(*cov));
	for (i = 0; i < rep->nrows; i++) {
		const struct hp_result *r = &rep->rows[i].r;

		if (!row_path(&rep->rows[i], name, sizeof(name), &inferred))
			continue;
		if (row_decides(r, bisect_on))
			cov->conclusive = true;
		for (p = 0; p < cov->npaths && strcmp(cov->paths[p].name, name); p++)
			;
		if (p == cov->npaths) {
			if (p == HP_MAX_PATHS)
				continue;
			snprintf(cov->paths[cov->npaths++].name, sizeof(name), "%s", name);
		}
		if (inferred)
			cov->paths[p].inferred++;
		else
			cov->paths[p].seen++;
	}
	if (!cov->conclusive)
		why_inconclusive(rep, bisect_on, cov->why, sizeof(cov->why));
}

int hp_report_add_not_run(struct hp_report *rep, const char *program)
{
	const char *eq = strchr(program, '=');
	size_t n = eq ? (size_t)(eq - program) : strlen(program);

	if (!n || n >= HP_NAME_LEN || (eq && !eq[1]))
		return -EINVAL;
	if (rep->nnot_run == HP_MAX_NOT_RUN)
		return -ENOSPC;
	copy_str(rep->not_run[rep->nnot_run], HP_NAME_LEN, program, n);
	snprintf(rep->not_run_why[rep->nnot_run], HP_TEXT_LEN, "%s", eq ? eq + 1 : "");
	rep->nnot_run++;
	return 0;
}

int hp_report_add_untestable(struct hp_report *rep, const char *dev_eq_why)
{
	const char *eq = dev_eq_why ? strchr(dev_eq_why, '=') : NULL;
	struct hp_device_note *n;

	if (!eq || eq == dev_eq_why || (size_t)(eq - dev_eq_why) >= sizeof(n->device) || !eq[1])
		return -EINVAL;
	if (rep->nuntestable == HP_MAX_NOTES)
		return -ENOSPC;
	n = &rep->untestable[rep->nuntestable++];
	copy_str(n->device, sizeof(n->device), dev_eq_why, (size_t)(eq - dev_eq_why));
	snprintf(n->why, sizeof(n->why), "%s", eq + 1);
	return 0;
}

void hp_verdict_text(const struct hp_result *r, char *buf, size_t len)
{
	const char *ev = r->evidence;
	const char *exp = strstr(ev, "(expected: ");

	if (r->verdict != HP_VULNERABLE || !r->expected) {
		snprintf(buf, len, "%s", hp_verdict_name(r->verdict));
		return;
	}
	/* hp_decide() ends the evidence with "(expected: <why>)": reuse it. */
	if (exp)
		snprintf(buf, len, "VULNERABLE %.*s", (int)(strcspn(exp, ")") + 1), exp);
	else
		snprintf(buf, len, "VULNERABLE (expected)");
}

