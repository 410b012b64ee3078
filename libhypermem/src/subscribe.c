// SPDX-License-Identifier: MIT
/*
 * Subscriptions (protocol.h, HM_FEATURE_SUBSCRIBE): the VM's rules, the
 * table pages its guests offered for them, and matching an event against
 * a rule on the host's side.
 *
 * The host only ever writes a table page; it never reads one back, so
 * what a guest scribbles there changes nothing on this side.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int check_rule(const struct hm_sub_rule *r)
{
	unsigned int i;

	if (r->kind < HM_EVENT_SYSCALL_ENTER || r->kind > HM_EVENT_PROCESS ||
	    (r->flags & ~HM_RULE_ANY_NR) || r->nr_conds > HM_SUB_MAX_CONDS ||
	    r->nr_fetches > HM_SUB_MAX_FETCHES || r->reserved)
		return -EINVAL;
	for (i = 0; i < r->nr_conds; i++) {
		if (!hm_sub_cond_valid(r->kind, &r->conds[i]))
			return -EINVAL;
	}
	for (i = 0; i < r->nr_fetches; i++) {
		if (!hm_sub_fetch_valid(&r->fetches[i]))
			return -EINVAL;
		/* A process event's args are no addresses: argv only. */
		if (r->kind == HM_EVENT_PROCESS &&
		    r->fetches[i].what != HM_FETCH_ARGV)
			return -EINVAL;
	}
	return 0;
}

/*
 * The rule as the page of a guest with @features holds it: unused
 * conditions and fetches zero, and no condition that the guest does not
 * know (the rule is looser: the host checks each event anyway).
 */
static void to_wire(struct hm_sub_rule *w, const struct hm_sub_rule *r,
		    uint64_t features)
{
	unsigned int i;

	memset(w, 0, sizeof(*w));
	w->kind = r->kind;
	w->flags = r->flags;
	w->nr = r->nr;
	for (i = 0; i < r->nr_conds; i++) {
		if (r->conds[i].op == HM_COND_RANGE ||
		    (features & HM_FEATURE_COND_OPS))
			w->conds[w->nr_conds++] = r->conds[i];
	}
	w->nr_fetches = r->nr_fetches;
	memcpy(w->fetches, r->fetches, r->nr_fetches * sizeof(r->fetches[0]));
	hm_sub_rule_swap(w);
}

/*
 * Under sub_lock. seq: odd, then the table, then the next even value,
 * above every value any page had before: a guest that reads the same even
 * seq around its copy of the table has read one whole table. Each guest
 * gets the rules as its features let it read them.
 */
static void write_page(struct hm_vm *vm, struct hm_vcpu *vcpu)
{
	struct hm_sub_page *page = vcpu->sub_page;
	bool fits = vm->sub_nr_rules <= HM_SUB_MAX_RULES;
	uint32_t flags = vm->sub_flags | (fits ? 0 : HM_SUB_ALL);
	size_t n = fits ? vm->sub_nr_rules : 0, i;
	struct hm_sub_rule wire;

	vm->sub_seq += 2;
	__atomic_store_n(&page->header.seq, hm_le32(vm->sub_seq - 1),
			 __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	page->header.magic = hm_le32(HM_SUB_MAGIC);
	page->header.flags = hm_le32(flags);
	page->header.nr_rules = hm_le32((uint32_t)n);
	for (i = 0; i < n; i++) {
		to_wire(&wire, &vm->sub_rules[i], vcpu->guest.features);
		memcpy(&page->rules[i], &wire, sizeof(wire));
	}
	__atomic_store_n(&page->header.seq, hm_le32(vm->sub_seq),
			 __ATOMIC_RELEASE);
}

/* Under sub_lock: every page gets the VM's table. */
static void write_all(struct hm_vm *vm)
{
	struct hm_vcpu *v;

	for (v = vm->sub_vcpus; v; v = v->sub_next)
		write_page(vm, v);
}

static void replace(struct hm_vm *vm, struct hm_sub_rule *rules, size_t n,
		    uint32_t flags)
{
	struct hm_sub_rule *old;

	pthread_mutex_lock(&vm->sub_lock);
	old = vm->sub_rules;
	vm->sub_rules = rules;
	vm->sub_nr_rules = n;
	vm->sub_flags = flags;
	write_all(vm);
	pthread_mutex_unlock(&vm->sub_lock);
	free(old);
}

int hm_vm_subscribe(struct hm_vm *vm, const struct hm_sub_rule *rules,
		    size_t n, uint32_t flags)
{
	struct hm_sub_rule *copy = NULL;
	size_t i;
	int err;

	if ((flags & ~HM_SUB_ALL) || (n && !rules))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		err = check_rule(&rules[i]);
		if (err)
			return err;
	}
	if (n) {
		copy = calloc(n, sizeof(*copy));
		if (!copy)
			return -ENOMEM;
		memcpy(copy, rules, n * sizeof(*copy));
	}
	replace(vm, copy, n, HM_SUB_ACTIVE | flags);
	return 0;
}

void hm_vm_unsubscribe(struct hm_vm *vm)
{
	replace(vm, NULL, 0, 0);
}

/* HM_CALL_SUBSCRIBE: the guest offers its table page (protocol.h). */
int sub_take_page(struct hm_vcpu *vcpu)
{
	struct hm_region *r = vcpu->region;
	struct hm_vm *vm = vcpu->vm;
	struct hm_sub_page *page;
	uint64_t gpa, region_end;

	if (!r)
		return -ENOTCONN;
	if (!(vcpu->guest.features & HM_FEATURE_SUBSCRIBE) ||
	    hm_le64(r->op) != HM_OP_SUBSCRIBE || hm_le64(r->size) != 0)
		return -EPROTO;
	gpa = hm_le64(r->addr);
	region_end = vcpu->guest.region_gpa +
		     (uint64_t)vcpu->guest.region_pages * HM_PAGE_SIZE;
	if (gpa % HM_PAGE_SIZE ||
	    (gpa >= vcpu->guest.region_gpa && gpa < region_end))
		return -EPROTO;
	page = vcpu_translate(vcpu, gpa, HM_PAGE_SIZE);
	if (!page)
		return -EFAULT;
	pthread_mutex_lock(&vm->sub_lock);
	if (!vcpu->sub_page) {
		vcpu->sub_next = vm->sub_vcpus;
		vm->sub_vcpus = vcpu;
	}
	vcpu->sub_page = page;
	write_page(vm, vcpu);
	pthread_mutex_unlock(&vm->sub_lock);
	set_region_header(r, HM_RESP_SUBSCRIBE_OK, gpa, 0);
	return 0;
}

/* The vCPU goes, or its guest registers again: its page is no longer ours. */
void sub_drop_vcpu(struct hm_vcpu *vcpu)
{
	struct hm_vm *vm = vcpu->vm;
	struct hm_vcpu **p;

	pthread_mutex_lock(&vm->sub_lock);
	for (p = &vm->sub_vcpus; *p; p = &(*p)->sub_next) {
		if (*p == vcpu) {
			*p = vcpu->sub_next;
			break;
		}
	}
	vcpu->sub_page = NULL;
	vcpu->sub_next = NULL;
	pthread_mutex_unlock(&vm->sub_lock);
}

/*
 * A string op on the event task's string at @addr, read as the handler's
 * hm_vcpu_read_str() would (a prefetched one without a round trip): one
 * that is not there does not hold; one past HM_NAME_MAX bytes, when its
 * start cannot tell, is -ENAMETOOLONG.
 */
static int str_cond_holds(struct hm_vcpu *vcpu, const struct hm_sub_cond *c,
			  uint64_t addr)
{
	char s[HM_NAME_MAX];
	ssize_t n;
	int holds;

	if (!vcpu)
		return -EINVAL;
	/* The handler's reads may have turned to another process. */
	if (vcpu->target)
		return -EBUSY;
	n = hm_vcpu_read_str(vcpu, addr, s, sizeof(s));
	if (n == -EFAULT)
		return 0;
	if (n == -ENAMETOOLONG) {
		holds = hm_sub_cond_str_holds(c, s, sizeof(s) - 1, 0);
		return holds < 0 ? -ENAMETOOLONG : holds;
	}
	if (n < 0)
		return (int)n;
	return hm_sub_cond_str_holds(c, s, (uint64_t)n, 1);
}

static int cond_holds(struct hm_vcpu *vcpu, const struct hm_event *ev,
		      const struct hm_sub_cond *c)
{
	uint64_t v;
	int err;

	if (hm_cond_op_is_str(c->op))
		return str_cond_holds(vcpu, c,
				      ev->args[c->field - HM_FIELD_ARG0]);
	switch (c->field) {
	case HM_FIELD_RET:
		v = ev->ret;
		break;
	case HM_FIELD_PID:
		if (ev->flags & HM_EVENT_HAS_TASK) {
			v = ev->pid;
		} else {
			err = event_task_pid(vcpu, &v);
			if (err)
				return err;
		}
		break;
	case HM_FIELD_COMM:
		if (!(ev->flags & HM_EVENT_HAS_TASK))
			return -EOPNOTSUPP;
		v = 0;
		break;
	default:
		v = ev->args[c->field - HM_FIELD_ARG0];
		break;
	}
	return hm_sub_cond_holds(c, v, ev->comm);
}

int hm_vcpu_event_matches(struct hm_vcpu *vcpu, const struct hm_event *event,
			  const struct hm_sub_rule *rule)
{
	unsigned int i;
	int err;

	err = check_rule(rule);
	if (err)
		return err;
	if (!hm_sub_rule_selects(rule, event->kind, event->nr))
		return 0;
	for (i = 0; i < rule->nr_conds; i++) {
		err = cond_holds(vcpu, event, &rule->conds[i]);
		if (err <= 0)
			return err;
	}
	return 1;
}
