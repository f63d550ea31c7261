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

/* The methods whose row in the method table names this program. */
#undef HP_PIN_TEST_IN_pin_odirect
#define HP_PIN_TEST_IN_pin_odirect HP_PIN_TEST_DEFINE

HP_PIN_FIXTURES(HP_TEST)

TEST_HARNESS_MAIN
