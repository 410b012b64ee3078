// SPDX-License-Identifier: MIT
/*
 * Whether the host's subscription wants an event: the table it keeps in a
 * page of the guest's, read without a doorbell while the host may rewrite
 * it, and each rule's meaning as protocol.h defines it for both sides.
 */
#include "agent_internal.h"

void hm_agent_ask_task(struct hm_agent *agent, struct hm_agent_task *t)
{
	if (t->asked)
		return;
	t->asked = 1;
	hm_memset(t->comm, 0, sizeof(t->comm));
	t->have_pid = agent->ops->pid &&
		      agent->ops->pid(agent->ctx, &t->pid) >= 0;
	t->have_comm = agent->ops->comm &&
		       agent->ops->comm(agent->ctx, t->comm) >= 0;
}

/*
 * A string op on the string at @addr: at most HM_COND_STR_MAX bytes of it,
 * read without sleeping where the OS's accessor must not (protocol.h);
 * -1 for one it cannot read.
 */
static int str_cond_holds(struct hm_agent *agent, const struct hm_sub_cond *c,
			  uint64_t addr)
{
	char s[HM_COND_STR_MAX];
	size_t copied;
	long n;

	n = agent->ops->string_from(agent->ctx, s, addr, sizeof(s), &copied);
	if (n < 0 || (size_t)n > sizeof(s))
		return -1;
	return hm_sub_cond_str_holds(c, s, (uint64_t)n,
				     (size_t)n < sizeof(s));
}

/* 1: holds, 0: does not, -1: a condition this agent cannot read. */
static int cond_holds(struct hm_agent *agent, const struct hm_sub_cond *c,
		      const struct hm_event_record *ev,
		      struct hm_agent_task *t)
{
	uint64_t v;

	if (!hm_sub_cond_valid(ev->kind, c) ||
	    (c->op != HM_COND_RANGE &&
	     !(agent->features & HM_FEATURE_COND_OPS)))
		return -1;
	if (hm_cond_op_is_str(c->op))
		return str_cond_holds(agent, c,
				      ev->args[c->field - HM_FIELD_ARG0]);
	switch (c->field) {
	case HM_FIELD_RET:
		v = ev->ret;
		break;
	case HM_FIELD_PID:
		hm_agent_ask_task(agent, t);
		if (!t->have_pid)
			return -1;
		v = t->pid;
		break;
	case HM_FIELD_COMM:
		hm_agent_ask_task(agent, t);
		if (!t->have_comm)
			return -1;
		v = 0;
		break;
	default:
		v = ev->args[c->field - HM_FIELD_ARG0];
		break;
	}
	return hm_sub_cond_holds(c, v, t->comm);
}

static int rule_readable(const struct hm_sub_rule *rule)
{
	return rule->nr_conds <= HM_SUB_MAX_CONDS &&
	       !(rule->flags & ~HM_RULE_ANY_NR);
}

/* 1: the rule wants the event, 0: it does not, -1: unreadable rule. */
static int rule_wants(struct hm_agent *agent, const struct hm_sub_rule *rule,
		      const struct hm_event_record *ev,
		      struct hm_agent_task *t)
{
	unsigned int i, n = rule->nr_conds;
	int unknown = 0;

	if (!rule_readable(rule))
		return -1;
	if (!hm_sub_rule_selects(rule, ev->kind, ev->nr))
		return 0;
	for (i = 0; i < n; i++) {
		int holds = cond_holds(agent, &rule->conds[i], ev, t);

		if (holds == 0)
			return 0;
		unknown |= holds < 0;
	}
	return unknown ? -1 : 1;
}

/* Whether the rule could select a syscall event: 1, 0, -1: unreadable. */
static int rule_wants_syscalls(const struct hm_sub_rule *rule)
{
	if (!rule_readable(rule))
		return -1;
	return rule->kind == HM_EVENT_SYSCALL_ENTER ||
	       rule->kind == HM_EVENT_SYSCALL_EXIT;
}

static uint32_t sub_seq(const struct hm_sub_page *page)
{
	return hm_le32(__atomic_load_n(&page->header.seq, __ATOMIC_ACQUIRE));
}

uint32_t hm_agent_sub_seq(const struct hm_agent *agent)
{
	return agent->sub_taken && agent->sub ? sub_seq(agent->sub) : 0;
}

/*
 * One pass over the table; HM_WANT_YES for anything it cannot read.
 * Without @ev: whether it could want any syscall event.
 */
static enum hm_want scan_table(struct hm_agent *agent,
			       const struct hm_sub_page *page,
			       const struct hm_event_record *ev,
			       struct hm_agent_task *t,
			       struct hm_fetch_list *fetch)
{
	struct hm_sub_rule rule;
	uint32_t flags = hm_le32(page->header.flags);
	uint32_t n = hm_le32(page->header.nr_rules), i;

	if (hm_le32(page->header.magic) != HM_SUB_MAGIC ||
	    !(flags & HM_SUB_ACTIVE))
		return HM_WANT_GUEST;
	if ((flags & HM_SUB_ALL) || n > HM_SUB_MAX_RULES ||
	    (flags & ~(HM_SUB_ACTIVE | HM_SUB_ALL)))
		return HM_WANT_YES;
	for (i = 0; i < n; i++) {
		int wants;

		hm_memcpy(&rule, &page->rules[i], sizeof(rule));
		hm_sub_rule_swap(&rule);
		wants = ev ? rule_wants(agent, &rule, ev, t) :
			     rule_wants_syscalls(&rule);
		if (wants > 0 && fetch)
			hm_agent_take_fetches(agent, &rule, fetch);
		if (wants)
			return HM_WANT_YES;	/* matched, or unreadable */
	}
	return HM_WANT_NO;
}

/* @seq: the sequence count it read, made odd when no whole table was. */
static enum hm_want read_table(struct hm_agent *agent,
			       const struct hm_event_record *event,
			       struct hm_fetch_list *fetch, uint32_t *seq)
{
	const struct hm_sub_page *page = agent->sub;
	struct hm_agent_task t = { 0 };
	enum hm_want want;
	int tries;

	*seq = 0;
	if (fetch)
		fetch->n = 0;
	if (!agent->sub_taken || !page)
		return HM_WANT_GUEST;
	/* The host rewrites the page while the guest runs: see protocol.h. */
	for (tries = 0; tries < 4; tries++) {
		*seq = sub_seq(page);
		if (*seq & 1)
			continue;
		want = scan_table(agent, page, event, &t, fetch);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (sub_seq(page) == *seq)
			return want;
		if (fetch)
			fetch->n = 0;
	}
	*seq |= 1;
	return HM_WANT_YES;	/* never a torn table: raise, the host drops */
}

enum hm_want hm_agent_wants_fetching(struct hm_agent *agent,
				     const struct hm_event_record *event,
				     struct hm_fetch_list *fetch)
{
	uint32_t seq;

	return read_table(agent, event, fetch, &seq);
}

enum hm_want hm_agent_wants_syscalls(struct hm_agent *agent, uint32_t *seq)
{
	return read_table(agent, NULL, NULL, seq);
}

enum hm_want hm_agent_wants(struct hm_agent *agent,
			    const struct hm_event_record *event)
{
	return hm_agent_wants_fetching(agent, event, NULL);
}
