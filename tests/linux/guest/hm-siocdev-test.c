// SPDX-License-Identifier: MIT
/*
 * The original ioctl interaction test's guest side, on a real syscall:
 * ioctl(SIOCDEVPRIVATE) on a socket with an ifreq-like request naming
 * "hm0" with value 42. No such device exists, so the kernel answers
 * ENODEV; the host's plugin, at the ioctl's return, writes "test" and
 * 0x12345678 into the request, which must be there afterwards.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* As large as struct ifreq, which the kernel copies in whole. */
struct request {
	char name[16];
	uint32_t value;
	char pad[20];
};

int main(void)
{
	struct request req = { .name = "hm0", .value = 42 };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0) {
		printf("HMTEST FAIL: socket: %s\n", strerror(errno));
		return 1;
	}
	if (ioctl(fd, SIOCDEVPRIVATE, &req) == 0)
		printf("HMTEST note: SIOCDEVPRIVATE succeeded\n");
	close(fd);
	if (strcmp(req.name, "test") || req.value != 0x12345678) {
		printf("HMTEST FAIL: after the ioctl name \"%.16s\" value "
		       "0x%x, want \"test\" 0x12345678\n", req.name,
		       req.value);
		return 1;
	}
	printf("HMTEST siocdevprivate PASS\n");
	return 0;
}
