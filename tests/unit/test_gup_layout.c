// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of gup_layout.c: the gup_test/gup_benchmark ioctl numbers must
 * be the ones each kernel generation computes from its own struct, or the
 * kernel refuses them (wrong size) or, worse, runs a slow benchmark that
 * never reaches fast GUP (wrong command number in the same size). The
 * structs below restate each generation's argument field by field.
 */
#include <stddef.h>
#include <sys/ioctl.h>

#include "hp_sys.h"
#include "unit.h"

/* gup_test since 5.13: separate gup and test flags. */
struct arg_gup_test_513 {
	uint64_t get_us, put_us, addr, len;
	uint32_t per_call, gup_flags, test_flags;
	uint32_t dump_pages[8];
};

/* gup_test in 5.11 and 5.12: one flags word. */
struct arg_gup_test_511 {
	uint64_t get_us, put_us, addr, len;
	uint32_t per_call, flags;
	uint32_t dump_pages[8];
};

/* gup_benchmark from 4.20 to 5.10: ten reserved words at the end. */
struct arg_gup_benchmark {
	uint64_t get_us, put_us, addr, len;
	uint32_t per_call, flags;
	uint64_t reserved[10];
};

/* The row for @kernels, checked to belong to debugfs file @file. */
static const struct hp_gup_layout *row(const char *file, const char *kernels)
{
	int i;

	for (i = 0; i < HP_GUP_NLAYOUTS; i++)
		if (!strcmp(hp_gup_layouts[i].kernels, kernels)) {
			EXPECT_STR(strrchr(hp_gup_layouts[i].file, '/') + 1, file);
			return &hp_gup_layouts[i];
		}
	printf("# no row for %s %s\n", file, kernels);
	unit_failed = true;
	return &hp_gup_layouts[0];
}

static void sizes_match_each_generation(void)
{
	EXPECT_EQ(sizeof(struct arg_gup_test_513), 80);
	EXPECT_EQ(sizeof(struct arg_gup_test_511), 72);
	EXPECT_EQ(sizeof(struct arg_gup_benchmark), 120);
	EXPECT_EQ(row("gup_test", "5.13+")->size, sizeof(struct arg_gup_test_513));
	EXPECT_EQ(row("gup_test", "5.11-5.12")->size, sizeof(struct arg_gup_test_511));
	EXPECT_EQ(row("gup_benchmark", "5.10")->size, sizeof(struct arg_gup_benchmark));
	EXPECT_EQ(row("gup_benchmark", "5.6-5.9")->size, sizeof(struct arg_gup_benchmark));
	EXPECT_EQ(row("gup_benchmark", "4.20-5.5")->size, sizeof(struct arg_gup_benchmark));
}

/* PIN_FAST_BENCHMARK where it exists, GUP_FAST_BENCHMARK before 5.6. */
static void ioctl_numbers_match_each_generation(void)
{
	EXPECT_EQ(hp_gup_layout_cmd(row("gup_test", "5.13+")),
		  _IOWR('g', 2, struct arg_gup_test_513));
	EXPECT_EQ(hp_gup_layout_cmd(row("gup_test", "5.11-5.12")),
		  _IOWR('g', 2, struct arg_gup_test_511));
	EXPECT_EQ(hp_gup_layout_cmd(row("gup_benchmark", "5.10")),
		  _IOWR('g', 3, struct arg_gup_benchmark));
	EXPECT_EQ(hp_gup_layout_cmd(row("gup_benchmark", "5.6-5.9")),
		  _IOWR('g', 4, struct arg_gup_benchmark));
	EXPECT_EQ(hp_gup_layout_cmd(row("gup_benchmark", "4.20-5.5")),
		  _IOWR('g', 1, struct arg_gup_benchmark));
	/* The same numbers written out, as strace and the kernel's logs show them. */
	EXPECT_EQ(hp_gup_layout_cmd(row("gup_test", "5.13+")), 0xc0506702ul);
	EXPECT_EQ(hp_gup_layout_cmd(row("gup_test", "5.11-5.12")), 0xc0486702ul);
	EXPECT_EQ(hp_gup_layout_cmd(row("gup_benchmark", "5.10")), 0xc0786703ul);
	EXPECT_EQ(hp_gup_layout_cmd(row("gup_benchmark", "5.6-5.9")), 0xc0786704ul);
	EXPECT_EQ(hp_gup_layout_cmd(row("gup_benchmark", "4.20-5.5")), 0xc0786701ul);
}

/* One hp_gup_args serves every layout: same head, room for the longest. */
static void args_cover_every_layout(void)
{
	int i;

	for (i = 0; i < HP_GUP_NLAYOUTS; i++)
		EXPECT(hp_gup_layouts[i].size <= sizeof(struct hp_gup_args));
	EXPECT_EQ(offsetof(struct hp_gup_args, addr), offsetof(struct arg_gup_test_513, addr));
	EXPECT_EQ(offsetof(struct hp_gup_args, len), offsetof(struct arg_gup_benchmark, len));
	EXPECT_EQ(offsetof(struct hp_gup_args, pages_per_call),
		  offsetof(struct arg_gup_test_511, per_call));
	EXPECT_EQ(offsetof(struct hp_gup_args, foll_flags),
		  offsetof(struct arg_gup_test_513, gup_flags));
	EXPECT_EQ(offsetof(struct hp_gup_args, foll_flags), offsetof(struct arg_gup_test_511, flags));
	EXPECT_EQ(offsetof(struct hp_gup_args, foll_flags),
		  offsetof(struct arg_gup_benchmark, flags));
	EXPECT_EQ(offsetof(struct hp_gup_args, put_usec), offsetof(struct arg_gup_benchmark, put_us));
}

/* The one gup_benchmark row a release may try, as its command number; -1 for none or several. */
static int benchmark_nr(const char *release)
{
	int i, nr = -1, fits = 0;

	for (i = 0; i < HP_GUP_NLAYOUTS; i++) {
		if (!strstr(hp_gup_layouts[i].file, "gup_benchmark") ||
		    !hp_gup_layout_fits(&hp_gup_layouts[i], release))
			continue;
		nr = (int)hp_gup_layouts[i].nr;
		fits++;
	}
	return fits == 1 ? nr : -1;
}

static void release_picks_the_benchmark_numbering(void)
{
	EXPECT_EQ(benchmark_nr("5.10.0-46-amd64"), 3);
	EXPECT_EQ(benchmark_nr("5.10.262"), 3);
	EXPECT_EQ(benchmark_nr("5.9.16"), 4);
	EXPECT_EQ(benchmark_nr("5.7.0-rc1"), 4);
	EXPECT_EQ(benchmark_nr("5.6.0"), 4);
	EXPECT_EQ(benchmark_nr("5.5.19"), 1);
	EXPECT_EQ(benchmark_nr("5.4.0-150-generic"), 1);
	EXPECT_EQ(benchmark_nr("4.20.17"), 1);
}

/* gup_test's rows differ in size: the kernel's answer decides, whatever the release says. */
static void gup_test_rows_ignore_the_release(void)
{
	int i;

	for (i = 0; i < HP_GUP_NLAYOUTS; i++) {
		if (!strstr(hp_gup_layouts[i].file, "gup_test"))
			continue;
		EXPECT(hp_gup_layout_fits(&hp_gup_layouts[i], "6.1.0-56-amd64"));
		EXPECT(hp_gup_layout_fits(&hp_gup_layouts[i], "5.12.19"));
		EXPECT(hp_gup_layout_fits(&hp_gup_layouts[i], "unknown"));
	}
}

static void unreadable_release_tries_no_bounded_row(void)
{
	EXPECT_EQ(benchmark_nr("unknown"), -1);
	EXPECT_EQ(benchmark_nr(""), -1);
	EXPECT_EQ(benchmark_nr(NULL), -1);
	EXPECT_EQ(benchmark_nr("5"), -1);
}

/* Probing is only safe where no release could take two rows of one file with one number. */
static void same_size_rows_never_overlap(void)
{
	const struct hp_gup_layout *a, *b;
	int i, j;

	for (i = 0; i < HP_GUP_NLAYOUTS; i++) {
		for (j = i + 1; j < HP_GUP_NLAYOUTS; j++) {
			a = &hp_gup_layouts[i];
			b = &hp_gup_layouts[j];
			if (strcmp(a->file, b->file) || a->size != b->size)
				continue;
			EXPECT((a->first && b->last && b->last < a->first) ||
			       (b->first && a->last && a->last < b->first));
		}
	}
}

/* hp_gup_test_open() opens each file once, when its first row comes up. */
static void rows_of_a_file_are_adjacent(void)
{
	int i, k;

	for (i = 1; i < HP_GUP_NLAYOUTS; i++) {
		if (!strcmp(hp_gup_layouts[i].file, hp_gup_layouts[i - 1].file))
			continue;
		for (k = 0; k < i - 1; k++)
			EXPECT(strcmp(hp_gup_layouts[k].file, hp_gup_layouts[i].file));
	}
}

static const struct unit_case cases[] = {
	{ "sizes_match_each_generation", sizes_match_each_generation },
	{ "ioctl_numbers_match_each_generation", ioctl_numbers_match_each_generation },
	{ "args_cover_every_layout", args_cover_every_layout },
	{ "release_picks_the_benchmark_numbering", release_picks_the_benchmark_numbering },
	{ "gup_test_rows_ignore_the_release", gup_test_rows_ignore_the_release },
	{ "unreadable_release_tries_no_bounded_row", unreadable_release_tries_no_bounded_row },
	{ "same_size_rows_never_overlap", same_size_rows_never_overlap },
	{ "rows_of_a_file_are_adjacent", rows_of_a_file_are_adjacent },
};

int main(void)
{
	return UNIT_RUN(cases);
}
