/* SPDX-License-Identifier: MIT */
/*
 * What guest-tiny's user programs have instead of a libc. User code lives
 * in its own section of the image, mapped at CPL3: it must not call kernel
 * functions, memcpy included, nor have writable globals.
 */
#ifndef TINY_ULIB_H
#define TINY_ULIB_H

#include <stddef.h>
#include <stdint.h>

#include <tiny/abi.h>

static inline long sys6(long nr, long a, long b, long c, long d, long e,
			long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b),
			 "d"(c), "r"(r10), "r"(r8), "r"(r9) :
			 "rcx", "r11", "memory");
	return ret;
}

static inline long sys3(long nr, long a, long b, long c)
{
	return sys6(nr, a, b, c, 0, 0, 0);
}

static inline size_t ustrlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

static inline int ustrcmp(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

static inline long uwrite(int fd, const void *buf, size_t n)
{
	return sys3(TINY_SYS_WRITE, fd, (long)buf, (long)n);
}

static inline long uputs(const char *s)
{
	return uwrite(1, s, ustrlen(s));
}

static inline long ugetpid(void)
{
	return sys3(TINY_SYS_GETPID, 0, 0, 0);
}

static inline long uyield(void)
{
	return sys3(TINY_SYS_SCHED_YIELD, 0, 0, 0);
}

static inline const char *ugetenv(char **envp, const char *name)
{
	size_t n = ustrlen(name);

	for (; *envp; envp++) {
		size_t i = 0;

		while (i < n && (*envp)[i] == name[i])
			i++;
		if (i == n && (*envp)[n] == '=')
			return *envp + n + 1;
	}
	return NULL;
}

/* Decimal, for small non-negative numbers. */
static inline size_t utoa(char *buf, unsigned long v)
{
	char tmp[20];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}

#endif
