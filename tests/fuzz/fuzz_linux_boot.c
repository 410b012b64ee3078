// SPDX-License-Identifier: MIT
/*
 * The VMM core's kernel loader, x86_load_linux() (vmm/src/x86/load.c), on any
 * file handed to --kernel: an ELF vmlinux with its PVH note or a bzImage:
 * whatever the file says, the loader either loads it within guest RAM, a
 * bzImage's entry inside what it loaded, or returns a negative errno.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_vmm.h"

#define RAM_SIZE (64ull << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vmm vm;
	struct vmm_config config = {
		.board = VMM_BOARD_LINUX, .kernel = fuzz_file(data, size),
	};
	int err;

	fuzz_vmm_init(&vm, RAM_SIZE);
	err = x86_load_linux(&vm, &config);
	FUZZ_CHECK(err <= 0);
	if (!err)
		FUZZ_CHECK(vm.kernel_end <= RAM_SIZE);
	/* A bzImage's 64-bit entry lies in the memory it was given. */
	if (!err && !vm.pvh)
		FUZZ_CHECK(vm.entry < vm.kernel_end);
	free(vm.cmdline);
	hm_vm_free(vm.hm);
	return 0;
}
