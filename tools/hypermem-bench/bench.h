/* SPDX-License-Identifier: MIT */
/* What hypermem-bench and its simulated-guest driver share: the rows. */
#ifndef HYPERMEM_BENCH_H
#define HYPERMEM_BENCH_H

#include <stdint.h>

enum bench_row {
	ROW_READ_8,
	ROW_READ_4K,
	ROW_READ_1M,
	ROW_READV_64,
	ROW_READ_STR_100,
	NR_ROWS,
};

#define NR_MODES 3
#define MIB (1u << 20)

struct hm_vcpu;

/* Where a row's guest data lives. */
struct bench_target {
	uint64_t small;		/* 8 B, 4 KiB, and 64 pieces 4097 B apart */
	uint64_t big;		/* 1 MiB */
	uint64_t str;		/* 100 bytes, then a NUL */
};

/* One op timed: per op, from hm_vcpu_get_stats(). */
struct bench_cell {
	double median_us;
	double exits, ioctls, round_trips;
	double instructions;	/* < 0: not measured */
	int ok;
};

#define BENCH_MAX_REPS 64

/*
 * Time @n (1..BENCH_MAX_REPS) calls of @op(@vcpu, @ctx), each returning 1
 * when it read what it should: the median, the counters' growth per op,
 * and ok when every call was right; instructions -1.
 */
void bench_time(struct hm_vcpu *vcpu, int n,
		int (*op)(struct hm_vcpu *vcpu, void *ctx), void *ctx,
		struct bench_cell *c);

/*
 * Boot DIR's bzImage or Image and initramfs.cpio (tests/linux's) under
 * the QEMU of the kernel's architecture (*@arch) with TCG and time 8-byte
 * and 4 KiB reads over the mailbox, with the doorbell or (@polled, and
 * on machines without MSI-X) ivshmem-plain and the host polling: 0, or
 * -errno and a reason in @why.
 */
int bench_qemu_rows(const char *dir, int polled, struct bench_cell rows[2],
		    const char **arch, char *why, size_t cap);

/* CLOCK_MONOTONIC in microseconds; doubles ascending, for qsort(). */
double bench_now_us(void);
int bench_cmp_double(const void *a, const void *b);
/* The calling thread's CPU time in seconds. */
double bench_thread_cpu_s(void);

/* Do one op of @row into @out (1 MiB); 1 when it read what it should. */
int bench_row_op(struct hm_vcpu *vcpu, int row,
		 const struct bench_target *target, uint8_t *out);

/*
 * --events-smp: events from one vCPU and from two at once, over the exit
 * transport (guest-tiny in @elf) and over the mailbox (the simulator
 * @sim); a table, then one line of JSON. 0 when every row went right.
 */
int bench_events_smp(const char *elf, const char *sim, const char *model,
		     const char *kind);

#endif
