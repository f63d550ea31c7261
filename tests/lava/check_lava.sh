#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The LAVA proof: LAVA's own dispatcher (Debian 12's lava-dispatcher
# 2023.01, unpacked into build/cache/lava, never installed; see
# host/lava/dispatcher.sh) runs the job `run.sh --lava-job` writes for
# Debian's default kernel against a local QEMU device (LAVA's qemu device
# type, rendered with the job's context as lava-server would), and the
# results LAVA recorded are compared with run.sh's report for the same
# kernel: per program, the same number of ok, not ok and skip.
#
#   tests/lava/check_lava.sh OUTDIR [RUNSH_OUT]
#
# RUNSH_OUT: a finished run.sh output directory for the same kernel (make
# check passes the default run's); without it run.sh runs here first.
# Writes KTAP to OUTDIR/lava.tap for tests/summary.sh; the LAVA log is
# OUTDIR/lava/lava.log. QEMU and lava-run run under nice -n 10.
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 OUTDIR [RUNSH_OUT]" >&2
	exit 2
fi
OUTDIR=$1
RUNSH_OUT=${2:-}
mkdir -p "$OUTDIR" || { echo "check_lava: cannot create $OUTDIR" >&2; exit 2; }
OUTDIR=$(cd "$OUTDIR" && pwd)
WORK=$OUTDIR/lava
TAP=$OUTDIR/lava.tap
HP_TOP=$TOP
HP_CACHE=${HUGEPIN_CACHE:-$TOP/build/cache}
# shellcheck source=host/vm/common.sh
. "$TOP/host/vm/common.sh"
# shellcheck source=host/vm/debian.sh
. "$TOP/host/vm/debian.sh"
# shellcheck source=host/lava/dispatcher.sh
. "$TOP/host/lava/dispatcher.sh"
# shellcheck source=tests/vm/lib.sh
. "$TOP/tests/vm/lib.sh"

rm -rf "$WORK" "$TAP.body"
mkdir -p "$WORK/tmp"

# "PROGRAM OK NOTOK SKIP XFAIL" for each program of run.sh's output $1
# (XFAIL: the skips that are an expected VULNERABLE). A program
# the guest died in ran again on a fresh boot, which printed the cases the
# dead boot had started as "SKIP started in an earlier boot": each case
# keeps its own result from the boot that ran it.
runsh_counts() {
	local f
	for f in "$1"/ktap/*.tap; do
		awk -v prog="$(basename "$f" .tap)" '
		/^(not )?ok [0-9]+/ {
			n = ($1 == "not") ? $3 : $2
			kind = ($1 == "not") ? "notok" : (index($0, "# SKIP") ? "skip" : "ok")
			if (index($0, "# SKIP started in an earlier boot") && (n in res))
				next
			res[n] = kind
			xfail[n] = index($0, "# SKIP XFAIL") > 0
		}
		END {
			for (n in res) {
				c[res[n]]++
				x += xfail[n]
			}
			printf "%s %d %d %d %d\n", prog, c["ok"], c["notok"], c["skip"], x
		}' "$f"
	done | sort
}

# The same from LAVA's results in log $1: the cases of the hugepin
# definition, PROGRAM.CASE, pass/fail/skip (hugepin.PROGRAM is the runner's
# line for the whole program, left out), and the verdicts in their units.
lava_counts() {
	sed -n 's/.*"lvl": "results", "msg": {"case": "\([^"]*\)", "definition": "[0-9]*_hugepin".*"result": "\([a-z]*\)".*"units": "\([A-Za-z_]*\)".*/\1 \2 \3/p' "$1" |
		awk '$1 !~ /^hugepin\./ {
			prog = substr($1, 1, index($1, ".") - 1)
			progs[prog] = 1
			c[prog, $2]++
			x[prog] += $3 == "VULNERABLE_expected"
		}
		END {
			for (p in progs)
				printf "%s %d %d %d %d\n", p, c[p, "pass"], c[p, "fail"], c[p, "skip"], x[p]
		}' | sort
}

# The runner's KTAP as the job's log carries it (the guest's console lines
# from "TAP version 13" on, without LAVA's signals, the shell's trace and
# kernel messages), to stdout.
lava_ktap() {
	python3 -c '
import json, sys
on = False
for line in open(sys.argv[1]):
    try:
        entry = json.loads(line)
    except ValueError:
        continue
    msg = entry.get("msg")
    if entry.get("lvl") != "target" or not isinstance(msg, str):
        continue
    on = on or msg == "TAP version 13"
    if not on or msg.startswith(("<LAVA_SIGNAL", "+ ", "[")):
        continue
    if msg.startswith("hugepin dmesg"):
        break
    print(msg)' "$1"
}

# The kernel's KTAP parser (tools/testing/kunit of linux-source-6.1, only
# that directory unpacked here) reads the runner's output; its summary line.
kunit_parse() {
	local src=/usr/src/linux-source-6.1.tar.xz
	[ -r "$src" ] || return 1
	mkdir -p "$WORK/kunit"
	xz -T0 -dc "$src" | tar -x -C "$WORK/kunit" --wildcards 'linux-source-6.1/tools/testing/kunit/*.py' || return 1
	python3 "$WORK/kunit/linux-source-6.1/tools/testing/kunit/kunit.py" parse "$1" >"$WORK/kunit.out" 2>&1
	tail -n1 "$WORK/kunit.out" | sed 's/^\[[^]]*\] //'
}

main() {
	local job=$WORK/job t0 t1 rc=0 prog want nprogs parsed
	t0=$(date +%s)
	lava_dispatcher_setup
	lava_device_types_setup
	if [ -z "$RUNSH_OUT" ]; then
		RUNSH_OUT=$WORK/runsh
		runsh "$WORK/runsh" --out "$RUNSH_OUT"
	fi
	check "run.sh's report for the kernel is there ($RUNSH_OUT)" test -s "$RUNSH_OUT/report.json"
	runsh "$WORK/lava-job" --lava-job "$job"
	check "run.sh --lava-job wrote the job, the tarball, kernel and rootfs" \
		test -s "$job/job.yaml" -a -s "$job/hugepin-kselftest.tar.gz" -a -s "$job/kernel" -a -s "$job/rootfs.cpio"
	# The kernel's runner resolves the collection and a single test (a dry
	# run here; the job runs the collection in the guest).
	mkdir -p "$WORK/ksft"
	tar -xzf "$job/hugepin-kselftest.tar.gz" -C "$WORK/ksft"
	check "run_kselftest.sh -d -t hugepin:pin_vmsplice selects that test" \
		test "$(cd "$WORK/ksft" && ./run_kselftest.sh -d -t hugepin:pin_vmsplice | tr '\n' ' ')" = \
		"cd hugepin run_many pin_vmsplice "
	check "run_kselftest.sh -d -c hugepin selects every program of selftests/Makefile, in order" \
		test "$(cd "$WORK/ksft" && ./run_kselftest.sh -d -c hugepin | sed -n 's/^run_many //p')" = \
		"$(sed -n 's/^TEST_GEN_PROGS := //p' "$TOP/selftests/Makefile")"
	lava_render_device "$TOP/host/lava/qemu-device.jinja2" "$job/job.yaml" >"$WORK/device.yaml"
	# Downloads and the overlay go under the check's directory, not /var/lib/lava.
	printf 'prefix: %s/tmp/\n' "$WORK" >"$WORK/dispatcher.yaml"
	nice -n 10 bash -c "$(declare -f lava_run); LAVA_ROOT='$LAVA_ROOT' HP_TOP='$TOP' lava_run \
		--job-id 1 --output-dir '$WORK/out' --device '$WORK/device.yaml' \
		--dispatcher '$WORK/dispatcher.yaml' '$job/job.yaml'" >"$WORK/lava.log" 2>&1 || rc=$?
	t1=$(date +%s)
	echo "# lava-run exit $rc after $((t1 - t0)) s (log $WORK/lava.log)" | tee -a "$TAP.body"
	check "lava-run: Job finished correctly" grep -q '"msg": "Job finished correctly"' "$WORK/lava.log"
	runsh_counts "$RUNSH_OUT" >"$WORK/runsh.counts"
	lava_counts "$WORK/lava.log" >"$WORK/lava.counts"
	echo "# program: ok/not ok/skip (of which VULNERABLE expected), run.sh | LAVA" | tee -a "$TAP.body"
	join -a1 -a2 -e- -o 0,1.2,1.3,1.4,1.5,2.2,2.3,2.4,2.5 "$WORK/runsh.counts" "$WORK/lava.counts" |
		awk '{ printf "# %-18s %s/%s/%s (%s) | %s/%s/%s (%s)\n", $1, $2, $3, $4, $5, $6, $7, $8, $9 }' | tee -a "$TAP.body"
	check "LAVA recorded hugepin's cases" test -s "$WORK/lava.counts"
	lava_ktap "$WORK/lava.log" >"$WORK/lava.ktap"
	nprogs=$(sed -n 's/^TEST_GEN_PROGS := //p' "$TOP/selftests/Makefile" | wc -w)
	check "the job log carries the runner's KTAP, one line per program" \
		test "$(grep -c '^ok [0-9]* selftests: hugepin: ' "$WORK/lava.ktap")" = "$nprogs"
	parsed=$(kunit_parse "$WORK/lava.ktap" || true)
	echo "# kunit.py parse: $parsed" | tee -a "$TAP.body"
	check "the kernel's kunit_parser reads it: $nprogs programs" \
		test "${parsed%%:*}" = "Testing complete. Ran $nprogs tests"
	while read -r prog want; do
		check "$prog: LAVA's ok/not ok/skip and expected-VULNERABLE counts equal run.sh's" \
			test "$prog $want" = "$(grep "^$prog " "$WORK/lava.counts" || true)"
	done <"$WORK/runsh.counts"
	{
		echo "TAP version 13"
		echo "1..$N"
		cat "$TAP.body"
	} >"$TAP"
	rm -f "$TAP.body"
	return "$FAILED"
}

main
