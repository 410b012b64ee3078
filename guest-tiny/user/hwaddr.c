// SPDX-License-Identifier: MIT
/*
 * Asks the network device for its hardware address with SIOCGIFHWADDR,
 * which guest-tiny's board lacks (the kernel answers ENOTTY): only a host
 * that skips the ioctl, returns 0 and fills the request answers it. Exit 0
 * when the answer is TINY_FAKE_HWADDR, 1 when the ioctl failed, 2 when it
 * returned something else.
 */
#include "ulib.h"

int hwaddr_main(int argc, char **argv, char **envp);

int hwaddr_main(int argc, char **argv, char **envp)
{
	static const uint8_t expected[] = TINY_FAKE_HWADDR;
	struct tiny_ifreq_hwaddr req = { .name = "eth0" };
	size_t i;
	long fd;

	(void)argc;
	(void)argv;
	(void)envp;
	fd = sys3(TINY_SYS_SOCKET, 2, 1, 0);
	if (fd < 0 || sys3(TINY_SYS_IOCTL, fd, TINY_SIOCGIFHWADDR, (long)&req))
		return 1;
	if (req.family != TINY_ARPHRD_ETHER)
		return 2;
	for (i = 0; i < sizeof(expected); i++) {
		if ((uint8_t)req.addr[i] != expected[i])
			return 2;
	}
	uputs("hwaddr: eth0 is 02:00:5e:00:53:01\n");
	return 0;
}
