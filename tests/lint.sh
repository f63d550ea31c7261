#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Lints every script of the project with ShellCheck, as KTAP, one case per script.
set -euo pipefail

cd "$(dirname "$0")/.."
mapfile -t scripts < <({ echo run.sh; echo .ci/run; git ls-files '*.sh'; } | sort -u)

echo "TAP version 13"
echo "1..${#scripts[@]}"
n=0 fail=0
for s in "${scripts[@]}"; do
	n=$((n + 1))
	if [[ ! -f $s ]]; then
		echo "ok $n shellcheck $s # SKIP not present"
	elif out=$(shellcheck -x "$s" 2>&1); then
		echo "ok $n shellcheck $s"
	else
		echo "not ok $n shellcheck $s"
		while IFS= read -r line; do echo "# $line"; done <<<"$out" | head -n 20
		fail=1
	fi
done
exit "$fail"
