// SPDX-License-Identifier: GPL-2.0
/*
 * Detector controls in the report: what each control showed, the line that
 * lists them, and the rule that a SAFE verdict backed by a detector whose
 * control stayed silent (or could not run) is no SAFE at all but
 * UNTESTABLE. Control records are never verdicts about the kernel: they
 * live apart from the rows, so they count in no summary, grid, coverage or
 * exit code.
 */
#include <stdio.h>
#include <string.h>

#include "report_int.h"

/* The detectors' names, from their table (harness/detectors.c). */
const char *hp_control_detector(size_t i)
{
	const struct hp_detector *d = hp_detector_at(i);

	return d ? d->name : NULL;
}

/*
 * Any record of the detector that fired proves it; else one that ran and
 * stayed silent condemns it; else it is untested. Records without a
 * "control" field (a control's own pin records) decide nothing.
 */
enum hp_control_state hp_report_control_state(const struct hp_report *rep, const char *detector,
					      const char **evidence)
{
	enum hp_control_state st = HP_CONTROL_NONE;
	const char *ev = NULL;
	size_t i;

	for (i = 0; i < rep->ncontrols; i++) {
		const struct hp_result *r = &rep->controls[i].r;

		if (strcmp(r->control, detector))
			continue;
		if (r->verdict == HP_VULNERABLE) {
			st = HP_CONTROL_FIRED;
			ev = r->evidence;
			break;
		}
		if (r->verdict == HP_SAFE) {
			st = HP_CONTROL_SILENT;
			ev = r->evidence;
		} else if (st == HP_CONTROL_NONE) {
			st = HP_CONTROL_UNTESTED;
			ev = r->evidence;
		}
	}
	if (evidence)
		*evidence = ev;
	return st;
}

/* Which rows a detector's silence undermines: its row says. */
static bool detector_backs(const char *detector, const struct hp_result *r)
{
	const struct hp_detector *d = hp_detector_find(detector);

	return !d || d->backs(r);
}

size_t hp_report_apply_controls(struct hp_report *rep)
{
	size_t d, i, changed = 0;
	const char *det, *ev;

	for (d = 0; (det = hp_control_detector(d)); d++) {
		enum hp_control_state st = hp_report_control_state(rep, det, &ev);

		if (st != HP_CONTROL_SILENT && st != HP_CONTROL_UNTESTED)
			continue;
		for (i = 0; i < rep->nrows; i++) {
			struct hp_result *r = &rep->rows[i].r;
			char why[HP_TEXT_LEN];

			if (r->verdict != HP_SAFE || !detector_backs(det, r))
				continue;
			if (st == HP_CONTROL_SILENT)
				snprintf(why, sizeof(why), "detector %s did not fire in its control; was: %.280s",
					 det, r->evidence);
			else
				snprintf(why, sizeof(why), "detector %s unproven, its control could not run (%.120s); was: %.160s",
					 det, ev ? ev : "no reason", r->evidence);
			memcpy(r->evidence, why, sizeof(r->evidence));
			r->verdict = HP_UNTESTABLE;
			changed++;
		}
	}
	return changed;
}

static const char *state_word(enum hp_control_state st)
{
	switch (st) {
	case HP_CONTROL_FIRED:
		return "fired";
	case HP_CONTROL_SILENT:
		return "did not fire";
	case HP_CONTROL_UNTESTED:
		return "could not run";
	default:
		return "not run";
	}
}

void hp_report_controls_text(const struct hp_report *rep, const char *prefix, struct hp_buf *out)
{
	const char *det, *ev;
	bool blind = false;
	size_t d;

	if (!rep->ncontrols)
		return;
	hp_buf_printf(out, "%sControls: ", prefix);
	for (d = 0; (det = hp_control_detector(d)); d++) {
		enum hp_control_state st = hp_report_control_state(rep, det, NULL);

		hp_buf_printf(out, "%s%s %s", d ? ", " : "", det, state_word(st));
		blind |= st == HP_CONTROL_SILENT || st == HP_CONTROL_UNTESTED;
	}
	hp_buf_printf(out, ".\n");
	if (!blind)
		return;
	for (d = 0; (det = hp_control_detector(d)); d++) {
		enum hp_control_state st = hp_report_control_state(rep, det, &ev);

		if (st == HP_CONTROL_SILENT || st == HP_CONTROL_UNTESTED)
			hp_buf_printf(out, "%sDETECTOR UNPROVEN: %s %s (%.300s): the cases it backs are UNTESTABLE.\n",
				      prefix, det, state_word(st), ev ? ev : "");
	}
}

void hp_report_controls_json(const struct hp_report *rep, struct hp_buf *out)
{
	const char *det, *ev;
	size_t d;

	hp_buf_printf(out, "\"controls\":[");
	for (d = 0; rep->ncontrols && (det = hp_control_detector(d)); d++) {
		enum hp_control_state st = hp_report_control_state(rep, det, &ev);

		hp_buf_printf(out, "%s{\"detector\":", d ? "," : "");
		json_str(out, det);
		hp_buf_printf(out, ",\"state\":");
		json_str(out, state_word(st));
		hp_buf_printf(out, ",\"fired\":%s,\"evidence\":", st == HP_CONTROL_FIRED ? "true" : "false");
		json_str(out, ev ? ev : "");
		hp_buf_printf(out, "}");
	}
	hp_buf_printf(out, "]");
}
