#!/bin/sh
# hypermem-bench --events-smp: the rows of one and of two vCPUs, over the
# exit transport and over the mailbox, all there and all ok, with CPU
# time for each vCPU thread that ran. Never a timing.
# usage: events-smp.sh HYPERMEM_BENCH GUEST_ELF HYPERMEM_BENCH_SIM
if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
	echo "skip: no usable /dev/kvm"
	exit 77
fi
out=$("$1" --events-smp "$2" "$3")
rc=$?
printf '%s\n' "$out"
if [ $rc -ne 0 ]; then
	echo "FAIL: hypermem-bench --events-smp exited with $rc"
	exit 1
fi
json=$(printf '%s\n' "$out" | tail -n 1)
for want in \
	'"transport":"exit","handler":"none","vcpus":1,' \
	'"transport":"exit","handler":"none","vcpus":2,' \
	'"transport":"mailbox","handler":"none","vcpus":1,' \
	'"transport":"mailbox","handler":"none","vcpus":2,' \
	'"transport":"mailbox","handler":"read 8 B","vcpus":1,' \
	'"transport":"mailbox","handler":"read 8 B","vcpus":2,' \
	'"host_cpus":'
do
	if ! printf '%s\n' "$json" | grep -qF -- "$want"; then
		echo "FAIL: no row with: $want"
		exit 1
	fi
done
if printf '%s\n' "$json" | grep -qF '"ok":false'; then
	echo "FAIL: a row not ok"
	exit 1
fi
# Two vCPUs: both threads ran their loop and took CPU time for it.
if ! printf '%s\n' "$json" | grep -qE \
	'"vcpus":2,[^}]*"vcpu_thread_cpu_s":\[[0-9.]*[1-9][0-9.]*,[0-9.]*[1-9][0-9.]*\]'; then
	echo "FAIL: a vCPU thread of the two-vCPU row without CPU time"
	exit 1
fi
echo "PASS"
