// SPDX-License-Identifier: MIT
/*
 * Deadlines for operations. While an event is being handled, a per-thread
 * POSIX timer sends the kick signal a few times per deadline; the handler
 * sets kvm_run.immediate_exit so that a signal landing just before KVM_RUN
 * still makes it return (KVM api.rst, "immediate_exit"), and the loop in
 * transport-kvm.c compares the clock with the deadline at every return.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

/* Ticks per deadline: an expired deadline is noticed within 1/4 of it. */
#define TICKS_PER_DEADLINE 4

static __thread struct kvm_run *kicked_run
	__attribute__((tls_model("initial-exec")));

/* Tells our kick from a signal of the VMM's that also ended KVM_RUN. */
static __thread volatile sig_atomic_t kick_seen
	__attribute__((tls_model("initial-exec")));

static void on_kick(int signo)
{
	struct kvm_run *run = kicked_run;

	(void)signo;
	kick_seen = 1;
	if (run)
		run->immediate_exit = 1;
}

bool watchdog_take_kick(void)
{
	bool seen = kick_seen;

	kick_seen = 0;
	return seen;
}

int watchdog_install(int signo)
{
	struct sigaction old, sa;

	if (sigaction(signo, NULL, &old))
		return -errno;
	/* The VMM's own handler stays; the periodic tick covers the race. */
	if ((old.sa_flags & SA_SIGINFO) ||
	    (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN))
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_kick;
	sigemptyset(&sa.sa_mask);
	if (sigaction(signo, &sa, NULL))
		return -errno;
	return 0;
}

static int timer_for_this_thread(struct hm_vcpu *vcpu)
{
	struct sigevent sev;
	pid_t tid = gettid();

	if (vcpu->timer_tid == tid)
		return 0;
	watchdog_destroy(vcpu);
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = vcpu->vm->kick_signal;
	sev.sigev_notify_thread_id = tid;
	if (timer_create(CLOCK_MONOTONIC, &sev, &vcpu->timer))
		return -errno;
	vcpu->timer_tid = tid;
	return 0;
}

static int start_ticks(struct hm_vcpu *vcpu)
{
	long tick_ns = vcpu->vm->timeout_ms * 1000000L / TICKS_PER_DEADLINE;
	struct itimerspec its = {
		.it_interval = { tick_ns / 1000000000L, tick_ns % 1000000000L },
	};
	int err = timer_for_this_thread(vcpu);

	if (err)
		return err;
	its.it_value = its.it_interval;
	if (timer_settime(vcpu->timer, 0, &its, NULL))
		return -errno;
	return 0;
}

int watchdog_arm(struct hm_vcpu *vcpu)
{
	int err;

	/* Under a test's clock, its fake KVM_RUN decides when it is kicked. */
	err = seam_timers() ? start_ticks(vcpu) : 0;
	if (err)
		return err;
	kicked_run = vcpu->run;
	return 0;
}

void watchdog_disarm(struct hm_vcpu *vcpu)
{
	struct itimerspec off = { 0 };

	if (vcpu->timer_tid)
		timer_settime(vcpu->timer, 0, &off, NULL);
	kicked_run = NULL;
	kick_seen = 0;
	vcpu->run->immediate_exit = 0;
}

void watchdog_start_deadline(struct hm_vcpu *vcpu)
{
	struct timespec *d = &vcpu->deadline;

	seam_clock(d);
	d->tv_sec += vcpu->vm->timeout_ms / 1000;
	d->tv_nsec += (vcpu->vm->timeout_ms % 1000) * 1000000L;
	if (d->tv_nsec >= 1000000000L) {
		d->tv_sec++;
		d->tv_nsec -= 1000000000L;
	}
}

bool watchdog_expired(const struct hm_vcpu *vcpu)
{
	struct timespec now;

	seam_clock(&now);
	return now.tv_sec > vcpu->deadline.tv_sec ||
	       (now.tv_sec == vcpu->deadline.tv_sec &&
		now.tv_nsec >= vcpu->deadline.tv_nsec);
}

void watchdog_destroy(struct hm_vcpu *vcpu)
{
	if (!vcpu->timer_tid)
		return;
	timer_delete(vcpu->timer);
	vcpu->timer_tid = 0;
}
