// SPDX-License-Identifier: GPL-2.0
/*
 * process_vm_readv()/process_vm_writev() of GPU buffer mappings from a
 * second process.
 *
 * A child process reads or writes its parent's buffer mapping, so the pages
 * are taken with pin_user_pages_remote() on another mm: slow GUP, which
 * checks the VMA and refuses VM_IO/VM_PFNMAP mappings with EFAULT on every
 * kernel we know. The test keeps that path honest; it is not one that reached
 * the huge-PMD bug. The anon_thp fixture is the control.
 */
#include "kselftest_harness.h"
#include "hp_case.h"

#define HP_TEST "pin_procvm"

HP_DRM_BO_FIXTURE(HP_TEST)

TEST_F(drm_bo, read_bo_remotely)
{
	HP_SWEEP(HP_M_PROCVM_READ);
}

TEST_F(drm_bo, write_bo_remotely)
{
	HP_SWEEP(HP_M_PROCVM_WRITE);
}

HP_VFIO_BAR_FIXTURE(HP_TEST)

TEST_F(vfio_bar, read_bar_remotely)
{
	HP_SWEEP(HP_M_PROCVM_READ);
}

TEST_F(vfio_bar, write_bar_remotely)
{
	HP_SWEEP(HP_M_PROCVM_WRITE);
}

HP_ANON_THP_FIXTURE(HP_TEST)

TEST_F(anon_thp, read_thp_remotely)
{
	HP_SWEEP(HP_M_PROCVM_READ);
}

TEST_F(anon_thp, write_thp_remotely)
{
	HP_SWEEP(HP_M_PROCVM_WRITE);
}

TEST_HARNESS_MAIN
