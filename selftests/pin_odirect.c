// SPDX-License-Identifier: GPL-2.0
/*
 * O_DIRECT into and out of GPU buffer mappings.
 *
 * A direct read or write takes references on the user pages with
 * iov_iter_get_pages2() -> get_user_pages_fast() (6.1; pin_user_pages_fast()
 * from 6.3), the path that on 5.7-5.15 TTM kernels walked into huge pfn PMDs
 * of buffer objects and took references on driver-owned pages; the bio then
 * dropped them one subpage at a time. Read is the destination direction
 * (FOLL_WRITE), write the source direction, which still works where the huge
 * entry is write-protected for dirty tracking (vmwgfx).
 * Expected on a fixed kernel: the pin is refused (EFAULT) or lands on
 * refcounted pages, and the kernel log stays quiet. The anon_thp fixture is
 * the control: real THP pages, where both directions must pin.
 */
#include "kselftest_harness.h"
#include "hp_case.h"

#define HP_TEST "pin_odirect"

HP_DRM_BO_FIXTURE(HP_TEST)

TEST_F(drm_bo, read_into_bo)
{
	HP_SWEEP(HP_M_ODIRECT_READ);
}

TEST_F(drm_bo, write_from_bo)
{
	HP_SWEEP(HP_M_ODIRECT_WRITE);
}

HP_VFIO_BAR_FIXTURE(HP_TEST)

TEST_F(vfio_bar, read_into_bar)
{
	HP_SWEEP(HP_M_ODIRECT_READ);
}

TEST_F(vfio_bar, write_from_bar)
{
	HP_SWEEP(HP_M_ODIRECT_WRITE);
}

HP_ANON_THP_FIXTURE(HP_TEST)

TEST_F(anon_thp, read_into_thp)
{
	HP_SWEEP(HP_M_ODIRECT_READ);
}

TEST_F(anon_thp, write_from_thp)
{
	HP_SWEEP(HP_M_ODIRECT_WRITE);
}

TEST_HARNESS_MAIN
