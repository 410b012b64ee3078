/* SPDX-License-Identifier: MIT */
/*
 * Test seams, built only into the unit tests' and fuzzers' static copy of
 * the library (HM_TEST_SEAMS): KVM_RUN, the vCPU's other ioctls and the
 * monotonic clock can be replaced, so that a test plays the guest in its
 * own thread and decides when time passes. The installed library has none
 * of this: there KVM_RUN and the register ioctls are ioctl() and the clock
 * is clock_gettime(), inline (internal.h).
 */
#ifndef HYPERMEM_SEAMS_H
#define HYPERMEM_SEAMS_H

#include <time.h>

struct hm_vcpu;

struct hm_seams {
	/* Instead of KVM_RUN: 0 with an exit in kvm_run, or -errno. */
	int (*kvm_run)(struct hm_vcpu *vcpu, void *opaque);
	/*
	 * Instead of the vCPU's other ioctls (its registers): what the
	 * ioctl returns, or -errno.
	 */
	int (*vcpu_ioctl)(struct hm_vcpu *vcpu, unsigned long request,
			  void *arg, void *opaque);
	/* Instead of CLOCK_MONOTONIC; with it no POSIX timer is armed. */
	void (*clock)(struct timespec *now, void *opaque);
	/*
	 * Instead of a mailbox request's sleep for the guest's answer (up
	 * to @ms): 0 to look at the turn word again, or -errno to end the
	 * request with it.
	 */
	int (*mailbox_wait)(struct hm_vcpu *vcpu, int ms, void *opaque);
	void *opaque;
};

/* Install @seams for every vCPU; NULL restores the real ones. */
void hm_seams_set(const struct hm_seams *seams);

#endif
