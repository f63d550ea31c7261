// SPDX-License-Identifier: GPL-2.0
/*
 * DRM devices and dumb buffers: the driver-owned memory the pin tests map.
 *
 * TTM drivers (vmwgfx, amdgpu, radeon, nouveau, qxl, bochs, ...) back buffer
 * objects with pages or VRAM the driver owns and maps them with pfn entries;
 * from 5.7 to 5.15 those could be huge PMD/PUD entries that fast GUP took for
 * ordinary pages. GEM shmem drivers (virtio_gpu, vgem) map shmem pages. Dumb
 * buffers are the one creation interface every KMS driver (and vgem) shares,
 * so they are what we use on every driver.
 *
 * Also lists PCI display devices that no driver took, with the kernel's
 * reason when it logged one: QEMU's vmware-svga, for instance, is refused by
 * vmwgfx ("Hardware has no pitchlock"), and a test should say so rather than
 * "no device".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <xf86drm.h>
#include <drm.h>
#include <drm_mode.h>
#include <i915_drm.h>
#if __has_include(<amdgpu_drm.h>)
#include <amdgpu_drm.h>
#endif
#if __has_include(<radeon_drm.h>)
#include <radeon_drm.h>
#endif
#if __has_include(<nouveau_drm.h>)
#include <nouveau_drm.h>
#endif
#if __has_include(<vmwgfx_drm.h>)
#include <vmwgfx_drm.h>
#endif

#include "hp_buf.h"

#define HP_DRM_MAX_NODES 64
/* Dumb buffers are described as width x height at this depth. */
#define HP_DUMB_BPP 32
#define HP_DUMB_WIDTH 1024u

/* Short report name: "bochs-drm" -> "bochs", dashes become underscores. */
static void short_name(const char *driver, char *out, size_t len)
{
	size_t n;

	snprintf(out, len, "%s", driver);
	n = strlen(out);
	if (n > 4 && !strcmp(out + n - 4, "-drm"))
		out[n - 4] = '\0';
	for (char *p = out; *p; p++)
		if (*p == '-')
			*p = '_';
}

/*
 * Drivers whose buffer objects are TTM objects on every kernel that has them,
 * from the target registry. i915 uses TTM only for device-local memory
 * (discrete cards): decided per device below. ast and mgag200 used TTM
 * through the VRAM helper before 5.10 and shmem after; they are left out
 * rather than guessed.
 */
bool hp_drm_driver_is_ttm(const char *driver)
{
	const struct hp_target_info *t;
	char name[HP_NAME_LEN];

	short_name(driver, name, sizeof(name));
	t = hp_target_info(name);
	return t && t->ttm;
}

#define HP_SYS_MODULE "/sys/module"
/* ttm -> drm_vram_helper -> bochs: the holders chain of a TTM driver is short. */
#define HP_TTM_HOLDER_DEPTH 3

/* True when module @mod holds @base, directly or through modules that do. */
static bool module_holds(const char *base, const char *mod, int depth)
{
	char path[PATH_MAX];
	struct dirent *e;
	bool found = false;
	DIR *d;

	snprintf(path, sizeof(path), HP_SYS_MODULE "/%s/holders", base);
	d = opendir(path);
	if (!d)
		return false;
	while (!found && (e = readdir(d)))
		if (e->d_name[0] != '.')
			found = !strcmp(e->d_name, mod) ||
				(depth > 1 && module_holds(e->d_name, mod, depth - 1));
	closedir(d);
	return found;
}

/*
 * Whether the driver behind DRM node @path builds its buffers on TTM, asked
 * of the running kernel: its module is among ttm's holders (through a
 * helper such as drm_vram_helper). The same driver changes sides across
 * releases (bochs is TTM through the VRAM helper on 6.1 and GEM shmem on
 * 7.x), so the registry only answers where ttm is no loadable module.
 * -ENOENT when the kernel cannot tell.
 */
static int node_uses_ttm(const char *path)
{
	char link[PATH_MAX], target[PATH_MAX];
	const char *node = strrchr(path, '/');
	ssize_t n;

	if (access(HP_SYS_MODULE "/ttm/holders", F_OK) || !node)
		return -ENOENT;
	snprintf(link, sizeof(link), "/sys/class/drm%s/device/driver/module", node);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return -ENOENT;
	target[n] = '\0';
	node = strrchr(target, '/');
	return module_holds("ttm", node ? node + 1 : target, HP_TTM_HOLDER_DEPTH);
}

#ifdef DRM_I915_QUERY_MEMORY_REGIONS
/* A region of class DEVICE means local memory, which i915 manages with TTM. */
static bool i915_is_discrete(int fd)
{
	struct drm_i915_query_item item = { .query_id = DRM_I915_QUERY_MEMORY_REGIONS };
	struct drm_i915_query q = { .num_items = 1, .items_ptr = (uintptr_t)&item };
	struct drm_i915_query_memory_regions *regions;
	bool discrete = false;

	if (ioctl(fd, DRM_IOCTL_I915_QUERY, &q) || item.length <= 0)
		return false;
	regions = calloc(1, item.length);
	if (!regions)
		return false;
	item.data_ptr = (uintptr_t)regions;
	if (!ioctl(fd, DRM_IOCTL_I915_QUERY, &q) && item.length > 0)
		for (uint32_t i = 0; i < regions->num_regions; i++)
			if (regions->regions[i].region.memory_class == I915_MEMORY_CLASS_DEVICE)
				discrete = true;
	free(regions);
	return discrete;
}
#else
static bool i915_is_discrete(int fd)
{
	(void)fd;
	return false;
}
#endif

static int describe_node(const char *path, struct hp_drm_dev *dev)
{
	drmVersionPtr ver;
	int fd, ret = 0;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ver = drmGetVersion(fd);
	if (!ver) {
		ret = -ENODEV;
		goto out;
	}
	memset(dev, 0, sizeof(*dev));
	snprintf(dev->path, sizeof(dev->path), "%s", path);
	snprintf(dev->driver, sizeof(dev->driver), "%s", ver->name);
	short_name(ver->name, dev->device, sizeof(dev->device));
	/* i915 links TTM in for discrete cards only: the device decides. */
	if (!strcmp(ver->name, "i915")) {
		dev->ttm = i915_is_discrete(fd);
	} else {
		ret = node_uses_ttm(path);
		dev->ttm = ret >= 0 ? ret : hp_drm_driver_is_ttm(ver->name);
		ret = 0;
	}
	drmFreeVersion(ver);
out:
	close(fd);
	return ret;
}

static bool listed(const struct hp_drm_dev *devs, int n, const char *path)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(devs[i].path, path))
			return true;
	return false;
}

int hp_drm_list(struct hp_drm_dev *devs, int max)
{
	drmDevicePtr nodes[HP_DRM_MAX_NODES];
	char path[64];
	int n = 0, count;

	count = drmGetDevices2(0, nodes, HP_DRM_MAX_NODES);
	for (int i = 0; i < count && n < max; i++) {
		if (!(nodes[i]->available_nodes & (1 << DRM_NODE_PRIMARY)))
			continue;
		if (!describe_node(nodes[i]->nodes[DRM_NODE_PRIMARY], &devs[n]))
			n++;
	}
	if (count > 0)
		drmFreeDevices(nodes, count);

	/*
	 * libdrm skips devices on buses it cannot describe (vgem is a bare
	 * platform device without an OF node), so walk the card nodes too.
	 */
	for (int minor = 0; minor < HP_DRM_MAX_NODES && n < max; minor++) {
		snprintf(path, sizeof(path), "%s/card%d", DRM_DIR_NAME, minor);
		if (access(path, F_OK) || listed(devs, n, path))
			continue;
		if (!describe_node(path, &devs[n]))
			n++;
	}
	return n;
}

int hp_drm_find(const char *name, struct hp_drm_dev *dev)
{
	struct hp_drm_dev devs[HP_DRM_MAX_NODES];
	int n = hp_drm_list(devs, HP_DRM_MAX_NODES);

	for (int i = 0; i < n; i++) {
		if (!strcmp(name, devs[i].device) || !strcmp(name, devs[i].driver) ||
		    !strcmp(name, devs[i].path)) {
			*dev = devs[i];
			return 0;
		}
	}
	return -ENODEV;
}

int _hp_bo_create(int drm_fd, uint64_t size, struct hp_bo *bo)
{
	uint64_t row = (uint64_t)HP_DUMB_WIDTH * (HP_DUMB_BPP / 8);
	struct drm_mode_create_dumb create = {
		.width = HP_DUMB_WIDTH,
		.bpp = HP_DUMB_BPP,
	};
	struct drm_mode_map_dumb map = { 0 };
	struct drm_mode_destroy_dumb destroy = { 0 };
	int ret;

	if (!size || (size + row - 1) / row > UINT32_MAX)
		return -EINVAL;
	create.height = (uint32_t)((size + row - 1) / row);
	if (drmIoctl(drm_fd, DRM_IOCTL_MODE_CREATE_DUMB, &create))
		return -errno;
	if (create.size < size) {
		/* The driver padded rows differently from what we asked: grow to fit. */
		destroy.handle = create.handle;
		drmIoctl(drm_fd, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy);
		create.height = (uint32_t)((size + create.pitch - 1) / create.pitch);
		create.handle = 0;
		if (drmIoctl(drm_fd, DRM_IOCTL_MODE_CREATE_DUMB, &create))
			return -errno;
		if (create.size < size) {
			ret = -ENOSPC;
			goto fail;
		}
	}
	map.handle = create.handle;
	if (drmIoctl(drm_fd, DRM_IOCTL_MODE_MAP_DUMB, &map)) {
		ret = -errno;
		goto fail;
	}
	bo->fd = drm_fd;
	bo->handle = create.handle;
	bo->size = create.size;
	bo->mmap_offset = map.offset;
	return 0;
fail:
	destroy.handle = create.handle;
	drmIoctl(drm_fd, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy);
	return ret;
}

int _hp_bo_destroy(struct hp_bo *bo)
{
	struct drm_mode_destroy_dumb destroy = { .handle = bo->handle };

	if (!bo->handle)
		return 0;
	if (drmIoctl(bo->fd, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy))
		return -errno;
	bo->handle = 0;
	return 0;
}

/* ---- driver-specific placement ---- */

const char *hp_placement_name(enum hp_placement placement)
{
	switch (placement) {
	case HP_PLACE_DUMB:
		return "dumb";
	case HP_PLACE_VRAM:
		return "vram";
	case HP_PLACE_SYSTEM:
		return "system";
	}
	return "?";
}

static void placed_bo(struct hp_bo *bo, int fd, uint32_t handle, uint64_t size, uint64_t offset)
{
	bo->fd = fd;
	bo->handle = handle;
	bo->size = size;
	bo->mmap_offset = offset;
}

/*
 * Every driver below deletes its GEM handles through the dumb destroy path
 * too (drm_gem_handle_delete), so _hp_bo_destroy() needs no per-driver case.
 */
static int placed_fail(int fd, uint32_t handle, int ret)
{
	struct drm_mode_destroy_dumb destroy = { .handle = handle };

	drmIoctl(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy);
	return ret;
}

#ifdef AMDGPU_GEM_DOMAIN_VRAM
static int amdgpu_bo(int fd, enum hp_placement pl, uint64_t size, struct hp_bo *bo)
{
	union drm_amdgpu_gem_create create = { 0 };
	union drm_amdgpu_gem_mmap map = { 0 };
	int ret;

	create.in.bo_size = size;
	create.in.alignment = hp_pmd_size();
	create.in.domains = pl == HP_PLACE_VRAM ? AMDGPU_GEM_DOMAIN_VRAM : AMDGPU_GEM_DOMAIN_GTT;
	/* VRAM must sit in the CPU-visible part of the BAR to be mapped at all. */
	create.in.domain_flags = pl == HP_PLACE_VRAM ? AMDGPU_GEM_CREATE_CPU_ACCESS_REQUIRED : 0;
	ret = drmCommandWriteRead(fd, DRM_AMDGPU_GEM_CREATE, &create, sizeof(create));
	if (ret)
		return ret;
	map.in.handle = create.out.handle;
	ret = drmCommandWriteRead(fd, DRM_AMDGPU_GEM_MMAP, &map, sizeof(map));
	if (ret)
		return placed_fail(fd, create.out.handle, ret);
	placed_bo(bo, fd, create.out.handle, size, map.out.addr_ptr);
	return 0;
}
#endif

#ifdef RADEON_GEM_DOMAIN_VRAM
static int radeon_bo(int fd, enum hp_placement pl, uint64_t size, struct hp_bo *bo)
{
	struct drm_radeon_gem_create create = {
		.size = size,
		.alignment = hp_pmd_size(),
		.initial_domain = pl == HP_PLACE_VRAM ? RADEON_GEM_DOMAIN_VRAM : RADEON_GEM_DOMAIN_GTT,
	};
	struct drm_radeon_gem_mmap map = { 0 };
	int ret;

	ret = drmCommandWriteRead(fd, DRM_RADEON_GEM_CREATE, &create, sizeof(create));
	if (ret)
		return ret;
	map.handle = create.handle;
	map.size = size;
	ret = drmCommandWriteRead(fd, DRM_RADEON_GEM_MMAP, &map, sizeof(map));
	if (ret)
		return placed_fail(fd, create.handle, ret);
	placed_bo(bo, fd, create.handle, size, map.addr_ptr);
	return 0;
}
#endif

#ifdef NOUVEAU_GEM_DOMAIN_VRAM
static int nouveau_bo(int fd, enum hp_placement pl, uint64_t size, struct hp_bo *bo)
{
	struct drm_nouveau_gem_new create = { .align = (uint32_t)hp_pmd_size() };
	int ret;

	create.info.size = size;
	create.info.domain = (pl == HP_PLACE_VRAM ? NOUVEAU_GEM_DOMAIN_VRAM : NOUVEAU_GEM_DOMAIN_GART) |
			     NOUVEAU_GEM_DOMAIN_MAPPABLE;
	ret = drmCommandWriteRead(fd, DRM_NOUVEAU_GEM_NEW, &create, sizeof(create));
	if (ret)
		return ret;
	placed_bo(bo, fd, create.info.handle, create.info.size, create.info.map_handle);
	return 0;
}
#endif

#ifdef DRM_VMW_ALLOC_DMABUF
/* vmwgfx places its buffers itself (system pool, GMR or VRAM): only "system" is honest. */
static int vmwgfx_bo(int fd, enum hp_placement pl, uint64_t size, struct hp_bo *bo)
{
	union drm_vmw_alloc_dmabuf_arg arg = { 0 };
	int ret;

	if (pl != HP_PLACE_SYSTEM || size > UINT32_MAX)
		return -EOPNOTSUPP;
	arg.req.size = (uint32_t)size;
	ret = drmCommandWriteRead(fd, DRM_VMW_ALLOC_DMABUF, &arg, sizeof(arg));
	if (ret)
		return ret;
	placed_bo(bo, fd, arg.rep.handle, size, arg.rep.map_handle);
	return 0;
}
#endif

int _hp_bo_create_placed(int drm_fd, const char *driver, enum hp_placement placement,
			 uint64_t size, struct hp_bo *bo)
{
	if (placement == HP_PLACE_DUMB)
		return _hp_bo_create(drm_fd, size, bo);
	if (!size)
		return -EINVAL;
#ifdef AMDGPU_GEM_DOMAIN_VRAM
	if (!strcmp(driver, "amdgpu"))
		return amdgpu_bo(drm_fd, placement, size, bo);
#endif
#ifdef RADEON_GEM_DOMAIN_VRAM
	if (!strcmp(driver, "radeon"))
		return radeon_bo(drm_fd, placement, size, bo);
#endif
#ifdef NOUVEAU_GEM_DOMAIN_VRAM
	if (!strcmp(driver, "nouveau"))
		return nouveau_bo(drm_fd, placement, size, bo);
#endif
#ifdef DRM_VMW_ALLOC_DMABUF
	if (!strcmp(driver, "vmwgfx"))
		return vmwgfx_bo(drm_fd, placement, size, bo);
#endif
	return -EOPNOTSUPP;
}

/* ---- PCI display devices without a driver ---- */

#define PCI_DEVICES "/sys/bus/pci/devices"
#define PCI_CLASS_DISPLAY 0x03
#define HP_LOG_LINE 1024

/* Which driver would take a display device: the target registry's PCI ids. */
static const char *guess_driver(unsigned int vendor, unsigned int device)
{
	const struct hp_target_info *t = hp_target_by_pci(vendor, device);

	return t ? t->name : "unknown";
}

static int read_hex(const char *dir, const char *file, unsigned long *val)
{
	char path[PATH_MAX], buf[32];
	FILE *f;
	int ret = -EIO;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (fgets(buf, sizeof(buf), f))
		ret = sscanf(buf, "%lx", val) == 1 ? 0 : -EIO;
	fclose(f);
	return ret;
}

/* kmsg record "prio,seq,usec,flags;text": the text part, newline cut. */
static char *kmsg_text(char *rec)
{
	char *text = strchr(rec, ';');
	char *nl;

	text = text ? text + 1 : rec;
	nl = strchr(text, '\n');
	if (nl)
		*nl = '\0';
	return text;
}

/*
 * The driver's own error line usually does not name the device (vmwgfx's
 * DRM_ERROR prints "[drm:vmw_driver_load [vmwgfx]] *ERROR* ..."); the probe
 * failure line does ("vmwgfx: probe of 0000:00:05.0 failed with error -38").
 * So remember the last error line of each driver and pair it with the probe
 * failure of the device.
 */
static void find_reasons(struct hp_pci_unbound *devs, int n)
{
	char rec[HP_LOG_LINE], last_err[HP_LOG_LINE] = "", needle[64];
	ssize_t len;
	int fd;

	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return;
	for (;;) {
		const char *code;
		char *text, *probe;

		len = read(fd, rec, sizeof(rec) - 1);
		if (len < 0 && errno == EPIPE)
			continue;	/* records overwritten while reading: go on */
		if (len <= 0)
			break;
		rec[len] = '\0';
		text = kmsg_text(rec);
		if (strstr(text, "*ERROR*") || strstr(text, "error:")) {
			snprintf(last_err, sizeof(last_err), "%s", text);
			continue;
		}
		probe = strstr(text, ": probe of ");
		if (!probe)
			continue;
		for (int i = 0; i < n; i++) {
			snprintf(needle, sizeof(needle), ": probe of %s failed", devs[i].addr);
			if (!strstr(text, needle))
				continue;
			*probe = '\0';	/* text is now the driver name */
			code = strstr(probe + 2, "error ");
			code = code ? code + 6 : "?";
			if (last_err[0] && strstr(last_err, text)) {
				char *msg = strstr(last_err, "*ERROR* ");

				snprintf(devs[i].reason, sizeof(devs[i].reason),
					 "%.100s (probe failed with error %.8s)",
					 msg ? msg + 8 : last_err, code);
			} else {
				snprintf(devs[i].reason, sizeof(devs[i].reason),
					 "%.30s probe failed with error %.8s", text, code);
			}
			break;
		}
	}
	close(fd);
}

int hp_pci_unbound_list(struct hp_pci_unbound *out, int max)
{
	char dir[PATH_MAX], link[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int n = 0;

	d = opendir(PCI_DEVICES);
	if (!d)
		return -errno;
	while ((de = readdir(d)) && n < max) {
		unsigned long cls, vendor, device;

		if (de->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", PCI_DEVICES, de->d_name);
		if (read_hex(dir, "class", &cls) || (cls >> 16) != PCI_CLASS_DISPLAY)
			continue;
		snprintf(link, sizeof(link), "%.4000s/driver", dir);
		if (!access(link, F_OK))
			continue;
		if (read_hex(dir, "vendor", &vendor) || read_hex(dir, "device", &device))
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		snprintf(out[n].addr, sizeof(out[n].addr), "%.15s", de->d_name);
		snprintf(out[n].ids, sizeof(out[n].ids), "%04lx:%04lx", vendor, device);
		snprintf(out[n].device, sizeof(out[n].device), "%s",
			 guess_driver((unsigned int)vendor, (unsigned int)device));
		snprintf(out[n].reason, sizeof(out[n].reason),
			 "no driver bound and no probe failure logged (module not loaded?)");
		n++;
	}
	closedir(d);
	find_reasons(out, n);
	return n;
}

/* ---- dumb and placed buffers as buffers of a memory target (hp_buf.h) ---- */

/*
 * GEM shmem buffers get PMD-sized shmem folios only where shmem THP allows
 * them, and since 7.0 (211b9a39f261) the GEM shmem helper maps such folios
 * with huge pfn PMDs: the provider today's kernels have. shmem_enabled is
 * "never" by default, so while a GEM shmem buffer of ours exists it is
 * "always", and it is put back when the last one goes: the shmem controls
 * and the rest of the machine keep the administrator's setting. A setting
 * other than "never" is the administrator's choice and stays.
 */
static pthread_mutex_t gem_huge_lock = PTHREAD_MUTEX_INITIALIZER;
static int gem_huge_users;
static bool gem_huge_set;

static void gem_huge_get(void)
{
	char mode[32];

	pthread_mutex_lock(&gem_huge_lock);
	if (!gem_huge_users++ && !hp_sysfs_choice(HP_THP_SHMEM, mode, sizeof(mode)) &&
	    !strcmp(mode, "never"))
		gem_huge_set = !hp_sysfs_write(HP_THP_SHMEM, "always");
	pthread_mutex_unlock(&gem_huge_lock);
}

static void gem_huge_put(void)
{
	pthread_mutex_lock(&gem_huge_lock);
	if (!--gem_huge_users && gem_huge_set) {
		hp_sysfs_write(HP_THP_SHMEM, "never");
		gem_huge_set = false;
	}
	pthread_mutex_unlock(&gem_huge_lock);
}

/* A GEM shmem device: not TTM, not one whose buffers the registry cannot tell. */
static bool fd_is_gem_shmem(int fd)
{
	char *node = drmGetDeviceNameFromFd2(fd);
	drmVersionPtr ver = drmGetVersion(fd);
	const struct hp_target_info *t;
	char name[HP_NAME_LEN] = "";
	bool gem = false;
	int ttm;

	if (ver) {
		short_name(ver->name, name, sizeof(name));
		drmFreeVersion(ver);
	}
	t = hp_target_info(name);
	ttm = node ? node_uses_ttm(node) : -ENOENT;
	if (ttm >= 0)
		gem = !ttm && t && t->drm && t->kind != HP_MEM_UNKNOWN;
	else
		gem = t && t->kind == HP_MEM_PAGES;
	free(node);
	return gem;
}

static int drm_buf_create(const struct hp_buf_src *src, size_t size, struct hp_buf *b)
{
	bool gem = src->placement == HP_PLACE_DUMB && fd_is_gem_shmem(src->drm_fd);
	int ret;

	if (gem)
		gem_huge_get();
	ret = _hp_bo_create_placed(src->drm_fd, src->driver, src->placement, size, &b->bo);
	if (ret) {
		if (gem)
			gem_huge_put();
		b->bo.fd = -1;
		return ret;
	}
	b->gem_huge = gem;
	b->fd = src->drm_fd;
	b->off = (off_t)b->bo.mmap_offset;
	b->flags = MAP_SHARED;
	return 0;
}

static void drm_buf_release(const struct hp_buf_src *src, struct hp_buf *b)
{
	(void)src;
	if (b->bo.fd >= 0)
		_hp_bo_destroy(&b->bo);
	b->bo.fd = -1;
	if (b->gem_huge)
		gem_huge_put();
	b->gem_huge = false;
}

const struct hp_buf_ops hp_buf_drm_ops = { .create = drm_buf_create, .release = drm_buf_release };
