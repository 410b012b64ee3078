// SPDX-License-Identifier: MIT
/*
 * One request: the op goes into the region, the guest runs until it rings
 * the reply doorbell (the VMM's own exits handed to its exit handler on the
 * way), under the event's deadline; then the reply's header is checked once.
 */
#include <errno.h>
#include <linux/kvm.h>

#include "internal.h"

/*
 * Enter the guest once. KVM_RUN interrupted by our own kick is retried
 * until the deadline; one interrupted by another signal returns -EINTR so
 * that the VMM's exit handler can see it (a stop request, say).
 */
static int run_guest(struct hm_vcpu *vcpu)
{
	for (;;) {
		int err;

		vcpu->stats.ioctls++;
		err = seam_kvm_run(vcpu);
		if (!err)
			return 0;
		if (err != -EINTR && err != -EAGAIN)
			return err;
		if (watchdog_expired(vcpu))
			return -ETIMEDOUT;
		vcpu->run->immediate_exit = 0;
		if (err == -EINTR && !watchdog_take_kick())
			return -EINTR;
	}
}

/* Exits that are not hypermem's during a request belong to the VMM. */
static int foreign_exit(struct hm_vcpu *vcpu, bool interrupted)
{
	struct hm_vm *vm = vcpu->vm;
	int err;

	if (!vm->exit_fn)
		return interrupted ? 0 : -EIO;
	if (interrupted)
		vcpu->run->exit_reason = KVM_EXIT_INTR;
	err = vm->exit_fn(vcpu, vcpu->run, vm->exit_opaque);
	if (err)
		return err < 0 ? err : -EIO;
	return 0;
}

/* Resume the guest until it replies; other exits go to the VMM. */
/* 1: the guest replied; 0: not a hypermem call; < 0: the wrong call. */
static int reply_call(struct hm_vcpu *vcpu)
{
	struct doorbell call;

	if (!arch_decode_call(vcpu, &call))
		return 0;
	arch_complete_call(vcpu, 0);
	if (!call.malformed && call.nr == HM_CALL_REPLY)
		return 1;
	return protocol_error(vcpu);
}

static int drive(struct hm_vcpu *vcpu)
{
	int err;

	watchdog_start_deadline(vcpu);
	for (;;) {
		err = run_guest(vcpu);
		if (!err) {
			int replied;

			vcpu->stats.exits++;
			replied = reply_call(vcpu);
			if (replied)
				return replied < 0 ? replied : 0;
		} else if (err != -EINTR) {
			return err;
		}
		err = foreign_exit(vcpu, err == -EINTR);
		if (err)
			return err;
		if (watchdog_expired(vcpu))
			return -ETIMEDOUT;
	}
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

	set_region_header(vcpu->region, op, addr, size);
	vcpu->stats.round_trips++;
	vcpu->in_op = true;
	err = vcpu->mb ? mailbox_drive(vcpu) : drive(vcpu);
	vcpu->in_op = false;
	if (err) {
		/*
		 * The guest's state is unknown: abandon the event rather than
		 * mistake a late answer for the next request's.
		 */
		if (err == -ETIMEDOUT)
			vcpu->stats.timeouts++;
		vcpu->event_error = err;
		return err;
	}
	return check_reply(vcpu, reply);
}
