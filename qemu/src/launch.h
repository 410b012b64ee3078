/* SPDX-License-Identifier: MIT */
/*
 * Our own QEMU (qemu_launch()): its command line for a machine type of
 * the table, its start as our child with the guest's serial console on a
 * pipe, and its end. The child dies with its parent, so no exit path of
 * the run leaves it behind.
 */
#ifndef QEMU_LAUNCH_H
#define QEMU_LAUNCH_H

#include <stddef.h>
#include <sys/types.h>

#include <qemu/qemu.h>

#define QEMU_MAX_ARGS 96

struct qemu_args {
	char *argv[QEMU_MAX_ARGS + 1];
	int argc;
	char text[8192];		/* what argv points into */
	size_t used;
	int full;			/* an argument did not fit */
};

struct qemu_child {
	pid_t pid;			/* -1: none */
	int pidfd;			/* readable once it exited */
	int console_fd;			/* its serial's, non-blocking */
	int status;			/* its wait status, once reaped */
	int reaped;
};

#define QEMU_CHILD_NONE \
	((struct qemu_child){ .pid = -1, .pidfd = -1, .console_fd = -1 })

/*
 * The ivshmem device QEMU gets: ivshmem-doorbell on the server's
 * @socket, or, with @memory, ivshmem-plain on the file @memory names
 * (@size bytes: the server's shared memory), no doorbell, the host
 * polling; the chardev on @socket stays, with no device on it, for the
 * server to see QEMU come and go.
 */
struct qemu_device {
	const char *socket;
	const char *memory;		/* or NULL: ivshmem-doorbell */
	size_t size;
};

/*
 * The options that give a QEMU @d, as one line for a person to add: 0,
 * or -ENAMETOOLONG.
 */
int qemu_device_options(const struct qemu_device *d, char *buf, size_t cap);
/* The command line for @l, with the device @d: 0, or -E2BIG. */
int qemu_build_args(const struct qemu_launch *l, const struct qemu_device *d,
		    struct qemu_args *a);
/* The command line as a shell would take it, for people. */
void qemu_format_args(const struct qemu_args *a, char *buf, size_t cap);

/*
 * Start QEMU on @a, argv[0] the program. @return 0; the error of exec
 * (-ENOENT: not installed), pipe(), fork() or pidfd_open().
 */
int qemu_child_start(const struct qemu_args *a, int console_input,
		     struct qemu_child *c);
/* Whether it exited (its status in c->status, reaped): 1, or 0. */
int qemu_child_exited(struct qemu_child *c);
/* Kill it unless it exited, and reap it; its console stays readable. */
void qemu_child_kill(struct qemu_child *c);
/* Close what is left; @c may be one that never started. */
void qemu_child_close(struct qemu_child *c);

#endif
