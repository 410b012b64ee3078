// SPDX-License-Identifier: MIT
/*
 * What only the x86 doorbells have: a port that can be read as well as
 * written, and VMCALL, whose exit carries the GPA and takes the result.
 * (The page walker: test_walk.c.)
 */
#include <errno.h>
#include <string.h>

#include "unit.h"

static void never(struct unit *u, const struct hm_event *ev)
{
	(void)u;
	(void)ev;
	fail_msg("no event may reach the handler");
}

/* An IN of @size bytes from the doorbell port, then halt. */
static void port_in(struct fake_guest *g, uint8_t size)
{
	struct kvm_run *run = g->run;

	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = KVM_EXIT_IO_IN;
	run->io.size = size;
	run->io.port = HM_X86_PORT;
	run->io.count = 1;
	run->io.data_offset = 4096;
	memset((uint8_t *)run + 4096, 0, 4);
	sem_post(&g->exited);
	while (sem_wait(&g->resume))
		;
}

static void guest_port_in_2(struct fake_guest *g)
{
	port_in(g, 2);
}

static void port_in_on_doorbell_reads_all_ones(void **state)
{
	struct unit *u = unit_new(guest_port_in_2);

	(void)state;
	assert_int_equal(unit_run(u, never), -EPROTO);
	assert_memory_equal((uint8_t *)u->g->run + 4096, "\xff\xff\0\0", 4);
	unit_free(u);
}

static void guest_port_in_4(struct fake_guest *g)
{
	fake_guest_register(g);
	port_in(g, 4);
}

/* An IN as wide as a call is no call: the direction alone decides. */
static void four_byte_port_in_is_eproto_not_a_call(void **state)
{
	struct unit *u = unit_new(guest_port_in_4);
	struct hm_guest_info info;

	(void)state;
	assert_int_equal(unit_run(u, never), -EPROTO);
	assert_int_equal(u->g->handle_errors, 1);
	assert_memory_equal((uint8_t *)u->g->run + 4096, "\xff\xff\xff\xff",
			    4);
	/* Not taken as a registration either: the region stays. */
	assert_int_equal(hm_vcpu_get_guest_info(u->vcpu, &info), 0);
	unit_free(u);
}

static void guest_vmcall(struct fake_guest *g)
{
	g->transport = FAKE_VMCALL;
	guest_one_event(g);
}

static void vmcall_read(struct unit *u, const struct hm_event *ev)
{
	uint32_t v;

	(void)ev;
	assert_int_equal(hm_vcpu_read_u32(u->vcpu, VA_BUF, &v), 0);
	assert_int_equal(v, fake_pattern(VA_BUF) |
			 fake_pattern(VA_BUF + 1) << 8 |
			 fake_pattern(VA_BUF + 2) << 16 |
			 (uint32_t)fake_pattern(VA_BUF + 3) << 24);
	assert_int_equal(u->g->run->hypercall.ret, 0);
}

static void vmcall_transport_serves_requests(void **state)
{
	struct unit *u = unit_new(guest_vmcall);

	(void)state;
	assert_int_equal(unit_run(u, vmcall_read), 0);
	assert_int_equal(u->events, 1);
	/* The GPA came with the exit: no register reads. */
	assert_int_equal(u->g->regs.reads, 0);
	unit_free(u);
}

/* RAX as the event's VMCALL returned it, when the guest served a request. */
static uint64_t event_rax;
static unsigned int replies;

static void note_event_rax(struct fake_guest *g)
{
	/* Before the first reply the event's VMCALL is the last exit. */
	if (!replies++)
		event_rax = g->run->hypercall.ret;
}

static void guest_vmcall_noting(struct fake_guest *g)
{
	g->before_reply = note_event_rax;
	guest_vmcall(g);
}

/*
 * The first request resumes the event's VMCALL: KVM returns whatever
 * hypercall.ret holds, so the host must have set it (protocol.h: 0).
 */
static void vmcall_of_an_event_that_makes_requests_returns_zero(void **s)
{
	struct unit *u = unit_new(guest_vmcall_noting);

	(void)s;
	replies = 0;
	event_rax = 0xaa;
	assert_int_equal(unit_run(u, vmcall_read), 0);
	assert_int_equal(u->events, 1);
	assert_int_equal(replies, 1);
	assert_int_equal(event_rax, 0);
	unit_free(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(port_in_on_doorbell_reads_all_ones),
		cmocka_unit_test(four_byte_port_in_is_eproto_not_a_call),
		cmocka_unit_test(vmcall_transport_serves_requests),
		cmocka_unit_test(
			vmcall_of_an_event_that_makes_requests_returns_zero),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
