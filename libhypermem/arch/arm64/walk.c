// SPDX-License-Identifier: MIT
/* No arm64 page walker yet: direct reads report it, hybrid ones fall back. */
#include <errno.h>

#include "../../src/internal.h"

int arch_read_paging(struct hm_vcpu *vcpu, struct paging *paging)
{
	(void)vcpu;
	(void)paging;
	return -EOPNOTSUPP;
}

int arch_walk(const struct hm_vm *vm, const struct paging *paging,
	      uint64_t va, struct hm_translation *ret)
{
	(void)vm;
	(void)paging;
	(void)va;
	(void)ret;
	return -EOPNOTSUPP;
}
