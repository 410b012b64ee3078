// SPDX-License-Identifier: MIT
/*
 * arm64 vCPUs: KVM_ARM_VCPU_INIT as KVM prefers the host's CPU, with
 * KVM's PSCI 0.2, and the boot CPU's entry per booting.rst; registers are
 * reached one at a time (KVM_{GET,SET}_ONE_REG).
 */
#include <linux/kvm.h>
#include <stdint.h>

#include "arm64.h"

int arm64_get_reg(struct vmm_cpu *cpu, uint64_t id, uint64_t *value)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)value };
	int ret = kvm_ioctl(cpu->fd, KVM_GET_ONE_REG, &reg);

	return ret < 0 ? ret : 0;
}

int arm64_set_reg(struct vmm_cpu *cpu, uint64_t id, uint64_t value)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)&value };
	int ret = kvm_ioctl(cpu->fd, KVM_SET_ONE_REG, &reg);

	return ret < 0 ? ret : 0;
}

/*
 * The secondary vCPUs start powered off: the kernel starts them with
 * PSCI CPU_ON, which KVM serves (KVM api.rst, KVM_ARM_VCPU_INIT).
 */
static int vcpu_init(struct vmm_cpu *cpu)
{
	struct kvm_vcpu_init preferred, init = { 0 };
	int ret;

	ret = kvm_ioctl(cpu->vm->fd, KVM_ARM_PREFERRED_TARGET, &preferred);
	if (ret < 0)
		return ret;
	init.target = preferred.target;
	init.features[0] = 1u << KVM_ARM_VCPU_PSCI_0_2;
	if (cpu->index)
		init.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF;
	ret = kvm_ioctl(cpu->fd, KVM_ARM_VCPU_INIT, &init);
	return ret < 0 ? ret : 0;
}

/*
 * KVM's reset state is what booting.rst asks for the rest: EL1h with
 * DAIF masked, the MMU off, X1-X3 zero.
 */
int arm64_init_cpu(struct vmm_cpu *cpu)
{
	int ret = vcpu_init(cpu);

	if (ret || cpu->index)
		return ret;
	ret = arm64_set_reg(cpu, ARM64_CORE_REG(regs.pc), cpu->vm->entry);
	if (!ret)
		ret = arm64_set_reg(cpu, ARM64_CORE_REG(regs.regs[0]),
				    cpu->vm->dtb_gpa);
	return ret;
}
