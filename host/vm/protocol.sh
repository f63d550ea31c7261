# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh disable=SC2034 # read by the scripts that source it
# hugepin's guest/host protocol, for the shell: the lines the guest's init
# writes to the KTAP port around each program, and what the runner and the
# report collection look for. The C side's markers (the kernel-log lines
# that open a case) are in harness/hp_core.h. Sourced by run.sh on the host and
# by init.sh in the guest (busybox sh), so it is plain POSIX sh.

# "# hugepin: begin PROGRAM uptime=S" before a program runs.
HP_MARK_BEGIN='# hugepin: begin'
# "# hugepin: end PROGRAM rc=N uptime=S" after it returned.
HP_MARK_END='# hugepin: end'
# The last line of a boot whose init got through every program.
HP_MARK_DONE='hugepin: done'
# "# hugepin: boot N" between the boots of one run in the merged KTAP.
HP_MARK_BOOT='# hugepin: boot'
# On the contingency port (harness/hp_core.h, HP_MARK_CONT*): a program's run
# of the cases after "test:name", made before it started that case:
# "# hugepin: contingency test:name", its KTAP, "# hugepin: contingency
# records", its records, "# hugepin: contingency end rc=N"; or
# "# hugepin: contingency void test:name: why".
HP_MARK_CONT='# hugepin: contingency'
HP_MARK_CONT_RECORDS='# hugepin: contingency records'
HP_MARK_CONT_END='# hugepin: contingency end'
HP_MARK_CONT_VOID='# hugepin: contingency void'
