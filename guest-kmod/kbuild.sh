#!/bin/sh
# SPDX-License-Identifier: MIT
# Build hypermem.ko with Kbuild, W=1, in a copy of the sources so that no
# object lands in the source tree (Linux 6.1 has no MO=), and fail on any
# compiler or modpost warning.
#
# usage: kbuild.sh KERNEL_DIR KMOD_SRC_DIR PROJECT_ROOT WORK_DIR OUTPUT
# With HM_SPARSE=1 the sources also go through sparse (C=1), whose warnings
# fail the build like the compiler's. KERNEL_DIR may be an arm64 kernel's
# (scripts/fetch-arm64's headers): the module is then cross-compiled.
set -eu
kdir=$1 src=$2 top=$3 work=$4 out=$5

mkdir -p "$work"
cp -p "$src"/Kbuild "$src"/*.c "$src"/*.h "$work"/
config=$kdir/include/config/auto.conf
# An arm64 kernel's module is built with Debian's cross toolchain, on any
# build machine (the headers' kbuild programs are the build machine's).
cross=''
cross_args=''
if grep -qx 'CONFIG_ARM64=y' "$config" 2>/dev/null; then
	cross=aarch64-linux-gnu-
	cross_args="ARCH=arm64 CROSS_COMPILE=$cross"
fi
# Use the compiler the kernel was built with, as its Makefile expects.
cc=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\([^ ]*\) .*/\1/p' \
	"$config" 2>/dev/null || true)
if [ -z "$cc" ] || ! command -v "$cc" >/dev/null 2>&1; then
	cc=${CC:-${cross}gcc}
fi
check=
if [ "${HM_SPARSE:-0}" = 1 ]; then
	check=C=1
fi
log=$work/build.log
# shellcheck disable=SC2086 # cross_args: two words or none
if ! make -C "$kdir" M="$work" HM_TOP="$top" $cross_args CC="$cc" W=1 $check \
	modules >"$log" 2>&1; then
	cat "$log"
	echo "kbuild.sh: the module failed to build" >&2
	exit 1
fi
if grep -i 'warning' "$log"; then
	echo "kbuild.sh: the build printed warnings (W=1 must be clean)" >&2
	exit 1
fi
cp "$work/hypermem.ko" "$out"
