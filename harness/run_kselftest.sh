#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# hugepin: run the installed kselftest programs on this kernel, as the
# kselftest runner does: one KTAP line per program, its own output indented
# as '#' lines, the timeout from the installed `settings` file. Installed by
# `make install` next to the programs. drm_repro and gup_stress are helpers
# the selftests start themselves (TEST_GEN_PROGS_EXTENDED), so they are not
# run on their own, and neither is the host tool hp_report.
set -euo pipefail

DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HELPERS=" drm_repro gup_stress hp_report run_kselftest.sh "
readonly KSFT_SKIP=4
readonly DEFAULT_TIMEOUT=45

usage() {
	echo "usage: $0 [-l] [-t PROGRAM]...   (-l lists, -t runs only PROGRAM)"
}

programs() {
	local f
	for f in "$DIR"/*; do
		if [ ! -f "$f" ] || [ ! -x "$f" ]; then
			continue
		fi
		[[ $HELPERS == *" $(basename "$f") "* ]] && continue
		basename "$f"
	done
}

main() {
	local list=0 timeout=$DEFAULT_TIMEOUT p n=0 rc fail=0 rcfile
	local -a only=() progs=()
	while getopts "lt:h" opt; do
		case $opt in
		l) list=1 ;;
		t) only+=("$OPTARG") ;;
		h) usage; exit 0 ;;
		*) usage >&2; exit 2 ;;
		esac
	done
	shift $((OPTIND - 1))
	[ $# -eq 0 ] || { echo "run_kselftest.sh: unexpected argument '$1'" >&2; usage >&2; exit 2; }
	if [ -f "$DIR/settings" ]; then
		timeout=$(sed -n 's/^timeout=\([0-9][0-9]*\)$/\1/p' "$DIR/settings")
		timeout=${timeout:-$DEFAULT_TIMEOUT}
	fi
	mapfile -t progs < <(programs)
	if [ ${#only[@]} -gt 0 ]; then
		for p in "${only[@]}"; do
			[ -x "$DIR/$p" ] || { echo "run_kselftest.sh: no program $p in $DIR (see -l)" >&2; exit 2; }
		done
		progs=("${only[@]}")
	fi
	[ ${#progs[@]} -gt 0 ] || { echo "run_kselftest.sh: no test programs in $DIR" >&2; exit 2; }
	if [ "$list" = 1 ]; then
		printf '%s\n' "${progs[@]}"
		exit 0
	fi
	rcfile=$(mktemp)
	trap 'rm -f "$rcfile"' EXIT
	echo "TAP version 13"
	echo "1..${#progs[@]}"
	for p in "${progs[@]}"; do
		n=$((n + 1))
		echo "# selftests: hugepin: $p"
		# The program's status travels through a file: it runs on the left
		# of the pipe that indents its output.
		{
			rc=0
			(cd "$DIR" && timeout --foreground "$timeout" "./$p" 2>&1) || rc=$?
			echo "$rc" >"$rcfile"
		} | sed 's/^/# /'
		rc=$(cat "$rcfile")
		case $rc in
		0) echo "ok $n selftests: hugepin: $p" ;;
		"$KSFT_SKIP") echo "ok $n selftests: hugepin: $p # SKIP" ;;
		124) echo "not ok $n selftests: hugepin: $p # TIMEOUT $timeout seconds"; fail=1 ;;
		*) echo "not ok $n selftests: hugepin: $p # exit=$rc"; fail=1 ;;
		esac
	done
	exit "$fail"
}

main "$@"
