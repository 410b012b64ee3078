// SPDX-License-Identifier: MIT
/*
 * The x86-64 page walker over page tables the tests build in fake RAM, and
 * the direct and hybrid reads that use it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "race.h"
#include "unit.h"
#include <x86-regs.h>

#define P (1ull << 0)
#define W (1ull << 1)
#define U (1ull << 2)
#define PS (1ull << 7)
#define NX (1ull << 63)


/* Tables are allocated from here on, past the region. */
#define TABLES_GPA (FAKE_RAM_GPA + 0x40000)
#define DATA_GPA (FAKE_RAM_GPA + 0x80000)	/* a page of VA_BUF bytes */

static struct unit *u;
static uint64_t next_table;

static uint64_t *table_at(uint64_t gpa)
{
	return (uint64_t *)(u->g->ram + (gpa - FAKE_RAM_GPA));
}

static uint64_t new_table(void)
{
	uint64_t gpa = next_table;

	next_table += 4096;
	memset(table_at(gpa), 0, 4096);
	return gpa;
}

/* Map va at @level (1: 4 KiB, 2: 2 MiB, 3: 1 GiB) with @leaf flags. */
static void map(uint64_t va, uint64_t gpa, unsigned int level, uint64_t leaf)
{
	bool la57 = u->g->sregs.cr4 & X86_CR4_LA57;
	uint64_t table = u->g->sregs.cr3;
	unsigned int l;

	for (l = la57 ? 5 : 4; l > level; l--) {
		uint64_t *e = &table_at(table)[(va >> (3 + 9 * l)) & 511];

		if (!(*e & P))
			*e = new_table() | P | W | U;
		table = *e & 0x000ffffffffff000ull;
	}
	table_at(table)[(va >> (3 + 9 * level)) & 511] = gpa | leaf;
}

/* The entry that maps va at @level, to spoil it. */
static uint64_t *entry(uint64_t va, unsigned int level)
{
	bool la57 = u->g->sregs.cr4 & X86_CR4_LA57;
	uint64_t table = u->g->sregs.cr3;
	unsigned int l;

	for (l = la57 ? 5 : 4; l > level; l--)
		table = table_at(table)[(va >> (3 + 9 * l)) & 511] &
			0x000ffffffffff000ull;
	return &table_at(table)[(va >> (3 + 9 * level)) & 511];
}

static void long_mode(bool la57)
{
	next_table = TABLES_GPA;
	u->g->sregs.cr0 = X86_CR0_PG | 1;
	u->g->sregs.cr4 = X86_CR4_PAE | (la57 ? X86_CR4_LA57 : 0);
	u->g->sregs.efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE;
	u->g->sregs.cr3 = new_table();
}

static void run(bool la57, void (*setup)(void), unit_body body)
{
	u = unit_new(guest_one_event);
	long_mode(la57);
	if (setup)
		setup();
	assert_int_equal(unit_run(u, body), 0);
	assert_int_equal(u->events, 1);
	unit_free(u);
}

static struct hm_translation walk(uint64_t va, int want)
{
	struct hm_translation t = { 0 };

	assert_int_equal(hm_vcpu_translate(u->vcpu, va, &t), want);
	return t;
}

static void small_page(void)
{
	map(0x400000, 0x190000, 1, P | W | U);
	map(0x401000, 0x191000, 1, P | U | NX);
}

static void check_small_page(struct unit *unit, const struct hm_event *ev)
{
	struct hm_translation t = walk(0x400123, 0);

	(void)unit;
	(void)ev;
	assert_int_equal(t.gpa, 0x190123);
	assert_int_equal(t.page_size, 4096);
	assert_int_equal(t.flags, HM_PAGE_WRITABLE | HM_PAGE_USER);
	t = walk(0x401fff, 0);
	assert_int_equal(t.gpa, 0x191fff);
	assert_int_equal(t.flags, HM_PAGE_USER | HM_PAGE_NX);
	/* Both walks cost one KVM_GET_SREGS, for the whole event. */
	assert_int_equal(u->g->get_sregs, 1);
}

static void four_level_walk_translates_4k_page_with_flags(void **state)
{
	(void)state;
	run(false, small_page, check_small_page);
}

/* What a VMM diagnosing a stopped vCPU does: walk outside any event. */
static void walk_outside_an_event_uses_the_tables_of_now(void **state)
{
	struct hm_translation t = { 0 };

	(void)state;
	u = unit_new(guest_one_event);
	long_mode(false);
	small_page();
	assert_int_equal(unit_run(u, check_small_page), 0);
	assert_int_equal(hm_vcpu_translate(u->vcpu, 0x400123, &t), -EBUSY);
	assert_int_equal(hm_vcpu_walk(u->vcpu, 0x400123, &t), 0);
	assert_int_equal(t.gpa, 0x190123);
	assert_int_equal(t.flags, HM_PAGE_WRITABLE | HM_PAGE_USER);
	assert_int_equal(hm_vcpu_walk(u->vcpu, 0x402000, &t), -ENOENT);
	assert_int_equal(u->g->get_sregs, 3);
	unit_free(u);
}

#define HIGH_VA 0x0001234567891000ull	/* needs more than 48 bits */

static void high_page(void)
{
	map(HIGH_VA, 0x1a0000, 1, P | W | U);
}

static void check_high_page(struct unit *unit, const struct hm_event *ev)
{
	(void)unit;
	(void)ev;
	assert_int_equal(walk(HIGH_VA + 5, 0).gpa, 0x1a0005);
	assert_int_equal(walk(0xff00000000000000ull, -ENOENT).gpa, 0);
	assert_int_equal(walk(0x0100000000000000ull, -EINVAL).gpa, 0);
}

static void five_level_walk_reaches_57_bit_addresses(void **state)
{
	(void)state;
	run(true, high_page, check_high_page);
}

static void check_not_canonical(struct unit *unit, const struct hm_event *ev)
{
	(void)unit;
	(void)ev;
	walk(HIGH_VA, -EINVAL);
	walk(0xffff800000000000ull, -ENOENT);
}

static void four_level_walk_refuses_non_canonical_address(void **state)
{
	(void)state;
	run(false, NULL, check_not_canonical);
}

static void large_pages(void)
{
	map(0x40000000, 0x200000, 2, P | W | U | PS);
	map(0x80000000, 0xc0000000, 3, P | PS | NX);
}

static void check_large_pages(struct unit *unit, const struct hm_event *ev)
{
	struct hm_translation t = walk(0x40012345, 0);

	(void)unit;
	(void)ev;
	assert_int_equal(t.gpa, 0x212345);
	assert_int_equal(t.page_size, 2ull << 20);
	assert_int_equal(t.flags, HM_PAGE_WRITABLE | HM_PAGE_USER);
	t = walk(0x80000000 + 0x3456789, 0);
	assert_int_equal(t.gpa, 0xc0000000 + 0x3456789);
	assert_int_equal(t.page_size, 1ull << 30);
	assert_int_equal(t.flags, HM_PAGE_NX);
}

static void walk_translates_2m_and_1g_pages(void **state)
{
	(void)state;
	run(false, large_pages, check_large_pages);
}

static void holes(void)
{
	map(0x400000, 0x190000, 1, P | W | U);
	map(0x401000, 0x191000, 1, W | U);	/* marked not present */
	*entry(0x400000, 2) &= ~U;		/* a supervisor table */
	*entry(0x400000, 4) &= ~W;
}

static void check_holes(struct unit *unit, const struct hm_event *ev)
{
	(void)unit;
	(void)ev;
	assert_int_equal(walk(0x400000, 0).flags, 0);
	walk(0x401000, -ENOENT);
	walk(0x402000, -ENOENT);		/* empty entry */
	walk(0x7f0000000000ull, -ENOENT);	/* no table at all */
}

static void walk_reports_not_present_and_ands_u_w(void **state)
{
	(void)state;
	run(false, holes, check_holes);
}

static void bad_tables(void)
{
	map(0x400000, 0x190000, 1, P | U | NX);
	u->g->sregs.efer &= ~X86_EFER_NXE;
	/* A PDPT that lies outside RAM, and PS in a PML4 entry. */
	table_at(u->g->sregs.cr3)[1] = 0x7000000000ull | P | U;
	table_at(u->g->sregs.cr3)[2] = 0x200000 | P | U | PS;
}

static void check_bad_tables(struct unit *unit, const struct hm_event *ev)
{
	(void)unit;
	(void)ev;
	walk(0x400000, -EFAULT);		/* NX without EFER.NXE */
	walk(1ull << 39, -EFAULT);
	walk(2ull << 39, -EFAULT);
}

static void walk_refuses_tables_outside_ram_and_reserved_bits(void **state)
{
	(void)state;
	run(false, bad_tables, check_bad_tables);
}

static void paging_off(void)
{
	u->g->sregs.cr0 = 1;
}

static void check_paging_off(struct unit *unit, const struct hm_event *ev)
{
	uint8_t b[8];

	(void)ev;
	walk(0x400000, -EOPNOTSUPP);
	assert_int_equal(hm_vcpu_read_direct(unit->vcpu, VA_BUF, b, 8),
			 -EOPNOTSUPP);
	/* Hybrid reads fall back to the guest. */
	assert_int_equal(hm_vm_set_read_mode(unit->vm, HM_READ_HYBRID), 0);
	assert_int_equal(hm_vcpu_read(unit->vcpu, VA_BUF, b, 8), 8);
	assert_int_equal(b[7], fake_pattern(VA_BUF + 7));
}

static void walk_without_long_mode_paging_is_eopnotsupp(void **state)
{
	(void)state;
	run(false, paging_off, check_paging_off);
}

static void check_str_paging_off(struct unit *unit, const struct hm_event *ev)
{
	char got[8];

	(void)ev;
	assert_int_equal(hm_vm_set_read_mode(unit->vm, HM_READ_DIRECT), 0);
	memset(got, 'x', sizeof(got));
	assert_int_equal(hm_vcpu_read_str(unit->vcpu, VA_STR, got,
					  sizeof(got)), -EOPNOTSUPP);
	assert_string_equal(got, "");
}

static void direct_read_str_without_paging_leaves_buf_empty(void **state)
{
	(void)state;
	run(false, paging_off, check_str_paging_off);
}

/* ---- direct and hybrid reads ---- */

/* VA_BUF's first page is mapped to a copy of its bytes; the next is not. */
static void buf_first_page(void)
{
	memcpy(u->g->ram + (DATA_GPA - FAKE_RAM_GPA), u->buf, 4096);
	map(VA_BUF, DATA_GPA, 1, P | W | U);
	map(VA_BUF + 4096, DATA_GPA + 4096, 1, W | U);
	map(VA_RO, DATA_GPA, 1, P);		/* supervisor only */
}

static uint64_t round_trips(struct unit *unit)
{
	struct hm_stats stats;

	hm_vcpu_get_stats(unit->vcpu, &stats);
	return stats.round_trips;
}

static void assert_buf_bytes(const uint8_t *got, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		assert_int_equal(got[i], fake_pattern(VA_BUF + i));
}

static void check_direct(struct unit *unit, const struct hm_event *ev)
{
	uint8_t got[8192];

	(void)ev;
	memset(got, 0, sizeof(got));
	assert_int_equal(hm_vcpu_read_direct(unit->vcpu, VA_BUF + 4000, got,
					     200), 96);
	assert_int_equal(hm_vcpu_read_direct(unit->vcpu, VA_BUF, got, 8192),
			 4096);
	assert_buf_bytes(got, 4096);
	assert_int_equal(hm_vcpu_read_direct(unit->vcpu, VA_BUF + 4096, got,
					     8), -EFAULT);
	assert_int_equal(hm_vcpu_read_direct(unit->vcpu, VA_RO, got, 8),
			 -EFAULT);
	assert_int_equal(round_trips(unit), 0);
}

static void direct_read_stops_at_first_page_not_present(void **state)
{
	(void)state;
	run(false, buf_first_page, check_direct);
}

static void check_hybrid(struct unit *unit, const struct hm_event *ev)
{
	uint8_t got[8192];
	uint8_t coop[8192];

	(void)ev;
	assert_int_equal(hm_vm_set_read_mode(unit->vm, HM_READ_HYBRID), 0);
	assert_int_equal(hm_vcpu_read(unit->vcpu, VA_BUF, got, 8000), 8000);
	assert_buf_bytes(got, 8000);
	/* The first page directly; the rest, one READ, from the guest. */
	assert_int_equal(round_trips(unit), 1);
	assert_int_equal(hm_vm_set_read_mode(unit->vm, HM_READ_COOPERATIVE),
			 0);
	assert_int_equal(hm_vcpu_read(unit->vcpu, VA_BUF, coop, 8000), 8000);
	assert_memory_equal(got, coop, 8000);
}

static void hybrid_read_asks_guest_for_pages_not_present(void **state)
{
	(void)state;
	run(false, buf_first_page, check_hybrid);
}

/*
 * A 2 MiB page at GPA 0x200000 whose halves are two RAM slots, adjacent in
 * guest-physical space and apart in the host's.
 */
#define LARGE_VA 0x40000000ull
#define HALF (1u << 20)
static uint8_t *low_half, *high_half;

static uint8_t *add_half(uint64_t gpa, uint64_t va)
{
	uint8_t *half = malloc(HALF);
	uint32_t i;

	assert_non_null(half);
	for (i = 0; i < HALF; i++)
		half[i] = fake_pattern(va + i);
	assert_int_equal(hm_vm_add_ram(u->vm, gpa, HALF, half), 0);
	return half;
}

static void large_page_on_two_slots(void)
{
	low_half = add_half(0x200000, LARGE_VA);
	high_half = add_half(0x300000, LARGE_VA + HALF);
	map(LARGE_VA, 0x200000, 2, P | W | U | PS);
}

/* 512 bytes across the middle of the page: @want of them come back. */
static void read_across_halves(struct unit *unit, size_t want)
{
	uint64_t va = LARGE_VA + HALF - 256;
	uint8_t got[513];
	size_t i;

	memset(got, 0xee, sizeof(got));
	assert_int_equal(hm_vcpu_read_direct(unit->vcpu, va, got, 512), want);
	for (i = 0; i < want; i++)
		assert_int_equal(got[i], fake_pattern(va + i));
	assert_int_equal(got[want], 0xee);
	assert_int_equal(round_trips(unit), 0);
}

static void check_two_slots(struct unit *unit, const struct hm_event *ev)
{
	(void)ev;
	read_across_halves(unit, 512);
}

static void direct_read_spans_large_page_on_two_slots(void **state)
{
	(void)state;
	run(false, large_page_on_two_slots, check_two_slots);
	free(low_half);
	free(high_half);
}

/* The same page with only its low half in RAM. */
static void large_page_half_in_ram(void)
{
	low_half = add_half(0x200000, LARGE_VA);
	map(LARGE_VA, 0x200000, 2, P | W | U | PS);
}

static void check_end_of_ram(struct unit *unit, const struct hm_event *ev)
{
	(void)ev;
	read_across_halves(unit, 256);
}

static void direct_read_past_end_of_ram_returns_readable_prefix(void **s)
{
	(void)s;
	run(false, large_page_half_in_ram, check_end_of_ram);
	free(low_half);
}

static void strings(void)
{
	char *page = (char *)u->g->ram + (DATA_GPA - FAKE_RAM_GPA);

	memset(page, 'x', 4096);
	memcpy(page + 100, "direct", 7);
	map(VA_STR, DATA_GPA, 1, P | U);
}

static void check_strings(struct unit *unit, const struct hm_event *ev)
{
	char buf[8192];

	(void)ev;
	assert_int_equal(hm_vm_set_read_mode(unit->vm, HM_READ_DIRECT), 0);
	assert_int_equal(hm_vcpu_read_str(unit->vcpu, VA_STR + 100, buf, 64),
			 6);
	assert_string_equal(buf, "direct");
	assert_int_equal(hm_vcpu_read_str(unit->vcpu, VA_STR, buf, 50),
			 -ENAMETOOLONG);
	assert_int_equal(strlen(buf), 49);
	assert_int_equal(hm_vcpu_read_str(unit->vcpu, VA_STR + 200, buf,
					  sizeof(buf)), -EFAULT);
	/* Hybrid: the guest's string (its own bytes) from the next page. */
	assert_int_equal(hm_vm_set_read_mode(unit->vm, HM_READ_HYBRID), 0);
	assert_int_equal(hm_vcpu_read_str(unit->vcpu, VA_STR + 4090, buf,
					  sizeof(buf)), STR_LEN - 4090);
	assert_memory_equal(buf, "xxxxxx", 6);
	assert_int_equal(buf[6], unit->str[4096]);
	assert_int_equal(round_trips(unit), 2);
}

static void direct_and_hybrid_read_str(void **state)
{
	(void)state;
	run(false, strings, check_strings);
}

/*
 * Another vCPU writes a NUL into the string right after the host looked
 * for one in guest RAM (race.h): what the host returns is what it checked.
 */
static void check_str_raced(struct unit *unit, const struct hm_event *ev)
{
	char buf[64];

	(void)ev;
	assert_int_equal(hm_vm_set_read_mode(unit->vm, HM_READ_DIRECT), 0);
	race_nul_after_look(unit->g->ram + (DATA_GPA - FAKE_RAM_GPA), 4096);
	assert_int_equal(hm_vcpu_read_str(unit->vcpu, VA_STR + 100, buf,
					  sizeof(buf)), 6);
	assert_string_equal(buf, "direct");
}

static void direct_read_str_returns_the_bytes_it_checked(void **state)
{
	(void)state;
	run(false, strings, check_str_raced);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(four_level_walk_translates_4k_page_with_flags),
		cmocka_unit_test(walk_outside_an_event_uses_the_tables_of_now),
		cmocka_unit_test(five_level_walk_reaches_57_bit_addresses),
		cmocka_unit_test(four_level_walk_refuses_non_canonical_address),
		cmocka_unit_test(walk_translates_2m_and_1g_pages),
		cmocka_unit_test(walk_reports_not_present_and_ands_u_w),
		cmocka_unit_test(
			walk_refuses_tables_outside_ram_and_reserved_bits),
		cmocka_unit_test(walk_without_long_mode_paging_is_eopnotsupp),
		cmocka_unit_test(
			direct_read_str_without_paging_leaves_buf_empty),
		cmocka_unit_test(direct_read_stops_at_first_page_not_present),
		cmocka_unit_test(hybrid_read_asks_guest_for_pages_not_present),
		cmocka_unit_test(direct_and_hybrid_read_str),
		cmocka_unit_test(direct_read_str_returns_the_bytes_it_checked),
		cmocka_unit_test(direct_read_spans_large_page_on_two_slots),
		cmocka_unit_test(
			direct_read_past_end_of_ram_returns_readable_prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
