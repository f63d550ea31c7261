// SPDX-License-Identifier: GPL-2.0
/*
 * Fast GUP against huge pfn mappings of driver-owned pages, through the
 * reference module (module/hugepin_ref_core.c), which maps its buffers
 * the way TTM did from 5.7 to 5.15: VM_MIXEDMAP|VM_IO, higher-order blocks
 * allocated without __GFP_COMP, huge pfn PMDs without a special bit.
 *
 * Each pin method of the harness is tried at the start of a 2 MiB block and
 * inside it; the module's eviction report (per-page refcounts against what
 * the driver holds) is the detector next to the kernel log and the pin
 * accounting. On a kernel without the PMD special bit (before 6.12) a fast
 * GUP pin that starts on the block's first page succeeds and damages the
 * tail pages' refcounts: VULNERABLE, expected ("no PMD special bit"), which
 * kselftest shows as XFAIL. With the module's pte_only parameter the same
 * pins meet special PTEs and must be refused, proving the huge entry is the
 * cause. The device_pmd variant maps device memory instead (a PCI BAR, no
 * struct pages, as TTM's VRAM placement): there the same pin on a kernel
 * without the special bit faults inside fast GUP and kills the guest, which
 * the runner attributes to the case. device_pud maps a PUD-sized, PUD-aligned
 * piece of that BAR by one PUD (the module cannot allocate RAM of that size,
 * so the RAM PUD variants skip): the PUD special bit's case. The refmod_dev
 * fixture checks the ioctl and mmap interface itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "hp_case.h"
#include "hp_refmod.h"

#define HP_TEST "hugepfn_ref"
#define SCRATCH_BYTES (4ul << 20)

static void refmod_open_or_skip(struct __test_metadata *_metadata, struct hp_refmod *r)
{
	char why[HP_TEXT_LEN];

	if (hp_refmod_open(r, why, sizeof(why)))
		SKIP(return, "%s", why);
}

FIXTURE(hugepfn_map) {
	struct hp_refmod r;
	struct hp_scratch scratch;
	char no_pud[HP_TEXT_LEN];	/* set: the kernel maps no huge PUD at all */
};

/*
 * Why a PUD case cannot run where the architecture has no huge PUD entries
 * (arm64: PMD pfnmaps since 6.12, never PUD ones). Its pins are recorded
 * UNTESTABLE with this reason, so the report shows the gap.
 */
static void no_pud_why(char *why, size_t len)
{
	struct utsname u;
	const char *arch = "this architecture";

	if (!uname(&u))
		arch = strcmp(u.machine, "aarch64") ? u.machine : "arm64";
	snprintf(why, len, "no PUD pfnmap on %s (HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD unset)", arch);
}

/* One block of the kernel's PMD size, or of its PUD size with HUGEPIN_REF_CREATE_PUD. */
FIXTURE_VARIANT(hugepfn_map) {
	const char *name;
	uint32_t flags;		/* HUGEPIN_REF_CREATE_* */
};

FIXTURE_VARIANT_ADD(hugepfn_map, noncompound_pmd) {
	.name = "noncompound_pmd", .flags = 0,
};

FIXTURE_VARIANT_ADD(hugepfn_map, compound_pmd) {
	.name = "compound_pmd", .flags = HUGEPIN_REF_CREATE_COMPOUND,
};

FIXTURE_VARIANT_ADD(hugepfn_map, noncompound_pud) {
	.name = "noncompound_pud", .flags = HUGEPIN_REF_CREATE_PUD,
};

/* Device memory without struct pages, as TTM's VRAM placement (a PCI BAR). */
FIXTURE_VARIANT_ADD(hugepfn_map, device_pmd) {
	.name = "device_pmd", .flags = HUGEPIN_REF_CREATE_DEVICE,
};

FIXTURE_VARIANT_ADD(hugepfn_map, compound_pud) {
	.name = "compound_pud", .flags = HUGEPIN_REF_CREATE_PUD | HUGEPIN_REF_CREATE_COMPOUND,
};

/* A PUD-sized, PUD-aligned piece of the same BAR, mapped by one PUD. */
FIXTURE_VARIANT_ADD(hugepfn_map, device_pud) {
	.name = "device_pud", .flags = HUGEPIN_REF_CREATE_PUD | HUGEPIN_REF_CREATE_DEVICE,
};

/* "PMD" or "PUD": the level a variant's huge entries are at. */
static const char *variant_level(const FIXTURE_VARIANT(hugepfn_map) *variant)
{
	return variant->flags & HUGEPIN_REF_CREATE_PUD ? "PUD" : "PMD";
}

/*
 * Fast GUP through a device-memory PMD or PUD without the special bit looks
 * up a struct page that does not exist: the guest dies in the first such pin,
 * and the runner resumes after it. One crash answers for every method and
 * for either device variant (kernels have both special bits or neither); the
 * others are not run into it again.
 */
static bool device_pin_fatal(const struct hp_refmod *r, const FIXTURE_VARIANT(hugepfn_map) *variant)
{
	uint32_t special = variant->flags & HUGEPIN_REF_CREATE_PUD ?
			   HUGEPIN_REF_CAP_PUD_SPECIAL : HUGEPIN_REF_CAP_PMD_SPECIAL;

	return variant->flags & HUGEPIN_REF_CREATE_DEVICE && !(r->caps.caps & special);
}

static bool device_pin_crashed(const struct hp_refmod *r, const FIXTURE_VARIANT(hugepfn_map) *variant,
			       char *which, size_t len)
{
	return device_pin_fatal(r, variant) &&
	       hp_case_crashed_before(HP_TEST, "hugepfn_map.device_*.pin_*", which, len);
}

FIXTURE_SETUP(hugepfn_map)
{
	char why[HP_TEXT_LEN], crashed[3 * HP_NAME_LEN];
	bool pud = variant->flags & HUGEPIN_REF_CREATE_PUD;
	bool device = variant->flags & HUGEPIN_REF_CREATE_DEVICE;
	uint32_t caps;

	self->r.fd = -1;
	self->no_pud[0] = '\0';
	if (hp_refmod_fixture(&self->r, &self->scratch, SCRATCH_BYTES, why, sizeof(why)))
		SKIP(return, "%s", why);
	caps = self->r.caps.caps;
	if (pud && !(caps & HUGEPIN_REF_CAP_PUD_ARCH))
		no_pud_why(self->no_pud, sizeof(self->no_pud));
	else if (pud && !device && !(caps & HUGEPIN_REF_CAP_PUD))
		SKIP(return, "%s", "PUD: blocks of the PUD size need alloc_contig_pages(), which modules cannot call");
	if (device && !(caps & HUGEPIN_REF_CAP_DEVICE))
		SKIP(return, "device memory: no ivshmem-plain BAR free for the module (run.sh's guests have one)");
	if (device && pud && !self->no_pud[0] && !(caps & HUGEPIN_REF_CAP_DEVICE_PUD))
		SKIP(return, "device memory: its BAR holds no PUD-aligned piece of the PUD size (run.sh's guests have one)");
	/*
	 * The PMD variant's crash already answered for device memory on this
	 * kernel: its PUD cases leave no records that would stand for pins never
	 * made (the PMD variant's "not run" records say it per method).
	 */
	if (device && pud && !self->no_pud[0] && device_pin_crashed(&self->r, variant, crashed, sizeof(crashed)))
		SKIP(return, "not run: %s crashed this kernel (no PUD special bit either), as each device-memory pin would",
		     crashed);
}

FIXTURE_TEARDOWN(hugepfn_map)
{
	if (self->scratch.fd >= 0)
		hp_scratch_close(&self->scratch);
	hp_refmod_close(&self->r);
}

static size_t variant_size(const FIXTURE_VARIANT(hugepfn_map) *variant)
{
	return variant->flags & HUGEPIN_REF_CREATE_PUD ? hp_pud_size() : hp_pmd_size();
}

static void case_init(struct hp_refmod_case *c, char *name, size_t len,
		      const FIXTURE_VARIANT(hugepfn_map) *variant, const char *test,
		      struct hp_scratch *scratch)
{
	snprintf(name, len, "hugepfn_map.%s.%s", variant->name, test);
	memset(c, 0, sizeof(*c));
	c->test = HP_TEST;
	c->name = name;
	c->create_flags = variant->flags;
	c->size = variant_size(variant);
	c->huge_required = true;
	c->scratch = scratch;
	/*
	 * A PUD case needs the PUD, and its offsets lie in the block's first
	 * PMD-sized span: every pin there goes through that one PUD entry.
	 */
	if (variant->flags & HUGEPIN_REF_CREATE_PUD) {
		c->pud_required = true;
		c->sweep_len = hp_pmd_size();
	}
}

/* Sweep one method; unexpected VULNERABLE or errno fails, expected is XFAIL. */
static void sweep(struct __test_metadata *_metadata, FIXTURE_DATA(hugepfn_map) *self,
		  const FIXTURE_VARIANT(hugepfn_map) *variant, const char *test,
		  enum hp_method m)
{
	char name[2 * HP_NAME_LEN], crashed[3 * HP_NAME_LEN], why[HP_TEXT_LEN];
	struct hp_refmod_case c;
	struct hp_case_tally t;
	const char *skip;

	case_init(&c, name, sizeof(name), variant, test, &self->scratch);
	skip = hp_case_skip_why(HP_TEST, name);
	if (skip)
		SKIP(return, "%s", skip);
	if (_metadata->skip)
		return;
	if (self->no_pud[0]) {
		c.not_run_why = self->no_pud;
		c.len = HP_CASE_PIN_LEN;
		hp_refmod_run_pin(&self->r, &c, m, NULL, NULL);
		SKIP(return, "%s", self->no_pud);
	}
	if (device_pin_crashed(&self->r, variant, crashed, sizeof(crashed))) {
		snprintf(why, sizeof(why), "not run: %s crashed this kernel (no %s special bit), "
			 "as each device-memory pin would", crashed, variant_level(variant));
		c.not_run_why = why;
		c.len = HP_CASE_PIN_LEN;
		hp_refmod_run_pin(&self->r, &c, m, NULL, NULL);
		SKIP(return, "%s", why);
	}
	/*
	 * The pin is about to kill this kernel: where the runner takes a
	 * contingency (hp_core.h), the cases after it run first, without this
	 * process's hold on the module, which the last of them unloads and
	 * loads again.
	 */
	if (device_pin_fatal(&self->r, variant) && hp_contingency_wanted()) {
		hp_refmod_close(&self->r);
		hp_case_contingency(HP_TEST, name);
		ASSERT_EQ(0, hp_refmod_open(&self->r, why, sizeof(why))) TH_LOG("reopen: %s", why);
	}
	hp_refmod_sweep(&self->r, &c, m, &t);
	EXPECT_EQ(0, t.unexpected_err) {
		TH_LOG("unexpected errno: %s", t.bad);
	}
	EXPECT_EQ(0, t.vulnerable) {
		TH_LOG("VULNERABLE: %s", t.bad);
	}
	if (!_metadata->passed)
		return;
	if (t.expected)
		HP_XFAIL(return, "%s", t.xfail);
	if (!t.safe)
		SKIP(return, "%s", t.skip);
}

#define PIN_TEST(tname, method)						\
	TEST_F(hugepfn_map, tname)						\
	{									\
		sweep(_metadata, self, variant, #tname, (method));		\
	}

/* One test per row of the method table: pin_odirect_read, ..., pin_gup_test. */
#define PIN_TEST_ROW(value, mname, ...) PIN_TEST(pin_##mname, value)
HP_METHODS(PIN_TEST_ROW)

/*
 * The buffer is mapped by a PMD, inserted by the path this kernel allows (a
 * PUD variant's block by one PUD, which only ->huge_fault inserts).
 */
TEST_F(hugepfn_map, fault_maps_pmd)
{
	bool pud = variant->flags & HUGEPIN_REF_CREATE_PUD;
	uint32_t level = pud ? HUGEPIN_REF_LEVEL_PUD : HUGEPIN_REF_LEVEL_PMD;
	struct hugepin_ref_create bo;
	struct hugepin_ref_info info;
	struct hp_map m;
	uint32_t want;

	if (_metadata->skip)
		return;
	if (self->no_pud[0])
		SKIP(return, "%s", self->no_pud);
	HP_ASSERT_OK(_hp_refmod_create(&self->r, variant_size(variant), variant->flags, &bo));
	HP_ASSERT_OK(_hp_refmod_map(&self->r, &bo, &m));
	HP_EXPECT_OK(_hp_refmod_fault(&self->r, bo.id, &m, &info));
	hp_unmap(&m);
	HP_EXPECT_OK(_hp_refmod_destroy(&self->r, bo.id));
	if (info.last_level != level)
		SKIP(return, "no %s formed (level %s, path %s, %llu fallbacks)", variant_level(variant),
		     hp_level_name(hp_refmod_level(info.last_level)),
		     hp_refmod_path_name(info.last_path), (unsigned long long)info.fallbacks);
	want = self->r.caps.caps & HUGEPIN_REF_CAP_FAULT_PMD && !pud ?
	       HUGEPIN_REF_PATH_FAULT_PMD : HUGEPIN_REF_PATH_HUGE_FAULT;
	EXPECT_EQ(want, info.last_path) {
		TH_LOG("%s inserted by %s, expected %s on this kernel", variant_level(variant),
		       hp_refmod_path_name(info.last_path), hp_refmod_path_name(want));
	}
	/* One entry of the block's size covers it: nothing smaller may have been needed. */
	EXPECT_EQ(pud ? 1 : variant_size(variant) / hp_pmd_size(),
		  pud ? info.faults_pud : info.faults_pmd);
	if (pud) {
		EXPECT_EQ(0, info.faults_pmd);
	}
	EXPECT_EQ(0, info.faults_pte);
	TH_LOG("level %s via %s", hp_level_name(hp_refmod_level(info.last_level)),
	       hp_refmod_path_name(info.last_path));
}

/*
 * With pte_only the module maps special PTEs: fast GUP backs off and slow GUP
 * refuses VM_IO, on every kernel. A pin that succeeds here is a real failure.
 */
TEST_F(hugepfn_map, pte_only_refuses_pins)
{
	static const enum hp_method methods[] = {
		HP_M_ODIRECT_READ, HP_M_ODIRECT_WRITE, HP_M_VMSPLICE, HP_M_IOURING_READ,
	};
	char name[2 * HP_NAME_LEN], crashed[3 * HP_NAME_LEN];
	struct hp_refmod_outcome oc;
	struct hp_refmod_case c;
	const char *skip;
	int safe = 0, err;

	if (_metadata->skip)
		return;
	if (self->no_pud[0])
		SKIP(return, "%s", self->no_pud);
	case_init(&c, name, sizeof(name), variant, "pte_only_refuses_pins", &self->scratch);
	skip = hp_case_skip_why(HP_TEST, name);
	if (skip)
		SKIP(return, "%s", skip);
	/* Its SAFE cells would stand beside pins that were never run. */
	if (device_pin_crashed(&self->r, variant, crashed, sizeof(crashed)))
		SKIP(return, "%s crashed this kernel: the huge entry's fault, its PTE control left out", crashed);
	err = hp_refmod_pte_only(1);
	if (err < 0)
		SKIP(return, "cannot set %s: %s", HUGEPIN_REF_PARAM_PTE_ONLY, strerror(-err));
	c.huge_required = false;
	c.never_expected = true;
	c.len = HP_CASE_PIN_LEN;
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		enum hp_verdict v = hp_refmod_run_pin(&self->r, &c, methods[i], NULL, &oc);

		if (v == HP_UNTESTABLE)
			continue;
		EXPECT_EQ(HUGEPIN_REF_LEVEL_PTE, oc.info.last_level);
		EXPECT_EQ(HP_SAFE, v) {
			TH_LOG("%s pinned a PTE-mapped driver buffer", hp_method_name(methods[i]));
		}
		EXPECT_EQ(0, oc.evict.pages_bad);
		safe += v == HP_SAFE;
	}
	hp_refmod_pte_only(0);
	if (_metadata->passed && !safe)
		SKIP(return, "no pin method could run here");
}

/* ---- the interface itself ---- */

FIXTURE(refmod_dev) {
	struct hp_refmod r;
};

FIXTURE_SETUP(refmod_dev)
{
	self->r.fd = -1;
	refmod_open_or_skip(_metadata, &self->r);
}

FIXTURE_TEARDOWN(refmod_dev)
{
	hp_refmod_close(&self->r);
}

TEST_F(refmod_dev, caps_reports_sizes)
{
	struct hugepin_ref_caps caps;

	if (_metadata->skip)
		return;
	HP_ASSERT_OK(_hp_refmod_caps(&self->r, &caps));
	/* The kernel's sizes from inside it agree with the ones the suite derives. */
	EXPECT_EQ((uint32_t)hp_page_size(), caps.page_size);
	EXPECT_EQ(hp_pmd_size(), caps.pmd_size);
	EXPECT_EQ(hp_pud_size(), caps.pud_size);
	/* Exactly one of the two paths inserts huge entries. */
	EXPECT_NE(!!(caps.caps & HUGEPIN_REF_CAP_FAULT_PMD), !!(caps.caps & HUGEPIN_REF_CAP_HUGE_FAULT));
	TH_LOG("kernel %u.%u: pmd special bit %s, pud special bit %s, device memory pud %s",
	       caps.kernel_version >> 16, (caps.kernel_version >> 8) & 0xff,
	       caps.caps & HUGEPIN_REF_CAP_PMD_SPECIAL ? "yes" : "no",
	       caps.caps & HUGEPIN_REF_CAP_PUD_SPECIAL ? "yes" : "no",
	       caps.caps & HUGEPIN_REF_CAP_DEVICE_PUD ? "yes" : "no");
}

TEST_F(refmod_dev, wrong_size_einval)
{
	struct hugepin_ref_create bo = { .size = sizeof(bo) - 4, .length = hp_pmd_size() };
	struct hugepin_ref_info info = { .size = sizeof(info) + 8 };
	unsigned long short_cmd = _IOWR(HUGEPIN_REF_IOC_MAGIC, _IOC_NR(HUGEPIN_REF_IOC_CREATE),
					struct hugepin_ref_destroy);

	if (_metadata->skip)
		return;
	EXPECT_EQ(-1, ioctl(self->r.fd, HUGEPIN_REF_IOC_CREATE, &bo));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->r.fd, HUGEPIN_REF_IOC_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
	/* The size the command itself encodes must match as well. */
	bo.size = sizeof(bo);
	EXPECT_EQ(-1, ioctl(self->r.fd, short_cmd, &bo));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(refmod_dev, unknown_flags_einval)
{
	struct hugepin_ref_create bo;
	struct hugepin_ref_evict ev;

	if (_metadata->skip)
		return;
	HP_EXPECT_ERR(EINVAL, _hp_refmod_create(&self->r, hp_pmd_size(), 1u << 31, &bo));
	HP_EXPECT_ERR(EINVAL, _hp_refmod_create(&self->r, 0, 0, &bo));
	HP_EXPECT_ERR(EINVAL, _hp_refmod_create(&self->r, hp_pmd_size() + 1, 0, &bo));
	HP_ASSERT_OK(_hp_refmod_create(&self->r, hp_pmd_size(), 0, &bo));
	HP_EXPECT_ERR(EINVAL, _hp_refmod_evict(&self->r, bo.id, 1u << 31, &ev));
	HP_EXPECT_ERR(EINVAL, _hp_refmod_evict(&self->r, bo.id, HUGEPIN_REF_EVICT_FLAGS, &ev));
	HP_EXPECT_OK(_hp_refmod_destroy(&self->r, bo.id));
}

TEST_F(refmod_dev, unknown_id_enoent)
{
	struct hugepin_ref_info info;
	struct hugepin_ref_evict ev;

	if (_metadata->skip)
		return;
	HP_EXPECT_ERR(ENOENT, _hp_refmod_info(&self->r, 0, &info));
	HP_EXPECT_ERR(ENOENT, _hp_refmod_evict(&self->r, 0x7fffff, 0, &ev));
	HP_EXPECT_ERR(ENOENT, _hp_refmod_destroy(&self->r, 0x7fffff));
}

TEST_F(refmod_dev, mmap_past_buffer_fails)
{
	struct hugepin_ref_create bo;
	void *p;

	if (_metadata->skip)
		return;
	HP_ASSERT_OK(_hp_refmod_create(&self->r, hp_pmd_size(), 0, &bo));
	p = mmap(NULL, 2 * hp_pmd_size(), PROT_READ | PROT_WRITE, MAP_SHARED, self->r.fd,
		 (off_t)bo.mmap_offset);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, hp_page_size(), PROT_READ, MAP_SHARED, self->r.fd,
		 (off_t)(bo.mmap_offset + hp_pmd_size()));
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	/* Private writable mappings would need copy-on-write of pfn pages. */
	p = mmap(NULL, hp_pmd_size(), PROT_READ | PROT_WRITE, MAP_PRIVATE, self->r.fd,
		 (off_t)bo.mmap_offset);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	HP_EXPECT_OK(_hp_refmod_destroy(&self->r, bo.id));
}

/* A clean eviction reports nothing, frees the blocks, and the next touch refaults. */
TEST_F(refmod_dev, evict_then_refault)
{
	struct hugepin_ref_create bo;
	struct hugepin_ref_info info;
	struct hugepin_ref_evict ev;
	struct hp_map m;

	if (_metadata->skip)
		return;
	HP_ASSERT_OK(_hp_refmod_create(&self->r, 2 * hp_pmd_size(), 0, &bo));
	HP_ASSERT_OK(_hp_refmod_map(&self->r, &bo, &m));
	HP_ASSERT_OK(_hp_refmod_fault(&self->r, bo.id, &m, &info));
	HP_ASSERT_OK(_hp_refmod_evict(&self->r, bo.id, 0, &ev));
	EXPECT_EQ(2 * hp_pmd_size() / hp_page_size(), ev.pages_checked);
	EXPECT_EQ(0, ev.pages_bad);
	EXPECT_EQ(2, ev.blocks_freed);
	EXPECT_EQ(0, ev.blocks_kept);
	HP_ASSERT_OK(_hp_refmod_info(&self->r, bo.id, &info));
	EXPECT_EQ(0, info.blocks_present);
	EXPECT_EQ(1, info.evictions);
	HP_ASSERT_OK(_hp_refmod_fault(&self->r, bo.id, &m, &info));
	EXPECT_EQ(2, info.blocks_present);
	EXPECT_NE(HUGEPIN_REF_LEVEL_NONE, info.last_level);
	hp_unmap(&m);
	HP_EXPECT_OK(_hp_refmod_destroy(&self->r, bo.id));
}

/* Destroy drops the id; the mapping keeps the buffer alive until unmapped. */
TEST_F(refmod_dev, destroy_while_mapped)
{
	struct hugepin_ref_create bo;
	struct hugepin_ref_info info;
	struct hp_map m;

	if (_metadata->skip)
		return;
	HP_ASSERT_OK(_hp_refmod_create(&self->r, hp_pmd_size(), 0, &bo));
	HP_ASSERT_OK(_hp_refmod_map(&self->r, &bo, &m));
	HP_ASSERT_OK(_hp_refmod_destroy(&self->r, bo.id));
	HP_EXPECT_ERR(ENOENT, _hp_refmod_info(&self->r, bo.id, &info));
	hp_map_touch(&m, true);
	EXPECT_EQ((char)1, ((volatile char *)m.addr)[hp_page_size()]);
	hp_unmap(&m);
}

/*
 * Last, on purpose: the module unloads without a splat although the cases
 * above left blocks with damaged refcounts allocated (kept so the guest stays
 * usable), then loads again for the programs that run after this one.
 */
FIXTURE(refmod_unload) {
	int unused;
};

FIXTURE_SETUP(refmod_unload)
{
	self->unused = 0;
}

FIXTURE_TEARDOWN(refmod_unload)
{
}

/* A fixture declared last runs last: the kselftest harness keeps declaration order. */
TEST_F(refmod_unload, unload_after_kept_pages)
{
	char why[HP_TEXT_LEN];
	struct hp_evidence ev;
	struct hp_refmod r;
	struct hp_detect d;

	if (hp_refmod_open(&r, why, sizeof(why)))
		SKIP(return, "%s", why);
	hp_refmod_close(&r);
	ASSERT_EQ(0, hp_detect_begin(&d, HP_TEST, "unload_after_kept_pages"));
	if (syscall(SYS_delete_module, HUGEPIN_REF_NAME, O_NONBLOCK)) {
		int err = errno;

		if (err == EPERM)
			SKIP(return, "unloading a module needs CAP_SYS_MODULE");
		ASSERT_EQ(0, err) TH_LOG("delete_module(hugepin_ref): %s", strerror(err));
	}
	memset(&ev, 0, sizeof(ev));
	hp_detect_end(&d, &ev);
	EXPECT_EQ(0u, ev.splats) TH_LOG("splat on unload: %s", ev.splat_line);
	EXPECT_EQ(0ul, ev.taint_new);
	ASSERT_EQ(0, hp_refmod_open(&r, why, sizeof(why))) TH_LOG("reload: %s", why);
	hp_refmod_close(&r);
}

TEST_HARNESS_MAIN
