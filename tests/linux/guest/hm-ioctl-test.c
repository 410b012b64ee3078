// SPDX-License-Identifier: MIT
/*
 * Runs inside a Linux guest with the hypermem module loaded and a host
 * attached: the ioctl interaction. It raises a user event whose first
 * argument points at an ifreq-like struct; the host reads the name and
 * value and writes new ones, which must be there when the ioctl returns.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hypermem_ioctl.h"

/* HMIO in ASCII: what the host's handler waits for. */
#define USER_EVENT_CODE 0x484d494full
#define IFNAMSIZ 16

struct fake_ifreq {
	char name[IFNAMSIZ];
	uint32_t value;
};

int main(void)
{
	struct fake_ifreq ifr = { .name = "hm0", .value = 42 };
	struct hm_ioc_event ev = {
		.code = USER_EVENT_CODE,
		.args = { (uintptr_t)&ifr },
	};
	int fd = open("/dev/hypermem", O_RDWR);

	if (fd < 0) {
		printf("HMTEST FAIL: open /dev/hypermem: %s\n",
		       strerror(errno));
		return 1;
	}
	if (ioctl(fd, HM_IOC_RAISE, &ev) < 0) {
		printf("HMTEST FAIL: HM_IOC_RAISE: %s\n", strerror(errno));
		return 1;
	}
	close(fd);
	if (strcmp(ifr.name, "test") || ifr.value != 0x12345678) {
		printf("HMTEST FAIL: after the event name \"%.16s\" value "
		       "0x%x, want \"test\" 0x12345678\n", ifr.name,
		       ifr.value);
		return 1;
	}
	printf("HMTEST ioctl interaction PASS\n");
	return 0;
}
