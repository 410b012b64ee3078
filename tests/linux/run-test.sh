#!/bin/sh
# SPDX-License-Identifier: MIT
# Prepares the guest files with scripts/make-linux-guest, then runs
# linux-boot-test in MODE on them.
#
# usage: run-test.sh MODE TEST_BINARY MAKE_LINUX_GUEST WORK_DIR
set -eu
mode=$1 test=$2 make_guest=$3 work=$4

skip() {
	echo "SKIP: $*"
	exit 77
}

[ -r /dev/kvm ] && [ -w /dev/kvm ] || skip "no usable /dev/kvm"
ls /boot/vmlinuz-*-amd64 >/dev/null 2>&1 ||
	skip "no /boot/vmlinuz-*-amd64 (install linux-image-amd64)"

case $mode in
bzimage)
	"$make_guest" --vmlinux-only "$work" || skip "could not cut vmlinux"
	exec "$test" bzimage "$work/bzImage"
	;;
full)
	# Whether this host can run Linux, before the slower image build.
	"$test" host || exit $?
	"$make_guest" "$work" || exit 1
	exec "$test" full "$work/vmlinux" "$work/initramfs.cpio"
	;;
esac
echo "run-test.sh: unknown mode $mode" >&2
exit 2
