// SPDX-License-Identifier: MIT
/*
 * User entry: the kernel starts every process here with RSP at argc (the
 * Linux layout), RDI = that RSP and RSI = the program's main.
 */
#include "ulib.h"

typedef int (*main_fn)(int argc, char **argv, char **envp);

void user_start(long *sp, main_fn main);

void user_start(long *sp, main_fn main)
{
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1);
	char **envp = argv + argc + 1;

	sys3(TINY_SYS_EXIT, main(argc, argv, envp), 0, 0);
	for (;;)
		;
}

int hello_main(int argc, char **argv, char **envp);

int hello_main(int argc, char **argv, char **envp)
{
	(void)argc;
	(void)argv;
	(void)envp;
	uputs("hello from user mode\n");
	return 0;
}
