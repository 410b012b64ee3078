// SPDX-License-Identifier: MIT
/*
 * linux-boot's kernel loader, lb_load_kernel() (tools/linux-boot/src/
 * load.c), on any file handed to --kernel: an ELF vmlinux with its PVH
 * note or a bzImage: whatever the file says, the loader either loads it
 * within guest RAM or returns a negative errno.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "fuzz_file.h"
#include "internal.h"

#define RAM_SIZE (64ull << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lb_vm vm;
	struct lb_options opts = { .kernel = fuzz_file(data, size) };
	int err;

	memset(&vm, 0, sizeof(vm));
	vm.ram = fuzz_ram(RAM_SIZE);
	vm.ram_size = RAM_SIZE;
	err = lb_load_kernel(&vm, &opts);
	FUZZ_CHECK(err <= 0);
	if (!err)
		FUZZ_CHECK(vm.kernel_end <= RAM_SIZE);
	free(vm.cmdline);
	return 0;
}
