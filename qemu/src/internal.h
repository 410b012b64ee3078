/* SPDX-License-Identifier: MIT */
/*
 * The backend's state, shared by the run (qemu.c) and the attach to a
 * running QEMU through its monitor (attach.c).
 */
#ifndef QEMU_INTERNAL_H
#define QEMU_INTERNAL_H

#include <limits.h>
#include <pthread.h>
#include <time.h>

#include <qemu/qemu.h>

#include "launch.h"
#include "qmp.h"

struct qemu {
	struct qemu_config config;
	char dir[PATH_MAX];		/* the private socket's, or "" */
	char socket[PATH_MAX];
	/* With config.polled: the shared memory's name, for QEMU to map. */
	char memory[64];
	struct timespec deadline;
	/* The deadline's own thread (qemu_run()), and how it is let go. */
	pthread_t watch;
	pthread_mutex_t watch_lock;
	pthread_cond_t watch_cond;
	int served;
	struct ivshmem_server *server;
	struct hm_vm *hm;
	struct hm_mailbox *mailbox;
	/* Its first page as laid out (header, control words; zeros after). */
	unsigned char mailbox_page[HM_PAGE_SIZE];
	struct qemu_child child;	/* ours; pid -1 for the person's */
	struct qemu_result res;		/* res.end: by qemu_end_run() */
	struct qmp *qmp;		/* an attached QEMU's monitor */
	int chardev_added;		/* by qemu_attach(), to remove */
	int device_added;
	int memory_added;		/* polled: its memory-backend-file */
};

/*
 * End the run for @why unless it ended already, and every operation on
 * the mailbox with it. Safe from any thread and from a signal handler.
 */
void qemu_end_run(struct qemu *q, enum qemu_end why);

#endif
