/* SPDX-License-Identifier: MIT */
/*
 * The server side of QEMU's ivshmem-doorbell device (docs/specs/
 * ivshmem-spec, "The ivshmem Client-Server Protocol", version 0): a stock
 * QEMU connects to a UNIX socket and gets the shared memory and the
 * eventfds its guest rings the host with and is interrupted through.
 * The host is peer 0; the one QEMU it serves is peer 1. This is how
 * hypermem reaches a guest that QEMU, not the VMM core, runs.
 */
#ifndef QEMU_IVSHMEM_H
#define QEMU_IVSHMEM_H

#include <stddef.h>
#include <sys/types.h>

#define IVSHMEM_HOST_ID 0
#define IVSHMEM_GUEST_ID 1
#define IVSHMEM_MAX_VECTORS 16

struct ivshmem_server;

/*
 * Listen on @path with @shm_size bytes of shared memory (a power of two,
 * as QEMU's BAR wants; zeroed) and @vectors interrupt vectors each way.
 * The socket is made through @path's folder, opened once: a socket left
 * there is replaced, any other file refused. QEMU must run as this
 * process's effective user (ivshmem_server_set_peer_uid()).
 * @return 0; -EINVAL; -ENAMETOOLONG for a path a socket cannot have;
 * -EEXIST, a file there that is not a socket; the error of open(),
 * socket(), bind(), listen(), memfd_create() or eventfd(). No socket file
 * is left behind on failure.
 */
int ivshmem_server_new(const char *path, size_t shm_size,
		       unsigned int vectors, struct ivshmem_server **ret);
void ivshmem_server_free(struct ivshmem_server *s);

/* Take a QEMU of @uid only, instead of this process's effective user. */
void ivshmem_server_set_peer_uid(struct ivshmem_server *s, uid_t uid);

/*
 * Take the next QEMU that connects, within @timeout_ms, and send it the
 * protocol's opening: version, its id, the shared memory, the host's
 * eventfds (its doorbells to us) and its own (our interrupts to it). One
 * at a time: while one is connected, the next waits.
 * @return 0; -ETIMEDOUT; -EPIPE when it left during the opening; -EACCES
 * for a process of another user (SO_PEERCRED), let go without a word;
 * -EISCONN while the one taken is connected; -ESTALE when a QEMU had the
 * memory and eventfds and left: ivshmem_server_renew() first.
 */
int ivshmem_server_accept(struct ivshmem_server *s, unsigned int timeout_ms);

/*
 * New shared memory (zeroed) mapped where the old was and new eventfds
 * under the old numbers, for the next QEMU: the pointer and the fds the
 * caller holds stay valid, and a QEMU that had the old ones keeps only
 * them. 0; -EISCONN while a QEMU is connected; the error of
 * memfd_create(), mmap() or eventfd().
 */
int ivshmem_server_renew(struct ivshmem_server *s);

/* The shared memory, as the host maps it. */
void *ivshmem_server_shm(const struct ivshmem_server *s, size_t *size);

/*
 * Its memfd, for a QEMU that maps it by name (/proc/PID/fd/N) rather
 * than from the opening: ivshmem_server_renew() keeps the number.
 */
int ivshmem_server_shm_fd(const struct ivshmem_server *s);

/*
 * The eventfd that the guest's Doorbell write (peer 0, @vector) signals:
 * poll it for POLLIN, then ivshmem_server_take() it.
 */
int ivshmem_server_doorbell_fd(const struct ivshmem_server *s,
			       unsigned int vector);
/* How many doorbells came on @vector since the last take (0: none). */
unsigned long ivshmem_server_take(struct ivshmem_server *s,
				  unsigned int vector);

/* Interrupt the guest on @vector (its MSI-X vector). 0 or -errno. */
int ivshmem_server_notify(struct ivshmem_server *s, unsigned int vector);

/* Whether the QEMU taken is still connected: 1, or 0 once it left. */
int ivshmem_server_connected(struct ivshmem_server *s);

#endif
