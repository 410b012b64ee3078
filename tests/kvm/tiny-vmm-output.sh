#!/bin/sh
# The example VMM as a user runs it: boot guest-tiny's demo on two vCPUs
# and check the lines that show libhypermem at work.
# usage: tiny-vmm-output.sh TINY_VMM GUEST_ELF
if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
	echo "skip: no usable /dev/kvm"
	exit 77
fi
out=$("$1" --cpus 2 --timeout 20 --cmdline quiet "$2")
rc=$?
printf '%s\n' "$out"
if [ $rc -ne 0 ]; then
	echo "FAIL: tiny-vmm exited with $rc"
	exit 1
fi
for line in \
	'hypermem: cpu0 registered region' \
	'hypermem: cpu1 registered region' \
	'event cpu0 enter ioctl(16)' \
	'ifreq name "eth0" (4) value 42 (0)' \
	'wrote name "test" (0), reads back "test"' \
	'wrote value 0x12345678 (0), reads back 0x12345678' \
	'ioctl_test: PASS' \
	'argv ["worker", "alpha", "3"]' \
	'argv ["worker", "beta", "3"]' \
	'fd 3 -> /etc/hostname' \
	'data "guest-tiny\n"' \
	'-> socket:[' \
	'data "pong\n"' \
	'tiny-vmm: all done, 0 failed'
do
	if ! printf '%s\n' "$out" | grep -qF -- "$line"; then
		echo "FAIL: no line with: $line"
		exit 1
	fi
done
echo "PASS"
