// SPDX-License-Identifier: MIT
/*
 * One request: the op goes into the region, the vCPU's transport hands it
 * to the guest and waits for the answer, under the deadline of the
 * operation it is part of (operation.c); then the reply's header is
 * checked once, and an error the guest reports is checked against what it
 * may report.
 */
#include <errno.h>

#include "internal.h"

/*
 * What a guest may report (protocol.h): errors about its own objects, never
 * one that the caller would take for the library's own state.
 */
static const uint8_t guest_errnos[] = { HM_GUEST_ERRNOS };

int reported_errno(uint64_t value, bool name)
{
	size_t i;

	if (value == 0)
		return -EFAULT;
	if (name && value == HM_ENAMETOOLONG)
		return -ENAMETOOLONG;
	for (i = 0; i < ARRAY_SIZE(guest_errnos); i++)
		if (value == guest_errnos[i])
			return -(int)value;
	return -EPROTO;
}

int guest_errno(struct hm_vcpu *vcpu, uint64_t value)
{
	int err = reported_errno(value, false);

	return err == -EPROTO ? protocol_error(vcpu) : err;
}

int guest_name_errno(struct hm_vcpu *vcpu, uint64_t value)
{
	int err = reported_errno(value, true);

	return err == -EPROTO ? protocol_error(vcpu) : err;
}

static int check_reply(struct hm_vcpu *vcpu, struct reply *reply)
{
	const struct hm_region *r = vcpu->region;

	reply->code = hm_le64(r->op);
	reply->addr = hm_le64(r->addr);
	reply->size = hm_le64(r->size);
	switch (reply->code) {
	case HM_RESP_READ_OK:
	case HM_RESP_READ_PARTIAL:
	case HM_RESP_WRITE_OK:
	case HM_RESP_WRITE_FAIL:
		if (reply->size > vcpu->chunk)
			return protocol_error(vcpu);
		return 0;
	case HM_RESP_READ_FAIL:
	case HM_RESP_READ_NUM:
		return 0;
	default:
		return protocol_error(vcpu);
	}
}

int vcpu_can_request(const struct hm_vcpu *vcpu)
{
	if (!vcpu->region)
		return -ENOTCONN;
	if (!vcpu->in_event || vcpu->in_op)
		return -EBUSY;
	return vcpu->event_error;
}

int vcpu_request(struct hm_vcpu *vcpu, uint64_t op, uint64_t addr,
		 uint64_t size, struct reply *reply)
{
	int err = vcpu_can_request(vcpu);

	if (err)
		return err;

	/* One deadline for the operation, whatever its number of requests. */
	err = op_deadline(vcpu);
	if (!err) {
		set_region_header(vcpu->region, op, addr, size);
		vcpu->stats.round_trips++;
		vcpu->in_op = true;
		err = vcpu->ops->drive(vcpu);
		vcpu->in_op = false;
	}
	if (err) {
		/*
		 * The guest's state is unknown: abandon the event rather than
		 * mistake a late answer for the next request's. A deadline
		 * that passed between two requests abandons it too: what took
		 * the operation that long would take the next one as long.
		 */
		if (err == -ETIMEDOUT)
			vcpu->stats.timeouts++;
		vcpu->event_error = err;
		return err;
	}
	return check_reply(vcpu, reply);
}
