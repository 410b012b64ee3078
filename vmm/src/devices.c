// SPDX-License-Identifier: MIT
/*
 * The PC devices of the linux board, on the trap registry: the 8250 UART
 * at COM1 (its model is serial.c) and the i8042's reset line.
 */
#include <linux/kvm.h>
#include <string.h>

#include "internal.h"

#define COM1_PORT 0x3f8
#define COM1_IRQ 4
#define I8042_COMMAND_PORT 0x64
#define I8042_CMD_RESET 0xfe

static void serial_output(void *opaque, const char *buf, size_t len)
{
	vmm_console_write(opaque, -1, buf, len);
}

static void serial_set_irq(void *opaque, int level)
{
	struct vmm *vm = opaque;
	struct kvm_irq_level irq = { .irq = COM1_IRQ, .level = level };

	kvm_ioctl(vm->fd, KVM_IRQ_LINE, &irq);
}

/* The UART's registers are bytes; wider accesses read as all ones. */
static void serial_trap(struct vmm_cpu *cpu, uint64_t addr, uint8_t *data,
			uint32_t len, int is_write, void *opaque)
{
	(void)cpu;
	if (len == 1)
		serial_io(opaque, (unsigned int)(addr - COM1_PORT), data,
			  is_write);
	else if (!is_write)
		memset(data, 0xff, len);
}

int serial_device_init(struct vmm *vm)
{
	vm->serial.set_irq = serial_set_irq;
	vm->serial.output = serial_output;
	vm->serial.opaque = vm;
	return trap_register(vm, TRAP_PIO, COM1_PORT, 8, serial_trap,
			     &vm->serial);
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

int i8042_device_init(struct vmm *vm)
{
	return trap_register(vm, TRAP_PIO, I8042_COMMAND_PORT, 1, i8042_trap,
			     NULL);
}
