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
 * O_DIRECT needs storage that honours it: $HUGEPIN_DISK (the guest's scratch
 * block device), else a file in a directory whose filesystem passes a real
 * O_DIRECT read (tmpfs did not support O_DIRECT before 6.6).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#ifndef HP_NO_LIBURING
#include <liburing.h>
#endif

#include "hp_sys.h"

/* O_DIRECT alignment that every block device and filesystem we use accepts. */
#define HP_DIO_ALIGN 4096
#define HP_SCRATCH_NAME "hugepin-scratch-XXXXXX"

/* ---- scratch storage ---- */

static int check_odirect(int fd)
{
	void *buf;
	ssize_t n;
	int ret = 0;

	if (posix_memalign(&buf, HP_DIO_ALIGN, HP_DIO_ALIGN))
		return -ENOMEM;
	n = pread(fd, buf, HP_DIO_ALIGN, 0);
	if (n < 0)
		ret = -errno;
	else if (n != HP_DIO_ALIGN)
		ret = -EIO;
	free(buf);
	return ret;
}

static int scratch_from_env(struct hp_scratch *s, const char *path, off_t min_size)
{
	struct stat st;
	uint64_t bytes;

	s->fd = open(path, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (s->fd < 0)
		return -errno;
	snprintf(s->path, sizeof(s->path), "%s", path);
	if (fstat(s->fd, &st))
		goto fail;
	s->is_blockdev = S_ISBLK(st.st_mode);
	if (s->is_blockdev) {
		if (ioctl(s->fd, BLKGETSIZE64, &bytes))
			goto fail;
		s->size = (off_t)bytes;
	} else {
		if (st.st_size < min_size && ftruncate(s->fd, min_size))
			goto fail;
		s->size = st.st_size < min_size ? min_size : st.st_size;
	}
	if (s->size < min_size) {
		errno = ENOSPC;
		goto fail;
	}
	errno = -check_odirect(s->fd);
	if (errno)
		goto fail;
	return 0;
fail:
	{
		int err = errno ? errno : EIO;

		close(s->fd);
		s->fd = -1;
		return -err;
	}
}

/* A file in @dir, unlinked at once so nothing is left behind. */
static int scratch_in_dir(struct hp_scratch *s, const char *dir, off_t min_size)
{
	int tmp, ret;

	snprintf(s->path, sizeof(s->path), "%s/%s", dir, HP_SCRATCH_NAME);
	tmp = mkostemp(s->path, O_CLOEXEC);
	if (tmp < 0)
		return -errno;
	s->fd = open(s->path, O_RDWR | O_DIRECT | O_CLOEXEC);
	ret = s->fd < 0 ? -errno : 0;
	unlink(s->path);
	close(tmp);
	if (ret)
		return ret;
	s->is_blockdev = false;
	s->size = min_size;
	if (ftruncate(s->fd, min_size))
		ret = -errno;
	else
		ret = check_odirect(s->fd);
	if (ret) {
		close(s->fd);
		s->fd = -1;
	}
	return ret;
}

int hp_scratch_open(struct hp_scratch *s, off_t min_size)
{
	const char *dirs[] = { getenv("TMPDIR"), "/var/tmp", "/tmp" };
	const char *disk = getenv("HUGEPIN_DISK");
	int ret = -EOPNOTSUPP;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	if (min_size < HP_DIO_ALIGN)
		min_size = HP_DIO_ALIGN;
	if (disk && *disk)
		return scratch_from_env(s, disk, min_size);
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (!dirs[i] || !*dirs[i])
			continue;
		ret = scratch_in_dir(s, dirs[i], min_size);
		if (!ret)
			return 0;
	}
	/* EINVAL from open(O_DIRECT) is the filesystem saying it cannot. */
	return ret == -EINVAL ? -EOPNOTSUPP : ret;
}

void hp_scratch_close(struct hp_scratch *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* ---- O_DIRECT ---- */

static int pin_odirect(bool read_into, struct hp_scratch *s, void *addr, size_t len,
		       struct hp_pin_res *res)
{
	ssize_t n;

	if (!s || s->fd < 0)
		return -EBADF;
	if ((off_t)len > s->size)
		return -ENOSPC;
	n = read_into ? pread(s->fd, addr, len, 0) : pwrite(s->fd, addr, len, 0);
	if (n < 0)
		return -errno;
	res->bytes = n;
	return 0;
}

/* ---- io_uring ---- */

#ifndef HP_NO_LIBURING
#define HP_RING_ENTRIES 4

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

static int ring_io(struct io_uring *ring, bool fixed, bool read_into, int fd,
		   void *addr, size_t len, long *bytes)
{
	int ret = _hp_ring_rw(ring, fixed, !read_into, fd, addr, len, 0);

	if (ret < 0)
		return ret;
	*bytes = ret;
	return 0;
}

static int pin_iouring(enum hp_method m, struct hp_scratch *s, void *addr, size_t len,
		       struct hp_pin_res *res)
{
	struct iovec iov = { .iov_base = addr, .iov_len = len };
	struct io_uring ring;
	int ret;

	if (m != HP_M_IOURING_REG && (!s || s->fd < 0))
		return -EBADF;
	ret = io_uring_queue_init(HP_RING_ENTRIES, &ring, 0);
	if (ret < 0)
		return ret == -ENOSYS || ret == -EPERM ? -EOPNOTSUPP : ret;
	if (m == HP_M_IOURING_READ) {
		ret = ring_io(&ring, false, true, s->fd, addr, len, &res->bytes);
		goto out;
	}
	ret = io_uring_register_buffers(&ring, &iov, 1);
	if (ret < 0)
		goto out;
	res->bytes = (long)len;
	if (m == HP_M_IOURING_FIXED_READ || m == HP_M_IOURING_FIXED_WRITE)
		ret = ring_io(&ring, true, m == HP_M_IOURING_FIXED_READ, s->fd, addr, len,
			      &res->bytes);
	/*
	 * Unregister explicitly: ring teardown is deferred to a workqueue, and
	 * the pin accounting read right after the case must see the release.
	 */
	io_uring_unregister_buffers(&ring);
out:
	io_uring_queue_exit(&ring);
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

static int pin_vmsplice(void *addr, size_t len, struct hp_pin_res *res)
{
	int p[2], ret = 0;
	long n;
	void *sink;

	sink = malloc(len);
	if (!sink)
		return -ENOMEM;
	ret = pipe_for(p, len);
	if (ret)
		goto out;
	n = splice_all(p[1], addr, len);
	if (n < 0) {
		ret = (int)n;
	} else {
		res->bytes = n;
		/* Reading the pipe is what consumes and releases the page references. */
		n = drain_pipe(p[0], sink, (size_t)n);
		if (n < 0)
			ret = (int)n;
	}
	close(p[0]);
	close(p[1]);
out:
	free(sink);
	return ret;
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

/*
 * The child reaches into its parent's mapping, so the pages are taken with
 * pin_user_pages_remote() on another mm. Yama's ptrace_scope=1 only lets
 * ancestors trace, so the parent names any process as its tracer for the
 * length of the call.
 */
static int pin_procvm(bool read_from, void *addr, size_t len, struct hp_pin_res *res)
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
		char *local = malloc(len);
		struct iovec liov = { .iov_base = local, .iov_len = len };
		struct iovec riov = { .iov_base = addr, .iov_len = len };

		close(p[0]);
		if (!local) {
			rep.err = ENOMEM;
		} else {
			memset(local, 0x5a, len);
			n = read_from ? process_vm_readv(parent, &liov, 1, &riov, 1, 0)
				      : process_vm_writev(parent, &liov, 1, &riov, 1, 0);
			rep.err = n < 0 ? errno : 0;
			rep.bytes = n < 0 ? 0 : n;
		}
		_exit(write(p[1], &rep, sizeof(rep)) == sizeof(rep) ? 0 : 1);
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

/* ---- CONFIG_GUP_TEST and CONFIG_GUP_BENCHMARK ---- */

#define HP_FOLL_WRITE 0x01

/* Index into hp_gup_layouts of the layout this kernel accepted; -1 until known. */
static int gup_layout = -1;

/*
 * The first layout of @file that fits the running release and that the
 * kernel takes, asked with an empty range so nothing is pinned. A wrong size
 * or number is refused with EINVAL (ENOTTY where no handler knows it).
 */
static int gup_find_layout(int fd, const char *file)
{
	int i;

	for (i = 0; i < HP_GUP_NLAYOUTS; i++) {
		const struct hp_gup_layout *l = &hp_gup_layouts[i];
		struct hp_gup_args a = { .pages_per_call = 1 };

		if (strcmp(l->file, file) || !hp_gup_layout_fits(l, hp_kernel_release()))
			continue;
		if (!ioctl(fd, hp_gup_layout_cmd(l), &a))
			return i;
		if (errno != EINVAL && errno != ENOTTY)
			return -errno;
	}
	return -EOPNOTSUPP;
}

int hp_gup_test_open(void)
{
	int known = __atomic_load_n(&gup_layout, __ATOMIC_RELAXED);
	const char *tried = "";
	int i, fd, found;

	if (known >= 0) {
		fd = open(hp_gup_layouts[known].file, O_RDWR | O_CLOEXEC);
		return fd < 0 ? -errno : fd;
	}
	/* The rows of one file are adjacent: open each file once, in table order. */
	for (i = 0; i < HP_GUP_NLAYOUTS; i++) {
		const char *file = hp_gup_layouts[i].file;

		if (!strcmp(file, tried))
			continue;
		tried = file;
		fd = open(file, O_RDWR | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT)
			continue;
		if (fd < 0)
			return -errno;
		found = gup_find_layout(fd, file);
		if (found < 0) {
			close(fd);
			return found;
		}
		__atomic_store_n(&gup_layout, found, __ATOMIC_RELAXED);
		return fd;
	}
	return -ENODEV;
}

int _hp_gup_test_pin(int fd, void *addr, size_t len, long *bytes, uint64_t *usec)
{
	int known = __atomic_load_n(&gup_layout, __ATOMIC_RELAXED);
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct hp_gup_args a = {
		.addr = (uintptr_t)addr,
		.len = len,
		.pages_per_call = (uint32_t)(len / page),
		.foll_flags = HP_FOLL_WRITE,
	};

	*bytes = 0;
	/* Only hp_gup_test_open() hands out these fds, and it settles the layout first. */
	if (known < 0)
		return -EBADF;
	/*
	 * The benchmark succeeds even when nothing was pinned and reports the
	 * range it covered in .len; the errno of the refusal is not passed
	 * back, and EFAULT is what fast GUP's fallback gives for these VMAs.
	 * One call for the whole range keeps the head-first order of a real pin.
	 */
	if (ioctl(fd, hp_gup_layout_cmd(&hp_gup_layouts[known]), &a))
		return -errno;
	if (usec)
		*usec = a.get_usec + a.put_usec;
	if (!a.len)
		return -EFAULT;
	*bytes = (long)a.len;
	return 0;
}

static int pin_gup_test(void *addr, size_t len, struct hp_pin_res *res)
{
	int fd = hp_gup_test_open(), ret;

	if (fd < 0)
		return fd;
	ret = _hp_gup_test_pin(fd, addr, len, &res->bytes, NULL);
	close(fd);
	return ret;
}

int _hp_pin(enum hp_method m, struct hp_scratch *s, void *addr, size_t len,
	    struct hp_pin_res *res)
{
	int ret;

	res->err = 0;
	res->bytes = 0;
	switch (m) {
	case HP_M_ODIRECT_READ:
	case HP_M_ODIRECT_WRITE:
		ret = pin_odirect(m == HP_M_ODIRECT_READ, s, addr, len, res);
		break;
	case HP_M_IOURING_REG:
	case HP_M_IOURING_FIXED_READ:
	case HP_M_IOURING_FIXED_WRITE:
	case HP_M_IOURING_READ:
#ifndef HP_NO_LIBURING
		ret = pin_iouring(m, s, addr, len, res);
#else
		ret = -EOPNOTSUPP;
#endif
		break;
	case HP_M_VMSPLICE:
		ret = pin_vmsplice(addr, len, res);
		break;
	case HP_M_PROCVM_READ:
	case HP_M_PROCVM_WRITE:
		ret = pin_procvm(m == HP_M_PROCVM_READ, addr, len, res);
		break;
	case HP_M_GUP_TEST:
		ret = pin_gup_test(addr, len, res);
		break;
	default:
		ret = -EINVAL;
		break;
	}
	res->err = -ret;
	return ret;
}

/* ---- held pins ---- */

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
	case HP_M_IOURING_REG:
#ifndef HP_NO_LIBURING
	{
		struct iovec iov = { .iov_base = addr, .iov_len = len };
		struct io_uring *ring = calloc(1, sizeof(*ring));

		if (!ring)
			return -ENOMEM;
		ret = io_uring_queue_init(HP_RING_ENTRIES, ring, 0);
		if (ret < 0) {
			free(ring);
			return ret == -ENOSYS || ret == -EPERM ? -EOPNOTSUPP : ret;
		}
		ret = io_uring_register_buffers(ring, &iov, 1);
		if (ret < 0) {
			io_uring_queue_exit(ring);
			free(ring);
			return ret;
		}
		p->ring = ring;
		break;
	}
#else
		return -EOPNOTSUPP;
#endif
	default:
		return -EOPNOTSUPP;
	}
	p->held = true;
	return 0;
}

long _hp_pin_drain(struct hp_held_pin *p, struct hp_scratch *s, void *out, size_t len)
{
	if (!p->held)
		return -EINVAL;
	if (len > p->len)
		len = p->len;
	if (p->method == HP_M_VMSPLICE)
		return drain_pipe(p->pipe[0], out, len);
#ifndef HP_NO_LIBURING
	if (p->method == HP_M_IOURING_REG) {
		size_t dio_len = (len + HP_DIO_ALIGN - 1) & ~(size_t)(HP_DIO_ALIGN - 1);
		long bytes = 0;
		void *bounce;
		ssize_t n;
		int ret;

		if (!s || s->fd < 0)
			return -EBADF;
		if ((off_t)dio_len > s->size || dio_len > p->len)
			return -ENOSPC;
		/* Out through the registered pages to storage, then back to the caller. */
		ret = ring_io(p->ring, true, false, s->fd, p->addr, dio_len, &bytes);
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

static int gup_test_available(char *why, size_t len)
{
	int fd = hp_gup_test_open();

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (fd == -ENODEV)
		snprintf(why, len, "/sys/kernel/debug/gup_test and gup_benchmark missing "
			 "(CONFIG_GUP_TEST unset or debugfs not mounted)");
	else if (fd == -EOPNOTSUPP)
		snprintf(why, len, "gup_test ioctl: %s refuses every layout in lib/gup_layout.c",
			 hp_kernel_release());
	else
		snprintf(why, len, "gup_test/gup_benchmark: %s", strerror(-fd));
	return -EOPNOTSUPP;
}

int hp_method_available(enum hp_method m, const struct hp_scratch *s, char *why, size_t len)
{
	const struct hp_method_info *mi = hp_method_info(m);

	if (!mi) {
		snprintf(why, len, "unknown pin method %d", (int)m);
		return -EINVAL;
	}
	if (mi->needs_storage && (!s || s->fd < 0)) {
		snprintf(why, len, "no O_DIRECT storage (set HUGEPIN_DISK to a scratch block device)");
		return -EOPNOTSUPP;
	}
	if (mi->uring) {
#ifdef HP_NO_LIBURING
		snprintf(why, len, "liburing missing at build time (apt-get install liburing-dev)");
		return -EOPNOTSUPP;
#else
		struct io_uring ring;
		int ret = io_uring_queue_init(HP_RING_ENTRIES, &ring, 0);

		if (ret < 0) {
			snprintf(why, len, "io_uring unavailable: %s (CONFIG_IO_URING, kernel.io_uring_disabled)",
				 strerror(-ret));
			return -EOPNOTSUPP;
		}
		io_uring_queue_exit(&ring);
#endif
	}
	if (m == HP_M_GUP_TEST)
		return gup_test_available(why, len);
	return 0;
}
