// SPDX-License-Identifier: MIT
/*
 * The VMM core's ELF loader as the tiny board uses it, x86_load_elf()
 * (vmm/src/x86/load.c), on any guest-tiny image: it loads PT_LOAD segments
 * within guest RAM or returns a negative errno.
 */
#include <stdint.h>

#include <tiny/boot.h>

#include "fuzz_vmm.h"

#define RAM_SIZE (16ull << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vmm vm;
	uint64_t entry = 0;
	int err;

	fuzz_vmm_init(&vm, RAM_SIZE);
	err = x86_load_elf(&vm, fuzz_file(data, size), TINY_BOOT_INFO + 4096,
			   &entry);
	FUZZ_CHECK(err <= 0);
	hm_vm_free(vm.hm);
	return 0;
}
