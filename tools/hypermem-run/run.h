/* SPDX-License-Identifier: MIT */
/*
 * What main.c hands to the monitor that boots the guest: the options and
 * the exit codes documented in hypermem-run.1.
 */
#ifndef HMRUN_RUN_H
#define HMRUN_RUN_H

#include "output.h"

struct script;

enum exit_code {
	EXIT_OK = 0,
	EXIT_SCRIPT = 1,
	EXIT_USAGE = 2,
	EXIT_GUEST = 3,
	EXIT_NO_KVM = 4,
	EXIT_TIMEOUT = 5,
};

struct options {
	unsigned int cpus;
	unsigned int mem_mib;		/* 0: the board's default */
	unsigned int timeout_s;
	const char *cmdline;		/* guest-tiny's */
	const char *guest;
	const char *kernel;		/* Linux instead of guest-tiny */
	const char *initrd;
	const char *append;		/* the kernel's command line */
	const char *script;
	int json;
	enum verbosity verbosity;
};

/* Boot the guest the options name and run the script on its events. */
int run_guest(const struct options *o, struct script *s);

#endif
