/* SPDX-License-Identifier: MIT */
/*
 * A stock QEMU as the run's child (--vmm qemu): its command line, its
 * start with the guest's serial console on a pipe, and its end. The child
 * dies with its parent, so no exit path of the run leaves it behind.
 */
#ifndef QEMU_LAUNCH_H
#define QEMU_LAUNCH_H

#include <stddef.h>
#include <sys/types.h>

#define QEMU_PROGRAM "qemu-system-x86_64"
#define QEMU_MAX_ARGS 48

struct qemu_config {
	const char *kernel;
	const char *initrd;		/* or NULL */
	const char *append;
	unsigned int cpus;
	unsigned int mem_mib;
	int kvm;			/* -accel kvm, else tcg */
	const char *socket;		/* the ivshmem server's */
};

struct qemu_args {
	char *argv[QEMU_MAX_ARGS + 1];
	int argc;
	char text[8192];		/* what argv points into */
	size_t used;
	int full;			/* an argument did not fit */
};

struct qemu {
	pid_t pid;			/* -1: none */
	int pidfd;			/* readable once it exited */
	int console_fd;			/* ttyS0's output, non-blocking */
	int status;			/* its wait status, once reaped */
	int reaped;
};

#define QEMU_NONE ((struct qemu){ .pid = -1, .pidfd = -1, .console_fd = -1 })

/*
 * The options that give a QEMU the ivshmem-doorbell device served at
 * @socket, as one line for a person to add: 0, or -ENAMETOOLONG.
 */
int qemu_device_options(const char *socket, char *buf, size_t cap);
/* The command line for @c: 0, or -E2BIG. */
int qemu_build_args(const struct qemu_config *c, struct qemu_args *a);
/* The command line as a shell would take it, for people. */
void qemu_format_args(const struct qemu_args *a, char *buf, size_t cap);

/*
 * Start QEMU on @a. @return 0; the error of exec (-ENOENT: not
 * installed), pipe(), fork() or pidfd_open().
 */
int qemu_start(const struct qemu_args *a, int console_input, struct qemu *q);
/* Whether it exited (its status in q->status, reaped): 1, or 0. */
int qemu_exited(struct qemu *q);
/* Kill it unless it exited, and reap it; its console stays readable. */
void qemu_stop(struct qemu *q);
/* Close what is left; @q may be one that never started. */
void qemu_close(struct qemu *q);

#endif
