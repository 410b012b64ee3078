// SPDX-License-Identifier: MIT
/*
 * What to tell the user when KVM stops on an arm64 guest it cannot go on
 * with: the exit and the registers that say where the guest was and what
 * it last took an exception for.
 */
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>

#include "arm64.h"

/* ESR_EL1 and FAR_EL1 by their (op0, op1, CRn, CRm, op2) in the Arm ARM. */
#define ESR_EL1 ARM64_SYS_REG(3, 0, 5, 2, 0)
#define FAR_EL1 ARM64_SYS_REG(3, 0, 6, 0, 0)
/* The 64-bit core registers, regs.regs[0] through spsr[], are contiguous. */
#define CORE_WORDS ((offsetof(struct kvm_regs, spsr) + \
		     sizeof(((struct kvm_regs *)0)->spsr)) / sizeof(uint64_t))

static int read_core(struct vmm_cpu *cpu, struct kvm_regs *regs)
{
	uint64_t *word = (uint64_t *)regs;
	size_t i;
	int ret = 0;

	for (i = 0; !ret && i < CORE_WORDS; i++)
		ret = arm64_get_reg(cpu, KVM_REG_ARM64 | KVM_REG_SIZE_U64 |
				    KVM_REG_ARM_CORE |
				    (i * sizeof(uint64_t) / sizeof(uint32_t)),
				    &word[i]);
	return ret;
}

void arch_read_state(struct vmm_cpu *cpu, struct vmm_result *r)
{
	if (read_core(cpu, &r->regs) ||
	    arm64_get_reg(cpu, ESR_EL1, &r->esr_el1) ||
	    arm64_get_reg(cpu, FAR_EL1, &r->far_el1))
		return;
	r->has_regs = 1;
}

uint64_t arch_result_pc(const struct vmm_result *r)
{
	return r->regs.regs.pc;
}

/* PSTATE.M[3:2] is the exception level (Arm ARM, "SPSR_EL1"). */
void arch_describe(struct vmm_result *r)
{
	const struct user_pt_regs *u = &r->regs.regs;
	char exit[96];

	if (r->exit_reason == KVM_EXIT_INTERNAL_ERROR)
		snprintf(exit, sizeof(exit), "KVM exit '%s' (suberror %u)",
			 vmm_exit_name(r->exit_reason), r->suberror);
	else
		snprintf(exit, sizeof(exit), "KVM exit '%s' (%u)",
			 vmm_exit_name(r->exit_reason), r->exit_reason);
	if (!r->has_regs) {
		snprintf(r->diagnosis, sizeof(r->diagnosis),
			 "vCPU %u stopped: %s\n  registers unreadable\n"
			 "The guest crashed or KVM refused to enter it.",
			 r->vcpu, exit);
		return;
	}
	snprintf(r->diagnosis, sizeof(r->diagnosis),
		 "vCPU %u stopped: %s\n"
		 "  PC 0x%016llx  PSTATE 0x%08llx (EL%llu)  SP 0x%016llx\n"
		 "  ESR_EL1 0x%llx  FAR_EL1 0x%llx  ELR_EL1 0x%llx\n"
		 "The guest crashed or KVM refused to enter it.",
		 r->vcpu, exit, u->pc, u->pstate, (u->pstate >> 2) & 3,
		 u->sp, (unsigned long long)r->esr_el1,
		 (unsigned long long)r->far_el1, r->regs.elr_el1);
}
