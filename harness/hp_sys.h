/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hugepin system helpers: DRM devices and buffers, huge-aligned mappings,
 * the pin methods that reach (fast) GUP, and the detectors run around each
 * case. Operations that tests need both ways come in three tiers:
 *   _hp_op(...)            returns 0 or -errno, never prints or asserts;
 *   HP_OP(_hp_op(...))     the same result, with a '#' line naming the call
 *                          and its errno when it failed;
 *   HP_ASSERT_OK(), HP_EXPECT_OK(), HP_EXPECT_ERR(E, ...)  (hp_case.h, for
 *                          kselftest programs) assert success or one errno.
 */
#ifndef HP_SYS_H
#define HP_SYS_H

#include <sys/types.h>
#include "hp_core.h"

/* ---- page-table geometry of the running kernel (sizes.c) ---- */

/* The base page, and the blocks one PMD and one PUD entry map. */
size_t hp_page_size(void);
size_t hp_pmd_size(void);
size_t hp_pud_size(void);

/* ---- DRM (drm.c) ---- */

struct hp_drm_dev {
	char path[64];		/* /dev/dri/cardN */
	char driver[32];	/* drmGetVersion()->name: bochs-drm, qxl, virtio_gpu, vgem, vmwgfx */
	char device[32];	/* short name used in reports: bochs, qxl, virtio_gpu, vgem, vmwgfx */
	bool ttm;		/* driver's buffers are TTM objects */
};

/* Fill @devs with up to @max primary nodes; returns the count or -errno. */
int hp_drm_list(struct hp_drm_dev *devs, int max);
/* Find a device by short name, driver name or path. 0 or -ENODEV. */
int hp_drm_find(const char *name, struct hp_drm_dev *dev);
/* True when a driver name (as drmGetVersion reports it) is TTM-based. */
bool hp_drm_driver_is_ttm(const char *driver);

struct hp_bo {
	int fd;			/* DRM fd, owned by the caller */
	uint32_t handle;
	uint64_t size;
	uint64_t mmap_offset;
};

/* Dumb buffer of at least @size bytes. 0 or -errno. */
int _hp_bo_create(int drm_fd, uint64_t size, struct hp_bo *bo);
int _hp_bo_destroy(struct hp_bo *bo);

/* ---- mappings (map.c) ---- */

struct hp_map {
	void *addr;		/* aligned start */
	size_t len;
	void *raw;		/* what mmap returned (for munmap) */
	size_t raw_len;
	size_t align;
};

/*
 * mmap @len bytes of (@fd, @off) at an address aligned to @align (a PMD or
 * PUD block), fd = -1 for anonymous. @flags are MAP_SHARED/MAP_PRIVATE etc.
 * Applies MADV_HUGEPAGE when @huge. 0 or -errno.
 */
int _hp_map(struct hp_map *m, int fd, off_t off, size_t len, size_t align,
	    int prot, int flags, bool huge);
void hp_unmap(struct hp_map *m);
/* Touch every page (write when @write), so the mapping is faulted in. */
void hp_map_touch(struct hp_map *m, bool write);
/*
 * Best knowledge of the level backing @addr: the hugepin_walk module when
 * loaded, else ptdump debugfs, else what smaps tells.
 */
enum hp_level hp_map_level(const void *addr);
/* What the hugepin_walk module read from the page tables at one address. */
struct hp_walk {
	enum hp_level level;	/* HP_LEVEL_UNKNOWN: nothing mapped there */
	bool present;
	bool special_known;	/* the kernel has a special bit at that level */
	bool special;
	bool has_page;		/* the pfn has a struct page */
	uint64_t pfn;
};
/* Query the module for @addr; -ENODEV when it is not loaded. */
int hp_walk_query(const void *addr, struct hp_walk *w);
/* Why the module could not be asked (a static line), NULL when it can be or was not tried. */
const char *hp_walk_absent_why(void);
/*
 * hp_map_level() with the entry's special bit where the walk module saw it,
 * and, when the level stays unknown because the module is absent, why (a
 * static string; NULL otherwise).
 */
enum hp_level hp_map_level_seen(const void *addr, enum hp_special *special, const char **why);
/* THP mode from sysfs: "always", "madvise", "never"; sets it when @set != NULL. */
int hp_thp_mode(char *cur, size_t len, const char *set);
/* The bracketed word of a sysfs choice file ("always [madvise] never") into @cur. 0 or -errno. */
int hp_sysfs_choice(const char *path, char *cur, size_t len);
/* Write @value to the sysfs knob @path: 0 or -errno. */
int hp_sysfs_write(const char *path, const char *value);
#define HP_THP_ENABLED "/sys/kernel/mm/transparent_hugepage/enabled"
#define HP_THP_SHMEM "/sys/kernel/mm/transparent_hugepage/shmem_enabled"

/* ---- pin methods (pin.c) and their scratch storage (scratch.c) ---- */

struct hp_pin_res {
	int err;		/* 0 or positive errno */
	long bytes;		/* bytes moved/pinned */
};

/*
 * O_DIRECT alignment that every block device and filesystem we use accepts:
 * the page, which no logical block size exceeds.
 */
#define HP_DIO_ALIGN hp_page_size()

struct hp_scratch {
	int fd;			/* opened O_DIRECT|O_RDWR */
	char path[256];
	off_t size;
	bool is_blockdev;
};

/*
 * Open scratch storage that supports O_DIRECT: $HUGEPIN_DISK when set (a
 * block device or file), else a file under $TMPDIR/..., checked with a real
 * O_DIRECT read. 0 or -errno (-EOPNOTSUPP: nothing supports O_DIRECT).
 */
int hp_scratch_open(struct hp_scratch *s, off_t min_size);
void hp_scratch_close(struct hp_scratch *s);

/*
 * What the pin methods work with: the caller's area of the scratch storage
 * and a buffer of the same size, and the ring, pipe and gup_test fd, each
 * opened on first use and kept until hp_pinner_fini(). A caller that pins
 * in a loop keeps one per thread; _hp_pin() sets one up around one pin.
 * vmsplice reads the pipe out into the buffer, process_vm_readv reads into
 * it and, with @procvm_self, process_vm_writev sends from it; without
 * @procvm_self the process_vm methods run in a forked child (another mm,
 * its own buffer) for every pin.
 */
struct hp_pinner {
	const struct hp_scratch *scratch;	/* NULL or fd -1: no O_DIRECT storage */
	off_t off;		/* this pinner's area of the scratch */
	size_t cell;		/* bytes of that area and of the buffer: the longest pin */
	unsigned char *buf;	/* hp_pinner_buf() */
	int pipe[2];
	size_t pipe_size;	/* what the pipe holds: vmsplice goes in parts of this */
	int gup_fd;		/* -1 until opened */
	int gup_err;		/* -errno of a failed open, 0 before */
	void *ring;		/* struct io_uring *, NULL until opened */
	int ring_err;		/* -errno of a failed io_uring_queue_init(), 0 before */
	bool procvm_self;	/* process_vm_* on our own pid, no child per pin */
};

void hp_pinner_init(struct hp_pinner *p, const struct hp_scratch *s, off_t off, size_t cell,
		    bool procvm_self);
void hp_pinner_fini(struct hp_pinner *p);
/* The pinner's buffer of cell bytes (O_DIRECT aligned), NULL when out of memory. */
unsigned char *hp_pinner_buf(struct hp_pinner *p);
/*
 * Can @m pin with @p (liburing built in and io_uring not disabled, gup_test
 * or gup_benchmark present and speaking a layout we know, O_DIRECT storage
 * for the methods that do I/O)? 0, or -EOPNOTSUPP with a one-line reason in
 * @why. What it opens to find out stays open for the pins.
 */
int hp_pinner_available(struct hp_pinner *p, enum hp_method m, char *why, size_t len);
/*
 * One complete pin through @m of [addr, addr+len), len <= p->cell: take,
 * do the I/O against the pinner's scratch area or buffer, release. 0 when
 * the kernel took the pin (res->bytes may be short), -errno when it refused
 * (res->err set either way). Methods the build or kernel lacks return
 * -EOPNOTSUPP.
 */
int _hp_pinner_pin(struct hp_pinner *p, enum hp_method m, void *addr, size_t len,
		   struct hp_pin_res *res);

/* hp_pinner_available() for a pinner of its own on @s, closed again. */
int hp_method_available(enum hp_method m, const struct hp_scratch *s, char *why, size_t len);
/* One pin as _hp_pinner_pin() does it, with a pinner of its own around it. */
int _hp_pin(enum hp_method m, struct hp_scratch *s, void *addr, size_t len,
	    struct hp_pin_res *res);

/*
 * Held pins, for eviction races: the kernel keeps the page references until
 * hp_pin_release(). Supported for HP_M_IOURING_REG (registered buffer) and
 * HP_M_VMSPLICE (pages sit in a pipe).
 */
struct hp_held_pin {
	enum hp_method method;
	void *addr;
	size_t len;
	int pipe[2];
	void *ring;		/* struct io_uring *, opaque here */
	bool held;
};
int _hp_pin_hold(struct hp_held_pin *p, enum hp_method m, void *addr, size_t len);
/* Move the pinned bytes out through the pin into @out (pipe read / WRITE_FIXED). */
long _hp_pin_drain(struct hp_held_pin *p, struct hp_scratch *s, void *out, size_t len);
void hp_pin_release(struct hp_held_pin *p);

/*
 * One io_uring read or write (READ_FIXED/WRITE_FIXED when @fixed) of
 * [addr, addr+len) at @off of @fd on @ring (a struct io_uring *), submitted
 * and waited for. Returns the bytes moved or -errno. Without liburing at
 * build time it is not defined.
 */
int _hp_ring_rw(void *ring, bool fixed, bool write, int fd, void *addr, size_t len, off_t off);

/* ---- the gup_test / gup_benchmark ioctl (gup_layout.c, gup_test.c) ---- */

#define HP_GUP_TEST_FILE "/sys/kernel/debug/gup_test"
#define HP_GUP_BENCHMARK_FILE "/sys/kernel/debug/gup_benchmark"

#define HP_KVER(major, minor) ((unsigned int)(major) << 8 | (unsigned int)(minor))

/* One layout of the ioctl: which file speaks it and its fast benchmark command. */
struct hp_gup_layout {
	const char *file;	/* debugfs path */
	const char *kernels;	/* releases that have it, for messages */
	unsigned int nr;	/* command number */
	unsigned int size;	/* argument size, encoded in the ioctl number */
	unsigned int first;	/* HP_KVER bounds where another row shares the size; */
	unsigned int last;	/*   0: unbounded, both 0: the kernel's answer decides */
};

#define HP_GUP_NLAYOUTS 5
extern const struct hp_gup_layout hp_gup_layouts[HP_GUP_NLAYOUTS];

/* The ioctl number of @l's command. */
unsigned long hp_gup_layout_cmd(const struct hp_gup_layout *l);
/* May @l be tried on a kernel of @release (uname -r)? */
bool hp_gup_layout_fits(const struct hp_gup_layout *l, const char *release);

/*
 * The argument every layout starts with, and room for the longest one; the
 * rest stays zero (no gup_test sub-test, no page dump).
 */
struct hp_gup_args {
	uint64_t get_usec;	/* out: time taking the references */
	uint64_t put_usec;	/* out: time dropping them */
	uint64_t addr;
	uint64_t len;		/* in: bytes to cover; out: bytes covered */
	uint32_t pages_per_call;
	uint32_t foll_flags;
	uint32_t rest[20];
};

/*
 * hp_gup_test_open(): an fd of /sys/kernel/debug/gup_test, else of
 * gup_benchmark, with the layout the kernel accepts found on the first call
 * and kept for the process. -ENODEV when neither file exists, -EOPNOTSUPP
 * when the kernel refuses every layout that fits its release, or the errno
 * of open or of the ioctl.
 *
 * _hp_gup_test_pin(): one fast benchmark call over [addr, addr+len) on such
 * an fd. Returns 0 with *bytes > 0 when pages were pinned, -EFAULT when none
 * were (the ioctl succeeds either way and does not pass the refusal's errno
 * back), or the ioctl's -errno. @usec (optional) gets the kernel's get+put
 * time.
 */
int hp_gup_test_open(void);
int _hp_gup_test_pin(int fd, void *addr, size_t len, long *bytes, uint64_t *usec);
/* Why gup_test cannot be used, from hp_gup_test_open()'s -errno @err. */
void hp_gup_test_describe(int err, char *why, size_t len);

/* ---- detectors (detect.c) ---- */

struct hp_detect {
	char marker[160];
	long pins_acquired;
	long pins_released;
	unsigned long taint;
	int kmsg_fd;		/* opened at the marker, read after */
};

/* Write the marker to /dev/kmsg and snapshot vmstat pins and taint. */
int hp_detect_begin(struct hp_detect *d, const char *test, const char *name);
/* Scan the log from the marker, diff pins and taint; fill the detector part of @ev. */
int hp_detect_end(struct hp_detect *d, struct hp_evidence *ev);
/* nr_foll_pin_acquired/released from /proc/vmstat; -ENOENT when absent. */
int hp_vmstat_pins(long *acquired, long *released);
long hp_vmstat(const char *key);	/* -1 when absent */

/* Canary helpers: fill with a pattern derived from @seed, and count differing bytes. */
void hp_canary_fill(void *buf, size_t len, uint64_t seed);
size_t hp_canary_check(const void *buf, size_t len, uint64_t seed, size_t *first_bad);

/* ---- display devices no driver took (drm.c) ---- */

struct hp_pci_unbound {
	char addr[16];		/* PCI address: 0000:00:05.0 */
	char ids[16];		/* vendor:device, "15ad:0405" */
	char device[32];	/* short name of the driver that should bind: vmwgfx, bochs, ... */
	char reason[160];	/* why, from the kernel log when findable */
};

/*
 * PCI display-class devices (class 0x03xxxx) with no driver bound, so a
 * variant can report "vmwgfx: Hardware has no pitchlock" instead of just
 * "no device". Returns the count or -errno.
 */
int hp_pci_unbound_list(struct hp_pci_unbound *out, int max);


/* ---- driver-specific buffer placement (drm.c) ---- */

enum hp_placement {
	HP_PLACE_DUMB,		/* dumb buffer: the driver picks */
	HP_PLACE_VRAM,		/* device memory (behind a PCI BAR): no struct pages */
	HP_PLACE_SYSTEM,	/* system memory the driver owns (GTT/GART/TTM pool) */
};

/*
 * Buffer of at least @size in @placement through the driver's own create
 * ioctl (amdgpu, radeon, nouveau; vmwgfx BOs, where the kernel places),
 * mmap offset in bo->mmap_offset; _hp_bo_destroy() releases it.
 * 0, -EOPNOTSUPP when the driver or the libdrm headers at build time have
 * no such interface, or -errno from the driver.
 */
int _hp_bo_create_placed(int drm_fd, const char *driver, enum hp_placement placement,
			 uint64_t size, struct hp_bo *bo);
const char *hp_placement_name(enum hp_placement placement);	/* "dumb", "vram", "system" */

/* ---- stop signals (signals.c) ---- */

#include <signal.h>

/* The stop signal caught (SIGINT, SIGTERM, SIGHUP), 0 while none came. */
extern volatile sig_atomic_t hp_stop_signal;
/* Catch SIGINT, SIGTERM and SIGHUP into hp_stop_signal, once each. */
void hp_catch_stop_signals(void);
/* "SIGINT", or "signal N". */
const char *hp_signal_name(int sig, char *buf, size_t len);

#endif
