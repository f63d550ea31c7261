// SPDX-License-Identifier: GPL-2.0
/*
 * The pin methods: every user-reachable way we know into get_user_pages*()
 * for a range of user memory.
 *
 * On 6.1: O_DIRECT goes through iov_iter_get_pages2() (fast GUP, FOLL_GET),
 * vmsplice through get_user_pages_fast(), io_uring buffer registration
 * through pin_user_pages() (slow, VMA-checked, FOLL_LONGTERM),
 * process_vm_readv/writev through pin_user_pages_remote() (slow), and the
 * CONFIG_GUP_TEST ioctl (CONFIG_GUP_BENCHMARK's before 5.11) through
 * pin_user_pages_fast() on any address. Later kernels moved io_uring and
 * O_DIRECT to pin_user_pages_fast(), so which method reaches the huge-PMD
 * path depends on the kernel: every method is tried on its own and reported
 * on its own.
 *
 * Each method is one function over a struct hp_pinner, found through the
 * body table below; what the method needs (storage, io_uring) is in the
 * method table of names.c. A pinner opens its ring, pipe, gup_test fd and
 * buffer on first use, so one kept across pins (gup_stress's threads)
 * pays for them once and _hp_pin() pays for what its one method needs.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <sys/wait.h>
#ifndef HP_NO_LIBURING
#include <liburing.h>
#endif

#include "hp_sys.h"

#define HP_RING_ENTRIES 4
/* The byte a forked process_vm_writev() writes into the mapping. */
#define HP_PROCVM_FILL 0x5a

/* ---- the pinner's resources, opened on first use ---- */

void hp_pinner_init(struct hp_pinner *p, const struct hp_scratch *s, off_t off, size_t cell,
		    bool procvm_self)
{
	memset(p, 0, sizeof(*p));
	p->scratch = s;
	p->off = off;
	p->cell = cell;
	p->pipe[0] = p->pipe[1] = -1;
	p->gup_fd = -1;
	p->procvm_self = procvm_self;
}

void hp_pinner_fini(struct hp_pinner *p)
{
#ifndef HP_NO_LIBURING
	if (p->ring) {
		io_uring_queue_exit(p->ring);
		free(p->ring);
	}
#endif
	p->ring = NULL;
	for (int i = 0; i < 2; i++)
		if (p->pipe[i] >= 0)
			close(p->pipe[i]);
	if (p->gup_fd >= 0)
		close(p->gup_fd);
	free(p->buf);
	p->buf = NULL;
	p->pipe[0] = p->pipe[1] = p->gup_fd = -1;
}

unsigned char *hp_pinner_buf(struct hp_pinner *p)
{
	if (!p->buf)
		p->buf = aligned_alloc(HP_DIO_ALIGN,
				       (p->cell + HP_DIO_ALIGN - 1) & ~(size_t)(HP_DIO_ALIGN - 1));
	return p->buf;
}

static bool have_storage(const struct hp_pinner *p)
{
	return p->scratch && p->scratch->fd >= 0;
}

/* A pipe that holds the whole cell where the system lets it; else vmsplice goes in parts. */
static int pinner_pipe(struct hp_pinner *p)
{
	int sz;

	if (p->pipe[0] >= 0)
		return 0;
	if (pipe2(p->pipe, O_CLOEXEC))
		return -errno;
	sz = fcntl(p->pipe[1], F_GETPIPE_SZ);
	if (sz >= 0 && p->cell > (size_t)sz && fcntl(p->pipe[1], F_SETPIPE_SZ, (int)p->cell) >= 0)
		sz = fcntl(p->pipe[1], F_GETPIPE_SZ);
	p->pipe_size = sz > 0 ? (size_t)sz : HP_DIO_ALIGN;
	return 0;
}

/* The gup_test fd, or the -errno of the one try to open it. */
static int pinner_gup_fd(struct hp_pinner *p)
{
	int fd;

	if (p->gup_fd < 0 && !p->gup_err) {
		fd = hp_gup_test_open();
		if (fd < 0)
			p->gup_err = fd;
		else
			p->gup_fd = fd;
	}
	return p->gup_fd >= 0 ? p->gup_fd : p->gup_err;
}

#ifndef HP_NO_LIBURING
/* A kernel without io_uring, or with it disabled, cannot pin this way at all. */
static int ring_errno(int ret)
{
	return ret == -ENOSYS || ret == -EPERM ? -EOPNOTSUPP : ret;
}

/* The ring, or the -errno of io_uring_queue_init(), which is tried once. */
static int pinner_ring(struct hp_pinner *p)
{
	struct io_uring *ring;
	int ret;

	if (p->ring)
		return 0;
	if (p->ring_err)
		return p->ring_err;
	ring = calloc(1, sizeof(*ring));
	if (!ring)
		return -ENOMEM;
	ret = io_uring_queue_init(HP_RING_ENTRIES, ring, 0);
	if (ret < 0) {
		free(ring);
		p->ring_err = ret;
		return ret;
	}
	p->ring = ring;
	return 0;
}
#endif

/* ---- O_DIRECT ---- */

static int pin_odirect(struct hp_pinner *p, enum hp_method m, void *addr, size_t len,
		       struct hp_pin_res *res)
{
	bool read_into = hp_method_info(m)->flow == HP_FLOW_INTO;
	const struct hp_scratch *s = p->scratch;
	ssize_t n;

	if (!have_storage(p))
		return -EBADF;
	if (p->off + (off_t)len > s->size)
		return -ENOSPC;
	n = read_into ? pread(s->fd, addr, len, p->off) : pwrite(s->fd, addr, len, p->off);
	if (n < 0)
		return -errno;
	res->bytes = n;
	return 0;
}

/* ---- io_uring ---- */

#ifndef HP_NO_LIBURING
int _hp_ring_rw(void *ringp, bool fixed, bool write, int fd, void *addr, size_t len, off_t off)
{
	struct io_uring *ring = ringp;
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_cqe *cqe;
	int ret;

	if (!sqe)
		return -EBUSY;
	if (fixed && write)
		io_uring_prep_write_fixed(sqe, fd, addr, len, off, 0);
	else if (fixed)
		io_uring_prep_read_fixed(sqe, fd, addr, len, off, 0);
	else if (write)
		io_uring_prep_write(sqe, fd, addr, len, off);
	else
		io_uring_prep_read(sqe, fd, addr, len, off);
	ret = io_uring_submit(ring);
	if (ret < 0)
		return ret;
	ret = io_uring_wait_cqe(ring, &cqe);
	if (ret < 0)
		return ret;
	ret = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return ret;
}

/*
 * Register the range (unless @m reads without registering), do @m's I/O
 * against the storage, and unregister explicitly: ring teardown is deferred
 * to a workqueue, and the pin accounting read right after a case must see
 * the release.
 */
static int pin_iouring(struct hp_pinner *p, enum hp_method m, void *addr, size_t len,
		       struct hp_pin_res *res)
{
	struct iovec iov = { .iov_base = addr, .iov_len = len };
	bool registers = m != HP_M_IOURING_READ;
	int ret;

	if (m != HP_M_IOURING_REG && !have_storage(p))
		return -EBADF;
	ret = pinner_ring(p);
	if (ret)
		return ring_errno(ret);
	if (registers) {
		ret = io_uring_register_buffers(p->ring, &iov, 1);
		if (ret < 0)
			return ret;
		res->bytes = (long)len;
	}
	if (m != HP_M_IOURING_REG) {
		ret = _hp_ring_rw(p->ring, registers, m == HP_M_IOURING_FIXED_WRITE,
				  p->scratch->fd, addr, len, p->off);
		if (ret >= 0) {
			res->bytes = ret;
			ret = 0;
		}
	}
	if (registers)
		io_uring_unregister_buffers(p->ring);
	return ret;
}

#endif

/* ---- vmsplice ---- */

static int pipe_for(int p[2], size_t len)
{
	if (pipe2(p, O_CLOEXEC))
		return -errno;
	/* Room for the whole range, so the splice is not cut at 16 pages. */
	if (len > (size_t)fcntl(p[1], F_GETPIPE_SZ) && fcntl(p[1], F_SETPIPE_SZ, (int)len) < 0) {
		int err = errno;

		close(p[0]);
		close(p[1]);
		return -err;
	}
	return 0;
}

static long drain_pipe(int fd, void *out, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)out + got, len - got);

		if (n < 0)
			return -errno;
		if (!n)
			break;
		got += (size_t)n;
	}
	return (long)got;
}

static long splice_all(int fd, void *addr, size_t len)
{
	size_t done = 0;

	while (done < len) {
		struct iovec iov = { .iov_base = (char *)addr + done, .iov_len = len - done };
		ssize_t n = vmsplice(fd, &iov, 1, SPLICE_F_NONBLOCK);

		if (n < 0)
			return done ? (long)done : -errno;
		if (!n)
			break;
		done += (size_t)n;
	}
	return (long)done;
}

/*
 * Splice as much as the pipe holds, then read it out into the pinner's
 * buffer: reading the pipe is what consumes and releases the page
 * references, so the pipe never holds pages past the call.
 */
static int pin_vmsplice(struct hp_pinner *p, enum hp_method m, void *addr, size_t len,
			struct hp_pin_res *res)
{
	unsigned char *buf = hp_pinner_buf(p);
	size_t done = 0;
	int ret;

	(void)m;
	if (!buf || len > p->cell)
		return -ENOMEM;
	ret = pinner_pipe(p);
	if (ret)
		return ret;
	while (done < len) {
		size_t chunk = len - done < p->pipe_size ? len - done : p->pipe_size;
		long n = splice_all(p->pipe[1], (char *)addr + done, chunk), got;

		if (n < 0)
			return done ? 0 : (int)n;
		if (!n)
			break;
		res->bytes = (long)done + n;
		got = drain_pipe(p->pipe[0], buf + done, (size_t)n);
		if (got < 0)
			return (int)got;
		done += (size_t)n;
	}
	return 0;
}

/* ---- process_vm_readv/writev ---- */

struct procvm_report {
	int err;
	long bytes;
};

/* The VMA around @addr, from /proc/self/maps. */
static int vma_bounds(const void *addr, void **lo, void **hi)
{
	char line[512];
	int ret = -ENOENT;
	FILE *f = fopen("/proc/self/maps", "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		uintptr_t a, b;

		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR, &a, &b) == 2 &&
		    (uintptr_t)addr >= a && (uintptr_t)addr < b) {
			*lo = (void *)a;
			*hi = (void *)b;
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

static ssize_t procvm_io(pid_t pid, bool read_from, void *local, void *remote, size_t len)
{
	struct iovec liov = { .iov_base = local, .iov_len = len };
	struct iovec riov = { .iov_base = remote, .iov_len = len };

	if (read_from)
		return process_vm_readv(pid, &liov, 1, &riov, 1, 0);
	return process_vm_writev(pid, &liov, 1, &riov, 1, 0);
}

/* The child's side: transfer between a buffer of its own and its parent's range. */
static void procvm_child(int wfd, pid_t parent, bool read_from, void *addr, size_t len)
{
	struct procvm_report rep = { 0 };
	char *local = malloc(len);
	ssize_t n;

	if (!local) {
		rep.err = ENOMEM;
	} else {
		memset(local, HP_PROCVM_FILL, len);
		n = procvm_io(parent, read_from, local, addr, len);
		rep.err = n < 0 ? errno : 0;
		rep.bytes = n < 0 ? 0 : n;
	}
	_exit(write(wfd, &rep, sizeof(rep)) == sizeof(rep) ? 0 : 1);
}

/*
 * The child reaches into its parent's mapping, so the pages are taken with
 * pin_user_pages_remote() on another mm. Yama's ptrace_scope=1 only lets
 * ancestors trace, so the parent names any process as its tracer for the
 * length of the call.
 */
static int procvm_forked(bool read_from, void *addr, size_t len, struct hp_pin_res *res)
{
	struct procvm_report rep = { 0 };
	pid_t parent = getpid(), child;
	void *vma_lo = NULL, *vma_hi = NULL;
	int p[2], status, ret;
	bool dontfork;
	ssize_t n;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
	/*
	 * A private mapping inherited by the child would be COW-shared, and
	 * the remote pin of a COW-shared THP unshares it by splitting the PMD:
	 * the mapping would no longer be what the case is about. Keep it out
	 * of the child for the whole VMA (a partial range would split it too);
	 * VM_IO mappings refuse the advice and are shared anyway.
	 */
	dontfork = !vma_bounds(addr, &vma_lo, &vma_hi) &&
		   !madvise(vma_lo, (size_t)((char *)vma_hi - (char *)vma_lo), MADV_DONTFORK);
	child = fork();
	if (child < 0) {
		ret = -errno;
		goto out;
	}
	if (!child) {
		close(p[0]);
		procvm_child(p[1], parent, read_from, addr, len);
	}
	close(p[1]);
	p[1] = -1;
	n = read(p[0], &rep, sizeof(rep));
	if (waitpid(child, &status, 0) < 0 || n != sizeof(rep)) {
		ret = -ECHILD;
		goto out;
	}
	ret = -rep.err;
	res->bytes = rep.bytes;
out:
	if (dontfork)
		madvise(vma_lo, (size_t)((char *)vma_hi - (char *)vma_lo), MADV_DOFORK);
	prctl(PR_SET_PTRACER, 0, 0, 0, 0);
	close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	return ret;
}

/*
 * A pinner that pins in a loop does it on its own pid with its buffer: the
 * remote path (pin_user_pages_remote) is taken all the same, without a
 * fork per pin.
 */
static int pin_procvm(struct hp_pinner *p, enum hp_method m, void *addr, size_t len,
		      struct hp_pin_res *res)
{
	bool read_from = hp_method_info(m)->flow == HP_FLOW_OUT;
	unsigned char *buf;
	ssize_t n;

	if (!p->procvm_self)
		return procvm_forked(read_from, addr, len, res);
	buf = hp_pinner_buf(p);
	if (!buf || len > p->cell)
		return -ENOMEM;
	n = procvm_io(getpid(), read_from, buf, addr, len);
	if (n < 0)
		return -errno;
	res->bytes = n;
	return 0;
}

/* ---- CONFIG_GUP_TEST ---- */

static int pin_gup_test(struct hp_pinner *p, enum hp_method m, void *addr, size_t len,
			struct hp_pin_res *res)
{
	int fd = pinner_gup_fd(p);

	(void)m;
	if (fd < 0)
		return fd;
	return _hp_gup_test_pin(fd, addr, len, &res->bytes, NULL);
}

/* ---- the bodies, by method ---- */

/* A body serves every method of its mechanism; the method table says which way it moves. */
typedef int (*hp_pin_fn)(struct hp_pinner *p, enum hp_method m, void *addr, size_t len,
			 struct hp_pin_res *res);

static const hp_pin_fn pin_body[HP_M_NR] = {
	[HP_M_ODIRECT_READ] = pin_odirect,
	[HP_M_ODIRECT_WRITE] = pin_odirect,
#ifndef HP_NO_LIBURING
	[HP_M_IOURING_REG] = pin_iouring,
	[HP_M_IOURING_FIXED_READ] = pin_iouring,
	[HP_M_IOURING_FIXED_WRITE] = pin_iouring,
	[HP_M_IOURING_READ] = pin_iouring,
#endif
	[HP_M_VMSPLICE] = pin_vmsplice,
	[HP_M_PROCVM_READ] = pin_procvm,
	[HP_M_PROCVM_WRITE] = pin_procvm,
	[HP_M_GUP_TEST] = pin_gup_test,
};

int _hp_pinner_pin(struct hp_pinner *p, enum hp_method m, void *addr, size_t len,
		   struct hp_pin_res *res)
{
	int ret;

	res->err = 0;
	res->bytes = 0;
	if ((unsigned int)m >= HP_M_NR)
		ret = -EINVAL;
	else if (!pin_body[m])
		ret = -EOPNOTSUPP;	/* compiled out: io_uring without liburing */
	else
		ret = pin_body[m](p, m, addr, len, res);
	res->err = -ret;
	return ret;
}

int _hp_pin(enum hp_method m, struct hp_scratch *s, void *addr, size_t len,
	    struct hp_pin_res *res)
{
	struct hp_pinner p;
	int ret;

	hp_pinner_init(&p, s, 0, len, false);
	ret = _hp_pinner_pin(&p, m, addr, len, res);
	hp_pinner_fini(&p);
	return ret;
}

/* ---- held pins ---- */

#ifndef HP_NO_LIBURING
static int hold_iouring(struct hp_held_pin *p, void *addr, size_t len)
{
	struct iovec iov = { .iov_base = addr, .iov_len = len };
	struct hp_pinner ring_owner;
	int ret;

	hp_pinner_init(&ring_owner, NULL, 0, 0, false);
	ret = pinner_ring(&ring_owner);
	if (ret)
		return ring_errno(ret);
	ret = io_uring_register_buffers(ring_owner.ring, &iov, 1);
	if (ret < 0) {
		hp_pinner_fini(&ring_owner);
		return ret;
	}
	p->ring = ring_owner.ring;
	return 0;
}
#endif

int _hp_pin_hold(struct hp_held_pin *p, enum hp_method m, void *addr, size_t len)
{
	long n;
	int ret;

	memset(p, 0, sizeof(*p));
	p->method = m;
	p->addr = addr;
	p->len = len;
	p->pipe[0] = p->pipe[1] = -1;
	switch (m) {
	case HP_M_VMSPLICE:
		ret = pipe_for(p->pipe, len);
		if (ret)
			return ret;
		n = splice_all(p->pipe[1], addr, len);
		if (n < 0) {
			hp_pin_release(p);
			return (int)n;
		}
		p->len = (size_t)n;
		break;
#ifndef HP_NO_LIBURING
	case HP_M_IOURING_REG:
		ret = hold_iouring(p, addr, len);
		if (ret)
			return ret;
		break;
#endif
	default:
		return -EOPNOTSUPP;
	}
	p->held = true;
	return 0;
}

#ifndef HP_NO_LIBURING
/* Out through the registered pages to storage, then back to the caller. */
static long drain_registered(struct hp_held_pin *p, struct hp_scratch *s, void *out, size_t len)
{
	size_t dio_len = (len + HP_DIO_ALIGN - 1) & ~(size_t)(HP_DIO_ALIGN - 1);
	void *bounce;
	ssize_t n;
	int ret;

	if (!s || s->fd < 0)
		return -EBADF;
	if ((off_t)dio_len > s->size || dio_len > p->len)
		return -ENOSPC;
	ret = _hp_ring_rw(p->ring, true, true, s->fd, p->addr, dio_len, 0);
	if (ret < 0)
		return ret;
	if (posix_memalign(&bounce, HP_DIO_ALIGN, dio_len))
		return -ENOMEM;
	n = pread(s->fd, bounce, dio_len, 0);
	if (n < 0) {
		ret = -errno;
		free(bounce);
		return ret;
	}
	if ((size_t)n < len)
		len = (size_t)n;
	memcpy(out, bounce, len);
	free(bounce);
	return (long)len;
}
#endif

long _hp_pin_drain(struct hp_held_pin *p, struct hp_scratch *s, void *out, size_t len)
{
	if (!p->held)
		return -EINVAL;
	if (len > p->len)
		len = p->len;
	if (p->method == HP_M_VMSPLICE)
		return drain_pipe(p->pipe[0], out, len);
#ifndef HP_NO_LIBURING
	if (p->method == HP_M_IOURING_REG)
		return drain_registered(p, s, out, len);
#else
	(void)s;
#endif
	return -EOPNOTSUPP;
}

void hp_pin_release(struct hp_held_pin *p)
{
	for (int i = 0; i < 2 && p->method == HP_M_VMSPLICE; i++)
		if (p->pipe[i] >= 0)
			close(p->pipe[i]);
	p->pipe[0] = p->pipe[1] = -1;
#ifndef HP_NO_LIBURING
	if (p->ring) {
		io_uring_unregister_buffers(p->ring);
		io_uring_queue_exit(p->ring);
		free(p->ring);
	}
#endif
	p->ring = NULL;
	p->held = false;
}

/* ---- availability ---- */

int hp_pinner_available(struct hp_pinner *p, enum hp_method m, char *why, size_t len)
{
	const struct hp_method_info *mi = hp_method_info(m);
	int ret;

	if (!mi) {
		snprintf(why, len, "unknown pin method %d", (int)m);
		return -EINVAL;
	}
	if (mi->needs_storage && !have_storage(p)) {
		snprintf(why, len, "no O_DIRECT storage (set HUGEPIN_DISK to a scratch block device)");
		return -EOPNOTSUPP;
	}
	if (mi->uring) {
#ifdef HP_NO_LIBURING
		snprintf(why, len, "liburing missing at build time (apt-get install liburing-dev)");
		return -EOPNOTSUPP;
#else
		ret = pinner_ring(p);
		if (ret) {
			snprintf(why, len, "io_uring unavailable: %s (CONFIG_IO_URING, kernel.io_uring_disabled)",
				 strerror(-ret));
			return -EOPNOTSUPP;
		}
#endif
	}
	if (m == HP_M_GUP_TEST) {
		ret = pinner_gup_fd(p);
		if (ret < 0) {
			hp_gup_test_describe(ret, why, len);
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

int hp_method_available(enum hp_method m, const struct hp_scratch *s, char *why, size_t len)
{
	struct hp_pinner p;
	int ret;

	hp_pinner_init(&p, s, 0, 0, false);
	ret = hp_pinner_available(&p, m, why, len);
	hp_pinner_fini(&p);
	return ret;
}
