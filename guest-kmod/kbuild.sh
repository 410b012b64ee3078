#!/bin/sh
# SPDX-License-Identifier: MIT
# Build hypermem.ko with Kbuild, W=1, in a copy of the sources so that no
# object lands in the source tree (Linux 6.1 has no MO=), and fail on any
# compiler or modpost warning.
#
# usage: kbuild.sh KERNEL_DIR KMOD_SRC_DIR PROJECT_ROOT WORK_DIR OUTPUT
# With HM_SPARSE=1 the sources also go through sparse (C=1), whose warnings
# fail the build like the compiler's. KERNEL_DIR may be a foreign kernel's
# (scripts/fetch-arm64's or scripts/fetch-guest's headers): the module is
# then cross-compiled.
set -eu
kdir=$1 src=$2 top=$3 work=$4 out=$5

mkdir -p "$work"
cp -p "$src"/Kbuild "$src"/*.c "$src"/*.h "$work"/
config=$kdir/include/config/auto.conf
# A foreign kernel's module is built with Debian's cross toolchain, on any
# build machine (the headers' kbuild programs are the build machine's):
# arm64, and the armhf, mipsel and mips64el kernels of scripts/fetch-guest.
cross=''
cross_args=''
has() {
	grep -qx "CONFIG_$1=y" "$config" 2>/dev/null
}
if has ARM64; then
	cross_args='ARCH=arm64' cross=aarch64-linux-gnu-
elif has ARM; then
	cross_args='ARCH=arm' cross=arm-linux-gnueabihf-
elif has MIPS && has 64BIT; then
	cross_args='ARCH=mips' cross=mips64el-linux-gnuabi64-
elif has MIPS; then
	cross_args='ARCH=mips' cross=mipsel-linux-gnu-
fi
[ -z "$cross" ] || cross_args="$cross_args CROSS_COMPILE=$cross"
# Use the compiler the kernel was built with, as its Makefile expects;
# Debian builds armhf and mips kernels natively ("gcc-12"): its cross twin.
cc=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\([^ ]*\) .*/\1/p' \
	"$config" 2>/dev/null || true)
case $cc in
'' | "$cross"*) ;;
*) cc=$cross$cc ;;
esac
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
# arch/mips/Makefile hands sparse every macro the compiler predefines
# (CHECKFLAGS), and sparse 0.6.4 predefines the __ATOMIC_ ones too: a
# warning of the kernel's build on every MIPS file, none of the module's.
if grep -v "^builtin:1:9: warning: preprocessor token __ATOMIC_[A-Z_]* redefined\$" \
	"$log" | grep -i 'warning'; then
	echo "kbuild.sh: the build printed warnings (W=1 must be clean)" >&2
	exit 1
fi
cp "$work/hypermem.ko" "$out"
