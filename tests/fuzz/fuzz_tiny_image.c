// SPDX-License-Identifier: MIT
/*
 * tiny-vmm's guest-tiny image loader, tvm_load_elf() (examples/tiny-vmm/
 * loader.c), on any file: it loads PT_LOAD segments within guest RAM or
 * returns a negative errno.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "fuzz_file.h"
#include "vm.h"

#define RAM_SIZE (16ull << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tvm vm;
	uint64_t entry = 0;
	int err;

	vm.mem = fuzz_ram(RAM_SIZE);
	vm.mem_size = RAM_SIZE;
	err = tvm_load_elf(&vm, fuzz_file(data, size), &entry);
	FUZZ_CHECK(err <= 0);
	return 0;
}
