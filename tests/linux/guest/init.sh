#!/bin/busybox sh
# SPDX-License-Identifier: MIT
# PID 1 of make-linux-guest's initramfs: loads the hypermem module, which
# registers every CPU with the host (hypermem-run or linux-boot-test), runs
# the ioctl interaction once on each CPU (and, with hmcontrol on the
# command line, hm-control-test, whose host changes its syscalls; with
# hmsiocdev, hm-siocdev-test alone) and resets the VM, which ends the
# host's run. Module parameters come from the kernel command line, as
# modprobe takes them (hypermem.transport=vmcall); without a transport the
# module takes its architecture's default (port I/O on x86, HVC on arm64)
# unless an ivshmem-doorbell device has a host. Boot with hmshell on the
# kernel command line to get a shell instead. With hmattach, the host
# comes and goes (hypermem-run --attach, hypermem.hotplug=1): the ioctl
# interaction runs once a second for ever; hmnomodule leaves the module
# out. hmprobes checks the module's syscall probes (tests/linux/probes.lua).
# hmrun=PROGRAM,ARG,... runs that command alone after the module
# (commas for spaces; the shell expands its patterns), then resets.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "HMTEST boot-uptime $(cut -d ' ' -f 1 /proc/uptime)"

result=PASS
fail() {
	echo "HMTEST FAIL: $*"
	result=FAIL
}

params=$(tr ' ' '\n' </proc/cmdline | sed -n 's/^hypermem\.//p')
if grep -qw hmnomodule /proc/cmdline; then
	echo "HMTEST hypermem not loaded"
else
	# shellcheck disable=SC2086 # one word per parameter
	insmod /hypermem.ko $params || fail "insmod hypermem.ko $params"
	dmesg | grep 'hypermem:'
fi
# hmprobes: the module's syscall probes come with the host's first
# syscall hook, which tests/linux/probes.lua makes at hm-ioctl-test's event.
if grep -qw hmprobes /proc/cmdline; then
	probes=/sys/module/hypermem/parameters/syscall_probes
	sleep 1
	echo "HMTEST probes without a syscall hook: $(cat $probes)"
	/hm-ioctl-test >/dev/null 2>&1
	for _ in $(seq 50); do
		[ "$(cat $probes)" = Y ] && break
		usleep 100000
	done
	echo "HMTEST probes with one: $(cat $probes)"
	cat /hm-probed 2>/dev/null
	reboot -f
fi
run=$(tr ' ' '\n' </proc/cmdline | sed -n 's/^hmrun=//p' | tr , ' ')
if [ -n "$run" ]; then
	# shellcheck disable=SC2086 # words and patterns
	$run
	echo "HMTEST RESULT exit $?"
	reboot -f
fi
if grep -qw hmattach /proc/cmdline; then
	echo "HMTEST waiting for hosts"
	while :; do
		/hm-ioctl-test >/dev/null 2>&1
		sleep 1
	done
fi
cpus=$(nproc)
dmesg | grep -q "hypermem: loaded: $cpus of $cpus cpus" ||
	fail "not every CPU registered with the host"
# hmsiocdev: the original's ioctl interaction on a real ioctl, alone.
if grep -qw hmsiocdev /proc/cmdline; then
	/hm-siocdev-test || fail "hm-siocdev-test"
	cpus=0
fi
for cpu in $(seq 0 $((cpus - 1))); do
	taskset -c "$cpu" /hm-ioctl-test || fail "hm-ioctl-test on cpu $cpu"
	if grep -qw hmcontrol /proc/cmdline; then
		taskset -c "$cpu" /hm-control-test ||
			fail "hm-control-test on cpu $cpu"
	fi
done
# hmcontrol's host also writes /hm-written at each ioctl interaction.
if grep -qw hmcontrol /proc/cmdline; then
	if [ "$(cat /hm-written)" = "written by the host" ]; then
		echo "HMTEST write_file PASS"
	else
		fail "/hm-written: $(cat /hm-written 2>&1)"
	fi
fi
echo "HMTEST RESULT $result"
if grep -qw hmshell /proc/cmdline; then
	exec setsid cttyhack sh
fi
reboot -f
