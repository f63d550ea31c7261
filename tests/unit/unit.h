/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal KTAP producer for hugepin's unit tests of its pure modules (name
 * tables, kernel log classifier, verdict rules, records, report logic).
 * Each case is one "ok"/"not ok" line; failed expectations print '#' lines
 * with file, line and the values seen. Exit status 1 when any case failed.
 */
#ifndef HP_UNIT_H
#define HP_UNIT_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct unit_case {
	const char *name;
	void (*fn)(void);
};

static bool unit_failed;

#define EXPECT(cond) do {						\
	if (!(cond)) {							\
		printf("# %s:%d: expected %s\n", __FILE__, __LINE__, #cond); \
		unit_failed = true;					\
	}								\
} while (0)

#define EXPECT_EQ(a, b) do {						\
	long long _a = (long long)(a), _b = (long long)(b);		\
	if (_a != _b) {							\
		printf("# %s:%d: %s == %lld, expected %s == %lld\n",	\
		       __FILE__, __LINE__, #a, _a, #b, _b);		\
		unit_failed = true;					\
	}								\
} while (0)

#define EXPECT_STR(a, b) do {						\
	const char *_a = (a), *_b = (b);				\
	if (!_a || !_b || strcmp(_a, _b)) {				\
		printf("# %s:%d: %s is \"%s\", expected \"%s\"\n",	\
		       __FILE__, __LINE__, #a, _a ? _a : "(null)",	\
		       _b ? _b : "(null)");				\
		unit_failed = true;					\
	}								\
} while (0)

#define EXPECT_CONTAINS(hay, needle) do {				\
	const char *_h = (hay), *_n = (needle);				\
	if (!_h || !strstr(_h, _n)) {					\
		printf("# %s:%d: %s is \"%s\", expected it to contain \"%s\"\n", \
		       __FILE__, __LINE__, #hay, _h ? _h : "(null)", _n); \
		unit_failed = true;					\
	}								\
} while (0)

#define UNIT_RUN(cases) unit_run(cases, sizeof(cases) / sizeof((cases)[0]))

static inline int unit_run(const struct unit_case *cases, size_t n)
{
	size_t i, failed = 0;

	printf("TAP version 13\n1..%zu\n", n);
	for (i = 0; i < n; i++) {
		unit_failed = false;
		cases[i].fn();
		printf("%sok %zu %s\n", unit_failed ? "not " : "", i + 1, cases[i].name);
		failed += unit_failed;
		fflush(stdout);
	}
	printf("# %zu passed, %zu failed\n", n - failed, failed);
	return failed ? 1 : 0;
}

#endif
