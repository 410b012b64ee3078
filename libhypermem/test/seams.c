// SPDX-License-Identifier: MIT
/* The test seams (seams.h); compiled only with HM_TEST_SEAMS. */
#include "../src/internal.h"
#include "seams.h"

static struct hm_seams seams;

void hm_seams_set(const struct hm_seams *s)
{
	seams = s ? *s : (struct hm_seams){ 0 };
}

int seam_kvm_run(struct hm_vcpu *vcpu)
{
	if (seams.kvm_run)
		return seams.kvm_run(vcpu, seams.opaque);
	return real_kvm_run(vcpu);
}

int seam_vcpu_ioctl(struct hm_vcpu *vcpu, unsigned long request, void *arg)
{
	if (seams.vcpu_ioctl)
		return seams.vcpu_ioctl(vcpu, request, arg, seams.opaque);
	return real_vcpu_ioctl(vcpu, request, arg);
}

void seam_clock(struct timespec *now)
{
	if (seams.clock)
		seams.clock(now, seams.opaque);
	else
		real_clock(now);
}

int seam_mailbox_wait(struct hm_vcpu *vcpu, int ms)
{
	if (seams.mailbox_wait)
		return seams.mailbox_wait(vcpu, ms, seams.opaque);
	return real_mailbox_wait(vcpu, ms);
}

bool seam_timers(void)
{
	return !seams.clock;
}
