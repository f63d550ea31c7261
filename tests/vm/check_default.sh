#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The VM part of `make check`: runs ./run.sh on Debian's current kernel and
# checks the verdicts against expected-6.1.txt and the reference module's
# known 6.1 behaviour, then checks that a guest panic and a guest hang are
# each blamed on the case that was running while the programs after it still
# run on a fresh boot, that a run whose cases form no huge pfn mapping
# (--host here, the crash runs) is INCONCLUSIVE with exit 125, that
# --bisect-on takes case globs and decides only through a case whose huge
# mapping formed, and that bad kernels and options are refused with the
# documented exit codes (the fixed side, Debian's 6.12 and 7.x, is
# check_debian.sh's), and that every detector's control fired in the default
# run (the controls program runs next to last in it, before hugepfn_ref).
# `check_default.sh OUTDIR --controls` runs only the controls program and
# its checks. Writes KTAP to OUTDIR/vm.tap (and the hp_report
# expectation results to OUTDIR/vm-expect.tap) for tests/summary.sh.
# shellcheck disable=SC2317 # the predicates below run through check()
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/vm/kernel_fixtures.sh
. "$TOP/tests/vm/kernel_fixtures.sh"
# shellcheck source=tests/vm/lib.sh
. "$TOP/tests/vm/lib.sh"

[ $# -eq 1 ] || { [ $# -eq 2 ] && [ "$2" = --controls ]; } ||
	{ echo "usage: $0 OUTDIR [--controls]" >&2; exit 2; }
check_dirs "$1" vm check_default

# The summary names no huge pfn mapping and says why, on one line.
inconclusive() {
	grep -q '^Huge pfn mappings formed: none\.$' "$1.out" &&
		grep -q '^INCONCLUSIVE: no case formed a huge pfn mapping: vmwgfx.*; hugepin_ref.*\.$' "$1.out"
}

# hp_report over a finished run's records again, deciding by --bisect-on $2.
bisect_on_rc() {
	local d=$1 f rc=0
	local -a recs=()
	for f in "$d"/boot-*/records.jsonl; do
		recs+=(--records "$f")
	done
	"$TOP/build/bin/hp_report" "${recs[@]}" --console "$d/console.log" --bisect-on "$2" \
		>"$WORK/bisect-on.out" 2>&1 || rc=$?
	echo "# hp_report --bisect-on '$2' -> exit $rc: $(grep -E '^(INCONCLUSIVE|Exit code)' "$WORK/bisect-on.out" | tr '\n' ' ')" >>"$TAP.body"
	[ "$rc" = "$3" ]
}

check_default_run() {
	local d=$WORK/default json
	local t0 t1
	t0=$(date +%s)
	runsh "$d" --out "$d"
	t1=$(date +%s)
	json=$d/report.json
	check "default run exits 0 (nothing unexpected VULNERABLE)" is_rc 0
	check "default run wrote report.json" test -s "$json"
	check "default run: no kselftest program reports not ok" no_ktap_failures "$d"
	[ -s "$json" ] || return 0
	echo "# default run: $((t1 - t0)) s; $(grep -h 'timing:' "$d.err" | tail -n1)" | tee -a "$TAP.body"
	if matches_expected "$d" "$TOP/tests/vm/expected-6.1.txt"; then
		ok "verdicts match tests/vm/expected-6.1.txt"
	else
		not_ok "verdicts match tests/vm/expected-6.1.txt"
	fi
	cp "$d/expect/expect.tap" "$OUTDIR/vm-expect.tap" 2>/dev/null ||
		printf 'TAP version 13\n1..1\nnot ok 1 hp_report --expect wrote no expect.tap\n' >"$OUTDIR/vm-expect.tap"
	check "hugepin_ref: O_DIRECT read at the block start is VULNERABLE (expected: no PMD special bit)" \
		has_rows "$json" '"device":"hugepin_ref"' '"method":"odirect_read"' '"verdict":"VULNERABLE","expected":true'
	check "hugepin_ref: vmsplice at the block start is VULNERABLE (expected)" \
		has_rows "$json" '"device":"hugepin_ref"' '"method":"vmsplice"' '"verdict":"VULNERABLE","expected":true'
	check "hugepin_ref: no unexpected VULNERABLE" \
		no_rows "$json" '"device":"hugepin_ref"' '"verdict":"VULNERABLE","expected":false'
	check "hugepin_ref: pte_only mappings are SAFE" \
		has_rows "$json" '"device":"hugepin_ref"' '"level":"pte"' '"verdict":"SAFE"'
	check "hugepin_ref: no pte_only mapping is VULNERABLE" \
		no_rows "$json" '"device":"hugepin_ref"' '"level":"pte"' '"verdict":"VULNERABLE"'
	check "default run names its coverage: hugepin_ref PMD" \
		grep -q '^Huge pfn mappings formed: hugepin_ref PMD ([0-9]* records)' "$d.out"
	check "report.json carries the coverage" grep -qF '"coverage":[{"path":"hugepin_ref PMD"' "$json"
	check "--bisect-on 'hugepfn_map.noncompound_pmd.*' exits 1 (VULNERABLE, expected or not)" \
		bisect_on_rc "$d" 'hugepfn_map.noncompound_pmd.*' 1
	check "--bisect-on '*pte_only*' exits 125 (its huge mapping never formed)" \
		bisect_on_rc "$d" '*pte_only*' 125
	check "--bisect-on noncompound exits 125 (globs, no substring match)" \
		bisect_on_rc "$d" noncompound 125
	check_pfnmap_vma "$json" "default run" plain
	check_devmem "$json" "default run" plain
	# The device-memory pin killed the guest in the last program: what that
	# program ran of its later cases before the pin stands for the next boot.
	check "default run: one boot; hugepfn_ref's cases after its crash from its contingency" \
		sh -c "test -f '$d/boot-2/contingency' && ! test -e '$d/boot-2/qemu.log' && ! test -d '$d/boot-3'"
	check "default run: the contingency unloaded the module in the kernel the damage was done to" \
		grep -q '^ok [0-9]* refmod_unload.unload_after_kept_pages' "$d/boot-2/ktap.txt"
	check_controls "$d" "default run"
	KERNEL=$(sed -n 's/.*kernel: [^ ]* (\(.*\))$/\1/p' "$d.err" | head -n1)
}

# The controls alone: no huge-mapping case runs, so the run is INCONCLUSIVE
# (exit 125), and every control must still fire.
check_controls_only() {
	local d=$WORK/controls
	runsh "$d" --tests detector_controls --out "$d"
	check "controls alone: run exits 125 (no case, only controls)" is_rc 125
	check_controls "$d" "controls alone"
}

if [ "${2:-}" = --controls ]; then
	check_controls_only
	tap_finish
	exit "$FAILED"
fi

# A crash hook runs first, then pin_vmsplice must still run on a new boot.
check_injection() {
	local kind=$1 verdict_word=$2 d=$WORK/inject-$1 json first=drm_bo.bochs_2m.splice_bo
	shift 2
	runsh "$d" --no-build --tests pin_vmsplice --out "$d" "--inject-$kind" "$@"
	json=$d/report.json
	check "inject-$kind: run finished with a report" test -s "$json"
	[ -s "$json" ] || return 0
	check "inject-$kind: guest booted twice" test -d "$d/boot-2"
	check "inject-$kind: crash blamed on the first case, $first" \
		has_rows "$json" '"test":"pin_vmsplice"' "\"name\":\"$first\"" '"verdict":"UNTESTABLE"' "$verdict_word"
	check "inject-$kind: the next boot resumed the program after that case" \
		has_rows "$d/boot-2/records.jsonl" '"name":"drm_bo.bochs_4m.splice_bo"'
	check "inject-$kind: the crashed case was not run again" \
		no_rows "$d/boot-2/records.jsonl" "\"name\":\"$first\""
	check "inject-$kind: the program's last cases ran" \
		has_rows "$json" '"test":"pin_vmsplice"' '"device":"anon"'
	check "inject-$kind: nothing listed as NOT RUN" grep -qF '"not_run":[]' "$json"
	# 6.1's TTM and GEM shmem mappings form no huge entry, and the reference
	# module's program is not selected.
	check "inject-$kind: no huge pfn mapping among its cases: exit 125" is_rc 125
	check "inject-$kind: summary says INCONCLUSIVE and why" inconclusive "$d"
}

# A device whose every case kills the guest costs a bounded number of boots:
# after two deaths in pin_odirect's bochs cases, its other bochs cases are
# not run (UNTESTABLE, saying why) and the report lists them as NOT RUN.
check_crash_bound() {
	local d=$WORK/crash-bound json
	runsh "$d" --no-build --tests pin_odirect --devices bochs --out "$d" --inject-panic-device bochs
	json=$d/report.json
	check "crash bound: run finished with a report" test -s "$json"
	[ -s "$json" ] || return 0
	check "crash bound: two deaths, then one boot that finished" \
		sh -c "test -d '$d/boot-3' && ! test -d '$d/boot-4'"
	check "crash bound: the other bochs cases say why they did not run" \
		has_rows "$json" '"device":"bochs"' '"verdict":"UNTESTABLE"' 'not run: the guest died in 2'
	check "crash bound: NOT RUN names the program and device" grep -qF '"pin_odirect:@bochs"' "$json"
	check "crash bound: the program's other targets ran" \
		has_rows "$json" '"test":"pin_odirect"' '"device":"anon"' '"verdict":"SAFE"'
}

# SIGINT to run.sh's process group while the guest runs cases, as a terminal
# sends it: exit 130 within 5 s, QEMU gone, nothing blamed on a case, and a
# partial report marked INTERRUPTED with the programs that never started.
check_interrupt() {
	local d=$WORK/interrupt pid t0 t1 rc=''
	rm -rf "$d"
	# A script's background job starts with SIGINT ignored; a terminal's does not.
	setsid env --default-signal=INT "$TOP/run.sh" --no-build --tests pin_vmsplice,pin_odirect --out "$d" \
		>"$d.out" 2>"$d.err" &
	pid=$!
	for _ in $(seq 1 600); do
		[ -f "$d/boot-1/rec.port" ] && [ "$(grep -c '"type":"start"' "$d/boot-1/rec.port")" -ge 3 ] && break
		sleep 0.5
	done
	t0=$(date +%s%N)
	kill -INT -- "-$pid" 2>/dev/null || true
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	t1=$(date +%s%N)
	wait "$pid" || rc=$?
	echo "# run.sh interrupted after its third case: exit ${rc:-0} after $(((t1 - t0) / 1000000)) ms" >>"$TAP.body"
	check "SIGINT: run.sh exits 130" test "${rc:-0}" = 130
	check "SIGINT: exit within 5 s" test $(((t1 - t0) / 1000000)) -lt 5000
	check "SIGINT: no QEMU left running" sh -c "! pgrep -f '[q]emu-system.*$d/' >/dev/null"
	check "SIGINT: nothing blamed on a case" sh -c "! grep -q 'guest died\|guest hung' '$d.err'"
	check "SIGINT: report marked INTERRUPTED" grep -q '^- INTERRUPTED by SIGINT' "$d/report.md"
	check "SIGINT: the program that never started is NOT RUN" grep -qF '"not_run":["pin_vmsplice"]' "$d/report.json"
	check "SIGINT: no scratch disk or initrd left" sh -c "! ls '$d'/initrd*.cpio '$d'/boot-*/scratch.img 2>/dev/null"
}

# --host on this machine (no DRM devices, no modules): the anonymous-THP
# controls run and report, but no case can form a huge pfn mapping, so the
# run proves nothing either way: INCONCLUSIVE, exit 125.
check_host_mode() {
	local d=$WORK/host
	runsh "$d" --no-build --host --tests pin_vmsplice --out "$d"
	check "--host: run exits 125 (no huge pfn mapping formed)" is_rc 125
	check "--host: summary says INCONCLUSIVE and why" inconclusive "$d"
	check "--host: the anonymous THP control is SAFE" \
		has_rows "$d/report.json" '"device":"anon"' '"verdict":"SAFE"'
}

check_bad_input() {
	local bad=$WORK/bad
	mkdir -p "$bad"
	runsh "$bad/missing" --no-build --kernel /nonexistent
	check "--kernel /nonexistent exits 2" is_rc 2
	runsh "$bad/missing-bisect" --no-build --bisect --kernel /nonexistent
	check "--bisect --kernel /nonexistent exits 125" is_rc 125
	runsh "$bad/unknown" --no-such-option
	check "unknown option exits 2" is_rc 2
	runsh "$bad/noarg" --timeout
	check "option without its value exits 2" is_rc 2
	runsh "$bad/badmem" --mem lots
	check "--mem lots exits 2" is_rc 2
	runsh "$bad/nomatch" --no-build --tests nomatch_xyz
	check "--tests that selects nothing exits 2" is_rc 2
	check "--tests that selects nothing names the programs, before any boot" \
		sh -c "grep -q 'names no program (pin_odirect' '$bad/nomatch.err' && ! grep -q booting '$bad/nomatch.err'"
	fixture_headerless_image "$bad/zero.img"
	runsh "$bad/zero" --no-build --kernel "$bad/zero.img"
	check "kernel without a boot header exits 2" is_rc 2
	if [ -n "${KERNEL:-}" ] && [ -f "$KERNEL" ]; then
		fixture_truncated_bzimage "$KERNEL" "$bad/truncated.img"
		runsh "$bad/truncated" --no-build --kernel "$bad/truncated.img"
		check "truncated bzImage exits 2" is_rc 2
		check "truncated bzImage: one-line error naming it" grep -q 'truncated' "$bad/truncated.err"
		fixture_bad_version_pointer "$KERNEL" "$bad/badptr.img"
		runsh "$bad/badptr" --no-build --kernel "$bad/badptr.img"
		check "bzImage with a bad version pointer exits 2" is_rc 2
	else
		N=$((N + 1))
		echo "ok $N truncated bzImage exits 2 # SKIP default run named no kernel image" | tee -a "$TAP.body"
	fi
}

KERNEL=
check_default_run
check_injection panic 'panic'
check_injection hang 'hang' --timeout 60
check_crash_bound
check_interrupt
check_host_mode
check_bad_input
tap_finish
exit "$FAILED"
