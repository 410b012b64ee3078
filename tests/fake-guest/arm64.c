// SPDX-License-Identifier: MIT
/*
 * The arm64 side of the simulated guests: a doorbell is an HVC that KVM's
 * SMCCC filter forwards (KVM api.rst, KVM_EXIT_HYPERCALL "For arm64": nr is
 * the function ID, flags 0 for HVC from AArch64, the arguments stay in the
 * registers), the UART is MMIO (a PL011 where QEMU's virt board has one),
 * and X0 and X1 go through KVM_{GET,SET}_ONE_REG.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <hypermem/protocol.h>

#include "arm64-regs.h"
#include "cpu.h"

#define UART_GPA 0x09000000ull
void fake_cpu_ring(struct kvm_run *run, struct fake_regs *regs,
		   unsigned int call, uint64_t gpa, unsigned int flags)
{
	(void)flags;
	run->exit_reason = KVM_EXIT_HYPERCALL;
	memset(&run->hypercall, 0, sizeof(run->hypercall));
	run->hypercall.nr = HM_SMCCC_FUNC(call);
	/* KVM leaves X0 as the guest set it: the function ID. */
	regs->result = HM_SMCCC_FUNC(call);
	regs->arg = gpa;
}

void fake_cpu_serial(struct kvm_run *run, char c)
{
	run->exit_reason = KVM_EXIT_MMIO;
	memset(&run->mmio, 0, sizeof(run->mmio));
	run->mmio.phys_addr = UART_GPA;
	run->mmio.data[0] = (uint8_t)c;
	run->mmio.len = 1;
	run->mmio.is_write = 1;
}

bool fake_cpu_is_serial(const struct kvm_run *run)
{
	return run->exit_reason == KVM_EXIT_MMIO &&
	       run->mmio.phys_addr == UART_GPA;
}

/* X0 or X1, as KVM names them; NULL for any other register. */
static uint64_t *core_reg(struct fake_regs *regs, uint64_t id)
{
	if (id == ARM64_CORE_REG(regs.regs[0]))
		return &regs->result;
	if (id == ARM64_CORE_REG(regs.regs[1]))
		return &regs->arg;
	return NULL;
}

int fake_cpu_ioctl(struct fake_regs *regs, unsigned long request, void *arg)
{
	struct kvm_one_reg *reg = arg;
	uint64_t *value;

	if (request != KVM_GET_ONE_REG && request != KVM_SET_ONE_REG)
		return -ENOTTY;
	if (request == KVM_GET_ONE_REG) {
		regs->reads++;
		if (regs->read_error)
			return -regs->read_error;
	} else {
		regs->writes++;
	}
	value = core_reg(regs, reg->id);
	if (!value)
		return -ENOENT;
	if (request == KVM_GET_ONE_REG)
		memcpy((void *)(uintptr_t)reg->addr, value, sizeof(*value));
	else
		memcpy(value, (const void *)(uintptr_t)reg->addr,
		       sizeof(*value));
	return 0;
}
