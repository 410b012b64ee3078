// SPDX-License-Identifier: MIT
/*
 * A guest workload that times itself with its own clock, for what watching
 * costs a guest (hypermem-bench's workload.sh):
 *
 *   hm-workload syscalls N [K]  N rounds of a fixed mix: openat, read and
 *                               close of three small files, a pipe's
 *                               write and read back, getpid; every K
 *                               rounds (default 50) a fork, the child's
 *                               execve of this program ("exit") and the
 *                               parent's wait. ops: the calls made, the
 *                               child's three counted (the new image's
 *                               own start-up calls are not).
 *   hm-workload cpu N           N rounds of 100000 steps of a 64-bit hash
 *                               with one getpid a round. ops: the steps.
 *   hm-workload exits N         (x86) N CPUIDs, which KVM answers in
 *                               the kernel, then N writes to port 0x80,
 *                               which go to the VMM's user space: one
 *                               line with each's time and their ratio.
 *   hm-workload exit            exits at once (the execve's target).
 *
 * Prints one line, then exits 0:
 *   HMWORKLOAD syscalls iters=N ops=M secs=S ops_per_s=X
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <sys/io.h>
#endif
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FILES 3
#define CPU_STEPS 100000

static const char *const paths[FILES] = {
	"/hm-workload.d/a", "/hm-workload.d/b", "/hm-workload.d/c",
};

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void make_files(void)
{
	char line[64];
	int i, fd, n;

	if (mkdir("/hm-workload.d", 0755) && access("/hm-workload.d", F_OK))
		die("mkdir /hm-workload.d");
	for (i = 0; i < FILES; i++) {
		fd = open(paths[i], O_WRONLY | O_CREAT | O_TRUNC, 0644);
		n = snprintf(line, sizeof(line), "small file %d\n", i);
		if (fd < 0 || write(fd, line, (size_t)n) != n || close(fd))
			die(paths[i]);
	}
}

/* fork, the child's execve and exit, the parent's wait4: 4 calls. */
static void spawn(const char *self)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (!pid) {
		execl(self, self, "exit", (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		die("the exec'd child");
}

static unsigned long syscall_mix(const char *self, unsigned long iters,
				 unsigned long every)
{
	unsigned long i, ops = 0;
	char buf[64];
	int pipe_fds[2], f, fd;

	make_files();
	if (pipe(pipe_fds))
		die("pipe");
	for (i = 0; i < iters; i++) {
		for (f = 0; f < FILES; f++) {
			fd = openat(AT_FDCWD, paths[f], O_RDONLY);
			if (fd < 0 || read(fd, buf, sizeof(buf)) <= 0 ||
			    close(fd))
				die(paths[f]);
		}
		if (write(pipe_fds[1], buf, 16) != 16 ||
		    read(pipe_fds[0], buf, 16) != 16)
			die("pipe");
		syscall(SYS_getpid);
		ops += 3 * FILES + 3;
		if (every && (i + 1) % every == 0) {
			spawn(self);
			ops += 4;
		}
	}
	return ops;
}

static unsigned long cpu_bound(unsigned long iters)
{
	uint64_t h = 0x9e3779b97f4a7c15ull;
	unsigned long i, j;

	for (i = 0; i < iters; i++) {
		for (j = 0; j < CPU_STEPS; j++) {
			h ^= h >> 31;
			h *= 0xbf58476d1ce4e5b9ull;
			h += j;
		}
		syscall(SYS_getpid);
	}
	/* The hash escapes, so that the loop is not optimized away. */
	if (h == 42)
		puts("");
	return iters * CPU_STEPS;
}

#if defined(__x86_64__)
/* An exit KVM handles in the kernel, and one it hands to the VMM. */
static int time_exits(unsigned long n)
{
	unsigned int a, b, c, d;
	double start, in_kernel, to_user;
	unsigned long i;

	if (ioperm(0x80, 1, 1))
		die("ioperm 0x80");
	start = now();
	for (i = 0; i < n; i++)
		__asm__ volatile("cpuid"
				 : "=a"(a), "=b"(b), "=c"(c), "=d"(d)
				 : "a"(0), "c"(0));
	in_kernel = (now() - start) / (double)n;
	start = now();
	for (i = 0; i < n; i++)
		outb(0, 0x80);
	to_user = (now() - start) / (double)n;
	printf("HMWORKLOAD exits iters=%lu cpuid_us=%.3f outb_us=%.3f "
	       "ratio=%.2f\n", n, in_kernel * 1e6, to_user * 1e6,
	       to_user / in_kernel);
	return 0;
}
#else
static int time_exits(unsigned long n)
{
	(void)n;
	fprintf(stderr, "hm-workload exits: x86-64 only\n");
	return 2;
}
#endif

int main(int argc, char **argv)
{
	unsigned long iters, every = 50, ops;
	const char *kind = argc > 1 ? argv[1] : "";
	double start, secs;

	if (!strcmp(kind, "exit"))
		return 0;
	if (argc < 3 || (strcmp(kind, "syscalls") && strcmp(kind, "cpu") &&
			 strcmp(kind, "exits"))) {
		fprintf(stderr, "usage: hm-workload syscalls N [K] | cpu N | "
			"exits N\n");
		return 2;
	}
	iters = strtoul(argv[2], NULL, 0);
	if (!strcmp(kind, "exits"))
		return time_exits(iters);
	if (argc > 3)
		every = strtoul(argv[3], NULL, 0);
	start = now();
	if (!strcmp(kind, "cpu"))
		ops = cpu_bound(iters);
	else
		ops = syscall_mix(argv[0], iters, every);
	secs = now() - start;
	printf("HMWORKLOAD %s iters=%lu ops=%lu secs=%.6f ops_per_s=%.1f\n",
	       kind, iters, ops, secs, secs > 0 ? (double)ops / secs : 0.0);
	return 0;
}
