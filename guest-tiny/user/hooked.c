// SPDX-License-Identifier: MIT
/*
 * The benchmark's hooked calls: TINY_BENCH_SYSCALLS writes of 64 bytes to
 * a socket, then as many openat() and close() of a file, marked by user
 * events (TINY_EVENT_BENCH: 0 before the writes, 2 between, 1 after), so
 * that the host can time the events a hook on each raises and count their
 * exits (hypermem-bench, "event write buffer+fd" and "event openat path").
 */
#include <tiny/abi.h>

#include "ulib.h"

#define AT_FDCWD (-100)

int hooked_main(int argc, char **argv, char **envp);

int hooked_main(int argc, char **argv, char **envp)
{
	static const char line[64] = "GET /index.html HTTP/1.0\r\n";
	long i, fd, bad = 0;

	(void)argc;
	(void)argv;
	(void)envp;
	fd = sys3(TINY_SYS_SOCKET, 2, 1, 0);
	if (fd < 0)
		return 1;
	sys6(TINY_SYS_HM_EVENT, TINY_EVENT_BENCH, 0, 0, 0, 0, 0);
	for (i = 0; i < TINY_BENCH_SYSCALLS; i++)
		bad += uwrite((int)fd, line, sizeof(line)) != sizeof(line);
	sys6(TINY_SYS_HM_EVENT, TINY_EVENT_BENCH, 2, 0, 0, 0, 0);
	for (i = 0; i < TINY_BENCH_SYSCALLS; i++) {
		long f = sys6(TINY_SYS_OPENAT, AT_FDCWD, (long)"/etc/hostname",
			      0, 0, 0, 0);

		bad += f < 0 || sys3(TINY_SYS_CLOSE, f, 0, 0) != 0;
	}
	sys6(TINY_SYS_HM_EVENT, TINY_EVENT_BENCH, 1, 0, 0, 0, 0);
	return bad ? 1 : 0;
}
