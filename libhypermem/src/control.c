// SPDX-License-Identifier: MIT
/*
 * Event control: what the event handler asks the guest to do with the
 * syscall that raised the event, sent as the record that ends the event.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

static int can_control(const struct hm_vcpu *vcpu, uint32_t kind,
		       uint64_t features)
{
	if (!vcpu->region)
		return -ENOTCONN;
	if (!vcpu->in_event || vcpu->in_op)
		return -EBUSY;
	if (vcpu->event_error)
		return vcpu->event_error;
	if (vcpu->event_kind != kind)
		return -EINVAL;
	if ((vcpu->guest.features & features) != features)
		return -EOPNOTSUPP;
	return 0;
}

int hm_vcpu_set_arg(struct hm_vcpu *vcpu, unsigned int index, uint64_t value)
{
	int err = can_control(vcpu, HM_EVENT_SYSCALL_ENTER,
			      HM_FEATURE_EVENT_CONTROL);

	if (err)
		return err;
	if (index >= ARRAY_SIZE(vcpu->control.args))
		return -EINVAL;
	vcpu->control.arg_mask |= 1u << index;
	vcpu->control.args[index] = value;
	return 0;
}

/* Skip at entry and return at exit both carry the value in ret. */
static int set_ret(struct hm_vcpu *vcpu, uint32_t kind, uint32_t flag,
		   uint64_t features, uint64_t ret)
{
	int err = can_control(vcpu, kind, features);

	if (err)
		return err;
	vcpu->control.flags |= flag;
	vcpu->control.ret = ret;
	return 0;
}

int hm_vcpu_skip_syscall(struct hm_vcpu *vcpu, uint64_t ret)
{
	return set_ret(vcpu, HM_EVENT_SYSCALL_ENTER, HM_CONTROL_SKIP,
		       HM_FEATURE_EVENT_CONTROL | HM_FEATURE_SYSCALL_SKIP, ret);
}

int hm_vcpu_set_return(struct hm_vcpu *vcpu, uint64_t ret)
{
	return set_ret(vcpu, HM_EVENT_SYSCALL_EXIT, HM_CONTROL_RETURN,
		       HM_FEATURE_EVENT_CONTROL, ret);
}

void control_end_event(struct hm_vcpu *vcpu, bool clean)
{
	const struct hm_event_control *c = &vcpu->control;
	struct hm_event_control wire;
	unsigned int i;

	/* A region the guest holds now is not ours to write. */
	if (!vcpu->ops->holds_region(vcpu))
		return;
	if (!clean || (!c->flags && !c->arg_mask)) {
		set_region_header(vcpu->region, HM_OP_NONE, 0, 0);
		return;
	}
	memset(&wire, 0, sizeof(wire));
	wire.flags = hm_le32(c->flags);
	wire.arg_mask = hm_le32(c->arg_mask);
	for (i = 0; i < ARRAY_SIZE(wire.args); i++)
		wire.args[i] = hm_le64(c->args[i]);
	wire.ret = hm_le64(c->ret);
	memcpy(region_data(vcpu), &wire, sizeof(wire));
	set_region_header(vcpu->region, HM_OP_EVENT_END, 0, sizeof(wire));
}
