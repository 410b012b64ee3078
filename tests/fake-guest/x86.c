// SPDX-License-Identifier: MIT
/*
 * The x86 side of the simulated guests: doorbells by OUT or VMCALL, a
 * 16550 UART at COM1, RBX through KVM_GET_REGS.
 */
#include <errno.h>
#include <string.h>

#include <hypermem/protocol.h>

#include "cpu.h"

#define UART_PORT 0x3f8

/* kvm_run is followed by a page whose start holds the OUT's data. */
static void port_out_exit(struct kvm_run *run, uint16_t port, uint32_t value,
			  uint8_t size)
{
	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = KVM_EXIT_IO_OUT;
	run->io.size = size;
	run->io.port = port;
	run->io.count = 1;
	run->io.data_offset = 4096;
	memcpy((uint8_t *)run + 4096, &value, sizeof(value));
}

void fake_cpu_ring(struct kvm_run *run, struct fake_regs *regs,
		   unsigned int call, uint64_t gpa, unsigned int flags)
{
	if (flags & FAKE_RING_VMCALL) {
		run->exit_reason = KVM_EXIT_HYPERCALL;
		run->hypercall.nr = HM_KVM_HC_MAP_GPA_RANGE;
		run->hypercall.args[0] = gpa;
		run->hypercall.args[1] = HM_VMCALL_NPAGES(call);
		run->hypercall.args[2] = 0;
		/* What the host must overwrite. */
		run->hypercall.ret = 0xdead;
		return;
	}
	port_out_exit(run, HM_X86_PORT, call, 4);
	regs->arg = gpa;
	if (flags & FAKE_RING_SYNCED) {
		run->kvm_valid_regs |= KVM_SYNC_X86_REGS;
		run->s.regs.regs.rbx = gpa;
	}
}

void fake_cpu_serial(struct kvm_run *run, char c)
{
	port_out_exit(run, UART_PORT, (uint8_t)c, 1);
}

bool fake_cpu_is_serial(const struct kvm_run *run)
{
	return run->exit_reason == KVM_EXIT_IO && run->io.port == UART_PORT;
}

int fake_cpu_ioctl(struct fake_regs *regs, unsigned long request, void *arg)
{
	struct kvm_regs *kregs = arg;

	if (request != KVM_GET_REGS)
		return -ENOTTY;
	regs->reads++;
	if (regs->read_error)
		return -regs->read_error;
	memset(kregs, 0, sizeof(*kregs));
	kregs->rbx = regs->arg;
	return 0;
}
