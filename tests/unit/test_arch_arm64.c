// SPDX-License-Identifier: MIT
/*
 * What only the arm64 doorbell has: an HVC whose exit carries the function
 * ID alone (KVM api.rst, KVM_EXIT_HYPERCALL "For arm64"), so the region's
 * GPA is read from X1 and every answer is written to X0; and no page walker
 * yet (libhypermem/arch/arm64/walk.c).
 */
#include <errno.h>
#include <string.h>

#include "unit.h"

/* X0 as the guest found it after each of its calls, in order. */
static uint64_t x0_seen[4];

static void never(struct unit *u, const struct hm_event *ev)
{
	(void)u;
	(void)ev;
	fail_msg("no event may reach the handler");
}

static unsigned int replies;

/* Before the first reply the event's HVC is the last call that returned. */
static void note_event_x0(struct fake_guest *g)
{
	if (!replies++)
		x0_seen[2] = g->regs.result;
}

static void guest_registers_then_raises(struct fake_guest *g)
{
	g->before_reply = note_event_x0;
	fake_guest_register(g);
	x0_seen[0] = g->regs.result;
	fake_guest_raise(g, HM_EVENT_USER, 1, 0, 0, 0);
	x0_seen[1] = g->regs.result;
}

static void read_one(struct unit *u, const struct hm_event *ev)
{
	uint8_t got;

	(void)ev;
	assert_int_equal(hm_vcpu_read(u->vcpu, VA_BUF, &got, 1), 1);
	/* The guest's reply, answered before the event goes on. */
	assert_int_equal(u->g->regs.result, 0);
}

/*
 * KVM leaves the function ID in X0 when it forwards a call, and SMCCC has
 * no such result: registration, event and reply are each answered with 0,
 * the event's before its first request resumes the vCPU.
 */
static void answered_calls_leave_zero_in_x0(void **state)
{
	struct unit *u = unit_new(guest_registers_then_raises);

	(void)state;
	memset(x0_seen, 0xaa, sizeof(x0_seen));
	replies = 0;
	assert_int_equal(unit_run(u, read_one), 0);
	assert_int_equal(u->events, 1);
	assert_int_equal(replies, 1);
	assert_int_equal(x0_seen[0], 0);
	assert_int_equal(x0_seen[1], 0);
	assert_int_equal(x0_seen[2], 0);
	/*
	 * X0, the only register written: registration, event, reply, and
	 * the reply again with the event's result as the event ends.
	 */
	assert_int_equal(u->g->regs.writes, 4);
	unit_free(u);
}

static void guest_registers_at(struct fake_guest *g)
{
	fake_guest_register(g);
	x0_seen[0] = g->regs.result;
}

static void registration_takes_the_region_from_x1(void **state)
{
	struct unit *u = unit_new(guest_registers_at);
	struct hm_guest_info info;

	(void)state;
	/* The agent rings with its region's GPA in X1; the exit has none. */
	u->g->agent.region_gpa = FAKE_REGION_GPA + 0x3000;
	u->g->agent.region = (struct hm_region *)(u->g->ram + 0x13000);
	assert_int_equal(unit_run(u, never), 0);
	assert_int_equal(hm_vcpu_get_guest_info(u->vcpu, &info), 0);
	assert_int_equal(info.region_gpa, FAKE_REGION_GPA + 0x3000);
	assert_int_equal(u->g->regs.reads, 1);
	assert_int_equal(x0_seen[0], 0);
	unit_free(u);
}

static void refused_registration_leaves_the_errno_in_x0(void **state)
{
	struct unit *u = unit_new(guest_registers_at);

	(void)state;
	u->g->agent.region_gpa = FAKE_REGION_GPA + 8;
	assert_int_equal(unit_run(u, never), -EINVAL);
	assert_int_equal(x0_seen[0], (uint64_t)-EINVAL);
	assert_int_equal(u->g->register_result, -HM_ENODEV);
	unit_free(u);
}

/* An HVC exit handed to the library as the VMM's loop would. */
static int handle_hvc(struct unit *u, uint64_t func)
{
	struct kvm_run *run = u->g->run;

	memset(&run->hypercall, 0, sizeof(run->hypercall));
	run->exit_reason = KVM_EXIT_HYPERCALL;
	run->hypercall.nr = func;
	u->g->regs.result = func;
	return hm_vcpu_handle_exit(u->vcpu);
}

static void function_ids_outside_hypermem_range_are_not_ours(void **state)
{
	static const uint64_t others[] = {
		HM_SMCCC_FUNC(0) - 1,
		HM_SMCCC_FUNC(0) + 0x100,
		HM_SMCCC_FUNC(HM_CALL_REGISTER) & ~0x40000000u, /* SMC32 */
		0x84000000,				/* PSCI_VERSION */
		(1ull << 32) | HM_SMCCC_FUNC(HM_CALL_REGISTER),
	};
	struct unit *u = unit_new(guest_registers_at);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		assert_int_equal(handle_hvc(u, others[i]), 0);
		/* The VMM's to answer: X0 is left alone. */
		assert_int_equal(u->g->regs.result, others[i]);
	}
	assert_int_equal(u->g->regs.reads, 0);
	assert_int_equal(u->g->regs.writes, 0);
	unit_free(u);
}

static void unknown_call_in_range_is_eproto_in_x0(void **state)
{
	struct unit *u = unit_new(guest_registers_at);

	(void)state;
	assert_int_equal(handle_hvc(u, HM_SMCCC_FUNC(0xff)), -EPROTO);
	assert_int_equal(u->g->regs.result, (uint64_t)-EPROTO);
	assert_int_equal(handle_hvc(u, HM_SMCCC_FUNC(0)), -EPROTO);
	assert_int_equal(u->g->regs.result, (uint64_t)-EPROTO);
	/* An event before any registration: refused in X0 too. */
	assert_int_equal(handle_hvc(u, HM_SMCCC_FUNC(HM_CALL_EVENT)),
			 -ENOTCONN);
	assert_int_equal(u->g->regs.result, (uint64_t)-ENOTCONN);
	unit_free(u);
}

static void unwalkable(struct unit *u, const struct hm_event *ev)
{
	struct hm_translation t;
	uint8_t got[16];
	struct hm_stats before, after;

	(void)ev;
	assert_int_equal(hm_vcpu_translate(u->vcpu, VA_BUF, &t), -EOPNOTSUPP);
	assert_int_equal(hm_vcpu_read_direct(u->vcpu, VA_BUF, got, 16),
			 -EOPNOTSUPP);
	/* A hybrid read asks the guest for all of it. */
	hm_vcpu_get_stats(u->vcpu, &before);
	assert_int_equal(hm_vm_set_read_mode(u->vm, HM_READ_HYBRID), 0);
	assert_int_equal(hm_vcpu_read(u->vcpu, VA_BUF, got, 16), 16);
	hm_vcpu_get_stats(u->vcpu, &after);
	assert_int_equal(after.round_trips - before.round_trips, 1);
	assert_int_equal(got[15], fake_pattern(VA_BUF + 15));
}

static void without_a_page_walker_hybrid_reads_ask_the_guest(void **state)
{
	(void)state;
	unit_with_event(unwalkable);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(answered_calls_leave_zero_in_x0),
		cmocka_unit_test(registration_takes_the_region_from_x1),
		cmocka_unit_test(refused_registration_leaves_the_errno_in_x0),
		cmocka_unit_test(
			function_ids_outside_hypermem_range_are_not_ours),
		cmocka_unit_test(unknown_call_in_range_is_eproto_in_x0),
		cmocka_unit_test(
			without_a_page_walker_hybrid_reads_ask_the_guest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
