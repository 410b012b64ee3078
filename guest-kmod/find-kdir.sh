#!/bin/sh
# SPDX-License-Identifier: MIT
# Prints the kernel build tree the guest module is built against by default:
# the running kernel's, else the newest Debian linux-headers package for this
# architecture. Prints nothing when there is neither.
running=/lib/modules/$(uname -r)/build
if [ -f "$running/Makefile" ]; then
	echo "$running"
	exit 0
fi
case $(uname -m) in
aarch64) flavour=arm64 ;;
*) flavour=amd64 ;;
esac
for dir in $(ls -d /usr/src/linux-headers-*-"$flavour" 2>/dev/null | sort -V); do
	[ -f "$dir/Makefile" ] && newest=$dir
done
[ -n "${newest:-}" ] && echo "$newest"
exit 0
