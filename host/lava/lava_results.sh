#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# hugepin kselftest collection: turn the kernel runner's KTAP on stdin
# (`./run_kselftest.sh -c hugepin`) into LAVA test cases, one per KTAP
# result line, keeping hugepin's verdict beside LAVA's pass/fail/skip:
#   case PROGRAM.CASE      each program's own result lines (one level in)
#   case hugepin.PROGRAM   the runner's line for the whole program
# The verdict travels as the measurement and its units (LAVA keeps both
# with the case; the name stays the same on every kernel, so a lab's
# history lines up):
#   ok                     pass  0 SAFE
#   not ok                 fail  1 VULNERABLE
#   ok # SKIP XFAIL ...    skip  2 VULNERABLE_expected
#   ok # SKIP reason       skip  3 UNTESTABLE
# Cases are recorded as their lines arrive, so a kernel that dies part way
# keeps the results before it. Installed as hugepin/lava_results.sh in the
# kselftest tarball. Without
# lava-test-case on the PATH (outside LAVA) it prints the calls instead.
# shellcheck shell=sh

if command -v lava-test-case >/dev/null 2>&1; then
	record=lava-test-case
else
	record="echo"
fi

# awk passes every line through (the KTAP, with its evidence, stays in the
# job's log) and adds a "@case" line after each result line.
awk '
{ print; fflush() }
function clean(s) {
	gsub(/[^A-Za-z0-9._-]/, "_", s)
	return s
}
# "ok 3 name # SKIP why" (or "not ok"): result, name and directive.
function split_line(line,    rest) {
	res = (line ~ /^not ok /) ? "fail" : "pass"
	sub(/^(not )?ok [0-9]+ ?/, "", line)
	name = line
	dir = ""
	if (index(line, "# ") > 0) {
		name = substr(line, 1, index(line, "# ") - 1)
		dir = substr(line, index(line, "# ") + 2)
	}
	sub(/ +$/, "", name)
}
function verdict(    v) {
	if (res == "fail")
		return "1 VULNERABLE"
	if (dir ~ /^SKIP XFAIL/)
		return "2 VULNERABLE_expected"
	if (dir ~ /^SKIP/)
		return "3 UNTESTABLE"
	return "0 SAFE"
}
/^# selftests: hugepin: / { prog = $4; run = ""; next }
/^# #  RUN / { run = $4; next }
/^# (not )?ok [0-9]+/ {
	line = substr($0, 3)
	split_line(line)
	if (name == "")
		name = run
	if (name == "")
		name = "case" $4
	r = (res == "pass" && dir ~ /^SKIP/) ? "skip" : res
	print "@case", clean(prog "." name), r, verdict()
	fflush()
	next
}
/^(not )?ok [0-9]+ selftests: hugepin: / {
	split_line($0)
	p = name
	sub(/^selftests: hugepin: /, "", p)
	r = (res == "pass" && dir ~ /^SKIP/) ? "skip" : res
	print "@case", clean("hugepin." p), r, (res == "fail" ? "1 FAIL" : r == "skip" ? "3 SKIP" : "0 PASS")
	fflush()
}' | while IFS= read -r line; do
	case $line in
	"@case "*)
		# shellcheck disable=SC2086 # the awk line is words by design
		set -- ${line#@case }
		"$record" "$1" --result "$2" --measurement "$3" --units "$4"
		;;
	*)
		printf '%s\n' "$line"
		;;
	esac
done
