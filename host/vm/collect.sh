# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# hugepin VM runner: what a boot left behind. The init script brackets each
# program with "# hugepin: begin/end NAME" lines on the KTAP port and ends
# with "hugepin: done", so the host knows which programs ran, which one was
# running when the guest died, and which still have to run on a fresh boot.
# Sourced by run.sh.

# Programs a boot started, in order.
boot_started() {
	sed -n "s/^$HP_MARK_BEGIN \\([^ ]*\\).*/\\1/p" "$1/ktap.txt" 2>/dev/null
}

# The program that began but never ended: the guest died or hung in it.
boot_crashed_in() {
	local last
	last=$(boot_started "$1" | tail -n1)
	[ -n "$last" ] || return 0
	grep -q "^$HP_MARK_END $last " "$1/ktap.txt" || printf '%s\n' "$last"
}

boot_completed() {
	grep -qxF "$HP_MARK_DONE" "$1/ktap.txt" 2>/dev/null
}

# "test:name" of every case program $2 started in boot $1, from the start
# records it wrote, as the report tool's record parser reads them.
boot_started_cases() {
	"$HP_TOP/build/bin/hp_report" starts "$1/records.jsonl" "$2"
}

# The case program $2 started last in boot $1 (where it died), or nothing.
boot_last_case() {
	boot_started_cases "$1" "$2" | tail -n1 | cut -d: -f2-
}

# The device of the case program $2 started last in boot $1, or nothing.
boot_last_device() {
	"$HP_TOP/build/bin/hp_report" starts "$1/records.jsonl" "$2" --device | tail -n1 | cut -d' ' -f2
}

# Programs of the list $2.. that boot $1 never started.
boot_remaining() {
	local dir=$1 p
	shift
	for p in "$@"; do
		boot_started "$dir" | grep -qx "$p" || printf '%s\n' "$p"
	done
}

# The contingency program $2 wrote in boot $1 before case $3 (the last one
# for that case, complete), as the boot $4 that resumes after the case:
# its ktap.txt between the program's begin and end lines (and the done line
# when $5 is 1: no program after it), its records.jsonl. False, and $4 not
# made, when there is none; "void: why" on stdout when it was not handed over.
boot_contingency() {
	local dir=$1 prog=$2 at=$3 to=$4 last=$5 rc
	[ -s "$dir/cont.port" ] || return 1
	mkdir -p "$to"
	rc=$(awk -v head="$HP_MARK_CONT $prog:$at" -v void="$HP_MARK_CONT_VOID $prog:$at: " \
		-v recs="$HP_MARK_CONT_RECORDS" -v end="$HP_MARK_CONT_END rc=" -v cont="$HP_MARK_CONT " \
		-v ktap="$to/ktap.body" -v rec="$to/records.jsonl" '
		$0 == head { part = 1; close(ktap); close(rec); printf "" > ktap; printf "" > rec; rc = ""; why = ""; next }
		index($0, void) == 1 { part = 0; rc = ""; why = substr($0, length(void) + 1); next }
		part == 1 && $0 == recs { part = 2; next }
		part == 2 && index($0, end) == 1 { rc = substr($0, length(end) + 1); part = 0; why = ""; next }
		index($0, cont) == 1 { part = 0; next }
		part == 1 { print > ktap }
		part == 2 { print > rec }
		END { if (rc != "") print rc; else if (why != "") print "void: " why }' "$dir/cont.port")
	if [[ ! $rc =~ ^[0-9]+$ ]]; then
		rm -rf "$to"
		[ -z "$rc" ] || printf '%s\n' "$rc"
		return 1
	fi
	{
		printf '%s %s uptime=0\n' "$HP_MARK_BEGIN" "$prog"
		cat "$to/ktap.body"
		printf '%s %s rc=%s uptime=0\n' "$HP_MARK_END" "$prog" "$rc"
		[ "$last" != 1 ] || printf '%s\n' "$HP_MARK_DONE"
	} >"$to/ktap.txt"
	rm -f "$to/ktap.body"
	: >"$to/console.log"
	: >"$to/dmesg.log"
	printf 'no boot: %s ran its cases after %s before that case, in boot %s\n' "$prog" "$at" "${dir##*-}" >"$to/contingency"
}

# Merge the per-boot logs into the run directory $1 for hp_report and people.
collect_merge() {
	local out=$1 b n=0
	: >"$out/console.log"
	: >"$out/ktap.txt"
	: >"$out/dmesg.log"
	for b in "$out"/boot-*; do
		[ -d "$b" ] || continue
		n=$((n + 1))
		printf '==== hugepin: boot %d ====\n' "$n" | tee -a "$out/console.log" >>"$out/dmesg.log"
		printf '%s %d\n' "$HP_MARK_BOOT" "$n" >>"$out/ktap.txt"
		cat "$b/console.log" >>"$out/console.log" 2>/dev/null || true
		cat "$b/ktap.txt" >>"$out/ktap.txt" 2>/dev/null || true
		cat "$b/dmesg.log" >>"$out/dmesg.log" 2>/dev/null || true
	done
}

# Split the merged KTAP of run directory $1 into ktap/PROGRAM.tap, one file
# per program (hp_report names a program after its file), and print the
# files that hold KTAP at all (a program killed before its plan has none).
collect_split_ktap() {
	local out=$1 f
	rm -rf "$out/ktap"
	mkdir -p "$out/ktap"
	awk -v dir="$out/ktap" -v begin="$HP_MARK_BEGIN " -v end="$HP_MARK_END " -v boot="$HP_MARK_BOOT " \
		-v done="$HP_MARK_DONE" '
		index($0, begin) == 1 { f = dir "/" $4 ".tap"; next }
		index($0, end) == 1 || index($0, boot) == 1 || $0 == done { f = ""; next }
		f != "" { print >> f }' "$out/ktap.txt"
	for f in "$out"/ktap/*.tap; do
		[ -f "$f" ] && grep -qE '^(TAP version|1\.\.[0-9])' "$f" && printf '%s\n' "$f"
	done
	return 0
}
