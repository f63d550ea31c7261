/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A sibling program of the suite (drm_repro, gup_stress) run from a
 * selftest to its end (child.c); what it prints is read with json.h.
 */
#ifndef HP_CHILD_H
#define HP_CHILD_H

#include <stdbool.h>
#include <stddef.h>

#include "hp_core.h"

/* Bytes kept of each stream; what follows is read and dropped. */
#define HP_CHILD_OUT_MAX (256 << 10)

struct hp_child {
	int status;	/* exit code; -1 when it did not exit (a signal) */
	char *out;	/* stdout, NUL-terminated */
	char *err;	/* stderr, NUL-terminated */
};

/* The sibling @name next to this program into @buf: 0, or -errno (-ENOENT: not installed there). */
int hp_child_path(const char *name, char *buf, size_t len);
/* Run @path with @argv and wait for it. 0, or -errno when it could not be started. */
int hp_child_run(const char *path, char *const argv[], struct hp_child *c);
void hp_child_free(struct hp_child *c);

#endif
