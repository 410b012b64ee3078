// SPDX-License-Identifier: MIT
/*
 * A socket client for the socket monitor: connect to argv[1]:argv[2]
 * (an IPv4 address and a port), say hello, read the reply, then print the
 * peer the kernel recorded, which shows what a host changed in the
 * sockaddr while connect's entry event held us.
 * Exit 0, or the step that failed (3..6).
 */
#include "ulib.h"

#define AF_INET 2
#define SOCK_STREAM 1

static unsigned long parse_number(const char **s)
{
	unsigned long v = 0;

	while (**s >= '0' && **s <= '9')
		v = v * 10 + (unsigned long)(*(*s)++ - '0');
	return v;
}

static void fill_sockaddr(uint8_t *sa, const char *ip, const char *port)
{
	unsigned long p = parse_number(&port);
	int i;

	for (i = 0; i < 16; i++)
		sa[i] = 0;
	sa[0] = AF_INET;
	sa[2] = (uint8_t)(p >> 8);
	sa[3] = (uint8_t)p;
	for (i = 0; i < 4; i++) {
		sa[4 + i] = (uint8_t)parse_number(&ip);
		if (*ip == '.')
			ip++;
	}
}

static void say_peer(const uint8_t *sa)
{
	char line[64];
	size_t len = 0;
	int i;

	for (i = 0; i < 4; i++) {
		len += utoa(line + len, sa[4 + i]);
		line[len++] = i < 3 ? '.' : ':';
	}
	len += utoa(line + len, (unsigned long)(sa[2] << 8 | sa[3]));
	line[len++] = '\n';
	uputs("netclient: peer ");
	uwrite(1, line, len);
}

int netclient_main(int argc, char **argv, char **envp);

int netclient_main(int argc, char **argv, char **envp)
{
	uint8_t sa[16], peer[16];
	uint32_t peer_len = sizeof(peer);
	char reply[16];
	long fd, n;

	(void)envp;
	if (argc < 3)
		return 3;
	fill_sockaddr(sa, argv[1], argv[2]);
	fd = sys3(TINY_SYS_SOCKET, AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return 3;
	if (sys3(TINY_SYS_CONNECT, fd, (long)sa, sizeof(sa)))
		return 4;
	if (uwrite((int)fd, "hello\n", 6) != 6)
		return 5;
	n = sys3(TINY_SYS_READ, fd, (long)reply, sizeof(reply));
	if (n <= 0)
		return 5;
	uputs("netclient: reply ");
	uwrite(1, reply, (size_t)n);
	if (sys3(TINY_SYS_GETPEERNAME, fd, (long)peer, (long)&peer_len))
		return 6;
	say_peer(peer);
	return sys3(TINY_SYS_CLOSE, fd, 0, 0) ? 6 : 0;
}
