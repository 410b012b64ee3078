// SPDX-License-Identifier: MIT
/*
 * The trap registry (kvmtool's kvm__register_iotrap): devices claim a
 * port-I/O or MMIO range, and the exit dispatcher hands each access to the
 * device that claimed it. What nobody claims reads as all ones and ignores
 * writes, as on an ISA bus.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <string.h>

#include "internal.h"

int trap_register(struct vmm *vm, enum trap_space space, uint64_t addr,
		  uint64_t len, trap_fn fn, void *opaque)
{
	struct trap *t;

	if (vm->nr_traps == MAX_TRAPS || !len || addr + len < addr)
		return -EINVAL;
	t = &vm->traps[vm->nr_traps++];
	*t = (struct trap){ space, addr, len, fn, opaque };
	return 0;
}

static const struct trap *find(struct vmm *vm, enum trap_space space,
			       uint64_t addr, uint32_t len)
{
	unsigned int i;

	for (i = 0; i < vm->nr_traps; i++) {
		const struct trap *t = &vm->traps[i];

		if (t->space == space && addr >= t->addr &&
		    addr - t->addr < t->len && len <= t->len - (addr - t->addr))
			return t;
	}
	return NULL;
}

static void route(struct vmm_cpu *cpu, enum trap_space space, uint64_t addr,
		   uint8_t *data, uint32_t len, int is_write)
{
	const struct trap *t = find(cpu->vm, space, addr, len);

	if (t)
		t->fn(cpu, addr, data, len, is_write, t->opaque);
	else if (!is_write)
		memset(data, 0xff, len);
}

/* A string instruction's count arrives as one exit. */
void trap_io(struct vmm_cpu *cpu)
{
	struct kvm_run *run = cpu->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	uint32_t i;

	for (i = 0; i < run->io.count; i++, data += run->io.size)
		route(cpu, TRAP_PIO, run->io.port, data, run->io.size,
		       run->io.direction == KVM_EXIT_IO_OUT);
}

void trap_mmio(struct vmm_cpu *cpu)
{
	struct kvm_run *run = cpu->run;
	uint32_t len = run->mmio.len;

	if (len > sizeof(run->mmio.data))
		len = sizeof(run->mmio.data);
	route(cpu, TRAP_MMIO, run->mmio.phys_addr, run->mmio.data, len,
	       run->mmio.is_write);
}
