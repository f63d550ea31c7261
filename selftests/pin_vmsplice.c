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

/* The methods whose row in the method table names this program. */
#undef HP_PIN_TEST_IN_pin_vmsplice
#define HP_PIN_TEST_IN_pin_vmsplice HP_PIN_TEST_DEFINE

HP_PIN_FIXTURES(HP_TEST)

TEST_HARNESS_MAIN
