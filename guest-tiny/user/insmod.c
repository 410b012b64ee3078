// SPDX-License-Identifier: MIT
/*
 * Loads a kernel module as busybox's insmod does: opens the file, then
 * finit_module(fd, "", 0). guest-tiny has no modules (ENOSYS, as a kernel
 * without CONFIG_MODULES): only a host that skips the call makes it
 * succeed. Exit 0 when it returned 0, 1 when the open failed, 2 when
 * finit_module failed.
 */
#include "ulib.h"

int insmod_main(int argc, char **argv, char **envp);

int insmod_main(int argc, char **argv, char **envp)
{
	const char *path = argc > 1 ? argv[1] : "/lib/modules/hello.ko";
	long fd;

	(void)envp;
	fd = sys3(TINY_SYS_OPEN, (long)path, 0, 0);
	if (fd < 0)
		return 1;
	if (sys3(TINY_SYS_FINIT_MODULE, fd, (long)"", 0)) {
		uputs("insmod: finit_module failed\n");
		return 2;
	}
	uputs("insmod: module loaded\n");
	return 0;
}
