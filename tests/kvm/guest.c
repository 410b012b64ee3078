// SPDX-License-Identifier: MIT
/*
 * The kvm suite's harness (guest.h): boots of guest-tiny under KVM on the
 * VMM core's tiny board, and the event bodies several groups share.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "guest.h"

#define MEM_SIZE (64ull << 20)
#define RUN_TIMEOUT_MS 10000

const char *guest_path;
const char *transport = "pio";

double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int on_event(struct hm_vcpu *vcpu, const struct hm_event *ev,
		    void *opaque)
{
	struct record *r = opaque;

	if (r->body)
		r->body(r, vcpu, ev);
	return 0;
}

static void on_console(int cpu, const char *buf, size_t len, void *opaque)
{
	struct guest *g = opaque;

	(void)cpu;
	if (len > sizeof(g->console) - 1 - g->console_len)
		len = sizeof(g->console) - 1 - g->console_len;
	memcpy(g->console + g->console_len, buf, len);
	g->console_len += len;
}

static void conclude(struct guest *g)
{
	g->all_done = g->res.tiny.all_done;
	g->failed = g->res.tiny.failed;
	g->crashed = g->res.tiny.panicked ||
		     g->res.reason == VMM_STOP_CRASH ||
		     g->res.reason == VMM_STOP_UNSUPPORTED ||
		     g->res.reason == VMM_STOP_ERROR;
	g->timed_out = g->res.reason == VMM_STOP_TIMEOUT;
}

/* A subscription the next boot() starts with, then forgets. */
static struct {
	const struct hm_sub_rule *rules;
	size_t n;
	int on;
} boot_sub;

int boot(struct guest *g, struct record *r, const char *cmdline,
		unsigned int cpus, unsigned int op_timeout_ms)
{
	char line[TINY_CMDLINE_MAX];
	const struct vmm_config config = {
		.board = VMM_BOARD_TINY, .kernel = guest_path,
		.cmdline = line, .mem_size = MEM_SIZE, .nr_cpus = cpus,
		.timeout_ms = RUN_TIMEOUT_MS,
		.console_fn = on_console, .console_opaque = g,
		.event_fn = on_event, .event_opaque = r,
	};
	int err;

	snprintf(line, sizeof(line), "%s transport=%s", cmdline, transport);
	memset(g, 0, sizeof(*g));
	err = vmm_new(&config, &g->vm);
	if (!err && op_timeout_ms)
		err = hm_vm_set_timeout(vmm_get_hm(g->vm), op_timeout_ms);
	if (!err && boot_sub.on)
		err = hm_vm_subscribe(vmm_get_hm(g->vm), boot_sub.rules,
				      boot_sub.n, 0);
	memset(&boot_sub, 0, sizeof(boot_sub));
	if (err)
		return err;
	r->vm = g->vm;
	pthread_mutex_init(&r->lock, NULL);
	err = vmm_run(g->vm, &g->res);
	conclude(g);
	if (!err && g->timed_out)
		err = -ETIMEDOUT;
	return err;
}

void destroy(struct guest *g)
{
	if (g->vm)
		vmm_free(g->vm);
	g->vm = NULL;
}

void finish(struct guest *g)
{
	if (g->crashed || !g->all_done)
		fprintf(stderr, "guest console:\n%s\n%s\n", g->console,
			g->res.diagnosis);
	destroy(g);
}

int proc_status(struct guest *g, uint64_t pid)
{
	return pid < VMM_TINY_MAX_PROCS ?
	       g->res.tiny.proc_status[pid] - 1 : -1;
}

static pattern_fn pattern_test;

static void pattern_body(struct record *r, struct hm_vcpu *vcpu,
			 const struct hm_event *ev)
{
	struct tiny_pattern d;

	if (ev->kind != HM_EVENT_USER || ev->nr != TINY_EVENT_PATTERN)
		return;
	if (hm_vcpu_read(vcpu, ev->args[0], &d, sizeof(d)) != sizeof(d))
		return;
	pattern_test(r, vcpu, &d, ev->args[0]);
	r->done++;
}

int run_pattern(struct record *r, pattern_fn fn)
{
	struct guest vm;
	int status;

	pattern_test = fn;
	r->body = pattern_body;
	assert_int_equal(boot(&vm, r, "scenario=pattern quiet", 1, 0), 0);
	assert_int_equal(r->done, 1);
	assert_true(vm.all_done);
	status = proc_status(&vm, 1);
	finish(&vm);
	return status;
}

int matches(const uint8_t *p, size_t len, uint32_t seed)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] != tiny_pattern_byte(seed, i))
			return 0;
	}
	return 1;
}

void record_body(struct record *r, struct hm_vcpu *vcpu,
			const struct hm_event *ev)
{
	struct hm_guest_info info = { 0 };
	struct hm_env_var *env;
	struct seen s = { 0 };
	char **argv;
	size_t argc, n, i;
	int64_t fd = -1;

	s.kind = ev->kind;
	s.nr = ev->nr;
	memcpy(s.args, ev->args, sizeof(s.args));
	s.ret = ev->ret;
	s.flags = ev->flags;
	s.event_pid = ev->pid;
	memcpy(s.comm, ev->comm, sizeof(s.comm));
	hm_vcpu_get_guest_info(vcpu, &info);
	s.vcpu = info.vcpu_index;
	s.region_gpa = info.region_gpa;
	hm_vcpu_get_proc_pid(vcpu, &s.pid);
	if (!hm_vcpu_get_proc_args(vcpu, &argv, &argc)) {
		if (argc > 1)
			snprintf(s.argv1, sizeof(s.argv1), "%s", argv[1]);
		free(argv);
	}
	if (!hm_vcpu_get_proc_env(vcpu, &env, &n)) {
		for (i = 0; i < n; i++) {
			if (!strcmp(env[i].name, "ROLE"))
				snprintf(s.role, sizeof(s.role), "%s",
					 env[i].value);
		}
		free(env);
	}
	if (ev->nr == TINY_SYS_WRITE || ev->nr == TINY_SYS_READ ||
	    ev->nr == TINY_SYS_CLOSE)
		fd = (int64_t)ev->args[0];
	else if (ev->nr == TINY_SYS_OPEN || ev->nr == TINY_SYS_SOCKET)
		fd = (int64_t)ev->ret;
	if (fd >= 0 && hm_vcpu_read_fd_name(vcpu, fd, s.fd_name,
					    sizeof(s.fd_name)) < 0)
		strcpy(s.fd_name, "?");
	pthread_mutex_lock(&r->lock);
	if (r->nr_events < MAX_EVENTS)
		r->events[r->nr_events++] = s;
	pthread_mutex_unlock(&r->lock);
}

void boot_subscribed(struct guest *vm, struct record *r,
			    const char *cmdline,
			    const struct hm_sub_rule *rules, size_t n)
{
	boot_sub.rules = rules;
	boot_sub.n = n;
	boot_sub.on = 1;
	assert_int_equal(boot(vm, r, cmdline, 1, 0), 0);
	assert_true(vm->all_done);
	assert_int_equal(vm->failed, 0);
}

/*
 * A guest that boots and exits at all, or a reason to skip. The VMCALL
 * doorbell is not skipped: a KVM that does not hand it to the VMM fails
 * (the kvm_pvm form spins on it; scripts/with-kvm has a KVM that does).
 */
int kvm_usable(void)
{
	struct record r = { 0 };
	struct guest vm;
	int err;

	err = boot(&vm, &r, "scenario=hello quiet noevents", 1, 0);
	if (!err && (!vm.all_done || vm.res.tiny.no_host))
		err = -EIO;
	if (err)
		printf("%s: guest-tiny cannot register over %s: %s\n",
		       strcmp(transport, "pio") ? "FAIL" : "skip", transport,
		       strerror(-err));
	finish(&vm);
	return err ? strcmp(transport, "pio") ? 1 : 77 : 0;
}
