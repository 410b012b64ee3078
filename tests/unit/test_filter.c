// SPDX-License-Identifier: MIT
/*
 * The bindings' filters (bindings/filter.c) with operators: the
 * conditions each makes, and the host's check of a needle longer than a
 * rule holds, on the fake guest's strings, which the guest sends with
 * the event so that the check costs no round trip.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "filter.h"
#include "syscalls.h"
#include "unit.h"

#define NR_OPENAT (syscall_by_name("openat")->nr)
#define O_CREAT_BIT 0x40
#define LIBC_README "/usr/share/doc/libc6/README"
#define LIBZZ_README "/usr/share/doc/libzz/README"
#define OTHER_README "/usr/other/doc/libc6/README"

/* The guest's strings: one in each 256 bytes of VA_BUF. */
static const char *const paths[] = {
	LIBC_README, LIBZZ_README, OTHER_README, "/etc/passwd",
};
#define NR_PATHS (sizeof(paths) / sizeof(paths[0]))

static struct filter openat_filter(const char *key, struct filter_value v)
{
	char msg[FILTER_MSG_MAX] = "";
	struct filter f;

	filter_init(&f, HM_EVENT_SYSCALL_ENTER, (int64_t)NR_OPENAT);
	assert_int_equal(filter_add(&f, key, &v, msg), 0);
	assert_string_equal(msg, "");
	return f;
}

static struct filter_value op(const char *name, const char *text)
{
	return (struct filter_value){ .type = FILTER_TEXT, .op = name,
				      .text = text, .len = strlen(text) };
}

static struct filter_value number(const char *name, int64_t x)
{
	return (struct filter_value){ .type = FILTER_INTEGER, .op = name,
				      .lo = x };
}

static void operators_make_these_conditions(void **state)
{
	struct filter f;
	const struct hm_sub_cond *c = &f.rule.conds[0];
	char msg[FILTER_MSG_MAX];
	struct filter_value yes = { .type = FILTER_BOOL, .op = "success",
				    .lo = 1 };
	unsigned int i, strs = 0;

	(void)state;
	f = openat_filter("dfd", number("gt", 5));
	assert_int_equal(c->op, HM_COND_RANGE);
	assert_int_equal(c->flags, 0);
	assert_int_equal(c->lo, 6);
	assert_int_equal(c->hi, UINT64_MAX);
	f = openat_filter("dfd", number("lt", -1));
	assert_int_equal(c->flags, HM_COND_SIGNED);
	assert_int_equal(c->lo, (uint64_t)INT64_MIN);
	assert_int_equal(c->hi, (uint64_t)-2);
	f = openat_filter("flags", number("bits_clear", O_CREAT_BIT));
	assert_int_equal(c->op, HM_COND_BITS_CLEAR);
	assert_int_equal(c->lo, O_CREAT_BIT);
	assert_int_equal(c->hi, 0);
	/* A needle of 16 bytes fits; a longer one is cut, a suffix's end. */
	f = openat_filter("filename", op("str", "/usr/share/doc/l"));
	assert_int_equal(c->op, HM_COND_STR_EQ);
	assert_int_equal(c->flags, 0);
	f = openat_filter("filename", op("suffix", OTHER_README));
	assert_int_equal(c->op, HM_COND_STR_SUFFIX);
	assert_int_equal(c->flags, HM_COND_NEEDLE_CUT);
	assert_memory_equal(&c->lo, "doc/libc6/README", 8);
	assert_memory_equal(&c->hi, "6/README", 8);
	assert_string_equal(f.needle[0], OTHER_README);
	/* openat fetches its path already: not twice. */
	for (i = 0; i < f.rule.nr_fetches; i++)
		strs += f.rule.fetches[i].what == HM_FETCH_STR &&
			f.rule.fetches[i].arg == 1;
	assert_int_equal(strs, 1);
	filter_init(&f, HM_EVENT_SYSCALL_EXIT, (int64_t)NR_OPENAT);
	assert_int_equal(filter_add(&f, "ret", &yes, msg), 0);
	assert_int_equal(c->flags, HM_COND_SIGNED);
	assert_int_equal(c->lo, 0);
	assert_int_equal(c->hi, INT64_MAX);
	yes.op = "error";
	assert_int_equal(filter_add(&f, "ret", &yes, msg), 0);
	assert_int_equal(f.rule.conds[1].lo, (uint64_t)-4095);
	assert_int_equal(f.rule.conds[1].hi, (uint64_t)-1);
	/* A string op on a syscall's argument without a name: still one. */
	filter_init(&f, HM_EVENT_USER, 7);
	assert_int_equal(filter_add(&f, "arg3", &(struct filter_value){
			.type = FILTER_TEXT, .op = "contains", .text = "x",
			.len = 1 }, msg), 0);
	assert_int_equal(f.rule.fetches[0].what, HM_FETCH_STR);
	assert_int_equal(f.rule.fetches[0].arg, 2);
}

/* ---- the host's check of a whole needle ---- */

static struct filter subscribed;
static struct {
	enum hm_want want[NR_PATHS];
	int matches[NR_PATHS];
	uint64_t trips[NR_PATHS];
} seen;

static void guest_opens_each_path(struct fake_guest *g)
{
	unsigned int i;

	fake_guest_offer_sub(g);
	g->agent.features |= HM_FEATURE_PREFETCH | HM_FEATURE_COND_OPS;
	fake_guest_register(g);
	for (i = 0; i < NR_PATHS; i++) {
		struct hm_event_record ev = {
			.kind = HM_EVENT_SYSCALL_ENTER, .nr = NR_OPENAT,
			.args = { (uint64_t)-100, VA_BUF + 256 * i, 0 },
		};
		struct hm_fetch_list fl;

		seen.want[i] = hm_agent_wants_fetching(&g->agent, &ev, &fl);
		if (seen.want[i] == HM_WANT_YES)
			hm_agent_raise_fetching(&g->agent, &ev, &fl);
	}
}

static void check_on_host(struct unit *u, const struct hm_event *ev)
{
	unsigned int i = (unsigned int)((ev->args[1] - VA_BUF) / 256);
	struct hm_stats before, after;

	hm_vcpu_get_stats(u->vcpu, &before);
	seen.matches[i] = filter_matches(u->vcpu, ev, &subscribed);
	hm_vcpu_get_stats(u->vcpu, &after);
	seen.trips[i] = after.round_trips - before.round_trips;
}

/*
 * The guest raises what the needle's 16 bytes let through (not
 * /etc/passwd); the host checks the whole needle on the string the
 * event brought.
 */
static void run_with(struct filter_value v)
{
	struct unit *u = unit_new(guest_opens_each_path);
	unsigned int i;

	memset(&seen, 0, sizeof(seen));
	for (i = 0; i < NR_PATHS; i++)
		strcpy((char *)u->buf + 256 * i, paths[i]);
	subscribed = openat_filter("filename", v);
	assert_int_equal(subscribed.rule.conds[0].flags, HM_COND_NEEDLE_CUT);
	assert_int_equal(hm_vm_subscribe(u->vm, &subscribed.rule, 1, 0), 0);
	assert_int_equal(unit_run(u, check_on_host), 0);
	assert_int_equal(seen.want[3], HM_WANT_NO);
	for (i = 0; i < NR_PATHS; i++)
		assert_int_equal(seen.trips[i], 0);
	unit_free(u);
}

static void host_checks_the_whole_needle(void **state)
{
	static const int yes_no_no[] = { 1, 0, 0 };
	unsigned int i;

	(void)state;
	run_with(op("prefix", "/usr/share/doc/libc6/"));
	for (i = 0; i < 2; i++)
		assert_int_equal(seen.want[i], HM_WANT_YES);
	assert_int_equal(seen.want[2], HM_WANT_NO);
	assert_memory_equal(seen.matches, yes_no_no, sizeof(yes_no_no));
	run_with(op("str", LIBC_README));
	assert_int_equal(seen.want[1], HM_WANT_YES);
	assert_memory_equal(seen.matches, yes_no_no, sizeof(yes_no_no));
	run_with(op("contains", "share/doc/libc6/RE"));
	assert_int_equal(seen.want[2], HM_WANT_NO);
	assert_memory_equal(seen.matches, yes_no_no, sizeof(yes_no_no));
	/* The guest checks the end: the other path's is the same. */
	run_with(op("suffix", "/share/doc/libc6/README"));
	assert_int_equal(seen.want[1], HM_WANT_NO);
	assert_int_equal(seen.want[2], HM_WANT_YES);
	assert_memory_equal(seen.matches, yes_no_no, sizeof(yes_no_no));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(operators_make_these_conditions),
		cmocka_unit_test(host_checks_the_whole_needle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
