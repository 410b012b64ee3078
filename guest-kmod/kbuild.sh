#!/bin/sh
# SPDX-License-Identifier: MIT
# Build hypermem.ko with Kbuild, W=1, in a copy of the sources so that no
# object lands in the source tree (Linux 6.1 has no MO=), and fail on any
# compiler or modpost warning.
#
# usage: kbuild.sh KERNEL_DIR KMOD_SRC_DIR PROJECT_ROOT WORK_DIR OUTPUT
# With HM_SPARSE=1 the sources also go through sparse (C=1), whose warnings
# fail the build like the compiler's.
set -eu
kdir=$1 src=$2 top=$3 work=$4 out=$5

mkdir -p "$work"
cp -p "$src"/Kbuild "$src"/*.c "$src"/*.h "$work"/
# Use the compiler the kernel was built with, as its Makefile expects.
cc=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\([^ ]*\) .*/\1/p' \
	"$kdir/include/config/auto.conf" 2>/dev/null || true)
if [ -z "$cc" ] || ! command -v "$cc" >/dev/null 2>&1; then
	cc=${CC:-gcc}
fi
check=
if [ "${HM_SPARSE:-0}" = 1 ]; then
	check=C=1
fi
log=$work/build.log
if ! make -C "$kdir" M="$work" HM_TOP="$top" CC="$cc" W=1 $check modules \
	>"$log" 2>&1; then
	cat "$log"
	echo "kbuild.sh: the module failed to build" >&2
	exit 1
fi
if grep -i 'warning' "$log"; then
	echo "kbuild.sh: the build printed warnings (W=1 must be clean)" >&2
	exit 1
fi
cp "$work/hypermem.ko" "$out"
