// SPDX-License-Identifier: MIT
/*
 * The kvm suite's processes and vCPUs, and hostile guests: each process
 * and vCPU seen with its own pid, argv, fds and region; a silent guest, an
 * oversize reply, a garbage response code, a region moved outside RAM.
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

static void two_processes_take_turns_with_their_own_pid_argv_fds(void **state)
{
	struct record r = { .body = record_body };
	unsigned int i, switches = 0;
	uint64_t alpha = 0, beta = 0;
	struct guest vm;

	(void)state;
	assert_int_equal(boot(&vm, &r, "scenario=two quiet", 1, 0), 0);
	assert_true(vm.all_done);
	assert_int_equal(vm.failed, 0);
	assert_true(r.nr_events > 10);
	for (i = 0; i < r.nr_events; i++) {
		struct seen *s = &r.events[i];

		/* argv and environment agree with each other... */
		assert_string_equal(s->argv1, s->role);
		/* ...and each pid keeps its own. */
		if (!strcmp(s->argv1, "alpha")) {
			if (!alpha)
				alpha = s->pid;
			assert_int_equal(s->pid, alpha);
		} else {
			assert_string_equal(s->argv1, "beta");
			if (!beta)
				beta = s->pid;
			assert_int_equal(s->pid, beta);
		}
		if (s->nr == TINY_SYS_WRITE && s->args[0] == 1)
			assert_string_equal(s->fd_name, "/dev/ttyS0");
		if (s->nr == TINY_SYS_OPEN)
			assert_string_equal(s->fd_name, "/etc/hostname");
		if (s->nr == TINY_SYS_SOCKET || (s->nr == TINY_SYS_WRITE &&
						 s->args[0] == 3))
			assert_memory_equal(s->fd_name, "socket:[", 8);
		if (s->nr == TINY_SYS_GETPID)
			assert_int_equal(s->ret, s->pid);
		if (i && s->pid != r.events[i - 1].pid)
			switches++;
	}
	assert_true(alpha && beta && alpha != beta);
	/* Three rounds each, yielding after every round. */
	assert_true(switches >= 5);
	finish(&vm);
}

static void two_vcpus_raise_events_through_their_own_regions(void **state)
{
	struct record r = { .body = record_body };
	uint64_t region[2] = { 0, 0 };
	unsigned int i, count[2] = { 0, 0 };
	struct guest vm;

	(void)state;
	assert_int_equal(boot(&vm, &r, "scenario=smp quiet", 2, 0), 0);
	assert_true(vm.all_done);
	assert_int_equal(vm.failed, 0);
	for (i = 0; i < r.nr_events; i++) {
		struct seen *s = &r.events[i];

		assert_true(s->vcpu < 2);
		count[s->vcpu]++;
		if (!region[s->vcpu])
			region[s->vcpu] = s->region_gpa;
		assert_int_equal(s->region_gpa, region[s->vcpu]);
		/* The smp scenario puts alpha on vCPU 0, beta on 1. */
		assert_string_equal(s->argv1, s->vcpu ? "beta" : "alpha");
	}
	assert_true(count[0] > 0 && count[1] > 0);
	assert_true(region[0] != region[1]);
	assert_int_equal(region[0] % 4096, 0);
	assert_int_equal(region[1] % 4096, 0);
	finish(&vm);
}

/* ---- hostile guests ---- */

/* Two ops whose replies carry a byte count (fd 1 always exists). */
static void first_op_body(struct record *r, struct hm_vcpu *vcpu,
			  const struct hm_event *ev)
{
	double t0;

	if (r->done++)
		return;
	(void)ev;
	t0 = now_ms();
	r->rets[0] = hm_vcpu_read_fd_name(vcpu, 1, r->strs[0], 64);
	r->ms[0] = now_ms() - t0;
	t0 = now_ms();
	r->rets[1] = hm_vcpu_read_fd_name(vcpu, 1, r->strs[1], 64);
	r->ms[1] = now_ms() - t0;
	hm_vcpu_get_stats(vcpu, &r->stats[0]);
}

/* The guest will never answer again: stop the VM once the ops gave up. */
static void silent_body(struct record *r, struct hm_vcpu *vcpu,
			const struct hm_event *ev)
{
	first_op_body(r, vcpu, ev);
	vmm_stop(r->vm);
}

static void silent_guest_op_times_out_and_vmm_stops(void **state)
{
	struct record r = { .body = silent_body };
	struct guest vm;
	double t0 = now_ms();

	(void)state;
	assert_int_equal(boot(&vm, &r, "scenario=ioctl quiet hostile=silent",
			      1, 300), 0);
	assert_int_equal(r.done, 1);
	assert_int_equal(r.rets[0], -ETIMEDOUT);
	assert_true(r.ms[0] >= 290 && r.ms[0] < 1000);
	/* The event is abandoned: later ops fail at once. */
	assert_int_equal(r.rets[1], -ETIMEDOUT);
	assert_true(r.ms[1] < 100);
	assert_true(r.stats[0].timeouts > 0);
	assert_false(vm.timed_out);
	assert_true(now_ms() - t0 < 5000);
	/* A stop from outside says where each vCPU was. */
	assert_int_equal(vm.res.reason, VMM_STOP_REQUESTED);
	assert_true(vm.res.cpus[0].has_pc);
	assert_true(vm.res.cpus[0].pc != 0);
	assert_true(vm.res.cpus[0].mp_state <= KVM_MP_STATE_HALTED);
	destroy(&vm);
}

static void hostile_test(const char *mode, struct record *r)
{
	char cmdline[128];
	struct guest vm;

	snprintf(cmdline, sizeof(cmdline), "scenario=ioctl quiet hostile=%s",
		 mode);
	r->body = first_op_body;
	assert_int_equal(boot(&vm, r, cmdline, 1, 300), 0);
	/* The host lived on, and so did the guest. */
	assert_false(vm.crashed);
	assert_true(vm.all_done);
	finish(&vm);
}

static void oversize_reply_fails_eproto(void **state)
{
	struct record r = { 0 };

	(void)state;
	hostile_test("oversize", &r);
	assert_true(r.done > 0);
	assert_int_equal(r.rets[0], -EPROTO);
	assert_true(r.stats[0].protocol_errors > 0);
}

static void garbage_response_code_fails_eproto(void **state)
{
	struct record r = { 0 };

	(void)state;
	hostile_test("badcode", &r);
	assert_true(r.done > 0);
	assert_int_equal(r.rets[0], -EPROTO);
	assert_true(r.stats[0].protocol_errors > 0);
}

static void reregister_outside_ram_fails_cleanly(void **state)
{
	struct record r = { 0 };

	(void)state;
	hostile_test("reregister", &r);
	assert_true(r.done > 0);
	assert_true(r.rets[0] < 0);
	assert_true(r.stats[0].protocol_errors > 0);
}

int run_process_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			two_processes_take_turns_with_their_own_pid_argv_fds),
		cmocka_unit_test(two_vcpus_raise_events_through_their_own_regions),
		cmocka_unit_test(silent_guest_op_times_out_and_vmm_stops),
		cmocka_unit_test(oversize_reply_fails_eproto),
		cmocka_unit_test(garbage_response_code_fails_eproto),
		cmocka_unit_test(reregister_outside_ram_fails_cleanly),
	};

	return cmocka_run_group_tests_name("process", tests, NULL, NULL);
}
