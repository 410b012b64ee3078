// SPDX-License-Identifier: MIT
/*
 * Filters and the fetches declared with them (filter.h), for Lua's hooks
 * and Python's plugins alike. What a condition means once made is
 * protocol.h's, for the guest and the library both.
 */
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

void filter_rule_init(struct hm_sub_rule *rule, uint32_t kind, int64_t nr)
{
	const struct syscall_desc *d;

	memset(rule, 0, sizeof(*rule));
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

	if (v->type != FILTER_TEXT || v->len >= HM_COMM_LEN ||
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
		return fail(msg, "filter %s: an integer, or lo and hi for a "
			    "range", key);
	if (lo < 0 || hi < 0 || c->field == HM_FIELD_RET)
		c->flags = HM_COND_SIGNED;
	c->lo = (uint64_t)lo;
	c->hi = (uint64_t)hi;
	/* lo within [lo, hi]: lo <= hi, compared as the condition will. */
	if (!hm_sub_cond_holds(c, c->lo, NULL))
		return fail(msg, "filter %s: lo is above hi", key);
	return 0;
}

int filter_add(struct hm_sub_rule *rule, const char *key,
	       const struct filter_value *v, char msg[FILTER_MSG_MAX])
{
	struct hm_sub_cond c = { 0 };
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
	err = field == HM_FIELD_COMM ? comm_cond(&c, v, msg) :
	      range_cond(&c, key, v, msg);
	if (err)
		return err;
	rule->conds[rule->nr_conds++] = c;
	return 0;
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
