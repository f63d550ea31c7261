#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Proof that each race of pfnmap_race catches the bug it is for: in a kernel
# tree that carries the fixes (Debian's linux-source-7.2 unpacked, say), run
# the race cases of the fixes RUNS times on the tree as it is (one boot per
# run, all cases), then undo one fix at a time
# fix by editing the tree (sed, below), rebuild incrementally, run the case
# RUNS times again, and put the fix back. One table row per fix and side:
# how many runs answered VULNERABLE (a crash attributed to the case counts),
# SAFE, or UNTESTABLE, the incremental build's seconds and each run's.
#
#   tests/revert_races.sh [--runs N] [--duration S] [--base-config FILE]
#                         [--out DIR] [--fixes LIST] TREE
#
# The tree must be a kernel source tree; it is made a git repository when
# it is not one (so the build cache tells edited from restored sources) and
# every edit is undone with git checkout, also when the script is stopped.
# Not part of make check: a tree build takes an hour on two cores.
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=5 DURATION=10 BASE='' OUT='' FIXES=all TREE=''

usage() {
	sed -n '/^#   tests/,/^#  *\[--out/p' "$0" | sed 's/^# //' >&2
	echo "fixes: 9b25a6e3d243 ffef67b93aa3 47fa30118f02 (default all)" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--runs) [ $# -ge 2 ] || usage; RUNS=$2; shift ;;
	--duration) [ $# -ge 2 ] || usage; DURATION=$2; shift ;;
	--base-config) [ $# -ge 2 ] || usage; BASE=$2; shift ;;
	--out) [ $# -ge 2 ] || usage; OUT=$2; shift ;;
	--fixes) [ $# -ge 2 ] || usage; FIXES=$2; shift ;;
	-h | --help) usage ;;
	-*) echo "revert_races: unknown option $1" >&2; usage ;;
	*) [ -z "$TREE" ] || usage; TREE=$1 ;;
	esac
	shift
done
[ -n "$TREE" ] || usage
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "revert_races: --runs $RUNS: a count of 1 or more" >&2; exit 2; }
[[ $DURATION =~ ^[1-9][0-9]*$ ]] || { echo "revert_races: --duration $DURATION: whole seconds" >&2; exit 2; }
if [ ! -f "$TREE/Makefile" ] || [ ! -f "$TREE/mm/pagewalk.c" ]; then
	echo "revert_races: $TREE is not a kernel source tree (no Makefile, mm/pagewalk.c)" >&2
	exit 2
fi
[ -z "$BASE" ] || [ -r "$BASE" ] || { echo "revert_races: --base-config $BASE: no such file" >&2; exit 2; }
TREE=$(cd "$TREE" && pwd)
OUT=${OUT:-$TOP/build/out/revert-races-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# ---- the fixes: file, case, run.sh arguments, undo and its check ----

fix_file() {
	case $1 in
	9b25a6e3d243) echo mm/pagewalk.c ;;
	ffef67b93aa3) echo mm/memory.c ;;
	47fa30118f02) echo mm/huge_memory.c ;;
	esac
}

fix_case() {
	case $1 in
	9b25a6e3d243) echo vfio_race.pud.walk_refault ;;
	ffef67b93aa3) echo vfio_race.pud.follow_split ;;
	47fa30118f02) echo anon_race.thp.fork_migrate ;;
	esac
}

fix_args() {
	case $1 in
	9b25a6e3d243 | ffef67b93aa3) echo --devices vfio ;;
	47fa30118f02) echo --devices vgem --numa 2 ;;
	esac
}

# Undo fix $1 in the tree. The edits name as little of the source as they
# can: the condition, the call or the line each fix added.
fix_undo() {
	local f
	f=$TREE/$(fix_file "$1")
	case $1 in
	9b25a6e3d243)
		# walk_pmd_range() stops checking the PUD it descends from, and
		# walk_pud_range() checks only for an empty one, as before.
		sed -i -e 's/if (!pud_present(pudval)/if (0 \&\& (!pud_present(pudval)/' \
			-e 's/|| pud_leaf(pudval)) {/|| pud_leaf(pudval))) {/' \
			-e '/err = walk_pmd_range(pud, addr, next, walk);/i\		if (pud_none(*pud)) goto again;' "$f" ;;
	ffef67b93aa3)
		# follow_pfnmap_start() keeps the PUD/PMD it read before the lock.
		sed -i -e '/^int follow_pfnmap_start(/,/^}/{/^\t\tpud = pudp_get(pudp);$/d;/^\t\tpmd = pmdp_get(pmdp);$/d}' "$f" ;;
	47fa30118f02)
		# copy_huge_pmd() tests the special bit of entries that are not present.
		sed -i -e '/^int copy_huge_pmd(/,/^}/s/pmd_present(pmd) && pmd_special(pmd)/pmd_special(pmd)/' "$f" ;;
	esac
}

# How many times follow_pfnmap_start() in file $1 reads the PUD or PMD again
# under the lock it took (2 with ffef67b93aa3, 0 without).
relocked() {
	sed -n '/^int follow_pfnmap_start(/,/^}/p' "$1" | grep -cP '^\t\t(pud = pudp_get\(pudp\)|pmd = pmdp_get\(pmdp\));$' || true
}

# The undo took: what it removed is gone and what it added is there.
fix_undone() {
	local f
	f=$TREE/$(fix_file "$1")
	case $1 in
	9b25a6e3d243) grep -q 'if (0 && (!pud_present(pudval)' "$f" && grep -q 'pud_none(\*pud)) goto again;' "$f" ;;
	ffef67b93aa3) [ "$(relocked "$f")" = 0 ] ;;
	47fa30118f02) ! sed -n '/^int copy_huge_pmd(/,/^}/p' "$f" | grep -q 'pmd_present(pmd) && pmd_special(pmd)' ;;
	esac
}

# The fix is in the tree: what its undo edits is there.
fix_present() {
	local f
	f=$TREE/$(fix_file "$1")
	case $1 in
	9b25a6e3d243) grep -q 'if (!pud_present(pudval) || pud_leaf(pudval)) {' "$f" ;;
	ffef67b93aa3) [ "$(relocked "$f")" = 2 ] ;;
	47fa30118f02) sed -n '/^int copy_huge_pmd(/,/^}/p' "$f" | grep -q 'pmd_present(pmd) && pmd_special(pmd)' ;;
	esac
}

[ "$FIXES" != all ] || FIXES=9b25a6e3d243,ffef67b93aa3,47fa30118f02
IFS=, read -r -a fixes <<<"$FIXES"
for fx in "${fixes[@]}"; do
	[ -n "$(fix_file "$fx")" ] || { echo "revert_races: unknown fix $fx" >&2; usage; }
done

# ---- the tree as a git repository, restored on exit ----

if ! git -C "$TREE" rev-parse --verify -q HEAD >/dev/null 2>&1; then
	echo "revert_races: making $TREE a git repository (once; a minute or two)" >&2
	git -C "$TREE" init -q
	# Debian's source ignores its whole top level: add by force.
	git -C "$TREE" add -f -A .
	git -C "$TREE" -c user.name=hugepin -c user.email=hugepin@localhost commit -q -m "tree as unpacked"
fi
if [ -n "$(git -C "$TREE" status --porcelain --untracked-files=no)" ]; then
	echo "revert_races: $TREE has uncommitted changes; commit or undo them first" >&2
	exit 2
fi
restore() {
	local fx
	for fx in "${fixes[@]}"; do
		git -C "$TREE" checkout -q -- "$(fix_file "$fx")" || true
	done
}
trap restore EXIT
trap 'exit 130' INT TERM

# ---- runs ----

# verdict_of REPORT CASE: the case's verdict in a run's report.json, or
# "none" when it has no record (the run did not get that far).
verdict_of() {
	local v
	v=$(grep -F '"type":"result"' "$1" 2>/dev/null | grep -F '"test":"pfnmap_race"' |
		grep -F "\"name\":\"$2\"" | grep -o '"verdict":"[A-Z]*"' | head -n1 | cut -d'"' -f4)
	echo "${v:-none}"
}

# One boot with every case the races need: the BAR through vfio-pci, two
# NUMA nodes, four CPUs (follow_split's window needs three threads on CPUs
# at once: the lock holder, the zapper queued behind it, the follower). run_once DIR CASES; sets BUILD_S (0 when the build was reused).
run_once() {
	local d=$1 cases=$2
	# The program and its cases: case globs alone would run every program
	# that cannot filter its cases.
	"$TOP/run.sh" --kernel-tree "$TREE" ${BASE:+--base-config "$BASE"} --tests "pfnmap_race,$cases" \
		--devices vfio --numa 2 --smp 4 --timeout 150 --duration "$DURATION" --out "$d" >"$d.out" 2>"$d.err" || true
	BUILD_S=$(grep -o 'kbuild: built in [0-9]* s' "$d.err" | grep -o '[0-9]*' || echo 0)
}

TABLE=$OUT/table.txt
printf '%-14s %-28s %-9s %5s %5s %6s %5s %8s  %s\n' FIX CASE TREE VULN SAFE UNTEST NONE BUILD_S RUN_S |
	tee "$TABLE"

# side LABEL FIX...: RUNS boots of the tree as it is now, each running the
# cases of the fixes given; one table row per fix.
side() {
	local label=$1 i d t0 fx c v cases='' bs='' times=''
	shift
	local -A vuln=() safe=() untest=() none=()
	for fx in "$@"; do
		cases+="${cases:+,}$(fix_case "$fx")"
	done
	for ((i = 1; i <= RUNS; i++)); do
		d=$OUT/$label-$i
		t0=$(date +%s)
		run_once "$d" "$cases"
		# The first boot of a side builds what the edit changed.
		[ -n "$bs" ] || bs=$BUILD_S
		times+="${times:+,}$(($(date +%s) - t0))"
		for fx in "$@"; do
			c=$(fix_case "$fx")
			v=$(verdict_of "$d/report.json" "$c")
			case $v in
			VULNERABLE) vuln[$fx]=$((${vuln[$fx]:-0} + 1)) ;;
			SAFE) safe[$fx]=$((${safe[$fx]:-0} + 1)) ;;
			UNTESTABLE) untest[$fx]=$((${untest[$fx]:-0} + 1)) ;;
			*) none[$fx]=$((${none[$fx]:-0} + 1)) ;;
			esac
			echo "# $label run $i $c: $v: $(grep -F "\"name\":\"$c\"" "$d/report.json" 2>/dev/null |
				grep -o '"evidence":"[^"]*' | head -n1 | cut -c13-300)" | tee -a "$OUT/runs.txt" >&2
		done
	done
	for fx in "$@"; do
		printf '%-14s %-28s %-9s %5s %5s %6s %5s %8s  %s\n' "$fx" "$(fix_case "$fx")" "$label" \
			"${vuln[$fx]:-0}" "${safe[$fx]:-0}" "${untest[$fx]:-0}" "${none[$fx]:-0}" "$bs" "$times" |
			tee -a "$TABLE"
	done
}

present=()
for fx in "${fixes[@]}"; do
	if fix_present "$fx"; then
		present+=("$fx")
	else
		echo "# $fx: not in $TREE (what its undo edits is missing); skipped" | tee -a "$TABLE"
	fi
done
[ ${#present[@]} -gt 0 ] || { echo "revert_races: none of the fixes is in $TREE" >&2; exit 1; }
side fixed "${present[@]}"
for fx in "${present[@]}"; do
	fix_undo "$fx"
	if ! fix_undone "$fx"; then
		echo "# $fx: the undo did not apply to $(fix_file "$fx"); skipped" | tee -a "$TABLE"
	else
		side "reverted-$fx" "$fx"
	fi
	git -C "$TREE" checkout -q -- "$(fix_file "$fx")"
done
echo "table: $TABLE" >&2
