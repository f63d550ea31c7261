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

/* The methods whose row in the method table names this program. */
#undef HP_PIN_TEST_IN_pin_iouring
#define HP_PIN_TEST_IN_pin_iouring HP_PIN_TEST_DEFINE

HP_PIN_FIXTURES(HP_TEST)

TEST_HARNESS_MAIN
