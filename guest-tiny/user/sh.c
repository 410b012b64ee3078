// SPDX-License-Identifier: MIT
/*
 * A shell that can do one thing: run `worker alpha 1` with execve, for the
 * process-info example. Exit 1 when execve returns.
 */
#include "ulib.h"

int sh_main(int argc, char **argv, char **envp);

int sh_main(int argc, char **argv, char **envp)
{
	const char *args[4], *env[3];

	(void)argc;
	(void)argv;
	(void)envp;
	args[0] = "worker";
	args[1] = "alpha";
	args[2] = "1";
	args[3] = NULL;
	env[0] = "ROLE=alpha";
	env[1] = "HOME=/root";
	env[2] = NULL;
	uputs("sh: exec /bin/worker alpha 1\n");
	sys3(TINY_SYS_EXECVE, (long)"/bin/worker", (long)args, (long)env);
	uputs("sh: exec failed\n");
	return 1;
}
