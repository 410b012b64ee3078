// SPDX-License-Identifier: MIT
/*
 * The linux boards' 8250 UART on the trap registry (its model is
 * serial.c): at COM1 on x86, in MMIO on arm64.
 */
#include <linux/kvm.h>
#include <string.h>

#include "internal.h"

static void serial_output(void *opaque, const char *buf, size_t len)
{
	vmm_console_write(opaque, -1, buf, len);
}

static void serial_set_irq(void *opaque, int level)
{
	struct vmm *vm = opaque;
	struct kvm_irq_level irq = { .irq = vm->serial_irq, .level = level };

	kvm_ioctl(vm->fd, KVM_IRQ_LINE, &irq);
}

/* The UART's registers are bytes; wider accesses read as all ones. */
static void serial_trap(struct vmm_cpu *cpu, uint64_t addr, uint8_t *data,
			uint32_t len, int is_write, void *opaque)
{
	if (len == 1)
		serial_io(opaque, (unsigned int)(addr - cpu->vm->serial_base),
			  data, is_write);
	else if (!is_write)
		memset(data, 0xff, len);
}

int serial_device_init(struct vmm *vm, enum trap_space space, uint64_t base,
		       uint32_t irq)
{
	vm->serial_base = base;
	vm->serial_irq = irq;
	vm->serial.set_irq = serial_set_irq;
	vm->serial.output = serial_output;
	vm->serial.opaque = vm;
	return trap_register(vm, space, base, 8, serial_trap, &vm->serial);
}
