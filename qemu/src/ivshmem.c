// SPDX-License-Identifier: MIT
/*
 * The ivshmem server (vmm/ivshmem.h). Every message to QEMU is one 8-byte
 * little-endian signed number, with at most one file descriptor beside it
 * (SCM_RIGHTS); the connection only ever carries messages from the
 * server. QEMU gets, in order: the version 0, its id, -1 with the shared
 * memory, the host's id once per vector with the eventfd QEMU signals to
 * ring the host on that vector, and its own id once per vector with the
 * eventfd that interrupts the guest on it.
 *
 * Whoever connects gets the guest's memory and doorbells: only a process
 * of the expected user (SO_PEERCRED), one at a time, and what one had is
 * never handed to the next (ivshmem_server_renew()). The socket is made
 * through its folder, opened once, so that a folder swapped meanwhile
 * cannot send it, or the removal of a stale one, elsewhere.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <qemu/ivshmem.h>

#define SUN_PATH_SIZE sizeof(((struct sockaddr_un *)0)->sun_path)

struct ivshmem_server {
	int listen_fd;
	int client_fd;		/* the QEMU taken, or -1 */
	int shm_fd;
	void *shm;
	size_t shm_size;
	unsigned int vectors;
	int doorbell[IVSHMEM_MAX_VECTORS];	/* guest -> host */
	int interrupt[IVSHMEM_MAX_VECTORS];	/* host -> guest */
	uid_t peer_uid;		/* the user a QEMU must run as */
	int spent;		/* a QEMU had the memory and eventfds */
	int dir_fd;		/* the socket's folder (O_PATH) */
	int bound;		/* the socket file there is ours */
	char name[SUN_PATH_SIZE];
};

static int new_eventfds(int *fds, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		fds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (fds[i] < 0)
			return -errno;
	}
	return 0;
}

static int make_shm(struct ivshmem_server *s)
{
	s->shm_fd = memfd_create("hypermem-ivshmem", MFD_CLOEXEC);
	if (s->shm_fd < 0 || ftruncate(s->shm_fd, (off_t)s->shm_size))
		return -errno;
	s->shm = mmap(NULL, s->shm_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      s->shm_fd, 0);
	if (s->shm == MAP_FAILED) {
		s->shm = NULL;
		return -errno;
	}
	return 0;
}

/* @path's folder, opened once, and the socket's name in it. */
static int open_dir(struct ivshmem_server *s, const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;
	char dir[SUN_PATH_SIZE] = ".";

	if (strlen(path) >= SUN_PATH_SIZE)
		return -ENAMETOOLONG;
	if (!*name)
		return -EINVAL;
	if (slash) {
		memcpy(dir, path, slash == path ? 1 : (size_t)(slash - path));
		dir[slash == path ? 1 : slash - path] = '\0';
	}
	s->dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->dir_fd < 0)
		return -errno;
	memcpy(s->name, name, strlen(name) + 1);
	return 0;
}

/* A socket left there goes; any other file stays: -EEXIST. */
static int remove_stale(const struct ivshmem_server *s)
{
	struct stat st;

	if (fstatat(s->dir_fd, s->name, &st, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	if (unlinkat(s->dir_fd, s->name, 0) && errno != ENOENT)
		return -errno;
	return 0;
}

/* Bind through the folder's descriptor: /proc/self/fd/N/NAME. */
static int listen_at(struct ivshmem_server *s, const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int n, err = open_dir(s, path);

	if (!err)
		err = remove_stale(s);
	if (err)
		return err;
	n = snprintf(addr.sun_path, sizeof(addr.sun_path),
		     "/proc/self/fd/%d/%s", s->dir_fd, s->name);
	if (n < 0 || (size_t)n >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->listen_fd < 0)
		return -errno;
	if (bind(s->listen_fd, (struct sockaddr *)&addr, sizeof(addr)))
		return -errno;
	s->bound = 1;
	if (listen(s->listen_fd, 1))
		return -errno;
	return 0;
}

int ivshmem_server_new(const char *path, size_t shm_size,
		       unsigned int vectors, struct ivshmem_server **ret)
{
	struct ivshmem_server *s;
	unsigned int i;
	int err;

	if (!shm_size || (shm_size & (shm_size - 1)) || !vectors ||
	    vectors > IVSHMEM_MAX_VECTORS)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->listen_fd = s->client_fd = s->shm_fd = s->dir_fd = -1;
	for (i = 0; i < IVSHMEM_MAX_VECTORS; i++)
		s->doorbell[i] = s->interrupt[i] = -1;
	s->shm_size = shm_size;
	s->vectors = vectors;
	s->peer_uid = geteuid();
	err = make_shm(s);
	if (!err)
		err = new_eventfds(s->doorbell, vectors);
	if (!err)
		err = new_eventfds(s->interrupt, vectors);
	if (!err)
		err = listen_at(s, path);
	if (err) {
		ivshmem_server_free(s);
		return err;
	}
	*ret = s;
	return 0;
}

void ivshmem_server_set_peer_uid(struct ivshmem_server *s, uid_t uid)
{
	s->peer_uid = uid;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void ivshmem_server_free(struct ivshmem_server *s)
{
	unsigned int i;

	if (!s)
		return;
	close_fd(&s->client_fd);
	close_fd(&s->listen_fd);
	if (s->bound)
		unlinkat(s->dir_fd, s->name, 0);
	close_fd(&s->dir_fd);
	for (i = 0; i < IVSHMEM_MAX_VECTORS; i++) {
		close_fd(&s->doorbell[i]);
		close_fd(&s->interrupt[i]);
	}
	if (s->shm)
		munmap(s->shm, s->shm_size);
	close_fd(&s->shm_fd);
	free(s);
}

/* A new file at the number @fd had (dup3() closes the old one for us). */
static int replace_fd(int fd, int with)
{
	int err = 0;

	if (with < 0)
		return -errno;
	if (dup3(with, fd, O_CLOEXEC) < 0)
		err = -errno;
	close(with);
	return err;
}

/*
 * New memory where the old was mapped, new eventfds at the old numbers:
 * what the caller holds stays valid, and the QEMU before keeps only the
 * old files.
 */
int ivshmem_server_renew(struct ivshmem_server *s)
{
	unsigned int i;
	int err;

	if (s->client_fd >= 0 && ivshmem_server_connected(s))
		return -EISCONN;
	err = replace_fd(s->shm_fd, memfd_create("hypermem-ivshmem",
						  MFD_CLOEXEC));
	if (!err && ftruncate(s->shm_fd, (off_t)s->shm_size))
		err = -errno;
	if (!err && mmap(s->shm, s->shm_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, s->shm_fd, 0) == MAP_FAILED)
		err = -errno;
	for (i = 0; !err && i < s->vectors; i++) {
		err = replace_fd(s->doorbell[i],
				 eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
		if (!err)
			err = replace_fd(s->interrupt[i],
					 eventfd(0, EFD_CLOEXEC |
						 EFD_NONBLOCK));
	}
	if (!err)
		s->spent = 0;
	return err;
}

/* One message: @value, little-endian, and @fd beside it unless -1. */
static int send_message(int sock, int64_t value, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	unsigned char bytes[8];
	struct iovec iov = { .iov_base = bytes, .iov_len = sizeof(bytes) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;
	int i;

	for (i = 0; i < 8; i++)
		bytes[i] = (unsigned char)((uint64_t)value >> (8 * i));
	if (fd >= 0) {
		memset(&control, 0, sizeof(control));
		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof(control.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	for (;;) {
		ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL);

		if (n == (ssize_t)sizeof(bytes))
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 ? -errno : -EPIPE;
	}
}

/* The protocol's opening, in the spec's order (steps 1 to 5). */
static int send_opening(const struct ivshmem_server *s, int sock)
{
	unsigned int i;
	int err;

	err = send_message(sock, 0, -1);
	if (!err)
		err = send_message(sock, IVSHMEM_GUEST_ID, -1);
	if (!err)
		err = send_message(sock, -1, s->shm_fd);
	for (i = 0; !err && i < s->vectors; i++)
		err = send_message(sock, IVSHMEM_HOST_ID, s->doorbell[i]);
	for (i = 0; !err && i < s->vectors; i++)
		err = send_message(sock, IVSHMEM_GUEST_ID, s->interrupt[i]);
	return err;
}

static int peer_allowed(const struct ivshmem_server *s, int sock)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	return !getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &len) &&
	       cred.uid == s->peer_uid;
}

int ivshmem_server_accept(struct ivshmem_server *s, unsigned int timeout_ms)
{
	struct pollfd p = { .fd = s->listen_fd, .events = POLLIN };
	int n, sock, err;

	if (s->client_fd >= 0 && ivshmem_server_connected(s))
		return -EISCONN;
	if (s->spent)
		return -ESTALE;
	do
		n = poll(&p, 1, (int)timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (!n)
		return -ETIMEDOUT;
	sock = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (sock < 0)
		return -errno;
	if (!peer_allowed(s, sock)) {
		close(sock);
		return -EACCES;
	}
	/* Whatever part of the opening goes out is this QEMU's now. */
	s->spent = 1;
	err = send_opening(s, sock);
	if (err) {
		close(sock);
		return -EPIPE;
	}
	s->client_fd = sock;
	return 0;
}

void *ivshmem_server_shm(const struct ivshmem_server *s, size_t *size)
{
	*size = s->shm_size;
	return s->shm;
}

int ivshmem_server_shm_fd(const struct ivshmem_server *s)
{
	return s->shm_fd;
}

int ivshmem_server_doorbell_fd(const struct ivshmem_server *s,
			       unsigned int vector)
{
	return vector < s->vectors ? s->doorbell[vector] : -1;
}

unsigned long ivshmem_server_take(struct ivshmem_server *s,
				  unsigned int vector)
{
	uint64_t count = 0;

	if (vector >= s->vectors ||
	    read(s->doorbell[vector], &count, sizeof(count)) !=
	    (ssize_t)sizeof(count))
		return 0;
	return (unsigned long)count;
}

int ivshmem_server_notify(struct ivshmem_server *s, unsigned int vector)
{
	uint64_t one = 1;

	if (vector >= s->vectors)
		return -EINVAL;
	/* A counter at its limit still has a wakeup pending: nothing lost. */
	if (write(s->interrupt[vector], &one, sizeof(one)) != sizeof(one))
		return errno == EAGAIN ? 0 : -errno;
	return 0;
}

int ivshmem_server_connected(struct ivshmem_server *s)
{
	struct pollfd p = { .fd = s->client_fd, .events = POLLIN };
	char byte;

	if (s->client_fd < 0)
		return 0;
	/* QEMU never writes: readable means it closed (or misbehaves). */
	if (poll(&p, 1, 0) > 0 &&
	    recv(s->client_fd, &byte, 1, MSG_DONTWAIT) <= 0) {
		close_fd(&s->client_fd);
		return 0;
	}
	return 1;
}
