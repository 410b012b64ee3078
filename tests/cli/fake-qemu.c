// SPDX-License-Identifier: MIT
/*
 * A stand-in for a QEMU started at hypermem-run --qemu-socket: it takes
 * the ivshmem server's opening as QEMU's ivshmem-doorbell does and runs
 * the simulated guest of tests/fake-guest on slot 0 of the mailbox in
 * that memory. The guest registers, raises the entry of a write(2) of
 * BUF_SIZE bytes, and answers every request DELAY_MS late: an operation
 * of many round trips lasts as long as such a guest likes. It ends when
 * hypermem-run hangs up. With "spoil", every reply is malformed and it
 * hangs up itself once its guest's program is over.
 *
 * usage: fake-qemu SOCKET DELAY_MS [spoil]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fake_guest.h"
#include "ivshmem_peer.h"

#define VA_BUF 0x400000ull
#define BUF_SIZE (2u << 20)
#ifdef __aarch64__
#define NR_WRITE 64
#else
#define NR_WRITE 1
#endif
#define GUEST_TIMEOUT_MS 60000u

static unsigned int delay_ms;

static void die(const char *what)
{
	fprintf(stderr, "fake-qemu: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Connect once the server listens, within 10 s. */
static int connect_to(const char *path)
{
	int tries, fd = -1;

	for (tries = 0; tries < 1000 && fd < 0; tries++) {
		fd = ivshmem_peer_connect(path);
		if (fd < 0)
			usleep(10000);
	}
	if (fd < 0) {
		errno = -fd;
		die(path);
	}
	return fd;
}

/* One message of the opening: its number, and its fd or -1. */
static int64_t receive(int sock, int *fd)
{
	int64_t value;

	if (ivshmem_peer_receive(sock, &value, fd))
		die("the opening");
	return value;
}

static void slow_reply(struct fake_guest *g)
{
	(void)g;
	usleep(delay_ms * 1000);
}

static void spoiled_reply(struct fake_guest *g)
{
	slow_reply(g);
	g->agent.region->op = 0x7777;
}

static void guest_main(struct fake_guest *g)
{
	fake_guest_register(g);
	fprintf(stderr, "fake-qemu: registered: %d\n", g->register_result);
	fake_guest_raise(g, HM_EVENT_SYSCALL_ENTER, NR_WRITE, 1, VA_BUF,
			 BUF_SIZE);
}

int main(int argc, char **argv)
{
	static struct fake_process proc = { .pid = 1, .comm = "stretch" };
	int sock, shm, doorbell, interrupt, fd, spoil;
	struct fake_guest *g;
	struct pollfd p;
	struct stat st;
	void *mem;

	if (argc < 3 || argc > 4 || (argc == 4 && strcmp(argv[3], "spoil")))
		return 2;
	spoil = argc == 4;
	delay_ms = (unsigned int)atoi(argv[2]);
	sock = connect_to(argv[1]);
	/* Version 0, our id, the memory, the host's doorbell, ours. */
	if (receive(sock, &fd) != 0 || receive(sock, &fd) != 1 ||
	    receive(sock, &shm) != -1 || receive(sock, &doorbell) != 0 ||
	    receive(sock, &interrupt) != 1 || shm < 0 || doorbell < 0)
		die("an opening not as QEMU takes it");
	if (fstat(shm, &st))
		die("fstat");
	mem = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
		   MAP_SHARED, shm, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	proc.maps[0] = (struct fake_mapping){
		.va = VA_BUF, .len = BUF_SIZE, .mem = calloc(1, BUF_SIZE),
	};
	proc.nr_maps = 1;
	g = fake_guest_new(guest_main, NULL);
	g->current = &proc;
	g->before_reply = spoil ? spoiled_reply : slow_reply;
	if (fake_guest_use_mailbox(g, mem, (size_t)st.st_size, 0, doorbell,
				   GUEST_TIMEOUT_MS))
		die("the mailbox");
	fake_guest_start(g);
	/* The server never writes after the opening: readable is its end. */
	p = (struct pollfd){ .fd = sock, .events = POLLIN };
	while (poll(&p, 1, 100) <= 0) {
		if (spoil && fake_guest_done(g)) {
			fprintf(stderr, "fake-qemu: the guest is done\n");
			return 0;
		}
	}
	fprintf(stderr, "fake-qemu: the server hung up\n");
	return 0;
}
