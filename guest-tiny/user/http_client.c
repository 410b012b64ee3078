// SPDX-License-Identifier: MIT
/*
 * An HTTP client for the buffer inspector: it sends one GET request with
 * write from a buffer that has room to spare, then prints the request as
 * its own memory holds it and the byte count write returned, so that a
 * host that rewrote a header and write's count is seen from inside.
 * Exit 0, or the step that failed (3..5).
 */
#include "ulib.h"

#define AF_INET 2
#define SOCK_STREAM 1
#define BUF_SIZE 512

static const char request_head[] = "GET ";
static const char request_tail[] =
	" HTTP/1.1\r\n"
	"Host: 10.0.2.2\r\n"
	"User-Agent: tiny-http/0.1\r\n"
	"Accept: */*\r\n"
	"\r\n";

static size_t append(char *buf, size_t len, const char *s)
{
	while (*s && len < BUF_SIZE)
		buf[len++] = *s++;
	return len;
}

/* The request as the console shows it: lines without their '\r'. */
static void show(const char *buf, size_t len)
{
	char line[BUF_SIZE];
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (buf[i] != '\r')
			line[n++] = buf[i];
	}
	uwrite(1, line, n);
}

int http_client_main(int argc, char **argv, char **envp);

int http_client_main(int argc, char **argv, char **envp)
{
	uint8_t sa[16] = { AF_INET, 0, 0, 80, 10, 0, 2, 2 };
	char buf[BUF_SIZE], count[24];
	size_t len = 0;
	long fd, n;

	(void)envp;
	len = append(buf, len, request_head);
	len = append(buf, len, argc > 1 ? argv[1] : "/");
	len = append(buf, len, request_tail);
	fd = sys3(TINY_SYS_SOCKET, AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return 3;
	if (sys3(TINY_SYS_CONNECT, fd, (long)sa, sizeof(sa)))
		return 4;
	n = uwrite((int)fd, buf, len);
	if (n <= 0)
		return 5;
	uputs("http_client: sent ");
	count[utoa(count, (unsigned long)n)] = 0;
	uputs(count);
	uputs(" bytes:\n");
	show(buf, (size_t)n);
	return sys3(TINY_SYS_CLOSE, fd, 0, 0) ? 5 : 0;
}
