// SPDX-License-Identifier: MIT
/*
 * The stock-QEMU backend's run (qemu/qemu.h) against clients played here
 * as QEMU connects: one that leaves during the opening takes the memory
 * with it, and the next gets new memory with the mailbox laid out in it
 * again; a polled run's QEMU maps the memory by the name the device's
 * options give, and its guest's call, with no doorbell, is served.
 */
#include <errno.h>
#include <fcntl.h>
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

/* What the polled run's QEMU and its guest saw. */
struct polled {
	char mem_path[64];
	uint16_t flags;		/* the mailbox header's */
	uint32_t turn;		/* after the call */
	uint64_t op;		/* the region's answer */
};

/*
 * As QEMU with ivshmem-plain: the chardev only connects; the memory is
 * opened by its name. Then as the guest: a registration handed over by
 * the turn word alone, no doorbell, and its answer waited for.
 */
static void *polled_qemu(void *arg)
{
	struct polled *got = arg;
	const struct hm_mailbox_header *h;
	struct hm_mailbox_ctl *ctl;
	struct hm_region *r;
	struct hm_hello hello = {
		.magic = HM_MAGIC, .version = HM_VERSION, .pointer_width = 8,
		.endianness = HM_ENDIAN_LITTLE, .region_pages = 1,
	};
	int sock, fd, tries;
	uint8_t *mem;

	sock = ivshmem_peer_connect(path);
	fd = open(got->mem_path, O_RDWR);
	if (sock < 0 || fd < 0)
		return NULL;
	mem = mmap(NULL, QEMU_SHM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   fd, 0);
	close(fd);
	if (mem == MAP_FAILED)
		return NULL;
	h = (const struct hm_mailbox_header *)mem;
	got->flags = h->flags;
	ctl = (struct hm_mailbox_ctl *)(mem + 64);
	r = (struct hm_region *)(mem + h->slots_offset);
	memcpy(r->data, &hello, sizeof(hello));
	r->size = sizeof(hello);
	r->op = HM_OP_REGISTER;
	ctl->call = HM_CALL_REGISTER;
	ctl->arg = h->slots_offset;
	__atomic_store_n(&ctl->turn, HM_TURN(1, HM_TURN_HOST),
			 __ATOMIC_RELEASE);
	for (tries = 0; tries < 5000; tries++) {
		got->turn = __atomic_load_n(&ctl->turn, __ATOMIC_ACQUIRE);
		if (got->turn != HM_TURN(1, HM_TURN_HOST))
			break;
		usleep(1000);
	}
	got->op = r->op;
	munmap(mem, QEMU_SHM_SIZE);
	close(sock);
	return NULL;
}

static void a_polled_qemu_maps_the_memory_by_name(void **state)
{
	const struct qemu_config c = { .socket = path, .timeout_ms = 10000,
				       .polled = 1 };
	struct polled got;
	struct qemu_result res;
	char line[1024], want[256];
	const char *at;
	int mailbox_failed;
	struct qemu *q;
	pthread_t t;

	(void)state;
	memset(&got, 0, sizeof(got));
	snprintf(path, sizeof(path), "/tmp/hm-qemu-run-test-%d", getpid());
	assert_int_equal(qemu_new(&c, &q), 0);
	assert_int_equal(qemu_listen(q, &mailbox_failed), 0);
	assert_int_equal(qemu_device_line(q, line, sizeof(line)), 0);
	snprintf(want, sizeof(want), "-chardev socket,path=%s,id=hypermem "
		 "-object memory-backend-file,id=hypermem-mem,share=on,"
		 "mem-path=/proc/%d/fd/", path, (int)getpid());
	assert_memory_equal(line, want, strlen(want));
	at = strstr(line, "mem-path=");
	assert_non_null(at);
	assert_int_equal(sscanf(at, "mem-path=%63[^,]", got.mem_path), 1);
	assert_non_null(strstr(line, ",size=4194304 -device "
				     "ivshmem-plain,memdev=hypermem-mem"));
	assert_int_equal(pthread_create(&t, NULL, polled_qemu, &got), 0);
	qemu_run(q, &res);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(got.flags, HM_MAILBOX_HOST_POLLS);
	assert_int_equal(got.turn, HM_TURN(1, HM_TURN_GUEST));
	assert_int_equal(got.op, HM_RESP_REGISTER_OK);
	assert_int_equal(res.end, QEMU_END_LEFT);
	assert_int_equal(res.registered, 1);
	qemu_free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_qemu_after_one_that_left_gets_a_new_mailbox),
		cmocka_unit_test(a_polled_qemu_maps_the_memory_by_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
