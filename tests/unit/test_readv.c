// SPDX-License-Identifier: MIT
/*
 * Vectored reads and region sizes: one round trip for many pieces where the
 * guest offers HM_OP_READV, one READ per piece where it does not, and every
 * length the guest sends back checked.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#define PIECES 64

static uint64_t round_trips(struct unit *u)
{
	struct hm_stats stats;

	hm_vcpu_get_stats(u->vcpu, &stats);
	return stats.round_trips;
}

static uint64_t protocol_errors(struct unit *u)
{
	struct hm_stats stats;

	hm_vcpu_get_stats(u->vcpu, &stats);
	return stats.protocol_errors;
}

/* Run one event against a guest offering @features and @pages. */
static void with_guest(uint64_t features, uint32_t pages, unit_body body,
		       void (*spoil)(struct fake_guest *g))
{
	struct unit *u = unit_new(guest_one_event);

	u->g->agent.features |= features;
	u->g->agent.region_pages = pages;
	u->g->before_reply = spoil;
	assert_int_equal(unit_run(u, body), 0);
	assert_int_equal(u->events, 1);
	unit_free(u);
}

static uint8_t bufs[PIECES][8];

/* 64 pieces, 4 KiB apart, each 8 bytes, at odd offsets. */
static void scatter(struct hm_iovec *v)
{
	unsigned int i;

	memset(bufs, 0, sizeof(bufs));
	for (i = 0; i < PIECES; i++)
		v[i] = (struct hm_iovec){ .addr = VA_BUF + i * 4096 + i,
					  .buf = bufs[i], .len = 8 };
}

static void assert_scattered_bytes(const struct hm_iovec *v)
{
	unsigned int i, j;

	for (i = 0; i < PIECES; i++) {
		assert_int_equal(v[i].result, 8);
		for (j = 0; j < 8; j++)
			assert_int_equal(bufs[i][j],
					 fake_pattern(v[i].addr + j));
	}
}

static void sixty_four_in_one(struct unit *u, const struct hm_event *ev)
{
	struct hm_iovec v[PIECES];

	(void)ev;
	scatter(v);
	assert_int_equal(hm_vcpu_readv(u->vcpu, v, PIECES), PIECES);
	assert_scattered_bytes(v);
	assert_int_equal(round_trips(u), 1);
}

static void readv_of_64_scattered_pieces_takes_one_round_trip(void **state)
{
	(void)state;
	with_guest(HM_FEATURE_READV, 1, sixty_four_in_one, NULL);
}

static void one_per_piece(struct unit *u, const struct hm_event *ev)
{
	struct hm_iovec v[PIECES];
	struct hm_guest_info info;

	(void)ev;
	assert_int_equal(hm_vcpu_get_guest_info(u->vcpu, &info), 0);
	assert_int_equal(info.features & HM_FEATURE_READV, 0);
	scatter(v);
	assert_int_equal(hm_vcpu_readv(u->vcpu, v, PIECES), PIECES);
	assert_scattered_bytes(v);
	assert_int_equal(round_trips(u), PIECES);
}

static void readv_without_the_feature_reads_piece_by_piece(void **state)
{
	(void)state;
	with_guest(0, 1, one_per_piece, NULL);
}

/* Whole, partial (into the hole after buf), unmapped, empty. */
static void mixed(struct unit *u, const struct hm_event *ev)
{
	uint8_t a[16], b[32], c[8];
	struct hm_iovec v[4] = {
		{ .addr = VA_BUF, .buf = a, .len = sizeof(a) },
		{ .addr = VA_BUF + BUF_SIZE - 10, .buf = b, .len = sizeof(b) },
		{ .addr = VA_BUF + BUF_SIZE + 4096, .buf = c, .len = 8 },
		{ .addr = VA_RO, .buf = c, .len = 0 },
	};

	(void)ev;
	assert_int_equal(hm_vcpu_readv(u->vcpu, v, 4), 2);
	assert_int_equal(v[0].result, 16);
	assert_int_equal(v[1].result, 10);
	assert_int_equal(v[2].result, -EFAULT);
	assert_int_equal(v[3].result, 0);
	assert_int_equal(b[9], fake_pattern(VA_BUF + BUF_SIZE - 1));
	assert_int_equal(a[15], fake_pattern(VA_BUF + 15));
	assert_int_equal(round_trips(u), 1);
}

static void readv_reports_each_piece_like_read(void **state)
{
	(void)state;
	with_guest(HM_FEATURE_READV, 1, mixed, NULL);
}

/* Pieces too large to share a request: a batch, a lone one, a batch. */
static void large_pieces(struct unit *u, const struct hm_event *ev)
{
	static uint8_t big[10000];
	uint8_t small[2][8];
	struct hm_iovec v[3] = {
		{ .addr = VA_BUF + 1, .buf = small[0], .len = 8 },
		{ .addr = VA_BUF + 100, .buf = big, .len = sizeof(big) },
		{ .addr = VA_BUF + 50000, .buf = small[1], .len = 8 },
	};
	size_t i;

	(void)ev;
	assert_int_equal(hm_vcpu_readv(u->vcpu, v, 3), 3);
	for (i = 0; i < sizeof(big); i++)
		assert_int_equal(big[i], fake_pattern(VA_BUF + 100 + i));
	assert_int_equal(small[1][7], fake_pattern(VA_BUF + 50007));
	/* 10000 bytes take 3 READs of 4072; each small one a READV. */
	assert_int_equal(round_trips(u), 5);
}

static void readv_splits_pieces_larger_than_the_region(void **state)
{
	(void)state;
	with_guest(HM_FEATURE_READV, 1, large_pieces, NULL);
}

static void refused_args(struct unit *u, const struct hm_event *ev)
{
	uint8_t b[8];
	struct hm_iovec v = { .addr = ~0ull - 3, .buf = b, .len = 8 };

	(void)ev;
	assert_int_equal(hm_vcpu_readv(u->vcpu, &v, 0), -EINVAL);
	assert_int_equal(hm_vcpu_readv(u->vcpu, &v, 1), -EINVAL);
	assert_int_equal(round_trips(u), 0);
}

static void readv_refuses_no_pieces_and_wrapping_ranges(void **state)
{
	(void)state;
	with_guest(HM_FEATURE_READV, 1, refused_args, NULL);
}

/* Spoilers: the agent answered properly; the reply is then rewritten. */
static struct hm_readv_piece *table(struct fake_guest *g)
{
	return (struct hm_readv_piece *)g->agent.region->data;
}

static void longer_than_asked(struct fake_guest *g)
{
	table(g)[1].len += 1;
	g->agent.region->size += 1;
}

static void total_off_by_one(struct fake_guest *g)
{
	g->agent.region->size -= 1;
}

static void wrong_piece_count(struct fake_guest *g)
{
	g->agent.region->addr -= 1;
}

static void huge_length(struct fake_guest *g)
{
	table(g)[0].len = ~0ull - 7;
	g->agent.region->size += 8;
}

static void hostile(struct unit *u, const struct hm_event *ev)
{
	struct hm_iovec v[PIECES];

	(void)ev;
	scatter(v);
	assert_int_equal(hm_vcpu_readv(u->vcpu, v, PIECES), -EPROTO);
	assert_int_equal(protocol_errors(u), 1);
}

static void readv_piece_longer_than_asked_is_eproto(void **state)
{
	(void)state;
	with_guest(HM_FEATURE_READV, 1, hostile, longer_than_asked);
}

static void readv_total_not_matching_pieces_is_eproto(void **state)
{
	(void)state;
	with_guest(HM_FEATURE_READV, 1, hostile, total_off_by_one);
}

static void readv_wrong_piece_count_is_eproto(void **state)
{
	(void)state;
	with_guest(HM_FEATURE_READV, 1, hostile, wrong_piece_count);
}

static void readv_wrapping_length_is_eproto(void **state)
{
	(void)state;
	with_guest(HM_FEATURE_READV, 1, hostile, huge_length);
}

/* The agent itself: a request whose pieces overflow data[] is refused. */
static void agent_refuses_overflowing_request(void **state)
{
	static uint8_t page[HM_PAGE_SIZE] __attribute__((aligned(8)));
	struct hm_region *r = (struct hm_region *)page;
	struct hm_agent_ops ops = { 0 };
	struct hm_agent a = { .ops = &ops, .region = r, .region_pages = 1,
			      .features = HM_FEATURE_READV };
	struct hm_readv_piece *p = (struct hm_readv_piece *)r->data;

	(void)state;
	p[0] = (struct hm_readv_piece){ .addr = 0x1000, .len = 4000 };
	p[1] = (struct hm_readv_piece){ .addr = 0x2000, .len = 60 };
	r->op = HM_OP_READV;
	r->addr = 2;
	r->size = 2 * sizeof(*p);
	assert_int_equal(hm_agent_serve(&a), 0);
	assert_int_equal(r->op, HM_RESP_READ_FAIL);
	assert_int_equal(r->size, HM_EINVAL);
	/* A size that disagrees with the count, and an old guest. */
	r->op = HM_OP_READV;
	r->addr = 3;
	r->size = 2 * sizeof(*p);
	hm_agent_serve(&a);
	assert_int_equal(r->size, HM_EINVAL);
	a.features = 0;
	r->op = HM_OP_READV;
	hm_agent_serve(&a);
	assert_int_equal(r->size, HM_ENOSYS);
}

/* ---- region sizes ---- */

static void sixteen_pages(struct unit *u, const struct hm_event *ev)
{
	struct hm_guest_info info;
	uint8_t *got = malloc(BUF_SIZE);
	size_t chunk = 16 * 4096 - HM_HEADER_SIZE, i;

	(void)ev;
	assert_non_null(got);
	assert_int_equal(hm_vcpu_get_guest_info(u->vcpu, &info), 0);
	assert_int_equal(info.region_pages, 16);
	assert_int_equal(u->g->agent.region_pages, 16);
	assert_int_equal(hm_vcpu_read(u->vcpu, VA_BUF, got, BUF_SIZE),
			 BUF_SIZE);
	for (i = 0; i < BUF_SIZE; i++)
		assert_int_equal(got[i], fake_pattern(VA_BUF + i));
	assert_int_equal(round_trips(u), (BUF_SIZE + chunk - 1) / chunk);
	free(got);
}

static void sixteen_page_region_reads_65512_bytes_per_trip(void **state)
{
	(void)state;
	with_guest(0, 16, sixteen_pages, NULL);
}

static void one_page(struct unit *u, const struct hm_event *ev)
{
	uint8_t *got = malloc(BUF_SIZE);

	(void)ev;
	assert_non_null(got);
	assert_int_equal(hm_vcpu_read(u->vcpu, VA_BUF, got, BUF_SIZE),
			 BUF_SIZE);
	assert_int_equal(got[BUF_SIZE - 1],
			 fake_pattern(VA_BUF + BUF_SIZE - 1));
	assert_int_equal(round_trips(u),
			 (BUF_SIZE + HM_DATA_SIZE - 1) / HM_DATA_SIZE);
	free(got);
}

static void one_page_guest_reads_4072_bytes_per_trip(void **state)
{
	(void)state;
	with_guest(0, 1, one_page, NULL);
}

/* 16 pieces of 4 KiB fit one 16-page region, not a 1-page one. */
static void wide_pieces(struct unit *u, const struct hm_event *ev)
{
	static uint8_t big[16][4000];
	struct hm_iovec v[16];
	unsigned int i;

	(void)ev;
	for (i = 0; i < 16; i++)
		v[i] = (struct hm_iovec){ .addr = VA_BUF + i * 8192,
					  .buf = big[i], .len = 4000 };
	assert_int_equal(hm_vcpu_readv(u->vcpu, v, 16), 16);
	assert_int_equal(big[15][3999], fake_pattern(VA_BUF + 15 * 8192 +
						     3999));
	assert_int_equal(round_trips(u), 1);
}

static void readv_fills_a_sixteen_page_region(void **state)
{
	(void)state;
	with_guest(HM_FEATURE_READV, 16, wide_pieces, NULL);
}

/* 256 pieces: their table alone runs past the region's first page. */
static void table_past_first_page(struct unit *u, const struct hm_event *ev)
{
	static uint8_t small[256][8];
	struct hm_iovec v[256];
	unsigned int i;

	(void)ev;
	for (i = 0; i < 256; i++)
		v[i] = (struct hm_iovec){ .addr = VA_BUF + i * 16,
					  .buf = small[i], .len = 8 };
	assert_int_equal(hm_vcpu_readv(u->vcpu, v, 256), 256);
	for (i = 0; i < 256; i++)
		assert_memory_equal(small[i], u->buf + i * 16, 8);
	assert_int_equal(round_trips(u), 1);
}

static void readv_table_longer_than_a_page_takes_one_round_trip(void **s)
{
	(void)s;
	with_guest(HM_FEATURE_READV, 16, table_past_first_page, NULL);
}

/* The agent scans a path that runs past the region's first page. */
static void path_past_first_page(struct unit *u, const struct hm_event *ev)
{
	static char path[5000];
	char got[8];

	(void)ev;
	memset(path, 'p', sizeof(path) - 1);
	assert_int_equal(hm_vcpu_read_file(u->vcpu, path, 0, got, sizeof(got)),
			 -ENOENT);
}

static void read_file_path_longer_than_a_page_reaches_the_guest(void **s)
{
	(void)s;
	with_guest(0, 16, path_past_first_page, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			readv_of_64_scattered_pieces_takes_one_round_trip),
		cmocka_unit_test(readv_without_the_feature_reads_piece_by_piece),
		cmocka_unit_test(readv_reports_each_piece_like_read),
		cmocka_unit_test(readv_splits_pieces_larger_than_the_region),
		cmocka_unit_test(readv_refuses_no_pieces_and_wrapping_ranges),
		cmocka_unit_test(readv_piece_longer_than_asked_is_eproto),
		cmocka_unit_test(readv_total_not_matching_pieces_is_eproto),
		cmocka_unit_test(readv_wrong_piece_count_is_eproto),
		cmocka_unit_test(readv_wrapping_length_is_eproto),
		cmocka_unit_test(agent_refuses_overflowing_request),
		cmocka_unit_test(sixteen_page_region_reads_65512_bytes_per_trip),
		cmocka_unit_test(one_page_guest_reads_4072_bytes_per_trip),
		cmocka_unit_test(readv_fills_a_sixteen_page_region),
		cmocka_unit_test(
			readv_table_longer_than_a_page_takes_one_round_trip),
		cmocka_unit_test(
			read_file_path_longer_than_a_page_reaches_the_guest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
