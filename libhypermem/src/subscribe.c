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

/* The rule as the page holds it: unused conditions and fetches zero. */
static void to_wire(struct hm_sub_rule *w, const struct hm_sub_rule *r)
{
	memset(w, 0, sizeof(*w));
	w->kind = r->kind;
	w->flags = r->flags;
	w->nr = r->nr;
	w->nr_conds = r->nr_conds;
	memcpy(w->conds, r->conds, r->nr_conds * sizeof(r->conds[0]));
	w->nr_fetches = r->nr_fetches;
	memcpy(w->fetches, r->fetches, r->nr_fetches * sizeof(r->fetches[0]));
	hm_sub_rule_swap(w);
}

/*
 * Under sub_lock. seq: odd, then the table, then the next even value,
 * above every value any page had before: a guest that reads the same even
 * seq around its copy of the table has read one whole table.
 */
static void write_page(struct hm_vm *vm, struct hm_sub_page *page)
{
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
		to_wire(&wire, &vm->sub_rules[i]);
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
		write_page(vm, v->sub_page);
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
	write_page(vm, page);
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

static int cond_holds(struct hm_vcpu *vcpu, const struct hm_event *ev,
		      const struct hm_sub_cond *c)
{
	uint64_t v;
	int err;

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
