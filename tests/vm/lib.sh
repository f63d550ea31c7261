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

# report.json $1 says detector $2's control fired (summary.controls).
control_fired() {
	grep -qF "{\"detector\":\"$2\",\"state\":\"fired\",\"fired\":true," "$1"
}

# The KTAP line of control test $2 in run directory $1 is "ok", not a skip.
control_ktap_ok() {
	grep -qE "^ok [0-9]+ controls\.$2\$" "$1/ktap/detector_controls.tap"
}

# Every detector's control fired in run directory $1, as the report and the
# program's own KTAP say, and no control record counts as a verdict.
# $2 names the run in the check lines.
check_controls() {
	local d=$1 what=$2 json=$1/report.json det t i refs
	local -a dets=(kernel-log refcount pin-accounting canary level)
	local -a tests=(kernel_log refcount_report pin_accounting canary level_probe)
	for i in "${!dets[@]}"; do
		det=${dets[$i]} t=${tests[$i]}
		check "$what: control $det fired (report.json summary.controls)" control_fired "$json" "$det"
		check "$what: detector_controls $t is ok in KTAP" control_ktap_ok "$d" "$t"
		grep -o "\"detector\":\"$det\",[^}]*" "$json" | sed 's/^/# /' | cut -c1-400 >>"$TAP.body" || true
	done
	# page-refs backs DAX records: it must have fired where the run has DAX
	# (x86 guests), and otherwise not run at all (no DAX, no control).
	if control_fired "$json" page-refs || grep -q '"device":"dax"' "$json"; then
		check "$what: control page-refs fired (report.json summary.controls)" control_fired "$json" page-refs
		check "$what: detector_controls page_refs is ok in KTAP" control_ktap_ok "$d" page_refs
		refs=fired
	else
		check "$what: no DAX in this run, and page-refs did not run" \
			grep -qF '{"detector":"page-refs","state":"not run"' "$json"
		refs="not run"
	fi
	check "$what: the summary lists every control as fired" grep -qx \
		"Controls: kernel-log fired, refcount fired, pin-accounting fired, canary fired, page-refs $refs, level fired." "$d.out"
	check "$what: no control record among the verdicts" no_rows "$json" "\"test\":\"detector_controls\""
	check "$what: detector_controls KTAP has its plan and no not ok" \
		sh -c "grep -q '^1\.\.[0-9]' '$d/ktap/detector_controls.tap' && ! grep -q '^not ok' '$d/ktap/detector_controls.tap'"
}

# pfnmap_vma in report $1 (label $2): the halves of a split PMD refault at
# pte and refuse every pin; the huge zero page pins and reads zeros; a
# fork's child and an mremap meet a PMD, which the child inherits and
# every pin refuses where the PMD is special ($3 = special), and which the
# child refaults and fast GUP pins, expected, where it is not ($3 = plain).
check_pfnmap_vma() {
	local json=$1 what=$2 side=$3 t='"test":"pfnmap_vma"'
	check "$what: pfnmap_vma: 6 split halves at pte, refused" \
		test "$(rows "$json" "$t" 'of the second half: first half none, pte after its refault' \
			'"level":"pte","verdict":"SAFE"' refused)" = 6
	check "$what: pfnmap_vma: the huge zero page pinned at pmd, zeros, balanced" \
		test "$(rows "$json" "$t" '"name":"zero_thp.' '"level":"pmd","verdict":"SAFE"' 'in both blocks')" = 2
	check "$what: pfnmap_vma: mremap moved the PMD" \
		test "$(rows "$json" "$t" 'new pmd before a touch, pmd after (moved)')" = 3
	if [ "$side" = special ]; then
		check "$what: pfnmap_vma: the child inherits the special PMD and every pin is refused" \
			test "$(rows "$json" "$t" 'child pmd before its touch' '"level":"pmd","verdict":"SAFE"')" = 3
		check "$what: pfnmap_vma: no pin got through" no_rows "$json" "$t" '"verdict":"VULNERABLE"'
	else
		check "$what: pfnmap_vma: the child refaults the PMD, its pins VULNERABLE (expected)" \
			test "$(rows "$json" "$t" 'child none before its touch, pmd after (refaulted' \
				'"verdict":"VULNERABLE","expected":true')" = 3
		check "$what: pfnmap_vma: no unexpected VULNERABLE" \
			no_rows "$json" "$t" '"verdict":"VULNERABLE","expected":false'
	fi
}

# The reference module's device memory (module/hugepin_ref_blocks.c) in
# report $1 (label $2): where PMDs are special ($3 = special) each pin meets
# a PMD and is refused, and so is each of its PTE control; where they are
# not ($3 = plain) the first pin kills the guest inside fast GUP, which is
# VULNERABLE (expected), and the other methods are recorded as not run.
check_devmem() {
	local json=$1 what=$2 side=$3 n='"name":"hugepfn_map.device_pmd.'
	check "$what: device memory: every record names the hugepin_vram target" \
		test "$(rows "$json" "$n")" = "$(rows "$json" "$n" '"device":"hugepin_vram"')"
	if [ "$side" = special ]; then
		check "$what: device memory: the PTE control refused 4 pins at pte" \
			test "$(rows "$json" "$n" '"level":"pte","verdict":"SAFE"' 'device memory')" = 4
		check "$what: device memory: 27 pins (9 methods x 3 offsets) met a PMD and were refused" \
			test "$(rows "$json" "$n" '"level":"pmd","verdict":"SAFE"' 'refused')" -ge 27
		check "$what: device memory: no pin got through" no_rows "$json" "$n" '"verdict":"VULNERABLE"'
	else
		check "$what: device memory: the guest died in fast GUP, VULNERABLE (expected)" \
			test "$(rows "$json" "$n" '"verdict":"VULNERABLE","expected":true' \
				'guest died in this case')" = 1
		check "$what: device memory: the 9 other methods recorded as not run after it" \
			test "$(rows "$json" "$n" '"verdict":"UNTESTABLE"' 'crashed this kernel')" = 9
		check "$what: device memory: no unexpected VULNERABLE" \
			no_rows "$json" "$n" '"verdict":"VULNERABLE","expected":false'
	fi
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
# A check script's directories: OUTDIR (from $1, made absolute), its own
# emptied work directory WORK=OUTDIR/$2 and its KTAP file TAP=OUTDIR/$2.tap;
# $3 names the script in the error.
check_dirs() {
	OUTDIR=$1
	mkdir -p "$OUTDIR" || { echo "$3: cannot create $OUTDIR" >&2; exit 2; }
	OUTDIR=$(cd "$OUTDIR" && pwd)
	WORK=$OUTDIR/$2
	rm -rf "$WORK"
	mkdir -p "$WORK"
	TAP=$OUTDIR/$2.tap
	: >"$TAP.body"
}

tap_finish() {
	{
		echo "TAP version 13"
		echo "1..$N"
		cat "$TAP.body"
	} >"$TAP"
	rm -f "$TAP.body"
}
