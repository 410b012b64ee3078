#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs linux-boot-test in MODE on the guest image the build made
# (scripts/make-linux-guest: vmlinux, bzImage, initramfs.cpio in GUEST_DIR).
#
# usage: run-test.sh MODE TEST_BINARY GUEST_DIR
set -eu
mode=$1 test=$2 work=$3

skip() {
	echo "SKIP: $*"
	exit 77
}

[ -r /dev/kvm ] && [ -w /dev/kvm ] || skip "no usable /dev/kvm"

case $mode in
bzimage)
	exec "$test" bzimage "$work/bzImage"
	;;
full)
	"$test" host || exit $?
	# No second try: a boot that never reached the module (seen under
	# QEMU 7.2's emulated SVM, issue 25) is a failure like any other.
	exec "$test" full "$work/vmlinux" "$work/initramfs.cpio"
	;;
esac
echo "run-test.sh: unknown mode $mode" >&2
exit 2
