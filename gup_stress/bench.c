// SPDX-License-Identifier: GPL-2.0
/*
 * gup_stress --bench: pin throughput per memory type and method, one method
 * at a time with no mutators, as figures to compare within one run.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

#define GS_PAGE 4096ul

int gs_bench(const struct gs_config *cfg, struct gs_bench_row **rows, int *nrows,
	     int *interrupted)
{
	struct gs_mem_result *mem = NULL;
	struct hp_scratch scratch, *sp = NULL;
	struct gs_bench_row *v = NULL;
	int nmem = 0, n = 0, pairs = 0, err;

	err = gs_mem_plan(cfg, &mem, &nmem);
	if (err)
		return err;
	for (int i = 0; i < nmem; i++)
		pairs += !mem[i].skip[0];
	pairs *= __builtin_popcount(cfg->methods);
	if (!hp_scratch_open(&scratch, (off_t)cfg->io_size))
		sp = &scratch;
	*interrupted = 0;
	for (int i = 0; i < nmem; i++) {
		struct gs_region r;
		struct gs_pinctx ctx;
		size_t len;

		*interrupted = gs_stop_requested(cfg);
		if (*interrupted)
			break;
		if (mem[i].skip[0] || gs_region_setup(cfg, &r, &mem[i])) {
			v = realloc(v, sizeof(*v) * (size_t)(n + 1));
			if (!v)
				abort();
			memset(&v[n], 0, sizeof(v[n]));
			snprintf(v[n].mem, sizeof(v[n].mem), "%s", mem[i].name);
			v[n].method = HP_M_NR;
			snprintf(v[n].skip, sizeof(v[n].skip), "%s", mem[i].skip);
			n++;
			continue;
		}
		len = r.len < cfg->io_size ? r.len : (size_t)cfg->io_size;
		gs_pinctx_init(&ctx, sp, 0, len);
		ctx.check = false;
		for (int m = 0; m < HP_M_NR; m++) {
			struct gs_bench_row *row;
			double t0, end;
			size_t cells = r.len / len, c = 0;

			if (!(cfg->methods & (1u << m)))
				continue;
			v = realloc(v, sizeof(*v) * (size_t)(n + 1));
			if (!v)
				abort();
			row = &v[n++];
			memset(row, 0, sizeof(*row));
			snprintf(row->mem, sizeof(row->mem), "%s", mem[i].name);
			row->method = (enum hp_method)m;
			if (hp_pinner_available(&ctx.pin, (enum hp_method)m, row->skip,
						sizeof(row->skip)))
				continue;
			t0 = hp_now();
			end = t0 + cfg->duration / (pairs ? pairs : 1);
			do {
				int e;

				if (gs_pin_io(&ctx, (enum hp_method)m, r.addr + (c++ % cells) * len,
					      len, 0, &e) == GS_IO_OK) {
					row->ok++;
					row->pages += (long)(len / GS_PAGE);
				} else if (!row->err) {
					row->err = e ? e : EIO;
				}
				row->ops++;
				*interrupted = gs_stop_requested(cfg);
			} while (!*interrupted && hp_now() < end);
			row->seconds = hp_now() - t0;
			row->interrupted = *interrupted != 0;
			if (*interrupted)
				break;
			if (row->pages && ctx.pin.gup_fd >= 0) {
				double ns = gs_gup_test_ns_per_page(ctx.pin.gup_fd, r.addr, len);

				row->gup_test_ns_page = ns > 0 ? ns : 0;
			}
		}
		gs_pinctx_fini(&ctx);
		gs_region_teardown(&r);
	}
	if (sp)
		hp_scratch_close(sp);
	free(mem);
	*rows = v;
	*nrows = n;
	return 0;
}
