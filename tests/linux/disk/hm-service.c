// SPDX-License-Identifier: MIT
/*
 * An ordinary service of the disk image's guest (hm-service.service), for
 * a host to inspect: every few seconds it makes hm-siocdev-test's request
 * (SIOCDEVPRIVATE on a socket, an ifreq-like "hm0" with value 42, which a
 * host running ioctl_interaction.lua rewrites to "test" and 0x12345678)
 * and writes a round's line to a file in its state directory, reads it
 * back, and says on stdout, the journal's and the console's, what passed.
 *
 * usage: hm-service [SECONDS]   (default 5; the file: $STATE_DIRECTORY/round)
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

/* Whether the host rewrote the request; says what it found either way. */
static int ioctl_interaction(void)
{
	struct request req = { .name = "hm0", .value = 42 };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0) {
		printf("ioctl FAIL: socket: %s\n", strerror(errno));
		return 0;
	}
	/* No device has the name: the kernel answers ENODEV. */
	ioctl(fd, SIOCDEVPRIVATE, &req);
	close(fd);
	if (strcmp(req.name, "test") || req.value != 0x12345678) {
		printf("ioctl FAIL: name \"%.16s\" value 0x%x, want \"test\" "
		       "0x12345678\n", req.name, req.value);
		return 0;
	}
	printf("ioctl PASS: name \"test\" value 0x12345678\n");
	return 1;
}

/* Write the round's line to @path and read it back. */
static int file_round(const char *path, unsigned long round)
{
	char line[64], back[64] = "";
	FILE *f = fopen(path, "w");
	int ok;

	snprintf(line, sizeof(line), "round %lu\n", round);
	if (!f || fputs(line, f) < 0 || fclose(f)) {
		printf("file FAIL: writing %s: %s\n", path, strerror(errno));
		return 0;
	}
	f = fopen(path, "r");
	if (!f || !fgets(back, sizeof(back), f)) {
		printf("file FAIL: reading %s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		return 0;
	}
	fclose(f);
	ok = !strcmp(line, back);
	printf("file %s: %s holds \"round %lu\"\n", ok ? "PASS" : "FAIL",
	       path, round);
	return ok;
}

int main(int argc, char **argv)
{
	const char *dir = getenv("STATE_DIRECTORY");
	unsigned int seconds = argc > 1 ? (unsigned int)atoi(argv[1]) : 5;
	char path[4096];
	unsigned long round;
	int ok;

	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(path, sizeof(path), "%s/round", dir ? dir : "/tmp");
	for (round = 1;; round++) {
		ok = ioctl_interaction();
		ok = file_round(path, round) && ok;
		printf("round %lu %s\n", round, ok ? "PASS" : "FAIL");
		sleep(seconds ? seconds : 5);
	}
}
