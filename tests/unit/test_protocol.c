// SPDX-License-Identifier: MIT
/*
 * The protocol engine against guests that misbehave: malformed replies and
 * calls, bad registrations, silence, foreign exits; and the transports.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "race.h"
#include "unit.h"

/* Hostile guests answer request number n with respond(g, r, n). */
typedef void (*responder)(struct fake_guest *g, struct hm_region *r,
			  unsigned int n);
static responder respond;

static void reply(struct hm_region *r, uint64_t code, uint64_t addr,
		  uint64_t size)
{
	r->op = code;
	r->addr = addr;
	r->size = size;
}

/* Raise an event by hand and answer with respond() until it ends. */
static void raise_by_hand(struct fake_guest *g)
{
	struct hm_region *r = g->agent.region;
	struct hm_event_record ev = { .kind = HM_EVENT_USER, .nr = 1 };
	unsigned int n = 0;

	memcpy(r->data, &ev, sizeof(ev));
	reply(r, HM_OP_EVENT, 0, sizeof(ev));
	fake_guest_ring(g, HM_CALL_EVENT, g->agent.region_gpa);
	while (r->op != HM_OP_NONE && r->op != HM_OP_EVENT) {
		respond(g, r, n++);
		fake_guest_ring(g, HM_CALL_REPLY, g->agent.region_gpa);
	}
}

static void guest_hostile(struct fake_guest *g)
{
	fake_guest_register(g);
	raise_by_hand(g);
}

static void run_hostile(responder fn, unit_body body)
{
	struct unit *u = unit_new(guest_hostile);
	struct hm_stats stats;

	respond = fn;
	assert_int_equal(unit_run(u, body), 0);
	assert_int_equal(u->events, 1);
	hm_vcpu_get_stats(u->vcpu, &stats);
	assert_true(stats.protocol_errors > 0);
	unit_free(u);
}

/* The first request gets garbage; later ones a proper answer. */
static void serve_properly(struct fake_guest *g)
{
	hm_agent_serve(&g->agent);
}

static void oversized(struct fake_guest *g, struct hm_region *r,
		      unsigned int n)
{
	if (n)
		return serve_properly(g);
	reply(r, HM_RESP_READ_OK, 0, HM_DATA_SIZE + 1);
}

static void read_then_recover(struct unit *u, const struct hm_event *ev)
{
	uint8_t got[16];

	(void)ev;
	assert_int_equal(hm_vcpu_read(u->vcpu, VA_BUF, got, sizeof(got)),
			 -EPROTO);
	/* The exchange was complete: the next request is answered. */
	assert_int_equal(hm_vcpu_read(u->vcpu, VA_BUF, got, sizeof(got)),
			 sizeof(got));
	assert_int_equal(got[1], fake_pattern(VA_BUF + 1));
}

static void reply_size_beyond_chunk_is_eproto(void **state)
{
	(void)state;
	run_hostile(oversized, read_then_recover);
}

static void unknown_code(struct fake_guest *g, struct hm_region *r,
			 unsigned int n)
{
	if (n)
		return serve_properly(g);
	reply(r, 99, 0, 16);
}

static void unknown_response_code_is_eproto(void **state)
{
	(void)state;
	run_hostile(unknown_code, read_then_recover);
}

static void other_op(struct fake_guest *g, struct hm_region *r,
		     unsigned int n)
{
	if (n)
		return serve_properly(g);
	reply(r, HM_RESP_WRITE_OK, 0, 16);
}

static void response_for_another_op_is_eproto(void **state)
{
	(void)state;
	run_hostile(other_op, read_then_recover);
}

static void short_ok(struct fake_guest *g, struct hm_region *r,
		     unsigned int n)
{
	if (n)
		return serve_properly(g);
	reply(r, HM_RESP_READ_OK, 0, 15);
}

static void read_ok_shorter_than_request_is_eproto(void **state)
{
	(void)state;
	run_hostile(short_ok, read_then_recover);
}

static void full_partial(struct fake_guest *g, struct hm_region *r,
			 unsigned int n)
{
	if (n)
		return serve_properly(g);
	reply(r, HM_RESP_READ_PARTIAL, 0, 16);
}

static void partial_reply_as_long_as_request_is_eproto(void **state)
{
	(void)state;
	run_hostile(full_partial, read_then_recover);
}

static void bad_errno(struct fake_guest *g, struct hm_region *r,
		      unsigned int n)
{
	(void)g;
	if (n)
		return reply(r, HM_RESP_READ_FAIL, 0, HM_EBADF);
	reply(r, HM_RESP_READ_FAIL, 0, 5000);
}

static void read_failing_twice(struct unit *u, const struct hm_event *ev)
{
	uint8_t got[16];

	(void)ev;
	assert_int_equal(hm_vcpu_read(u->vcpu, VA_BUF, got, 16), -EPROTO);
	assert_int_equal(hm_vcpu_read(u->vcpu, VA_BUF, got, 16), -EBADF);
}

static void failure_with_unknown_errno_is_eproto(void **state)
{
	(void)state;
	run_hostile(bad_errno, read_failing_twice);
}

/* The first request fails with an errno that is the host's to report. */
static void forged_errno(struct fake_guest *g, struct hm_region *r,
			 unsigned int n, uint64_t value)
{
	if (n)
		return serve_properly(g);
	reply(r, HM_RESP_READ_FAIL, 0, value);
}

static void forged_enametoolong(struct fake_guest *g, struct hm_region *r,
				unsigned int n)
{
	forged_errno(g, r, n, ENAMETOOLONG);
}

static void read_str_forged(struct unit *u, const struct hm_event *ev)
{
	char got[64];

	(void)ev;
	memset(got, 'x', sizeof(got));
	assert_int_equal(hm_vcpu_read_str(u->vcpu, VA_STR, got, sizeof(got)),
			 -EPROTO);
	assert_string_equal(got, "");
}

static void guest_reported_enametoolong_is_eproto(void **state)
{
	(void)state;
	run_hostile(forged_enametoolong, read_str_forged);
}

static void forged_etimedout(struct fake_guest *g, struct hm_region *r,
			     unsigned int n)
{
	forged_errno(g, r, n, ETIMEDOUT);
}

static void read_after_forged_timeout(struct unit *u,
				      const struct hm_event *ev)
{
	struct hm_stats stats;

	read_then_recover(u, ev);
	hm_vcpu_get_stats(u->vcpu, &stats);
	assert_int_equal(stats.timeouts, 0);
}

static void guest_reported_etimedout_is_eproto(void **state)
{
	(void)state;
	run_hostile(forged_etimedout, read_after_forged_timeout);
}

static void nul_inside(struct fake_guest *g, struct hm_region *r,
		       unsigned int n)
{
	(void)g;
	(void)n;
	memcpy(r->data, "ab\0cd", 5);
	reply(r, HM_RESP_READ_OK, 0, 5);
}

static void read_str_once(struct unit *u, const struct hm_event *ev)
{
	char got[64];

	(void)ev;
	assert_int_equal(hm_vcpu_read_str(u->vcpu, VA_STR, got, sizeof(got)),
			 -EPROTO);
	assert_int_equal(hm_vcpu_read_fd_name(u->vcpu, 3, got, sizeof(got)),
			 -EPROTO);
}

static void string_reply_with_nul_inside_is_eproto(void **state)
{
	(void)state;
	run_hostile(nul_inside, read_str_once);
}

/*
 * Another vCPU writes a NUL into a reply right after the host looked for
 * one there (race.h): what the host returns is what it checked.
 */
static void str_raced(struct unit *u, const struct hm_event *ev)
{
	char *got = malloc(STR_LEN + 1);

	(void)ev;
	assert_non_null(got);
	race_nul_after_look(u->g->agent.region, HM_PAGE_SIZE);
	assert_int_equal(hm_vcpu_read_str(u->vcpu, VA_STR, got, STR_LEN + 1),
			 STR_LEN);
	assert_int_equal(strlen(got), STR_LEN);
	assert_string_equal(got, u->str);
	free(got);
}

static void read_str_returns_the_bytes_it_checked(void **state)
{
	(void)state;
	unit_with_event(str_raced);
}

static void fd_name_raced(struct unit *u, const struct hm_event *ev)
{
	char name[LONG_NAME_LEN + 1];

	(void)ev;
	assert_true(u->g->agent.features & HM_FEATURE_FD_NAME_OFFSET);
	race_nul_after_look(u->g->agent.region, HM_PAGE_SIZE);
	assert_int_equal(hm_vcpu_read_fd_name(u->vcpu, FD_LONG, name,
					      sizeof(name)), LONG_NAME_LEN);
	assert_int_equal(strlen(name), LONG_NAME_LEN);
	assert_string_equal(name, u->long_name);
}

static void fd_name_returns_the_bytes_it_checked(void **state)
{
	(void)state;
	unit_with_event(fd_name_raced);
}

static void shifting_total(struct fake_guest *g, struct hm_region *r,
			   unsigned int n)
{
	(void)g;
	memset(r->data, 'a', HM_DATA_SIZE);
	/* Believing the second total would overrun the first's buffer. */
	if (n == 0)
		reply(r, HM_RESP_READ_OK, 5000, HM_DATA_SIZE);
	else if (n == 1)
		reply(r, HM_RESP_READ_OK, 20000, HM_DATA_SIZE);
	else if (n == 2)
		reply(r, HM_RESP_READ_OK, 64u << 20, 10);
	else if (n == 3)
		reply(r, HM_RESP_READ_OK, 100, 0);
	else
		reply(r, HM_RESP_READ_OK, 10, 11);
}

static void proc_area_checks(struct unit *u, const struct hm_event *ev)
{
	struct hm_env_var *vars;
	char **argv;
	size_t n;

	(void)ev;
	/* The total changes between chunks. */
	assert_int_equal(hm_vcpu_get_proc_args(u->vcpu, &argv, &n), -EPROTO);
	/* A total beyond any real argv. */
	assert_int_equal(hm_vcpu_get_proc_env(u->vcpu, &vars, &n), -EPROTO);
	/* No progress before the end. */
	assert_int_equal(hm_vcpu_get_proc_args(u->vcpu, &argv, &n), -EPROTO);
	/* More bytes than the total. */
	assert_int_equal(hm_vcpu_get_proc_env(u->vcpu, &vars, &n), -EPROTO);
}

static void proc_area_inconsistent_totals_are_eproto(void **state)
{
	(void)state;
	run_hostile(shifting_total, proc_area_checks);
}

/* An fd name whose whole length changes between its slices. */
static void shifting_name(struct fake_guest *g, struct hm_region *r,
			  unsigned int n)
{
	uint64_t offset, total = 5000 + n;
	uint64_t size;

	(void)g;
	memcpy(&offset, r->data, sizeof(offset));
	size = total - offset < r->size ? total - offset : r->size;
	memset(r->data, 'n', size);
	reply(r, HM_RESP_READ_OK, total, size);
}

static void long_name_once(struct unit *u, const struct hm_event *ev)
{
	char name[HM_NAME_MAX * 2];

	(void)ev;
	assert_int_equal(hm_vcpu_read_fd_name(u->vcpu, 3, name, sizeof(name)),
			 -EPROTO);
	assert_int_equal(strlen(name), HM_DATA_SIZE);
}

static void fd_name_slices_disagreeing_on_length_are_eproto(void **state)
{
	(void)state;
	run_hostile(shifting_name, long_name_once);
}

static void wrong_kinds(struct fake_guest *g, struct hm_region *r,
			unsigned int n)
{
	struct hm_socket_info info = { .local_len = 129 };

	(void)g;
	if (n == 0)
		return reply(r, HM_RESP_READ_OK, 0, 42);
	memcpy(r->data, &info, sizeof(info));
	reply(r, HM_RESP_READ_OK, 3, sizeof(info));
}

static void pid_and_socket(struct unit *u, const struct hm_event *ev)
{
	struct hm_socket_info info;
	uint64_t pid = 7;

	(void)ev;
	assert_int_equal(hm_vcpu_get_proc_pid(u->vcpu, &pid), -EPROTO);
	assert_int_equal(pid, 7);
	assert_int_equal(hm_vcpu_read_socket_info(u->vcpu, 3, &info), -EPROTO);
}

static void pid_and_socket_replies_are_checked(void **state)
{
	(void)state;
	run_hostile(wrong_kinds, pid_and_socket);
}

static void rings_register(struct fake_guest *g, struct hm_region *r,
			   unsigned int n)
{
	(void)r;
	(void)n;
	/* Instead of replying, ring another call; the loop rings REPLY. */
	fake_guest_ring(g, HM_CALL_REGISTER, g->agent.region_gpa);
}

static void abandoned(struct unit *u, const struct hm_event *ev)
{
	uint8_t got[4];
	unsigned int runs;

	(void)ev;
	assert_int_equal(hm_vcpu_read(u->vcpu, VA_BUF, got, 4), -EPROTO);
	runs = u->g->kvm_runs;
	assert_int_equal(hm_vcpu_read(u->vcpu, VA_BUF, got, 4), -EPROTO);
	assert_int_equal(u->g->kvm_runs, runs);
}

static void call_other_than_reply_mid_request_abandons_event(void **state)
{
	(void)state;
	run_hostile(rings_register, abandoned);
}

/* Registration. */

static uint64_t register_at;

static void guest_register_at(struct fake_guest *g)
{
	g->agent.region_gpa = register_at;
	fake_guest_register(g);
	raise_by_hand(g);
}

static void never(struct unit *u, const struct hm_event *ev)
{
	(void)u;
	(void)ev;
	fail_msg("no event may reach the handler");
}

static void check_refused_registration(uint64_t gpa, int first_error)
{
	struct unit *u = unit_new(guest_register_at);
	struct hm_guest_info info;

	register_at = gpa;
	assert_int_equal(unit_run(u, never), first_error);
	/*
	 * The registration (the hello, then the shorter one an older host
	 * would take), then the event: all refused.
	 */
	assert_int_equal(u->g->handle_errors, 3);
	assert_int_equal(hm_vcpu_get_guest_info(u->vcpu, &info), -ENOTCONN);
	/* The guest can tell: no acknowledgement came. */
	assert_int_equal(u->g->register_result, -HM_ENODEV);
	unit_free(u);
}

static void registration_outside_ram_is_efault(void **state)
{
	(void)state;
	check_refused_registration(0x40000000, -EFAULT);
}

static void registration_at_last_page_of_address_space_is_efault(void **s)
{
	(void)s;
	check_refused_registration(UINT64_MAX - 4095, -EFAULT);
}

static void registration_not_page_aligned_is_einval(void **state)
{
	(void)state;
	check_refused_registration(FAKE_REGION_GPA + 8, -EINVAL);
}

static void registration_straddling_two_slots_is_efault(void **state)
{
	struct unit *u = unit_new(guest_register_at);
	struct hm_vm *vm;
	uint64_t split = FAKE_REGION_GPA + 0x800 - FAKE_RAM_GPA;

	(void)state;
	/* The same RAM as two adjacent slots, split inside the region. */
	hm_vcpu_free(u->vcpu);
	hm_vm_free(u->vm);
	assert_int_equal(hm_vm_new(&vm), 0);
	assert_int_equal(hm_vm_add_ram(vm, FAKE_RAM_GPA, split, u->g->ram), 0);
	assert_int_equal(hm_vm_add_ram(vm, FAKE_RAM_GPA + split,
				       FAKE_RAM_SIZE - split,
				       u->g->ram + split), 0);
	assert_int_equal(hm_vcpu_new(vm, u->g->fd, u->g->run, &u->vcpu), 0);
	hm_vcpu_set_data(u->vcpu, u);
	u->vm = vm;
	register_at = FAKE_REGION_GPA;
	assert_int_equal(unit_run(u, never), -EFAULT);
	assert_int_equal(u->g->register_result, -HM_ENODEV);
	unit_free(u);
}

static void guest_bad_hello(struct fake_guest *g)
{
	struct hm_region *r = g->agent.region;
	struct hm_hello hello = {
		.magic = HM_MAGIC, .version = HM_VERSION, .pointer_width = 8,
		.endianness = HM_ENDIAN_LITTLE, .region_pages = 1,
	};
	struct hm_hello *bad = (struct hm_hello *)r->data;

	hello.magic = 0x12345678;
	memcpy(r->data, &hello, sizeof(hello));
	reply(r, HM_OP_REGISTER, 0, HM_HELLO_SIZE_V1);
	fake_guest_ring(g, HM_CALL_REGISTER, g->agent.region_gpa);
	bad->magic = HM_MAGIC;
	bad->pointer_width = 3;
	fake_guest_ring(g, HM_CALL_REGISTER, g->agent.region_gpa);
	bad->pointer_width = 8;
	bad->endianness = 7;
	fake_guest_ring(g, HM_CALL_REGISTER, g->agent.region_gpa);
	bad->endianness = HM_ENDIAN_LITTLE;
	r->size = 3;
	fake_guest_ring(g, HM_CALL_REGISTER, g->agent.region_gpa);
}

static void registration_with_bad_hello_is_eproto(void **state)
{
	struct unit *u = unit_new(guest_bad_hello);

	(void)state;
	assert_int_equal(unit_run(u, never), -EPROTO);
	assert_int_equal(u->g->handle_errors, 4);
	unit_free(u);
}

/* A hello of @size bytes saying @arch, its pointers @width bytes wide. */
static void ring_hello(struct fake_guest *g, uint64_t features, uint32_t arch,
		       uint8_t width, uint64_t size)
{
	struct hm_region *r = g->agent.region;
	struct hm_hello hello = {
		.magic = HM_MAGIC, .version = HM_VERSION,
		.pointer_width = width, .endianness = HM_ENDIAN_LITTLE,
		.region_pages = 1, .features = features, .arch = arch,
	};

	memcpy(r->data, &hello, sizeof(hello));
	reply(r, HM_OP_REGISTER, 0, size);
	fake_guest_ring(g, HM_CALL_REGISTER, g->agent.region_gpa);
}

static void guest_says_arm(struct fake_guest *g)
{
	ring_hello(g, HM_FEATURE_GUEST_ARCH, HM_ARCH_ARM, 4,
		   sizeof(struct hm_hello));
	raise_by_hand(g);
}

static void named_arm(struct unit *u, const struct hm_event *ev)
{
	struct hm_guest_info info;

	(void)ev;
	assert_int_equal(hm_vcpu_get_guest_arch(u->vcpu), HM_ARCH_ARM);
	assert_int_equal(hm_vcpu_get_guest_info(u->vcpu, &info), 0);
	assert_int_equal(info.pointer_width, 4);
	assert_int_equal(info.features, HM_FEATURE_GUEST_ARCH);
}

static void guest_of_another_architecture_is_named_by_its_hello(void **state)
{
	struct unit *u = unit_new(guest_says_arm);

	(void)state;
	assert_int_equal(unit_run(u, named_arm), 0);
	assert_int_equal(u->events, 1);
	unit_free(u);
}

/* An older guest's hello: 24 bytes, whatever lies past them. */
static void guest_does_not_say(struct fake_guest *g)
{
	ring_hello(g, 0, HM_ARCH_ARM, 8, HM_HELLO_SIZE_V1);
	raise_by_hand(g);
}

static void named_native(struct unit *u, const struct hm_event *ev)
{
	struct hm_guest_info info;

	(void)ev;
	assert_int_equal(hm_vcpu_get_guest_arch(u->vcpu), HM_ARCH_NATIVE);
	assert_int_equal(hm_vcpu_get_guest_info(u->vcpu, &info), 0);
	assert_int_equal(info.features, 0);
}

static void hello_without_architecture_is_the_hosts_own(void **state)
{
	struct unit *u = unit_new(guest_does_not_say);

	(void)state;
	assert_true(HM_ARCH_NATIVE == HM_ARCH_X86_64 ||
		    HM_ARCH_NATIVE == HM_ARCH_AARCH64);
	assert_int_equal(unit_run(u, named_native), 0);
	assert_int_equal(u->events, 1);
	unit_free(u);
}

static void agent_named(struct unit *u, const struct hm_event *ev)
{
	struct hm_guest_info info;

	(void)ev;
	assert_int_equal(hm_vcpu_get_guest_arch(u->vcpu), HM_ARCH_NATIVE);
	assert_int_equal(hm_vcpu_get_guest_info(u->vcpu, &info), 0);
	assert_true(info.features & HM_FEATURE_GUEST_ARCH);
	assert_true(u->g->agent.features & HM_FEATURE_GUEST_ARCH);
}

static void agent_says_its_architecture(void **state)
{
	struct unit *u = unit_new(guest_one_event);

	(void)state;
	assert_int_equal(unit_run(u, agent_named), 0);
	assert_int_equal(u->events, 1);
	unit_free(u);
}

#define HELLO_LONG sizeof(struct hm_hello)

static void guest_says_wrong_things(struct fake_guest *g)
{
	struct hm_hello *h = (struct hm_hello *)g->agent.region->data;
	const uint64_t said = HM_FEATURE_GUEST_ARCH;

	/* Pointers of the other width. */
	ring_hello(g, said, HM_ARCH_ARM, 8, HELLO_LONG);
	ring_hello(g, said, HM_ARCH_MIPS_O32, 8, HELLO_LONG);
	ring_hello(g, said, HM_ARCH_MIPS_N64, 4, HELLO_LONG);
	ring_hello(g, said, HM_ARCH_X86_64, 4, HELLO_LONG);
	/* Architectures the protocol does not name. */
	ring_hello(g, said, HM_ARCH_UNSAID, 8, HELLO_LONG);
	ring_hello(g, said, HM_ARCH_MAX + 1, 8, HELLO_LONG);
	ring_hello(g, said, 0xffffffff, 8, HELLO_LONG);
	/* Said, but in the short hello; the long one, not said. */
	ring_hello(g, said, HM_ARCH_X86_64, 8, HM_HELLO_SIZE_V1);
	ring_hello(g, 0, HM_ARCH_X86_64, 8, HELLO_LONG);
	/* Big-endian: none of the architectures is. */
	h->endianness = HM_ENDIAN_BIG;
	h->features = said;
	h->arch = HM_ARCH_AARCH64;
	reply(g->agent.region, HM_OP_REGISTER, 0, HELLO_LONG);
	fake_guest_ring(g, HM_CALL_REGISTER, g->agent.region_gpa);
	/* Reserved bits set. */
	h->endianness = HM_ENDIAN_LITTLE;
	h->reserved = 1;
	reply(g->agent.region, HM_OP_REGISTER, 0, HELLO_LONG);
	fake_guest_ring(g, HM_CALL_REGISTER, g->agent.region_gpa);
}

static void hello_whose_architecture_does_not_hold_is_eproto(void **state)
{
	struct unit *u = unit_new(guest_says_wrong_things);
	struct hm_stats stats;

	(void)state;
	assert_int_equal(unit_run(u, never), -EPROTO);
	assert_int_equal(u->g->handle_errors, 11);
	hm_vcpu_get_stats(u->vcpu, &stats);
	assert_int_equal(stats.protocol_errors, 11);
	assert_int_equal(hm_vcpu_get_guest_arch(u->vcpu), -ENOTCONN);
	unit_free(u);
}

/*
 * The agent alone against a host older than the architecture, which takes
 * only the 24-byte hello: it says hello again without it.
 */
static uint64_t old_host_region[HM_PAGE_SIZE / 8];
static uint64_t hello_sizes[4];
static unsigned int hellos;
static int old_host_answers = 1;

static int old_host_doorbell(void *ctx, unsigned int call, uint64_t gpa)
{
	struct hm_region *r = (struct hm_region *)old_host_region;
	struct hm_hello hello;
	struct hm_hello_ack ack = {
		.magic = HM_MAGIC, .version = HM_VERSION, .region_pages = 1,
	};

	(void)ctx;
	(void)gpa;
	assert_int_equal(call, HM_CALL_REGISTER);
	assert_true(hellos < 4);
	hello_sizes[hellos++] = r->size;
	if (!old_host_answers)
		return -1;
	if (r->op != HM_OP_REGISTER || r->size != HM_HELLO_SIZE_V1)
		return 0;
	memcpy(&hello, r->data, sizeof(hello));
	ack.features = hello.features & (HM_FEATURE_GUEST_ARCH - 1);
	memcpy(r->data, &ack, sizeof(ack));
	reply(r, HM_RESP_REGISTER_OK, 0, sizeof(ack));
	return 0;
}

static const struct hm_agent_ops old_host_ops = {
	.doorbell = old_host_doorbell,
};

static int register_with_old_host(struct hm_agent *agent)
{
	*agent = (struct hm_agent){
		.ops = &old_host_ops,
		.region = (struct hm_region *)old_host_region,
		.region_pages = 1,
		.features = HM_FEATURE_READV,
	};
	hellos = 0;
	return hm_agent_register(agent, 0);
}

static void agent_says_short_hello_again_to_an_older_host(void **state)
{
	struct hm_agent agent;

	(void)state;
	old_host_answers = 1;
	assert_int_equal(register_with_old_host(&agent), 0);
	assert_int_equal(hellos, 2);
	assert_int_equal(hello_sizes[0], sizeof(struct hm_hello));
	assert_int_equal(hello_sizes[1], HM_HELLO_SIZE_V1);
	assert_int_equal(agent.features, HM_FEATURE_READV);
}

static void agent_says_hello_once_where_the_call_fails(void **state)
{
	struct hm_agent agent;

	(void)state;
	old_host_answers = 0;
	assert_int_equal(register_with_old_host(&agent), -HM_ENODEV);
	assert_int_equal(hellos, 1);
}

static void guest_moves_region(struct fake_guest *g)
{
	fake_guest_register(g);
	g->agent.region_gpa = FAKE_REGION_GPA + 0x3000;
	g->agent.region = (struct hm_region *)(g->ram + 0x13000);
	fake_guest_register(g);
	guest_one_event(g);
}

static void uses_new_region(struct unit *u, const struct hm_event *ev)
{
	struct hm_guest_info info;
	uint64_t pid;

	(void)ev;
	assert_int_equal(hm_vcpu_get_guest_info(u->vcpu, &info), 0);
	assert_int_equal(info.region_gpa, FAKE_REGION_GPA + 0x3000);
	assert_int_equal(hm_vcpu_get_proc_pid(u->vcpu, &pid), 0);
	assert_int_equal(pid, PID);
}

static void reregistration_moves_the_region(void **state)
{
	struct unit *u = unit_new(guest_moves_region);

	(void)state;
	assert_int_equal(unit_run(u, uses_new_region), 0);
	assert_int_equal(u->events, 1);
	unit_free(u);
}

static void guest_reregisters_outside_ram(struct fake_guest *g)
{
	fake_guest_register(g);
	g->agent.region_gpa = 0x40000000;
	fake_guest_register(g);
	g->agent.region_gpa = FAKE_REGION_GPA;
	raise_by_hand(g);
}

static void failed_reregistration_leaves_vcpu_unregistered(void **state)
{
	struct unit *u = unit_new(guest_reregisters_outside_ram);

	(void)state;
	assert_int_equal(unit_run(u, never), -EFAULT);
	/* Both hellos of the second registration, then the event. */
	assert_int_equal(u->g->handle_errors, 3);
	unit_free(u);
}

static void guest_reregisters_unreadably(struct fake_guest *g)
{
	fake_guest_register(g);
	g->regs.read_error = EIO;
	fake_guest_register(g);
	g->regs.read_error = 0;
	raise_by_hand(g);
}

static void reregistration_whose_registers_fail_leaves_no_region(void **s)
{
	struct unit *u = unit_new(guest_reregisters_unreadably);

	(void)s;
	assert_int_equal(unit_run(u, never), -EIO);
	/* Both hellos of the second registration, then the event. */
	assert_int_equal(u->g->handle_errors, 3);
	assert_int_equal(hm_vcpu_read(u->vcpu, VA_BUF, u->buf, 1), -ENOTCONN);
	unit_free(u);
}

static void guest_event_first(struct fake_guest *g)
{
	raise_by_hand(g);
}

static void event_before_registration_is_enotconn(void **state)
{
	struct unit *u = unit_new(guest_event_first);

	(void)state;
	assert_int_equal(unit_run(u, never), -ENOTCONN);
	unit_free(u);
}

static void guest_odd_calls(struct fake_guest *g)
{
	struct hm_region *r = g->agent.region;

	fake_guest_register(g);
	/* A call number the protocol does not have. */
	fake_guest_ring(g, 77, 0);
	/* An event record of the wrong size, then of an unknown kind. */
	reply(r, HM_OP_EVENT, 0, 8);
	fake_guest_ring(g, HM_CALL_EVENT, g->agent.region_gpa);
	assert_int_equal(r->op, HM_OP_NONE);
	memset(r->data, 0, sizeof(struct hm_event_record));
	r->data[0] = 9;
	reply(r, HM_OP_EVENT, 0, sizeof(struct hm_event_record));
	fake_guest_ring(g, HM_CALL_EVENT, g->agent.region_gpa);
	assert_int_equal(r->op, HM_OP_NONE);
}

static void unknown_calls_and_bad_events_are_eproto(void **state)
{
	struct unit *u = unit_new(guest_odd_calls);

	(void)state;
	assert_int_equal(unit_run(u, never), -EPROTO);
	assert_int_equal(u->g->handle_errors, 3);
	unit_free(u);
}

/* Timeouts. */

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

static void silent(struct unit *u, const struct hm_event *ev)
{
	uint8_t got[8];
	unsigned int runs;
	double t0 = now(), elapsed;

	(void)ev;
	u->g->stall_next_copy = true;
	assert_int_equal(hm_vcpu_read(u->vcpu, VA_BUF, got, 8), -ETIMEDOUT);
	elapsed = now() - t0;
	assert_true(elapsed >= 0.1);
	assert_true(elapsed < 1.0);
	/* The event is abandoned: no more waiting on this guest. */
	runs = u->g->kvm_runs;
	assert_int_equal(hm_vcpu_read(u->vcpu, VA_BUF, got, 8), -ETIMEDOUT);
	assert_int_equal(u->g->kvm_runs, runs);
	/* Let the guest answer late, after the event has ended. */
	sem_post(&u->g->unblock);
}

static void silent_guest_times_out_and_vmm_goes_on(void **state)
{
	struct unit *u = unit_new(guest_one_event);
	struct hm_stats stats;

	(void)state;
	assert_int_equal(hm_vm_set_timeout(u->vm, 100), 0);
	/* The late reply is taken as a stray and the guest halts. */
	assert_int_equal(unit_run(u, silent), 0);
	hm_vcpu_get_stats(u->vcpu, &stats);
	assert_int_equal(stats.timeouts, 1);
	assert_int_equal(u->g->halted, true);
	unit_free(u);
}

/* A signal of the VMM's own reaches its exit handler mid-request. */

static void *signal_later(void *arg)
{
	usleep(50000);
	pthread_kill(*(pthread_t *)arg, SIGUSR2);
	return NULL;
}

static void on_usr2(int signo)
{
	(void)signo;
}

static void vmm_signal(struct unit *u, const struct hm_event *ev)
{
	pthread_t self = pthread_self(), thread;
	uint8_t got[8];
	double t0 = now();

	(void)ev;
	u->g->stall_next_copy = true;
	u->g->intr_result = -ECANCELED;
	assert_int_equal(pthread_create(&thread, NULL, signal_later, &self),
			 0);
	/* The deadline is 2 s: the handler's answer ends the wait first. */
	assert_int_equal(hm_vcpu_read(u->vcpu, VA_BUF, got, 8), -ECANCELED);
	assert_true(now() - t0 < 1.0);
	assert_int_equal(u->g->intr_exits, 1);
	pthread_join(thread, NULL);
	sem_post(&u->g->unblock);
}

static void vmm_signal_mid_request_reaches_exit_handler(void **state)
{
	struct sigaction sa = { .sa_handler = on_usr2 };
	struct unit *u;

	(void)state;
	assert_int_equal(sigaction(SIGUSR2, &sa, NULL), 0);
	u = unit_new(guest_one_event);
	assert_int_equal(unit_run(u, vmm_signal), 0);
	assert_true(u->g->halted);
	unit_free(u);
}

/* Foreign exits, transports, state. */

static void serial_mid_op(struct unit *u, const struct hm_event *ev)
{
	uint8_t got[8];

	(void)ev;
	u->g->serial_before_copy = true;
	assert_int_equal(hm_vcpu_read(u->vcpu, VA_BUF, got, 8), 8);
	assert_int_equal(got[0], fake_pattern(VA_BUF));
	assert_int_equal(u->g->serial_exits, 1);
	/* Without an exit handler, a foreign exit aborts the request. */
	hm_vm_set_exit_handler(u->vm, NULL, NULL);
	assert_int_equal(hm_vcpu_read(u->vcpu, VA_BUF, got, 8), -EIO);
	u->g->serial_before_copy = false;
}

static void foreign_exits_during_op_reach_exit_handler(void **state)
{
	(void)state;
	unit_with_event(serial_mid_op);
}

static void guest_register_only(struct fake_guest *g)
{
	fake_guest_register(g);
}

static void ops_outside_an_event_are_refused(void **state)
{
	struct unit *u = unit_new(guest_register_only);
	uint8_t got[4];
	uint64_t pid;

	(void)state;
	assert_int_equal(hm_vcpu_read(u->vcpu, VA_BUF, got, 4), -ENOTCONN);
	assert_int_equal(hm_vcpu_get_proc_pid(u->vcpu, &pid), -ENOTCONN);
	assert_int_equal(unit_run(u, never), 0);
	assert_int_equal(hm_vcpu_read(u->vcpu, VA_BUF, got, 4), -EBUSY);
	assert_int_equal(hm_vcpu_get_proc_pid(u->vcpu, &pid), -EBUSY);
	assert_int_equal(hm_vcpu_read_ptr(u->vcpu, VA_BUF, &pid), -EBUSY);
	unit_free(u);
}

static void read_str_refused_outside_an_event_leaves_buf_empty(void **state)
{
	struct unit *u = unit_new(guest_register_only);
	char got[8];

	(void)state;
	memset(got, 'x', sizeof(got));
	assert_int_equal(hm_vcpu_read_str(u->vcpu, VA_STR, got, sizeof(got)),
			 -ENOTCONN);
	assert_string_equal(got, "");
	assert_int_equal(unit_run(u, never), 0);
	memset(got, 'x', sizeof(got));
	assert_int_equal(hm_vcpu_read_str(u->vcpu, VA_STR, got, sizeof(got)),
			 -EBUSY);
	assert_string_equal(got, "");
	unit_free(u);
}

/* Two vCPUs, each driven by its own thread, each with its own region. */

struct second {
	struct unit *u;
	int result;
};

static void *run_second(void *arg)
{
	struct second *s = arg;

	s->result = unit_run(s->u, s->u->body);
	return NULL;
}

static void own_pid(struct unit *u, const struct hm_event *ev)
{
	uint64_t pid;
	uint8_t got;

	(void)ev;
	assert_int_equal(hm_vcpu_get_proc_pid(u->vcpu, &pid), 0);
	assert_int_equal(pid, u->proc.pid);
	assert_int_equal(hm_vcpu_read(u->vcpu, VA_BUF, &got, 1), 1);
	assert_int_equal(got, u->buf[0]);
}

static void two_vcpus_have_separate_regions(void **state)
{
	struct unit *a = unit_new(guest_one_event);
	struct unit *b = unit_new(guest_one_event);
	struct second s = { .u = b };
	struct hm_vcpu *vcpu_b;
	struct hm_guest_info ia, ib;
	pthread_t thread;

	(void)state;
	/* b's guest lives in a's VM: its RAM in a second slot. */
	hm_vcpu_free(b->vcpu);
	assert_int_equal(hm_vm_add_ram(a->vm, FAKE_RAM_GPA + FAKE_RAM_SIZE,
				       FAKE_RAM_SIZE, b->g->ram), 0);
	b->g->agent.region_gpa += FAKE_RAM_SIZE;
	assert_int_equal(hm_vcpu_new(a->vm, b->g->fd, b->g->run, &vcpu_b), 0);
	hm_vcpu_set_data(vcpu_b, b);
	b->vcpu = vcpu_b;
	b->proc.pid = 77;
	b->buf[0] = 0xb0;
	a->buf[0] = 0xa0;
	/* Events of both vCPUs come to a's handler: it tells them apart. */
	hm_vm_free(b->vm);
	b->vm = a->vm;

	a->body = own_pid;
	b->body = own_pid;
	assert_int_equal(pthread_create(&thread, NULL, run_second, &s), 0);
	assert_int_equal(unit_run(a, own_pid), 0);
	pthread_join(thread, NULL);
	assert_int_equal(s.result, 0);
	assert_int_equal(hm_vcpu_get_guest_info(a->vcpu, &ia), 0);
	assert_int_equal(hm_vcpu_get_guest_info(b->vcpu, &ib), 0);
	assert_int_equal(ia.region_gpa, FAKE_REGION_GPA);
	assert_int_equal(ib.region_gpa, FAKE_REGION_GPA + FAKE_RAM_SIZE);
	b->vm = NULL;
	hm_vcpu_free(b->vcpu);
	b->vcpu = NULL;
	unit_free(b);
	unit_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reply_size_beyond_chunk_is_eproto),
		cmocka_unit_test(unknown_response_code_is_eproto),
		cmocka_unit_test(response_for_another_op_is_eproto),
		cmocka_unit_test(read_ok_shorter_than_request_is_eproto),
		cmocka_unit_test(partial_reply_as_long_as_request_is_eproto),
		cmocka_unit_test(failure_with_unknown_errno_is_eproto),
		cmocka_unit_test(guest_reported_enametoolong_is_eproto),
		cmocka_unit_test(guest_reported_etimedout_is_eproto),
		cmocka_unit_test(string_reply_with_nul_inside_is_eproto),
		cmocka_unit_test(read_str_returns_the_bytes_it_checked),
		cmocka_unit_test(fd_name_returns_the_bytes_it_checked),
		cmocka_unit_test(proc_area_inconsistent_totals_are_eproto),
		cmocka_unit_test(fd_name_slices_disagreeing_on_length_are_eproto),
		cmocka_unit_test(pid_and_socket_replies_are_checked),
		cmocka_unit_test(call_other_than_reply_mid_request_abandons_event),
		cmocka_unit_test(registration_outside_ram_is_efault),
		cmocka_unit_test(registration_at_last_page_of_address_space_is_efault),
		cmocka_unit_test(registration_not_page_aligned_is_einval),
		cmocka_unit_test(registration_straddling_two_slots_is_efault),
		cmocka_unit_test(registration_with_bad_hello_is_eproto),
		cmocka_unit_test(
			guest_of_another_architecture_is_named_by_its_hello),
		cmocka_unit_test(hello_without_architecture_is_the_hosts_own),
		cmocka_unit_test(agent_says_its_architecture),
		cmocka_unit_test(
			hello_whose_architecture_does_not_hold_is_eproto),
		cmocka_unit_test(agent_says_short_hello_again_to_an_older_host),
		cmocka_unit_test(agent_says_hello_once_where_the_call_fails),
		cmocka_unit_test(reregistration_moves_the_region),
		cmocka_unit_test(failed_reregistration_leaves_vcpu_unregistered),
		cmocka_unit_test(
			reregistration_whose_registers_fail_leaves_no_region),
		cmocka_unit_test(event_before_registration_is_enotconn),
		cmocka_unit_test(unknown_calls_and_bad_events_are_eproto),
		cmocka_unit_test(silent_guest_times_out_and_vmm_goes_on),
		cmocka_unit_test(vmm_signal_mid_request_reaches_exit_handler),
		cmocka_unit_test(foreign_exits_during_op_reach_exit_handler),
		cmocka_unit_test(ops_outside_an_event_are_refused),
		cmocka_unit_test(
			read_str_refused_outside_an_event_leaves_buf_empty),
		cmocka_unit_test(two_vcpus_have_separate_regions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
