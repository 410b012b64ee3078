// SPDX-License-Identifier: MIT
/*
 * The exit transport: a vCPU of the VMM's, its calls doorbells that exit
 * KVM_RUN (decoded by the architecture code). A request runs the guest
 * until it rings the reply doorbell, the VMM's own exits handed to its exit
 * handler on the way, under the operation's deadline (operation.c).
 */
#include <errno.h>
#include <linux/kvm.h>

#include "internal.h"

int vcpu_kvm_ioctl(struct hm_vcpu *vcpu, unsigned long request, void *arg)
{
	int ret;

	do {
		vcpu->stats.ioctls++;
		ret = seam_vcpu_ioctl(vcpu, request, arg);
	} while (ret == -EINTR);
	return ret;
}

/*
 * KVM_RUN until the guest exits. One interrupted by our own kick is retried
 * until the deadline; one interrupted by another signal returns -EINTR so
 * that the VMM's exit handler can see it (a stop request, say).
 */
static int run_to_next_exit(struct hm_vcpu *vcpu)
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

	/*
	 * The first request resumes the event's own call: KVM returns it
	 * whatever result the exit holds (protocol.h: the host sets 0).
	 */
	if (vcpu->call_open) {
		arch_complete_call(vcpu, 0);
		vcpu->call_open = false;
	}
	for (;;) {
		err = run_to_next_exit(vcpu);
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

/* An exit the VMM's KVM_RUN loop hands over, outside any request. */
static int handle_exit(struct hm_vcpu *vcpu)
{
	struct doorbell call;
	int err;

	if (!arch_decode_call(vcpu, &call))
		return 0;
	if (vcpu->in_event) {
		/* The VMM's exit handler must not feed our own calls back. */
		arch_complete_call(vcpu, -EBUSY);
		return -EBUSY;
	}
	vcpu->call_open = true;
	err = vcpu_dispatch(vcpu, &call);
	vcpu->call_open = false;
	arch_complete_call(vcpu, err);
	return err ? err : 1;
}

static void *translate(const struct hm_vcpu *vcpu, uint64_t gpa,
		       uint64_t len)
{
	return vm_translate(vcpu->vm, gpa, len);
}

/* The guest stops while the host works: the region is never its now. */
static bool holds_region(const struct hm_vcpu *vcpu)
{
	(void)vcpu;
	return true;
}

static const struct transport_ops kvm_transport = {
	.drive = drive,
	.translate = translate,
	.call_gpa = arch_call_gpa,
	.read_paging = arch_read_paging,
	.holds_region = holds_region,
	.arm_watchdog = watchdog_arm,
	.disarm_watchdog = watchdog_disarm,
	.handle_exit = handle_exit,
	.free = vcpu_release,
};

int hm_vcpu_new(struct hm_vm *vm, int fd, struct kvm_run *run,
		struct hm_vcpu **ret)
{
	struct hm_vcpu *vcpu;
	int err;

	if (fd < 0 || !run)
		return -EINVAL;
	err = watchdog_install(vm->kick_signal);
	if (err)
		return err;
	vcpu = vcpu_alloc(vm, &kvm_transport);
	if (!vcpu)
		return -ENOMEM;
	vcpu->fd = fd;
	vcpu->run = run;
	*ret = vcpu;
	return 0;
}
