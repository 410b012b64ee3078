// SPDX-License-Identifier: MIT
/*
 * Runs inside a Linux guest whose hypermem module raises write, lseek and
 * mkdir events (hypermem.syscalls=1,8,83 on x86-64; on arm64, whose table
 * has mkdirat alone, 64,62,34 and the path in the second argument) to
 * linux-boot-test, which changes what these calls do (event control):
 *
 *   write(1000, "0123456789", 10)  the host sets the count to 4
 *   mkdir("/hm-skipped")           the host skips it with 0
 *   lseek(1000, 0, SEEK_CUR)       on a pipe -ESPIPE; the host makes it
 *                                  return 4242
 *
 * fd 1000 is a pipe's write end; mkdir("/hm-made") is left alone and must
 * create its directory. Prints HMTEST control PASS or a FAIL line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MARK_FD 1000

static int failed;

/* The mkdir syscall itself, not the libc's choice between the two. */
static long make_dir(const char *path)
{
#ifdef SYS_mkdir
	return syscall(SYS_mkdir, path, 0700);
#else
	return syscall(SYS_mkdirat, AT_FDCWD, path, 0700);
#endif
}

static void fail(const char *what, long got)
{
	printf("HMTEST FAIL: control: %s (got %ld, errno %s)\n", what, got,
	       strerror(errno));
	failed = 1;
}

int main(void)
{
	char buf[16] = { 0 };
	struct stat st;
	int p[2];
	long n;

	if (pipe2(p, O_NONBLOCK) || dup2(p[1], MARK_FD) != MARK_FD) {
		fail("pipe and dup2", -1);
		return 1;
	}
	/* The count: 10 asked, 4 given by the host, 4 written. */
	n = write(MARK_FD, "0123456789", 10);
	if (n != 4)
		fail("write's count was not set to 4", n);
	n = read(p[0], buf, sizeof(buf));
	if (n != 4 || memcmp(buf, "0123", 4))
		fail("the pipe does not hold \"0123\" alone", n);

	/* The skip: 0 returned, no directory made. */
	rmdir("/hm-skipped");
	rmdir("/hm-made");
	n = make_dir("/hm-skipped");
	if (n != 0)
		fail("the skipped mkdir does not return 0", n);
	errno = 0;
	if (stat("/hm-skipped", &st) == 0 || errno != ENOENT)
		fail("the skipped mkdir made its directory", 0);
	n = make_dir("/hm-made");
	if (n != 0 || stat("/hm-made", &st) || !S_ISDIR(st.st_mode))
		fail("a mkdir left alone did not make its directory", n);

	/* The return value: -ESPIPE replaced by 4242. */
	errno = 0;
	n = lseek(MARK_FD, 0, SEEK_CUR);
	if (n != 4242)
		fail("lseek's return value was not replaced by 4242", n);

	close(MARK_FD);
	close(p[0]);
	close(p[1]);
	if (!failed)
		printf("HMTEST control PASS\n");
	return failed;
}
