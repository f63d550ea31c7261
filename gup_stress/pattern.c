// SPDX-License-Identifier: GPL-2.0
/*
 * gup_stress pattern round trip: every pin goes through the library's
 * method (harness/pin.c) on this thread's pinner, and a pattern written before
 * it and checked after it shows a transfer into or out of the wrong pages
 * as a mismatch. Where the bytes go is the method table's flow: into the
 * range from the scratch storage or the pinner's buffer, out of it to one
 * of those, or nowhere (the range itself must be unchanged). Each thread
 * has its own scratch area, so it knows what every byte there must be.
 *
 * Our own fills and checks run under a fault guard: mutators unmap and
 * write-protect ranges underneath, and a fault there only means the op raced.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"

/* Seeds for the "anything but the pattern" fill before a read-into. */
#define GS_SEED_POISON 0x5a5a5a5a00000000ull

static __thread sigjmp_buf *gs_guard_jb;

static void gs_fault_handler(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	if (gs_guard_jb)
		siglongjmp(*gs_guard_jb, 1);
	/* Not ours: die the way the fault would have without us. */
	signal(sig, SIG_DFL);
	raise(sig);
}

void gs_fault_guard_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = gs_fault_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

/* Each page gets its own seed, so any prefix of a pattern is itself a pattern. */
static uint64_t page_seed(uint64_t seed, size_t page)
{
	return seed ^ (0x9e3779b97f4a7c15ull * (page + 1));
}

static void fill_plain(unsigned char *p, size_t len, uint64_t seed)
{
	for (size_t off = 0, pg = 0; off < len; off += hp_page_size(), pg++) {
		size_t n = len - off < hp_page_size() ? len - off : hp_page_size();

		hp_canary_fill(p + off, n, page_seed(seed, pg));
	}
}

/* Number of bad bytes; describes the first one in c->bad. */
static size_t check_plain(struct gs_pinctx *c, const unsigned char *p, size_t len,
			  uint64_t seed, const void *shown_at)
{
	for (size_t off = 0, pg = 0; off < len; off += hp_page_size(), pg++) {
		size_t n = len - off < hp_page_size() ? len - off : hp_page_size();
		size_t first = 0, bad;
		unsigned char *want;

		bad = hp_canary_check(p + off, n, page_seed(seed, pg), &first);
		if (!bad)
			continue;
		/* A prefix of the pattern is the pattern: up to the first bad byte is enough. */
		want = malloc(first + 1);
		if (want)
			hp_canary_fill(want, first + 1, page_seed(seed, pg));
		snprintf(c->bad, sizeof(c->bad),
			 "addr %p offset %zu: expected 0x%02x found 0x%02x (%zu bad bytes in page)",
			 (const void *)((const char *)shown_at + off + first), off + first,
			 want ? want[first] : 0, p[off + first], bad);
		free(want);
		return bad;
	}
	return 0;
}

/* Guarded user access to the stressed range: false when it faulted. */
static bool guarded_fill(char *addr, size_t len, uint64_t seed)
{
	sigjmp_buf jb;

	if (sigsetjmp(jb, 1)) {
		gs_guard_jb = NULL;
		return false;
	}
	gs_guard_jb = &jb;
	fill_plain((unsigned char *)addr, len, seed);
	gs_guard_jb = NULL;
	return true;
}

/* 1 clean, 0 mismatch, -1 faulted. */
static int guarded_check(struct gs_pinctx *c, const char *addr, size_t len, uint64_t seed)
{
	sigjmp_buf jb;
	size_t bad;

	if (sigsetjmp(jb, 1)) {
		gs_guard_jb = NULL;
		return -1;
	}
	gs_guard_jb = &jb;
	bad = check_plain(c, (const unsigned char *)addr, len, seed, addr);
	gs_guard_jb = NULL;
	return bad ? 0 : 1;
}

/* Make our scratch area hold a known pattern, written from the pinner's buffer. */
static enum gs_io_status ensure_scratch(struct gs_pinctx *c, uint64_t seed, int *err)
{
	struct hp_pinner *p = &c->pin;
	ssize_t n;

	if (c->scratch_valid)
		return GS_IO_OK;
	fill_plain(p->buf, p->cell, seed);
	n = pwrite(p->scratch->fd, p->buf, p->cell, p->off);
	if (n < 0 || (size_t)n != p->cell) {
		*err = n < 0 ? errno : 0;
		return GS_IO_ERR;
	}
	c->scratch_valid = true;
	c->scratch_seed = seed;
	return GS_IO_OK;
}

/* After a write out of the range: read the scratch back and compare. */
static enum gs_io_status verify_scratch(struct gs_pinctx *c, size_t len, uint64_t seed,
					const char *addr, int *err)
{
	struct hp_pinner *p = &c->pin;
	ssize_t n = pread(p->scratch->fd, p->buf, len, p->off);

	if (n < 0 || (size_t)n != len) {
		*err = n < 0 ? errno : 0;
		return GS_IO_ERR;
	}
	if (check_plain(c, p->buf, len, seed, addr))
		return GS_IO_MISMATCH;
	return GS_IO_OK;
}

static enum gs_io_status check_range(struct gs_pinctx *c, const char *addr, size_t len,
				     uint64_t seed)
{
	int r = guarded_check(c, addr, len, seed);

	if (r < 0)
		return GS_IO_FAULT;
	return r ? GS_IO_OK : GS_IO_MISMATCH;
}

/* The patterns before the pin: the source holds @seed's, a destination range anything else. */
static enum gs_io_status fill_before(struct gs_pinctx *c, const struct hp_method_info *mi,
				     char *addr, size_t len, uint64_t seed, int *err)
{
	enum gs_io_status st;

	if (mi->flow != HP_FLOW_INTO)
		return guarded_fill(addr, len, seed) ? GS_IO_OK : GS_IO_FAULT;
	if (mi->needs_storage) {
		st = ensure_scratch(c, seed ^ 1, err);
		if (st != GS_IO_OK)
			return st;
	} else {
		fill_plain(c->pin.buf, len, seed);
	}
	return guarded_fill(addr, len, seed ^ GS_SEED_POISON) ? GS_IO_OK : GS_IO_FAULT;
}

/* The destination must now hold the source's pattern. */
static enum gs_io_status check_after(struct gs_pinctx *c, const struct hp_method_info *mi,
				     char *addr, size_t len, uint64_t seed, int *err)
{
	switch (mi->flow) {
	case HP_FLOW_INTO:
		return check_range(c, addr, len, mi->needs_storage ? c->scratch_seed : seed);
	case HP_FLOW_OUT:
		if (mi->needs_storage)
			return verify_scratch(c, len, seed, addr, err);
		return check_plain(c, c->pin.buf, len, seed, addr) ? GS_IO_MISMATCH : GS_IO_OK;
	case HP_FLOW_NONE:
		break;
	}
	return check_range(c, addr, len, seed);
}

enum gs_io_status gs_pin_io(struct gs_pinctx *c, enum hp_method m, char *addr, size_t len,
			    uint64_t seed, int *err)
{
	const struct hp_method_info *mi = hp_method_info(m);
	struct hp_pin_res res;
	enum gs_io_status st;
	int ret;

	*err = 0;
	if (!mi) {
		*err = EINVAL;
		return GS_IO_ERR;
	}
	if (c->check) {
		st = fill_before(c, mi, addr, len, seed, err);
		if (st != GS_IO_OK)
			return st;
	}
	/* A write to the storage leaves our scratch area holding something else. */
	if (mi->flow == HP_FLOW_OUT && mi->needs_storage)
		c->scratch_valid = false;
	ret = _hp_pinner_pin(&c->pin, m, addr, len, &res);
	if (ret) {
		*err = -ret;
		return GS_IO_ERR;
	}
	if ((size_t)res.bytes != len)
		return GS_IO_ERR;
	return c->check ? check_after(c, mi, addr, len, seed, err) : GS_IO_OK;
}

double gs_gup_test_ns_per_page(int gup_fd, void *addr, size_t len)
{
	uint64_t usec = 0;
	long bytes;
	int ret;

	ret = _hp_gup_test_pin(gup_fd, addr, len, &bytes, &usec);
	if (ret)
		return ret;
	/* The kernel reports microseconds; a fast run can round to zero. */
	if (!usec)
		usec = 1;
	return (double)usec * 1000.0 / (double)(len / hp_page_size());
}

int gs_pinctx_init(struct gs_pinctx *c, struct hp_scratch *s, int index, size_t cell)
{
	memset(c, 0, sizeof(*c));
	hp_pinner_init(&c->pin, s, (off_t)index * (off_t)cell, cell, true);
	c->check = true;
	return hp_pinner_buf(&c->pin) ? 0 : -ENOMEM;
}

void gs_pinctx_fini(struct gs_pinctx *c)
{
	hp_pinner_fini(&c->pin);
}
