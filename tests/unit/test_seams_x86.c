// SPDX-License-Identifier: MIT
/*
 * The synchronous guest's page tables (sync_guest_map(), x86 only: arm64
 * has no page walker yet), read by the library's walker with no guest
 * code running.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sync_guest.h"

#define LEN 6000

static uint8_t got[LEN];
static ssize_t got_len;

static int read_direct(struct hm_vcpu *vcpu, const struct hm_event *ev,
		       void *opaque)
{
	(void)ev;
	(void)opaque;
	got_len = hm_vcpu_read_direct(vcpu, SYNC_VA + SYNC_MEM_SIZE - LEN, got,
				      LEN + 1);
	return 0;
}

static void synchronous_guest_page_tables_map_its_memory(void **s)
{
	struct sync_guest *g;
	struct hm_vm *vm;
	size_t i;

	(void)s;
	assert_int_equal(hm_vm_new(&vm), 0);
	hm_vm_set_event_handler(vm, read_direct, NULL);
	g = sync_guest_new(vm, 0);
	for (i = 0; i < LEN; i++)
		g->mem[SYNC_MEM_SIZE - LEN + i] = (uint8_t)(i * 3);
	sync_guest_map(g);
	assert_int_equal(sync_guest_register(g), 0);
	sync_guest_raise(g, HM_EVENT_USER, 7);
	/* The task's memory ends one byte short of the read. */
	assert_int_equal(got_len, LEN);
	assert_memory_equal(got, g->mem + SYNC_MEM_SIZE - LEN, LEN);
	assert_int_equal(g->kvm_runs, 0);
	sync_guest_free(g);
	hm_vm_free(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(synchronous_guest_page_tables_map_its_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
