// SPDX-License-Identifier: GPL-2.0
/*
 * gup_stress --bench: pin throughput per memory type and method, one method
 * at a time with no mutators, as figures to compare within one run.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

/* The bench's state across memory types. */
struct bench {
	const struct gs_config *cfg;
	struct gs_bench_row *rows;
	int n;
	double share;			/* seconds per memory type x method */
	int interrupted;
};

static struct gs_bench_row *add_row(struct bench *b, const char *mem, enum hp_method m)
{
	struct gs_bench_row *row;

	b->rows = realloc(b->rows, sizeof(*b->rows) * (size_t)(b->n + 1));
	if (!b->rows)
		abort();
	row = &b->rows[b->n++];
	memset(row, 0, sizeof(*row));
	snprintf(row->mem, sizeof(row->mem), "%s", mem);
	row->method = m;
	return row;
}

/* One method on one region for its share of the time, cycling over cells of @len. */
static void bench_method(struct bench *b, struct gs_pinctx *ctx, const struct gs_region *r,
			 size_t len, struct gs_bench_row *row)
{
	size_t cells = r->len / len, c = 0;
	double t0 = hp_now(), end = t0 + b->share;

	do {
		int e;

		if (gs_pin_io(ctx, row->method, r->addr + (c++ % cells) * len, len, 0, &e) ==
		    GS_IO_OK) {
			row->ok++;
			row->pages += (long)(len / hp_page_size());
		} else if (!row->err) {
			row->err = e ? e : EIO;
		}
		row->ops++;
		b->interrupted = gs_stop_requested(b->cfg);
	} while (!b->interrupted && hp_now() < end);
	row->seconds = hp_now() - t0;
	row->interrupted = b->interrupted != 0;
	if (!b->interrupted && row->pages && ctx->pin.gup_fd >= 0) {
		double ns = gs_gup_test_ns_per_page(ctx->pin.gup_fd, r->addr, len);

		row->gup_test_ns_page = ns > 0 ? ns : 0;
	}
}

/* Every requested method on one memory type's region. */
static void bench_region(struct bench *b, struct gs_region *r, struct hp_scratch *sp)
{
	const struct gs_config *cfg = b->cfg;
	size_t len = r->len < cfg->io_size ? r->len : (size_t)cfg->io_size;
	struct gs_pinctx ctx;

	gs_pinctx_init(&ctx, sp, 0, len);
	ctx.check = false;
	for (int m = 0; m < HP_M_NR && !b->interrupted; m++) {
		struct gs_bench_row *row;

		if (!(cfg->methods & (1u << m)))
			continue;
		row = add_row(b, r->res->name, (enum hp_method)m);
		if (hp_pinner_available(&ctx.pin, row->method, row->skip, sizeof(row->skip)))
			continue;
		bench_method(b, &ctx, r, len, row);
	}
	gs_pinctx_fini(&ctx);
}

int gs_bench(const struct gs_config *cfg, struct gs_bench_row **rows, int *nrows,
	     int *interrupted)
{
	struct gs_mem_result *mem = NULL;
	struct hp_scratch scratch, *sp = NULL;
	struct bench b = { .cfg = cfg };
	int nmem = 0, pairs = 0, err;

	err = gs_mem_plan(cfg, &mem, &nmem);
	if (err)
		return err;
	for (int i = 0; i < nmem; i++)
		pairs += !mem[i].skip[0];
	pairs *= __builtin_popcount(cfg->methods);
	b.share = cfg->duration / (pairs ? pairs : 1);
	if (!hp_scratch_open(&scratch, (off_t)cfg->io_size))
		sp = &scratch;
	for (int i = 0; i < nmem && !b.interrupted; i++) {
		struct gs_bench_row *row;
		struct gs_region r;

		b.interrupted = gs_stop_requested(cfg);
		if (b.interrupted)
			break;
		if (mem[i].skip[0] || gs_region_setup(cfg, &r, &mem[i])) {
			row = add_row(&b, mem[i].name, HP_M_NR);
			snprintf(row->skip, sizeof(row->skip), "%s", mem[i].skip);
			continue;
		}
		bench_region(&b, &r, sp);
		gs_region_teardown(&r);
	}
	if (sp)
		hp_scratch_close(sp);
	free(mem);
	*rows = b.rows;
	*nrows = b.n;
	*interrupted = b.interrupted;
	return 0;
}
