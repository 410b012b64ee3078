// SPDX-License-Identifier: MIT
/*
 * Filters and the fetches declared with them (filter.h), for Lua's hooks
 * and Python's plugins alike. What a condition means once made is
 * protocol.h's, for the guest and the library both.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* memmem */
#endif
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "filter.h"
#include "syscalls.h"

static int fail(char *msg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(char *msg, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, FILTER_MSG_MAX, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* The names of the rule's arguments, where its kind and number have them. */
static const struct syscall_desc *rule_desc(const struct hm_sub_rule *rule)
{
	if (rule->flags & HM_RULE_ANY_NR)
		return NULL;
	if (rule->kind == HM_EVENT_PROCESS)
		return process_event_by_nr(rule->nr);
	if (rule->kind == HM_EVENT_SYSCALL_ENTER ||
	    rule->kind == HM_EVENT_SYSCALL_EXIT)
		return syscall_by_nr(rule->nr);
	return NULL;
}

static int arg_index(const struct syscall_desc *d, const char *name)
{
	int i;

	for (i = 0; i < 6 && d->args[i]; i++) {
		if (!strcmp(d->args[i], name))
			return i;
	}
	return -1;
}

static int starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static void add_fetch(struct hm_sub_rule *rule, uint8_t what, int arg,
		      int len_arg, uint32_t cap)
{
	if (arg < 0 || rule->nr_fetches == HM_SUB_MAX_FETCHES)
		return;
	rule->fetches[rule->nr_fetches++] = (struct hm_sub_fetch){
		.what = what, .arg = (uint8_t)arg,
		.len_arg = (uint8_t)(len_arg < 0 ? 0 : len_arg), .cap = cap,
	};
}

/*
 * What a handler of the syscall @d is likely to read: the name behind
 * its fd, the path it names, and buf's count bytes where they hold data
 * (a write's entry, a read's return). A read outside them is a round
 * trip as before, with the same answer.
 */
static void declare_fetches(struct hm_sub_rule *rule,
			    const struct syscall_desc *d)
{
	int buf = arg_index(d, "buf"), len = arg_index(d, "count");
	int enter = rule->kind == HM_EVENT_SYSCALL_ENTER;

	if (len < 0)
		len = arg_index(d, "len");
	if (buf >= 0 && len >= 0 &&
	    (enter ? starts_with(d->name, "write") ||
		     starts_with(d->name, "pwrite") ||
		     starts_with(d->name, "send") :
		     starts_with(d->name, "read") ||
		     starts_with(d->name, "pread") ||
		     starts_with(d->name, "recv")))
		add_fetch(rule, HM_FETCH_BUF, buf, len, 4096);
	add_fetch(rule, HM_FETCH_FD_NAME, arg_index(d, "fd"), -1, 0);
	add_fetch(rule, HM_FETCH_STR, arg_index(d, "filename"), -1, 256);
	add_fetch(rule, HM_FETCH_STR, arg_index(d, "pathname"), -1, 256);
	add_fetch(rule, HM_FETCH_STR, arg_index(d, "path"), -1, 256);
	add_fetch(rule, HM_FETCH_ARGV, 0, -1, 4096);
}

void filter_init(struct filter *f, uint32_t kind, int64_t nr)
{
	struct hm_sub_rule *rule = &f->rule;
	const struct syscall_desc *d;

	memset(f, 0, sizeof(*f));
	rule->kind = kind;
	rule->flags = nr == FILTER_ANY_NR ? HM_RULE_ANY_NR : 0;
	rule->nr = nr == FILTER_ANY_NR ? 0 : (uint64_t)nr;
	d = rule_desc(rule);
	/* An exec's new argv comes with it; a syscall's reads by its args. */
	if (kind == HM_EVENT_PROCESS && nr == HM_PROC_EXEC)
		add_fetch(rule, HM_FETCH_ARGV, 0, -1, 4096);
	else if (d && kind != HM_EVENT_PROCESS)
		declare_fetches(rule, d);
}

/* The field @key names, or -EINVAL. */
static int field_of(const struct hm_sub_rule *rule, const char *key,
		    char *msg)
{
	const struct syscall_desc *d = rule_desc(rule);
	int i;

	if (!strcmp(key, "pid"))
		return HM_FIELD_PID;
	if (!strcmp(key, "comm"))
		return HM_FIELD_COMM;
	if (!strcmp(key, "ret"))
		return rule->kind == HM_EVENT_SYSCALL_EXIT ? HM_FIELD_RET :
		       fail(msg, "filter ret: only at \"return\"");
	if (!strncmp(key, "arg", 3) && key[3] >= '1' && key[3] <= '6' &&
	    !key[4])
		return HM_FIELD_ARG0 + key[3] - '1';
	for (i = 0; d && i < 6 && d->args[i]; i++) {
		if (!strcmp(key, d->args[i]))
			return HM_FIELD_ARG0 + i;
	}
	return fail(msg, "filter: unknown key '%s' (pid, comm, ret, "
		    "arg1..arg6%s)", key,
		    d ? " or the syscall's argument names" : "");
}

/*
 * comm = "name": at most HM_COMM_LEN - 1 bytes, no NUL among them, in lo's
 * bytes then hi's, NUL-padded (protocol.h).
 */
static int comm_cond(struct hm_sub_cond *c, const struct filter_value *v,
		     char *msg)
{
	char name[HM_COMM_LEN] = { 0 };

	if (v->op || v->type != FILTER_TEXT || v->len >= HM_COMM_LEN ||
	    memchr(v->text, '\0', v->len))
		return fail(msg, "filter comm: a name of at most %u bytes",
			    HM_COMM_LEN - 1);
	memcpy(name, v->text, v->len);
	memcpy(&c->lo, name, 8);
	memcpy(&c->hi, name + 8, 8);
	return 0;
}

/* An integer, or lo and hi: signed where a bound is below 0, or ret. */
static int range_cond(struct hm_sub_cond *c, const char *key,
		      const struct filter_value *v, char *msg)
{
	int64_t lo = v->lo, hi = v->type == FILTER_RANGE ? v->hi : v->lo;

	if (v->type != FILTER_INTEGER && v->type != FILTER_RANGE)
		return fail(msg, "filter %s: an integer, lo and hi for a "
			    "range, or one operator and its value", key);
	if (lo < 0 || hi < 0 || c->field == HM_FIELD_RET)
		c->flags = HM_COND_SIGNED;
	c->lo = (uint64_t)lo;
	c->hi = (uint64_t)hi;
	/* lo within [lo, hi]: lo <= hi, compared as the condition will. */
	if (!hm_sub_cond_holds(c, c->lo, NULL))
		return fail(msg, "filter %s: lo is above hi", key);
	return 0;
}

/*
 * gt, ge, lt, le: a range to the end of the field's values, signed where
 * the bound is below 0 or the key is ret.
 */
static int bound_cond(struct hm_sub_cond *c, const char *key,
		      const struct filter_value *v, char *msg)
{
	int sign = v->lo < 0 || c->field == HM_FIELD_RET;
	uint64_t min = sign ? (uint64_t)INT64_MIN : 0;
	uint64_t max = sign ? (uint64_t)INT64_MAX : UINT64_MAX;
	uint64_t x = (uint64_t)v->lo;
	int above = v->op[0] == 'g', strict = v->op[1] == 't';

	if (v->type != FILTER_INTEGER)
		return fail(msg, "filter %s: %s takes an integer", key,
			    v->op);
	if (strict && x == (above ? max : min))
		return fail(msg, "filter %s: %s %lld matches nothing", key,
			    v->op, (long long)v->lo);
	c->flags = sign ? HM_COND_SIGNED : 0;
	c->lo = above ? x + (uint64_t)strict : min;
	c->hi = above ? max : x - (uint64_t)strict;
	return 0;
}

/* ne, bits_set, bits_clear: lo alone. */
static int number_cond(struct hm_sub_cond *c, const char *key, uint8_t op,
		       const struct filter_value *v, char *msg)
{
	if (v->type != FILTER_INTEGER)
		return fail(msg, "filter %s: %s takes an integer", key,
			    v->op);
	c->op = op;
	c->lo = (uint64_t)v->lo;
	return 0;
}

/* success: ret >= 0; error: a -errno value, as Linux returns them. */
static int outcome_cond(struct hm_sub_cond *c, const char *key,
			const struct filter_value *v, char *msg)
{
	if (c->field != HM_FIELD_RET)
		return fail(msg, "filter %s: %s only on ret", key, v->op);
	if (v->type != FILTER_BOOL || !v->lo)
		return fail(msg, "filter %s: %s takes true", key, v->op);
	c->flags = HM_COND_SIGNED;
	c->lo = v->op[0] == 's' ? 0 : (uint64_t)-4095;
	c->hi = v->op[0] == 's' ? (uint64_t)INT64_MAX : (uint64_t)-1;
	return 0;
}

/* The string fetch the host's check of a string condition reads. */
static void fetch_string(struct hm_sub_rule *rule, int arg)
{
	unsigned int i;

	for (i = 0; i < rule->nr_fetches; i++) {
		if (rule->fetches[i].what == HM_FETCH_STR &&
		    rule->fetches[i].arg == arg)
			return;
	}
	add_fetch(rule, HM_FETCH_STR, arg, -1, HM_COND_STR_MAX);
}

/*
 * str, prefix, suffix, contains: the needle in lo's bytes then hi's,
 * NUL-padded; a longer one cut to its 16 first bytes (last, for a
 * suffix), whole in @needle.
 */
static int needle_cond(struct filter *f, struct hm_sub_cond *c,
		       const char *key, uint8_t op,
		       const struct filter_value *v, char *needle, char *msg)
{
	char b[HM_COMM_LEN] = { 0 };
	const char *from = v->text;

	if (c->field > HM_FIELD_ARG0 + 5 ||
	    f->rule.kind == HM_EVENT_PROCESS)
		return fail(msg, "filter %s: %s only on an argument (it "
			    "reads the string the argument points to)", key,
			    v->op);
	if (v->type != FILTER_TEXT || v->len > FILTER_NEEDLE_MAX ||
	    memchr(v->text, '\0', v->len))
		return fail(msg, "filter %s: %s takes a text of at most %u "
			    "bytes", key, v->op, FILTER_NEEDLE_MAX);
	c->op = op;
	if (v->len > HM_COMM_LEN) {
		c->flags = HM_COND_NEEDLE_CUT;
		if (op == HM_COND_STR_SUFFIX)
			from += v->len - HM_COMM_LEN;
		memcpy(needle, v->text, v->len);
		needle[v->len] = '\0';
	}
	memcpy(b, from, v->len < HM_COMM_LEN ? v->len : HM_COMM_LEN);
	memcpy(&c->lo, b, 8);
	memcpy(&c->hi, b + 8, 8);
	fetch_string(&f->rule, c->field - HM_FIELD_ARG0);
	return 0;
}

static const struct {
	const char *name;
	uint8_t op;
} needle_ops[] = {
	{ "str", HM_COND_STR_EQ },
	{ "prefix", HM_COND_STR_PREFIX },
	{ "suffix", HM_COND_STR_SUFFIX },
	{ "contains", HM_COND_STR_CONTAINS },
};

/* The condition of an operator and its value. */
static int op_cond(struct filter *f, struct hm_sub_cond *c, const char *key,
		   const struct filter_value *v, char *needle, char *msg)
{
	const char *op = v->op;
	unsigned int i;

	if (!strcmp(op, "gt") || !strcmp(op, "ge") || !strcmp(op, "lt") ||
	    !strcmp(op, "le"))
		return bound_cond(c, key, v, msg);
	if (!strcmp(op, "ne"))
		return number_cond(c, key, HM_COND_NE, v, msg);
	if (!strcmp(op, "bits_set"))
		return number_cond(c, key, HM_COND_BITS_SET, v, msg);
	if (!strcmp(op, "bits_clear"))
		return number_cond(c, key, HM_COND_BITS_CLEAR, v, msg);
	if (!strcmp(op, "success") || !strcmp(op, "error"))
		return outcome_cond(c, key, v, msg);
	for (i = 0; i < sizeof(needle_ops) / sizeof(needle_ops[0]); i++) {
		if (!strcmp(op, needle_ops[i].name))
			return needle_cond(f, c, key, needle_ops[i].op, v,
					   needle, msg);
	}
	return fail(msg, "filter %s: unknown operator '%s' (ne, gt, ge, lt, "
		    "le, bits_set, bits_clear, str, prefix, suffix, contains, "
		    "success, error)", key, op);
}

int filter_add(struct filter *f, const char *key,
	       const struct filter_value *v, char msg[FILTER_MSG_MAX])
{
	struct hm_sub_rule *rule = &f->rule;
	struct hm_sub_cond c = { 0 };
	char *needle = f->needle[rule->nr_conds % HM_SUB_MAX_CONDS];
	int field, err;

	if (!key)
		return fail(msg, "filter: keys are names");
	if (rule->nr_conds == HM_SUB_MAX_CONDS)
		return fail(msg, "filter: at most %u conditions",
			    HM_SUB_MAX_CONDS);
	field = field_of(rule, key, msg);
	if (field < 0)
		return field;
	c.field = (uint8_t)field;
	if (field == HM_FIELD_COMM)
		err = comm_cond(&c, v, msg);
	else if (v->op)
		err = op_cond(f, &c, key, v, needle, msg);
	else
		err = range_cond(&c, key, v, msg);
	if (err)
		return err;
	rule->conds[rule->nr_conds++] = c;
	return 0;
}

/*
 * A needle longer than the rule's 16 bytes, on the argument's string as
 * hm_vcpu_event_matches() reads it.
 */
static int whole_needle_holds(struct hm_vcpu *vcpu, const struct hm_event *ev,
			      const struct hm_sub_cond *c, const char *needle)
{
	char s[HM_NAME_MAX];
	size_t k = strlen(needle), len;
	ssize_t n;

	n = hm_vcpu_read_str(vcpu, ev->args[c->field - HM_FIELD_ARG0], s,
			     sizeof(s));
	if (n == -EFAULT)
		return 0;
	if (n < 0 && n != -ENAMETOOLONG)
		return (int)n;
	/* Too long a string: its start can tell an equal or a prefix. */
	len = n < 0 ? sizeof(s) - 1 : (size_t)n;
	switch (c->op) {
	case HM_COND_STR_EQ:
		return n >= 0 && len == k && !memcmp(s, needle, k);
	case HM_COND_STR_PREFIX:
		return len >= k && !memcmp(s, needle, k);
	case HM_COND_STR_SUFFIX:
		if (n < 0)
			return -ENAMETOOLONG;
		return len >= k && !memcmp(s + len - k, needle, k);
	default:
		if (memmem(s, len, needle, k))
			return 1;
		return n < 0 ? -ENAMETOOLONG : 0;
	}
}

int filter_matches(struct hm_vcpu *vcpu, const struct hm_event *ev,
		   const struct filter *f)
{
	unsigned int i;
	int ret;

	ret = hm_vcpu_event_matches(vcpu, ev, &f->rule);
	for (i = 0; ret > 0 && i < f->rule.nr_conds; i++) {
		if (f->rule.conds[i].flags & HM_COND_NEEDLE_CUT)
			ret = whole_needle_holds(vcpu, ev, &f->rule.conds[i],
						 f->needle[i]);
	}
	return ret;
}

void filter_match_error(int err, char msg[FILTER_MSG_MAX])
{
	if (err == -EOPNOTSUPP)
		fail(msg, "a comm filter needs a guest that says who raised "
		     "its events (HM_FEATURE_SUBSCRIBE); this one does not: "
		     "its hook is skipped");
	else
		fail(msg, "the guest failed a hook's filter check: %s; the "
		     "hook is skipped for that event", strerror(-err));
}
