// SPDX-License-Identifier: MIT
/*
 * Subscriptions (HM_FEATURE_SUBSCRIBE): the rules the library takes, how it
 * matches an event against one, the page a guest offers and what the agent
 * makes of the table there, well formed or not.
 */
#include <errno.h>
#include <string.h>

#include "unit.h"

#define NR_WRITE 1
#define NR_IOCTL 16
#define COMM_LO(a, b, c, d, e, f, g, h) \
	((uint64_t)(a) | (uint64_t)(b) << 8 | (uint64_t)(c) << 16 | \
	 (uint64_t)(d) << 24 | (uint64_t)(e) << 32 | (uint64_t)(f) << 40 | \
	 (uint64_t)(g) << 48 | (uint64_t)(h) << 56)

static const struct hm_sub_rule write_fd3 = {
	.kind = HM_EVENT_SYSCALL_ENTER, .nr = NR_WRITE, .nr_conds = 1,
	.conds = { { .field = HM_FIELD_ARG0, .lo = 3, .hi = 3 } },
};

/* ---- the rules the library takes ---- */

static void malformed_rules_are_einval(void **state)
{
	struct hm_vm *vm;
	struct hm_sub_rule r;
	unsigned int i;
	static const struct {
		uint32_t kind;
		uint8_t flags, nr_conds, field, cond_flags;
		uint64_t lo, hi;
	} bad[] = {
		{ 0, 0, 0, 0, 0, 0, 0 },		/* no kind */
		{ 5, 0, 0, 0, 0, 0, 0 },		/* unknown kind */
		{ 4, 0, 1, HM_FIELD_RET, 0, 0, 0 },	/* ret of a process */
		{ 1, 2, 0, 0, 0, 0, 0 },		/* unknown rule flag */
		{ 1, 0, 5, 0, 0, 0, 0 },		/* five conditions */
		{ 1, 0, 1, 9, 0, 0, 0 },		/* unknown field */
		{ 1, 0, 1, 0, 2, 0, 0 },		/* unknown cond flag */
		{ 1, 0, 1, HM_FIELD_RET, 0, 0, 0 },	/* ret at entry */
		{ 3, 0, 1, HM_FIELD_RET, 0, 0, 0 },	/* ret of a user event */
		{ 1, 0, 1, 0, 0, 5, 4 },		/* lo > hi */
		{ 1, 0, 1, 0, HM_COND_SIGNED, (uint64_t)-1, (uint64_t)-2 },
		{ 1, 0, 1, HM_FIELD_COMM, HM_COND_SIGNED, 0, 0 },
	};

	(void)state;
	assert_int_equal(hm_vm_new(&vm), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&r, 0, sizeof(r));
		r.kind = bad[i].kind;
		r.flags = bad[i].flags;
		r.nr_conds = bad[i].nr_conds;
		r.conds[0].field = bad[i].field;
		r.conds[0].flags = bad[i].cond_flags;
		r.conds[0].lo = bad[i].lo;
		r.conds[0].hi = bad[i].hi;
		assert_int_equal(hm_vm_subscribe(vm, &r, 1, 0), -EINVAL);
	}
	r = write_fd3;
	r.conds[0].reserved = 1;
	assert_int_equal(hm_vm_subscribe(vm, &r, 1, 0), -EINVAL);
	assert_int_equal(hm_vm_subscribe(vm, &write_fd3, 1, 4), -EINVAL);
	/* Fetches: each kind's own arguments, a cap where one is needed. */
	{
		static const struct hm_sub_fetch bad_fetches[] = {
			{ .what = 9, .cap = 8 },
			{ .what = HM_FETCH_STR, .arg = 6, .cap = 8 },
			{ .what = HM_FETCH_STR },
			{ .what = HM_FETCH_BUF, .len_arg = 7, .cap = 8 },
			{ .what = HM_FETCH_FD_NAME, .cap = 8 },
			{ .what = HM_FETCH_ARGV, .arg = 1, .cap = 8 },
			{ .what = HM_FETCH_BUF, .cap = HM_FETCH_MAX_CAP + 1 },
			{ .what = HM_FETCH_BUF, .reserved = 1, .cap = 8 },
		};

		for (i = 0; i < sizeof(bad_fetches) / sizeof(bad_fetches[0]);
		     i++) {
			r = write_fd3;
			r.nr_fetches = 1;
			r.fetches[0] = bad_fetches[i];
			assert_int_equal(hm_vm_subscribe(vm, &r, 1, 0),
					 -EINVAL);
		}
		r = write_fd3;
		r.nr_fetches = HM_SUB_MAX_FETCHES + 1;
		assert_int_equal(hm_vm_subscribe(vm, &r, 1, 0), -EINVAL);
		r.nr_fetches = 1;
		r.fetches[0] = (struct hm_sub_fetch){ .what = HM_FETCH_ARGV,
						      .cap = 4096 };
		assert_int_equal(hm_vm_subscribe(vm, &r, 1, 0), 0);
		/* A process event's args are no addresses: argv alone. */
		r.kind = HM_EVENT_PROCESS;
		r.nr = HM_PROC_EXEC;
		assert_int_equal(hm_vm_subscribe(vm, &r, 1, 0), 0);
		r.fetches[0] = (struct hm_sub_fetch){ .what = HM_FETCH_STR,
						      .cap = 64 };
		assert_int_equal(hm_vm_subscribe(vm, &r, 1, 0), -EINVAL);
	}
	assert_int_equal(hm_vm_subscribe(vm, NULL, 1, 0), -EINVAL);
	/* Signed ranges, a user event's arguments, nothing at all: fine. */
	r = write_fd3;
	r.conds[0].flags = HM_COND_SIGNED;
	r.conds[0].lo = (uint64_t)-100;
	assert_int_equal(hm_vm_subscribe(vm, &r, 1, 0), 0);
	r.kind = HM_EVENT_USER;
	assert_int_equal(hm_vm_subscribe(vm, &r, 1, 0), 0);
	assert_int_equal(hm_vm_subscribe(vm, NULL, 0, HM_SUB_ALL), 0);
	hm_vm_unsubscribe(vm);
	hm_vm_free(vm);
}

/* ---- matching on the host ---- */

static void matches_every_condition_as_the_guest_does(void **state)
{
	struct hm_event ev = {
		.kind = HM_EVENT_SYSCALL_EXIT, .nr = NR_IOCTL,
		.args = { 3, 0x89f0, 0x7ffc0000 }, .ret = (uint64_t)-22,
		.flags = HM_EVENT_HAS_TASK, .pid = 77, .comm = "worker",
	};
	struct hm_sub_rule r = {
		.kind = HM_EVENT_SYSCALL_EXIT, .nr = NR_IOCTL, .nr_conds = 4,
		.conds = {
			{ .field = HM_FIELD_ARG0 + 1, .lo = 0x89f0,
			  .hi = 0x89f0 },
			{ .field = HM_FIELD_RET, .flags = HM_COND_SIGNED,
			  .lo = (uint64_t)-4095, .hi = (uint64_t)-1 },
			{ .field = HM_FIELD_PID, .lo = 70, .hi = 80 },
			{ .field = HM_FIELD_COMM,
			  .lo = COMM_LO('w', 'o', 'r', 'k', 'e', 'r', 0, 0) },
		},
	};

	(void)state;
	assert_int_equal(hm_vcpu_event_matches(NULL, &ev, &r), 1);
	/* Each condition can fail it alone. */
	ev.args[1] = 0x89f1;
	assert_int_equal(hm_vcpu_event_matches(NULL, &ev, &r), 0);
	ev.args[1] = 0x89f0;
	ev.ret = 0;
	assert_int_equal(hm_vcpu_event_matches(NULL, &ev, &r), 0);
	ev.ret = (uint64_t)-22;
	ev.pid = 81;
	assert_int_equal(hm_vcpu_event_matches(NULL, &ev, &r), 0);
	ev.pid = 77;
	/* A comm is the whole name, not a prefix. */
	strcpy(ev.comm, "worker2");
	assert_int_equal(hm_vcpu_event_matches(NULL, &ev, &r), 0);
	strcpy(ev.comm, "worker");
	/* Unsigned: -22 is above every small bound. */
	r.conds[1].flags = 0;
	r.conds[1].lo = 0;
	r.conds[1].hi = 4095;
	assert_int_equal(hm_vcpu_event_matches(NULL, &ev, &r), 0);
	r.conds[1].hi = UINT64_MAX;
	assert_int_equal(hm_vcpu_event_matches(NULL, &ev, &r), 1);
	/* Another kind or number; any number. */
	ev.kind = HM_EVENT_SYSCALL_ENTER;
	assert_int_equal(hm_vcpu_event_matches(NULL, &ev, &r), 0);
	r.kind = HM_EVENT_SYSCALL_ENTER;
	/* A malformed rule: a return value at entry. */
	assert_int_equal(hm_vcpu_event_matches(NULL, &ev, &r), -EINVAL);
	r.nr_conds = 1;
	assert_int_equal(hm_vcpu_event_matches(NULL, &ev, &r), 1);
	ev.nr = NR_WRITE;
	assert_int_equal(hm_vcpu_event_matches(NULL, &ev, &r), 0);
	r.flags = HM_RULE_ANY_NR;
	assert_int_equal(hm_vcpu_event_matches(NULL, &ev, &r), 1);
	/* Without the task a comm cannot be known. */
	r.nr_conds = 4;
	r.conds[1] = r.conds[3];
	r.conds[2] = r.conds[3];
	ev.flags = 0;
	assert_int_equal(hm_vcpu_event_matches(NULL, &ev, &r), -EOPNOTSUPP);
}

/*
 * A guest whose events do not say their task, and a handler that turned
 * to another process: a pid condition is still the event's task's.
 */
static struct fake_process other_process = { .pid = 99 };

static void guest_with_another_process(struct fake_guest *g)
{
	g->agent.features |= HM_FEATURE_PID_ACCESS;
	g->other = &other_process;
	guest_one_event(g);
}

static void pid_condition_after_use_process(struct unit *u,
					    const struct hm_event *ev)
{
	struct hm_sub_rule r = {
		.kind = HM_EVENT_SYSCALL_ENTER, .nr = NR_IOCTL, .nr_conds = 1,
		.conds = { { .field = HM_FIELD_PID, .lo = PID, .hi = PID } },
	};
	uint64_t pid;

	assert_int_equal(ev->flags & HM_EVENT_HAS_TASK, 0);
	assert_int_equal(hm_vcpu_use_process(u->vcpu, other_process.pid), 0);
	assert_int_equal(hm_vcpu_get_proc_pid(u->vcpu, &pid), 0);
	assert_int_equal(pid, other_process.pid);
	assert_int_equal(hm_vcpu_event_matches(u->vcpu, ev, &r), 1);
	r.conds[0].lo = r.conds[0].hi = other_process.pid;
	assert_int_equal(hm_vcpu_event_matches(u->vcpu, ev, &r), 0);
	/* Back on the event's task: the same answers. */
	assert_int_equal(hm_vcpu_use_process(u->vcpu, 0), 0);
	assert_int_equal(hm_vcpu_event_matches(u->vcpu, ev, &r), 0);
	r.conds[0].lo = r.conds[0].hi = PID;
	assert_int_equal(hm_vcpu_event_matches(u->vcpu, ev, &r), 1);
}

static void pid_condition_is_the_event_tasks_after_use_process(void **state)
{
	struct unit *u = unit_new(guest_with_another_process);

	(void)state;
	assert_int_equal(unit_run(u, pid_condition_after_use_process), 0);
	assert_int_equal(u->events, 1);
	unit_free(u);
}

/* ---- the agent's reading of a table ---- */

static struct hm_sub_page page;
static struct hm_agent agent;

static long comm_worker(void *ctx, char comm[HM_COMM_LEN])
{
	(void)ctx;
	memset(comm, 0, HM_COMM_LEN);
	strcpy(comm, "worker");
	return 0;
}

static long pid_77(void *ctx, uint64_t *pid)
{
	(void)ctx;
	*pid = 77;
	return 0;
}

static const struct hm_agent_ops table_ops = {
	.pid = pid_77,
	.comm = comm_worker,
};

static enum hm_want wants(uint32_t kind, uint64_t nr, uint64_t a0)
{
	struct hm_event_record ev = { .kind = kind, .nr = nr,
				      .args = { a0 } };

	return hm_agent_wants(&agent, &ev);
}

/* One rule, in the wire's byte order (little-endian here). */
static void table(uint32_t flags, uint32_t n, const struct hm_sub_rule *r)
{
	memset(&page, 0, sizeof(page));
	page.header.magic = HM_SUB_MAGIC;
	page.header.seq = 2;
	page.header.flags = flags;
	page.header.nr_rules = n;
	if (r)
		page.rules[0] = *r;
	agent = (struct hm_agent){ .ops = &table_ops, .sub = &page,
				   .sub_taken = 1 };
}

static void agent_follows_a_well_formed_table(void **state)
{
	struct hm_sub_rule r = write_fd3;

	(void)state;
	table(HM_SUB_ACTIVE, 1, &r);
	assert_int_equal(wants(HM_EVENT_SYSCALL_ENTER, NR_WRITE, 3),
			 HM_WANT_YES);
	assert_int_equal(wants(HM_EVENT_SYSCALL_ENTER, NR_WRITE, 4),
			 HM_WANT_NO);
	assert_int_equal(wants(HM_EVENT_SYSCALL_EXIT, NR_WRITE, 3),
			 HM_WANT_NO);
	assert_int_equal(wants(HM_EVENT_USER, NR_WRITE, 3), HM_WANT_NO);
	/* pid and comm through the OS's accessors. */
	r.nr_conds = 2;
	r.conds[1] = (struct hm_sub_cond){ .field = HM_FIELD_COMM,
		.lo = COMM_LO('w', 'o', 'r', 'k', 'e', 'r', 0, 0) };
	table(HM_SUB_ACTIVE, 1, &r);
	assert_int_equal(wants(HM_EVENT_SYSCALL_ENTER, NR_WRITE, 3),
			 HM_WANT_YES);
	r.conds[1] = (struct hm_sub_cond){ .field = HM_FIELD_PID,
					   .lo = 78, .hi = 99 };
	table(HM_SUB_ACTIVE, 1, &r);
	assert_int_equal(wants(HM_EVENT_SYSCALL_ENTER, NR_WRITE, 3),
			 HM_WANT_NO);
	/* No rules: nothing; HM_SUB_ALL: everything. */
	table(HM_SUB_ACTIVE, 0, NULL);
	assert_int_equal(wants(HM_EVENT_USER, 1, 0), HM_WANT_NO);
	table(HM_SUB_ACTIVE | HM_SUB_ALL, 0, NULL);
	assert_int_equal(wants(HM_EVENT_USER, 1, 0), HM_WANT_YES);
	/* Not active, no magic, no page taken: the guest chooses. */
	table(0, 1, &write_fd3);
	assert_int_equal(wants(HM_EVENT_SYSCALL_ENTER, NR_WRITE, 4),
			 HM_WANT_GUEST);
	table(HM_SUB_ACTIVE, 1, &write_fd3);
	page.header.magic = 0;
	assert_int_equal(wants(HM_EVENT_SYSCALL_ENTER, NR_WRITE, 4),
			 HM_WANT_GUEST);
	table(HM_SUB_ACTIVE, 1, &write_fd3);
	agent.sub_taken = 0;
	assert_int_equal(wants(HM_EVENT_SYSCALL_ENTER, NR_WRITE, 4),
			 HM_WANT_GUEST);
}

/* What the agent cannot read makes it raise: the host drops the rest. */
static void agent_raises_everything_on_a_table_it_cannot_read(void **state)
{
	struct hm_sub_rule r;

	(void)state;
	table(HM_SUB_ACTIVE, HM_SUB_MAX_RULES + 1, &write_fd3);
	assert_int_equal(wants(HM_EVENT_USER, 9, 0), HM_WANT_YES);
	table(HM_SUB_ACTIVE | 0x80, 1, &write_fd3);
	assert_int_equal(wants(HM_EVENT_USER, 9, 0), HM_WANT_YES);
	table(HM_SUB_ACTIVE, 1, &write_fd3);
	page.header.seq = 3;		/* a rewrite that never ends */
	assert_int_equal(wants(HM_EVENT_SYSCALL_ENTER, NR_WRITE, 4),
			 HM_WANT_YES);
	r = write_fd3;
	r.nr_conds = 200;
	table(HM_SUB_ACTIVE, 1, &r);
	assert_int_equal(wants(HM_EVENT_SYSCALL_ENTER, NR_WRITE, 4),
			 HM_WANT_YES);
	r = write_fd3;
	r.flags = 0x40;
	table(HM_SUB_ACTIVE, 1, &r);
	assert_int_equal(wants(HM_EVENT_SYSCALL_ENTER, NR_WRITE, 4),
			 HM_WANT_YES);
	r = write_fd3;
	r.conds[0].field = 200;
	table(HM_SUB_ACTIVE, 1, &r);
	assert_int_equal(wants(HM_EVENT_SYSCALL_ENTER, NR_WRITE, 4),
			 HM_WANT_YES);
	r.conds[0].field = HM_FIELD_RET;	/* no return value at entry */
	table(HM_SUB_ACTIVE, 1, &r);
	assert_int_equal(wants(HM_EVENT_SYSCALL_ENTER, NR_WRITE, 4),
			 HM_WANT_YES);
	/* A condition that fails decides even beside an unreadable one. */
	r = write_fd3;
	r.nr_conds = 2;
	r.conds[1].field = 200;
	table(HM_SUB_ACTIVE, 1, &r);
	assert_int_equal(wants(HM_EVENT_SYSCALL_ENTER, NR_WRITE, 4),
			 HM_WANT_NO);
}

/* ---- whether a table could want any syscall event at all ---- */

static enum hm_want wants_syscalls(void)
{
	uint32_t seq;

	return hm_agent_wants_syscalls(&agent, &seq);
}

static void syscall_rules_alone_want_syscalls(void **state)
{
	struct hm_sub_rule r = write_fd3;

	(void)state;
	table(HM_SUB_ACTIVE, 1, &r);
	assert_int_equal(wants_syscalls(), HM_WANT_YES);
	r.kind = HM_EVENT_SYSCALL_EXIT;
	table(HM_SUB_ACTIVE, 1, &r);
	assert_int_equal(wants_syscalls(), HM_WANT_YES);
	r.kind = HM_EVENT_PROCESS;
	r.nr_conds = 0;
	table(HM_SUB_ACTIVE, 1, &r);
	assert_int_equal(wants_syscalls(), HM_WANT_NO);
	r.kind = HM_EVENT_USER;
	r.flags = HM_RULE_ANY_NR;
	table(HM_SUB_ACTIVE, 1, &r);
	assert_int_equal(wants_syscalls(), HM_WANT_NO);
	table(HM_SUB_ACTIVE, 0, NULL);
	assert_int_equal(wants_syscalls(), HM_WANT_NO);
	table(HM_SUB_ACTIVE | HM_SUB_ALL, 0, NULL);
	assert_int_equal(wants_syscalls(), HM_WANT_YES);
	/* No choice made: the guest's. */
	table(0, 1, &write_fd3);
	assert_int_equal(wants_syscalls(), HM_WANT_GUEST);
	table(HM_SUB_ACTIVE, 1, &write_fd3);
	agent.sub_taken = 0;
	assert_int_equal(wants_syscalls(), HM_WANT_GUEST);
}

/* Where hm_agent_wants() would raise a syscall event, so is it wanted. */
static void unreadable_tables_want_syscalls(void **state)
{
	struct hm_sub_rule r = { .kind = HM_EVENT_PROCESS, .flags = 0x40 };
	uint32_t seq;

	(void)state;
	table(HM_SUB_ACTIVE, 1, &r);
	assert_int_equal(wants(HM_EVENT_SYSCALL_ENTER, 9, 0), HM_WANT_YES);
	assert_int_equal(wants_syscalls(), HM_WANT_YES);
	r.flags = 0;
	r.nr_conds = HM_SUB_MAX_CONDS + 1;
	table(HM_SUB_ACTIVE, 1, &r);
	assert_int_equal(wants_syscalls(), HM_WANT_YES);
	table(HM_SUB_ACTIVE, HM_SUB_MAX_RULES + 1, NULL);
	assert_int_equal(wants_syscalls(), HM_WANT_YES);
	table(HM_SUB_ACTIVE | 0x80, 0, NULL);
	assert_int_equal(wants_syscalls(), HM_WANT_YES);
	/* A rewrite that never ends: yes, and a seq no table will have. */
	table(HM_SUB_ACTIVE, 0, NULL);
	page.header.seq = 7;
	assert_int_equal(hm_agent_wants_syscalls(&agent, &seq), HM_WANT_YES);
	assert_true(seq & 1);
	page.header.seq = 8;
	assert_int_equal(hm_agent_wants_syscalls(&agent, &seq), HM_WANT_NO);
	assert_int_equal(seq, 8);
	assert_int_equal(hm_agent_sub_seq(&agent), 8);
}

/* ---- a guest that offers its page, in the fake VM ---- */

static struct {
	int taken;
	uint64_t op_after[4];
	enum hm_want want[4];
	uint32_t seq[4];
} guest;

static enum hm_want wants_of(struct fake_guest *g, uint32_t kind, uint64_t nr,
			     uint64_t a0)
{
	struct hm_event_record ev = { .kind = kind, .nr = nr,
				      .args = { a0 } };

	return hm_agent_wants(&g->agent, &ev);
}

static void guest_subscribed(struct fake_guest *g)
{
	fake_guest_offer_sub(g);
	fake_guest_register(g);
	guest.taken = g->agent.sub_taken;
	guest.want[0] = wants_of(g, HM_EVENT_SYSCALL_ENTER, NR_WRITE, 3);
	guest.want[1] = wants_of(g, HM_EVENT_SYSCALL_ENTER, NR_WRITE, 4);
	if (guest.want[0] == HM_WANT_YES)
		fake_guest_raise(g, HM_EVENT_SYSCALL_ENTER, NR_WRITE, 3, 0, 0);
}

static void pid_without_round_trip(struct unit *u, const struct hm_event *ev)
{
	struct hm_stats before, after;
	uint64_t pid = 0;

	assert_int_equal(ev->flags, HM_EVENT_HAS_TASK);
	hm_vcpu_get_stats(u->vcpu, &before);
	assert_int_equal(hm_vcpu_get_proc_pid(u->vcpu, &pid), 0);
	hm_vcpu_get_stats(u->vcpu, &after);
	assert_int_equal(pid, PID);
	assert_int_equal(after.round_trips, before.round_trips);
}

static void guest_gets_the_table_and_raises_what_it_wants(void **state)
{
	struct unit *u = unit_new(guest_subscribed);

	(void)state;
	memset(&guest, 0, sizeof(guest));
	u->proc.comm = "worker";
	assert_int_equal(hm_vm_subscribe(u->vm, &write_fd3, 1, 0), 0);
	assert_int_equal(unit_run(u, pid_without_round_trip), 0);
	assert_true(guest.taken);
	assert_int_equal(guest.want[0], HM_WANT_YES);
	assert_int_equal(guest.want[1], HM_WANT_NO);
	assert_int_equal(u->events, 1);
	assert_int_equal(u->event.pid, PID);
	assert_string_equal(u->event.comm, "worker");
	unit_free(u);
}

static uint32_t seq_of(struct fake_guest *g)
{
	return hm_le32(__atomic_load_n(&g->agent.sub->header.seq,
				       __ATOMIC_ACQUIRE));
}

/*
 * The page is taken after a subscription, then the table changes twice: a
 * guest that read the count before a rewrite and again after it must see
 * it grow, or it would take a torn table for a whole one.
 */
static void guest_takes_a_page_then_the_table_changes(struct fake_guest *g)
{
	struct unit *u = g->opaque;

	fake_guest_offer_sub(g);
	fake_guest_register(g);
	guest.taken = g->agent.sub_taken;
	guest.seq[0] = seq_of(g);
	assert_int_equal(hm_vm_subscribe(u->vm, &write_fd3, 1, 0), 0);
	guest.seq[1] = seq_of(g);
	hm_vm_unsubscribe(u->vm);
	guest.seq[2] = seq_of(g);
}

static void page_sequence_count_only_grows(void **state)
{
	struct unit *u = unit_new(guest_takes_a_page_then_the_table_changes);
	unsigned int i;

	(void)state;
	memset(&guest, 0, sizeof(guest));
	assert_int_equal(hm_vm_subscribe(u->vm, &write_fd3, 1, 0), 0);
	assert_int_equal(unit_run(u, NULL), 0);
	assert_true(guest.taken);
	for (i = 0; i < 3; i++)
		assert_int_equal(guest.seq[i] % 2, 0);
	assert_in_range(guest.seq[1], guest.seq[0] + 1, UINT32_MAX);
	assert_in_range(guest.seq[2], guest.seq[1] + 1, UINT32_MAX);
	unit_free(u);
}

/* Before any subscription, and after hm_vm_unsubscribe(): the guest's. */
static void guest_unsubscribed(struct fake_guest *g)
{
	struct unit *u = g->opaque;

	fake_guest_offer_sub(g);
	fake_guest_register(g);
	guest.want[0] = wants_of(g, HM_EVENT_SYSCALL_ENTER, NR_WRITE, 3);
	assert_int_equal(hm_vm_subscribe(u->vm, NULL, 0, 0), 0);
	guest.want[1] = wants_of(g, HM_EVENT_SYSCALL_ENTER, NR_WRITE, 3);
	hm_vm_unsubscribe(u->vm);
	guest.want[2] = wants_of(g, HM_EVENT_SYSCALL_ENTER, NR_WRITE, 3);
}

static void no_subscription_leaves_the_guest_to_choose(void **state)
{
	struct unit *u = unit_new(guest_unsubscribed);

	(void)state;
	memset(&guest, 0, sizeof(guest));
	assert_int_equal(unit_run(u, NULL), 0);
	assert_int_equal(guest.want[0], HM_WANT_GUEST);
	assert_int_equal(guest.want[1], HM_WANT_NO);
	assert_int_equal(guest.want[2], HM_WANT_GUEST);
	unit_free(u);
}

static void offer(struct fake_guest *g, uint64_t gpa, uint64_t size, int i)
{
	struct hm_region *r = g->agent.region;

	r->addr = hm_le64(gpa);
	r->size = hm_le64(size);
	r->op = hm_le64(HM_OP_SUBSCRIBE);
	fake_guest_ring(g, HM_CALL_SUBSCRIBE, FAKE_REGION_GPA);
	guest.op_after[i] = hm_le64(r->op);
}

static void guest_offers_bad_pages(struct fake_guest *g)
{
	fake_guest_offer_sub(g);
	fake_guest_register(g);
	guest.taken = g->agent.sub_taken;
	offer(g, FAKE_REGION_GPA, 0, 0);	/* its own region */
	offer(g, FAKE_SUB_GPA + 8, 0, 1);	/* not page aligned */
	offer(g, 1ull << 40, 0, 2);		/* outside RAM */
	offer(g, FAKE_SUB_GPA, 8, 3);		/* a size */
}

static void bad_pages_are_refused(void **state)
{
	struct unit *u = unit_new(guest_offers_bad_pages);
	unsigned int i;

	(void)state;
	memset(&guest, 0, sizeof(guest));
	assert_int_equal(unit_run(u, NULL), -EPROTO);
	assert_true(guest.taken);
	for (i = 0; i < 4; i++)
		assert_int_equal(guest.op_after[i], HM_OP_SUBSCRIBE);
	assert_int_equal(u->g->handle_errors, 4);
	unit_free(u);
}

/* A guest that did not negotiate the feature offers a page anyway. */
static void guest_offers_without_the_feature(struct fake_guest *g)
{
	fake_guest_register(g);
	offer(g, FAKE_SUB_GPA, 0, 0);
}

static void subscribe_call_without_the_feature_is_eproto(void **state)
{
	struct unit *u = unit_new(guest_offers_without_the_feature);

	(void)state;
	memset(&guest, 0, sizeof(guest));
	assert_int_equal(unit_run(u, NULL), -EPROTO);
	assert_int_equal(guest.op_after[0], HM_OP_SUBSCRIBE);
	unit_free(u);
}

/* With the feature an event is its record and its task, nothing else. */
static void guest_event_without_task(struct fake_guest *g)
{
	struct hm_region *r = g->agent.region;
	struct hm_event_record rec = { .kind = HM_EVENT_USER, .nr = 1 };

	fake_guest_offer_sub(g);
	fake_guest_register(g);
	memcpy(r->data, &rec, sizeof(rec));
	r->size = hm_le64(sizeof(rec));
	r->op = hm_le64(HM_OP_EVENT);
	fake_guest_ring(g, HM_CALL_EVENT, FAKE_REGION_GPA);
	guest.op_after[0] = hm_le64(r->op);
	/* A pid no READ_PROCPID could give. */
	g->current->pid = 1ull << 40;
	fake_guest_raise(g, HM_EVENT_USER, 1, 0, 0, 0);
	guest.op_after[1] = hm_le64(r->op);
}

static void event_of_the_wrong_size_or_pid_is_eproto(void **state)
{
	struct unit *u = unit_new(guest_event_without_task);

	(void)state;
	memset(&guest, 0, sizeof(guest));
	assert_int_equal(unit_run(u, NULL), -EPROTO);
	assert_int_equal(u->events, 0);
	assert_int_equal(u->g->handle_errors, 2);
	/* Either way the event ends, so the guest goes on. */
	assert_int_equal(guest.op_after[0], HM_OP_NONE);
	assert_int_equal(guest.op_after[1], HM_OP_NONE);
	unit_free(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(malformed_rules_are_einval),
		cmocka_unit_test(matches_every_condition_as_the_guest_does),
		cmocka_unit_test(
			pid_condition_is_the_event_tasks_after_use_process),
		cmocka_unit_test(agent_follows_a_well_formed_table),
		cmocka_unit_test(
			agent_raises_everything_on_a_table_it_cannot_read),
		cmocka_unit_test(
			guest_gets_the_table_and_raises_what_it_wants),
		cmocka_unit_test(page_sequence_count_only_grows),
		cmocka_unit_test(syscall_rules_alone_want_syscalls),
		cmocka_unit_test(unreadable_tables_want_syscalls),
		cmocka_unit_test(no_subscription_leaves_the_guest_to_choose),
		cmocka_unit_test(bad_pages_are_refused),
		cmocka_unit_test(subscribe_call_without_the_feature_is_eproto),
		cmocka_unit_test(event_of_the_wrong_size_or_pid_is_eproto),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
