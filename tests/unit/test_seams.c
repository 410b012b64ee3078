// SPDX-License-Identifier: MIT
/*
 * The library's test seams: a guest played in the test's own thread (the
 * fake KVM_RUN serves each request with the real agent) and a clock that
 * moves only when the guest stays silent.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "sync_guest.h"

/* Register, raise one event whose handler runs @fn, tear down. */
static void one_event(int (*fn)(struct hm_vcpu *, struct sync_guest *))
{
	struct hm_vm *vm;
	struct sync_guest *g;

	assert_int_equal(hm_vm_new(&vm), 0);
	g = sync_guest_new(vm, 0);
	assert_int_equal(sync_guest_register(g), 0);
	assert_int_equal(sync_guest_event(g, fn), 0);
	sync_guest_free(g);
	hm_vm_free(vm);
}

static int read_bytes(struct hm_vcpu *vcpu, struct sync_guest *g)
{
	struct hm_stats stats;
	uint8_t got[5000];
	size_t i;

	for (i = 0; i < sizeof(got); i++)
		g->mem[100 + i] = (uint8_t)(i * 7);
	assert_int_equal(hm_vcpu_read(vcpu, SYNC_VA + 100, got, sizeof(got)),
			 sizeof(got));
	assert_memory_equal(got, g->mem + 100, sizeof(got));
	hm_vcpu_get_stats(vcpu, &stats);
	/* Two chunks of a one-page region: two KVM_RUNs, no thread. */
	assert_int_equal(stats.round_trips, 2);
	assert_int_equal(g->kvm_runs, 2);
	return 0;
}

static void synchronous_guest_serves_reads_in_the_callers_thread(void **s)
{
	(void)s;
	one_event(read_bytes);
}

static double wall_seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

static int read_silence(struct hm_vcpu *vcpu, struct sync_guest *g)
{
	struct hm_stats stats;
	double t0 = wall_seconds();
	uint8_t got[8];
	unsigned int runs;

	g->silent = 100;
	/* The default deadline, 2 s of the seam's clock: two kicks. */
	assert_int_equal(hm_vcpu_read(vcpu, SYNC_VA, got, 8), -ETIMEDOUT);
	assert_int_equal(g->kvm_runs, 2);
	assert_true(wall_seconds() - t0 < 0.5);
	hm_vcpu_get_stats(vcpu, &stats);
	assert_int_equal(stats.timeouts, 1);
	/* The event is abandoned: the next operation does not run the guest. */
	runs = g->kvm_runs;
	assert_int_equal(hm_vcpu_read(vcpu, SYNC_VA, got, 8), -ETIMEDOUT);
	assert_int_equal(g->kvm_runs, runs);
	g->silent = 0;
	return 0;
}

static void silent_guest_times_out_on_the_seam_clock_at_once(void **s)
{
	(void)s;
	one_event(read_silence);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			synchronous_guest_serves_reads_in_the_callers_thread),
		cmocka_unit_test(
			silent_guest_times_out_on_the_seam_clock_at_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
