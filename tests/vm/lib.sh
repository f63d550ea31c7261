# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # N and FAILED are read by the caller
# Helpers the VM checks share: KTAP lines, run.sh with a log, and questions
# about a run's report.json. Sourced; the caller sets TOP and TAP, and reads
# N (lines written) and FAILED (1 after a not ok) at the end.

N=0
FAILED=0

ok() {
	N=$((N + 1))
	echo "ok $N $*" | tee -a "$TAP.body"
}

not_ok() {
	N=$((N + 1))
	FAILED=1
	echo "not ok $N $*" | tee -a "$TAP.body"
}

skip() {
	N=$((N + 1))
	echo "ok $N $1 # SKIP $2" | tee -a "$TAP.body"
}

# check NAME COMMAND...: one KTAP line for the command's success.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

# Run run.sh with a log; sets RC.
runsh() {
	local log=$1
	shift
	RC=0
	"$TOP/run.sh" "$@" >"$log.out" 2>"$log.err" || RC=$?
	echo "# run.sh $* -> exit $RC" >>"$TAP.body"
}

is_rc() {
	[ "$RC" = "$1" ]
}

# report.json rows: count the records whose line has every given fragment.
rows() {
	local json=$1 f data
	shift
	data=$(grep -F '"type":"result"' "$json" || true)
	for f in "$@"; do
		data=$(grep -F -- "$f" <<<"$data" || true)
	done
	grep -c . <<<"$data" || true
}

has_rows() {
	[ "$(rows "$@")" -gt 0 ]
}

no_rows() {
	[ "$(rows "$@")" -eq 0 ]
}

# No kselftest program printed "not ok": test failures that are not verdicts
# (a wrong errno, a broken interface) must fail the check too.
no_ktap_failures() {
	local f
	for f in "$1"/ktap/*.tap; do
		[ -f "$f" ] || return 1
		if grep -q '^not ok' "$f"; then
			grep -H '^not ok' "$f" | sed 's/^/# /' >>"$TAP.body"
			return 1
		fi
	done
}

# Records of run directory $1 against hp_report --expect file $2.
matches_expected() {
	local d=$1 expect=$2 f
	local -a recs=()
	for f in "$d"/boot-*/records.jsonl; do
		recs+=(--records "$f")
	done
	"$TOP/build/bin/hp_report" "${recs[@]}" --console "$d/console.log" --out "$d/expect" \
		--expect "$expect" >"$d/expect.out" 2>&1
}

# Write the KTAP file $TAP from the lines gathered so far.
tap_finish() {
	{
		echo "TAP version 13"
		echo "1..$N"
		cat "$TAP.body"
	} >"$TAP"
	rm -f "$TAP.body"
}
