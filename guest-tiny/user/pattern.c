// SPDX-License-Identifier: MIT
/*
 * Memory for byte-exact host reads and writes: buffers of the sizes in
 * tiny_pattern_sizes filled with known patterns, a long string, a tail of
 * 'A's that runs into an unmapped page, and the read-only page. It raises
 * TINY_EVENT_PATTERN with the descriptor's address, then checks what the
 * host claims to have written and that nothing else changed.
 * Exit 0: all as expected; 10 + i: buffer i wrong; 20: string changed;
 * 21: tail changed; 22: read-only page changed.
 */
#include "ulib.h"

#define DATA 0x40400000ul
#define DATA_SIZE (96 * 4096ul)
#define TAIL_LEN 5000ul

static const unsigned long buf_offsets[TINY_PATTERN_BUFS] = {
	0x100, 0x1123, 0x3ff8, 0x6010,
};

static void fill(uint8_t *p, uint64_t len, uint32_t seed)
{
	uint64_t i;

	for (i = 0; i < len; i++)
		p[i] = tiny_pattern_byte(seed, i);
}

static int same(const uint8_t *p, uint64_t len, uint32_t seed)
{
	uint64_t i;

	for (i = 0; i < len; i++) {
		if (p[i] != tiny_pattern_byte(seed, i))
			return 0;
	}
	return 1;
}

static void setup(struct tiny_pattern *d)
{
	char *s, *tail;
	unsigned int i;
	uint64_t j;

	for (i = 0; i < TINY_PATTERN_BUFS; i++) {
		d->buf[i] = DATA + buf_offsets[i];
		fill((uint8_t *)d->buf[i], tiny_pattern_sizes[i],
		     tiny_read_seed(i));
	}
	s = (char *)(DATA + 0x48007);
	for (j = 0; j < TINY_PATTERN_STR_LEN; j++)
		s[j] = tiny_string_byte(j);
	s[TINY_PATTERN_STR_LEN] = 0;
	d->str = (uint64_t)s;
	tail = (char *)(DATA + DATA_SIZE - TAIL_LEN);
	for (j = 0; j < TAIL_LEN; j++)
		tail[j] = TINY_PATTERN_TAIL_BYTE;
	d->tail = (uint64_t)tail;
	d->tail_len = TAIL_LEN;
	d->ro = 0x40600000ul;
	d->hole = 0x40601000ul;
	d->written = 0;
}

static int check(const struct tiny_pattern *d)
{
	const char *s = (const char *)d->str;
	const char *tail = (const char *)d->tail;
	unsigned int i;
	uint64_t j;

	for (i = 0; i < TINY_PATTERN_BUFS; i++) {
		uint32_t seed = d->written & (1u << i) ? tiny_write_seed(i) :
			       tiny_read_seed(i);

		if (!same((const uint8_t *)d->buf[i], tiny_pattern_sizes[i],
			  seed))
			return 10 + (int)i;
	}
	for (j = 0; j < TINY_PATTERN_STR_LEN; j++) {
		if (s[j] != tiny_string_byte(j))
			return 20;
	}
	for (j = 0; j < d->tail_len; j++) {
		if (tail[j] != TINY_PATTERN_TAIL_BYTE)
			return 21;
	}
	if (!same((const uint8_t *)d->ro, 4096, TINY_RO_SEED))
		return 22;
	return 0;
}

int pattern_main(int argc, char **argv, char **envp);

int pattern_main(int argc, char **argv, char **envp)
{
	struct tiny_pattern *d = (struct tiny_pattern *)DATA;
	int ret;

	(void)argc;
	(void)argv;
	(void)envp;
	setup(d);
	sys6(TINY_SYS_HM_EVENT, TINY_EVENT_PATTERN, (long)d, 0, 0, 0, 0);
	ret = check(d);
	uputs(ret ? "pattern: FAIL\n" : "pattern: PASS\n");
	return ret;
}
