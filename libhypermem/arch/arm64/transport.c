// SPDX-License-Identifier: MIT
/*
 * arm64 doorbell: an SMCCC fast call (HVC) with a hypermem function ID,
 * forwarded to userspace by KVM's SMCCC filter (KVM devices/vm.rst,
 * KVM_ARM_VM_SMCCC_FILTER with KVM_SMCCC_FILTER_FWD_TO_USER), which the VMM
 * installs for the range HM_SMCCC_FUNC(0)..HM_SMCCC_FUNC(0xff).
 *
 * KVM api.rst, KVM_EXIT_HYPERCALL "For arm64": nr holds the function ID and
 * nothing else of the call (flags only tell SMC from HVC and a 16-bit
 * instruction), so X1 (the region's GPA) comes through KVM_GET_ONE_REG; PC
 * already points past the HVC, so resuming does not repeat the call.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stddef.h>
#include <string.h>

#include "../../src/internal.h"
#include "arm64-regs.h"

bool arch_decode_call(struct hm_vcpu *vcpu, struct doorbell *call)
{
	struct kvm_run *run = vcpu->run;
	uint64_t func = run->hypercall.nr;

	memset(call, 0, sizeof(*call));
	if (run->exit_reason != KVM_EXIT_HYPERCALL ||
	    (func & ~0xffull) != HM_SMCCC_FUNC(0))
		return false;
	call->nr = func & 0xff;
	return true;
}

int arch_call_gpa(struct hm_vcpu *vcpu, struct doorbell *call)
{
	struct kvm_one_reg reg = {
		.id = ARM64_CORE_REG(regs.regs[1]),
		.addr = (uintptr_t)&call->gpa,
	};
	int err;

	if (call->nr != HM_CALL_REGISTER)
		return 0;
	err = vcpu_kvm_ioctl(vcpu, KVM_GET_ONE_REG, &reg);
	return err < 0 ? err : 0;
}

/*
 * A forwarded call leaves X0 as the guest set it, the function ID (KVM
 * does not write the result when it hands the call to userspace), which
 * SMCCC does not define as a result: every call is answered, with
 * SMCCC_RET_SUCCESS (0) or a negative errno, as VMCALL's RAX on x86.
 */
void arch_complete_call(struct hm_vcpu *vcpu, int error)
{
	uint64_t result = (uint64_t)(int64_t)error;
	struct kvm_one_reg reg = {
		.id = ARM64_CORE_REG(regs.regs[0]),
		.addr = (uintptr_t)&result,
	};

	vcpu_kvm_ioctl(vcpu, KVM_SET_ONE_REG, &reg);
}
