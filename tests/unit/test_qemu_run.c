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
#include <time.h>
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

/*
 * Registrations in a row, each answered before the next: far fewer
 * milliseconds than the serve loop's 100 ms tick would take for them.
 */
#define CALLS 20
#define CALLS_MS 1000

/* What the polled run's QEMU and its guest saw. */
struct polled {
	char mem_path[64];
	uint16_t flags;		/* the mailbox header's */
	unsigned int answered;	/* calls handed back */
	uint64_t ms;		/* the calls took */
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Hand a registration over on slot 0 by its turn word alone: answered? */
static int register_once(uint8_t *mem, uint32_t seq)
{
	const struct hm_mailbox_header *h = (const void *)mem;
	struct hm_mailbox_ctl *ctl = (struct hm_mailbox_ctl *)(mem + 64);
	struct hm_region *r = (struct hm_region *)(mem + h->slots_offset);
	const struct hm_hello hello = {
		.magic = HM_MAGIC, .version = HM_VERSION, .pointer_width = 8,
		.endianness = HM_ENDIAN_LITTLE, .region_pages = 1,
		.features = HM_FEATURE_GUEST_ARCH, .arch = HM_ARCH_NATIVE,
	};
	int tries;

	memcpy(r->data, &hello, sizeof(hello));
	r->size = sizeof(hello);
	r->op = HM_OP_REGISTER;
	ctl->call = HM_CALL_REGISTER;
	ctl->arg = h->slots_offset;
	__atomic_store_n(&ctl->turn, HM_TURN(seq, HM_TURN_HOST),
			 __ATOMIC_RELEASE);
	for (tries = 0; tries < 5000; tries++) {
		if (__atomic_load_n(&ctl->turn, __ATOMIC_ACQUIRE) ==
		    HM_TURN(seq, HM_TURN_GUEST))
			return r->op == HM_RESP_REGISTER_OK;
		usleep(200);
	}
	return 0;
}

/*
 * As QEMU with ivshmem-plain: the chardev only connects; the memory is
 * opened by its name. Then as the guest: registrations handed over by
 * the turn word alone, no doorbell, each answer waited for.
 */
static void *polled_qemu(void *arg)
{
	struct polled *got = arg;
	uint64_t start;
	int sock, fd;
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
	got->flags = ((const struct hm_mailbox_header *)mem)->flags;
	start = now_ms();
	while (got->answered < CALLS &&
	       register_once(mem, got->answered + 1))
		got->answered++;
	got->ms = now_ms() - start;
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
	assert_int_equal(got.answered, CALLS);
	assert_true(got.ms < CALLS_MS);
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
