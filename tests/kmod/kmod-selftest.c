// SPDX-License-Identifier: MIT
/*
 * Runs inside the QEMU guest against the hypermem module.
 *
 *   kmod-selftest passive    module loaded with passive=1: the device and
 *                            its refusals without a host
 *   kmod-selftest loopback   module loaded with loopback=1: every op handler,
 *                            served as a host would ask, with exact results
 *   kmod-selftest events     module loaded with transport=selftest and
 *                            syscalls=21, run pinned to one CPU: a user
 *                            event and access(2) reach the in-module host,
 *                            which logs what it got
 *
 * Loopback mode re-executes itself with an argv and environment of more than
 * one region's data each, so that reading them takes several chunks.
 */
#define _GNU_SOURCE
/* __u64 as unsigned long long on mips64 and ppc64 too (asm/types.h). */
#define __SANE_USERSPACE_TYPES__
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hypermem/protocol.h>
#include "hypermem_ioctl.h"

#define PAGE 4096
/* Replies number socket types as Linux does on x86; MIPS swaps 1 and 2. */
#define WIRE_SOCK_STREAM 1
#define CHUNK HM_DATA_SIZE
#define CHILD_MARK "HM_SELFTEST_CHILD=1"

extern char **environ;

static int dev = -1;
static int checks, failures;
static struct hm_region region;
static const char *mode_name = "";

static void check(int ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	checks++;
	if (ok) {
		printf("ok - %s%s\n", name, mode_name);
		return;
	}
	failures++;
	printf("not ok - %s%s: ", name, mode_name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* Hands the module one request; returns the ioctl's result. */
static int request(uint32_t flags, uint64_t op, uint64_t addr, uint64_t size,
		   const void *data, size_t data_len)
{
	struct hm_ioc_loopback req = {
		.region = (uintptr_t)&region,
		.flags = flags,
	};

	memset(&region, 0xa5, sizeof(region));
	region.op = op;
	region.addr = addr;
	region.size = size;
	if (data)
		memcpy(region.data, data, data_len);
	return ioctl(dev, HM_IOC_LOOPBACK, &req);
}

static void expect(const char *name, uint64_t op, uint64_t addr,
		   uint64_t size)
{
	check(region.op == op && region.addr == addr && region.size == size,
	      name, "got op %llu addr %llu size %llu, want %llu %llu %llu",
	      (unsigned long long)region.op, (unsigned long long)region.addr,
	      (unsigned long long)region.size, (unsigned long long)op,
	      (unsigned long long)addr, (unsigned long long)size);
}

static void expect_fail(const char *name, uint64_t err)
{
	expect(name, HM_RESP_READ_FAIL, 0, err);
}

static void expect_data(const char *name, const void *want, size_t len)
{
	check(!memcmp(region.data, want, len), name, "data differs");
}

static uint64_t ptr(const void *p)
{
	return (uintptr_t)p;
}

/* Two pages; the second is unmapped, so reads run into a hole. */
static char *page_before_hole(void)
{
	char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int i;

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	for (i = 0; i < PAGE; i++)
		p[i] = (char)(i * 13 + 1);
	munmap(p + PAGE, PAGE);
	return p;
}

static void test_read(uint32_t fl)
{
	static char buf[300];
	char *p = page_before_hole();
	size_t i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i ^ 0x5a);
	request(fl, HM_OP_READ, ptr(buf), sizeof(buf), NULL, 0);
	expect("read_own_buffer", HM_RESP_READ_OK, ptr(buf), sizeof(buf));
	expect_data("read_own_buffer_bytes", buf, sizeof(buf));

	request(fl, HM_OP_READ, ptr(p + PAGE - 100), 300, NULL, 0);
	expect("read_into_unmapped_page_is_partial", HM_RESP_READ_PARTIAL,
	       ptr(p + PAGE - 100), 100);
	expect_data("read_into_unmapped_page_prefix", p + PAGE - 100, 100);

	request(fl, HM_OP_READ, ptr(p + PAGE), 16, NULL, 0);
	expect_fail("read_unmapped_page_fails", HM_EFAULT);
	/* A 32-bit kernel must not cut this address to the buffer's. */
	request(fl, HM_OP_READ, ptr(buf) + (1ull << 32), 16, NULL, 0);
	expect_fail("read_4gib_above_own_buffer_fails", HM_EFAULT);

	request(fl, HM_OP_READ, ptr(buf), 0, NULL, 0);
	expect_fail("read_of_zero_bytes_is_invalid", HM_EINVAL);
	request(fl, HM_OP_READ, ptr(buf), CHUNK + 1, NULL, 0);
	expect_fail("read_larger_than_region_is_invalid", HM_EINVAL);
	munmap(p, PAGE);
}

/* A page never touched has no frame: atomic context must not fault it in. */
static void test_read_not_resident(void)
{
	static const char zeros[64];
	char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	request(HM_LOOPBACK_ATOMIC, HM_OP_READ, ptr(p), 64, NULL, 0);
	expect_fail("atomic_read_of_non_resident_page_faults", HM_EFAULT);
	request(0, HM_OP_READ, ptr(p), 64, NULL, 0);
	expect("sleeping_read_of_non_resident_page_faults_it_in",
	       HM_RESP_READ_OK, ptr(p), 64);
	expect_data("sleeping_read_of_non_resident_page_is_zero", zeros, 64);
	munmap(p, PAGE);
}

static void test_write(uint32_t fl)
{
	static char buf[64];
	char data[200];
	char *p = page_before_hole();

	memset(data, 'w', sizeof(data));
	memset(buf, 0, sizeof(buf));
	request(fl, HM_OP_WRITE, ptr(buf), 10, data, sizeof(data));
	expect("write_own_buffer", HM_RESP_WRITE_OK, ptr(buf), 10);
	check(!memcmp(buf, data, 10) && buf[10] == 0, "write_own_buffer_bytes",
	      "buffer holds '%.12s'", buf);

	request(fl, HM_OP_WRITE, ptr(p + PAGE - 50), 200, data, sizeof(data));
	expect("write_into_unmapped_page_stops_at_it", HM_RESP_WRITE_FAIL,
	       HM_EFAULT, 50);
	check(!memcmp(p + PAGE - 50, data, 50), "write_prefix_landed",
	      "the 50 bytes before the hole differ");
	munmap(p, PAGE);
}

static void test_read_str(uint32_t fl)
{
	static char s[64] = "hello";
	char *p = page_before_hole();

	request(fl, HM_OP_READ_STR, ptr(s), 64, NULL, 0);
	expect("read_str_stops_at_nul", HM_RESP_READ_OK, ptr(s), 5);
	expect_data("read_str_bytes", "hello", 6);

	memset(p, 'x', 32);
	request(fl, HM_OP_READ_STR, ptr(p), 16, NULL, 0);
	expect("read_str_without_nul_fills_request", HM_RESP_READ_OK, ptr(p),
	       16);

	memcpy(p + PAGE - 4, "abc", 4);
	request(fl, HM_OP_READ_STR, ptr(p + PAGE - 4), 100, NULL, 0);
	expect("read_str_ending_before_hole", HM_RESP_READ_OK,
	       ptr(p + PAGE - 4), 3);

	memset(p + PAGE - 40, 'y', 40);
	request(fl, HM_OP_READ_STR, ptr(p + PAGE - 40), 100, NULL, 0);
	expect("read_str_into_hole_is_partial", HM_RESP_READ_PARTIAL,
	       ptr(p + PAGE - 40), 40);
	expect_data("read_str_partial_prefix", p + PAGE - 40, 40);

	request(fl, HM_OP_READ_STR, ptr(p + PAGE), 100, NULL, 0);
	expect_fail("read_str_in_hole_fails", HM_EFAULT);
	munmap(p, PAGE);
}

static void expect_fd_name(uint32_t fl, const char *name, int fd,
			   const char *want)
{
	char bytes[96];

	snprintf(bytes, sizeof(bytes), "%s_bytes", name);
	request(fl, HM_OP_READ_FD_NAME, fd, CHUNK, NULL, 0);
	expect(name, HM_RESP_READ_OK, fd, strlen(want));
	check(!memcmp(region.data, want, strlen(want)), bytes,
	      "name '%.*s', want '%s'", (int)strlen(want), region.data, want);
}

static void test_fd_name(uint32_t fl)
{
	char want[64];
	struct stat st;
	int file, pipes[2], sock;

	file = open("/tmp/hm-selftest-file", O_CREAT | O_RDWR, 0600);
	if (file < 0 || pipe(pipes))
		perror("open/pipe");
	sock = socket(AF_INET, SOCK_STREAM, 0);
	expect_fd_name(fl, "fd_name_of_file", file, "/tmp/hm-selftest-file");
	fstat(pipes[0], &st);
	snprintf(want, sizeof(want), "pipe:[%lu]", (unsigned long)st.st_ino);
	expect_fd_name(fl, "fd_name_of_pipe", pipes[0], want);
	fstat(sock, &st);
	snprintf(want, sizeof(want), "socket:[%lu]", (unsigned long)st.st_ino);
	expect_fd_name(fl, "fd_name_of_socket", sock, want);

	request(fl, HM_OP_READ_FD_NAME, 999, CHUNK, NULL, 0);
	expect_fail("fd_name_of_closed_fd_is_ebadf", HM_EBADF);
	request(fl, HM_OP_READ_FD_NAME, file, 8, NULL, 0);
	expect_fail("fd_name_longer_than_request", HM_ENAMETOOLONG);
	close(file);
	close(pipes[0]);
	close(pipes[1]);
	close(sock);
}

/* The argv or environment block as the kernel laid it out at exec. */
static size_t flatten(char **strings, char *out, size_t cap)
{
	size_t len = 0, n;

	for (; *strings; strings++) {
		n = strlen(*strings) + 1;
		if (len + n > cap)
			exit(2);
		memcpy(out + len, *strings, n);
		len += n;
	}
	return len;
}

static void expect_area(uint32_t fl, const char *name, uint64_t op,
			const char *want, size_t total)
{
	size_t offset, n;
	int ok = 1;

	for (offset = 0; offset < total && ok; offset += n) {
		n = total - offset < CHUNK ? total - offset : CHUNK;
		request(fl, op, offset, CHUNK, NULL, 0);
		ok = region.op == HM_RESP_READ_OK && region.addr == total &&
		     region.size == n &&
		     !memcmp(region.data, want + offset, n);
	}
	check(ok && total > CHUNK, name,
	      "at offset %zu of %zu: op %llu addr %llu size %llu", offset,
	      total, (unsigned long long)region.op,
	      (unsigned long long)region.addr,
	      (unsigned long long)region.size);
}

static void test_proc_areas(uint32_t fl, char **argv)
{
	static char args[64 * 1024], env[64 * 1024];
	size_t args_len = flatten(argv, args, sizeof(args));
	size_t env_len = flatten(environ, env, sizeof(env));

	expect_area(fl, "procargs_in_chunks_match_argv", HM_OP_READ_PROCARGS,
		    args, args_len);
	expect_area(fl, "procenv_in_chunks_match_environ", HM_OP_READ_PROCENV,
		    env, env_len);
	request(fl, HM_OP_READ_PROCARGS, args_len, CHUNK, NULL, 0);
	expect("procargs_at_end_is_empty", HM_RESP_READ_OK, args_len, 0);
}

static void test_pid(uint32_t fl)
{
	request(fl, HM_OP_READ_PROCPID, 0, 0, NULL, 0);
	expect("procpid_is_getpid", HM_RESP_READ_NUM, 0, getpid());
}

static void test_read_file(uint32_t fl)
{
	static const char path[] = "/tmp/hm-selftest-data";
	static char content[5000];
	size_t i;
	int fd;

	for (i = 0; i < sizeof(content); i++)
		content[i] = (char)(i * 7);
	fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	if (fd < 0 || write(fd, content, sizeof(content)) != sizeof(content))
		perror(path);
	close(fd);

	request(fl, HM_OP_READ_FILE, 0, CHUNK, path, sizeof(path));
	if (fl & HM_LOOPBACK_ATOMIC) {
		/* filp_open and kernel_read sleep. */
		expect_fail("read_file_in_atomic_context_is_eagain", EAGAIN);
		return;
	}
	expect("read_file_first_chunk", HM_RESP_READ_OK, sizeof(content),
	       CHUNK);
	expect_data("read_file_first_chunk_bytes", content, CHUNK);
	request(fl, HM_OP_READ_FILE, CHUNK, CHUNK, path, sizeof(path));
	expect("read_file_last_chunk", HM_RESP_READ_OK, sizeof(content),
	       sizeof(content) - CHUNK);
	expect_data("read_file_last_chunk_bytes", content + CHUNK,
		    sizeof(content) - CHUNK);
	request(fl, HM_OP_READ_FILE, 0, CHUNK, "/tmp/none", 10);
	expect_fail("read_file_missing_is_enoent", HM_ENOENT);
	request(fl, HM_OP_READ_FILE, 0, CHUNK, "", 1);
	expect_fail("read_file_empty_path_is_einval", HM_EINVAL);
}

/* What getsockname and getpeername say; remote_len 0 when unconnected. */
static void socket_names(int fd, struct hm_socket_info *want)
{
	socklen_t len = HM_SOCKADDR_MAX;

	memset(want, 0, sizeof(*want));
	if (getsockname(fd, (struct sockaddr *)want->local, &len) == 0)
		want->local_len = len;
	len = HM_SOCKADDR_MAX;
	if (getpeername(fd, (struct sockaddr *)want->remote, &len) == 0)
		want->remote_len = len;
}

static void expect_socket(uint32_t fl, const char *name, int fd,
			  uint32_t family, uint32_t type, uint32_t protocol,
			  uint32_t state)
{
	struct hm_socket_info info, want;
	char fields[96];

	snprintf(fields, sizeof(fields), "%s_fields", name);
	socket_names(fd, &want);
	request(fl, HM_OP_READ_SOCKET_INFO, fd, 0, NULL, 0);
	expect(name, HM_RESP_READ_OK, fd, sizeof(info));
	memcpy(&info, region.data, sizeof(info));
	check(info.family == family && info.type == type &&
	      info.protocol == protocol && info.state == state &&
	      info.local_len == want.local_len &&
	      info.remote_len == want.remote_len &&
	      !memcmp(info.local, want.local, want.local_len) &&
	      !memcmp(info.remote, want.remote, want.remote_len),
	      fields, "family %u type %u proto %u state %u lens %u/%u, want lens %u/%u",
	      info.family, info.type, info.protocol, info.state,
	      info.local_len, info.remote_len, want.local_len,
	      want.remote_len);
}

/* TCP states from include/net/tcp_states.h. */
#define TCP_ESTABLISHED 1
#define TCP_LISTEN 10

/*
 * A listening socket and a client connected to it. IPv4 uses two different
 * addresses of 127/8, so that a local and a remote address cannot be
 * mistaken for each other.
 */
static int tcp_pair(int family, int *client)
{
	struct sockaddr_storage addr = { .ss_family = family };
	struct sockaddr_in from = { .sin_family = AF_INET };
	socklen_t len = sizeof(addr);
	int server = socket(family, SOCK_STREAM, 0);

	*client = socket(family, SOCK_STREAM, 0);
	if (family == AF_INET) {
		((struct sockaddr_in *)&addr)->sin_addr.s_addr =
			htonl(INADDR_LOOPBACK + 1);
		from.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 2);
		if (bind(*client, (struct sockaddr *)&from, sizeof(from)))
			perror("bind client");
	} else {
		((struct sockaddr_in6 *)&addr)->sin6_addr = in6addr_loopback;
	}
	if (bind(server, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(server, 1) ||
	    getsockname(server, (struct sockaddr *)&addr, &len) ||
	    connect(*client, (struct sockaddr *)&addr, len))
		perror("tcp setup");
	return server;
}

static void test_socket_info(uint32_t fl)
{
	int server4, client4, server6, client6, unix_pair[2];
	int file = open("/tmp/hm-selftest-file", O_RDONLY);

	server4 = tcp_pair(AF_INET, &client4);
	server6 = tcp_pair(AF_INET6, &client6);
	socketpair(AF_UNIX, SOCK_STREAM, 0, unix_pair);
	expect_socket(fl, "socket_info_of_listening_tcp_socket", server4,
		      AF_INET, WIRE_SOCK_STREAM, IPPROTO_TCP, TCP_LISTEN);
	expect_socket(fl, "socket_info_of_connected_tcp_socket", client4,
		      AF_INET, WIRE_SOCK_STREAM, IPPROTO_TCP, TCP_ESTABLISHED);
	expect_socket(fl, "socket_info_of_listening_tcp6_socket", server6,
		      AF_INET6, WIRE_SOCK_STREAM, IPPROTO_TCP, TCP_LISTEN);
	expect_socket(fl, "socket_info_of_connected_tcp6_socket", client6,
		      AF_INET6, WIRE_SOCK_STREAM, IPPROTO_TCP, TCP_ESTABLISHED);
	if (fl & HM_LOOPBACK_ATOMIC) {
		/* The module describes only inet sockets in atomic context. */
		request(fl, HM_OP_READ_SOCKET_INFO, unix_pair[0], 0, NULL, 0);
		expect_fail("socket_info_of_unix_socket_is_eagain", EAGAIN);
	} else {
		expect_socket(fl, "socket_info_of_unix_socketpair",
			      unix_pair[0], AF_UNIX, WIRE_SOCK_STREAM, 0,
			      TCP_ESTABLISHED);
	}
	request(fl, HM_OP_READ_SOCKET_INFO, file, 0, NULL, 0);
	expect_fail("socket_info_of_file_is_enotsock", HM_ENOTSOCK);
	close(server4);
	close(client4);
	close(server6);
	close(client6);
	close(unix_pair[0]);
	close(unix_pair[1]);
	close(file);
}

/* linux_banner is what /proc/version prints, for an unchanged uname. */
static uint64_t kernel_symbol(const char *want)
{
	char line[256], name[128], type;
	unsigned long long addr;
	FILE *f = fopen("/proc/kallsyms", "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %127s", &addr, &type, name) == 3 &&
		    !strcmp(name, want)) {
			fclose(f);
			return addr;
		}
	}
	if (f)
		fclose(f);
	return 0;
}

static void test_kernel_address(uint32_t fl)
{
	uint64_t banner = kernel_symbol("linux_banner");
	char version[512] = "";
	FILE *f = fopen("/proc/version", "r");

	if (f) {
		if (!fgets(version, sizeof(version), f))
			version[0] = 0;
		fclose(f);
	}
	if (!banner) {
		printf("skip - kernel_address: linux_banner not in kallsyms\n");
		return;
	}
	request(fl, HM_OP_READ_STR, banner, 512, NULL, 0);
	expect("read_str_of_kernel_linux_banner", HM_RESP_READ_OK, banner,
	       strlen(version));
	expect_data("kernel_linux_banner_is_proc_version", version,
		    strlen(version));
	request(fl, HM_OP_WRITE, banner, 4, "XXXX", 4);
	expect("write_to_kernel_address_is_refused", HM_RESP_WRITE_FAIL,
	       HM_EFAULT, 0);
}

/* A name of a list reply: the entry at @at, its name after @head bytes. */
static int name_is(size_t at, size_t head, uint32_t len, const char *want)
{
	return len == strlen(want) &&
	       !memcmp(region.data + at + head, want, len);
}

/*
 * The whole system: this process in the task list, a child of init; its
 * map naming its executable and stack; /dev/hypermem among its files; its
 * exe and cwd; and a pid that is not there.
 */
static void test_system(uint32_t fl)
{
	uint64_t cursor = 0;
	int found = 0, text = 0, stack = 0, devfd = 0;
	size_t at;

	request(fl, HM_OP_PROC_LIST, (uint64_t)getpid(), CHUNK, NULL, 0);
	if (region.op == HM_RESP_READ_OK && region.size >= 56) {
		struct hm_proc_entry e;

		memcpy(&e, region.data, sizeof(e));
		found = e.pid == (uint64_t)getpid() && e.tgid == e.pid &&
			e.ppid == (uint64_t)getppid() && e.state == 'R' &&
			!strcmp(e.comm, "kmod-selftest");
	}
	check(found, "proc_list_from_the_cursor_starts_with_us",
	      "op %llu size %llu", (unsigned long long)region.op,
	      (unsigned long long)region.size);
	request(fl, HM_OP_PROC_MAPS, 0, CHUNK, &cursor, sizeof(cursor));
	for (at = 0; region.op == HM_RESP_READ_OK && at + 40 <= region.size;) {
		struct hm_map_entry e;

		memcpy(&e, region.data + at, sizeof(e));
		text |= (e.flags & HM_MAP_EXEC) &&
			name_is(at, 40, e.name_len, "/kmod-selftest");
		stack |= name_is(at, 40, e.name_len, "[stack]");
		at += 40 + ((e.name_len + 7) & ~7u);
	}
	check(text && stack && at == region.size,
	      "proc_maps_names_the_executable_and_the_stack",
	      "op %llu, text %d, stack %d", (unsigned long long)region.op,
	      text, stack);
	request(fl, HM_OP_PROC_FDS, 0, CHUNK, &cursor, sizeof(cursor));
	for (at = 0; region.op == HM_RESP_READ_OK && at + 16 <= region.size;) {
		struct hm_fd_entry e;

		memcpy(&e, region.data + at, sizeof(e));
		devfd |= e.fd == (uint32_t)dev &&
			 name_is(at, 16, e.name_len, "/dev/hypermem");
		at += 16 + ((e.name_len + 7) & ~7u);
	}
	check(devfd, "proc_fds_has_dev_hypermem", "op %llu",
	      (unsigned long long)region.op);
	request(fl, HM_OP_PROC_EXE, 0, CHUNK, NULL, 0);
	expect("proc_exe_is_our_path", HM_RESP_READ_OK, 0,
	       strlen("/kmod-selftest"));
	expect_data("proc_exe_is_our_path", "/kmod-selftest", 14);
	request(fl, HM_OP_PROC_CWD, 1, CHUNK, NULL, 0);
	expect("proc_cwd_of_init", HM_RESP_READ_OK, 1, 1);
	expect_data("proc_cwd_of_init", "/", 1);
	request(fl, HM_OP_PROC_EXE, 2, CHUNK, NULL, 0);
	expect_fail("proc_exe_of_a_kernel_thread_is_esrch", HM_ESRCH);
	request(fl, HM_OP_PROC_MAPS, 4000000, CHUNK, &cursor,
		sizeof(cursor));
	expect_fail("proc_maps_of_no_process_is_esrch", HM_ESRCH);
}

/* A file written as the host would ask: created, then patched. */
static void test_write_file(uint32_t fl)
{
	static const char path[] = "/tmp/hm-written";
	struct {
		struct hm_write_file w;
		char path[sizeof(path)];
		char data[8];
	} req = {
		.w = { .flags = HM_WRITE_CREATE | HM_WRITE_TRUNCATE,
		       .mode = 0600, .path_len = sizeof(path), .data_len = 8 },
		.path = "/tmp/hm-written",
		.data = "abcdefgh",
	};
	char back[16] = { 0 };
	int fd;

	unlink(path);
	request(fl, HM_OP_WRITE_FILE, 0, sizeof(req), &req, sizeof(req));
	if (fl & HM_LOOPBACK_ATOMIC) {
		/* Writing a file sleeps: refused from a tracepoint. */
		expect("write_file_in_atomic_context_is_eagain",
		       HM_RESP_WRITE_FAIL, HM_EAGAIN, 0);
		check(access(path, F_OK) != 0, "write_file_in_atomic_context_"
		      "writes_nothing", "%s exists", path);
		return;
	}
	expect("write_file_creates", HM_RESP_WRITE_OK, 0, 8);
	req.w.offset = 2;
	req.w.flags = 0;
	req.w.data_len = 3;
	memcpy(req.data, "XYZ", 3);
	request(fl, HM_OP_WRITE_FILE, 0, sizeof(req.w) + sizeof(path) + 3,
		&req, sizeof(req));
	expect("write_file_at_an_offset", HM_RESP_WRITE_OK, 0, 3);
	fd = open(path, O_RDONLY);
	check(fd >= 0 && read(fd, back, sizeof(back)) == 8 &&
	      !strcmp(back, "abXYZfgh"), "write_file_content_is_what_was_"
	      "written", "read back '%s'", back);
	if (fd >= 0)
		close(fd);
	req.w.flags = 0;
	memcpy(req.path, "/tmp/hm-missing", sizeof(path));
	request(fl, HM_OP_WRITE_FILE, 0, sizeof(req.w) + sizeof(path) + 3,
		&req, sizeof(req));
	expect("write_file_without_create_is_enoent", HM_RESP_WRITE_FAIL,
	       HM_ENOENT, 0);
	unlink(path);
}

/* Another process: our parent where we may sleep, not in atomic context. */
static void test_use_process(uint32_t fl)
{
	request(fl, HM_OP_USE_PROCESS, 0, 0, NULL, 0);
	expect("use_process_0_is_our_own", HM_RESP_READ_NUM, 0,
	       (uint64_t)getpid());
	request(fl, HM_OP_USE_PROCESS, (uint64_t)getpid(), 0, NULL, 0);
	expect("use_process_of_ourselves", HM_RESP_READ_NUM,
	       (uint64_t)getpid(), (uint64_t)getpid());
	request(fl, HM_OP_USE_PROCESS, (uint64_t)getppid(), 0, NULL, 0);
	if (fl & HM_LOOPBACK_ATOMIC)
		expect_fail("use_process_of_another_in_atomic_is_eagain",
			    HM_EAGAIN);
	else
		expect("use_process_of_our_parent", HM_RESP_READ_NUM,
		       (uint64_t)getppid(), (uint64_t)getppid());
	request(fl, HM_OP_USE_PROCESS, 2, 0, NULL, 0);
	expect_fail("use_process_of_a_kernel_thread_is_esrch", HM_ESRCH);
}

static void test_not_a_request(void)
{
	int ret = request(0, HM_OP_NONE, 0, 0, NULL, 0);

	check(ret == 1 && region.op == HM_OP_NONE, "op_none_ends_the_event",
	      "ioctl returned %d", ret);
	request(0, 99, 0, 8, NULL, 0);
	expect_fail("unknown_op_is_enosys", HM_ENOSYS);
}

static void test_bad_ioctl_args(void)
{
	struct hm_ioc_loopback req = {
		.region = (uintptr_t)&region,
		.flags = 0x80,
	};
	int ret = ioctl(dev, HM_IOC_LOOPBACK, &req);

	check(ret == -1 && errno == EINVAL, "loopback_unknown_flag_is_einval",
	      "ioctl returned %d errno %d", ret, errno);
	req.flags = 0;
	req.region = 8;
	ret = ioctl(dev, HM_IOC_LOOPBACK, &req);
	check(ret == -1 && errno == EFAULT, "loopback_bad_region_is_efault",
	      "ioctl returned %d errno %d", ret, errno);
}

static void run_loopback(char **argv)
{
	static const uint32_t modes[] = { 0, HM_LOOPBACK_ATOMIC };
	size_t i;

	for (i = 0; i < 2; i++) {
		mode_name = modes[i] ? " [atomic]" : "";
		test_read(modes[i]);
		test_write(modes[i]);
		test_read_str(modes[i]);
		test_fd_name(modes[i]);
		test_proc_areas(modes[i], argv);
		test_pid(modes[i]);
		test_read_file(modes[i]);
		test_socket_info(modes[i]);
		test_kernel_address(modes[i]);
		test_system(modes[i]);
		test_write_file(modes[i]);
		test_use_process(modes[i]);
	}
	mode_name = "";
	test_read_not_resident();
	test_not_a_request();
	test_bad_ioctl_args();
}

static void run_passive(void)
{
	struct hm_ioc_event event = { .code = 7, .args = { 1, 2 } };
	struct stat st = { 0 };
	int ret, status;
	pid_t pid;

	ret = stat("/dev/hypermem", &st);
	check(!ret && S_ISCHR(st.st_mode) &&
	      (st.st_mode & 0777) == 0600 && st.st_uid == 0,
	      "dev_hypermem_is_a_root_only_char_device", "mode %o uid %u",
	      st.st_mode, st.st_uid);
	ret = ioctl(dev, HM_IOC_RAISE, &event);
	check(ret == -1 && errno == ENODEV, "raise_without_host_is_enodev",
	      "ioctl returned %d errno %d", ret, errno);
	ret = request(0, HM_OP_READ_PROCPID, 0, 0, NULL, 0);
	check(ret == -1 && errno == EOPNOTSUPP,
	      "loopback_needs_the_parameter", "ioctl returned %d errno %d",
	      ret, errno);
	ret = ioctl(dev, _IO(HM_IOC_MAGIC, 99));
	check(ret == -1 && errno == ENOTTY, "unknown_ioctl_is_enotty",
	      "ioctl returned %d errno %d", ret, errno);

	pid = fork();
	if (pid == 0) {
		if (setuid(65534))
			_exit(2);
		_exit(open("/dev/hypermem", O_RDWR) < 0 && errno == EACCES ?
		      0 : 1);
	}
	waitpid(pid, &status, 0);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "non_root_cannot_open_the_device", "child status %#x", status);
}

/* One line of the selftest host's log (guest-kmod/selftest_host.c). */
struct logged_event {
	unsigned long long pid, nr, args[6], pid_op, str_op;
	long long ret;
	unsigned int kind;
	int cpu;
	char str[65];
};

#define SYSLOG_ACTION_READ_ALL 3

/* The events the selftest host logged for this process, oldest first. */
static int find_events(struct logged_event *out, int max)
{
	static char log[1 << 21];
	static const char tag[] = "selftest host: event ";
	int len = klogctl(SYSLOG_ACTION_READ_ALL, log, sizeof(log) - 1);
	char *line, *save = NULL;
	struct logged_event *e;
	int n = 0;

	if (len < 0)
		return -1;
	log[len] = 0;
	for (line = strtok_r(log, "\n", &save); line && n < max;
	     line = strtok_r(NULL, "\n", &save)) {
		line = strstr(line, tag);
		if (!line)
			continue;
		e = &out[n];
		memset(e, 0, sizeof(*e));
		if (sscanf(line + strlen(tag),
			   "cpu=%d pid=%llu kind=%u nr=%llu ret=%lld args=%llx,%llx,%llx,%llx,%llx,%llx pid_op=%llu str_op=%llu str=%64s",
			   &e->cpu, &e->pid, &e->kind, &e->nr, &e->ret, &e->args[0],
			   &e->args[1], &e->args[2], &e->args[3], &e->args[4],
			   &e->args[5], &e->pid_op, &e->str_op, e->str) >= 13 &&
		    e->pid == (unsigned long long)getpid())
			n++;
	}
	return n;
}

static void expect_event(const char *name, const struct logged_event *e,
			 unsigned int kind, long nr, long long ret,
			 const unsigned long long *args, int nargs,
			 const char *str)
{
	/* The caller is pinned to one CPU: the event used that CPU's region. */
	int ok = e->cpu == sched_getcpu() && e->kind == kind &&
		 e->nr == (unsigned long long)nr &&
		 e->ret == ret && e->pid_op == HM_RESP_READ_NUM &&
		 e->str_op == HM_RESP_READ_OK && !strcmp(e->str, str);
	int i;

	for (i = 0; i < nargs; i++)
		ok = ok && e->args[i] == args[i];
	check(ok, name,
	      "cpu %d kind %u nr %llu ret %lld args %llx,%llx pid_op %llu str_op %llu str '%s'",
	      e->cpu, e->kind, e->nr, e->ret, e->args[0], e->args[1], e->pid_op,
	      e->str_op, e->str);
}

/* Strings on the stack: written, so resident when the tracepoint reads. */
static void run_events(void)
{
	char text[64] = "hello-from-user", path[64] = "/hm-events-probe";
	struct hm_ioc_event user = { .code = 0x1234, .args = { 0, 2, 3, 4, 5, 6 } };
	unsigned long long access_args[2] = { ptr(path), F_OK };
	struct logged_event events[8];
	long ret;
	int n;

	user.args[0] = ptr(text);
	ret = ioctl(dev, HM_IOC_RAISE, &user);
	check(ret == 0, "raise_user_event_with_a_host", "ioctl returned %ld errno %d",
	      ret, errno);
	ret = syscall(SYS_access, path, F_OK);
	check(ret == -1 && errno == ENOENT, "access_of_missing_path_is_enoent",
	      "returned %ld errno %d", ret, errno);
	n = find_events(events, 8);
	check(n == 3, "host_saw_three_events", "it saw %d", n);
	if (n != 3)
		return;
	expect_event("user_event_reached_the_host", &events[0],
		     HM_EVENT_USER, 0x1234, 0, user.args, 6, text);
	expect_event("sys_enter_reached_the_host", &events[1],
		     HM_EVENT_SYSCALL_ENTER, SYS_access, 0, access_args, 2, path);
	expect_event("sys_exit_reached_the_host", &events[2],
		     HM_EVENT_SYSCALL_EXIT, SYS_access, -ENOENT, access_args, 2,
		     path);
}

/* More than one region's data of argv and of environment. */
static void reexec_with_big_areas(char *self)
{
	static char arg_text[40][160], env_text[60][120];
	char *args[44], *env[62];
	int i;

	args[0] = self;
	args[1] = "loopback";
	for (i = 0; i < 40; i++) {
		snprintf(arg_text[i], sizeof(arg_text[i]), "arg%02d-%0150d", i,
			 i);
		args[i + 2] = arg_text[i];
	}
	args[42] = NULL;
	env[0] = CHILD_MARK;
	for (i = 0; i < 60; i++) {
		snprintf(env_text[i], sizeof(env_text[i]), "HMVAR%02d=%0100d",
			 i, i * 3);
		env[i + 1] = env_text[i];
	}
	env[61] = NULL;
	execve(self, args, env);
	perror("execve");
	exit(1);
}

int main(int argc, char **argv)
{
	int loopback = argc > 1 && !strcmp(argv[1], "loopback");
	int events = argc > 1 && !strcmp(argv[1], "events");

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2 || (!loopback && !events && strcmp(argv[1], "passive"))) {
		fprintf(stderr, "usage: %s passive|loopback|events\n", argv[0]);
		return 2;
	}
	if (loopback && !getenv("HM_SELFTEST_CHILD"))
		reexec_with_big_areas(argv[0]);
	dev = open("/dev/hypermem", O_RDWR);
	if (dev < 0) {
		perror("/dev/hypermem");
		return 1;
	}
	if (loopback)
		run_loopback(argv);
	else if (events)
		run_events();
	else
		run_passive();
	printf("SELFTEST %s: %s, %d checks, %d failed\n", argv[1],
	       failures ? "FAIL" : "PASS", checks, failures);
	return failures ? 1 : 0;
}
