// SPDX-License-Identifier: MIT
/*
 * arm64 doorbell: an SMCCC fast call (HVC) with a hypermem function ID,
 * forwarded to userspace by KVM's SMCCC filter (KVM api.rst,
 * KVM_ARM_VM_SMCCC_FILTER with KVM_SMCCC_FILTER_FWD_TO_USER), which the VMM
 * installs for the range HM_SMCCC_FUNC(0)..HM_SMCCC_FUNC(0xff). The exit
 * carries only the function ID: X1 (the region's GPA) and the X0 result go
 * through KVM_{GET,SET}_ONE_REG.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stddef.h>
#include <string.h>

#include "../../src/internal.h"

#define CORE_REG(x) (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | \
		     (offsetof(struct kvm_regs, x) / sizeof(uint32_t)))

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
		.id = CORE_REG(regs.regs[1]),
		.addr = (uintptr_t)&call->gpa,
	};
	int err;

	if (call->nr != HM_CALL_REGISTER)
		return 0;
	err = vcpu_kvm_ioctl(vcpu, KVM_GET_ONE_REG, &reg);
	return err < 0 ? err : 0;
}

/* X0 is written only on failure, keeping replies to one ioctl (KVM_RUN). */
void arch_complete_call(struct hm_vcpu *vcpu, int error)
{
	uint64_t result = (uint64_t)(int64_t)error;
	struct kvm_one_reg reg = {
		.id = CORE_REG(regs.regs[0]),
		.addr = (uintptr_t)&result,
	};

	if (error)
		vcpu_kvm_ioctl(vcpu, KVM_SET_ONE_REG, &reg);
}
