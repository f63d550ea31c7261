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

/* The methods whose row in the method table names this program. */
#undef HP_PIN_TEST_IN_pin_procvm
#define HP_PIN_TEST_IN_pin_procvm HP_PIN_TEST_DEFINE

HP_PIN_FIXTURES(HP_TEST)

TEST_HARNESS_MAIN
