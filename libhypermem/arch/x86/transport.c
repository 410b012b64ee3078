// SPDX-License-Identifier: MIT
/*
 * x86 doorbells: a 32-bit OUT to HM_X86_PORT (works on every KVM, nested
 * ones included), and VMCALL/VMMCALL disguised as KVM_HC_MAP_GPA_RANGE, the
 * only hypercall a stock KVM forwards to userspace (KVM api.rst,
 * KVM_CAP_EXIT_HYPERCALL). The VMM enables that capability itself.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <string.h>

#include "../../src/internal.h"

static bool decode_port_io(struct kvm_run *run, struct doorbell *call)
{
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	uint32_t value;

	if (run->io.port != HM_X86_PORT)
		return false;
	if (run->io.direction != KVM_EXIT_IO_OUT || run->io.size != 4 ||
	    run->io.count != 1) {
		/* Give an IN a defined value: all ones, like an empty bus. */
		if (run->io.direction == KVM_EXIT_IO_IN)
			memset(data, 0xff, (size_t)run->io.size * run->io.count);
		call->malformed = true;
		return true;
	}
	memcpy(&value, data, sizeof(value));
	call->nr = value;
	return true;
}

static bool decode_hypercall(struct kvm_run *run, struct doorbell *call)
{
	uint64_t npages = run->hypercall.args[1];

	if (run->hypercall.nr != HM_KVM_HC_MAP_GPA_RANGE ||
	    (npages & ~0xffffull) != HM_VMCALL_MAGIC)
		return false;
	call->nr = npages & 0xffff;
	call->gpa = run->hypercall.args[0];
	return true;
}

bool arch_decode_call(struct hm_vcpu *vcpu, struct doorbell *call)
{
	struct kvm_run *run = vcpu->run;

	memset(call, 0, sizeof(*call));
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		return decode_port_io(run, call);
	case KVM_EXIT_HYPERCALL:
		return decode_hypercall(run, call);
	default:
		return false;
	}
}

/* Port I/O carries the region's GPA in RBX, read only at registration. */
int arch_call_gpa(struct hm_vcpu *vcpu, struct doorbell *call)
{
	struct kvm_run *run = vcpu->run;
	struct kvm_regs regs;
	int err;

	if (call->nr != HM_CALL_REGISTER || run->exit_reason != KVM_EXIT_IO)
		return 0;
	if (run->kvm_valid_regs & KVM_SYNC_X86_REGS) {
		call->gpa = run->s.regs.regs.rbx;
		return 0;
	}
	err = vcpu_kvm_ioctl(vcpu, KVM_GET_REGS, &regs);
	if (err < 0)
		return err;
	call->gpa = regs.rbx;
	return 0;
}

void arch_complete_call(struct hm_vcpu *vcpu, int error)
{
	struct kvm_run *run = vcpu->run;

	if (run->exit_reason == KVM_EXIT_HYPERCALL)
		run->hypercall.ret = (uint64_t)(int64_t)error;
}
