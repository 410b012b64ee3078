// SPDX-License-Identifier: MIT
/*
 * Paths for the filters' string and flag operators: openat() of each of
 * PATHS with its flags (found or not, each call is an event the host may
 * want), then a line to fd 1 and to fd 2. Exit 0, or 1 when a file that
 * exists did not open.
 */
#include <tiny/abi.h>

#include "ulib.h"

#define AT_FDCWD (-100)
#define O_WRONLY 01
#define O_CREAT 0100
#define O_TRUNC 01000

static const struct {
	const char *path;
	long flags;
	int exists;
} paths[] = {
	{ "/etc/hostname", 0, 1 },
	{ "/etc/motd", O_WRONLY | O_CREAT | O_TRUNC, 1 },
	{ "/proc/version", 0, 1 },
	{ "/usr/share/doc/libc6/README", 0, 0 },
	{ "/usr/share/doc/libzz/README", O_CREAT, 0 },
};

int opener_main(int argc, char **argv, char **envp);

int opener_main(int argc, char **argv, char **envp)
{
	unsigned int i;
	int bad = 0;

	(void)argc;
	(void)argv;
	(void)envp;
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		long fd = sys6(TINY_SYS_OPENAT, AT_FDCWD, (long)paths[i].path,
			       paths[i].flags, 0, 0, 0);

		if (fd >= 0)
			sys3(TINY_SYS_CLOSE, fd, 0, 0);
		bad |= (fd >= 0) != paths[i].exists;
	}
	uwrite(1, "opened\n", 7);
	uwrite(2, "to fd 2\n", 8);
	return bad;
}
