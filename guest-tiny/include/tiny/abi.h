/* SPDX-License-Identifier: MIT */
/*
 * What guest-tiny's user programs share with the host side: the user event
 * syscall, the memory-pattern program's descriptor and its byte pattern.
 */
#ifndef TINY_ABI_H
#define TINY_ABI_H

#include <stdint.h>

/* Linux x86-64 numbers. */
#define TINY_SYS_READ 0
#define TINY_SYS_WRITE 1
#define TINY_SYS_OPEN 2
#define TINY_SYS_CLOSE 3
#define TINY_SYS_IOCTL 16
#define TINY_SYS_WRITEV 20
#define TINY_SYS_SCHED_YIELD 24
#define TINY_SYS_GETPID 39
#define TINY_SYS_SOCKET 41
#define TINY_SYS_CONNECT 42
#define TINY_SYS_GETPEERNAME 52
#define TINY_SYS_EXECVE 59
#define TINY_SYS_EXIT 60
#define TINY_SYS_OPENAT 257
#define TINY_SYS_FINIT_MODULE 313
/* guest-tiny's own: raise HM_EVENT_USER, nr = arg 0, args = args 1..5. */
#define TINY_SYS_HM_EVENT 500

#define TINY_SIOCDEVPRIVATE 0x89f0
#define TINY_IFNAMSIZ 16

/* ioctl_test's request, the original interaction test's layout. */
struct tiny_ifreq {
	char name[TINY_IFNAMSIZ];
	int32_t value;
};

/*
 * control_test's expectations of the host (scenario "control"): its first
 * write, of 27 bytes, cut to 17; its second, of 23, skipped and returning
 * 77; getpid() returning 4242.
 */
#define TINY_CONTROL_WRITE 27
#define TINY_CONTROL_CUT 17
#define TINY_CONTROL_SKIP_WRITE 23
#define TINY_CONTROL_SKIPPED 77
#define TINY_CONTROL_PID 4242

/*
 * SIOCGIFHWADDR's request (struct ifreq with its struct sockaddr): the
 * board has no such device, a host fakes it (scenario "hwaddr").
 */
#define TINY_SIOCGIFHWADDR 0x8927
#define TINY_ARPHRD_ETHER 1
#define TINY_FAKE_HWADDR { 0x02, 0x00, 0x5e, 0x00, 0x53, 0x01 }
struct tiny_ifreq_hwaddr {
	char name[TINY_IFNAMSIZ];
	uint16_t family;
	char addr[14];
	char pad[8];
};

/* User event codes. */
#define TINY_EVENT_PATTERN 1	/* arg 0: address of struct tiny_pattern */
/*
 * Marks of the unhooked and hooked scenarios' loops: arg 0 is 0 before
 * the first, 2 between the hooked scenario's two, 1 after the last.
 */
#define TINY_EVENT_BENCH 2
#define TINY_BENCH_SYSCALLS 2000

/* Buffers of the pattern program, in the order of tiny_pattern.buf[]. */
#define TINY_PATTERN_BUFS 4
static const uint32_t tiny_pattern_sizes[TINY_PATTERN_BUFS] = {
	1, 4072, 4073, 262144
};

#define TINY_PATTERN_STR_LEN 10000u
#define TINY_PATTERN_TAIL_BYTE 'A'

/*
 * Filled in by the pattern program before it raises TINY_EVENT_PATTERN. The
 * host sets bit i of `written` when it rewrote buf[i] with seed
 * tiny_write_seed(i); the program checks those and that ro is unchanged.
 */
struct tiny_pattern {
	uint64_t buf[TINY_PATTERN_BUFS];
	uint64_t str;		/* TINY_PATTERN_STR_LEN bytes, then NUL */
	uint64_t tail;		/* tail_len bytes of 'A', then unmapped */
	uint64_t tail_len;
	uint64_t ro;		/* a read-only page of pattern seed 0x52 */
	uint64_t hole;		/* an unmapped page */
	uint32_t written;
	uint32_t reserved;
};

static inline uint8_t tiny_pattern_byte(uint32_t seed, uint64_t i)
{
	return (uint8_t)(seed + i * 31u + (i >> 8));
}

static inline uint32_t tiny_read_seed(unsigned int buf)
{
	return 0x10u + buf;
}

static inline uint32_t tiny_write_seed(unsigned int buf)
{
	return 0x80u + buf;
}

#define TINY_RO_SEED 0x52u

/* The string's bytes: printable, never NUL. */
static inline char tiny_string_byte(uint64_t i)
{
	return (char)('a' + i % 26);
}

#endif
