/* SPDX-License-Identifier: MIT */
/*
 * The arm64 Image header's checks, on their own so that a fuzzer can run
 * them on any host.
 */
#ifndef VMM_ARM64_IMAGE_H
#define VMM_ARM64_IMAGE_H

#include <stddef.h>
#include <stdint.h>

/* Where an Image goes in guest RAM, all guest-physical. */
struct arm64_image {
	uint64_t load;		/* its first byte, where the kernel is entered */
	uint64_t copy_size;	/* bytes of the file copied there */
	uint64_t end;		/* the end of the image_size bytes it owns */
};

/*
 * Check the header of the Image in @p data (@p size bytes, the whole file)
 * and place it at the bottom of the RAM at [@p ram_base, + @p ram_size),
 * ram_base 2 MiB aligned. @return 0; -ENOEXEC when the file is not an
 * Image a kernel can be started from; -E2BIG when it does not fit.
 */
int arm64_image_place(const uint8_t *data, size_t size, uint64_t ram_base,
		      uint64_t ram_size, struct arm64_image *img);

#endif
