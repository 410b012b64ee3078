#!/bin/sh
# A guest that triple-faults: hypermem-run names the exit and exits 3. Its
# registers at the fault (rip 0x100007, rax 0x1234, set by crash-guest.S)
# are printed where KVM keeps them; KVM on AMD SVM re-initializes the vCPU
# on the shutdown intercept (arch/x86/kvm/svm/svm.c,
# shutdown_interception), and there hypermem-run must say that they are
# lost instead of printing the reset values as the guest's.
# usage: triple-fault.sh HYPERMEM_RUN CRASH_GUEST SCRIPT
run=$1 guest=$2 script=$3
here=$(dirname "$0")
if [ -d /sys/module/kvm_amd ]; then
	set -- "registers lost: KVM on AMD re-initializes a vCPU after a" \
		"triple fault"
else
	set -- "rip 0000000000100007" "rax 0000000000001234"
fi
exec "$here/expect-error.sh" "$run" 3 \
	"cpu0 stopped on KVM exit 'shutdown' (8): a triple fault" "$@" -- \
	--guest "$guest" --timeout 20 "$script"
