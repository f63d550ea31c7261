#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The host part of `make check`: drm_repro and gup_stress stop cleanly on
# SIGINT, SIGTERM and SIGHUP. Each case starts a program from build/bin in a
# session of its own, on memory that is safe to race on the host (drm_repro
# --device anon or shmem, gup_stress --mem anon without the global compaction
# mutator, stress-ng as a light child when installed), waits for its first
# progress line, sends the signal, and checks: exit 128 + signal within
# EXIT_DEADLINE_S seconds, nothing of its session left, output marked
# INTERRUPTED with the partial summary, and no method SAFE without its
# minimum work. One case starts with SIGHUP ignored, as nohup does, and checks
# that it stays ignored. Writes KTAP to OUTDIR/interrupt.tap for tests/summary.sh.
# Exit: 0 all passed, 1 a check failed, 2 usage or missing build.
# shellcheck disable=SC2317 # the predicates below run through check()
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=$TOP/build/bin
readonly EXIT_DEADLINE_S=5
# Setup before the first progress line (buffers, probes) on a busy machine.
readonly START_CAP_S=60
readonly POLL_S=0.05
# Long enough that only the signal can end a run.
readonly LONG_RUN=600
# Every gup_stress mutator but compact, which compacts all of the host's memory.
readonly HOST_MUTATORS=remap,mremap,dontneed,free,cold,pageout,mprotect,fork,split,collapse

usage() {
	echo "usage: $0 OUTDIR   (writes OUTDIR/interrupt.tap; needs make all first)" >&2
	exit 2
}

N=0
FAILED=0
BODY=

ok() {
	N=$((N + 1))
	BODY+="ok $N $*"$'\n'
	echo "ok $N $*"
}

not_ok() {
	N=$((N + 1))
	FAILED=1
	BODY+="not ok $N $*"$'\n'
	echo "not ok $N $*"
}

note() {
	BODY+="# $*"$'\n'
	echo "# $*"
}

# check NAME COMMAND...: one KTAP line for the command's success.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

now_us() {
	echo "${EPOCHREALTIME/./}"
}

# State letter of a process (R, S, Z, ...), or nothing when it is gone.
proc_state() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	stat=${stat##*) }
	echo "${stat%% *}"
}

alive() {
	local s
	s=$(proc_state "$1")
	[ -n "$s" ] && [ "$s" != Z ]
}

# Wait until FILE has COUNT lines matching REGEX while PID runs; false on a cap or an early exit.
wait_for_lines() {
	local pid=$1 file=$2 regex=$3 count=$4 end
	end=$(($(now_us) + START_CAP_S * 1000000))
	until [ "$(grep -Ec -- "$regex" "$file")" -ge "$count" ]; do
		alive "$pid" || return 1
		[ "$(now_us)" -lt "$end" ] || return 1
		sleep "$POLL_S"
	done
}

# Anything left of the session the program led once it exited.
session_left() {
	pgrep -s "$1" || true
}

# A program that would not stop, and whatever it started, by process id.
kill_session() {
	local p
	for p in $(session_left "$1"); do
		kill -KILL "$p" 2>/dev/null || true
	done
}

# No "verdict":"SAFE" record of drm_repro whose evidence shows no pin attempt,
# and none at all when the race had no eviction cycle.
drm_repro_safe_has_work() {
	local out=$1 line
	while IFS= read -r line; do
		[[ $line =~ \;\ ([0-9]+)\ pins, ]] || return 1
		[ "${BASH_REMATCH[1]}" -gt 0 ] || return 1
	done < <(grep -F '"type":"result"' "$out" | grep -F '"verdict":"SAFE"' || true)
	if grep -F '"type":"result"' "$out" | grep -qF '"verdict":"SAFE"' &&
		grep -qF '"evict_cycles":0,' "$out"; then
		return 1
	fi
}

# No gup_stress method SAFE with nothing taken and nothing refused by the kernel.
gup_stress_safe_has_work() {
	if grep -oE '"ok":[0-9]+,[^{}]*"errors":\{[^}]*\},"verdict":"SAFE"' "$1" |
		grep -E '^"ok":0,' | grep -qF '"errors":{}'; then
		return 1
	fi
}

# A racer stuck in the kernel is left behind detached, and the program says so.
all_threads_returned() {
	! grep -q "did not return" "$@"
}

# run_case NAME SIGNAL STREAM READY_REGEX DONE_REGEX SAFE_CHECK IGNORED -- COMMAND...
# STREAM (out or err) is where READY_REGEX shows the program is racing, a
# line a second; DONE_REGEX must be in its stdout afterwards; SAFE_CHECK is a
# predicate on stdout, or "-"; IGNORED, unless "-", is a signal the program
# starts with ignored and is sent first: it must race on past it. Bash starts
# background commands with SIGINT ignored, so env resets it.
run_case() {
	local name=$1 sig=$2 stream=$3 ready=$4 done_re=$5 safe=$6 ignored=$7
	shift 8
	local out=$WORK/$name.out err=$WORK/$name.err pid rc=0 t0 t1 left want children lines
	want=$((128 + $(kill -l "${sig#SIG}")))
	if [ "$ignored" = - ]; then
		setsid env --default-signal=INT "$@" >"$out" 2>"$err" &
	else
		(
			trap '' "${ignored#SIG}"
			exec setsid env --default-signal=INT "$@"
		) >"$out" 2>"$err" &
	fi
	pid=$!
	if ! wait_for_lines "$pid" "$WORK/$name.$stream" "$ready" 1; then
		not_ok "$name: started racing within $START_CAP_S s"
		while IFS= read -r lines; do
			note "$lines"
		done < <(tail -n 5 "$err")
		kill_session "$pid"
		wait "$pid" 2>/dev/null || true
		return 0
	fi
	children=$(pgrep -P "$pid" -d, || true)
	note "$name: pid $pid, $(find "/proc/$pid/task" -mindepth 1 -maxdepth 1 | wc -l) threads, children: ${children:-none}"
	if [ "$ignored" != - ]; then
		lines=$(grep -Ec -- "$ready" "$WORK/$name.$stream" || true)
		kill -s "${ignored#SIG}" "$pid"
		check "$name: races on past $ignored, ignored when it started" \
			wait_for_lines "$pid" "$WORK/$name.$stream" "$ready" $((lines + 1))
	fi
	t0=$(now_us)
	kill -s "${sig#SIG}" "$pid"
	while alive "$pid" && [ $(($(now_us) - t0)) -lt $((EXIT_DEADLINE_S * 1000000)) ]; do
		sleep "$POLL_S"
	done
	t1=$(now_us)
	if alive "$pid"; then
		not_ok "$name: exits within $EXIT_DEADLINE_S s of $sig"
		kill_session "$pid"
	else
		ok "$name: exits within $EXIT_DEADLINE_S s of $sig ($(((t1 - t0) / 1000)) ms)"
	fi
	wait "$pid" || rc=$?
	check "$name: exit code $want after $sig (got $rc)" test "$rc" -eq "$want"
	left=$(session_left "$pid")
	check "$name: no process of its session left${left:+ (left: ${left//$'\n'/ })}" test -z "$left"
	[ -z "$left" ] || kill_session "$pid"
	check "$name: every racer thread returned" all_threads_returned "$out" "$err"
	check "$name: output marked INTERRUPTED by $sig with the partial summary" grep -Eq -- "$done_re" "$out"
	if [ "$safe" != - ]; then
		check "$name: no method SAFE without its minimum work" "$safe" "$out"
	fi
}

main() {
	local p stress
	[ $# -eq 1 ] || usage
	for p in drm_repro gup_stress; do
		[ -x "$BIN/$p" ] || { echo "check_interrupt: $BIN/$p missing: run make all first" >&2; exit 2; }
	done
	mkdir -p "$1" || { echo "check_interrupt: cannot create $1" >&2; exit 2; }
	OUTDIR=$(cd "$1" && pwd)
	WORK=$OUTDIR/interrupt
	rm -rf "$WORK"
	mkdir -p "$WORK"
	stress=(--no-stress-ng)
	if command -v stress-ng >/dev/null; then
		stress=(--stress-ng "--cpu 1 --cpu-load 2")
	fi

	run_case drm_repro-anon-int SIGINT err '^drm_repro: +[0-9.]+s ' \
		'^verdict: none, INTERRUPTED by SIGINT' - - -- \
		"$BIN/drm_repro" --device anon --duration "$LONG_RUN"
	run_case drm_repro-shmem-term-json SIGTERM err '^drm_repro: +[0-9.]+s ' \
		'^\{"type":"summary".*"interrupted":"SIGTERM","exit":143,' drm_repro_safe_has_work - -- \
		"$BIN/drm_repro" --device shmem --duration "$LONG_RUN" --json
	run_case drm_repro-nohup-term SIGTERM err '^drm_repro: +[0-9.]+s ' \
		'^verdict: none, INTERRUPTED by SIGTERM' - SIGHUP -- \
		"$BIN/drm_repro" --device anon --duration "$LONG_RUN"
	run_case drm_repro-bench-hup SIGHUP out '^[0-9]+ ' \
		'^bench: INTERRUPTED by SIGHUP during run' - - -- \
		"$BIN/drm_repro" --device anon --bench --methods odirect_read,vmsplice
	run_case gup_stress-anon-int SIGINT err '^gup_stress: anon [0-9]+/' \
		'^result: none, INTERRUPTED by SIGINT' - - -- \
		"$BIN/gup_stress" --mem anon --duration "$LONG_RUN" --mutators "$HOST_MUTATORS" "${stress[@]}"
	run_case gup_stress-anon-term-json SIGTERM err '^gup_stress: anon [0-9]+/' \
		'"interrupted":"SIGTERM",.*"result":"interrupted"' gup_stress_safe_has_work - -- \
		"$BIN/gup_stress" --mem anon --duration "$LONG_RUN" --mutators "$HOST_MUTATORS" --no-stress-ng --json

	{
		echo "TAP version 13"
		echo "1..$N"
		printf '%s' "$BODY"
	} >"$OUTDIR/interrupt.tap"
	exit "$FAILED"
}

main "$@"
