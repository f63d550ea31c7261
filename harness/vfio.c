// SPDX-License-Identifier: GPL-2.0
/*
 * VFIO-PCI BAR mappings as a pin target.
 *
 * From 6.12 ("vfio/pci: implement huge_fault support") an mmap of a PCI BAR
 * through vfio-pci is faulted in with PMD and PUD pfn entries wherever the
 * user address and the BAR offset are aligned alike; nothing but the entry's
 * special bit keeps gup-fast from taking references on the MMIO behind it,
 * which has no struct pages. Before 6.12 the BAR is mapped with special PTEs.
 * The device is QEMU's ivshmem-plain, whose BAR2 is the shared memory
 * (run.sh --devices vfio binds it to vfio-pci in the guest); the BAR is
 * reached through a type1 container, mapped at the alignment a variant asks
 * for, and an offset of one page into the BAR keeps every entry at PTE level.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/vfio.h>

#include "hp_case.h"

#define HP_PCI_DEVICES "/sys/bus/pci/devices"
#define HP_IVSHMEM_VENDOR 0x1af4
#define HP_IVSHMEM_DEVICE 0x1110
/*
 * run.sh gives vfio's ivshmem a 1 GiB BAR, and the reference module's device
 * memory a 2 GiB one: the size tells them apart. A QEMU setting, not a
 * page-table size.
 */
#define HP_VFIO_BAR_SIZE (1ul << 30)
/* What a sweep pins of each mapping: two PMD blocks. */
#define HP_VFIO_SWEEP_LEN (2 * hp_pmd_size())

static unsigned long sysfs_hex(const char *dir, const char *file)
{
	char path[PATH_MAX], buf[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return strtoul(buf, NULL, 16);
}

/* Basename of the symlink @dir/@link into @out, "" when there is none. */
static void sysfs_link(const char *dir, const char *link, char *out, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, link);
	n = readlink(path, target, sizeof(target) - 1);
	out[0] = '\0';
	if (n <= 0)
		return;
	target[n] = '\0';
	snprintf(out, len, "%.*s", (int)len - 1,
		 strrchr(target, '/') ? strrchr(target, '/') + 1 : target);
}

/* Bytes of BAR 2 of the PCI device at @dir: the third line of its resource file. */
static unsigned long long bar2_size(const char *dir)
{
	unsigned long long start = 0, end = 0;
	char path[PATH_MAX + 16], line[128];
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "%s/resource", dir);
	f = fopen(path, "r");
	if (!f)
		return 0;
	for (i = 0; i < 3 && fgets(line, sizeof(line), f); i++)
		;
	fclose(f);
	if (i < 3 || sscanf(line, "%llx %llx", &start, &end) != 2 || end < start)
		return 0;
	return end - start + 1;
}

/*
 * The first ivshmem device with a BAR of exactly a GiB (run.sh gives every
 * guest a larger one too, the reference module's device memory) into @bdf;
 * false when there is none.
 */
static bool find_ivshmem(char *bdf, size_t len)
{
	char dir[PATH_MAX];
	struct dirent *e;
	bool found = false;
	DIR *d = opendir(HP_PCI_DEVICES);

	if (!d)
		return false;
	while (!found && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", HP_PCI_DEVICES, e->d_name);
		if (sysfs_hex(dir, "vendor") == HP_IVSHMEM_VENDOR &&
		    sysfs_hex(dir, "device") == HP_IVSHMEM_DEVICE && bar2_size(dir) == HP_VFIO_BAR_SIZE) {
			snprintf(bdf, len, "%.*s", (int)len - 1, e->d_name);
			found = true;
		}
	}
	closedir(d);
	return found;
}

/* "vfio: <what>: <errno text>" into @why for the call that just failed; its -errno. */
__attribute__((format(printf, 3, 4)))
static int vfio_fail(char *why, size_t len, const char *fmt, ...)
{
	int err = errno;
	char what[HP_TEXT_LEN / 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(why, len, "vfio: %s: %s", what, strerror(err));
	return -err;
}

/* Open container, group and device of @bdf and read BAR2's region: 0 or -errno, @why set. */
static int vfio_open_bar(struct hp_vfio_dev *v, const char *bdf, char *why, size_t len)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct vfio_region_info region = {
		.argsz = sizeof(region), .index = VFIO_PCI_BAR2_REGION_INDEX,
	};
	char dir[PATH_MAX], group[32], path[64];

	snprintf(dir, sizeof(dir), "%s/%s", HP_PCI_DEVICES, bdf);
	sysfs_link(dir, "iommu_group", group, sizeof(group));
	if (!group[0]) {
		snprintf(why, len, "vfio: %s has no IOMMU group (no vIOMMU, or intel_iommu=on missing)",
			 bdf);
		return -ENODEV;
	}
	v->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (v->container < 0)
		return vfio_fail(why, len, "open /dev/vfio/vfio");
	snprintf(path, sizeof(path), "/dev/vfio/%.31s", group);
	v->group = open(path, O_RDWR | O_CLOEXEC);
	if (v->group < 0)
		return vfio_fail(why, len, "open %s", path);
	if (ioctl(v->group, VFIO_GROUP_GET_STATUS, &status))
		return vfio_fail(why, len, "VFIO_GROUP_GET_STATUS");
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		snprintf(why, len, "vfio: IOMMU group %s is not viable (a device in it is not bound to vfio-pci)",
			 group);
		return -EBUSY;
	}
	if (ioctl(v->group, VFIO_GROUP_SET_CONTAINER, &v->container) ||
	    ioctl(v->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return vfio_fail(why, len, "type1v2 container for group %s", group);
	v->device = ioctl(v->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (v->device < 0)
		return vfio_fail(why, len, "VFIO_GROUP_GET_DEVICE_FD %s", bdf);
	if (ioctl(v->device, VFIO_DEVICE_GET_REGION_INFO, &region))
		return vfio_fail(why, len, "BAR2 region info");
	if (!(region.flags & VFIO_REGION_INFO_FLAG_MMAP)) {
		snprintf(why, len, "vfio: BAR2 of %s cannot be mmapped", bdf);
		return -EOPNOTSUPP;
	}
	v->bar_offset = region.offset;
	v->bar_size = region.size;
	return 0;
}

void hp_vfio_close(struct hp_vfio_dev *v)
{
	if (!v->open)
		return;
	if (v->device >= 0)
		close(v->device);
	if (v->group >= 0)
		close(v->group);
	if (v->container >= 0)
		close(v->container);
	memset(v, 0, sizeof(*v));
}

/*
 * Slots: every buffer maps a part of the BAR no other live buffer maps (a
 * race's target, victim and fresh buffers must not alias), PMD-sized
 * slots handed out first fit, from several threads.
 */
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;

static bool slot_used(const struct hp_vfio_dev *v, unsigned int i)
{
	return v->slots_used[i / 64] >> (i % 64) & 1;
}

static void slots_mark(struct hp_vfio_dev *v, unsigned int first, unsigned int n, bool used)
{
	for (unsigned int i = first; i < first + n; i++) {
		if (used)
			v->slots_used[i / 64] |= 1ull << (i % 64);
		else
			v->slots_used[i / 64] &= ~(1ull << (i % 64));
	}
}

/* @n free slots from a multiple of @align: the first one, or -ENOSPC. */
static int slots_take(struct hp_vfio_dev *v, unsigned int n, unsigned int align)
{
	size_t total = v->bar_size / hp_pmd_size();
	int ret = -ENOSPC;

	if (total > HP_VFIO_SLOTS)
		total = HP_VFIO_SLOTS;
	pthread_mutex_lock(&slots_lock);
	for (unsigned int first = 0; ret < 0 && first + n <= total; first += align) {
		unsigned int i = 0;

		while (i < n && !slot_used(v, first + i))
			i++;
		if (i == n) {
			slots_mark(v, first, n, true);
			ret = (int)first;
		}
	}
	pthread_mutex_unlock(&slots_lock);
	return ret;
}

/*
 * The BAR as a buffer kind: nothing to allocate, the mapping is the device
 * fd at slots of BAR2 of its own, aligned where @src->level's entry can
 * form. PUD: a whole PUD-aligned part of the BAR, of which the first 4 MiB
 * are faulted in (the sweep's); PTE: one page into its slots, so every pfn
 * is misaligned for a huge entry.
 */
static int vfio_buf_create(const struct hp_buf_src *src, size_t size, struct hp_buf *b)
{
	off_t skew = src->level == HP_LEVEL_PTE ? (off_t)hp_page_size() : 0;
	size_t pmd = hp_pmd_size();
	unsigned int n, align = 1;
	int first;

	if (!src->vfio || src->vfio->device < 0)
		return -ENODEV;
	if (src->vfio->bar_size < size + (size_t)skew)
		return -ENOSPC;
	n = (unsigned int)((size + (size_t)skew + pmd - 1) / pmd);
	if (src->level == HP_LEVEL_PUD)
		align = (unsigned int)(hp_pud_size() / pmd);
	first = slots_take(src->vfio, n, align);
	if (first < 0)
		return first;
	b->slot = (unsigned int)first;
	b->nslots = n;
	b->fd = src->vfio->device;
	b->off = (off_t)(src->vfio->bar_offset + (unsigned long long)first * pmd) + skew;
	b->align = src->level == HP_LEVEL_PUD ? hp_pud_size() : pmd;
	b->flags = MAP_SHARED;
	b->never_advise = true;
	b->touch_len = HP_VFIO_SWEEP_LEN < size ? HP_VFIO_SWEEP_LEN : 0;
	return 0;
}

/* The device fd belongs to the target's struct hp_vfio_dev; the slots go back. */
static void vfio_buf_release(const struct hp_buf_src *src, struct hp_buf *b)
{
	if (src->vfio && b->nslots) {
		pthread_mutex_lock(&slots_lock);
		slots_mark(src->vfio, b->slot, b->nslots, false);
		pthread_mutex_unlock(&slots_lock);
	}
	b->nslots = 0;
	b->fd = -1;
}

const struct hp_buf_ops hp_buf_vfio_ops = { .create = vfio_buf_create, .release = vfio_buf_release };

int hp_vfio_open(struct hp_vfio_dev *v, char *bdf, size_t bdf_len, char *why, size_t len)
{
	char dir[PATH_MAX], driver[HP_NAME_LEN];

	memset(v, 0, sizeof(*v));
	v->container = v->group = v->device = -1;
	if (!find_ivshmem(bdf, bdf_len)) {
		snprintf(why, len, "no ivshmem PCI device of 1 GiB for vfio-pci (run.sh --devices vfio adds one)");
		return -ENODEV;
	}
	snprintf(dir, sizeof(dir), "%s/%s", HP_PCI_DEVICES, bdf);
	sysfs_link(dir, "driver", driver, sizeof(driver));
	if (strcmp(driver, "vfio-pci")) {
		snprintf(why, len, "vfio: PCI %s [%04x:%04x] is bound to %s, not vfio-pci",
			 bdf, HP_IVSHMEM_VENDOR, HP_IVSHMEM_DEVICE, driver[0] ? driver : "no driver");
		return -ENXIO;
	}
	v->open = true;
	/* The device is there: every failure from here on is reported. */
	return vfio_open_bar(v, bdf, why, len) ? -ENXIO : 0;
}

int hp_target_vfio(struct hp_target *t, const char *test, const char *fixture,
		   const char *variant, const char *test_name, enum hp_level want)
{
	size_t len = want == HP_LEVEL_PUD ? hp_pud_size() : HP_VFIO_SWEEP_LEN;
	size_t skew = want == HP_LEVEL_PTE ? hp_page_size() : 0;
	struct hp_vfio_dev *v = &t->vfio;
	enum hp_level level;
	char bdf[32];
	int ret;

	ret = hp_target_init(t, test, fixture, variant, test_name, "vfio");
	if (ret)
		return ret;
	ret = hp_vfio_open(v, bdf, sizeof(bdf), t->why, sizeof(t->why));
	if (ret)
		return ret;
	snprintf(t->c.driver, sizeof(t->c.driver), "vfio-pci");
	t->c.owner = HP_OWNER_DRIVER;
	t->c.huge_required = want != HP_LEVEL_PTE;
	t->src.kind = HP_BUF_VFIO;
	t->src.vfio = v;
	t->src.level = want;
	ret = _hp_buf_create(&t->src, len, false, &t->buf);
	if (ret == -ENOSPC) {
		snprintf(t->why, sizeof(t->why), "vfio: BAR2 of %s has 0x%llx bytes, 0x%zx needed",
			 bdf, (unsigned long long)v->bar_size, len + skew);
		return -ENXIO;
	}
	if (ret) {
		snprintf(t->why, sizeof(t->why), "vfio: mmap of BAR2 of %s: %s", bdf,
			 strerror(-ret));
		return -ENXIO;
	}
	snprintf(t->c.note, sizeof(t->c.note), "BAR2 of %s mapped at offset 0x%zx", bdf, skew);
	t->c.base = t->buf.map.addr;
	/* The sweep pins the first 4 MiB, the part the buffer's touch faulted in. */
	t->sweep_len = HP_VFIO_SWEEP_LEN;
	/*
	 * A PUD variant that got PMDs tests nothing a PMD variant does not;
	 * PTEs are judged per pin (UNTESTABLE, huge_required).
	 */
	level = hp_map_level(t->c.base);
	if (level == HP_LEVEL_PMD && want == HP_LEVEL_PUD) {
		snprintf(t->why, sizeof(t->why),
			 "vfio: no PUD formed over a 1 GiB-aligned GiB of BAR2 (level %s)",
			 hp_level_name(level));
		return -ENXIO;
	}
	hp_target_scratch(t);
	return 0;
}
