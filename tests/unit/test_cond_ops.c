// SPDX-License-Identifier: MIT
/*
 * Condition ops (HM_FEATURE_COND_OPS): what each op means (protocol.h),
 * the rules the library takes, the agent's check of each op, strings it
 * cannot read included, the library's check of each op on a guest's
 * string, and the table a guest without the feature gets.
 */
#include <errno.h>
#include <string.h>

#include "unit.h"

#define NR_OPENAT 257
#define O_CREAT_BIT 0x40ull
#define O_TRUNC_BIT 0x200ull
/* The agent's strings in the table tests (string_at()). */
#define AT_PASSWD 0x1000ull
#define AT_FAULT 0x2000ull
#define AT_LONG 0x3000ull	/* LONG_LEN bytes: 'x's, then ".conf" */
#define LONG_LEN 300u

/* A string op on openat's pathname (arg1), its needle @needle. */
static struct hm_sub_cond str_cond(uint8_t op, const char *needle,
				   uint8_t flags)
{
	struct hm_sub_cond c = { .field = HM_FIELD_ARG0 + 1, .op = op,
				 .flags = flags };
	char b[HM_COMM_LEN] = { 0 };

	memcpy(b, needle, strnlen(needle, sizeof(b)));
	memcpy(&c.lo, b, 8);
	memcpy(&c.hi, b + 8, 8);
	return c;
}

static struct hm_sub_cond num_cond(uint8_t field, uint8_t op, uint64_t lo)
{
	return (struct hm_sub_cond){ .field = field, .op = op, .lo = lo };
}

static int str_holds(uint8_t op, const char *needle, uint8_t flags,
		     const char *s, size_t len, int whole)
{
	struct hm_sub_cond c = str_cond(op, needle, flags);

	return hm_sub_cond_str_holds(&c, s, len, whole);
}

/* ---- what each op means, on both sides ---- */

static void number_ops_hold_as_protocol_says(void **state)
{
	struct hm_sub_cond ne = num_cond(HM_FIELD_ARG0, HM_COND_NE, 1);
	struct hm_sub_cond set = num_cond(HM_FIELD_ARG0, HM_COND_BITS_SET,
					  O_CREAT_BIT | O_TRUNC_BIT);
	struct hm_sub_cond clear = num_cond(HM_FIELD_ARG0,
					    HM_COND_BITS_CLEAR, O_CREAT_BIT);

	(void)state;
	assert_int_equal(hm_sub_cond_holds(&ne, 1, NULL), 0);
	assert_int_equal(hm_sub_cond_holds(&ne, 2, NULL), 1);
	assert_int_equal(hm_sub_cond_holds(&ne, (uint64_t)-1, NULL), 1);
	assert_int_equal(hm_sub_cond_holds(&set, 0x241, NULL), 1);
	assert_int_equal(hm_sub_cond_holds(&set, 0x41, NULL), 0);
	assert_int_equal(hm_sub_cond_holds(&set, 0, NULL), 0);
	assert_int_equal(hm_sub_cond_holds(&clear, 0x201, NULL), 1);
	assert_int_equal(hm_sub_cond_holds(&clear, 0x41, NULL), 0);
}

static void string_ops_hold_as_protocol_says(void **state)
{
	const char *p = "/etc/passwd";
	size_t n = strlen(p);

	(void)state;
	/* The whole string read. */
	assert_int_equal(str_holds(HM_COND_STR_EQ, p, 0, p, n, 1), 1);
	assert_int_equal(str_holds(HM_COND_STR_EQ, "/etc/passw", 0, p, n, 1),
			 0);
	assert_int_equal(str_holds(HM_COND_STR_EQ, "/etc/passwd2", 0, p, n,
				   1), 0);
	assert_int_equal(str_holds(HM_COND_STR_PREFIX, "/etc", 0, p, n, 1),
			 1);
	assert_int_equal(str_holds(HM_COND_STR_PREFIX, "/usr", 0, p, n, 1),
			 0);
	assert_int_equal(str_holds(HM_COND_STR_PREFIX, "/etc/passwd/", 0, p,
				   n, 1), 0);
	assert_int_equal(str_holds(HM_COND_STR_SUFFIX, "wd", 0, p, n, 1), 1);
	assert_int_equal(str_holds(HM_COND_STR_SUFFIX, "/etc", 0, p, n, 1),
			 0);
	assert_int_equal(str_holds(HM_COND_STR_SUFFIX, "x/etc/passwd", 0, p,
				   n, 1), 0);
	assert_int_equal(str_holds(HM_COND_STR_CONTAINS, "c/p", 0, p, n, 1),
			 1);
	assert_int_equal(str_holds(HM_COND_STR_CONTAINS, "wd", 0, p, n, 1),
			 1);
	assert_int_equal(str_holds(HM_COND_STR_CONTAINS, "shadow", 0, p, n,
				   1), 0);
	assert_int_equal(str_holds(HM_COND_STR_CONTAINS, "", 0, p, n, 1), 1);
	assert_int_equal(str_holds(HM_COND_STR_EQ, "", 0, "", 0, 1), 1);
	/* Only a start read: what the rest could change is unknown. */
	assert_int_equal(str_holds(HM_COND_STR_EQ, p, 0, p, n, 0), -1);
	assert_int_equal(str_holds(HM_COND_STR_EQ, p, 0, p, 4, 0), -1);
	assert_int_equal(str_holds(HM_COND_STR_EQ, "/e", 0, p, 4, 0), 0);
	assert_int_equal(str_holds(HM_COND_STR_EQ, "/usr", 0, p, 4, 0), 0);
	assert_int_equal(str_holds(HM_COND_STR_PREFIX, "/etc", 0, p, 4, 0),
			 1);
	assert_int_equal(str_holds(HM_COND_STR_PREFIX, "/etc", 0, p, 3, 0),
			 -1);
	assert_int_equal(str_holds(HM_COND_STR_SUFFIX, "wd", 0, p, n, 0),
			 -1);
	assert_int_equal(str_holds(HM_COND_STR_CONTAINS, "c/p", 0, p, n, 0),
			 1);
	assert_int_equal(str_holds(HM_COND_STR_CONTAINS, "x", 0, p, n, 0),
			 -1);
}

/* A needle cut to its 16 bytes: the guest's check is a necessary one. */
static void cut_needles_are_a_necessary_condition(void **state)
{
	const char *doc = "/usr/share/doc/libc6/README";
	const char *cut = "/usr/share/doc/l";	/* doc's first 16 */
	size_t n = strlen(doc);

	(void)state;
	assert_int_equal(str_holds(HM_COND_STR_EQ, cut, HM_COND_NEEDLE_CUT,
				   doc, n, 1), 1);
	/* A string of 16 bytes or fewer is not a longer needle. */
	assert_int_equal(str_holds(HM_COND_STR_EQ, cut, HM_COND_NEEDLE_CUT,
				   cut, 16, 1), 0);
	assert_int_equal(str_holds(HM_COND_STR_EQ, cut, HM_COND_NEEDLE_CUT,
				   "/usr/share/doc/x/README", 23, 1), 0);
	assert_int_equal(str_holds(HM_COND_STR_PREFIX, cut,
				   HM_COND_NEEDLE_CUT, doc, n, 1), 1);
	assert_int_equal(str_holds(HM_COND_STR_CONTAINS, cut,
				   HM_COND_NEEDLE_CUT, doc, n, 1), 1);
	assert_int_equal(str_holds(HM_COND_STR_SUFFIX, "/libc6/README",
				   0, doc, n, 1), 1);
	assert_int_equal(str_holds(HM_COND_STR_SUFFIX, "doc/libc6/README",
				   HM_COND_NEEDLE_CUT, doc, n, 1), 1);
	assert_int_equal(str_holds(HM_COND_STR_SUFFIX, "doc/libc6/READMX",
				   HM_COND_NEEDLE_CUT, doc, n, 1), 0);
}

/* ---- the rules the library takes ---- */

static void malformed_cond_ops_are_einval(void **state)
{
	struct hm_sub_rule r = {
		.kind = HM_EVENT_SYSCALL_ENTER, .nr = NR_OPENAT, .nr_conds = 1,
	};
	struct hm_sub_cond bad[] = {
		num_cond(HM_FIELD_ARG0, HM_COND_OP_MAX + 1, 0),
		num_cond(HM_FIELD_COMM, HM_COND_NE, 0),
		num_cond(HM_FIELD_COMM, HM_COND_STR_EQ, 0),
		num_cond(HM_FIELD_PID, HM_COND_STR_PREFIX, 0),
		num_cond(HM_FIELD_ARG0, HM_COND_NE, 1),
		str_cond(HM_COND_STR_EQ, "/etc", HM_COND_SIGNED),
		/* A cut needle has all 16 bytes; padding is NULs only. */
		str_cond(HM_COND_STR_PREFIX, "/etc", HM_COND_NEEDLE_CUT),
		str_cond(HM_COND_STR_PREFIX, "/etc", 0),
		num_cond(HM_FIELD_ARG0, HM_COND_RANGE, 0),
	};
	struct hm_vm *vm;
	unsigned int i;

	(void)state;
	bad[4].hi = 1;				/* NE takes lo alone */
	bad[4].flags = 0;
	bad[7].hi = 0x4100000000000000ull;	/* a byte after the NUL */
	bad[8].flags = HM_COND_NEEDLE_CUT;	/* on a range */
	assert_int_equal(hm_vm_new(&vm), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r.conds[0] = bad[i];
		assert_int_equal(hm_vm_subscribe(vm, &r, 1, 0), -EINVAL);
	}
	/* A process event's arguments are no addresses. */
	r.kind = HM_EVENT_PROCESS;
	r.nr = HM_PROC_EXEC;
	r.conds[0] = str_cond(HM_COND_STR_PREFIX, "/etc", 0);
	r.conds[0].field = HM_FIELD_ARG0;
	assert_int_equal(hm_vm_subscribe(vm, &r, 1, 0), -EINVAL);
	r.conds[0] = num_cond(HM_FIELD_ARG0, HM_COND_BITS_SET, 1);
	assert_int_equal(hm_vm_subscribe(vm, &r, 1, 0), 0);
	r.kind = HM_EVENT_SYSCALL_ENTER;
	r.nr = NR_OPENAT;
	r.conds[0] = str_cond(HM_COND_STR_EQ, "/usr/share/doc/l",
			      HM_COND_NEEDLE_CUT);
	assert_int_equal(hm_vm_subscribe(vm, &r, 1, 0), 0);
	hm_vm_free(vm);
}

/* ---- the agent's check ---- */

static struct hm_sub_page page;
static struct hm_agent agent;
static char long_string[LONG_LEN + 1];

static long string_at(void *ctx, char *dst, uint64_t src, size_t len,
		      size_t *copied)
{
	const char *s = src == AT_PASSWD ? "/etc/passwd" :
			src == AT_LONG ? long_string : NULL;
	size_t n;

	(void)ctx;
	*copied = 0;
	if (!s)
		return -HM_EFAULT;
	n = strnlen(s, len);
	memcpy(dst, s, n);
	*copied = n;
	return (long)n;
}

static const struct hm_agent_ops string_ops = {
	.string_from = string_at,
};

static void table_of(const struct hm_sub_cond *c, uint64_t features)
{
	memset(&page, 0, sizeof(page));
	page.header.magic = HM_SUB_MAGIC;
	page.header.seq = 2;
	page.header.flags = HM_SUB_ACTIVE;
	page.header.nr_rules = 1;
	page.rules[0] = (struct hm_sub_rule){
		.kind = HM_EVENT_SYSCALL_ENTER, .nr = NR_OPENAT,
		.nr_conds = 1, .conds = { *c },
	};
	agent = (struct hm_agent){ .ops = &string_ops, .sub = &page,
				   .sub_taken = 1, .features = features };
}

/* openat(dirfd, path, flags) */
static enum hm_want openat_wanted(uint64_t dirfd, uint64_t path,
				  uint64_t flags)
{
	struct hm_event_record ev = {
		.kind = HM_EVENT_SYSCALL_ENTER, .nr = NR_OPENAT,
		.args = { dirfd, path, flags },
	};

	return hm_agent_wants(&agent, &ev);
}

static enum hm_want agent_on(struct hm_sub_cond c, uint64_t path)
{
	table_of(&c, HM_FEATURE_COND_OPS);
	return openat_wanted(3, path, O_CREAT_BIT);
}

static void agent_checks_each_op(void **state)
{
	(void)state;
	memset(long_string, 'x', LONG_LEN - 5);
	memcpy(long_string + LONG_LEN - 5, ".conf", 6);
	assert_int_equal(agent_on(num_cond(HM_FIELD_ARG0, HM_COND_NE, 3),
				  AT_PASSWD), HM_WANT_NO);
	assert_int_equal(agent_on(num_cond(HM_FIELD_ARG0, HM_COND_NE, 1),
				  AT_PASSWD), HM_WANT_YES);
	assert_int_equal(agent_on(num_cond(HM_FIELD_ARG0 + 2,
					   HM_COND_BITS_SET, O_CREAT_BIT),
				  AT_PASSWD), HM_WANT_YES);
	assert_int_equal(agent_on(num_cond(HM_FIELD_ARG0 + 2,
					   HM_COND_BITS_SET,
					   O_CREAT_BIT | O_TRUNC_BIT),
				  AT_PASSWD), HM_WANT_NO);
	assert_int_equal(agent_on(num_cond(HM_FIELD_ARG0 + 2,
					   HM_COND_BITS_CLEAR, O_TRUNC_BIT),
				  AT_PASSWD), HM_WANT_YES);
	assert_int_equal(agent_on(num_cond(HM_FIELD_ARG0 + 2,
					   HM_COND_BITS_CLEAR, O_CREAT_BIT),
				  AT_PASSWD), HM_WANT_NO);
	assert_int_equal(agent_on(str_cond(HM_COND_STR_EQ, "/etc/passwd", 0),
				  AT_PASSWD), HM_WANT_YES);
	assert_int_equal(agent_on(str_cond(HM_COND_STR_EQ, "/etc", 0),
				  AT_PASSWD), HM_WANT_NO);
	assert_int_equal(agent_on(str_cond(HM_COND_STR_PREFIX, "/etc", 0),
				  AT_PASSWD), HM_WANT_YES);
	assert_int_equal(agent_on(str_cond(HM_COND_STR_PREFIX, "/usr", 0),
				  AT_PASSWD), HM_WANT_NO);
	assert_int_equal(agent_on(str_cond(HM_COND_STR_SUFFIX, "passwd", 0),
				  AT_PASSWD), HM_WANT_YES);
	assert_int_equal(agent_on(str_cond(HM_COND_STR_SUFFIX, "shadow", 0),
				  AT_PASSWD), HM_WANT_NO);
	assert_int_equal(agent_on(str_cond(HM_COND_STR_CONTAINS, "c/pa", 0),
				  AT_PASSWD), HM_WANT_YES);
	assert_int_equal(agent_on(str_cond(HM_COND_STR_CONTAINS, "cp", 0),
				  AT_PASSWD), HM_WANT_NO);
	assert_int_equal(agent_on(str_cond(HM_COND_STR_EQ, "/etc/passwd/abcd",
					   HM_COND_NEEDLE_CUT), AT_PASSWD),
			 HM_WANT_NO);
	assert_int_equal(agent_on(str_cond(HM_COND_STR_PREFIX,
					   "/etc/passwdxxxxx",
					   HM_COND_NEEDLE_CUT), AT_PASSWD),
			 HM_WANT_NO);
}

/* A string it cannot read, or not all of it, never holds: the host says. */
static void agent_raises_what_an_unread_string_leaves_open(void **state)
{
	(void)state;
	memset(long_string, 'x', LONG_LEN - 5);
	memcpy(long_string + LONG_LEN - 5, ".conf", 6);
	assert_int_equal(agent_on(str_cond(HM_COND_STR_PREFIX, "/etc", 0),
				  AT_FAULT), HM_WANT_YES);
	assert_int_equal(agent_on(str_cond(HM_COND_STR_EQ, "/etc", 0),
				  AT_FAULT), HM_WANT_YES);
	/* Past HM_COND_STR_MAX bytes: a start decides a prefix alone. */
	assert_int_equal(agent_on(str_cond(HM_COND_STR_SUFFIX, ".conf", 0),
				  AT_LONG), HM_WANT_YES);
	assert_int_equal(agent_on(str_cond(HM_COND_STR_SUFFIX, ".txt", 0),
				  AT_LONG), HM_WANT_YES);
	assert_int_equal(agent_on(str_cond(HM_COND_STR_CONTAINS, ".conf", 0),
				  AT_LONG), HM_WANT_YES);
	assert_int_equal(agent_on(str_cond(HM_COND_STR_PREFIX, "xxx", 0),
				  AT_LONG), HM_WANT_YES);
	assert_int_equal(agent_on(str_cond(HM_COND_STR_PREFIX, "/etc", 0),
				  AT_LONG), HM_WANT_NO);
	assert_int_equal(agent_on(str_cond(HM_COND_STR_EQ, "xxxx", 0),
				  AT_LONG), HM_WANT_NO);
}

/*
 * An agent that did not negotiate the feature takes an op for a field
 * it does not know: the rule's other conditions decide.
 */
static void agent_without_the_feature_leaves_ops_to_the_host(void **state)
{
	struct hm_sub_cond c = str_cond(HM_COND_STR_PREFIX, "/usr", 0);

	(void)state;
	table_of(&c, 0);
	assert_int_equal(openat_wanted(3, AT_PASSWD, 0), HM_WANT_YES);
	c = num_cond(HM_FIELD_ARG0, HM_COND_NE, 3);
	table_of(&c, 0);
	assert_int_equal(openat_wanted(3, AT_PASSWD, 0), HM_WANT_YES);
	page.rules[0].nr_conds = 2;
	page.rules[0].conds[1] = (struct hm_sub_cond){
		.field = HM_FIELD_ARG0, .lo = 4, .hi = 4 };
	assert_int_equal(openat_wanted(3, AT_PASSWD, 0), HM_WANT_NO);
}

/* ---- the library's check, on the fake guest's strings ---- */

static void guest_opens(struct fake_guest *g)
{
	fake_guest_register(g);
	fake_guest_raise(g, HM_EVENT_SYSCALL_ENTER, NR_OPENAT, 3, VA_BUF,
			 O_CREAT_BIT);
	fake_guest_raise(g, HM_EVENT_SYSCALL_ENTER, NR_OPENAT, 3, VA_NONUL,
			 0);
}

static int host_on(struct unit *u, const struct hm_event *ev,
		   struct hm_sub_cond c)
{
	struct hm_sub_rule r = {
		.kind = HM_EVENT_SYSCALL_ENTER, .nr = NR_OPENAT, .nr_conds = 1,
		.conds = { c },
	};

	return hm_vcpu_event_matches(u->vcpu, ev, &r);
}

static void host_checks(struct unit *u, const struct hm_event *ev)
{
	struct hm_sub_rule r = {
		.kind = HM_EVENT_SYSCALL_ENTER, .nr = NR_OPENAT, .nr_conds = 1,
		.conds = { str_cond(HM_COND_STR_EQ, "/etc/passwd", 0) },
	};

	if (ev->args[1] == VA_NONUL) {
		/* No NUL before the hole: no string, the condition fails. */
		assert_int_equal(host_on(u, ev, str_cond(HM_COND_STR_CONTAINS,
							 "", 0)), 0);
		return;
	}
	assert_int_equal(host_on(u, ev, num_cond(HM_FIELD_ARG0, HM_COND_NE,
						 3)), 0);
	assert_int_equal(host_on(u, ev, num_cond(HM_FIELD_ARG0, HM_COND_NE,
						 1)), 1);
	assert_int_equal(host_on(u, ev, num_cond(HM_FIELD_ARG0 + 2,
						 HM_COND_BITS_SET,
						 O_CREAT_BIT)), 1);
	assert_int_equal(host_on(u, ev, num_cond(HM_FIELD_ARG0 + 2,
						 HM_COND_BITS_CLEAR,
						 O_CREAT_BIT)), 0);
	assert_int_equal(host_on(u, ev, str_cond(HM_COND_STR_EQ,
						 "/etc/passwd", 0)), 1);
	assert_int_equal(host_on(u, ev, str_cond(HM_COND_STR_EQ, "/etc", 0)),
			 0);
	assert_int_equal(host_on(u, ev, str_cond(HM_COND_STR_PREFIX, "/etc",
						 0)), 1);
	assert_int_equal(host_on(u, ev, str_cond(HM_COND_STR_SUFFIX,
						 "shadow", 0)), 0);
	assert_int_equal(host_on(u, ev, str_cond(HM_COND_STR_CONTAINS,
						 "c/pass", 0)), 1);
	assert_int_equal(host_on(u, ev, str_cond(HM_COND_STR_PREFIX,
						 "/etc/passwdxxxxx",
						 HM_COND_NEEDLE_CUT)), 0);
	/* Without a vCPU no string can be read. */
	assert_int_equal(hm_vcpu_event_matches(NULL, ev, &r), -EINVAL);
}

static void host_checks_each_op_on_the_guests_string(void **state)
{
	struct unit *u = unit_new(guest_opens);

	(void)state;
	strcpy((char *)u->buf, "/etc/passwd");
	assert_int_equal(unit_run(u, host_checks), 0);
	assert_int_equal(u->events, 2);
	unit_free(u);
}

/* ---- the table each guest gets ---- */

static struct {
	uint8_t nr_conds;
	uint8_t op[HM_SUB_MAX_CONDS];
} seen;

static void guest_reads_its_table(struct fake_guest *g, uint64_t features)
{
	const struct hm_sub_rule *r;
	unsigned int i;

	fake_guest_offer_sub(g);
	g->agent.features |= features;
	fake_guest_register(g);
	r = &g->agent.sub->rules[0];
	seen.nr_conds = r->nr_conds;
	for (i = 0; i < HM_SUB_MAX_CONDS; i++)
		seen.op[i] = r->conds[i].op;
}

static void guest_with_cond_ops(struct fake_guest *g)
{
	guest_reads_its_table(g, HM_FEATURE_COND_OPS);
}

static void guest_without_cond_ops(struct fake_guest *g)
{
	guest_reads_its_table(g, 0);
}

static void table_for(fake_guest_fn guest_main)
{
	struct hm_sub_rule r = {
		.kind = HM_EVENT_SYSCALL_ENTER, .nr = NR_OPENAT, .nr_conds = 3,
		.conds = {
			num_cond(HM_FIELD_ARG0, HM_COND_NE, 1),
			{ .field = HM_FIELD_ARG0 + 2, .lo = 0, .hi = 7 },
			str_cond(HM_COND_STR_PREFIX, "/etc", 0),
		},
	};
	struct unit *u = unit_new(guest_main);

	memset(&seen, 0, sizeof(seen));
	assert_int_equal(hm_vm_subscribe(u->vm, &r, 1, 0), 0);
	assert_int_equal(unit_run(u, NULL), 0);
	unit_free(u);
}

static void guest_without_the_feature_gets_ranges_only(void **state)
{
	(void)state;
	table_for(guest_with_cond_ops);
	assert_int_equal(seen.nr_conds, 3);
	assert_int_equal(seen.op[0], HM_COND_NE);
	assert_int_equal(seen.op[2], HM_COND_STR_PREFIX);
	table_for(guest_without_cond_ops);
	assert_int_equal(seen.nr_conds, 1);
	assert_int_equal(seen.op[0], HM_COND_RANGE);
	assert_int_equal(seen.op[1], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(number_ops_hold_as_protocol_says),
		cmocka_unit_test(string_ops_hold_as_protocol_says),
		cmocka_unit_test(cut_needles_are_a_necessary_condition),
		cmocka_unit_test(malformed_cond_ops_are_einval),
		cmocka_unit_test(agent_checks_each_op),
		cmocka_unit_test(
			agent_raises_what_an_unread_string_leaves_open),
		cmocka_unit_test(
			agent_without_the_feature_leaves_ops_to_the_host),
		cmocka_unit_test(host_checks_each_op_on_the_guests_string),
		cmocka_unit_test(guest_without_the_feature_gets_ranges_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
