#!/bin/busybox sh
# SPDX-License-Identifier: MIT
# Run in the armhf, mipsel and mips64el guests by their init
# (hmrun=sh,/selftest.sh hmnomodule; boot-test.sh selftest): what
# tests/kmod's x86 guest checks, where no hypervisor answers an exit.
# The exits of x86 and arm64 are refused; kmod-selftest runs each
# operation through /dev/hypermem's loopback, and its events through the
# in-module host (transport=selftest), whose log shows what a host would
# get: the syscall's arguments, and its return value sign-extended.
result=PASS
fail() {
	echo "HMTEST FAIL: $*"
	result=FAIL
}
# kmod-selftest's files and sockets, as tests/kmod/guest-init.sh has them.
mkdir -p /tmp
mount -t tmpfs tmpfs /tmp
ip link set lo up
params=/sys/module/hypermem/parameters

for transport in pio vmcall hvc; do
	insmod /hypermem.ko transport=$transport 2>/tmp/insmod.err &&
		fail "loaded with transport=$transport"
	grep -q 'not supported' /tmp/insmod.err ||
		fail "transport=$transport: '$(cat /tmp/insmod.err)', want EOPNOTSUPP"
done
dmesg | grep -q 'transport=hvc: this architecture has no VM-exit doorbell; use transport=ivshmem' ||
	fail "no message for transport=hvc"

insmod /hypermem.ko transport=selftest loopback=1 || fail "loopback load failed"
/kmod-selftest loopback || fail "kmod-selftest loopback"
rmmod hypermem || fail "rmmod after loopback"

# access(2): 33 on ARM EABI, 4033 on o32, 5020 on n64; MIPS numbers each
# ABI from its own base. 32-bit ARM cannot skip a syscall (hooks.c); each
# says its architecture (HM_FEATURE_GUEST_ARCH).
case $(uname -m) in
armv7l) access=33 features=0x3fc7f ;;
mips) access=4033 features=0x3fcff ;;
mips64) access=5020 features=0x3fcff ;;
*) fail "no access(2) number for $(uname -m)" ;;
esac
insmod /hypermem.ko transport=selftest || fail "selftest host load failed"
dmesg | grep -q "hypermem: cpu 0: host accepted 1 pages, features $features" ||
	fail "features: $(dmesg | grep 'host accepted'), want $features"
echo "$access" >$params/syscalls
[ "$(cat $params/syscalls)" = "$access" ] ||
	fail "syscalls reads '$(cat $params/syscalls)'"
/kmod-selftest events || fail "kmod-selftest events"
rmmod hypermem || fail "rmmod after events"

dmesg | grep -E 'WARNING|BUG|Oops|Call Trace' && fail "kernel log has errors"
dmesg | grep -E 'hypermem'
echo "HMTEST SELFTEST $result"
[ "$result" = PASS ]
