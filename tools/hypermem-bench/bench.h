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

/* Do one op of @row into @out (1 MiB); 1 when it read what it should. */
int bench_row_op(struct hm_vcpu *vcpu, int row,
		 const struct bench_target *target, uint8_t *out);

#endif
