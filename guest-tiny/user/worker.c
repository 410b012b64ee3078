// SPDX-License-Identifier: MIT
/*
 * An ordinary process: argv[1] names it ("alpha" reads /etc/hostname each
 * round, anything else talks to a socket), argv[2] is how many rounds it
 * makes, yielding the CPU after each so that processes take turns.
 * Exit 0, or the step that failed (5..9).
 */
#include "ulib.h"

static long hostname_round(char *buf, size_t cap)
{
	long fd = sys3(TINY_SYS_OPEN, (long)"/etc/hostname", 0, 0);
	long n;

	if (fd < 0)
		return -1;
	n = sys3(TINY_SYS_READ, fd, (long)buf, (long)cap);
	if (sys3(TINY_SYS_CLOSE, fd, 0, 0))
		return -1;
	return n > 0 && uwrite(1, buf, (size_t)n) == n ? 0 : -1;
}

static long socket_round(long fd, char *buf, size_t cap)
{
	if (uwrite((int)fd, "ping\n", 5) != 5)
		return -1;
	return sys3(TINY_SYS_READ, fd, (long)buf, (long)cap) == 5 ? 0 : -1;
}

static int say_round(long i)
{
	char line[48];
	size_t len = 0;

	line[len++] = '[';
	len += utoa(line + len, (unsigned long)ugetpid());
	line[len++] = ']';
	line[len++] = ' ';
	len += utoa(line + len, (unsigned long)i);
	line[len++] = '\n';
	return uwrite(1, line, len) == (long)len ? 0 : -1;
}

int worker_main(int argc, char **argv, char **envp);

int worker_main(int argc, char **argv, char **envp)
{
	const char *name = argc > 1 ? argv[1] : "worker";
	const char *role = ugetenv(envp, "ROLE");
	long rounds = argc > 2 ? argv[2][0] - '0' : 1;
	int alpha = !ustrcmp(name, "alpha");
	long fd = -1, i;
	char buf[32];

	if (!role || ustrcmp(role, name))
		return 5;
	if (!alpha) {
		fd = sys3(TINY_SYS_SOCKET, 2, 1, 0);
		if (fd < 0)
			return 6;
	}
	for (i = 0; i < rounds; i++) {
		if (say_round(i))
			return 7;
		if (alpha ? hostname_round(buf, sizeof(buf)) :
			    socket_round(fd, buf, sizeof(buf)))
			return 8;
		uyield();
	}
	if (!alpha && sys3(TINY_SYS_CLOSE, fd, 0, 0))
		return 9;
	return 0;
}
