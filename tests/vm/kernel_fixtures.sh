# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Broken kernel images for the runner's bad-input checks: run.sh reads the
# release from the x86 boot header and must refuse these with exit 2 (125
# under --bisect) before it builds or boots anything. Sourced.

# A real bzImage $1 cut to half its size: header intact, payload missing.
fixture_truncated_bzimage() {
	local src=$1 dst=$2
	head -c "$(( $(stat -c %s "$src") / 2 ))" "$src" >"$dst"
}

# A file of the right size with no boot header.
fixture_headerless_image() {
	head -c 65536 /dev/zero >"$1"
}

# A bzImage whose setup header points its version string past the end.
fixture_bad_version_pointer() {
	local src=$1 dst=$2
	head -c 4096 "$src" >"$dst"
	printf '\377\377' | dd of="$dst" bs=1 seek=$((0x20E)) conv=notrunc 2>/dev/null
	# A small syssize keeps the size check from catching it first.
	printf '\001\000\000\000' | dd of="$dst" bs=1 seek=$((0x1F4)) conv=notrunc 2>/dev/null
	printf '\001' | dd of="$dst" bs=1 seek=$((0x1F1)) conv=notrunc 2>/dev/null
}
