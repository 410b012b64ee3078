// SPDX-License-Identifier: MIT
/*
 * The linux board: a PC as Linux boots on it. The in-kernel PIC, IOAPIC,
 * LAPICs and PIT, an MP table, an e820 map, the 8250 at COM1 and the
 * i8042's reset line; the kernel (vmlinux through PVH, or bzImage) on the
 * boot CPU, the others started by the kernel with INIT/SIPI.
 */
#include <linux/kvm.h>

#include "internal.h"

/* Where KVM on VMX keeps its real-mode TSS: three pages below 4 GiB. */
#define TSS_ADDR 0xfffbd000ul
#define COM1_PORT 0x3f8
#define COM1_IRQ 4
#define I8042_COMMAND_PORT 0x64
#define I8042_CMD_RESET 0xfe

/* The PIC, IOAPIC and LAPICs in KVM, and the PIT; before any vCPU. */
static int create_platform(struct vmm *vm)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	int ret;

	ret = kvm_ioctl_value(vm->fd, KVM_SET_TSS_ADDR, TSS_ADDR);
	if (ret >= 0)
		ret = kvm_ioctl_value(vm->fd, KVM_CREATE_IRQCHIP, 0);
	if (ret >= 0)
		ret = kvm_ioctl(vm->fd, KVM_CREATE_PIT2, &pit);
	return ret < 0 ? ret : 0;
}

static void i8042_trap(struct vmm_cpu *cpu, uint64_t addr, uint8_t *data,
		       uint32_t len, int is_write, void *opaque)
{
	(void)addr;
	(void)len;
	(void)opaque;
	if (!is_write)
		*data = 0xff;
	else if (*data == I8042_CMD_RESET)
		vmm_stop_with(cpu->vm, VMM_STOP_RESET, cpu->index);
}

static int i8042_device_init(struct vmm *vm)
{
	return trap_register(vm, TRAP_PIO, I8042_COMMAND_PORT, 1, i8042_trap,
			     NULL);
}

static int setup(struct vmm *vm, const struct vmm_config *config)
{
	int ret = create_platform(vm);

	if (!ret)
		ret = serial_device_init(vm, TRAP_PIO, COM1_PORT, COM1_IRQ);
	if (!ret)
		ret = i8042_device_init(vm);
	if (!ret)
		ret = x86_load_linux(vm, config);
	if (!ret)
		ret = x86_write_mptable(vm);
	return ret;
}

static int setup_cpu(struct vmm_cpu *cpu, const struct vmm_config *config)
{
	int ret = x86_setup_cpuid(cpu, config->cpuid_hide);

	if (ret || cpu->index)
		return ret;
	return x86_enter_linux(cpu);
}

/* With the LAPIC in KVM a halted vCPU waits there: HLT here is the end. */
static int halt(struct vmm_cpu *cpu)
{
	vmm_stop_with(cpu->vm, VMM_STOP_POWEROFF, cpu->index);
	return 1;
}

const struct board linux_board = {
	.name = "linux",
	.default_mem_size = VMM_LINUX_DEFAULT_MEM_SIZE,
	.min_mem_size = 64ull << 20,
	.max_mem_size = LOW_RAM_END,
	.max_cpus = VMM_MAX_CPUS,
	.setup = setup,
	.setup_cpu = setup_cpu,
	.halt = halt,
};
