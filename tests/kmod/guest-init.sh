#!/bin/busybox sh
# SPDX-License-Identifier: MIT
# PID 1 of the QEMU guest in qemu-test.sh: loads the hypermem module the
# ways a user would, runs kmod-selftest, checks the kernel log and powers
# off. The host script reads the HMTEST lines on the serial console.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
ip link set lo up
echo "HMTEST boot-uptime $(cut -d' ' -f1 /proc/uptime)"

result=PASS
fail() {
	echo "HMTEST FAIL: $*"
	result=FAIL
}

params=/sys/module/hypermem/parameters

if insmod /hypermem.ko 2>/tmp/insmod.err; then
	fail "loaded without a host and without passive=1"
	rmmod hypermem
fi
grep -q 'No such device' /tmp/insmod.err ||
	fail "insmod without a host: '$(cat /tmp/insmod.err)', want ENODEV"
dmesg | grep -q 'hypermem: no host answered on cpu 0; load with passive=1 to stay loaded' ||
	fail "no 'no host answered' message"
[ -e /sys/module/hypermem ] && fail "module stayed after a failed load"

# VMCALL would raise #UD without KVM: refused before any doorbell rings.
insmod /hypermem.ko passive=1 transport=vmcall 2>/tmp/insmod.err &&
	fail "loaded with transport=vmcall under TCG"
grep -q 'No such device' /tmp/insmod.err ||
	fail "transport=vmcall: '$(cat /tmp/insmod.err)', want ENODEV"
insmod /hypermem.ko passive=1 transport=bogus 2>/tmp/insmod.err &&
	fail "loaded with transport=bogus"
grep -q 'Invalid argument' /tmp/insmod.err ||
	fail "transport=bogus: '$(cat /tmp/insmod.err)', want EINVAL"

insmod /hypermem.ko passive=1 syscalls=39 || fail "passive load failed"
[ -c /dev/hypermem ] || fail "no /dev/hypermem"
dmesg | grep -q 'hypermem: loaded: 0 of 2 cpus have a host, transport pio' ||
	fail "no 'loaded' message"
[ "$(cat $params/syscalls)" = 39 ] || fail "syscalls reads '$(cat $params/syscalls)'"
echo 0-3,16 > $params/syscalls
[ "$(cat $params/syscalls)" = 0-3,16 ] || fail "syscalls reads '$(cat $params/syscalls)'"
echo 1024 > $params/syscalls 2>/dev/null && fail "syscall 1024 accepted"
# Every syscall now goes through the probes, which find no host.
echo 0-1023 > $params/syscalls
echo 0 > /sys/devices/system/cpu/cpu1/online || fail "cpu1 offline"
echo 1 > /sys/devices/system/cpu/cpu1/online || fail "cpu1 online"
[ "$(dmesg | grep -c 'hypermem: no host answered on cpu 1')" = 2 ] ||
	fail "cpu1 was not offered again after hotplug"
/kmod-selftest passive || fail "kmod-selftest passive"
rmmod hypermem || fail "rmmod after passive"
[ -e /dev/hypermem ] && fail "/dev/hypermem stayed after rmmod"

insmod /hypermem.ko passive=1 loopback=1 || fail "loopback load failed"
/kmod-selftest loopback || fail "kmod-selftest loopback"
rmmod hypermem || fail "rmmod after loopback"

# An in-module host answers: events from both CPUs, before and after hotplug.
insmod /hypermem.ko transport=selftest || fail "selftest host load failed"
dmesg | grep -q 'hypermem: loaded: 2 of 2 cpus have a host, transport selftest' ||
	fail "not every cpu registered with the selftest host"
echo 0 > /sys/devices/system/cpu/cpu1/online || fail "cpu1 offline"
echo 1 > /sys/devices/system/cpu/cpu1/online || fail "cpu1 online"
# Features: PROCENV, READ_FILE, SOCKET_INFO, KERNEL_ADDR, READV,
# EVENT_CONTROL and SYSCALL_SKIP (0xdf; the skip through the kprobe on
# x64_sys_call, which Debian's 6.1 has), FD_NAME_OFFSET (the module keeps
# a name buffer per CPU), PROC_LIST, _MAPS, _FDS and _PATHS and
# PROC_EVENTS, WRITE_FILE, PID_ACCESS and GUEST_ARCH (0x3fcff).
[ "$(dmesg | grep -c 'hypermem: cpu 1: host accepted 1 pages, features 0x3fcff')" = 2 ] ||
	fail "cpu1 did not register again after hotplug"
echo 21 > $params/syscalls
taskset 1 /kmod-selftest events || fail "kmod-selftest events on cpu0"
taskset 2 /kmod-selftest events || fail "kmod-selftest events on cpu1"
rmmod hypermem || fail "rmmod after events"

dmesg | grep -E 'WARNING|BUG|Oops|Call Trace' && fail "kernel log has errors"
echo "HMTEST end-uptime $(cut -d' ' -f1 /proc/uptime)"
echo "HMTEST dmesg-begin"
dmesg | grep -E 'hypermem|taint'
echo "HMTEST dmesg-end"
echo "HMTEST RESULT $result"
poweroff -f
