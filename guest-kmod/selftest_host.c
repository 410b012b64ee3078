// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * transport=selftest: a stand-in for the host inside the module, for tests
 * where no hypervisor implements hypermem (QEMU TCG). It reaches the region
 * through its physical address, as a host would, accepts every region with
 * one page, and answers each event with a fixed script: the pid, then the
 * string at args[0]. It logs each event with the answers for the test to
 * compare:
 *
 *   hypermem: selftest host: event cpu=C pid=P kind=K nr=N ret=R
 *             args=A0,A1,A2,A3,A4,A5 pid_op=OP str_op=OP str=S
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": selftest host: " fmt

#include <linux/io.h>
#include <linux/percpu.h>
#include <linux/printk.h>
#include <linux/smp.h>
#include <linux/string.h>
#include "hypermem.h"

#define SCRIPT_STR_SIZE 64

enum script_step {
	ASK_PID,
	ASK_STRING,
};

/* The host serves one event per vCPU at a time, as the module raises them. */
struct script {
	enum script_step step;
	struct hm_event_record event;
	uint64_t pid_op;
	uint64_t pid;
	uint64_t str_op;
	char str[SCRIPT_STR_SIZE + 1];
};

static DEFINE_PER_CPU(struct script, scripts);

static void ask(struct hm_region *r, uint64_t op, uint64_t addr,
		uint64_t size)
{
	r->addr = hm_le64(addr);
	r->size = hm_le64(size);
	r->op = hm_le64(op);
}

static void accept_region(struct hm_region *r)
{
	struct hm_hello hello;
	struct hm_hello_ack ack = {
		.magic = hm_le32(HM_MAGIC),
		.version = hm_le16(HM_VERSION),
		.region_pages = hm_le32(1),
	};

	if (hm_le64(r->op) != HM_OP_REGISTER)
		return;
	memcpy(&hello, r->data, sizeof(hello));
	/* It keeps no subscription page: a host without those features. */
	ack.features = hello.features &
		       ~(uint64_t)hm_le64(HM_FEATURE_SUBSCRIBE |
					  HM_FEATURE_PREFETCH |
					  HM_FEATURE_COND_OPS);
	memcpy(r->data, &ack, sizeof(ack));
	ask(r, HM_RESP_REGISTER_OK, 0, sizeof(ack));
}

static void log_event(const struct script *s)
{
	const struct hm_event_record *e = &s->event;

	pr_info("event cpu=%d pid=%llu kind=%u nr=%llu ret=%lld args=%llx,%llx,%llx,%llx,%llx,%llx pid_op=%llu str_op=%llu str=%s\n",
		smp_processor_id(), s->pid, e->kind, e->nr, (long long)e->ret, e->args[0],
		e->args[1], e->args[2], e->args[3], e->args[4], e->args[5],
		s->pid_op, s->str_op, s->str);
}

static void start_event(struct script *s, struct hm_region *r)
{
	int i;

	memset(s, 0, sizeof(*s));
	memcpy(&s->event, r->data, sizeof(s->event));
	s->event.kind = hm_le32(s->event.kind);
	s->event.nr = hm_le64(s->event.nr);
	s->event.ret = hm_le64(s->event.ret);
	for (i = 0; i < 6; i++)
		s->event.args[i] = hm_le64(s->event.args[i]);
	s->step = ASK_PID;
	ask(r, HM_OP_READ_PROCPID, 0, 0);
}

static void take_reply(struct script *s, struct hm_region *r)
{
	uint64_t op = hm_le64(r->op), size = hm_le64(r->size);

	if (s->step == ASK_PID) {
		s->pid_op = op;
		s->pid = size;
		s->step = ASK_STRING;
		ask(r, HM_OP_READ_STR, s->event.args[0], SCRIPT_STR_SIZE);
		return;
	}
	s->str_op = op;
	if (op == HM_RESP_READ_OK && size <= SCRIPT_STR_SIZE)
		memcpy(s->str, r->data, size);
	log_event(s);
	ask(r, HM_OP_NONE, 0, 0);
}

void hm_selftest_host(unsigned int call, uint64_t region_gpa)
{
	struct hm_region *r = phys_to_virt(region_gpa);
	struct script *s = this_cpu_ptr(&scripts);

	switch (call) {
	case HM_CALL_REGISTER:
		accept_region(r);
		break;
	case HM_CALL_EVENT:
		start_event(s, r);
		break;
	case HM_CALL_REPLY:
		take_reply(s, r);
		break;
	}
}
