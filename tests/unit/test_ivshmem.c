// SPDX-License-Identifier: MIT
/*
 * The ivshmem server against a client played here as QEMU plays it
 * (docs/specs/ivshmem-spec, "The ivshmem Client-Server Protocol"): the
 * opening's messages in order with their file descriptors, the shared
 * memory both sides see, doorbells each way, a QEMU that leaves, and the
 * server's refusals.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <qemu/ivshmem.h>

#include "ivshmem_peer.h"

#define VECTORS 2
#define SHM_SIZE (1u << 20)

static char path[64];
/* The stock QEMU of the build's architecture and its board. */
static const char *qemu, *machine;

#define QMP_ASK "{\"execute\": \"qmp_capabilities\"}\n" \
		"{\"execute\": \"query-pci\"}\n"

/* Connect as QEMU does, before the server takes the connection. */
static int connect_client(void)
{
	int fd = ivshmem_peer_connect(path);

	assert_true(fd >= 0);
	return fd;
}

/* One message: its number, and its fd or -1. */
static int64_t receive(int sock, int *fd)
{
	int64_t value;

	assert_int_equal(ivshmem_peer_receive(sock, &value, fd), 0);
	return value;
}

struct client {
	int sock;
	int shm;
	int doorbell[VECTORS];		/* to ring the host */
	int interrupt[VECTORS];		/* where the host rings us */
};

static void opening(struct client *c)
{
	int fd, i;

	assert_int_equal(receive(c->sock, &fd), 0);	/* version */
	assert_int_equal(fd, -1);
	assert_int_equal(receive(c->sock, &fd), IVSHMEM_GUEST_ID);
	assert_int_equal(fd, -1);
	assert_int_equal(receive(c->sock, &c->shm), -1);
	assert_true(c->shm >= 0);
	for (i = 0; i < VECTORS; i++) {
		assert_int_equal(receive(c->sock, &c->doorbell[i]),
				 IVSHMEM_HOST_ID);
		assert_true(c->doorbell[i] >= 0);
	}
	for (i = 0; i < VECTORS; i++) {
		assert_int_equal(receive(c->sock, &c->interrupt[i]),
				 IVSHMEM_GUEST_ID);
		assert_true(c->interrupt[i] >= 0);
	}
}

static void close_client(struct client *c)
{
	int i;

	close(c->sock);
	close(c->shm);
	for (i = 0; i < VECTORS; i++) {
		close(c->doorbell[i]);
		close(c->interrupt[i]);
	}
}

static struct ivshmem_server *new_server(void)
{
	struct ivshmem_server *s;

	snprintf(path, sizeof(path), "/tmp/hm-ivshmem-test-%d", getpid());
	assert_int_equal(ivshmem_server_new(path, SHM_SIZE, VECTORS, &s), 0);
	return s;
}

/* The server takes @c, which maps the memory it got: its mapping. */
static uint8_t *take(struct ivshmem_server *s, struct client *c)
{
	uint8_t *theirs;

	assert_int_equal(ivshmem_server_accept(s, 1000), 0);
	opening(c);
	theirs = mmap(NULL, SHM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		      c->shm, 0);
	assert_true(theirs != MAP_FAILED);
	return theirs;
}

static void opening_gives_memory_and_doorbells_each_way(void **state)
{
	struct ivshmem_server *s = new_server();
	struct client c = { .sock = connect_client() };
	uint64_t one = 1, count = 0;
	struct pollfd p;
	uint8_t *theirs, *ours;
	size_t size;

	(void)state;
	/* One memory: what the guest writes, the host reads. */
	theirs = take(s, &c);
	ours = ivshmem_server_shm(s, &size);
	assert_int_equal(size, SHM_SIZE);
	theirs[SHM_SIZE - 1] = 0x5a;
	assert_int_equal(ours[SHM_SIZE - 1], 0x5a);
	/* The guest rings vector 1: only its fd on the host is readable. */
	assert_int_equal(write(c.doorbell[1], &one, sizeof(one)), sizeof(one));
	p = (struct pollfd){ .fd = ivshmem_server_doorbell_fd(s, 1),
			     .events = POLLIN };
	assert_int_equal(poll(&p, 1, 1000), 1);
	assert_int_equal(ivshmem_server_take(s, 0), 0);
	assert_int_equal(ivshmem_server_take(s, 1), 1);
	assert_int_equal(ivshmem_server_take(s, 1), 0);
	/* The host interrupts vector 0. */
	assert_int_equal(ivshmem_server_notify(s, 0), 0);
	assert_int_equal(read(c.interrupt[0], &count, sizeof(count)),
			 sizeof(count));
	assert_int_equal(count, 1);
	assert_int_equal(ivshmem_server_notify(s, VECTORS), -EINVAL);
	assert_int_equal(ivshmem_server_doorbell_fd(s, VECTORS), -1);
	assert_int_equal(ivshmem_server_connected(s), 1);
	munmap(theirs, SHM_SIZE);
	close_client(&c);
	/* QEMU gone: the server says so. */
	assert_int_equal(ivshmem_server_connected(s), 0);
	ivshmem_server_free(s);
	assert_int_equal(access(path, F_OK), -1);
}

/*
 * Debian's stock QEMU as the client: its ivshmem-doorbell reads the
 * opening while it realizes the device, and an opening it cannot take
 * ends QEMU with an error ("server sent version 1, expecting 0"). Taken,
 * the device is on its PCI bus (QMP query-pci), 1af4:1110, with the
 * shared memory as a BAR of its size.
 */
static void stock_qemu_takes_the_opening(void **state)
{
	struct ivshmem_server *s;
	char chardev[128], out[4096] = "";
	int to_qemu[2], from_qemu[2], status;
	size_t got = 0;
	pid_t pid;

	(void)state;
	s = new_server();
	snprintf(chardev, sizeof(chardev), "socket,path=%s,id=hm", path);
	assert_int_equal(pipe(to_qemu), 0);
	assert_int_equal(pipe(from_qemu), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		dup2(to_qemu[0], 0);
		dup2(from_qemu[1], 1);
		dup2(from_qemu[1], 2);
		execlp(qemu, qemu, "-M", machine, "-S", "-display", "none",
		       "-nodefaults", "-qmp", "stdio", "-chardev", chardev,
		       "-device", "ivshmem-doorbell,chardev=hm,vectors=2",
		       (char *)NULL);
		perror(qemu);
		_exit(127);
	}
	close(to_qemu[0]);
	close(from_qemu[1]);
	assert_int_equal(ivshmem_server_accept(s, 20000), 0);
	assert_true(write(to_qemu[1], QMP_ASK, strlen(QMP_ASK)) ==
		    (ssize_t)strlen(QMP_ASK));
	/* Its answer, or its error, within 20 s. */
	while (!strstr(out, "\"device\": 4368") && got < sizeof(out) - 1) {
		struct pollfd p = { .fd = from_qemu[0], .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 20000) != 1)
			break;
		n = read(from_qemu[0], out + got, sizeof(out) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		out[got] = '\0';
	}
	if (!strstr(out, "\"device\": 4368") ||
	    !strstr(out, "\"size\": 1048576"))
		fail_msg("QEMU did not take the opening: %s", out);
	assert_int_equal(ivshmem_server_connected(s), 1);
	kill(pid, SIGTERM);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(to_qemu[1]);
	close(from_qemu[0]);
	ivshmem_server_free(s);
}

static void nobody_connecting_times_out(void **state)
{
	struct ivshmem_server *s = new_server();

	(void)state;
	assert_int_equal(ivshmem_server_accept(s, 10), -ETIMEDOUT);
	assert_int_equal(ivshmem_server_connected(s), 0);
	ivshmem_server_free(s);
}

static void a_qemu_that_leaves_at_once_is_epipe(void **state)
{
	struct ivshmem_server *s = new_server();
	int sock = connect_client();

	(void)state;
	/* Gone before the opening, the unread backlog lost: the send fails. */
	shutdown(sock, SHUT_RD);
	close(sock);
	assert_int_equal(ivshmem_server_accept(s, 1000), -EPIPE);
	ivshmem_server_free(s);
}

static void bad_arguments_are_refused(void **state)
{
	struct ivshmem_server *s;
	char long_path[200];

	(void)state;
	assert_int_equal(ivshmem_server_new("/tmp/x", 3 << 20, 1, &s),
			 -EINVAL);
	assert_int_equal(ivshmem_server_new("/tmp/x", 1 << 20, 0, &s),
			 -EINVAL);
	assert_int_equal(ivshmem_server_new("/tmp/x", 1 << 20,
					    IVSHMEM_MAX_VECTORS + 1, &s),
			 -EINVAL);
	memset(long_path, 'p', sizeof(long_path) - 1);
	long_path[0] = '/';
	long_path[sizeof(long_path) - 1] = '\0';
	assert_int_equal(ivshmem_server_new(long_path, 1 << 20, 1, &s),
			 -ENAMETOOLONG);
}

/* The server's own socket calls, spoiled on demand (--wrap). */
int __real_bind(int fd, const struct sockaddr *addr, socklen_t len);
int __wrap_bind(int fd, const struct sockaddr *addr, socklen_t len);
int __real_listen(int fd, int backlog);
int __wrap_listen(int fd, int backlog);

static int fail_listen;
static void (*before_bind)(void);

int __wrap_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	void (*fn)(void) = before_bind;

	before_bind = NULL;
	if (fn)
		fn();
	return __real_bind(fd, addr, len);
}

int __wrap_listen(int fd, int backlog)
{
	if (fail_listen) {
		fail_listen = 0;
		errno = EADDRINUSE;
		return -1;
	}
	return __real_listen(fd, backlog);
}

static void a_failed_listen_leaves_no_socket(void **state)
{
	struct ivshmem_server *s;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/hm-ivshmem-test-%d", getpid());
	fail_listen = 1;
	assert_int_equal(ivshmem_server_new(path, SHM_SIZE, VECTORS, &s),
			 -EADDRINUSE);
	assert_int_equal(access(path, F_OK), -1);
}

/* Where the server was told to listen: a folder of its own. */
static char dir[48], moved[64], elsewhere[48];

static void make_dirs(void)
{
	snprintf(dir, sizeof(dir), "/tmp/hm-ivshmem-dir-%d", getpid());
	snprintf(moved, sizeof(moved), "%s.moved", dir);
	snprintf(elsewhere, sizeof(elsewhere), "/tmp/hm-ivshmem-else-%d",
		 getpid());
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(mkdir(elsewhere, 0700), 0);
	snprintf(path, sizeof(path), "%s/hm.sock", dir);
}

/* Someone who can write the parent swaps the folder for a link. */
static void swap_dir(void)
{
	assert_int_equal(rename(dir, moved), 0);
	assert_int_equal(symlink(elsewhere, dir), 0);
}

static void the_socket_goes_where_its_path_was_looked_at(void **state)
{
	struct ivshmem_server *s;
	char there[96], redirected[96];

	(void)state;
	make_dirs();
	snprintf(there, sizeof(there), "%s/hm.sock", moved);
	snprintf(redirected, sizeof(redirected), "%s/hm.sock", elsewhere);
	before_bind = swap_dir;
	assert_int_equal(ivshmem_server_new(path, SHM_SIZE, VECTORS, &s), 0);
	assert_int_equal(access(redirected, F_OK), -1);
	assert_int_equal(access(there, F_OK), 0);
	ivshmem_server_free(s);
	assert_int_equal(access(there, F_OK), -1);
	assert_int_equal(unlink(dir), 0);
	assert_int_equal(rmdir(moved), 0);
	assert_int_equal(rmdir(elsewhere), 0);
}

static void a_file_that_is_not_a_socket_is_kept(void **state)
{
	struct ivshmem_server *s;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/hm-ivshmem-test-%d", getpid());
	unlink(path);
	fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(ivshmem_server_new(path, SHM_SIZE, VECTORS, &s),
			 -EEXIST);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(unlink(path), 0);
}

static void a_socket_left_there_is_replaced(void **state)
{
	struct ivshmem_server *s, *old;

	(void)state;
	old = new_server();
	/* Gone without its cleanup: its socket file stays. */
	assert_int_equal(rename(path, "/tmp/hm-ivshmem-keep"), 0);
	ivshmem_server_free(old);
	assert_int_equal(rename("/tmp/hm-ivshmem-keep", path), 0);
	assert_int_equal(ivshmem_server_new(path, SHM_SIZE, VECTORS, &s), 0);
	ivshmem_server_free(s);
	assert_int_equal(access(path, F_OK), -1);
}

static void a_second_qemu_waits_for_the_first(void **state)
{
	struct ivshmem_server *s = new_server();
	struct client a = { .sock = connect_client() };
	int b = connect_client();
	struct pollfd p = { .fd = b, .events = POLLIN };

	(void)state;
	assert_int_equal(ivshmem_server_accept(s, 1000), 0);
	opening(&a);
	assert_int_equal(ivshmem_server_accept(s, 100), -EISCONN);
	/* B got nothing; A is still the one served. */
	assert_int_equal(poll(&p, 1, 0), 0);
	assert_int_equal(ivshmem_server_connected(s), 1);
	close(b);
	close_client(&a);
	ivshmem_server_free(s);
}

/*
 * A QEMU that had the memory and eventfds and left keeps them: the next
 * one gets new ones (ivshmem_server_renew()), never those.
 */
static void the_next_qemu_gets_new_memory(void **state)
{
	struct ivshmem_server *s = new_server();
	struct client a = { .sock = connect_client() };
	struct client b = { 0 };
	struct stat st_a, st_b;
	uint8_t *theirs, *ours;
	uint64_t one = 1;
	size_t size;

	(void)state;
	theirs = take(s, &a);
	ours = ivshmem_server_shm(s, &size);
	close(a.sock);
	assert_int_equal(ivshmem_server_connected(s), 0);
	b.sock = connect_client();
	assert_int_equal(ivshmem_server_accept(s, 1000), -ESTALE);
	assert_int_equal(ivshmem_server_renew(s), 0);
	assert_int_equal(ivshmem_server_accept(s, 1000), 0);
	opening(&b);
	/* B's memory is another file; the server's pointer is B's now. */
	assert_int_equal(fstat(a.shm, &st_a), 0);
	assert_int_equal(fstat(b.shm, &st_b), 0);
	assert_true(st_a.st_ino != st_b.st_ino);
	assert_ptr_equal(ivshmem_server_shm(s, &size), ours);
	theirs[0] = 0x5a;
	assert_int_equal(ours[0], 0);
	/* A's doorbell rings nothing of the server's. */
	assert_int_equal(write(a.doorbell[0], &one, sizeof(one)), sizeof(one));
	assert_int_equal(ivshmem_server_take(s, 0), 0);
	assert_int_equal(write(b.doorbell[0], &one, sizeof(one)), sizeof(one));
	assert_int_equal(ivshmem_server_take(s, 0), 1);
	munmap(theirs, SHM_SIZE);
	a.sock = -1;
	close_client(&a);
	close_client(&b);
	ivshmem_server_free(s);
}

/*
 * A QEMU of another user (nobody; as root only) is let go without a word:
 * the first recv() of its connection says how many bytes came.
 */
static void another_users_qemu_gets_nothing(void **state)
{
	struct ivshmem_server *s;
	ssize_t got = -1;
	int fds[2], status;
	pid_t pid;

	(void)state;
	if (geteuid())
		skip();
	s = new_server();
	/* A socket anyone may connect to: the check is the server's. */
	assert_int_equal(chmod(path, 0777), 0);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		char buf[8];
		int sock;

		if (setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(2);
		sock = ivshmem_peer_connect(path);
		if (sock < 0)
			_exit(3);
		got = recv(sock, buf, sizeof(buf), 0);
		_exit(write(fds[1], &got, sizeof(got)) == sizeof(got) ? 0 : 4);
	}
	close(fds[1]);
	assert_int_equal(ivshmem_server_accept(s, 5000), -EACCES);
	assert_int_equal(read(fds[0], &got, sizeof(got)), sizeof(got));
	assert_int_equal(got, 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(status, 0);
	close(fds[0]);
	assert_int_equal(ivshmem_server_connected(s), 0);
	ivshmem_server_free(s);
}

/* test-ivshmem [QEMU MACHINE]: with them, also against that stock QEMU. */
int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(opening_gives_memory_and_doorbells_each_way),
		cmocka_unit_test(nobody_connecting_times_out),
		cmocka_unit_test(a_qemu_that_leaves_at_once_is_epipe),
		cmocka_unit_test(bad_arguments_are_refused),
		cmocka_unit_test(a_failed_listen_leaves_no_socket),
		cmocka_unit_test(the_socket_goes_where_its_path_was_looked_at),
		cmocka_unit_test(a_file_that_is_not_a_socket_is_kept),
		cmocka_unit_test(a_socket_left_there_is_replaced),
		cmocka_unit_test(a_second_qemu_waits_for_the_first),
		cmocka_unit_test(another_users_qemu_gets_nothing),
		cmocka_unit_test(the_next_qemu_gets_new_memory),
	};
	const struct CMUnitTest qemu_tests[] = {
		cmocka_unit_test(stock_qemu_takes_the_opening),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	if (argc != 3)
		return failed;
	qemu = argv[1];
	machine = argv[2];
	return failed + cmocka_run_group_tests(qemu_tests, NULL, NULL);
}
