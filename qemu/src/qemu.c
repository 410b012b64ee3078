// SPDX-License-Identifier: MIT
/*
 * The backend (qemu/qemu.h): the ivshmem server, the mailbox in its
 * memory, QEMU ours (launch.h) or the person's, and the one loop that
 * serves the guest. Handlers run on that loop's thread, as they run on a
 * vCPU's thread with the VMM core; QEMU's exit only wakes the poll. A
 * handler's operation holds that thread: whatever ends the run (a stop,
 * the deadline's own thread) also stops the mailbox, which ends the
 * operation at once.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <qemu/ivshmem.h>
#include <qemu/qemu.h>

#include "deadline.h"
#include "internal.h"
#include "launch.h"

/* How often a QEMU that is not our child is looked at for having left. */
#define TICK_MS 100

/* Our QEMU's socket, in a directory of our own: 0 or -errno. */
static int private_socket(struct qemu *q)
{
	const char *tmp = getenv("TMPDIR");
	int n;

	n = snprintf(q->dir, sizeof(q->dir), "%s/hypermem-qemu.XXXXXX",
		     tmp && *tmp ? tmp : "/tmp");
	if (n < 0 || (size_t)n >= sizeof(q->dir))
		return -ENAMETOOLONG;
	if (!mkdtemp(q->dir)) {
		q->dir[0] = 0;
		return -errno;
	}
	n = snprintf(q->socket, sizeof(q->socket), "%s/ivshmem.sock", q->dir);
	return n < 0 || (size_t)n >= sizeof(q->socket) ? -ENAMETOOLONG : 0;
}

/* Once our QEMU has what the socket gave, nothing is left behind. */
static void remove_private_socket(struct qemu *q)
{
	if (!q->dir[0])
		return;
	unlink(q->socket);
	rmdir(q->dir);
	q->dir[0] = 0;
}

/* The deadline's condition waits on CLOCK_MONOTONIC, as deadline_in(). */
static int init_watch(struct qemu *q)
{
	pthread_condattr_t attr;
	int err;

	err = pthread_condattr_init(&attr);
	if (err)
		return -err;
	err = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (!err)
		err = pthread_cond_init(&q->watch_cond, &attr);
	pthread_condattr_destroy(&attr);
	if (err)
		return -err;
	pthread_mutex_init(&q->watch_lock, NULL);
	return 0;
}

int qemu_new(const struct qemu_config *c, struct qemu **ret)
{
	struct qemu *q = calloc(1, sizeof(*q));
	int err;

	if (!q)
		return -ENOMEM;
	err = init_watch(q);
	if (err) {
		free(q);
		return err;
	}
	q->config = *c;
	q->child = QEMU_CHILD_NONE;
	q->deadline = deadline_in(c->timeout_ms);
	if (c->socket)
		snprintf(q->socket, sizeof(q->socket), "%s", c->socket);
	else
		err = private_socket(q);
	if (err) {
		qemu_free(q);
		return err;
	}
	*ret = q;
	return 0;
}

const char *qemu_socket(const struct qemu *q)
{
	return q->socket;
}

int qemu_listen(struct qemu *q, int *mailbox_failed)
{
	size_t size;
	void *shm;
	int err;

	*mailbox_failed = 0;
	err = ivshmem_server_new(q->socket, QEMU_SHM_SIZE, 1, &q->server);
	if (err)
		return err;
	if (q->config.peer_uid)
		ivshmem_server_set_peer_uid(q->server, *q->config.peer_uid);
	*mailbox_failed = 1;
	shm = ivshmem_server_shm(q->server, &size);
	err = hm_vm_new(&q->hm);
	if (err)
		return err;
	if (q->config.event_fn)
		hm_vm_set_event_handler(q->hm, q->config.event_fn,
					q->config.event_opaque);
	err = hm_mailbox_new(q->hm, shm, size, HM_MAX_REGION_PAGES,
			     ivshmem_server_doorbell_fd(q->server, 0),
			     &q->mailbox);
	if (err)
		return err;
	if (q->config.polled) {
		hm_mailbox_set_polled(q->mailbox);
		snprintf(q->memory, sizeof(q->memory), "/proc/%d/fd/%d",
			 (int)getpid(), ivshmem_server_shm_fd(q->server));
	}
	memcpy(q->mailbox_page, shm, sizeof(q->mailbox_page));
	return 0;
}

/* The device for QEMU: ivshmem-doorbell, or ivshmem-plain when polled. */
static struct qemu_device device_of(const struct qemu *q)
{
	return (struct qemu_device){
		.socket = q->socket,
		.memory = q->config.polled ? q->memory : NULL,
		.size = QEMU_SHM_SIZE,
	};
}

/*
 * A QEMU had the memory and left: new memory and eventfds where the old
 * were (the mailbox's pointer and fd stay right), laid out again.
 */
static int renew_memory(struct qemu *q)
{
	size_t size;
	int err = ivshmem_server_renew(q->server);

	if (!err)
		memcpy(ivshmem_server_shm(q->server, &size), q->mailbox_page,
		       sizeof(q->mailbox_page));
	return err;
}

int qemu_device_line(const struct qemu *q, char *buf, size_t cap)
{
	struct qemu_device d = device_of(q);

	return qemu_device_options(&d, buf, cap);
}

int qemu_launch_line(const struct qemu *q, const struct qemu_launch *l,
		     char *buf, size_t cap)
{
	struct qemu_device d = device_of(q);
	struct qemu_args args;
	int err = qemu_build_args(l, &d, &args);

	if (!err)
		qemu_format_args(&args, buf, cap);
	return err;
}

int qemu_launch(struct qemu *q, const struct qemu_launch *l)
{
	struct qemu_device d = device_of(q);
	struct qemu_args args;
	int err = qemu_build_args(l, &d, &args);

	return err ? err : qemu_child_start(&args, l->console_input,
					    &q->child);
}

/* QEMU's serial output: 1 read, 0 none now, -1 at its end. */
static int read_console(struct qemu *q, int fd)
{
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n > 0) {
		if (q->config.console_fn)
			q->config.console_fn(-1, buf, (size_t)n,
					     q->config.console_opaque);
		return 1;
	}
	return n < 0 && (errno == EAGAIN || errno == EINTR) ? 0 : -1;
}

static void fail(struct qemu *q, enum qemu_failure failure, int err)
{
	q->res.failure = failure;
	q->res.error = err;
	qemu_end_run(q, QEMU_END_FAILED);
}

/*
 * Take QEMU's connection: 1, or 0 when the run ends before. A process of
 * another user is refused and counted; one that left during the opening
 * took the memory with it.
 */
static int wait_for_qemu(struct qemu *q)
{
	int ms, err;

	while (!qemu_is_stopping(q)) {
		ms = ms_until(&q->deadline);
		err = ivshmem_server_accept(q->server, ms < TICK_MS ?
					    (unsigned int)ms : TICK_MS);
		if (!err)
			return 1;
		if (err == -EACCES)
			q->res.refused++;
		else if (err == -ESTALE)
			err = renew_memory(q);
		if (err && err != -ETIMEDOUT && err != -EPIPE &&
		    err != -EACCES)
			fail(q, QEMU_FAILED_ACCEPT, err);
	}
	return 0;
}

/* The guest's calls (doorbells, or turn words polled), the console. */
static void serve(struct qemu *q)
{
	struct pollfd p[] = {
		{ .fd = q->child.console_fd, .events = POLLIN },
		{ .fd = q->child.pidfd, .events = POLLIN },
	};
	int ms, err;

	while (!qemu_is_stopping(q)) {
		ms = ms_until(&q->deadline);
		/* A QEMU not ours leaves without a word: look now and then. */
		if (q->child.pid < 0 && ms > TICK_MS)
			ms = TICK_MS;
		err = hm_mailbox_wait(q->mailbox, p, 2, ms);
		if (err) {
			fail(q, QEMU_FAILED_POLL, err);
			return;
		}
		if (p[0].revents && read_console(q, p[0].fd) < 0)
			p[0].fd = -1;
		/* A failed call was answered: the guest goes on. */
		hm_mailbox_serve(q->mailbox);
	}
}

/* The CPUs a guest registered on, of the mailbox's slots. */
static unsigned int count_registered(struct qemu *q)
{
	struct hm_guest_info info;
	unsigned int slot, n = 0;

	for (slot = 0; slot < hm_mailbox_slots(q->mailbox); slot++)
		n += !hm_vcpu_get_guest_info(hm_mailbox_vcpu(q->mailbox, slot),
					     &info);
	return n;
}

static uint64_t count_exits(struct qemu *q)
{
	struct hm_stats stats;
	unsigned int slot;
	uint64_t n = 0;

	for (slot = 0; slot < hm_mailbox_slots(q->mailbox); slot++) {
		hm_vcpu_get_stats(hm_mailbox_vcpu(q->mailbox, slot), &stats);
		n += stats.exits;
	}
	return n;
}

/* Until the run is served or its deadline passes: then end it. */
static void *watch_deadline(void *arg)
{
	struct qemu *q = arg;
	int err = 0;

	pthread_mutex_lock(&q->watch_lock);
	while (!q->served && err != ETIMEDOUT)
		err = pthread_cond_timedwait(&q->watch_cond, &q->watch_lock,
					     &q->deadline);
	pthread_mutex_unlock(&q->watch_lock);
	if (err == ETIMEDOUT)
		qemu_end_run(q, QEMU_END_TIMEOUT);
	return NULL;
}

static void stop_watching(struct qemu *q)
{
	pthread_mutex_lock(&q->watch_lock);
	q->served = 1;
	pthread_cond_signal(&q->watch_cond);
	pthread_mutex_unlock(&q->watch_lock);
	pthread_join(q->watch, NULL);
}

/* An attached QEMU's connection was taken by qemu_attach(). */
void qemu_run(struct qemu *q, struct qemu_result *res)
{
	int err = pthread_create(&q->watch, NULL, watch_deadline, q);

	if (err) {
		fail(q, QEMU_FAILED_WATCH, -err);
	} else if (q->res.connected || wait_for_qemu(q)) {
		q->res.connected = 1;
		remove_private_socket(q);
		serve(q);
		q->res.registered = count_registered(q);
		q->res.exits = count_exits(q);
	}
	if (!err)
		stop_watching(q);
	q->res.status = q->child.status;
	*res = q->res;
	res->end = __atomic_load_n(&q->res.end, __ATOMIC_ACQUIRE);
}

void qemu_end_run(struct qemu *q, enum qemu_end why)
{
	enum qemu_end running = QEMU_END_RUNNING;

	__atomic_compare_exchange_n(&q->res.end, &running, why, 0,
				    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	if (q->mailbox)
		hm_mailbox_stop(q->mailbox);
}

void qemu_stop(struct qemu *q)
{
	qemu_end_run(q, QEMU_END_STOPPED);
}

/* Whether QEMU is gone: ours exited, or the person's hung up. */
static enum qemu_end qemu_gone(struct qemu *q)
{
	if (q->child.pid > 0)
		return qemu_child_exited(&q->child) ? QEMU_END_EXITED :
		       QEMU_END_RUNNING;
	if (q->res.connected && !ivshmem_server_connected(q->server))
		return QEMU_END_LEFT;
	return QEMU_END_RUNNING;
}

static enum qemu_end run_end(struct qemu *q)
{
	return __atomic_load_n(&q->res.end, __ATOMIC_ACQUIRE);
}

int qemu_is_stopping(struct qemu *q)
{
	enum qemu_end gone;

	if (run_end(q) == QEMU_END_RUNNING && !ms_until(&q->deadline))
		qemu_end_run(q, QEMU_END_TIMEOUT);
	if (run_end(q) == QEMU_END_RUNNING) {
		gone = qemu_gone(q);
		if (gone != QEMU_END_RUNNING)
			qemu_end_run(q, gone);
	}
	return run_end(q) != QEMU_END_RUNNING;
}

void qemu_kill(struct qemu *q)
{
	qemu_child_kill(&q->child);
	while (q->child.console_fd >= 0 &&
	       read_console(q, q->child.console_fd) > 0)
		;
}

void qemu_free(struct qemu *q)
{
	if (!q)
		return;
	qmp_close(q->qmp);
	qemu_child_close(&q->child);
	hm_mailbox_free(q->mailbox);
	hm_vm_free(q->hm);
	ivshmem_server_free(q->server);
	if (q->dir[0])
		rmdir(q->dir);
	pthread_cond_destroy(&q->watch_cond);
	pthread_mutex_destroy(&q->watch_lock);
	free(q);
}

struct hm_vm *qemu_get_hm(struct qemu *q)
{
	return q->hm;
}

/* A mailbox's vCPUs are its slots, slot n the guest's CPU n. */
unsigned int qemu_cpu_index(struct qemu *q, struct hm_vcpu *vcpu)
{
	unsigned int slot = 0;

	while (slot < hm_mailbox_slots(q->mailbox) &&
	       hm_mailbox_vcpu(q->mailbox, slot) != vcpu)
		slot++;
	return slot;
}
