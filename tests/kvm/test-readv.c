// SPDX-License-Identifier: MIT
/*
 * The kvm suite's vectored, direct and hybrid reads, and the page walker
 * against guest-tiny's own tables.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "guest.h"

/* ---- vectored, direct and hybrid reads ---- */

static void readv_body(struct record *r, struct hm_vcpu *vcpu,
		       const struct tiny_pattern *d, uint64_t daddr)
{
	static uint8_t bufs[64][8];
	struct hm_iovec v[64];
	struct hm_stats before, after;
	unsigned int i, j;

	(void)daddr;
	for (i = 0; i < 64; i++)
		v[i] = (struct hm_iovec){ .addr = d->buf[3] + i * 4096 + i,
					  .buf = bufs[i], .len = 8 };
	hm_vcpu_get_stats(vcpu, &before);
	r->rets[0] = hm_vcpu_readv(vcpu, v, 64);
	hm_vcpu_get_stats(vcpu, &after);
	r->values[0] = after.round_trips - before.round_trips;
	r->ok[0] = 1;
	for (i = 0; i < 64; i++)
		for (j = 0; j < 8; j++)
			r->ok[0] &= bufs[i][j] == tiny_pattern_byte(
				tiny_read_seed(3), i * 4096 + i + j);
}

static void readv_of_64_scattered_reads_takes_one_round_trip(void **state)
{
	struct record r = { 0 };

	(void)state;
	assert_int_equal(run_pattern(&r, readv_body), 0);
	assert_int_equal(r.rets[0], 64);
	assert_int_equal(r.values[0], 1);
	assert_true(r.ok[0]);
}

static void region_body(struct record *r, struct hm_vcpu *vcpu,
			const struct tiny_pattern *d, uint64_t daddr)
{
	struct hm_guest_info info;
	uint8_t *buf = malloc(262144);
	struct hm_stats before, after;

	(void)daddr;
	hm_vcpu_get_guest_info(vcpu, &info);
	r->values[0] = info.region_pages;
	r->values[1] = info.features;
	hm_vcpu_get_stats(vcpu, &before);
	r->rets[2] = hm_vcpu_read(vcpu, d->buf[3], buf, 262144);
	hm_vcpu_get_stats(vcpu, &after);
	r->values[2] = after.round_trips - before.round_trips;
	r->ok[2] = matches(buf, 262144, tiny_read_seed(3));
	free(buf);
}

static void guest_tiny_offers_sixteen_pages_and_readv(void **state)
{
	struct record r = { 0 };

	(void)state;
	assert_int_equal(run_pattern(&r, region_body), 0);
	assert_int_equal(r.values[0], HM_MAX_REGION_PAGES);
	assert_true(r.values[1] & HM_FEATURE_READV);
	assert_int_equal(r.rets[2], 262144);
	/* 262144 bytes in chunks of 16 pages less the header. */
	assert_int_equal(r.values[2], 5);
	assert_true(r.ok[2]);
}

/* Translations of guest-tiny's own tables, checked against its memory. */
static void walk_body(struct record *r, struct hm_vcpu *vcpu,
		      const struct tiny_pattern *d, uint64_t daddr)
{
	struct hm_guest_info info;
	struct hm_translation t;
	const uint8_t *hva;
	unsigned int k;

	(void)daddr;
	hm_vcpu_get_guest_info(vcpu, &info);
	r->rets[0] = hm_vcpu_translate(vcpu, d->buf[1] + 100, &t);
	hva = hm_vm_gpa_to_hva(hm_vcpu_get_vm(vcpu), t.gpa, 16);
	r->ok[0] = hva != NULL;
	for (k = 0; hva && k < 16; k++)
		r->ok[0] &= hva[k] == tiny_pattern_byte(tiny_read_seed(1),
							100 + k);
	r->values[0] = t.flags | t.page_size << 8;
	r->rets[1] = hm_vcpu_translate(vcpu, d->ro, &t);
	r->values[1] = t.flags;
	r->rets[2] = hm_vcpu_translate(vcpu, d->hole, &t);
	r->rets[3] = hm_vcpu_translate(vcpu, d->tail + d->tail_len, &t);
	r->rets[4] = hm_vcpu_translate(vcpu, 0x7f0000000000ull, &t);
	/* The kernel's identity map of RAM, 2 MiB supervisor pages. */
	r->rets[5] = hm_vcpu_translate(vcpu, info.region_gpa + 24, &t);
	r->values[5] = t.gpa - info.region_gpa;
	r->values[6] = t.page_size;
	r->values[7] = t.flags;
}

static void walker_agrees_with_guest_tiny_page_tables(void **state)
{
	struct record r = { 0 };

	(void)state;
	assert_int_equal(run_pattern(&r, walk_body), 0);
	assert_int_equal(r.rets[0], 0);
	assert_true(r.ok[0]);
	assert_int_equal(r.values[0], HM_PAGE_WRITABLE | HM_PAGE_USER |
				      4096 << 8);
	assert_int_equal(r.rets[1], 0);
	assert_int_equal(r.values[1], HM_PAGE_USER);
	assert_int_equal(r.rets[2], -ENOENT);
	assert_int_equal(r.rets[3], -ENOENT);
	assert_int_equal(r.rets[4], -ENOENT);
	assert_int_equal(r.rets[5], 0);
	assert_int_equal(r.values[5], 24);
	assert_int_equal(r.values[6], 2u << 20);
	assert_int_equal(r.values[7], HM_PAGE_WRITABLE);
}

/* Each range read in the three modes; results and bytes must agree. */
static void modes_body(struct record *r, struct hm_vcpu *vcpu,
		       const struct tiny_pattern *d, uint64_t daddr)
{
	static const enum hm_read_mode modes[] = {
		HM_READ_COOPERATIVE, HM_READ_HYBRID, HM_READ_DIRECT,
	};
	uint64_t addrs[4] = { d->buf[1], d->buf[3], d->tail, d->hole };
	size_t lens[4] = { 4072, 262144, 8192, 16 };
	struct hm_vm *vm = hm_vcpu_get_vm(vcpu);
	uint8_t *got[3];
	unsigned int m, i;

	(void)daddr;
	for (i = 0; i < 4; i++) {
		for (m = 0; m < 3; m++) {
			got[m] = calloc(1, lens[i]);
			hm_vm_set_read_mode(vm, modes[m]);
			r->rets[i * 3 + m] = hm_vcpu_read(vcpu, addrs[i],
							  got[m], lens[i]);
		}
		r->ok[i] = !memcmp(got[0], got[1], lens[i]) &&
			   !memcmp(got[0], got[2], lens[i]);
		for (m = 0; m < 3; m++)
			free(got[m]);
	}
	hm_vm_set_read_mode(vm, HM_READ_HYBRID);
	r->rets[12] = hm_vcpu_read_str(vcpu, d->str, r->strs[0], 100);
	r->rets[13] = hm_vcpu_read_str(vcpu, d->tail, r->strs[1], 100);
	hm_vm_set_read_mode(vm, HM_READ_COOPERATIVE);
	r->rets[14] = hm_vcpu_read_str(vcpu, d->str, r->strs[2], 100);
	r->rets[15] = hm_vcpu_read_str(vcpu, d->tail, r->strs[3], 100);
}

static void hybrid_direct_and_cooperative_reads_agree(void **state)
{
	struct record r = { 0 };
	unsigned int i;

	(void)state;
	assert_int_equal(run_pattern(&r, modes_body), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(r.rets[i * 3], r.rets[i * 3 + 1]);
		assert_int_equal(r.rets[i * 3], r.rets[i * 3 + 2]);
		assert_true(r.ok[i]);
	}
	assert_int_equal(r.rets[1], 4072);
	assert_int_equal(r.rets[4], 262144);
	assert_int_equal(r.rets[6], 5000);
	assert_int_equal(r.rets[9], -EFAULT);
	assert_int_equal(r.rets[12], r.rets[14]);
	assert_int_equal(r.rets[13], r.rets[15]);
	assert_int_equal(r.rets[12], -ENAMETOOLONG);
	assert_string_equal(r.strs[0], r.strs[2]);
	assert_string_equal(r.strs[1], r.strs[3]);
}

int run_readv_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(readv_of_64_scattered_reads_takes_one_round_trip),
		cmocka_unit_test(guest_tiny_offers_sixteen_pages_and_readv),
		cmocka_unit_test(walker_agrees_with_guest_tiny_page_tables),
		cmocka_unit_test(hybrid_direct_and_cooperative_reads_agree),
	};

	return cmocka_run_group_tests_name("readv", tests, NULL, NULL);
}
