#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Summarize a check directory: the KTAP files written by `make unit` and by
# the VM check (DIR/*.tap) and the exit codes beside them (DIR/*.rc). Prints
# every "not ok" line, any program that stopped before its plan was done,
# any nonzero exit code, and ends with one line "<N> passed, <M> failed,
# <K> skipped". Top-level result lines are counted; "# SKIP" marks a skip,
# "# XFAIL"/"# TODO" an expected failure (counted as passed).
# Exit: 0 all good, 1 a failure or nonzero rc, 2 usage error.
set -euo pipefail

usage() {
	echo "usage: $0 DIR   (DIR holds *.tap and *.rc files from make unit / make check)" >&2
	exit 2
}

# Count one KTAP file; prints "passed failed skipped" and the failing lines on fd 3.
count_file() {
	local file=$1 line plan=-1 results=0 passed=0 failed=0 skipped=0 name

	name=$(basename "$file")

	while IFS= read -r line || [[ -n $line ]]; do
		line=${line%$'\r'}
		if [[ $line =~ ^1\.\.([0-9]+) ]]; then
			plan=${BASH_REMATCH[1]}
			continue
		fi
		[[ $line =~ ^(not\ )?ok([[:space:]]|$) ]] || continue
		results=$((results + 1))
		shopt -s nocasematch
		if [[ $line =~ \#[[:space:]]*SKIP ]]; then
			skipped=$((skipped + 1))
		elif [[ $line =~ ^ok ]]; then
			passed=$((passed + 1))
		elif [[ $line =~ \#[[:space:]]*(XFAIL|TODO) ]]; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
			echo "$name: $line" >&3
		fi
		shopt -u nocasematch
	done < "$file"
	if ((plan >= 0 && results < plan)); then
		failed=$((failed + 1))
		echo "not ok $name: planned $plan results, saw $results (program stopped early)" >&3
	fi
	if ((plan < 0 && results == 0)); then
		failed=$((failed + 1))
		echo "not ok $name: no KTAP results at all" >&3
	fi
	echo "$passed $failed $skipped"
}

main() {
	local dir file rc p f s passed=0 failed=0 skipped=0 bad_rc=0
	local -a taps rcs

	[[ $# -eq 1 ]] || usage
	dir=$1
	[[ -d $dir ]] || { echo "error: $dir is not a directory: run make unit (or make check) first" >&2; exit 2; }
	shopt -s nullglob
	taps=("$dir"/*.tap)
	rcs=("$dir"/*.rc)
	shopt -u nullglob
	if ((${#taps[@]} == 0)); then
		echo "error: no .tap files in $dir: run make unit (or make check) first" >&2
		exit 2
	fi
	exec 3>&1
	for file in "${taps[@]}"; do
		read -r p f s < <(count_file "$file")
		passed=$((passed + p))
		failed=$((failed + f))
		skipped=$((skipped + s))
	done
	for file in "${rcs[@]}"; do
		rc=$(tr -d '[:space:]' < "$file")
		if [[ $rc != 0 ]]; then
			echo "nonzero exit: $(basename "$file" .rc) exited ${rc:-(empty)}"
			bad_rc=1
		fi
	done
	echo "$passed passed, $failed failed, $skipped skipped"
	if ((failed > 0 || bad_rc)); then
		exit 1
	fi
}

main "$@"
