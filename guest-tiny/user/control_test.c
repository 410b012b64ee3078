// SPDX-License-Identifier: MIT
/*
 * Event control, seen from the program: the host changes a write's count,
 * skips another write and replaces getpid()'s result (tiny/abi.h says
 * how). Exit 0: all three; 1: the count; 2: the skip; 3: the return value.
 */
#include "ulib.h"

int control_test_main(int argc, char **argv, char **envp);

int control_test_main(int argc, char **argv, char **envp)
{
	static const char cut[] = "control: cut here|not this\n";
	static const char skipped[] = "control: skipped write\n";

	(void)argc;
	(void)argv;
	(void)envp;
	if (uwrite(1, cut, TINY_CONTROL_WRITE) != TINY_CONTROL_CUT)
		return 1;
	uputs("\n");
	if (uwrite(1, skipped, TINY_CONTROL_SKIP_WRITE) !=
	    TINY_CONTROL_SKIPPED)
		return 2;
	if (sys3(TINY_SYS_GETPID, 0, 0, 0) != TINY_CONTROL_PID)
		return 3;
	uputs("control_test: PASS\n");
	return 0;
}
