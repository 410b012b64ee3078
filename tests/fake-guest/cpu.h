/* SPDX-License-Identifier: MIT */
/*
 * The simulated guests' architecture, chosen by Meson as the library's is
 * (x86.c, arm64.c): the exits a doorbell and a byte to the VMM's UART make,
 * and the registers the library reads and writes around a call.
 */
#ifndef FAKE_CPU_H
#define FAKE_CPU_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

/* A vCPU's registers, as far as a doorbell uses them. */
struct fake_regs {
	uint64_t arg;		/* the region's GPA: x86 RBX, arm64 X1 */
	uint64_t result;	/* arm64: X0 after the call; x86: unused */
	unsigned int reads;	/* KVM_GET_REGS or KVM_GET_ONE_REG calls */
	unsigned int writes;	/* KVM_SET_ONE_REG calls */
	int read_error;		/* reads fail with it, 0: they work */
};

/* How a doorbell rings, beside the architecture's usual way. */
#define FAKE_RING_VMCALL 1u	/* x86: VMCALL, not OUT */
#define FAKE_RING_SYNCED 2u	/* x86: RBX in kvm_run's synced registers */

/*
 * Put in @run and @regs the exit of doorbell @call for the region at @gpa:
 * x86 an OUT to HM_X86_PORT (or VMCALL), arm64 an HVC that KVM's SMCCC
 * filter forwards. arm64 has one doorbell and no synced registers: it
 * takes no @flags.
 */
void fake_cpu_ring(struct kvm_run *run, struct fake_regs *regs,
		   unsigned int call, uint64_t gpa, unsigned int flags);

/* A byte @c to the VMM's UART: x86 port I/O, arm64 MMIO. */
void fake_cpu_serial(struct kvm_run *run, char c);
bool fake_cpu_is_serial(const struct kvm_run *run);

/*
 * A register ioctl of the vCPU on @regs: 0, -errno as KVM fails it, or
 * -ENOTTY when @request is not one.
 */
int fake_cpu_ioctl(struct fake_regs *regs, unsigned long request, void *arg);

#endif
