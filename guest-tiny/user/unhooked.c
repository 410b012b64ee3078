// SPDX-License-Identifier: MIT
/*
 * The benchmark's syscall loop: TINY_BENCH_SYSCALLS getpid() calls
 * between two user events, so that the host can time them and count the
 * exits they cost (hypermem-bench, "event unhooked syscall").
 */
#include <tiny/abi.h>

#include "ulib.h"

int unhooked_main(int argc, char **argv, char **envp);

int unhooked_main(int argc, char **argv, char **envp)
{
	long i, sum = 0;

	(void)argc;
	(void)argv;
	(void)envp;
	sys6(TINY_SYS_HM_EVENT, TINY_EVENT_BENCH, 0, 0, 0, 0, 0);
	for (i = 0; i < TINY_BENCH_SYSCALLS; i++)
		sum += ugetpid();
	sys6(TINY_SYS_HM_EVENT, TINY_EVENT_BENCH, 1, 0, 0, 0, 0);
	/* Every call answered: the same pid each time. */
	return sum == TINY_BENCH_SYSCALLS * ugetpid() ? 0 : 1;
}
