#!/bin/sh
# SPDX-License-Identifier: MIT
# The guest module builds against Debian's linux-headers-amd64 with W=1 and
# no warning, from sparse too when it is installed, and passes checkpatch.pl
# when one is at hand (the headers package ships none: set
# CHECKPATCH=/path/to/checkpatch.pl).
#
# usage: build-test.sh KBUILD_SH KMOD_SRC PROJECT_ROOT WORK_DIR [KERNEL_DIR]
# KERNEL_DIR defaults to the newest /usr/src/linux-headers-*-amd64; the
# arm64 build passes scripts/fetch-arm64's arm64 headers, the kmod_build_ARCH
# tests scripts/fetch-guest ARCH's.
set -eu
kbuild=$1 src=$2 top=$3 work=$4 kernel_dir=${5:-}

if [ -z "$kernel_dir" ]; then
	for dir in $(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null |
		sort -V); do
		[ -f "$dir/Makefile" ] && kernel_dir=$dir
	done
fi
if [ -z "$kernel_dir" ]; then
	echo "SKIP: no /usr/src/linux-headers-*-amd64 (install linux-headers-amd64)"
	exit 77
fi
command -v make >/dev/null || { echo "SKIP: make not installed"; exit 77; }

sparse=0
command -v sparse >/dev/null && sparse=1

rm -rf "$work"
HM_SPARSE=$sparse "$kbuild" "$kernel_dir" "$src" "$top" "$work/kbuild" \
	"$work/hypermem.ko"
modinfo -F vermagic "$work/hypermem.ko" 2>/dev/null || true
echo "built against $kernel_dir with W=1 (sparse: $sparse): no warnings"

checkpatch=${CHECKPATCH:-$kernel_dir/scripts/checkpatch.pl}
if [ ! -x "$checkpatch" ]; then
	echo "note: no checkpatch.pl ($checkpatch); style not checked"
	exit 0
fi
"$checkpatch" --no-tree --quiet --terse -f "$src"/*.c "$src"/*.h
