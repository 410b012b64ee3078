// SPDX-License-Identifier: MIT
/*
 * The arm64 Image header (Documentation/arch/arm64/booting.rst, "Call the
 * kernel image"): 64 bytes of little-endian fields at the start of the
 * file. Every value in it is checked before it places anything.
 */
#include <errno.h>
#include <string.h>

#include "image.h"

#define HDR_TEXT_OFFSET 0x08
#define HDR_IMAGE_SIZE 0x10
#define HDR_MAGIC 0x38
#define HDR_SIZE 0x40

static uint64_t get_le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/*
 * The kernel runs text_offset bytes above a 2 MiB aligned base and owns
 * image_size bytes from there (its BSS and early page tables beyond what
 * the file holds). An image_size of 0 is a kernel before 3.17, whose
 * text_offset has no defined byte order: not booted. What the file holds
 * past image_size (a signature, say) is not the kernel's and is left out.
 */
int arm64_image_place(const uint8_t *data, size_t size, uint64_t ram_base,
		      uint64_t ram_size, struct arm64_image *img)
{
	uint64_t text_offset, image_size;

	if (size < HDR_SIZE || memcmp(data + HDR_MAGIC, "ARM\x64", 4))
		return -ENOEXEC;
	text_offset = get_le64(data + HDR_TEXT_OFFSET);
	image_size = get_le64(data + HDR_IMAGE_SIZE);
	if (!image_size)
		return -ENOEXEC;
	if (text_offset > ram_size || image_size > ram_size - text_offset)
		return -E2BIG;
	img->load = ram_base + text_offset;
	img->end = img->load + image_size;
	img->copy_size = size < image_size ? size : image_size;
	return 0;
}
