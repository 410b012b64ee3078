/* SPDX-License-Identifier: MIT */
/* What hypermem-bench and its simulated-guest driver share: the rows. */
#ifndef HYPERMEM_BENCH_H
#define HYPERMEM_BENCH_H

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

#endif
