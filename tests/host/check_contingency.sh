#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The host part of `make check` for the runner's contingency reader
# (boot_contingency in host/vm/collect.sh): a boot's contingency port as the
# guest writes it (harness/contingency.c) becomes the next boot's directory
# only when the bundle is complete and names the case the guest died in;
# a void one says why and makes nothing; a later bundle for the same case
# replaces an earlier one; another case's bundle is never taken. The VM
# check (tests/vm/check_default.sh) proves the guest's side on a real kernel.
# Writes KTAP to OUTDIR/contingency.tap for tests/summary.sh.
# Exit: 0 all passed, 1 a check failed, 2 usage.
# shellcheck disable=SC2317 # the predicates below run through check()
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR   (writes OUTDIR/contingency.tap)" >&2; exit 2; }
OUTDIR=$1
WORK=$OUTDIR/contingency
rm -rf "$WORK"
mkdir -p "$WORK"
# shellcheck source=host/vm/protocol.sh
. "$TOP/host/vm/protocol.sh"
# shellcheck source=host/vm/collect.sh
. "$TOP/host/vm/collect.sh"

N=0
FAILED=0
TAP=$OUTDIR/contingency.tap
: >"$TAP.body"

check() {
	local what=$1
	shift
	N=$((N + 1))
	if "$@" >/dev/null 2>&1; then
		echo "ok $N $what" | tee -a "$TAP.body"
	else
		echo "not ok $N $what" | tee -a "$TAP.body"
		FAILED=1
	fi
}

# A boot directory whose contingency port holds the lines given.
port() {
	local dir=$WORK/$1
	shift
	mkdir -p "$dir"
	printf '%s\n' "$@" >"$dir/cont.port"
	printf '%s\n' "$dir"
}

bundle() {
	printf '%s\n' "$HP_MARK_CONT prog:$1" "TAP version 13" "1..2" "ok 1 # SKIP started earlier" \
		"ok 2 $2" "$HP_MARK_CONT_RECORDS" "{\"type\":\"result\",\"name\":\"$2\"}" "$HP_MARK_CONT_END rc=$3"
}

# Reads boot $1's port for case $2 into $1.next, as run.sh does; $3: is it the last program (1/0).
take() {
	rm -rf "$1.next"
	boot_contingency "$1" prog "$2" "$1.next" "$3"
}

# Nothing taken: false, and no directory made.
refused() {
	! take "$1" "$2" 1 && [ ! -d "$1.next" ]
}

d=$(port complete "$(bundle a.case after 0)")
check "a complete bundle for the case is taken" take "$d" a.case 1
check "its KTAP sits between the program's begin and end lines, rc kept" \
	sh -c "head -n1 '$d.next/ktap.txt' | grep -q '^$HP_MARK_BEGIN prog ' &&
		grep -q '^ok 2 after\$' '$d.next/ktap.txt' &&
		grep -q '^$HP_MARK_END prog rc=0 ' '$d.next/ktap.txt'"
check "no program after it: the boot reads as done" grep -qxF "$HP_MARK_DONE" "$d.next/ktap.txt"
check "its records are the boot's records" grep -qF '"name":"after"' "$d.next/records.jsonl"
check "it says no guest ran it" grep -q '^no boot: prog ran its cases after a.case' "$d.next/contingency"
take "$d" a.case 0 || true
check "a program after it: not done, so the runner boots for the rest" \
	sh -c "! grep -qxF '$HP_MARK_DONE' '$d.next/ktap.txt'"

d=$(port other "$(bundle b.case after 0)")
check "another case's bundle is not taken" refused "$d" a.case

d=$(port incomplete "$HP_MARK_CONT prog:a.case" "TAP version 13" "1..2" "ok 1 x")
check "a bundle cut off by the guest's death is not taken" refused "$d" a.case

d=$(port void "$HP_MARK_CONT_VOID prog:a.case: a case after it pinned, which only a boot can answer for")
out=$(take "$d" a.case 1 || true)
check "a void contingency is not taken, and says why" \
	sh -c "! test -d '$d.next' && test '$out' = 'void: a case after it pinned, which only a boot can answer for'"

d=$(port twice "$(bundle a.case first 0)" "$(bundle a.case second 1)")
check "of two bundles for the case, the last is taken" take "$d" a.case 1
check "the first one's lines are gone" sh -c "! grep -q first '$d.next/ktap.txt' && grep -q '^ok 2 second\$' '$d.next/ktap.txt' &&
	grep -q '^$HP_MARK_END prog rc=1 ' '$d.next/ktap.txt'"

d=$(port interleaved "$HP_MARK_CONT prog:a.case" "ok 1 mine" "$(bundle b.case theirs 0)")
check "a bundle cut off by another case's does not take that one's lines" refused "$d" a.case

d=$WORK/empty
mkdir -p "$d"
: >"$d/cont.port"
check "an empty port makes nothing" refused "$d" a.case

{
	echo "TAP version 13"
	echo "1..$N"
	cat "$TAP.body"
} >"$TAP"
rm -f "$TAP.body"
exit "$FAILED"
