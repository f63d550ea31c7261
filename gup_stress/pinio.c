// SPDX-License-Identifier: GPL-2.0
/*
 * gup_stress pin I/O: one complete pin of a user range through each method,
 * with a pattern round trip so that a transfer into or out of the wrong pages
 * shows up as a mismatch. O_DIRECT and plain io_uring reads reach fast GUP
 * through iov_iter_get_pages(); io_uring buffer registration and
 * process_vm_readv/writev go through pin_user_pages()/pin_user_pages_remote();
 * vmsplice through get_user_pages_fast(); the gup_test ioctl through
 * pin_user_pages_fast(). The harness's _hp_pin() uses fixed scratch offsets
 * shared by all callers, so the stress keeps its own per-thread scratch areas
 * and bounce buffers here to know what every byte must be.
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
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>
#ifndef HP_NO_LIBURING
#include <liburing.h>
#endif

#include "engine.h"

#define GS_PAGE 4096ul
#define GS_PIPE_WANT (1u << 20)	/* default /proc/sys/fs/pipe-max-size */


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
	for (size_t off = 0, pg = 0; off < len; off += GS_PAGE, pg++) {
		size_t n = len - off < GS_PAGE ? len - off : GS_PAGE;

		hp_canary_fill(p + off, n, page_seed(seed, pg));
	}
}

/* Number of bad bytes; describes the first one in c->bad. */
static size_t check_plain(struct gs_pinctx *c, const unsigned char *p, size_t len,
			  uint64_t seed, const void *shown_at)
{
	for (size_t off = 0, pg = 0; off < len; off += GS_PAGE, pg++) {
		size_t n = len - off < GS_PAGE ? len - off : GS_PAGE;
		size_t first = 0, bad;
		unsigned char want[GS_PAGE];

		bad = hp_canary_check(p + off, n, page_seed(seed, pg), &first);
		if (!bad)
			continue;
		hp_canary_fill(want, n, page_seed(seed, pg));
		snprintf(c->bad, sizeof(c->bad),
			 "addr %p offset %zu: expected 0x%02x found 0x%02x (%zu bad bytes in page)",
			 (const void *)((const char *)shown_at + off + first), off + first,
			 want[first], p[off + first], bad);
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

static enum gs_io_status io_result(ssize_t n, size_t len, int *err)
{
	if (n < 0) {
		*err = errno;
		return GS_IO_ERR;
	}
	if ((size_t)n != len) {
		*err = 0;
		return GS_IO_ERR;
	}
	return GS_IO_OK;
}

/* Make our scratch area hold a known pattern, written from the bounce buffer. */
static enum gs_io_status ensure_scratch(struct gs_pinctx *c, uint64_t seed, int *err)
{
	enum gs_io_status st;

	if (c->scratch_valid)
		return GS_IO_OK;
	fill_plain(c->priv, c->cell, seed);
	st = io_result(pwrite(c->scratch->fd, c->priv, c->cell, c->sbase), c->cell, err);
	if (st == GS_IO_OK) {
		c->scratch_valid = true;
		c->scratch_seed = seed;
	}
	return st;
}

/* After a write out of the range: read the scratch back and compare. */
static enum gs_io_status verify_scratch(struct gs_pinctx *c, size_t len, uint64_t seed,
					const char *addr, int *err)
{
	enum gs_io_status st;

	st = io_result(pread(c->scratch->fd, c->priv, len, c->sbase), len, err);
	if (st != GS_IO_OK) {
		c->scratch_valid = false;
		return st;
	}
	/* Only the first len bytes carry this seed. */
	c->scratch_valid = false;
	if (check_plain(c, c->priv, len, seed, addr))
		return GS_IO_MISMATCH;
	return GS_IO_OK;
}

static enum gs_io_status after_read_into(struct gs_pinctx *c, const char *addr, size_t len)
{
	int r = guarded_check(c, addr, len, c->scratch_seed);

	if (r < 0)
		return GS_IO_FAULT;
	return r ? GS_IO_OK : GS_IO_MISMATCH;
}

static enum gs_io_status after_source(struct gs_pinctx *c, const char *addr, size_t len,
				      uint64_t seed)
{
	int r = guarded_check(c, addr, len, seed);

	if (r < 0)
		return GS_IO_FAULT;
	return r ? GS_IO_OK : GS_IO_MISMATCH;
}

#ifndef HP_NO_LIBURING
static enum gs_io_status io_uring_op(struct gs_pinctx *c, enum hp_method m, char *addr,
				     size_t len, uint64_t seed, int *err)
{
	struct io_uring *ring = c->ring;
	struct iovec iov = { .iov_base = addr, .iov_len = len };
	bool into = m == HP_M_IOURING_FIXED_READ || m == HP_M_IOURING_READ;
	enum gs_io_status st;
	int ret;

	if (into && c->check) {
		st = ensure_scratch(c, seed ^ 1, err);
		if (st != GS_IO_OK)
			return st;
	}
	if (c->check && !guarded_fill(addr, len, into ? seed ^ GS_SEED_POISON : seed))
		return GS_IO_FAULT;
	if (m != HP_M_IOURING_READ) {
		ret = io_uring_register_buffers(ring, &iov, 1);
		if (ret < 0) {
			*err = -ret;
			return GS_IO_ERR;
		}
	}
	if (m == HP_M_IOURING_REG) {
		io_uring_unregister_buffers(ring);
		return c->check ? after_source(c, addr, len, seed) : GS_IO_OK;
	}
	ret = _hp_ring_rw(ring, m != HP_M_IOURING_READ, m == HP_M_IOURING_FIXED_WRITE,
		      c->scratch->fd, addr, len, c->sbase);
	if (m != HP_M_IOURING_READ)
		io_uring_unregister_buffers(ring);
	if (ret < 0) {
		if (!into)
			c->scratch_valid = false;
		*err = -ret;
		return GS_IO_ERR;
	}
	if ((size_t)ret != len) {
		if (!into)
			c->scratch_valid = false;
		*err = 0;
		return GS_IO_ERR;
	}
	if (!c->check) {
		c->scratch_valid = false;
		return GS_IO_OK;
	}
	if (into)
		return after_read_into(c, addr, len);
	return verify_scratch(c, len, seed, addr, err);
}
#endif

static enum gs_io_status vmsplice_op(struct gs_pinctx *c, char *addr, size_t len,
				     uint64_t seed, int *err)
{
	size_t done = 0;

	if (c->check && !guarded_fill(addr, len, seed))
		return GS_IO_FAULT;
	while (done < len) {
		size_t chunk = len - done < c->pipe_size ? len - done : c->pipe_size;
		struct iovec iov = { .iov_base = addr + done, .iov_len = chunk };
		ssize_t n = vmsplice(c->pipefd[1], &iov, 1, 0);
		size_t got = 0;

		if (n <= 0) {
			*err = n < 0 ? errno : 0;
			return GS_IO_ERR;
		}
		/* Drain what was spliced so the pipe never holds pages past this op. */
		while (got < (size_t)n) {
			ssize_t r = read(c->pipefd[0], c->priv + done + got, (size_t)n - got);

			if (r <= 0) {
				*err = r < 0 ? errno : 0;
				return GS_IO_ERR;
			}
			got += (size_t)r;
		}
		done += (size_t)n;
	}
	if (c->check && check_plain(c, c->priv, len, seed, addr))
		return GS_IO_MISMATCH;
	return GS_IO_OK;
}

static enum gs_io_status procvm_op(struct gs_pinctx *c, bool write, char *addr, size_t len,
				   uint64_t seed, int *err)
{
	struct iovec local = { .iov_base = c->priv, .iov_len = len };
	struct iovec remote = { .iov_base = addr, .iov_len = len };
	ssize_t n;

	if (c->check) {
		if (write)
			fill_plain(c->priv, len, seed);
		if (!guarded_fill(addr, len, write ? seed ^ GS_SEED_POISON : seed))
			return GS_IO_FAULT;
	}
	/* Our own pid: the remote path (pin_user_pages_remote) is taken all the same. */
	if (write)
		n = process_vm_writev(getpid(), &local, 1, &remote, 1, 0);
	else
		n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	if (io_result(n, len, err) != GS_IO_OK)
		return GS_IO_ERR;
	if (!c->check)
		return GS_IO_OK;
	if (write)
		return after_source(c, addr, len, seed);
	return check_plain(c, c->priv, len, seed, addr) ? GS_IO_MISMATCH : GS_IO_OK;
}

static enum gs_io_status gup_test_op(struct gs_pinctx *c, char *addr, size_t len,
				     uint64_t seed, int *err)
{
	long bytes;
	int ret;

	if (c->check && !guarded_fill(addr, len, seed))
		return GS_IO_FAULT;
	ret = _hp_gup_test_pin(c->gup_fd, addr, len, &bytes, NULL);
	if (ret) {
		*err = -ret;
		return GS_IO_ERR;
	}
	return c->check ? after_source(c, addr, len, seed) : GS_IO_OK;
}

enum gs_io_status gs_pin_io(struct gs_pinctx *c, enum hp_method m, char *addr, size_t len,
			    uint64_t seed, int *err)
{
	enum gs_io_status st;
	ssize_t n;

	*err = 0;
	switch (m) {
	case HP_M_ODIRECT_READ:
		if (c->check) {
			st = ensure_scratch(c, seed ^ 1, err);
			if (st != GS_IO_OK)
				return st;
			if (!guarded_fill(addr, len, seed ^ GS_SEED_POISON))
				return GS_IO_FAULT;
		}
		n = pread(c->scratch->fd, addr, len, c->sbase);
		if (io_result(n, len, err) != GS_IO_OK)
			return GS_IO_ERR;
		return c->check ? after_read_into(c, addr, len) : GS_IO_OK;
	case HP_M_ODIRECT_WRITE:
		if (c->check && !guarded_fill(addr, len, seed))
			return GS_IO_FAULT;
		c->scratch_valid = false;
		n = pwrite(c->scratch->fd, addr, len, c->sbase);
		if (io_result(n, len, err) != GS_IO_OK)
			return GS_IO_ERR;
		return c->check ? verify_scratch(c, len, seed, addr, err) : GS_IO_OK;
	case HP_M_IOURING_REG:
	case HP_M_IOURING_FIXED_READ:
	case HP_M_IOURING_FIXED_WRITE:
	case HP_M_IOURING_READ:
#ifndef HP_NO_LIBURING
		return io_uring_op(c, m, addr, len, seed, err);
#else
		*err = EOPNOTSUPP;
		return GS_IO_ERR;
#endif
	case HP_M_VMSPLICE:
		return vmsplice_op(c, addr, len, seed, err);
	case HP_M_PROCVM_READ:
		return procvm_op(c, false, addr, len, seed, err);
	case HP_M_PROCVM_WRITE:
		return procvm_op(c, true, addr, len, seed, err);
	case HP_M_GUP_TEST:
		return gup_test_op(c, addr, len, seed, err);
	case HP_M_NR:
		break;
	}
	*err = EINVAL;
	return GS_IO_ERR;
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
	return (double)usec * 1000.0 / (double)(len / GS_PAGE);
}

const char *gs_method_unavailable(const struct gs_pinctx *c, enum hp_method m)
{
	const struct hp_method_info *mi = hp_method_info(m);

	if (!mi)
		return "unknown method";
	if (mi->uring) {
#ifdef HP_NO_LIBURING
		return "built without liburing";
#else
		if (!c->ring)
			return "io_uring unavailable (io_uring_queue_init failed)";
#endif
	}
	if (mi->needs_storage && !c->scratch)
		return "no O_DIRECT scratch storage (set HUGEPIN_DISK or TMPDIR)";
	if (m == HP_M_GUP_TEST && c->gup_fd < 0)
		return "no " HP_GUP_TEST_FILE " (CONFIG_GUP_TEST unset or debugfs not mounted)";
	return NULL;
}

int gs_pinctx_init(struct gs_pinctx *c, struct hp_scratch *s, int index, size_t cell,
		   bool want_ring, bool want_gup)
{
	int sz;

	memset(c, 0, sizeof(*c));
	c->scratch = s;
	c->cell = cell;
	c->sbase = (off_t)index * (off_t)cell;
	c->check = true;
	c->gup_fd = -1;
	c->pipefd[0] = c->pipefd[1] = -1;
	c->priv = aligned_alloc(GS_PAGE, cell);
	if (!c->priv)
		return -ENOMEM;
	if (pipe(c->pipefd)) {
		int e = errno;

		gs_pinctx_fini(c);
		return -e;
	}
	sz = fcntl(c->pipefd[1], F_SETPIPE_SZ, GS_PIPE_WANT);
	if (sz < 0)
		sz = fcntl(c->pipefd[1], F_GETPIPE_SZ);
	c->pipe_size = sz > 0 ? (size_t)sz : GS_PAGE;
	if (want_gup)
		c->gup_fd = hp_gup_test_open();
#ifndef HP_NO_LIBURING
	if (want_ring) {
		struct io_uring *ring = calloc(1, sizeof(*ring));

		if (ring && io_uring_queue_init(4, ring, 0) == 0)
			c->ring = ring;
		else
			free(ring);
	}
#else
	(void)want_ring;
#endif
	return 0;
}

void gs_pinctx_fini(struct gs_pinctx *c)
{
#ifndef HP_NO_LIBURING
	if (c->ring) {
		io_uring_queue_exit(c->ring);
		free(c->ring);
	}
#endif
	c->ring = NULL;
	if (c->gup_fd >= 0)
		close(c->gup_fd);
	if (c->pipefd[0] >= 0)
		close(c->pipefd[0]);
	if (c->pipefd[1] >= 0)
		close(c->pipefd[1]);
	free(c->priv);
	c->priv = NULL;
	c->gup_fd = c->pipefd[0] = c->pipefd[1] = -1;
}
