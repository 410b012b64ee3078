#!/bin/busybox sh
# SPDX-License-Identifier: MIT
# PID 1 of make-linux-guest's initramfs: loads the hypermem module, which
# registers with the host (hypermem-run or linux-boot-test), runs the ioctl
# interaction and resets the VM, which ends the host's run. Boot with
# hmshell on the kernel command line to get a shell instead.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

result=PASS
fail() {
	echo "HMTEST FAIL: $*"
	result=FAIL
}

insmod /hypermem.ko || fail "insmod hypermem.ko"
dmesg | grep 'hypermem:'
dmesg | grep -q 'hypermem: loaded: [1-9]' || fail "no CPU registered with the host"
/hm-ioctl-test || fail "hm-ioctl-test"
echo "HMTEST RESULT $result"
if grep -qw hmshell /proc/cmdline; then
	exec setsid cttyhack sh
fi
reboot -f
