// SPDX-License-Identifier: MIT
/*
 * The kvm suite's event control (a changed count, a skipped call, a
 * replaced return), subscriptions and prefetch.
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

/* ---- event control: control_test, scenario "control" ---- */

/* How many of control_test's three controls the host applies, in order. */
static unsigned int controls;

static void control_body(struct record *r, struct hm_vcpu *vcpu,
			 const struct hm_event *ev)
{
	int enter = ev->kind == HM_EVENT_SYSCALL_ENTER;

	if (enter && ev->nr == TINY_SYS_WRITE &&
	    ev->args[2] == TINY_CONTROL_WRITE) {
		r->rets[0] = hm_vcpu_set_arg(vcpu, 2, TINY_CONTROL_CUT);
		hm_vcpu_get_proc_pid(vcpu, &r->values[0]);
	} else if (controls >= 2 && enter && ev->nr == TINY_SYS_WRITE &&
		 ev->args[2] == TINY_CONTROL_SKIP_WRITE)
		r->rets[1] = hm_vcpu_skip_syscall(vcpu, TINY_CONTROL_SKIPPED);
	else if (ev->kind == HM_EVENT_SYSCALL_EXIT &&
		 ev->nr == TINY_SYS_GETPID) {
		r->values[2] = ev->ret;
		if (controls >= 3)
			r->rets[2] = hm_vcpu_set_return(vcpu,
							TINY_CONTROL_PID);
	}
}

/* control_test's exit status, the host applying @n controls. */
static int run_control(struct guest *vm, struct record *r, unsigned int n)
{
	controls = n;
	r->body = control_body;
	r->rets[0] = r->rets[1] = r->rets[2] = -1;
	assert_int_equal(boot(vm, r, "scenario=control quiet", 1, 0), 0);
	assert_int_equal(r->rets[0], 0);
	assert_true(vm->all_done);
	return proc_status(vm, r->values[0]);
}

static void changed_write_count_is_what_the_guest_writes(void **state)
{
	struct record r = { 0 };
	struct guest vm;

	(void)state;
	/* Status 2: the count held; the second write was not skipped. */
	assert_int_equal(run_control(&vm, &r, 1), 2);
	assert_non_null(strstr(vm.console, "control: cut here\n"));
	assert_null(strstr(vm.console, "not this"));
	finish(&vm);
}

static void skipped_write_returns_the_value_and_writes_nothing(void **state)
{
	struct record r = { 0 };
	struct guest vm;

	(void)state;
	/* Status 3: the skip held, getpid() was left alone. */
	assert_int_equal(run_control(&vm, &r, 2), 3);
	assert_int_equal(r.rets[1], 0);
	assert_null(strstr(vm.console, "skipped write"));
	finish(&vm);
}

static void replaced_return_is_what_the_guest_gets(void **state)
{
	struct record r = { 0 };
	struct guest vm;

	(void)state;
	assert_int_equal(run_control(&vm, &r, 3), 0);
	assert_int_equal(r.rets[2], 0);
	assert_int_not_equal(r.values[2], TINY_CONTROL_PID);
	assert_non_null(strstr(vm.console, "control_test: PASS"));
	finish(&vm);
}

/* ---- subscriptions ---- */

#define COMM_WORKER_LO 0x72656b726f77ull	/* "worker", little-endian */

/*
 * sched_yield's return (which guest-tiny never raises by itself) from any
 * "worker", and write(1, ...) from pid 2 (beta: the second process).
 */
static const struct hm_sub_rule yields_and_beta_writes[] = {
	{ .kind = HM_EVENT_SYSCALL_EXIT, .nr = TINY_SYS_SCHED_YIELD,
	  .nr_conds = 1,
	  .conds = { { .field = HM_FIELD_COMM, .lo = COMM_WORKER_LO } } },
	{ .kind = HM_EVENT_SYSCALL_ENTER, .nr = TINY_SYS_WRITE,
	  .nr_conds = 2,
	  .conds = { { .field = HM_FIELD_ARG0, .lo = 1, .hi = 1 },
		     { .field = HM_FIELD_PID, .lo = 2, .hi = 2 } } },
};

static void subscribed_guest_raises_only_what_the_rules_match(void **state)
{
	struct record r = { .body = record_body };
	unsigned int i, yields = 0, writes = 0;
	struct guest vm;

	(void)state;
	boot_subscribed(&vm, &r, "scenario=two quiet", yields_and_beta_writes,
			ARRAY_SIZE(yields_and_beta_writes));
	for (i = 0; i < r.nr_events; i++) {
		struct seen *s = &r.events[i];

		/* Who raised it came with the event, and is right. */
		assert_int_equal(s->flags, HM_EVENT_HAS_TASK);
		assert_string_equal(s->comm, "worker");
		assert_int_equal(s->event_pid, s->pid);
		if (s->kind == HM_EVENT_SYSCALL_EXIT &&
		    s->nr == TINY_SYS_SCHED_YIELD) {
			yields++;
			continue;
		}
		assert_int_equal(s->kind, HM_EVENT_SYSCALL_ENTER);
		assert_int_equal(s->nr, TINY_SYS_WRITE);
		assert_int_equal(s->args[0], 1);
		assert_int_equal(s->pid, 2);
		assert_string_equal(s->argv1, "beta");
		writes++;
	}
	/* Three rounds each, a yield and a line to fd 1 in each. */
	assert_true(yields >= 6);
	assert_true(writes >= 3);
	finish(&vm);
}

/* The rules' verdicts on each event, on the host's side. */
static void matches_body(struct record *r, struct hm_vcpu *vcpu,
			 const struct hm_event *ev)
{
	int beta = hm_vcpu_event_matches(vcpu, ev,
					 &yields_and_beta_writes[1]);
	int comm = hm_vcpu_event_matches(vcpu, ev,
					 &yields_and_beta_writes[0]);
	uint64_t pid = 0;

	pthread_mutex_lock(&r->lock);
	if (ev->flags || ev->comm[0])
		r->ok[0]++;			/* no task may come */
	if (ev->kind == HM_EVENT_SYSCALL_EXIT &&
	    ev->nr == TINY_SYS_SCHED_YIELD)
		r->ok[1]++;			/* nor an unasked yield */
	if (beta < 0)
		r->ok[2]++;
	if (beta == 1 && (hm_vcpu_get_proc_pid(vcpu, &pid) || pid != 2))
		r->ok[3]++;
	if (beta == 1)
		r->ok[4]++;
	if (comm != 0)
		r->ok[5]++;			/* yields never match: 0 */
	r->nr_events++;
	pthread_mutex_unlock(&r->lock);
}

/*
 * A guest without HM_FEATURE_SUBSCRIBE raises what it always raised,
 * whatever the VM's subscription; the host checks rules itself, a pid by a
 * round trip.
 */
static void guest_without_the_feature_raises_as_before(void **state)
{
	struct record r = { .body = matches_body };
	struct hm_sub_rule comm_rule = yields_and_beta_writes[0];
	struct hm_event ev = { .kind = HM_EVENT_SYSCALL_EXIT,
			       .nr = TINY_SYS_SCHED_YIELD };
	struct guest vm;

	(void)state;
	boot_subscribed(&vm, &r, "scenario=two quiet nosubscribe",
			yields_and_beta_writes,
			ARRAY_SIZE(yields_and_beta_writes));
	assert_true(r.nr_events > 10);
	assert_int_equal(r.ok[0], 0);
	assert_int_equal(r.ok[1], 0);
	assert_int_equal(r.ok[2], 0);
	assert_int_equal(r.ok[3], 0);
	assert_true(r.ok[4] >= 3);
	assert_int_equal(r.ok[5], 0);
	/* A comm cannot be checked without the event's task. */
	assert_int_equal(hm_vcpu_event_matches(NULL, &ev, &comm_rule),
			 -EOPNOTSUPP);
	finish(&vm);
}

static const struct hm_sub_rule every_write[] = {
	{ .kind = HM_EVENT_SYSCALL_ENTER, .nr = TINY_SYS_WRITE },
};

/* The first write's handler unsubscribes from everything. */
static void unsubscribe_body(struct record *r, struct hm_vcpu *vcpu,
			     const struct hm_event *ev)
{
	(void)ev;
	pthread_mutex_lock(&r->lock);
	r->nr_events++;
	r->rets[0] = hm_vm_subscribe(hm_vcpu_get_vm(vcpu), NULL, 0, 0);
	pthread_mutex_unlock(&r->lock);
}

static void subscription_changed_in_a_handler_holds_at_once(void **state)
{
	struct record r = { .body = unsubscribe_body };
	struct guest vm;

	(void)state;
	boot_subscribed(&vm, &r, "scenario=two quiet", every_write,
			ARRAY_SIZE(every_write));
	assert_int_equal(r.rets[0], 0);
	assert_int_equal(r.nr_events, 1);
	finish(&vm);
}

/* ---- prefetch ---- */

/* Every write's entry; with @fetching, its buffer and fd name come along. */
static struct hm_sub_rule write_rule(int fetching)
{
	struct hm_sub_rule r = {
		.kind = HM_EVENT_SYSCALL_ENTER, .nr = TINY_SYS_WRITE,
	};

	if (fetching) {
		r.nr_fetches = 3;
		r.fetches[0] = (struct hm_sub_fetch){ .what = HM_FETCH_BUF,
			.arg = 1, .len_arg = 2, .cap = 4096 };
		r.fetches[1] = (struct hm_sub_fetch){
			.what = HM_FETCH_FD_NAME, .arg = 0 };
		r.fetches[2] = (struct hm_sub_fetch){
			.what = HM_FETCH_ARGV, .cap = 4096 };
	}
	return r;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		h = (h ^ *b++) * 0x100000001b3ull;
	return h;
}

/* What a tracing handler reads; a digest of every answer, round trips. */
static void fetch_body(struct record *r, struct hm_vcpu *vcpu,
		       const struct hm_event *ev)
{
	struct hm_stats a, b;
	char buf[512], name[64];
	size_t len = ev->args[2] < sizeof(buf) ? ev->args[2] : sizeof(buf);
	size_t argc = 0, i;
	char **argv = NULL;
	ssize_t n, m;
	int args_err;

	memset(buf, 0, sizeof(buf));
	memset(name, 0, sizeof(name));
	hm_vcpu_get_stats(vcpu, &a);
	n = hm_vcpu_read(vcpu, ev->args[1], buf, len);
	m = hm_vcpu_read_fd_name(vcpu, (int64_t)ev->args[0], name,
				 sizeof(name));
	args_err = hm_vcpu_get_proc_args(vcpu, &argv, &argc);
	hm_vcpu_get_stats(vcpu, &b);
	pthread_mutex_lock(&r->lock);
	r->nr_events++;
	r->values[0] = fnv(r->values[0], &n, sizeof(n));
	r->values[0] = fnv(r->values[0], buf, sizeof(buf));
	r->values[0] = fnv(r->values[0], &m, sizeof(m));
	r->values[0] = fnv(r->values[0], name, sizeof(name));
	r->values[0] = fnv(r->values[0], &args_err, sizeof(args_err));
	for (i = 0; !args_err && i < argc; i++)
		r->values[0] = fnv(r->values[0], argv[i], strlen(argv[i]) + 1);
	if (!args_err)
		free(argv);
	r->values[1] += b.round_trips - a.round_trips;
	pthread_mutex_unlock(&r->lock);
}

static void fetched_reads_equal_round_trips_without_one(void **state)
{
	struct hm_sub_rule rules[2] = { write_rule(0), write_rule(1) };
	struct record r[2] = { { .body = fetch_body },
			       { .body = fetch_body } };
	struct guest vm;
	int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		r[i].values[0] = 0xcbf29ce484222325ull;
		boot_subscribed(&vm, &r[i], "scenario=two quiet", &rules[i],
				1);
		finish(&vm);
	}
	assert_true(r[0].nr_events >= 6);
	assert_int_equal(r[1].nr_events, r[0].nr_events);
	assert_int_equal(r[1].values[0], r[0].values[0]);
	assert_int_equal(r[0].values[1], 3 * r[0].nr_events);
	assert_int_equal(r[1].values[1], 0);
}

int run_event_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(changed_write_count_is_what_the_guest_writes),
		cmocka_unit_test(
			skipped_write_returns_the_value_and_writes_nothing),
		cmocka_unit_test(replaced_return_is_what_the_guest_gets),
		cmocka_unit_test(subscribed_guest_raises_only_what_the_rules_match),
		cmocka_unit_test(guest_without_the_feature_raises_as_before),
		cmocka_unit_test(subscription_changed_in_a_handler_holds_at_once),
		cmocka_unit_test(fetched_reads_equal_round_trips_without_one),
	};

	return cmocka_run_group_tests_name("event", tests, NULL, NULL);
}
