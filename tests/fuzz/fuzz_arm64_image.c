// SPDX-License-Identifier: MIT
/*
 * The arm64 Image header's checks, arm64_image_place()
 * (vmm/src/arm64/image.c), on any file handed to --kernel on arm64:
 * whatever its header says, the kernel's image_size bytes lie in guest
 * RAM with no more of the file copied than the file has and they hold,
 * or the check returns -ENOEXEC or -E2BIG.
 */
#include <errno.h>
#include <stdint.h>

#include "fuzz.h"
#include "image.h"

#define RAM_BASE 0x80000000ull
#define RAM_SIZE (64ull << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arm64_image img;
	int err = arm64_image_place(data, size, RAM_BASE, RAM_SIZE, &img);

	FUZZ_CHECK(!err || err == -ENOEXEC || err == -E2BIG);
	if (err)
		return 0;
	FUZZ_CHECK(img.load >= RAM_BASE && img.load <= img.end &&
		   img.end <= RAM_BASE + RAM_SIZE);
	FUZZ_CHECK(img.copy_size <= size &&
		   img.copy_size <= img.end - img.load);
	return 0;
}
