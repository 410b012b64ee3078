// SPDX-License-Identifier: MIT
/*
 * Loading an arm64 Image (Documentation/arch/arm64/booting.rst): the
 * kernel at the bottom of RAM where its header says, the device tree in
 * the last 2 MiB, the initrd right below it. booting.rst wants the initrd
 * and the kernel in one 1 GiB aligned window of at most 32 GiB: the
 * board's RAM ends below 32 GiB.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arm64.h"
#include "image.h"

static int load_image(struct vmm *vm, const char *path)
{
	struct file_image file;
	struct arm64_image img;
	int ret;

	ret = file_map(path, &file);
	if (ret)
		return ret;
	ret = arm64_image_place(file.data, file.size, vm->ram_base,
				vm->ram_size, &img);
	if (!ret)
		ret = vmm_copy_to_guest(vm, img.load, file.data,
					img.copy_size);
	file_unmap(&file);
	if (ret)
		return ret;
	vm->entry = img.load;
	vm->kernel_end = img.end;
	return 0;
}

static int keep_cmdline(struct vmm *vm, const char *cmdline)
{
	if (!cmdline)
		cmdline = "";
	if (strlen(cmdline) >= CMDLINE_MAX_ARM64)
		return -E2BIG;
	vm->cmdline = strdup(cmdline);
	if (!vm->cmdline)
		return -ENOMEM;
	return 0;
}

int arm64_load_linux(struct vmm *vm, const struct vmm_config *config)
{
	int ret = load_image(vm, config->kernel);

	if (ret)
		return ret;
	vm->dtb_gpa = vm->ram_base + vm->ram_size - DTB_REGION;
	if (vm->kernel_end > vm->dtb_gpa)
		return -E2BIG;
	ret = keep_cmdline(vm, config->cmdline);
	if (!ret && config->initrd)
		ret = file_load_initrd(vm, config->initrd, vm->dtb_gpa);
	return ret;
}
