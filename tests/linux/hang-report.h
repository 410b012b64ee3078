/* SPDX-License-Identifier: MIT */
/*
 * A test's own watchdog: armed around a call that has a deadline of its
 * own (vmm_run's timeout_ms), it reports when that call overran it. The
 * report is what a hang needs for its diagnosis: every thread of the
 * process, its state, the kernel function it waits in and, where the
 * kernel lets us read it (root), its kernel stack; then the process exits
 * 1, so that a hang is a failure with its cause in the log, never a test
 * or a VM that runs until something outside kills it.
 */
#ifndef HANG_REPORT_H
#define HANG_REPORT_H

/*
 * From now, @seconds for @what; a second arm replaces the first. @more,
 * where not NULL, adds to the report (the guest's last console lines).
 */
void hang_report_arm(unsigned int seconds, const char *what,
		     void (*more)(void *opaque), void *opaque);
void hang_report_disarm(void);

#endif
