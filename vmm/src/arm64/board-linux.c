// SPDX-License-Identifier: MIT
/*
 * The arm64 linux board, in kvmtool's order: the in-kernel GICv3 before
 * the vCPUs, its initialization once they all exist; the 8250 in MMIO;
 * the kernel, initrd and device tree in RAM. The boot CPU enters the
 * kernel; the kernel starts the others through KVM's PSCI, which also
 * ends the run (KVM_EXIT_SYSTEM_EVENT). WFI waits inside KVM.
 */
#include <linux/kvm.h>
#include <stdint.h>

#include "arm64.h"

static int gic_addr(struct vmm *vm, uint64_t type, uint64_t gpa)
{
	struct kvm_device_attr attr = {
		.group = KVM_DEV_ARM_VGIC_GRP_ADDR,
		.attr = type,
		.addr = (uintptr_t)&gpa,
	};
	int ret = kvm_ioctl(vm->irqchip_fd, KVM_SET_DEVICE_ATTR, &attr);

	return ret < 0 ? ret : 0;
}

static int create_gic(struct vmm *vm)
{
	struct kvm_create_device dev = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	int ret;

	ret = kvm_ioctl(vm->fd, KVM_CREATE_DEVICE, &dev);
	if (ret < 0)
		return ret;
	vm->irqchip_fd = (int)dev.fd;
	ret = gic_addr(vm, KVM_VGIC_V3_ADDR_TYPE_DIST, GIC_DIST_GPA);
	if (!ret)
		ret = gic_addr(vm, KVM_VGIC_V3_ADDR_TYPE_REDIST,
			       GIC_REDIST_GPA);
	return ret;
}

/* KVM api.rst, KVM_IRQ_LINE: an SPI's type in bits 27:24, its ID below. */
static uint32_t spi_line(unsigned int spi)
{
	return KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT |
	       (GIC_SPI_BASE + spi);
}

static int setup(struct vmm *vm, const struct vmm_config *config)
{
	int ret = create_gic(vm);

	if (!ret)
		ret = serial_device_init(vm, TRAP_MMIO, UART_GPA,
					 spi_line(UART_SPI));
	if (!ret)
		ret = arm64_load_linux(vm, config);
	if (!ret)
		ret = arm64_write_fdt(vm);
	return ret;
}

static int setup_cpu(struct vmm_cpu *cpu, const struct vmm_config *config)
{
	(void)config;
	return arm64_init_cpu(cpu);
}

/* The redistributors are the vCPUs': the GIC is ready once they exist. */
static int setup_late(struct vmm *vm)
{
	struct kvm_device_attr init = {
		.group = KVM_DEV_ARM_VGIC_GRP_CTRL,
		.attr = KVM_DEV_ARM_VGIC_CTRL_INIT,
	};
	int ret = kvm_ioctl(vm->irqchip_fd, KVM_SET_DEVICE_ATTR, &init);

	return ret < 0 ? ret : 0;
}

/* RAM ends below 32 GiB, as arm64/load.c needs. */
const struct board linux_board = {
	.name = "linux",
	.ram_base = VMM_ARM64_RAM_BASE,
	.default_mem_size = VMM_LINUX_DEFAULT_MEM_SIZE,
	.min_mem_size = 64ull << 20,
	.max_mem_size = (32ull << 30) - VMM_ARM64_RAM_BASE,
	.max_cpus = VMM_MAX_CPUS,
	.setup = setup,
	.setup_cpu = setup_cpu,
	.setup_late = setup_late,
};
