// SPDX-License-Identifier: MIT
/*
 * The stock-QEMU backend's run (qemu/qemu.h) against clients played here
 * as QEMU connects: one that leaves during the opening takes the memory
 * with it, and the next gets new memory with the mailbox laid out in it
 * again.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <qemu/qemu.h>

#include "ivshmem_peer.h"

static char path[64];

/* What the QEMU after the one that left got. */
struct second {
	uint32_t magic;		/* the mailbox header's */
	int opened;
	int connect_error;
};

/*
 * The rest of the opening, as QEMU reads it: the peers' eventfds, ours
 * (id, one vector) last. Leaving before it would fail the opening.
 */
static void take_eventfds(int sock, int64_t id)
{
	int64_t value;
	int fd;

	do {
		if (ivshmem_peer_receive(sock, &value, &fd))
			return;
		if (fd >= 0)
			close(fd);
	} while (value != id);
}

/* Connect as QEMU, take the opening, look at the memory, leave. */
static void *second_qemu(void *arg)
{
	struct second *got = arg;
	int sock = -1, shm = -1, fd, tries;
	int64_t value, id = -1;
	struct stat st;
	void *mem;

	for (tries = 0; tries < 500 && sock < 0; tries++) {
		sock = ivshmem_peer_connect(path);
		if (sock < 0)
			usleep(10000);
	}
	if (sock < 0) {
		got->connect_error = sock;
		return NULL;
	}
	/* Version, id, then the memory. */
	if (!ivshmem_peer_receive(sock, &value, &fd) &&
	    !ivshmem_peer_receive(sock, &id, &fd) &&
	    !ivshmem_peer_receive(sock, &value, &shm) && shm >= 0 &&
	    !fstat(shm, &st)) {
		take_eventfds(sock, id);
		mem = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED,
			   shm, 0);
		if (mem != MAP_FAILED) {
			memcpy(&got->magic, mem, sizeof(got->magic));
			munmap(mem, (size_t)st.st_size);
		}
		got->opened = 1;
		close(shm);
	}
	close(sock);
	return NULL;
}

static void a_qemu_after_one_that_left_gets_a_new_mailbox(void **state)
{
	const struct qemu_config c = { .socket = path, .timeout_ms = 10000 };
	struct second got = { 0 };
	struct qemu_result res;
	int mailbox_failed, leaver;
	struct qemu *q;
	pthread_t t;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/hm-qemu-run-test-%d", getpid());
	assert_int_equal(qemu_new(&c, &q), 0);
	assert_int_equal(qemu_listen(q, &mailbox_failed), 0);
	/* Gone before the run takes it: the opening fails part way. */
	leaver = ivshmem_peer_connect(path);
	assert_true(leaver >= 0);
	shutdown(leaver, SHUT_RD);
	close(leaver);
	assert_int_equal(pthread_create(&t, NULL, second_qemu, &got), 0);
	qemu_run(q, &res);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(got.connect_error, 0);
	assert_int_equal(res.end, QEMU_END_LEFT);
	assert_int_equal(res.connected, 1);
	assert_int_equal(got.opened, 1);
	assert_int_equal(got.magic, HM_MAILBOX_MAGIC);
	qemu_free(q);
	assert_int_equal(access(path, F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_qemu_after_one_that_left_gets_a_new_mailbox),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
