// SPDX-License-Identifier: MIT
/*
 * Every operation bounded, whatever the guest answers, on the exit
 * transport (the mailbox's deadline: test_mailbox.c). The guest is played
 * in this thread with the seams' clock, which moves a second at each
 * KVM_RUN the guest leaves unanswered: a guest that answers every request
 * a second late stretches an operation over minutes of that clock and
 * none of ours. Checked: one deadline for the whole operation however
 * many round trips it takes (the argv, a list, an fd name in slices, a
 * script's read_file); replies that carry less than they must; one
 * memory budget for everything an operation allocates; the cap on the
 * entries a binding turns into values.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ops.h"
#include "sync_guest.h"

#define TIMEOUT_MS 10000u	/* ten seconds of the seams' clock */
#define TIMEOUT_NS (TIMEOUT_MS * 1000000ull)
#define AREA_LEN (1u << 20)	/* 258 replies of a one-page region */
#define NAME_LEN 100000u	/* an fd name of 25 slices */
#define NR_TASKS 20000u		/* 278 replies */

/*
 * A guest that @setup gives its accessors, features and region before it
 * registers; one event whose handler runs @fn.
 */
static void one_event(void (*setup)(struct sync_guest *g),
		      int (*fn)(struct hm_vcpu *, struct sync_guest *))
{
	struct hm_vm *vm;
	struct sync_guest *g;

	assert_int_equal(hm_vm_new(&vm), 0);
	assert_int_equal(hm_vm_set_timeout(vm, TIMEOUT_MS), 0);
	g = sync_guest_new(vm, 0);
	setup(g);
	assert_int_equal(sync_guest_register(g), 0);
	assert_int_equal(sync_guest_event(g, fn), 0);
	sync_guest_free(g);
	hm_vm_free(vm);
}

static uint64_t round_trips(struct hm_vcpu *vcpu)
{
	struct hm_stats stats;

	hm_vcpu_get_stats(vcpu, &stats);
	return stats.round_trips;
}

/* Each reply a second late: the next request's KVM_RUN stays silent once. */
static void one_second_late(struct sync_guest *g)
{
	g->silent = 1;
}

static size_t min_len(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* argv: AREA_LEN letters, served in full replies. */
static long letters(void *ctx, enum hm_proc_area which, uint64_t offset,
		    void *buf, size_t len, uint64_t *total)
{
	(void)ctx;
	(void)which;
	*total = AREA_LEN;
	if (offset >= AREA_LEN)
		return 0;
	len = min_len(len, AREA_LEN - (size_t)offset);
	memset(buf, 'a', len);
	return (long)len;
}

static uint64_t nr_tasks;

/* Tasks 1..nr_tasks, as many a reply as fit. */
static long many_tasks(void *ctx, uint64_t cursor, struct hm_agent_list *l)
{
	uint64_t pid;

	(void)ctx;
	for (pid = cursor ? cursor : 1; pid <= nr_tasks; pid++) {
		struct hm_proc_entry e = { .pid = pid, .tgid = pid,
					   .state = 'S' };

		if (hm_agent_list_proc(l, &e))
			break;
	}
	return 0;
}

static long short_name(void *ctx, int64_t fd, char *buf, size_t cap)
{
	(void)ctx;
	(void)fd;
	if (cap < 1)
		return -HM_ENAMETOOLONG;
	buf[0] = 'x';
	return 1;
}

/* A file whose size the guest does not know (/proc's): a byte a reply. */
static long byte_by_byte(void *ctx, const char *path, uint64_t offset,
			 void *buf, size_t len, uint64_t *file_size)
{
	(void)ctx;
	(void)path;
	*file_size = 0;
	if (offset >= 1000 || !len)
		return 0;
	memset(buf, 'r', 1);
	return 1;
}

static void stretching_guest(struct sync_guest *g)
{
	g->ops.proc_area = letters;
	g->ops.proc_list = many_tasks;
	nr_tasks = NR_TASKS;
	g->ops.fd_name = short_name;
	g->ops.read_file = byte_by_byte;
	g->agent.features |= HM_FEATURE_PROC_LIST | HM_FEATURE_FD_NAME_OFFSET;
	g->spoil = one_second_late;
	g->silent = 1;
}

/* The operation a stretched guest answers; its result. */
static long (*stretched_op)(struct hm_vcpu *vcpu);

/*
 * The operation ends by -ETIMEDOUT at its deadline, however many replies
 * were to come: the tenth request finds it passed.
 */
static int ends_at_deadline(struct hm_vcpu *vcpu, struct sync_guest *g)
{
	uint64_t start = sync_guest_clock_ns(), trips = round_trips(vcpu);

	assert_int_equal(stretched_op(vcpu), -ETIMEDOUT);
	assert_int_equal(sync_guest_clock_ns() - start, TIMEOUT_NS);
	assert_int_equal(round_trips(vcpu) - trips, TIMEOUT_MS / 1000);
	g->spoil = NULL;
	g->silent = 0;
	return 0;
}

static void stretch(long (*op)(struct hm_vcpu *vcpu))
{
	stretched_op = op;
	one_event(stretching_guest, ends_at_deadline);
}

static long get_args(struct hm_vcpu *vcpu)
{
	char **argv;
	size_t argc;

	return hm_vcpu_get_proc_args(vcpu, &argv, &argc);
}

static void stretched_proc_args_end_at_the_operations_deadline(void **s)
{
	(void)s;
	stretch(get_args);
}

static long list_tasks(struct hm_vcpu *vcpu)
{
	struct hm_process *list;
	size_t n;

	return hm_vcpu_list_processes(vcpu, &list, &n);
}

static void stretched_list_ends_at_the_operations_deadline(void **s)
{
	(void)s;
	stretch(list_tasks);
}

/* Every slice of a NAME_LEN-byte name, in full, a second late. */
static size_t name_sent;

static void long_name_late(struct sync_guest *g)
{
	struct hm_region *r = g->agent.region;
	size_t n = min_len(HM_DATA_SIZE, NAME_LEN - name_sent);

	memset(r->data, 'n', n);
	r->op = hm_le64(HM_RESP_READ_OK);
	r->addr = hm_le64(NAME_LEN);
	r->size = hm_le64(n);
	name_sent += n;
	g->silent = 1;
}

static long long_fd_name(struct hm_vcpu *vcpu)
{
	struct sync_guest *g = hm_vcpu_get_data(vcpu);
	static char name[NAME_LEN + 1];

	name_sent = 0;
	g->spoil = long_name_late;
	return hm_vcpu_read_fd_name(vcpu, 3, name, sizeof(name));
}

static void stretched_fd_name_ends_at_the_operations_deadline(void **s)
{
	(void)s;
	stretch(long_fd_name);
}

/* A script's read_file: one operation, however short the replies. */
static long script_read_file(struct hm_vcpu *vcpu)
{
	struct op_value args[3] = {
		{ .p = "/proc/stretched" }, { .u = 1000 }, { .u = 0 },
	};
	struct op_result r;
	int err = op_run(op_by_name("read_file"), vcpu, args, &r);

	op_result_free(&r);
	return err;
}

static void stretched_read_file_ends_at_the_operations_deadline(void **s)
{
	(void)s;
	stretch(script_read_file);
}

/* ---- what a reply must carry ---- */

/* An argv of 100 bytes, one a reply. */
static long one_byte_at_a_time(void *ctx, enum hm_proc_area which,
			       uint64_t offset, void *buf, size_t len,
			       uint64_t *total)
{
	(void)ctx;
	(void)which;
	(void)len;
	*total = 100;
	if (offset >= 100)
		return 0;
	memset(buf, 'a', 1);
	return 1;
}

/* Tasks 1..NR_TASKS, one a reply though 72 fit. */
static long one_task_a_reply(void *ctx, uint64_t cursor,
			     struct hm_agent_list *l)
{
	struct hm_proc_entry e = { .state = 'S' };

	(void)ctx;
	e.pid = e.tgid = cursor ? cursor : 1;
	hm_agent_list_proc(l, &e);
	l->full = e.pid < NR_TASKS;
	l->next = e.pid + 1;
	return 0;
}

/* Files 0..999 without names, one a reply though hundreds fit. */
static long one_fd_a_reply(void *ctx, uint64_t pid, uint64_t cursor,
			   struct hm_agent_list *l)
{
	struct hm_fd_entry e = { .fd = (uint32_t)cursor };

	(void)ctx;
	(void)pid;
	hm_agent_list_fd(l, &e, "");
	l->full = cursor < 999;
	l->next = cursor + 1;
	return 0;
}

static void stingy_guest(struct sync_guest *g)
{
	g->ops.proc_area = one_byte_at_a_time;
	g->ops.proc_list = one_task_a_reply;
	g->ops.proc_fds = one_fd_a_reply;
	g->agent.features |= HM_FEATURE_PROC_LIST | HM_FEATURE_PROC_FDS;
	/* Room for any fd entry and its name, with room to spare. */
	g->agent.region_pages = 2;
}

static int short_args(struct hm_vcpu *vcpu, struct sync_guest *g)
{
	uint64_t trips = round_trips(vcpu);
	char **argv;
	size_t argc;

	(void)g;
	/* A reply short of what was asked: the guest could read no more. */
	assert_int_equal(hm_vcpu_get_proc_args(vcpu, &argv, &argc), -EFAULT);
	assert_int_equal(round_trips(vcpu) - trips, 1);
	return 0;
}

static void a_short_argv_reply_ends_the_read_with_efault(void **s)
{
	(void)s;
	one_event(stingy_guest, short_args);
}

static int stingy_lists(struct hm_vcpu *vcpu, struct sync_guest *g)
{
	uint64_t trips = round_trips(vcpu);
	struct hm_open_file *files;
	struct hm_process *list;
	size_t n;

	(void)g;
	assert_int_equal(hm_vcpu_list_processes(vcpu, &list, &n), -EPROTO);
	assert_int_equal(round_trips(vcpu) - trips, 1);
	assert_int_equal(hm_vcpu_get_fds(vcpu, 0, &files, &n), -EPROTO);
	assert_int_equal(round_trips(vcpu) - trips, 2);
	return 0;
}

static void list_replies_holding_less_than_fits_are_eproto(void **s)
{
	(void)s;
	one_event(stingy_guest, stingy_lists);
}

/* ---- one memory budget ---- */

/* 16 MiB of NUL bytes: as many empty strings. */
static long nul_bytes(void *ctx, enum hm_proc_area which, uint64_t offset,
		      void *buf, size_t len, uint64_t *total)
{
	(void)ctx;
	(void)which;
	*total = 16u << 20;
	if (offset >= *total)
		return 0;
	len = min_len(len, (size_t)(*total - offset));
	memset(buf, 0, len);
	return (long)len;
}

/* A million files without names: small replies, a large list. */
static long million_fds(void *ctx, uint64_t pid, uint64_t cursor,
			struct hm_agent_list *l)
{
	uint64_t fd;

	(void)ctx;
	(void)pid;
	for (fd = cursor; fd < (1u << 20); fd++) {
		struct hm_fd_entry e = { .fd = (uint32_t)fd };

		if (hm_agent_list_fd(l, &e, ""))
			break;
	}
	return 0;
}

static void greedy_guest(struct sync_guest *g)
{
	g->ops.proc_area = nul_bytes;
	g->ops.proc_fds = million_fds;
	g->agent.features |= HM_FEATURE_PROC_FDS;
	g->agent.region_pages = 16;
}

static int past_budget(struct hm_vcpu *vcpu, struct sync_guest *g)
{
	struct hm_open_file *files;
	char **argv;
	size_t n;

	(void)g;
	/* 16 MiB, then a vector of 16 Mi pointers: 160 MiB. */
	assert_int_equal(hm_vcpu_get_proc_args(vcpu, &argv, &n), -E2BIG);
	/* 24 MiB of entries, grown by doubling, and their copy. */
	assert_int_equal(hm_vcpu_get_fds(vcpu, 0, &files, &n), -E2BIG);
	return 0;
}

static void operations_past_the_memory_budget_are_e2big(void **s)
{
	(void)s;
	one_event(greedy_guest, past_budget);
}

/*
 * The argv's copy (1 MiB and its NUL), then its vector (two pointers and
 * the strings again): 2 MiB and 18 bytes, all added up.
 */
static int budget_set(struct hm_vcpu *vcpu, struct sync_guest *g)
{
	struct hm_vm *vm = hm_vcpu_get_vm(vcpu);
	char **argv;
	size_t argc;

	(void)g;
	assert_int_equal(hm_vm_set_memory_budget(vm, (2u << 20) + 17), 0);
	assert_int_equal(hm_vcpu_get_proc_args(vcpu, &argv, &argc), -E2BIG);
	assert_int_equal(hm_vm_set_memory_budget(vm, (2u << 20) + 18), 0);
	assert_int_equal(hm_vcpu_get_proc_args(vcpu, &argv, &argc), 0);
	assert_int_equal(argc, 1);
	free(argv);
	return 0;
}

static void guest_of_letters(struct sync_guest *g)
{
	g->ops.proc_area = letters;
}

static void the_budget_is_the_vms_setting(void **s)
{
	(void)s;
	one_event(guest_of_letters, budget_set);
}

/* ---- the entries a binding turns into values ---- */

static size_t argv_strings;

/* argv_strings strings "a", then nothing. */
static long many_strings(void *ctx, enum hm_proc_area which, uint64_t offset,
			 void *buf, size_t len, uint64_t *total)
{
	size_t i;

	(void)ctx;
	(void)which;
	*total = 2 * argv_strings;
	if (offset >= *total)
		return 0;
	len = min_len(len, (size_t)(*total - offset));
	for (i = 0; i < len; i++)
		((char *)buf)[i] = (offset + i) % 2 ? '\0' : 'a';
	return (long)len;
}

static void crowded_guest(struct sync_guest *g)
{
	g->ops.proc_area = many_strings;
	g->ops.proc_list = many_tasks;
	nr_tasks = OP_MAX_ENTRIES + 1;
	g->agent.features |= HM_FEATURE_PROC_LIST;
	g->agent.region_pages = 16;
}

static int run_op(struct hm_vcpu *vcpu, const char *name, size_t *count)
{
	struct op_result r;
	int err = op_run(op_by_name(name), vcpu, NULL, &r);

	*count = r.count;
	op_result_free(&r);
	return err;
}

static int entry_cap(struct hm_vcpu *vcpu, struct sync_guest *g)
{
	size_t count;

	(void)g;
	argv_strings = OP_MAX_ENTRIES;
	assert_int_equal(run_op(vcpu, "get_proc_args", &count), 0);
	assert_int_equal(count, OP_MAX_ENTRIES);
	argv_strings = OP_MAX_ENTRIES + 1;
	assert_int_equal(run_op(vcpu, "get_proc_args", &count), -E2BIG);
	assert_int_equal(run_op(vcpu, "processes", &count), -E2BIG);
	return 0;
}

static void bindings_take_at_most_op_max_entries(void **s)
{
	(void)s;
	one_event(crowded_guest, entry_cap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			stretched_proc_args_end_at_the_operations_deadline),
		cmocka_unit_test(
			stretched_list_ends_at_the_operations_deadline),
		cmocka_unit_test(
			stretched_fd_name_ends_at_the_operations_deadline),
		cmocka_unit_test(
			stretched_read_file_ends_at_the_operations_deadline),
		cmocka_unit_test(a_short_argv_reply_ends_the_read_with_efault),
		cmocka_unit_test(
			list_replies_holding_less_than_fits_are_eproto),
		cmocka_unit_test(operations_past_the_memory_budget_are_e2big),
		cmocka_unit_test(the_budget_is_the_vms_setting),
		cmocka_unit_test(bindings_take_at_most_op_max_entries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
