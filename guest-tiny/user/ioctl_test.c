// SPDX-License-Identifier: MIT
/*
 * The original interaction test: hand the host a request through a private
 * socket ioctl, and check that the host rewrote it while the ioctl's entry
 * event held us. Exit 0: pass; 1: name not rewritten; 2: value not
 * rewritten; 3: the ioctl failed; 4: no socket.
 */
#include "ulib.h"

int ioctl_test_main(int argc, char **argv, char **envp);

int ioctl_test_main(int argc, char **argv, char **envp)
{
	const char *dev = argc > 1 ? argv[1] : "eth0";
	struct tiny_ifreq req;
	size_t i;
	long fd;

	(void)envp;
	fd = sys3(TINY_SYS_SOCKET, 2, 1, 0);
	if (fd < 0)
		return 4;
	for (i = 0; i < TINY_IFNAMSIZ; i++)
		req.name[i] = i < ustrlen(dev) ? dev[i] : 0;
	req.name[TINY_IFNAMSIZ - 1] = 0;
	req.value = 42;
	if (sys3(TINY_SYS_IOCTL, fd, TINY_SIOCDEVPRIVATE, (long)&req))
		return 3;
	if (ustrcmp(req.name, "test")) {
		uputs("ioctl_test: FAIL name\n");
		return 1;
	}
	if (req.value != 0x12345678) {
		uputs("ioctl_test: FAIL value\n");
		return 2;
	}
	uputs("ioctl_test: PASS\n");
	return 0;
}
