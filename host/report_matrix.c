// SPDX-License-Identifier: GPL-2.0
/*
 * report.json read back, and the kernel x case matrix over several runs.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"

/* ---- report.json back in, and the matrix ---- */

int hp_report_load_json(struct hp_report *rep, const char *text, size_t len)
{
	struct hp_json *j = hp_json_parse(text, len);
	const struct hp_json *arr, *it;
	int ret = -EINVAL;

	/* Initialized on every path: callers free @rep whatever we return. */
	hp_report_init(rep, hp_json_str(j, "kernel", "unknown"));
	hp_report_set_arch(rep, hp_json_str(j, "arch", "unknown"));
	if (!j || j->type != HP_JSON_OBJECT)
		goto out;
	arr = hp_json_get(j, "records");
	if (!arr || arr->type != HP_JSON_ARRAY)
		goto out;
	for (it = arr->child; it; it = it->next) {
		const struct hp_json *fc = hp_json_get(it, "from_console");
		struct hp_result r;

		if (hp_json_to_result(it, &r))
			goto out;
		if (hp_report_add_row(rep, &r, fc && fc->type == HP_JSON_BOOL && fc->b)) {
			ret = -ENOMEM;
			goto out;
		}
	}
	arr = hp_json_get(j, "timings");
	if (arr && arr->type == HP_JSON_OBJECT)
		for (it = arr->child; it && rep->ntimings < HP_MAX_TIMINGS; it = it->next) {
			struct hp_timing *t = &rep->timings[rep->ntimings];

			if (it->type != HP_JSON_NUMBER)
				continue;
			snprintf(t->name, sizeof(t->name), "%s", it->key);
			t->value = it->num;
			rep->ntimings++;
		}
	arr = hp_json_get(j, "ktap");
	if (arr && arr->type == HP_JSON_ARRAY)
		for (it = arr->child; it; it = it->next) {
			struct hp_ktap_prog *p = realloc(rep->ktap.progs,
							 (rep->ktap.n + 1) * sizeof(*p));
			double v;

			if (!p) {
				ret = -ENOMEM;
				goto out;
			}
			rep->ktap.progs = p;
			p = &rep->ktap.progs[rep->ktap.n++];
			memset(p, 0, sizeof(*p));
			snprintf(p->name, sizeof(p->name), "%s", hp_json_str(it, "program", "?"));
			/* Counts are clamped: the file may have been edited by hand. */
#define COUNT(f) (v = hp_json_num(it, #f, 0), v < 0 || v > 1e6 ? 0u : (unsigned int)v)
			p->pass = COUNT(pass);
			p->fail = COUNT(fail);
			p->skip = COUNT(skip);
			p->xfail = COUNT(xfail);
#undef COUNT
			v = hp_json_num(it, "planned", -1);
			p->planned = v < -1 || v > 1e6 ? -1 : (int)v;
			v = hp_json_num(it, "exit_ok", -1);
			p->exit_ok = v == 0 || v == 1 ? (int)v : -1;
		}
	ret = 0;
out:
	hp_json_free(j);
	return ret;
}

/* Rank of a verdict inside one matrix cell: the worst record wins the cell. */
static int cell_rank(const struct hp_result *r)
{
	if (r->verdict == HP_VULNERABLE)
		return r->expected ? 3 : 4;
	return r->verdict == HP_SAFE ? 2 : 1;
}

int row_rank(const struct hp_result *r)
{
	return cell_rank(r);
}

static const char *const rank_short[] = { "-", "UNTEST", "SAFE", "VULN(exp)", "VULN" };
static const char *const rank_long[] = {
	NULL, "UNTESTABLE", "SAFE", "VULNERABLE (expected)", "VULNERABLE",
};

static void case_key(const struct hp_result *r, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", r->device,
		 strcmp(r->method, "-") ? r->method : r->test);
}

struct keys {
	char (*k)[3 * HP_NAME_LEN];
	size_t n;
};

static long key_index(const struct keys *ks, const char *key)
{
	size_t i;

	for (i = 0; i < ks->n; i++)
		if (!strcmp(ks->k[i], key))
			return (long)i;
	return -1;
}

static int collect_keys(const struct hp_report *const *reps, size_t n, struct keys *ks)
{
	char key[3 * HP_NAME_LEN];
	size_t i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < reps[i]->nrows; j++) {
			void *nk;

			case_key(&reps[i]->rows[j].r, key, sizeof(key));
			if (key_index(ks, key) >= 0)
				continue;
			nk = realloc(ks->k, (ks->n + 1) * sizeof(*ks->k));
			if (!nk)
				return -ENOMEM;
			ks->k = nk;
			snprintf(ks->k[ks->n++], sizeof(*ks->k), "%s", key);
		}
	return 0;
}

static int cell_of(const struct hp_report *rep, const char *key)
{
	char k[3 * HP_NAME_LEN];
	int best = 0;
	size_t j;

	for (j = 0; j < rep->nrows; j++) {
		case_key(&rep->rows[j].r, k, sizeof(k));
		if (!strcmp(k, key) && cell_rank(&rep->rows[j].r) > best)
			best = cell_rank(&rep->rows[j].r);
	}
	return best;
}

/* Timing names in order of first appearance over all kernels. */
static size_t timing_names(const struct hp_report *const *reps, size_t n,
			   const char **names, size_t max)
{
	size_t cnt = 0, i, j, k;

	for (i = 0; i < n; i++)
		for (j = 0; j < reps[i]->ntimings; j++) {
			const char *t = reps[i]->timings[j].name;

			for (k = 0; k < cnt && strcmp(names[k], t); k++)
				;
			if (k == cnt && cnt < max)
				names[cnt++] = t;
		}
	return cnt;
}

static bool timing_of(const struct hp_report *rep, const char *name, double *v)
{
	size_t j;

	for (j = 0; j < rep->ntimings; j++)
		if (!strcmp(rep->timings[j].name, name)) {
			*v = rep->timings[j].value;
			return true;
		}
	return false;
}

/* Release (128) and architecture (32) with their frame. */
#define LABEL_LEN 176

/* A kernel as the matrix names it: its release and, where known, its architecture. */
static const char *kernel_label(const struct hp_report *rep, char *buf, size_t len)
{
	if (!strcmp(rep->arch, "unknown"))
		snprintf(buf, len, "%s", rep->kernel);
	else
		snprintf(buf, len, "%s (%s)", rep->kernel, rep->arch);
	return buf;
}

static void list_kernels(const struct hp_report *const *reps, size_t n, int code,
			 struct hp_buf *out, bool json)
{
	char label[LABEL_LEN];
	bool any = false;
	size_t i;

	for (i = 0; i < n; i++) {
		if (hp_report_exit_code(reps[i], NULL) != code)
			continue;
		if (json) {
			hp_buf_printf(out, "%s", any ? "," : "");
			json_str(out, reps[i]->kernel);
		} else {
			hp_buf_printf(out, "%s%s", any ? ", " : "",
				      kernel_label(reps[i], label, sizeof(label)));
		}
		any = true;
	}
	if (!any && !json)
		hp_buf_printf(out, "none");
}

/* The timings and cases a matrix shows, shared by its three renderers. */
struct matrix {
	const struct hp_report *const *reps;
	size_t n;
	struct keys ks;
	const char *tnames[HP_MAX_TIMINGS * 4];
	size_t nt;
};

/*
 * Which huge pfn mappings (providers and levels) each kernel formed, one
 * line per kernel after @bullet: what the cells above were answered over.
 */
static void matrix_coverage(const struct matrix *mx, struct hp_buf *out, const char *bullet)
{
	char label[LABEL_LEN];
	struct hp_coverage cov;
	size_t i;

	for (i = 0; i < mx->n; i++) {
		hp_report_coverage(mx->reps[i], NULL, &cov);
		hp_buf_printf(out, "%s%s: ", bullet, kernel_label(mx->reps[i], label, sizeof(label)));
		coverage_list(out, &cov);
		hp_buf_printf(out, "\n");
	}
}

/*
 * Markdown: one column per kernel, one row per timing and per device/method,
 * so a matrix of a few kernels stays narrow enough to paste into a bug report.
 */
static void matrix_markdown(const struct matrix *mx, struct hp_buf *md)
{
	char label[LABEL_LEN];
	size_t i, k;
	double v;

	hp_buf_printf(md, "# hugepin matrix\n\n| case |");
	for (i = 0; i < mx->n; i++)
		md_cell(md, kernel_label(mx->reps[i], label, sizeof(label)));
	hp_buf_printf(md, "\n|---|");
	for (i = 0; i < mx->n; i++)
		hp_buf_printf(md, "---|");
	hp_buf_printf(md, "\n");
	for (k = 0; k < mx->nt; k++) {
		hp_buf_printf(md, "| %s |", mx->tnames[k]);
		for (i = 0; i < mx->n; i++)
			if (timing_of(mx->reps[i], mx->tnames[k], &v))
				hp_buf_printf(md, " %.1f |", v);
			else
				hp_buf_printf(md, " - |");
		hp_buf_printf(md, "\n");
	}
	for (k = 0; k < mx->ks.n; k++) {
		hp_buf_printf(md, "|");
		md_cell(md, mx->ks.k[k]);
		for (i = 0; i < mx->n; i++)
			hp_buf_printf(md, " %s |", rank_short[cell_of(mx->reps[i], mx->ks.k[k])]);
		hp_buf_printf(md, "\n");
	}
	hp_buf_printf(md, "\nCells show the worst verdict of the cases of a device and method"
		      " (VULN > VULN(exp) > SAFE > UNTEST; - not run); timings in seconds."
		      "\n\nHuge pfn mappings formed:\n\n");
	matrix_coverage(mx, md, "- ");
	hp_buf_printf(md, "\nkernels needing a fix: ");
	list_kernels(mx->reps, mx->n, 1, md, false);
	hp_buf_printf(md, "\n\nkernels that could not be tested: ");
	list_kernels(mx->reps, mx->n, 125, md, false);
	hp_buf_printf(md, "\n");
}

/* The terminal's table: the same rows as the Markdown, in aligned columns. */
static int matrix_text(const struct matrix *mx, struct hp_buf *txt)
{
	char label[LABEL_LEN];
	size_t cw = strlen("CASE"), *colw = calloc(mx->n + 1, sizeof(*colw));
	size_t i, k;
	double v;

	if (!colw)
		return -ENOMEM;
	for (k = 0; k < mx->ks.n; k++)
		if (strlen(mx->ks.k[k]) > cw)
			cw = strlen(mx->ks.k[k]);
	for (k = 0; k < mx->nt; k++)
		if (strlen(mx->tnames[k]) > cw)
			cw = strlen(mx->tnames[k]);
	hp_buf_printf(txt, "%-*s", (int)cw, "CASE");
	for (i = 0; i < mx->n; i++) {
		kernel_label(mx->reps[i], label, sizeof(label));
		colw[i] = strlen(label) > 9 ? strlen(label) : 9;
		hp_buf_printf(txt, "  %-*s", (int)colw[i], label);
	}
	hp_buf_printf(txt, "\n");
	for (k = 0; k < mx->nt; k++) {
		hp_buf_printf(txt, "%-*s", (int)cw, mx->tnames[k]);
		for (i = 0; i < mx->n; i++)
			if (timing_of(mx->reps[i], mx->tnames[k], &v))
				hp_buf_printf(txt, "  %-*.1f", (int)colw[i], v);
			else
				hp_buf_printf(txt, "  %-*s", (int)colw[i], "-");
		hp_buf_printf(txt, "\n");
	}
	for (k = 0; k < mx->ks.n; k++) {
		hp_buf_printf(txt, "%-*s", (int)cw, mx->ks.k[k]);
		for (i = 0; i < mx->n; i++)
			hp_buf_printf(txt, "  %-*s", (int)colw[i],
				      rank_short[cell_of(mx->reps[i], mx->ks.k[k])]);
		hp_buf_printf(txt, "\n");
	}
	free(colw);
	hp_buf_printf(txt, "Huge pfn mappings formed:\n");
	matrix_coverage(mx, txt, "  ");
	hp_buf_printf(txt, "kernels needing a fix: ");
	list_kernels(mx->reps, mx->n, 1, txt, false);
	hp_buf_printf(txt, "\n");
	return 0;
}

/* One kernel's object of matrix.json. */
static void matrix_json_kernel(const struct matrix *mx, const struct hp_report *rep,
			       struct hp_buf *json)
{
	struct hp_coverage cov;
	struct hp_summary s;
	bool first = true;
	size_t k;

	hp_report_summary(rep, &s);
	hp_report_coverage(rep, NULL, &cov);
	hp_buf_printf(json, "{\"kernel\":");
	json_str(json, rep->kernel);
	hp_buf_printf(json, ",\"arch\":");
	json_str(json, rep->arch);
	hp_buf_printf(json, ",\"exit_code\":%d,\"summary\":{", hp_report_exit_code(rep, NULL));
	json_counts(json, &s);
	hp_buf_printf(json, "},");
	json_coverage(json, &cov);
	hp_buf_printf(json, ",\"timings\":");
	json_timings(json, rep);
	hp_buf_printf(json, ",\"cells\":{");
	for (k = 0; k < mx->ks.n; k++) {
		int rank = cell_of(rep, mx->ks.k[k]);

		if (!rank)
			continue;
		hp_buf_printf(json, "%s", first ? "" : ",");
		json_str(json, mx->ks.k[k]);
		hp_buf_printf(json, ":\"%s\"", rank_long[rank]);
		first = false;
	}
	hp_buf_printf(json, "}}");
}

static void matrix_json(const struct matrix *mx, struct hp_buf *json)
{
	size_t i, k;

	hp_buf_printf(json, "{\"cases\":[");
	for (k = 0; k < mx->ks.n; k++) {
		hp_buf_printf(json, "%s", k ? "," : "");
		json_str(json, mx->ks.k[k]);
	}
	hp_buf_printf(json, "],\n\"kernels\":[");
	for (i = 0; i < mx->n; i++) {
		hp_buf_printf(json, "%s\n", i ? "," : "");
		matrix_json_kernel(mx, mx->reps[i], json);
	}
	hp_buf_printf(json, "],\n\"needing_fix\":[");
	list_kernels(mx->reps, mx->n, 1, json, true);
	hp_buf_printf(json, "],\"untestable\":[");
	list_kernels(mx->reps, mx->n, 125, json, true);
	hp_buf_printf(json, "]}\n");
}

int hp_matrix_render(const struct hp_report *const *reps, size_t n,
		     struct hp_buf *md, struct hp_buf *json, struct hp_buf *txt)
{
	struct matrix mx = { .reps = reps, .n = n };
	bool tested = false, vuln = false;
	size_t i;
	int ret;

	ret = collect_keys(reps, n, &mx.ks);
	if (ret) {
		free(mx.ks.k);
		return ret;
	}
	mx.nt = timing_names(reps, n, mx.tnames, sizeof(mx.tnames) / sizeof(mx.tnames[0]));
	for (i = 0; i < n; i++) {
		int code = hp_report_exit_code(reps[i], NULL);

		vuln |= code == 1;
		tested |= code == 0;
	}
	matrix_markdown(&mx, md);
	ret = matrix_text(&mx, txt);
	if (!ret)
		matrix_json(&mx, json);
	free(mx.ks.k);
	if (ret)
		return ret;
	if (vuln)
		return 1;
	return tested ? 0 : 125;
}
