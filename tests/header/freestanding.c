/* SPDX-License-Identifier: MIT */
#include <hypermem/protocol.h>

unsigned long hm_freestanding_region_size(void);

unsigned long hm_freestanding_region_size(void)
{
	return sizeof(struct hm_region);
}
