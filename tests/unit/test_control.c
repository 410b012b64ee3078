// SPDX-License-Identifier: MIT
/*
 * Event control: the record the host ends an event with, the calls that
 * fill it and when they are refused, and what the agent makes of records
 * that are malformed.
 */
#include <errno.h>
#include <string.h>

#include "unit.h"

#define NR_WRITE 1
#define NR_IOCTL 16
#define ALL_CONTROLS (HM_FEATURE_EVENT_CONTROL | HM_FEATURE_SYSCALL_SKIP)

/* What the guest saw when each of its events ended. */
struct seen {
	uint64_t op;
	uint64_t size;
	uint8_t data[sizeof(struct hm_event_control)];
	struct hm_agent_control control;
};

static struct seen seen[2];

static void raise_and_keep(struct fake_guest *g, uint32_t kind,
			   struct seen *s)
{
	struct hm_region *r = g->agent.region;

	fake_guest_raise(g, kind, NR_WRITE, 1, VA_BUF, 10);
	s->op = hm_le64(r->op);
	s->size = hm_le64(r->size);
	memcpy(s->data, r->data, sizeof(s->data));
	s->control = g->agent.control;
}

/* A write(): its entry, then its exit. */
static void guest_entry_and_exit(struct fake_guest *g)
{
	fake_guest_register(g);
	raise_and_keep(g, HM_EVENT_SYSCALL_ENTER, &seen[0]);
	raise_and_keep(g, HM_EVENT_SYSCALL_EXIT, &seen[1]);
}

static void guest_user_event(struct fake_guest *g)
{
	fake_guest_register(g);
	raise_and_keep(g, HM_EVENT_USER, &seen[0]);
}

static void run_guest(fake_guest_fn guest, uint64_t features,
		      unit_body body, int events)
{
	struct unit *u = unit_new(guest);

	memset(seen, 0, sizeof(seen));
	u->g->agent.features |= features;
	assert_int_equal(unit_run(u, body), 0);
	assert_int_equal(u->events, events);
	unit_free(u);
}

static void count_to_four(struct unit *u, const struct hm_event *ev)
{
	if (ev->kind == HM_EVENT_SYSCALL_ENTER)
		assert_int_equal(hm_vcpu_set_arg(u->vcpu, 2, 4), 0);
}

static void set_arg_ends_event_with_record_of_that_argument(void **state)
{
	static const uint8_t record[64] = {
		0, 0, 0, 0,	4, 0, 0, 0,	/* flags, arg_mask: bit 2 */
		[24] = 4,			/* args[2] */
	};

	(void)state;
	run_guest(guest_entry_and_exit, ALL_CONTROLS,
		  count_to_four, 2);
	assert_int_equal(seen[0].op, HM_OP_EVENT_END);
	assert_int_equal(seen[0].size, 64);
	assert_memory_equal(seen[0].data, record, sizeof(record));
	assert_int_equal(seen[0].control.flags, 0);
	assert_int_equal(seen[0].control.arg_mask, 4);
	assert_int_equal(seen[0].control.args[2], 4);
	assert_int_equal(seen[1].op, HM_OP_NONE);
}

static void skip_with_enoent(struct unit *u, const struct hm_event *ev)
{
	if (ev->kind == HM_EVENT_SYSCALL_ENTER)
		assert_int_equal(hm_vcpu_skip_syscall(u->vcpu,
						      (uint64_t)-ENOENT), 0);
}

static void skip_sends_flag_and_return_value(void **state)
{
	static const uint8_t record[64] = {
		1, 0, 0, 0,	0, 0, 0, 0,	/* HM_CONTROL_SKIP */
		[56] = 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};

	(void)state;
	run_guest(guest_entry_and_exit, ALL_CONTROLS,
		  skip_with_enoent, 2);
	assert_int_equal(seen[0].op, HM_OP_EVENT_END);
	assert_memory_equal(seen[0].data, record, sizeof(record));
	assert_int_equal(seen[0].control.flags, HM_CONTROL_SKIP);
	assert_int_equal(seen[0].control.ret, (uint64_t)-ENOENT);
}

static void return_seven(struct unit *u, const struct hm_event *ev)
{
	if (ev->kind == HM_EVENT_SYSCALL_EXIT)
		assert_int_equal(hm_vcpu_set_return(u->vcpu, 7), 0);
}

static void set_return_at_exit_sends_flag_and_value(void **state)
{
	static const uint8_t record[64] = {
		2, 0, 0, 0,	0, 0, 0, 0,	/* HM_CONTROL_RETURN */
		[56] = 7,
	};

	(void)state;
	run_guest(guest_entry_and_exit, ALL_CONTROLS,
		  return_seven, 2);
	assert_int_equal(seen[0].op, HM_OP_NONE);
	assert_int_equal(seen[1].op, HM_OP_EVENT_END);
	assert_memory_equal(seen[1].data, record, sizeof(record));
	assert_int_equal(seen[1].control.flags, HM_CONTROL_RETURN);
	assert_int_equal(seen[1].control.ret, 7);
}

static void wrong_phase(struct unit *u, const struct hm_event *ev)
{
	if (ev->kind == HM_EVENT_SYSCALL_ENTER) {
		assert_int_equal(hm_vcpu_set_return(u->vcpu, 0), -EINVAL);
		assert_int_equal(hm_vcpu_set_arg(u->vcpu, 6, 0), -EINVAL);
	} else {
		assert_int_equal(hm_vcpu_set_arg(u->vcpu, 0, 0), -EINVAL);
		assert_int_equal(hm_vcpu_skip_syscall(u->vcpu, 0), -EINVAL);
	}
}

static void control_of_the_other_phase_is_einval(void **state)
{
	(void)state;
	run_guest(guest_entry_and_exit, ALL_CONTROLS,
		  wrong_phase, 2);
	assert_int_equal(seen[0].op, HM_OP_NONE);
	assert_int_equal(seen[1].op, HM_OP_NONE);
}

static void user_event(struct unit *u, const struct hm_event *ev)
{
	(void)ev;
	assert_int_equal(hm_vcpu_set_arg(u->vcpu, 0, 0), -EINVAL);
	assert_int_equal(hm_vcpu_skip_syscall(u->vcpu, 0), -EINVAL);
	assert_int_equal(hm_vcpu_set_return(u->vcpu, 0), -EINVAL);
}

static void control_of_a_user_event_is_einval(void **state)
{
	(void)state;
	run_guest(guest_user_event, ALL_CONTROLS, user_event, 1);
	assert_int_equal(seen[0].op, HM_OP_NONE);
}

static void no_feature(struct unit *u, const struct hm_event *ev)
{
	if (ev->kind == HM_EVENT_SYSCALL_ENTER)
		assert_int_equal(hm_vcpu_skip_syscall(u->vcpu, 0),
				 -EOPNOTSUPP);
	else
		assert_int_equal(hm_vcpu_set_return(u->vcpu, 0), -EOPNOTSUPP);
}

static void control_without_the_feature_is_eopnotsupp(void **state)
{
	(void)state;
	run_guest(guest_entry_and_exit, 0, no_feature, 2);
	assert_int_equal(seen[0].op, HM_OP_NONE);
	assert_int_equal(seen[1].op, HM_OP_NONE);
}

static void skip_without_skip_feature(struct unit *u,
				      const struct hm_event *ev)
{
	if (ev->kind != HM_EVENT_SYSCALL_ENTER)
		return;
	assert_int_equal(hm_vcpu_skip_syscall(u->vcpu, 0), -EOPNOTSUPP);
	assert_int_equal(hm_vcpu_set_arg(u->vcpu, 0, 9), 0);
}

static void skip_without_the_skip_feature_is_eopnotsupp(void **state)
{
	(void)state;
	run_guest(guest_entry_and_exit, HM_FEATURE_EVENT_CONTROL,
		  skip_without_skip_feature, 2);
	assert_int_equal(seen[0].op, HM_OP_EVENT_END);
	assert_int_equal(seen[0].control.flags, 0);
	assert_int_equal(seen[0].control.arg_mask, 1);
}

static void control_outside_an_event_is_ebusy_or_enotconn(void **state)
{
	struct unit *u = unit_new(guest_entry_and_exit);

	(void)state;
	assert_int_equal(hm_vcpu_skip_syscall(u->vcpu, 0), -ENOTCONN);
	u->g->agent.features |= ALL_CONTROLS;
	assert_int_equal(unit_run(u, NULL), 0);
	assert_int_equal(hm_vcpu_set_arg(u->vcpu, 0, 0), -EBUSY);
	assert_int_equal(hm_vcpu_set_return(u->vcpu, 0), -EBUSY);
	unit_free(u);
}

static int skip_then_fail(struct hm_vcpu *vcpu, const struct hm_event *ev,
			  void *opaque)
{
	(void)opaque;
	if (ev->kind == HM_EVENT_SYSCALL_ENTER)
		assert_int_equal(hm_vcpu_skip_syscall(vcpu, 0), 0);
	return -EIO;
}

static void handler_error_drops_the_control(void **state)
{
	struct unit *u = unit_new(guest_entry_and_exit);

	(void)state;
	memset(seen, 0, sizeof(seen));
	u->g->agent.features |= ALL_CONTROLS;
	hm_vm_set_event_handler(u->vm, skip_then_fail, NULL);
	assert_int_equal(unit_run(u, NULL), -EIO);
	assert_int_equal(seen[0].op, HM_OP_NONE);
	assert_int_equal(seen[0].control.flags, 0);
	unit_free(u);
}

/*
 * The agent alone, against a host that ends each event with the record in
 * `sent`, `sent_size` bytes long.
 */
static struct hm_event_control sent;
static uint64_t sent_size;
static uint64_t region_pages[HM_PAGE_SIZE / 8];

static int host_ends_event(void *ctx, unsigned int call, uint64_t gpa)
{
	struct hm_region *r = (struct hm_region *)region_pages;

	(void)ctx;
	(void)gpa;
	assert_int_equal(call, HM_CALL_EVENT);
	memcpy(r->data, &sent, sizeof(sent));
	r->size = sent_size;
	r->op = HM_OP_EVENT_END;
	return 0;
}

static const struct hm_agent_ops host_ends_ops = {
	.doorbell = host_ends_event,
};

static struct hm_agent_control raise_against(uint32_t kind, uint64_t features)
{
	struct hm_agent agent = {
		.ops = &host_ends_ops,
		.region = (struct hm_region *)region_pages,
		.region_pages = 1,
		.features = features,
	};
	struct hm_event_record ev = { .kind = kind, .nr = NR_IOCTL };

	agent.control.flags = 0xdead;
	hm_agent_raise(&agent, &ev);
	return agent.control;
}

static void assert_ignored(uint32_t kind)
{
	struct hm_agent_control c = raise_against(kind, ALL_CONTROLS);
	static const struct hm_agent_control none;

	assert_memory_equal(&c, &none, sizeof(c));
}

static void set(uint32_t flags, uint32_t arg_mask, uint64_t size)
{
	memset(&sent, 0, sizeof(sent));
	sent.flags = flags;
	sent.arg_mask = arg_mask;
	sent.args[5] = 55;
	sent.ret = 99;
	sent_size = size;
}

static void agent_takes_a_well_formed_record(void **state)
{
	struct hm_agent_control c;

	(void)state;
	set(HM_CONTROL_SKIP, HM_CONTROL_ARGS_ALL, sizeof(sent));
	c = raise_against(HM_EVENT_SYSCALL_ENTER, ALL_CONTROLS);
	assert_int_equal(c.flags, HM_CONTROL_SKIP);
	assert_int_equal(c.arg_mask, HM_CONTROL_ARGS_ALL);
	assert_int_equal(c.args[5], 55);
	assert_int_equal(c.ret, 99);
}

static void agent_ignores_record_of_another_size(void **state)
{
	(void)state;
	set(HM_CONTROL_SKIP, 0, sizeof(sent) - 1);
	assert_ignored(HM_EVENT_SYSCALL_ENTER);
	set(HM_CONTROL_SKIP, 0, sizeof(sent) + 1);
	assert_ignored(HM_EVENT_SYSCALL_ENTER);
}

static void agent_ignores_unknown_flag(void **state)
{
	(void)state;
	set(HM_CONTROL_SKIP | 1u << 2, 0, sizeof(sent));
	assert_ignored(HM_EVENT_SYSCALL_ENTER);
}

static void agent_ignores_seventh_argument(void **state)
{
	(void)state;
	set(0, 1u << 6, sizeof(sent));
	assert_ignored(HM_EVENT_SYSCALL_ENTER);
}

static void agent_ignores_return_at_entry(void **state)
{
	(void)state;
	set(HM_CONTROL_RETURN, 0, sizeof(sent));
	assert_ignored(HM_EVENT_SYSCALL_ENTER);
}

static void agent_ignores_skip_or_arguments_at_exit(void **state)
{
	(void)state;
	set(HM_CONTROL_SKIP, 0, sizeof(sent));
	assert_ignored(HM_EVENT_SYSCALL_EXIT);
	set(HM_CONTROL_RETURN, 1, sizeof(sent));
	assert_ignored(HM_EVENT_SYSCALL_EXIT);
}

static void agent_ignores_control_of_user_event(void **state)
{
	(void)state;
	set(0, 0, sizeof(sent));
	assert_ignored(HM_EVENT_USER);
	set(HM_CONTROL_RETURN, 0, sizeof(sent));
	assert_ignored(HM_EVENT_USER);
}

static void agent_without_feature_ignores_record(void **state)
{
	struct hm_agent_control c;
	static const struct hm_agent_control none;

	(void)state;
	set(HM_CONTROL_SKIP, 0, sizeof(sent));
	c = raise_against(HM_EVENT_SYSCALL_ENTER, 0);
	assert_memory_equal(&c, &none, sizeof(c));
}

static void agent_without_skip_feature_ignores_skip(void **state)
{
	struct hm_agent_control c;
	static const struct hm_agent_control none;

	(void)state;
	set(HM_CONTROL_SKIP, 1, sizeof(sent));
	c = raise_against(HM_EVENT_SYSCALL_ENTER, HM_FEATURE_EVENT_CONTROL);
	assert_memory_equal(&c, &none, sizeof(c));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(set_arg_ends_event_with_record_of_that_argument),
		cmocka_unit_test(skip_sends_flag_and_return_value),
		cmocka_unit_test(set_return_at_exit_sends_flag_and_value),
		cmocka_unit_test(control_of_the_other_phase_is_einval),
		cmocka_unit_test(control_of_a_user_event_is_einval),
		cmocka_unit_test(control_without_the_feature_is_eopnotsupp),
		cmocka_unit_test(skip_without_the_skip_feature_is_eopnotsupp),
		cmocka_unit_test(control_outside_an_event_is_ebusy_or_enotconn),
		cmocka_unit_test(handler_error_drops_the_control),
		cmocka_unit_test(agent_takes_a_well_formed_record),
		cmocka_unit_test(agent_ignores_record_of_another_size),
		cmocka_unit_test(agent_ignores_unknown_flag),
		cmocka_unit_test(agent_ignores_seventh_argument),
		cmocka_unit_test(agent_ignores_return_at_entry),
		cmocka_unit_test(agent_ignores_skip_or_arguments_at_exit),
		cmocka_unit_test(agent_ignores_control_of_user_event),
		cmocka_unit_test(agent_without_feature_ignores_record),
		cmocka_unit_test(agent_without_skip_feature_ignores_skip),
	};

	return cmocka_run_group_tests(tests, 0, NULL);
}
