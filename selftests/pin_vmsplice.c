// SPDX-License-Identifier: GPL-2.0
/*
 * vmsplice() of GPU buffer mappings into a pipe.
 *
 * vmsplice() takes page references with get_user_pages_fast() and leaves the
 * pages in the pipe until a reader consumes them: a source-direction pin
 * (no FOLL_WRITE), so it also reaches huge entries that are write-protected
 * for dirty tracking. On 5.7-5.15 TTM kernels it took references on
 * driver-owned pages behind huge pfn PMDs; on a fixed kernel it fails with
 * EFAULT. We drain the pipe with read() so the references are dropped
 * within the case. The anon_thp fixture is the control.
 */
#include "kselftest_harness.h"
#include "hp_case.h"

#define HP_TEST "pin_vmsplice"

HP_DRM_BO_FIXTURE(HP_TEST)

TEST_F(drm_bo, splice_bo)
{
	HP_SWEEP(HP_M_VMSPLICE);
}

HP_VFIO_BAR_FIXTURE(HP_TEST)

TEST_F(vfio_bar, splice_bar)
{
	HP_SWEEP(HP_M_VMSPLICE);
}

HP_ANON_THP_FIXTURE(HP_TEST)

TEST_F(anon_thp, splice_thp)
{
	HP_SWEEP(HP_M_VMSPLICE);
}

TEST_HARNESS_MAIN
