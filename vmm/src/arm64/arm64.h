/* SPDX-License-Identifier: MIT */
/*
 * What the arm64 linux board's files share: its guest-physical layout,
 * QEMU virt's below RAM, and their entry points.
 */
#ifndef VMM_ARM64_H
#define VMM_ARM64_H

#include <linux/kvm.h>
#include <stddef.h>

#include "arm64-regs.h"
#include "internal.h"

#define GIC_DIST_GPA 0x08000000ull
#define GIC_DIST_SIZE 0x10000ull
#define GIC_REDIST_GPA 0x080a0000ull
/* Two 64 KiB frames per vCPU (KVM's devices/arm-vgic-v3.rst). */
#define GIC_REDIST_SIZE 0x20000ull
#define UART_GPA 0x09000000ull
#define UART_SIZE 0x1000ull
#define UART_SPI 1
/* GIC interrupt IDs: SPI n is 32 + n. */
#define GIC_SPI_BASE 32
/*
 * The device tree gets the last 2 MiB of RAM: booting.rst allows it 2 MiB
 * and maps it with blocks of up to that size. What it needs is far less.
 */
#define DTB_REGION (2ull << 20)
#define DTB_MAX_SIZE (64u << 10)
/* The kernel's COMMAND_LINE_SIZE on arm64, its NUL included. */
#define CMDLINE_MAX_ARM64 2048

/* cpu.c */
int arm64_get_reg(struct vmm_cpu *cpu, uint64_t id, uint64_t *value);
int arm64_set_reg(struct vmm_cpu *cpu, uint64_t id, uint64_t value);
/* KVM_ARM_VCPU_INIT; the boot CPU entered at the kernel with the DTB. */
int arm64_init_cpu(struct vmm_cpu *cpu);

/* load.c: kernel, initrd and command line; where the DTB goes. */
int arm64_load_linux(struct vmm *vm, const struct vmm_config *config);

/* fdt.c: the device tree at vm->dtb_gpa. */
int arm64_write_fdt(struct vmm *vm);

#endif
