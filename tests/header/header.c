/* SPDX-License-Identifier: MIT */
/* Compiles the public headers alone, in every dialect they promise. */
#include <hypermem/protocol.h>
#include <hypermem/hypermem.h>

int main(void)
{
	struct hm_region region;

	return sizeof(region) == HM_PAGE_SIZE ? 0 : 1;
}
