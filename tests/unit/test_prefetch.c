// SPDX-License-Identifier: MIT
/*
 * Prefetch (HM_FEATURE_PREFETCH): the same handler's reads give the same
 * bytes and codes whether the guest attached them to the event or they
 * took round trips, a buffer that runs into unmapped memory included; a
 * covered read takes no round trip; a write drops what was fetched; a
 * hostile prefetch area makes the event malformed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#define NR_WRITE 1
#define EDGE (VA_BUF + BUF_SIZE - 100)	/* 100 bytes, then the hole */

/* write(fd, buf, count)'s entry, the string in arg 3, the fd in arg 0. */
static const struct hm_sub_fetch fetches[] = {
	{ .what = HM_FETCH_BUF, .arg = 1, .len_arg = 2, .cap = 4096 },
	{ .what = HM_FETCH_FD_NAME, .arg = 0 },
	{ .what = HM_FETCH_STR, .arg = 3, .cap = 256 },
	{ .what = HM_FETCH_FD_NAME, .arg = 4 },
	{ .what = HM_FETCH_ARGV, .cap = 4096 },
};

/* What the handler saw, one run with fetches, one without. */
struct answers {
	ssize_t read_all, read_part, read_past, read_str, read_long_str;
	ssize_t small_cap_str, fd_name, bad_fd, after_write, whole_name;
	int args_err;
	size_t argc;
	char args[128];
	uint8_t all[4096], part[64], past[300];
	char str[256], long_str[64], small[8], name[64];
	char whole[HM_NAME_MAX];
	uint64_t trips;
};

static struct answers answers[2];
static int run_index;

static struct {
	uint64_t buf, count, str, fd, bad_fd;
} call;

static void guest_write(struct fake_guest *g)
{
	struct hm_event_record ev = {
		.kind = HM_EVENT_SYSCALL_ENTER, .nr = NR_WRITE,
		.args = { call.fd, call.buf, call.count, call.str,
			  call.bad_fd },
	};

	fake_guest_offer_sub(g);
	g->agent.features |= HM_FEATURE_PREFETCH;
	fake_guest_register(g);
	{
		struct hm_fetch_list fl;

		hm_agent_wants_fetching(&g->agent, &ev, &fl);
		hm_agent_raise_fetching(&g->agent, &ev, &fl);
	}
}

static void reads(struct unit *u, const struct hm_event *ev)
{
	struct answers *a = &answers[run_index];
	struct hm_stats before, after;

	(void)ev;
	hm_vcpu_get_stats(u->vcpu, &before);
	a->read_all = hm_vcpu_read(u->vcpu, call.buf, a->all, call.count);
	a->read_part = hm_vcpu_read(u->vcpu, call.buf + 10, a->part,
				    sizeof(a->part));
	a->read_past = hm_vcpu_read(u->vcpu, call.buf, a->past,
				    sizeof(a->past));
	a->read_str = hm_vcpu_read_str(u->vcpu, call.str, a->str,
				       sizeof(a->str));
	a->small_cap_str = hm_vcpu_read_str(u->vcpu, call.str, a->small,
					    sizeof(a->small));
	a->read_long_str = hm_vcpu_read_str(u->vcpu, VA_STR, a->long_str,
					    sizeof(a->long_str));
	a->fd_name = hm_vcpu_read_fd_name(u->vcpu, (int64_t)call.fd, a->name,
					  sizeof(a->name));
	a->bad_fd = hm_vcpu_read_fd_name(u->vcpu, (int64_t)call.bad_fd,
					 a->small, sizeof(a->small));
	{
		char **argv;
		size_t i, off = 0;

		a->args_err = hm_vcpu_get_proc_args(u->vcpu, &argv, &a->argc);
		for (i = 0; !a->args_err && i < a->argc; i++)
			off += (size_t)snprintf(a->args + off,
						sizeof(a->args) - off, "%s|",
						argv[i]);
		if (!a->args_err)
			free(argv);
	}
	hm_vcpu_get_stats(u->vcpu, &after);
	a->trips = after.round_trips - before.round_trips;
	a->whole_name = hm_vcpu_read_fd_name(u->vcpu, (int64_t)call.fd,
					     a->whole, sizeof(a->whole));
	/* A write drops the fetched bytes: the next read sees the change. */
	assert_int_equal(hm_vcpu_write(u->vcpu, call.buf, "XY", 2), 2);
	a->after_write = hm_vcpu_read(u->vcpu, call.buf, a->part, 2);
	assert_memory_equal(a->part, "XY", 2);
}

/* One event, the rule with @n fetches. */
static void run(int index, unsigned int n)
{
	struct hm_sub_rule rule = {
		.kind = HM_EVENT_SYSCALL_ENTER, .nr = NR_WRITE,
		.nr_fetches = (uint8_t)n,
	};
	struct unit *u = unit_new(guest_write);

	memcpy(rule.fetches, fetches, sizeof(fetches));
	run_index = index;
	memset(&answers[index], 0, sizeof(answers[index]));
	assert_int_equal(hm_vm_subscribe(u->vm, &rule, 1, 0), 0);
	assert_int_equal(unit_run(u, reads), 0);
	assert_int_equal(u->events, 1);
	unit_free(u);
}

static void compare(void)
{
	const struct answers *r = &answers[0], *p = &answers[1];

	assert_int_equal(p->read_all, r->read_all);
	assert_int_equal(p->read_part, r->read_part);
	assert_int_equal(p->read_past, r->read_past);
	assert_int_equal(p->read_str, r->read_str);
	assert_int_equal(p->small_cap_str, r->small_cap_str);
	assert_int_equal(p->read_long_str, r->read_long_str);
	assert_int_equal(p->fd_name, r->fd_name);
	assert_int_equal(p->bad_fd, r->bad_fd);
	assert_int_equal(p->after_write, r->after_write);
	assert_int_equal(p->whole_name, r->whole_name);
	assert_int_equal(p->args_err, r->args_err);
	assert_int_equal(p->argc, r->argc);
	assert_string_equal(p->args, r->args);
	assert_memory_equal(p->whole, r->whole, sizeof(r->whole));
	assert_memory_equal(p->all, r->all, sizeof(r->all));
	assert_memory_equal(p->part, r->part, sizeof(r->part));
	assert_memory_equal(p->past, r->past, sizeof(r->past));
	assert_memory_equal(p->str, r->str, sizeof(r->str));
	assert_memory_equal(p->small, r->small, sizeof(r->small));
	assert_memory_equal(p->long_str, r->long_str, sizeof(r->long_str));
	assert_memory_equal(p->name, r->name, sizeof(r->name));
}

/* The call's arguments; one run without fetches, one with; the same. */
static void run_both(uint64_t buf, uint64_t count, uint64_t str, uint64_t fd,
		     uint64_t bad_fd)
{
	call.buf = buf;
	call.count = count;
	call.str = str;
	call.fd = fd;
	call.bad_fd = bad_fd;
	run(0, 0);
	run(1, sizeof(fetches) / sizeof(fetches[0]));
	compare();
}

static void fetched_answers_equal_round_trips(void **state)
{
	(void)state;
	/* The string: 40 letters, then NUL. */
	run_both(VA_BUF + 4096, 200, VA_STR + STR_LEN - 40, 3, 77);
	assert_int_equal(answers[1].read_all, 200);
	assert_int_equal(answers[1].read_str, 40);
	assert_int_equal(answers[1].small_cap_str, -ENAMETOOLONG);
	assert_string_equal(answers[1].name, "socket:[1234]");
	assert_int_equal(answers[1].bad_fd, -EBADF);
	/*
	 * Without fetches every call is a round trip; with them only the
	 * read past the buffer and the string they do not cover.
	 */
	assert_int_equal(answers[0].trips, 9);
	assert_int_equal(answers[1].trips, 2);
	assert_string_equal(answers[1].args, "/bin/prog|--flag|value with spaces|");
}

/* A buffer that runs into unmapped memory: the prefix, then the fault. */
static void fetched_buffer_at_the_edge_of_a_hole(void **state)
{
	(void)state;
	/* The string: no NUL before the hole. */
	run_both(EDGE, 300, VA_NONUL, FD_LONG, 0);
	assert_int_equal(answers[1].read_all, 100);
	assert_int_equal(answers[1].read_past, 100);
	assert_int_equal(answers[1].read_str, -EFAULT);
	/* A name longer than the region left: the op reads it all. */
	assert_int_equal(answers[1].fd_name, -ENAMETOOLONG);
	assert_int_equal(answers[1].whole_name, LONG_NAME_LEN);
}

/* ---- hostile areas ---- */

static uint8_t area[512];
static size_t area_len;

static void guest_forged_area(struct fake_guest *g)
{
	struct hm_region *r = g->agent.region;
	struct hm_event_record rec = {
		.kind = HM_EVENT_SYSCALL_ENTER, .nr = NR_WRITE,
		.args = { 3, VA_BUF, 16 },
	};
	struct hm_event_task task = { .pid = PID, .comm = "fake" };

	fake_guest_offer_sub(g);
	g->agent.features |= HM_FEATURE_PREFETCH;
	fake_guest_register(g);
	memcpy(r->data, &rec, sizeof(rec));
	memcpy(r->data + sizeof(rec), &task, sizeof(task));
	memcpy(r->data + sizeof(rec) + sizeof(task), area, area_len);
	r->size = hm_le64(sizeof(rec) + sizeof(task) + area_len);
	r->op = hm_le64(HM_OP_EVENT);
	fake_guest_ring(g, HM_CALL_EVENT, FAKE_REGION_GPA);
}

/* An area of one item at offset 8, @len bytes of data after it. */
static struct hm_prefetch_item *one_item(uint8_t what, uint64_t addr,
					 int32_t result, uint64_t len)
{
	struct hm_prefetch_header h = { .nr_items = 1,
					.bytes = (uint32_t)(24 +
						 ((len + 7) & ~7ull)) };
	struct hm_prefetch_item *it = (struct hm_prefetch_item *)(area + 8);

	memset(area, 'a', sizeof(area));
	memcpy(area, &h, sizeof(h));
	*it = (struct hm_prefetch_item){ .what = what, .arg = what ==
		HM_FETCH_FD_NAME ? 0 : 1, .result = result, .addr = addr,
		.len = len };
	area_len = 8 + h.bytes;
	return it;
}

/* The last forged event's protocol errors. */
static uint64_t forged_errors;

static int forged_event(void)
{
	struct unit *u = unit_new(guest_forged_area);
	int ret = unit_run(u, NULL), events = u->events;
	struct hm_stats stats;

	hm_vcpu_get_stats(u->vcpu, &stats);
	forged_errors = stats.protocol_errors;
	unit_free(u);
	return ret == -EPROTO ? 0 : ret ? ret : events + 100;
}

static void hostile_prefetch_areas_are_eproto(void **state)
{
	struct hm_prefetch_item *it;

	(void)state;
	/* Well formed first, so that the test could fail the other way. */
	one_item(HM_FETCH_BUF, VA_BUF, 0, 16);
	assert_int_equal(forged_event(), 101);
	/* More items than there are. */
	one_item(HM_FETCH_BUF, VA_BUF, 0, 16);
	area[0] = 2;
	assert_int_equal(forged_event(), 0);
	/* More than HM_PREFETCH_MAX_ITEMS. */
	area[0] = 17;
	assert_int_equal(forged_event(), 0);
	/* bytes beyond what the event's size leaves. */
	one_item(HM_FETCH_BUF, VA_BUF, 0, 16);
	area[4] += 8;
	assert_int_equal(forged_event(), 0);
	/* An item whose length runs past the area. */
	it = one_item(HM_FETCH_BUF, VA_BUF, 0, 16);
	it->len = 400;
	assert_int_equal(forged_event(), 0);
	/* The address is not the argument's. */
	one_item(HM_FETCH_BUF, VA_BUF + 8, 0, 16);
	assert_int_equal(forged_event(), 0);
	/* A result no op gives. */
	one_item(HM_FETCH_BUF, VA_BUF, -110, 16);
	assert_int_equal(forged_event(), 0);
	/* A string with a NUL inside, or a length that is not its result. */
	it = one_item(HM_FETCH_STR, VA_BUF, 16, 16);
	it->flags = HM_PREFETCH_NUL;
	area[8 + 24 + 3] = '\0';
	assert_int_equal(forged_event(), 0);
	one_item(HM_FETCH_STR, VA_BUF, 15, 16);
	assert_int_equal(forged_event(), 0);
	/* A name of the wrong length, an error with bytes, an unknown one. */
	one_item(HM_FETCH_FD_NAME, 3, 5, 16);
	assert_int_equal(forged_event(), 0);
	one_item(HM_FETCH_FD_NAME, 3, -HM_EBADF, 8);
	assert_int_equal(forged_event(), 0);
	one_item(HM_FETCH_FD_NAME, 3, -110, 0);
	assert_int_equal(forged_event(), 0);
	/* An unknown kind of item; flags where none are defined. */
	one_item(9, VA_BUF, 0, 16);
	assert_int_equal(forged_event(), 0);
	it = one_item(HM_FETCH_BUF, VA_BUF, 0, 16);
	it->flags = 1;
	assert_int_equal(forged_event(), 0);
	/* Bytes after the last item. */
	one_item(HM_FETCH_BUF, VA_BUF, 0, 16);
	area_len += 8;
	area[4] += 8;
	assert_int_equal(forged_event(), 0);
}

/*
 * A result below Linux's errno range, INT32_MIN among them, whose negation
 * overflows: refused before it is read as an errno, and each malformed
 * record is one protocol error.
 */
static void results_below_the_errno_range_are_eproto(void **state)
{
	static const int32_t results[] = { INT32_MIN, -4096, -110 };
	struct hm_prefetch_item *it;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(results) / sizeof(results[0]); i++) {
		it = one_item(HM_FETCH_ARGV, 0, results[i], 0);
		it->arg = 0;
		assert_int_equal(forged_event(), 0);
		assert_int_equal(forged_errors, 1);
		one_item(HM_FETCH_FD_NAME, 3, results[i], 0);
		assert_int_equal(forged_event(), 0);
		assert_int_equal(forged_errors, 1);
	}
	/* The same records with an errno the guest may report: taken. */
	it = one_item(HM_FETCH_ARGV, 0, -HM_EFAULT, 0);
	it->arg = 0;
	assert_int_equal(forged_event(), 101);
	one_item(HM_FETCH_FD_NAME, 3, -HM_EBADF, 0);
	assert_int_equal(forged_event(), 101);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fetched_answers_equal_round_trips),
		cmocka_unit_test(fetched_buffer_at_the_edge_of_a_hole),
		cmocka_unit_test(hostile_prefetch_areas_are_eproto),
		cmocka_unit_test(results_below_the_errno_range_are_eproto),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
