#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Compare two runs case by case: every record of report.json reduced to its
# test, case name, device, method, page-table level, errno, verdict and
# whether it was expected, as a multiset (the order of records inside a run
# may change). Prints what only one side has and a count; exits 0 when the
# two agree, 1 when they differ, 2 on bad input. Evidence wording and new
# fields are not compared. Races and THP allocation make some records of
# the stress programs differ between two runs of the same code: --noise
# names another run of the BEFORE code, and the cases (test, name, device,
# method) on which it and BEFORE disagree are listed with "~" and do not
# count as differences.
#
#   tests/compare_reports.sh [--noise BEFORE2/report.json ...] BEFORE/report.json AFTER/report.json
set -euo pipefail

noise=()
while [ $# -gt 0 ] && [ "$1" = --noise ]; do
	[ $# -ge 2 ] || { echo "compare_reports: --noise needs a report.json" >&2; exit 2; }
	noise+=("$2")
	shift 2
done
if [ $# -ne 2 ]; then
	echo "usage: $0 [--noise BEFORE2/report.json ...] BEFORE/report.json AFTER/report.json" >&2
	exit 2
fi
for f in "${noise[@]}" "$@"; do
	[ -r "$f" ] || { echo "compare_reports: $f: not readable (a run directory's report.json)" >&2; exit 2; }
	grep -q '"type":"result"' "$f" || { echo "compare_reports: $f: no records (not a report.json?)" >&2; exit 2; }
done

# One line per record: test|name|device|method|level|err|verdict|expected.
reduce() {
	awk '
	function field(line, key,    re, v) {
		re = "\"" key "\":(\"[^\"]*\"|[-0-9a-z]+)"
		if (!match(line, re))
			return "?"
		v = substr(line, RSTART + length(key) + 3, RLENGTH - length(key) - 3)
		gsub(/"/, "", v)
		return v
	}
	/"type":"result"/ {
		print field($0, "test") "|" field($0, "name") "|" field($0, "device") "|" \
		      field($0, "method") "|" field($0, "level") "|" field($0, "err") "|" \
		      field($0, "verdict") "|" field($0, "expected")
	}' "$1" | sort
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
reduce "$1" >"$tmp/before"
reduce "$2" >"$tmp/after"
# Cases whose records differ between runs of the same code.
: >"$tmp/variable"
for f in "${noise[@]}"; do
	reduce "$f" >"$tmp/noise"
	comm -3 "$tmp/before" "$tmp/noise" | tr -d '\t' | cut -d'|' -f1-4 >>"$tmp/variable"
done
sort -u -o "$tmp/variable" "$tmp/variable"
# Print the lines of stdin (marked $1) and count those of stable cases.
mark() {
	local sign=$1 line n=0
	while IFS= read -r line; do
		if grep -qxF "${line%|*|*|*|*}" "$tmp/variable"; then
			echo "~$sign $line"
		else
			echo "$sign $line"
			n=$((n + 1))
		fi
	done
	echo "$n" >"$tmp/count$sign"
}
comm -23 "$tmp/before" "$tmp/after" | mark -
comm -13 "$tmp/before" "$tmp/after" | mark +
only_before=$(<"$tmp/count-")
only_after=$(<"$tmp/count+")
echo "compared $(grep -c . <"$tmp/before") records with $(grep -c . <"$tmp/after"):" \
	"$only_before only before, $only_after only after, $(grep -c . <"$tmp/variable" || true) cases vary between runs" \
	"(test|case|device|method|level|errno|verdict|expected)"
[ "$only_before" = 0 ] && [ "$only_after" = 0 ]
