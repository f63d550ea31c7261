// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring buffer registration and I/O on GPU buffer mappings.
 *
 * io_uring_register_buffers() pins the whole buffer long-term: on 6.1 with
 * pin_user_pages() (slow GUP, which checks the VMA and refuses VM_IO and
 * VM_PFNMAP with EFAULT), from 6.3 with pin_user_pages_fast(), which walks
 * the page tables first and reaches huge pfn PMDs the way O_DIRECT does.
 * READ_FIXED/WRITE_FIXED then move data through the registered pages, and a
 * plain (unregistered) O_DIRECT read goes through the iov_iter path each
 * time. io_uring cases SKIP when liburing was missing at build time or the
 * kernel has io_uring off. The anon_thp fixture is the control.
 */
#include "kselftest_harness.h"
#include "hp_case.h"

#define HP_TEST "pin_iouring"

HP_DRM_BO_FIXTURE(HP_TEST)

TEST_F(drm_bo, register_bo)
{
	HP_SWEEP(HP_M_IOURING_REG);
}

TEST_F(drm_bo, read_fixed_into_bo)
{
	HP_SWEEP(HP_M_IOURING_FIXED_READ);
}

TEST_F(drm_bo, write_fixed_from_bo)
{
	HP_SWEEP(HP_M_IOURING_FIXED_WRITE);
}

TEST_F(drm_bo, read_into_bo)
{
	HP_SWEEP(HP_M_IOURING_READ);
}

HP_VFIO_BAR_FIXTURE(HP_TEST)

TEST_F(vfio_bar, register_bar)
{
	HP_SWEEP(HP_M_IOURING_REG);
}

TEST_F(vfio_bar, read_fixed_into_bar)
{
	HP_SWEEP(HP_M_IOURING_FIXED_READ);
}

TEST_F(vfio_bar, write_fixed_from_bar)
{
	HP_SWEEP(HP_M_IOURING_FIXED_WRITE);
}

TEST_F(vfio_bar, read_into_bar)
{
	HP_SWEEP(HP_M_IOURING_READ);
}

HP_ANON_THP_FIXTURE(HP_TEST)

TEST_F(anon_thp, register_thp)
{
	HP_SWEEP(HP_M_IOURING_REG);
}

TEST_F(anon_thp, read_fixed_into_thp)
{
	HP_SWEEP(HP_M_IOURING_FIXED_READ);
}

TEST_F(anon_thp, write_fixed_from_thp)
{
	HP_SWEEP(HP_M_IOURING_FIXED_WRITE);
}

TEST_F(anon_thp, read_into_thp)
{
	HP_SWEEP(HP_M_IOURING_READ);
}

TEST_HARNESS_MAIN
