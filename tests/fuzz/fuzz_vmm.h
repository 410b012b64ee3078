/* SPDX-License-Identifier: MIT */
/*
 * A VMM core VM with nothing but RAM, registered with libhypermem as the
 * core does it, for the fuzzers of the core's loaders.
 */
#ifndef FUZZ_VMM_H
#define FUZZ_VMM_H

#include <string.h>

#include "fuzz.h"
#include "fuzz_file.h"
#include "internal.h"

static inline void fuzz_vmm_init(struct vmm *vm, uint64_t ram_size)
{
	memset(vm, 0, sizeof(*vm));
	vm->ram = fuzz_ram(ram_size);
	vm->ram_size = ram_size;
	FUZZ_CHECK(!hm_vm_new(&vm->hm));
	FUZZ_CHECK(!hm_vm_add_ram(vm->hm, 0, ram_size, vm->ram));
}

#endif
