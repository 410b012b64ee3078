// SPDX-License-Identifier: MIT
/*
 * The bounds of one operation (hypermem.h, "Operations"). However many
 * round trips it takes and whatever the guest answers, a public operation
 * ends by one deadline, which its first request starts, and allocates
 * within one budget, every allocation added up, its result's included.
 * An operation that calls another (hm_vcpu_read_u32() calls
 * hm_vcpu_read()) shares its bounds: the outermost one starts them.
 */
#include <errno.h>
#include <stdlib.h>

#include "internal.h"

struct hm_vcpu *op_enter(struct hm_vcpu *vcpu)
{
	if (!vcpu->op_depth++) {
		vcpu->op_timed = false;
		vcpu->op_bytes = 0;
	}
	return vcpu;
}

void op_leave(struct hm_vcpu **vcpu)
{
	(*vcpu)->op_depth--;
}

int op_deadline(struct hm_vcpu *vcpu)
{
	if (!vcpu->op_timed) {
		watchdog_start_deadline(vcpu);
		vcpu->op_timed = true;
		return 0;
	}
	return watchdog_expired(vcpu) ? -ETIMEDOUT : 0;
}

void *op_realloc(struct hm_vcpu *vcpu, void *old, size_t size, int *err)
{
	size_t budget = vcpu->vm->op_memory;
	void *p;

	if (vcpu->op_bytes > budget || size > budget - vcpu->op_bytes) {
		*err = -E2BIG;
		return NULL;
	}
	p = realloc(old, size);
	if (!p) {
		*err = -ENOMEM;
		return NULL;
	}
	vcpu->op_bytes += size;
	return p;
}
