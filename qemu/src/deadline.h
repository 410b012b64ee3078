/* SPDX-License-Identifier: MIT */
/*
 * Deadlines on CLOCK_MONOTONIC, for the waits of the run (qemu.c) and of
 * the monitor's replies (qmp.c).
 */
#ifndef QEMU_DEADLINE_H
#define QEMU_DEADLINE_H

#include <limits.h>
#include <time.h>

static inline struct timespec deadline_in(unsigned int ms)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (long)(ms % 1000) * 1000000;
	if (t.tv_nsec >= 1000000000) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000;
	}
	return t;
}

/* Milliseconds until @t, rounded up; 0 once it passed. */
static inline int ms_until(const struct timespec *t)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(t->tv_sec - now.tv_sec) * 1000 +
	     (t->tv_nsec - now.tv_nsec + 999999) / 1000000;
	return ms <= 0 ? 0 : ms > INT_MAX ? INT_MAX : (int)ms;
}

#endif
