/* SPDX-License-Identifier: MIT */
/* What the fuzz targets share: reading the input, and the checks. */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hypermem/protocol.h>

/* A broken invariant is a crash: libFuzzer keeps the input. */
#define FUZZ_CHECK(cond)                                                   \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "%s:%d: check failed: %s\n",       \
				__FILE__, __LINE__, #cond);                \
			abort();                                           \
		}                                                          \
	} while (0)

/*
 * fuzz_alloc.c, in the targets linked with it: the bytes this thread
 * allocated from begin to end, every allocation added up.
 */
void fuzz_alloc_begin(void);
size_t fuzz_alloc_end(void);

/* The input, consumed from the front; zeros once it is used up. */
struct fuzz_input {
	const uint8_t *data;
	size_t size;
};

static inline void fuzz_bytes(struct fuzz_input *in, void *dst, size_t n)
{
	size_t have = n < in->size ? n : in->size;

	memcpy(dst, in->data, have);
	memset((uint8_t *)dst + have, 0, n - have);
	in->data += have;
	in->size -= have;
}

static inline uint8_t fuzz_u8(struct fuzz_input *in)
{
	uint8_t v;

	fuzz_bytes(in, &v, sizeof(v));
	return v;
}

static inline uint16_t fuzz_u16(struct fuzz_input *in)
{
	uint16_t v;

	fuzz_bytes(in, &v, sizeof(v));
	return v;
}

static inline uint64_t fuzz_u64(struct fuzz_input *in)
{
	uint64_t v;

	fuzz_bytes(in, &v, sizeof(v));
	return v;
}

/* The errors a guest may report (protocol.h), ENAMETOOLONG included. */
static inline bool fuzz_guest_errno_ok(uint64_t e)
{
	static const uint8_t ok[] = { HM_GUEST_ERRNOS, HM_ENAMETOOLONG };
	size_t i;

	for (i = 0; i < sizeof(ok); i++)
		if (e == ok[i])
			return true;
	return false;
}

#endif
