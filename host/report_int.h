/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the report_*.c files share beyond report.h: limits of the rendered
 * text and the helpers more than one of them uses.
 */
#ifndef HP_REPORT_INT_H
#define HP_REPORT_INT_H

#include "report.h"

#define MARKER HP_MARK_START
#define CELL_CAP 40		/* table cells wider than this are cut */
#define LINE_LEN 512

/* report.c */
/* Copy at most @n bytes of @src into @dst of @len bytes, always terminated. */
void copy_str(char *dst, size_t len, const char *src, size_t n);
/* Whether case name @child is @parent or one of its sub-cases. */
bool name_covers(const char *parent, const char *child);
/* The last open case of @test/@name from index @from on, or NULL. */
struct hp_open_case *case_find(struct hp_report *rep, size_t from, const char *test,
			       const char *name);

/* report_coverage.c: the reason of an UNTESTABLE row without the pin's "off=0x0 len=0x10000: ". */
const char *reason_of(const char *evidence);

/* report_render.c */
void md_cell(struct hp_buf *out, const char *s);
void json_str(struct hp_buf *out, const char *s);
void json_counts(struct hp_buf *out, const struct hp_summary *s);
void json_coverage(struct hp_buf *out, const struct hp_coverage *cov);
/* "hugepin_ref PMD (24 records), vmwgfx (TTM huge fault) (3 records, inferred from the pin)" */
void coverage_list(struct hp_buf *out, const struct hp_coverage *cov);
void json_timings(struct hp_buf *out, const struct hp_report *rep);

/* report_matrix.c: how bad a verdict is, for sorting rows. */
int row_rank(const struct hp_result *r);

#endif /* HP_REPORT_INT_H */
