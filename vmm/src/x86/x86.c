// SPDX-License-Identifier: MIT
/*
 * The x86-64 side of the core: its boards, guest-tiny's and a PC for
 * Linux, and its doorbell, VMCALL/VMMCALL (KVM_EXIT_HYPERCALL).
 */
#include <linux/kvm.h>

#include "internal.h"

/* KVM_HC_MAP_GPA_RANGE (Documentation/virt/kvm/x86/hypercalls.rst). */
#define HC_MAP_GPA_RANGE 12
#define KVM_ENOSYS 1000

const struct board *arch_board(enum vmm_board which)
{
	switch (which) {
	case VMM_BOARD_TINY:
		return &tiny_board;
	case VMM_BOARD_LINUX:
		return &linux_board;
	default:
		return NULL;
	}
}

/*
 * A stock x86 KVM hands VMCALL/VMMCALL to userspace only as
 * KVM_HC_MAP_GPA_RANGE (KVM api.rst, "KVM_CAP_EXIT_HYPERCALL"); where it
 * offers that, the VMCALL doorbell works.
 */
int arch_enable_doorbell(struct vmm *vm)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_EXIT_HYPERCALL,
		.args[0] = 1ull << HC_MAP_GPA_RANGE,
	};
	int mask, ret;

	mask = kvm_ioctl_value(vm->fd, KVM_CHECK_EXTENSION,
			       KVM_CAP_EXIT_HYPERCALL);
	if (mask <= 0 || !(mask & (1 << HC_MAP_GPA_RANGE)))
		return 0;
	ret = kvm_ioctl(vm->fd, KVM_ENABLE_CAP, &cap);
	if (ret < 0)
		return ret;
	vm->hypercall_exit = 1;
	return 0;
}

void arch_unknown_hypercall(struct vmm_cpu *cpu)
{
	cpu->run->hypercall.ret = (uint64_t)-KVM_ENOSYS;
}
