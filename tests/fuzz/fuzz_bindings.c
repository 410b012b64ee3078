// SPDX-License-Identifier: MIT
/*
 * The one result of the shared operations (bindings/ops.c) that reads
 * guest bytes itself: read_socket_info's, whose sockaddrs it turns into
 * address text and ports. Any struct hm_socket_info, lengths included,
 * must give a well-formed record: a key before each value, containers
 * closed, texts within their buffers.
 */
#include "fuzz.h"
#include "ops.h"

struct check {
	unsigned int depth, values;
	int keyed;		/* a key waits for its value */
	uint8_t sum;		/* of every byte given */
};

static void value(struct check *c)
{
	FUZZ_CHECK(c->depth == 0 || c->keyed);
	c->keyed = 0;
	c->values++;
}

static void done(void *ctx)
{
	value(ctx);
}

static void boolean(void *ctx, int v)
{
	FUZZ_CHECK(v == 0 || v == 1);
	value(ctx);
}

static void integer(void *ctx, int64_t v)
{
	FUZZ_CHECK(v >= 0 && v <= UINT32_MAX);
	value(ctx);
}

static void uinteger(void *ctx, uint64_t v)
{
	(void)v;
	value(ctx);
}

static void bytes(void *ctx, const void *p, size_t len)
{
	struct check *c = ctx;
	const uint8_t *b = p;
	size_t i;

	/* Every byte is read, so that ASan sees a read past the buffer. */
	FUZZ_CHECK(len <= HM_SOCKADDR_MAX);
	for (i = 0; i < len; i++)
		c->sum += b[i];
	value(c);
}

static void text(void *ctx, const char *s, size_t len)
{
	FUZZ_CHECK(len == strlen(s) && len < 64);
	value(ctx);
}

static void begin(void *ctx, size_t count)
{
	struct check *c = ctx;

	(void)count;
	value(c);
	c->depth++;
}

static void key(void *ctx, const char *k)
{
	struct check *c = ctx;

	FUZZ_CHECK(c->depth && !c->keyed && *k);
	c->keyed = 1;
}

static void end(void *ctx)
{
	struct check *c = ctx;

	FUZZ_CHECK(c->depth && !c->keyed);
	c->depth--;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	struct hm_socket_info si;
	struct check c = { 0 };
	const struct op_emitter e = {
		done, boolean, integer, uinteger, bytes, text, begin, begin,
		key, end, &c,
	};
	struct op_result r = { .data = &si };

	fuzz_bytes(&in, &si, sizeof(si));
	op_emit(&op_defs[OP_read_socket_info], &r, &e);
	FUZZ_CHECK(c.depth == 0 && c.values >= 7 && c.values <= 11);
	return 0;
}
