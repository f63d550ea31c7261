# SPDX-License-Identifier: GPL-2.0
# hugepin: build, check and install the suite.
#
#   make                 userspace programs into build/bin (libdrm, liburing via pkg-config)
#   make STATIC=1        static programs into build/bin-static (for QEMU guests)
#   make check           unit tests under ASan+UBSan, then the VM runs on Debian's kernels (x86_64, arm64,
#                        riscv64) and the LAVA proof
#   make run_tests       the kselftests on the running kernel
#   make install DESTDIR=... [PREFIX=/usr/libexec/hugepin]
#   make module [KDIR=/lib/modules/$(uname -r)/build]   the reference module
#   make STATIC=1 GUEST_ARCH=arm64|riscv64 [SYSROOT=...]  cross-built for a QEMU guest
#   make module GUEST_ARCH=arm64|riscv64 KDIR=...         our modules for that guest's kernel
#   make kernel-tree-install KDIR=/path/to/linux         place the suite in a kernel tree
#   make kselftest-tar KDIR=... [KSELFTEST_TAR=file.tar.gz]  the suite as a kselftest
#                        collection (gen_tar layout), modules built for KDIR's kernel
#   make lava-check      LAVA's dispatcher runs the suite's job on Debian's 6.1 (tests/lava),
#                        compared with a run.sh run of its own
#   make fuzz [FUZZ_SECONDS=20]   libFuzzer on every host-side parser
#   make clean / distclean   remove the build, keeping / also removing build/cache

OUT := $(abspath build)
# A QEMU guest of another architecture (run.sh --arch): GUEST_ARCH=arm64 or
# riscv64 cross-builds with Debian's cross compiler against static libdrm
# and liburing unpacked into SYSROOT (run.sh fetches them there), into
# build/bin-static-ARCH.
GUEST_ARCH ?=
GNU_arm64 := aarch64-linux-gnu
GNU_riscv64 := riscv64-linux-gnu
KARCH_arm64 := arm64
KARCH_riscv64 := riscv
ifneq ($(GUEST_ARCH),)
ifeq ($(GNU_$(GUEST_ARCH)),)
$(error GUEST_ARCH=$(GUEST_ARCH): arm64 or riscv64)
endif
CROSS_COMPILE ?= $(GNU_$(GUEST_ARCH))-
SYSROOT ?= $(OUT)/cache/sysroot-$(GUEST_ARCH)
CROSS_PKG_CONFIG := PKG_CONFIG_SYSROOT_DIR=$(SYSROOT) PKG_CONFIG_LIBDIR=$(SYSROOT)/usr/lib/$(GNU_$(GUEST_ARCH))/pkgconfig:$(SYSROOT)/usr/share/pkgconfig pkg-config
PKG_CONFIG := $(CROSS_PKG_CONFIG)
HOSTCC := gcc
# Static libraries built against glibc 2.38+ (trixie's, riscv64's first
# release) call its C23 scanf/strtol entry points; Debian 12's cross glibc
# (2.36) has the same functions under their older names, which differ only
# in reading 0b binary literals, which nothing here passes.
CROSS_LDFLAGS := $(foreach f,strtol sscanf fscanf,-Wl,--defsym,__isoc23_$(f)=$(f))
endif
BIN := $(OUT)/bin$(if $(STATIC),-static)$(if $(GUEST_ARCH),-$(GUEST_ARCH))
PREFIX ?= /usr/libexec/hugepin
FUZZ_SECONDS ?= 20
KDIR ?= /lib/modules/$(shell uname -r)/build
LINUX_SOURCE_TAR ?= /usr/src/linux-source-6.1.tar.xz
PKG_CONFIG ?= pkg-config
HOSTCC ?= $(CC)
KSELFTEST_TAR ?= $(OUT)/hugepin-kselftest.tar.gz

# kselftest files: from KSFT_DIR when given, else the few we need unpacked
# from Debian's linux-source-6.1 into the build directory.
ifneq ($(KSFT_DIR),)
KSFT := $(abspath $(KSFT_DIR))
KSFT_STAMP :=
else
KSFT := $(OUT)/ksft/linux-source-6.1/tools/testing/selftests
KSFT_STAMP := $(KSFT)/.unpacked
endif
KSFT_FILES := lib.mk kselftest_harness.h kselftest.h kselftest/runner.sh kselftest/prefix.pl kselftest/module.sh

SUBMAKE := $(MAKE) -C selftests OUTPUT=$(BIN) KSFT_DIR=$(KSFT) STATIC=$(STATIC) \
	$(if $(GUEST_ARCH),CROSS_COMPILE=$(CROSS_COMPILE) AR=$(CROSS_COMPILE)ar PKG_CONFIG="$(PKG_CONFIG)" \
	EXTRA_LDFLAGS="$(CROSS_LDFLAGS)")
WARN := -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE
SAN := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
# The sources with no system dependency: the host's report tool, the unit
# tests and the fuzzers link them (harness/ ones are in libhugepin.a too).
PURE_LIB := $(addprefix harness/,detectors.c gup_layout.c json.c kmsg.c names.c record.c targets.c util.c verdict.c)
PURE_SRCS := $(PURE_LIB) $(wildcard host/report*.c)
INCS := -Iharness -Ihost -Imodule
UNIT_TESTS := $(patsubst tests/unit/%.c,$(OUT)/unit/%,$(wildcard tests/unit/test_*.c))
FUZZERS := $(patsubst tests/fuzz/%.c,$(OUT)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))

.PHONY: all check unit lint vmcheck run_tests install clean distclean module fuzz kernel-tree-install deps ksft kselftest-tar lava-check

all: ksft
	@test -z "$(GUEST_ARCH)" -o -r $(SYSROOT)/usr/lib/$(GNU_$(GUEST_ARCH))/libdrm.a || { echo "error: no libdrm.a for $(GUEST_ARCH) under SYSROOT=$(SYSROOT): run.sh --arch $(GUEST_ARCH) unpacks it there" >&2; exit 2; }
	+$(SUBMAKE) all
	$(if $(GUEST_ARCH),,$(MAKE) --no-print-directory $(BIN)/hp_report)

ksft: $(KSFT_STAMP)
	@for f in $(KSFT_FILES); do test -f $(KSFT)/$$f || { echo "error: $(KSFT)/$$f missing: KSFT_DIR must be a kernel tree's tools/testing/selftests" >&2; exit 2; }; done

$(OUT)/ksft/linux-source-6.1/tools/testing/selftests/.unpacked:
	@test -r $(LINUX_SOURCE_TAR) || { echo "error: $(LINUX_SOURCE_TAR) not found: apt-get install linux-source-6.1, or set KSFT_DIR=/path/to/linux/tools/testing/selftests" >&2; exit 2; }
	@mkdir -p $(OUT)/ksft
	# The archive has many xz blocks: decompressing them on every core is about twice as fast.
	xz -T0 -dc $(LINUX_SOURCE_TAR) | tar -x -C $(OUT)/ksft $(addprefix linux-source-6.1/tools/testing/selftests/,$(KSFT_FILES))
	@touch $@

$(BIN)/hp_report: host/hp_report.c $(PURE_SRCS) $(wildcard harness/*.h host/*.h)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(WARN) -O2 -g $(INCS) $(filter %.c,$^) -o $@

# Every step leaves KTAP in build/check; the summary decides pass or fail.
check:
	@rm -rf $(OUT)/check && mkdir -p $(OUT)/check
	$(MAKE) --no-print-directory unit lint
	@{ $(MAKE) --no-print-directory all && tests/host/check_interrupt.sh $(OUT)/check; } || \
		test -s $(OUT)/check/interrupt.tap || \
		printf 'TAP version 13\n1..1\nnot ok 1 interrupt: host build or check_interrupt.sh did not run\n' > $(OUT)/check/interrupt.tap
	@tests/host/check_contingency.sh $(OUT)/check || test -s $(OUT)/check/contingency.tap || \
		printf 'TAP version 13\n1..1\nnot ok 1 contingency: check_contingency.sh did not run\n' > $(OUT)/check/contingency.tap
	@$(MAKE) --no-print-directory vmcheck || \
		printf 'TAP version 13\n1..1\nnot ok 1 vmcheck: build or VM run failed\n' > $(OUT)/check/vmcheck-failed.tap
	@tests/summary.sh $(OUT)/check

lint:
	@mkdir -p $(OUT)/check
	@tests/lint.sh > $(OUT)/check/lint.tap 2>&1; echo $$? > $(OUT)/check/lint.rc; cat $(OUT)/check/lint.tap

unit: $(UNIT_TESTS)
	@mkdir -p $(OUT)/check
	@for t in $(UNIT_TESTS); do $$t > $(OUT)/check/$$(basename $$t).tap 2>&1; echo $$? > $(OUT)/check/$$(basename $$t).rc; cat $(OUT)/check/$$(basename $$t).tap; done

$(OUT)/unit/%: tests/unit/%.c $(PURE_SRCS) $(wildcard harness/*.h host/*.h tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(WARN) $(SAN) $(INCS) -Itests/unit $(filter %.c,$^) -o $@

vmcheck: all
	$(MAKE) STATIC=1 all
	tests/vm/check_default.sh $(OUT)/check; rc=$$?; \
	tests/vm/check_debian.sh $(OUT)/check || rc=1; \
	tests/vm/check_arch.sh $(OUT)/check || rc=1; \
	tests/lava/check_lava.sh $(OUT)/check $(OUT)/check/vm/default || rc=1; exit $$rc

run_tests: all
	+$(SUBMAKE) run_tests

install: all
	+$(SUBMAKE) install INSTALL_PATH=$(DESTDIR)$(PREFIX)
	install -m 0755 $(BIN)/hp_report $(DESTDIR)$(PREFIX)/
	install -m 0755 harness/run_kselftest.sh $(DESTDIR)$(PREFIX)/run_kselftest.sh

module:
	$(MAKE) -C module KDIR=$(KDIR) OUT=$(OUT)/module $(if $(GUEST_ARCH),ARCH=$(KARCH_$(GUEST_ARCH)) CROSS_COMPILE=$(CROSS_COMPILE))

fuzz: $(FUZZERS)
	@for f in $(FUZZERS); do echo "fuzz: $$f ($(FUZZ_SECONDS) s)"; \
	$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 -artifact_prefix=$(OUT)/fuzz/ \
		$(OUT)/fuzz/corpus-$$(basename $$f) > $(OUT)/fuzz/$$(basename $$f).log 2>&1 || \
		{ tail -n 30 $(OUT)/fuzz/$$(basename $$f).log; echo "fuzz: $$f failed" >&2; exit 1; }; \
	tail -n 3 $(OUT)/fuzz/$$(basename $$f).log; done

$(OUT)/fuzz/%: tests/fuzz/%.c $(PURE_SRCS) $(wildcard harness/*.h host/*.h)
	@mkdir -p $(dir $@) $(OUT)/fuzz/corpus-$*
	clang $(WARN) -g -O1 -fsanitize=fuzzer,address,undefined $(INCS) $(filter %.c,$^) -o $@

kernel-tree-install:
	@test -f $(KDIR)/tools/testing/selftests/lib.mk || { echo "error: KDIR=$(KDIR) is not a kernel source tree (no tools/testing/selftests/lib.mk)" >&2; exit 2; }
	@d=$(KDIR)/tools/testing/selftests/drivers/gpu/hugepin; rm -rf $$d; mkdir -p $$d; \
	cp selftests/Makefile selftests/settings selftests/*.c $$d/ 2>/dev/null; cp -L selftests/config $$d/config; \
	mkdir -p $$d/src; cp -r harness module drm_repro gup_stress $$d/src/; echo "installed in $$d"; \
	echo "run: make -C $(KDIR)/tools/testing/selftests TARGETS=drivers/gpu/hugepin run_tests"

# The kernel's runner files come from KSFT_DIR's tree, else from linux-source.
kselftest-tar: ksft
	$(MAKE) STATIC=1 all
	$(MAKE) -C module KDIR=$(KDIR) OUT=$(OUT)/ksft-module
	host/lava/kselftest_tar.sh --bin $(OUT)/bin-static --modules $(OUT)/ksft-module \
		$(if $(KSFT_DIR),--ksft $(KSFT),--linux-source $(LINUX_SOURCE_TAR)) $(KSELFTEST_TAR)

lava-check: all
	$(MAKE) STATIC=1 all
	@mkdir -p $(OUT)/check
	tests/lava/check_lava.sh $(OUT)/check

# clean keeps build/cache (downloaded and unpacked kernels, kernel-tree
# builds, the private package lists); distclean removes it too.
clean:
	@test ! -d $(OUT) || find $(OUT) -mindepth 1 -maxdepth 1 ! -name cache -exec rm -rf {} +

distclean:
	rm -rf $(OUT)
