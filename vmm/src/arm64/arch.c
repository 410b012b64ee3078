// SPDX-License-Identifier: MIT
/*
 * The arm64 side of the core: its one board, a Linux machine described by
 * a device tree, and its doorbell, an SMCCC call by HVC that KVM's SMCCC
 * filter hands to the VMM (KVM devices/vm.rst, KVM_ARM_VM_SMCCC_FILTER).
 */
#include <linux/kvm.h>
#include <stdint.h>

#include <hypermem/protocol.h>

#include "arm64.h"

/* SMCCC's "unknown function" (Arm DEN0028, "Return codes"). */
#define SMCCC_RET_NOT_SUPPORTED ((uint64_t)-1)

const struct board *arch_board(enum vmm_board which)
{
	return which == VMM_BOARD_LINUX ? &linux_board : NULL;
}

/*
 * The filter must be in place before a vCPU first runs. A KVM without it
 * (before Linux 6.4) answers the doorbell itself, "not supported".
 */
int arch_enable_doorbell(struct vmm *vm)
{
	struct kvm_smccc_filter filter = {
		.base = HM_SMCCC_FUNC(0),
		.nr_functions = 256,
		.action = KVM_SMCCC_FILTER_FWD_TO_USER,
	};
	struct kvm_device_attr attr = {
		.group = KVM_ARM_VM_SMCCC_CTRL,
		.attr = KVM_ARM_VM_SMCCC_FILTER,
		.addr = (uintptr_t)&filter,
	};
	int ret;

	if (kvm_ioctl(vm->fd, KVM_HAS_DEVICE_ATTR, &attr) < 0)
		return 0;
	ret = kvm_ioctl(vm->fd, KVM_SET_DEVICE_ATTR, &attr);
	if (ret < 0)
		return ret;
	vm->hypercall_exit = 1;
	return 0;
}

/* KVM has moved the PC past the HVC; the result goes in X0. */
void arch_unknown_hypercall(struct vmm_cpu *cpu)
{
	arm64_set_reg(cpu, ARM64_CORE_REG(regs.regs[0]), SMCCC_RET_NOT_SUPPORTED);
}

/* arm64 has no CPUID: nothing to hide. */
int vmm_cpuid_hides(enum vmm_cpuid_hide hide)
{
	(void)hide;
	return 0;
}
