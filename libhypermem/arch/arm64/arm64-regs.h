/* SPDX-License-Identifier: MIT */
/*
 * arm64 register ids for KVM_{GET,SET}_ONE_REG (KVM api.rst, "ARM64 core
 * registers"), shared by the library's doorbell, the VMM core's arm64
 * board, the fake HVC of the unit tests and the kvm suite's test-hvc.
 */
#ifndef HYPERMEM_ARM64_REGS_H
#define HYPERMEM_ARM64_REGS_H

#include <linux/kvm.h>

/* A 64-bit core register's id: x is a path into struct kvm_regs. */
#define ARM64_CORE_REG(x) (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | \
			   KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(x))

#endif
