// SPDX-License-Identifier: MIT
/* The benchmark's ops, shared by the real-guest run and the simulator. */
#include <stdlib.h>
#include <time.h>

#include <hypermem/hypermem.h>

#include "bench.h"

int bench_row_op(struct hm_vcpu *vcpu, int row,
		 const struct bench_target *t, uint8_t *out)
{
	static uint8_t small[64][8];
	struct hm_iovec v[64];
	char str[128];
	int i;

	switch (row) {
	case ROW_READ_8:
		return hm_vcpu_read(vcpu, t->small + 8, out, 8) == 8;
	case ROW_READ_4K:
		return hm_vcpu_read(vcpu, t->small, out, 4096) == 4096;
	case ROW_READ_1M:
		return hm_vcpu_read(vcpu, t->big, out, MIB) == MIB;
	case ROW_READV_64:
		for (i = 0; i < 64; i++)
			v[i] = (struct hm_iovec){ .addr = t->small + i * 4097,
						  .buf = small[i], .len = 8 };
		return hm_vcpu_readv(vcpu, v, 64) == 64;
	default:
		return hm_vcpu_read_str(vcpu, t->str, str, sizeof(str)) == 100;
	}
}

double bench_now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

double bench_thread_cpu_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void bench_time(struct hm_vcpu *vcpu, int n,
		int (*op)(struct hm_vcpu *vcpu, void *ctx), void *ctx,
		struct bench_cell *c)
{
	double t[BENCH_MAX_REPS];
	struct hm_stats a, b;
	int i;

	c->ok = 1;
	hm_vcpu_get_stats(vcpu, &a);
	for (i = 0; i < n; i++) {
		double t0 = bench_now_us();

		c->ok &= op(vcpu, ctx) == 1;
		t[i] = bench_now_us() - t0;
	}
	hm_vcpu_get_stats(vcpu, &b);
	qsort(t, (size_t)n, sizeof(t[0]), bench_cmp_double);
	c->median_us = t[n / 2];
	c->exits = (double)(b.exits - a.exits) / n;
	c->ioctls = (double)(b.ioctls - a.ioctls) / n;
	c->round_trips = (double)(b.round_trips - a.round_trips) / n;
	c->instructions = -1;
}
