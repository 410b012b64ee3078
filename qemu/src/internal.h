/* SPDX-License-Identifier: MIT */
/*
 * The backend's state, shared by the run (qemu.c) and the attach to a
 * running QEMU through its monitor (attach.c).
 */
#ifndef QEMU_INTERNAL_H
#define QEMU_INTERNAL_H

#include <limits.h>
#include <time.h>

#include <qemu/qemu.h>

#include "launch.h"
#include "qmp.h"

struct qemu {
	struct qemu_config config;
	char dir[PATH_MAX];		/* the private socket's, or "" */
	char socket[PATH_MAX];
	struct timespec deadline;
	struct ivshmem_server *server;
	struct hm_vm *hm;
	struct hm_mailbox *mailbox;
	struct qemu_child child;	/* ours; pid -1 for the person's */
	struct qemu_result res;
	struct qmp *qmp;		/* an attached QEMU's monitor */
	int chardev_added;		/* by qemu_attach(), to remove */
	int device_added;
};

#endif
