// SPDX-License-Identifier: MIT
/*
 * libhypermem against a real guest: each test boots guest-tiny under KVM
 * (the VMM core's tiny board), lets the guest raise events and checks exact
 * bytes and error codes. Event handlers run on vCPU threads, so they only
 * record what they saw; the test body asserts after the VM stopped.
 *
 *   test-kvm GUEST_TINY_ELF [pio|vmcall]    the doorbell guest-tiny uses
 *
 * Exits 77 (skip) when /dev/kvm cannot run a trivial guest over port I/O;
 * fails when it cannot over VMCALL.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <tiny/abi.h>
#include <tiny/boot.h>
#include <vmm/vmm.h>

#define MEM_SIZE (64ull << 20)
#define RUN_TIMEOUT_MS 10000
#define MAX_EVENTS 128
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define CONSOLE_MAX 65536

static const char *guest_path;
/* The doorbell every boot asks guest-tiny for: "pio" or "vmcall". */
static const char *transport = "pio";

struct seen {
	uint32_t kind;
	uint64_t nr;
	uint64_t args[6];
	uint64_t ret;
	uint64_t pid;
	unsigned int vcpu;
	uint64_t region_gpa;
	char argv1[32];
	char role[32];
	char fd_name[64];	/* of args[0] (or ret for open) when an fd */
	uint32_t flags;		/* the event's: HM_EVENT_HAS_TASK */
	uint64_t event_pid;	/* and its task */
	char comm[HM_COMM_LEN + 1];
};

/* One boot of guest-tiny: the core's VM, how it ended, what it printed. */
struct guest {
	struct vmm *vm;
	struct vmm_result res;
	int all_done;		/* TINY_EXIT_ALL_DONE came */
	int failed;		/* processes that failed */
	int crashed;		/* a panic, or a vCPU KVM could not run */
	int timed_out;
	char console[CONSOLE_MAX];
	size_t console_len;
};

/* What a test's handler recorded; one test at a time. */
struct record {
	struct vmm *vm;
	void (*body)(struct record *r, struct hm_vcpu *vcpu,
		     const struct hm_event *ev);
	pthread_mutex_t lock;
	struct seen events[MAX_EVENTS];
	unsigned int nr_events;
	/* free-form results of the body */
	ssize_t rets[16];
	uint64_t values[16];
	char strs[4][128];
	int ok[16];
	double ms[16];
	struct hm_stats stats[16];
	int done;
};

static double now_ms(void)
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

static int boot(struct guest *g, struct record *r, const char *cmdline,
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

static void destroy(struct guest *g)
{
	if (g->vm)
		vmm_free(g->vm);
	g->vm = NULL;
}

static void finish(struct guest *g)
{
	if (g->crashed || !g->all_done)
		fprintf(stderr, "guest console:\n%s\n%s\n", g->console,
			g->res.diagnosis);
	destroy(g);
}

/* The guest's exit status of a pid, or -1 when it did not exit. */
static int proc_status(struct guest *g, uint64_t pid)
{
	return pid < VMM_TINY_MAX_PROCS ?
	       g->res.tiny.proc_status[pid] - 1 : -1;
}

/* ---- the ioctl interaction test ---- */

static void ioctl_body(struct record *r, struct hm_vcpu *vcpu,
		       const struct hm_event *ev)
{
	uint64_t arg = ev->args[2];
	struct hm_socket_info si;
	struct hm_env_var *env;
	char **argv;
	size_t argc, n, i;
	uint32_t v = 0;

	if (ev->kind != HM_EVENT_SYSCALL_ENTER || ev->nr != TINY_SYS_IOCTL ||
	    ev->args[1] != TINY_SIOCDEVPRIVATE)
		return;
	r->rets[0] = hm_vcpu_read_str(vcpu, arg, r->strs[0], TINY_IFNAMSIZ);
	r->rets[1] = hm_vcpu_read_u32(vcpu, arg + TINY_IFNAMSIZ, &v);
	r->values[1] = v;
	r->rets[2] = hm_vcpu_write_str(vcpu, arg, "test");
	r->rets[3] = hm_vcpu_read_str(vcpu, arg, r->strs[1], TINY_IFNAMSIZ);
	r->rets[4] = hm_vcpu_write_u32(vcpu, arg + TINY_IFNAMSIZ, 0x12345678);
	r->rets[5] = hm_vcpu_read_u32(vcpu, arg + TINY_IFNAMSIZ, &v);
	r->values[5] = v;
	r->rets[6] = hm_vcpu_read_fd_name(vcpu, (int64_t)ev->args[0],
					  r->strs[2], sizeof(r->strs[2]));
	r->rets[7] = hm_vcpu_read_socket_info(vcpu, (int64_t)ev->args[0], &si);
	r->values[7] = ((uint64_t)si.family << 32) | si.type;
	r->rets[8] = hm_vcpu_get_proc_args(vcpu, &argv, &argc);
	if (!r->rets[8]) {
		r->values[8] = argc;
		n = 0;
		for (i = 0; i < argc; i++)
			n += (size_t)snprintf(r->strs[3] + n,
					      sizeof(r->strs[3]) - n, "%s|",
					      argv[i]);
		free(argv);
	}
	r->rets[9] = hm_vcpu_get_proc_env(vcpu, &env, &n);
	if (!r->rets[9]) {
		r->values[9] = n;
		r->ok[9] = n == 2 && !strcmp(env[0].name, "PATH") &&
			   !strcmp(env[0].value, "/bin") &&
			   !strcmp(env[1].name, "TEST") &&
			   !strcmp(env[1].value, "ioctl");
		free(env);
	}
	r->rets[10] = hm_vcpu_get_proc_pid(vcpu, &r->values[10]);
	r->done++;
}

static void ioctl_interaction_sequence(void **state)
{
	struct record r = { .body = ioctl_body };
	struct guest vm;

	(void)state;
	assert_int_equal(boot(&vm, &r, "scenario=ioctl quiet", 1, 0), 0);
	assert_int_equal(r.done, 1);
	assert_int_equal(r.rets[0], 4);
	assert_string_equal(r.strs[0], "eth0");
	assert_int_equal(r.rets[1], 0);
	assert_int_equal(r.values[1], 42);
	assert_int_equal(r.rets[2], 0);
	assert_int_equal(r.rets[3], 4);
	assert_string_equal(r.strs[1], "test");
	assert_int_equal(r.rets[4], 0);
	assert_int_equal(r.rets[5], 0);
	assert_int_equal(r.values[5], 0x12345678);
	assert_int_equal(r.rets[6], strlen(r.strs[2]));
	assert_memory_equal(r.strs[2], "socket:[", 8);
	assert_int_equal(r.rets[7], 0);
	assert_int_equal(r.values[7], (2ull << 32) | 1);
	assert_int_equal(r.rets[8], 0);
	assert_int_equal(r.values[8], 2);
	assert_string_equal(r.strs[3], "ioctl_test|eth0|");
	assert_int_equal(r.rets[9], 0);
	assert_true(r.ok[9]);
	assert_int_equal(r.rets[10], 0);
	/* The guest saw "test" and 0x12345678: exit status 0. */
	assert_true(vm.all_done);
	assert_int_equal(vm.failed, 0);
	assert_int_equal(proc_status(&vm, r.values[10]), 0);
	finish(&vm);
}

/* ---- the pattern program ---- */

typedef void (*pattern_fn)(struct record *r, struct hm_vcpu *vcpu,
			   const struct tiny_pattern *d, uint64_t daddr);

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

/* Boots the pattern program; returns its exit status. */
static int run_pattern(struct record *r, pattern_fn fn)
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

static int matches(const uint8_t *p, size_t len, uint32_t seed)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] != tiny_pattern_byte(seed, i))
			return 0;
	}
	return 1;
}

static void reads_body(struct record *r, struct hm_vcpu *vcpu,
		       const struct tiny_pattern *d, uint64_t daddr)
{
	unsigned int i;

	(void)daddr;
	for (i = 0; i < TINY_PATTERN_BUFS; i++) {
		size_t len = tiny_pattern_sizes[i];
		uint8_t *buf = malloc(len + 1);

		buf[len] = 0xee;
		r->rets[i] = hm_vcpu_read(vcpu, d->buf[i], buf, len);
		r->ok[i] = matches(buf, len, tiny_read_seed(i)) &&
			   buf[len] == 0xee;
		free(buf);
	}
}

static void read_exact_1_4072_4073_262144_bytes(void **state)
{
	struct record r = { 0 };
	unsigned int i;

	(void)state;
	assert_int_equal(run_pattern(&r, reads_body), 0);
	for (i = 0; i < TINY_PATTERN_BUFS; i++) {
		assert_int_equal(r.rets[i], tiny_pattern_sizes[i]);
		assert_true(r.ok[i]);
	}
}

static void writes_body(struct record *r, struct hm_vcpu *vcpu,
			const struct tiny_pattern *d, uint64_t daddr)
{
	unsigned int i;
	size_t j;

	for (i = 0; i < TINY_PATTERN_BUFS; i++) {
		size_t len = tiny_pattern_sizes[i];
		uint8_t *buf = malloc(len);

		for (j = 0; j < len; j++)
			buf[j] = tiny_pattern_byte(tiny_write_seed(i), j);
		r->rets[i] = hm_vcpu_write(vcpu, d->buf[i], buf, len);
		memset(buf, 0, len);
		r->rets[4 + i] = hm_vcpu_read(vcpu, d->buf[i], buf, len);
		r->ok[i] = matches(buf, len, tiny_write_seed(i));
		free(buf);
	}
	r->rets[8] = hm_vcpu_write_u32(vcpu, daddr +
				       offsetof(struct tiny_pattern, written),
				       (1u << TINY_PATTERN_BUFS) - 1);
}

static void write_exact_1_4072_4073_262144_bytes(void **state)
{
	struct record r = { 0 };
	unsigned int i;

	(void)state;
	/* Status 0: the guest found every byte the host wrote. */
	assert_int_equal(run_pattern(&r, writes_body), 0);
	for (i = 0; i < TINY_PATTERN_BUFS; i++) {
		assert_int_equal(r.rets[i], tiny_pattern_sizes[i]);
		assert_int_equal(r.rets[4 + i], tiny_pattern_sizes[i]);
		assert_true(r.ok[i]);
	}
	assert_int_equal(r.rets[8], 0);
}

static void long_string_body(struct record *r, struct hm_vcpu *vcpu,
			     const struct tiny_pattern *d, uint64_t daddr)
{
	char *buf = malloc(TINY_PATTERN_STR_LEN + 1);
	size_t i;

	(void)daddr;
	r->rets[0] = hm_vcpu_read_str(vcpu, d->str, buf,
				      TINY_PATTERN_STR_LEN + 1);
	r->ok[0] = buf[TINY_PATTERN_STR_LEN] == 0;
	for (i = 0; i < TINY_PATTERN_STR_LEN; i++)
		r->ok[0] &= buf[i] == tiny_string_byte(i);
	/* One byte short of room for the NUL. */
	r->rets[1] = hm_vcpu_read_str(vcpu, d->str, buf,
				      TINY_PATTERN_STR_LEN);
	r->ok[1] = strlen(buf) == TINY_PATTERN_STR_LEN - 1;
	free(buf);
}

static void read_str_of_10000_bytes(void **state)
{
	struct record r = { 0 };

	(void)state;
	assert_int_equal(run_pattern(&r, long_string_body), 0);
	assert_int_equal(r.rets[0], TINY_PATTERN_STR_LEN);
	assert_true(r.ok[0]);
	assert_int_equal(r.rets[1], -ENAMETOOLONG);
	assert_true(r.ok[1]);
}

static int all_a(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] != TINY_PATTERN_TAIL_BYTE)
			return 0;
	}
	return 1;
}

static void no_nul_body(struct record *r, struct hm_vcpu *vcpu,
			const struct tiny_pattern *d, uint64_t daddr)
{
	char buf[16384];

	(void)daddr;
	r->rets[0] = hm_vcpu_read_str(vcpu, d->tail, buf, 100);
	r->ok[0] = strlen(buf) == 99 && all_a(buf, 99);
	/* Room for more than the tail: memory ends before any NUL. */
	r->rets[1] = hm_vcpu_read_str(vcpu, d->tail, buf, sizeof(buf));
	r->values[1] = d->tail_len;
}

static void read_str_without_nul_stops_at_cap_or_fault(void **state)
{
	struct record r = { 0 };

	(void)state;
	assert_int_equal(run_pattern(&r, no_nul_body), 0);
	assert_int_equal(r.rets[0], -ENAMETOOLONG);
	assert_true(r.ok[0]);
	assert_int_equal(r.rets[1], -EFAULT);
}

static void unmapped_body(struct record *r, struct hm_vcpu *vcpu,
			  const struct tiny_pattern *d, uint64_t daddr)
{
	char buf[8192];

	(void)daddr;
	memset(buf, 0, sizeof(buf));
	r->rets[0] = hm_vcpu_read(vcpu, d->tail, buf, sizeof(buf));
	r->ok[0] = all_a(buf, d->tail_len) && buf[d->tail_len] == 0;
	r->values[0] = d->tail_len;
	r->rets[1] = hm_vcpu_read(vcpu, d->tail + d->tail_len, buf, 1);
	r->rets[2] = hm_vcpu_read(vcpu, d->hole, buf, 16);
}

static void read_into_unmapped_page_returns_prefix_then_efault(void **state)
{
	struct record r = { 0 };

	(void)state;
	assert_int_equal(run_pattern(&r, unmapped_body), 0);
	assert_int_equal(r.rets[0], r.values[0]);
	assert_true(r.ok[0]);
	assert_int_equal(r.rets[1], -EFAULT);
	assert_int_equal(r.rets[2], -EFAULT);
}

static void read_only_body(struct record *r, struct hm_vcpu *vcpu,
			   const struct tiny_pattern *d, uint64_t daddr)
{
	static const char junk[16] = "overwrite me!!!";
	uint8_t page[4096];

	(void)daddr;
	r->rets[0] = hm_vcpu_write(vcpu, d->ro, junk, sizeof(junk));
	r->rets[1] = hm_vcpu_write(vcpu, d->hole, junk, sizeof(junk));
	r->rets[2] = hm_vcpu_read(vcpu, d->ro, page, sizeof(page));
	r->ok[2] = matches(page, sizeof(page), TINY_RO_SEED);
}

static void write_to_read_only_page_fails_efault(void **state)
{
	struct record r = { 0 };

	(void)state;
	/* Status 0 includes the guest's check that the page is intact. */
	assert_int_equal(run_pattern(&r, read_only_body), 0);
	assert_int_equal(r.rets[0], -EFAULT);
	assert_int_equal(r.rets[1], -EFAULT);
	assert_int_equal(r.rets[2], 4096);
	assert_true(r.ok[2]);
}

/* ---- processes and vCPUs ---- */

static void record_body(struct record *r, struct hm_vcpu *vcpu,
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

static void two_processes_take_turns_with_their_own_pid_argv_fds(void **state)
{
	struct record r = { .body = record_body };
	unsigned int i, switches = 0;
	uint64_t alpha = 0, beta = 0;
	struct guest vm;

	(void)state;
	assert_int_equal(boot(&vm, &r, "scenario=two quiet", 1, 0), 0);
	assert_true(vm.all_done);
	assert_int_equal(vm.failed, 0);
	assert_true(r.nr_events > 10);
	for (i = 0; i < r.nr_events; i++) {
		struct seen *s = &r.events[i];

		/* argv and environment agree with each other... */
		assert_string_equal(s->argv1, s->role);
		/* ...and each pid keeps its own. */
		if (!strcmp(s->argv1, "alpha")) {
			if (!alpha)
				alpha = s->pid;
			assert_int_equal(s->pid, alpha);
		} else {
			assert_string_equal(s->argv1, "beta");
			if (!beta)
				beta = s->pid;
			assert_int_equal(s->pid, beta);
		}
		if (s->nr == TINY_SYS_WRITE && s->args[0] == 1)
			assert_string_equal(s->fd_name, "/dev/ttyS0");
		if (s->nr == TINY_SYS_OPEN)
			assert_string_equal(s->fd_name, "/etc/hostname");
		if (s->nr == TINY_SYS_SOCKET || (s->nr == TINY_SYS_WRITE &&
						 s->args[0] == 3))
			assert_memory_equal(s->fd_name, "socket:[", 8);
		if (s->nr == TINY_SYS_GETPID)
			assert_int_equal(s->ret, s->pid);
		if (i && s->pid != r.events[i - 1].pid)
			switches++;
	}
	assert_true(alpha && beta && alpha != beta);
	/* Three rounds each, yielding after every round. */
	assert_true(switches >= 5);
	finish(&vm);
}

static void two_vcpus_raise_events_through_their_own_regions(void **state)
{
	struct record r = { .body = record_body };
	uint64_t region[2] = { 0, 0 };
	unsigned int i, count[2] = { 0, 0 };
	struct guest vm;

	(void)state;
	assert_int_equal(boot(&vm, &r, "scenario=smp quiet", 2, 0), 0);
	assert_true(vm.all_done);
	assert_int_equal(vm.failed, 0);
	for (i = 0; i < r.nr_events; i++) {
		struct seen *s = &r.events[i];

		assert_true(s->vcpu < 2);
		count[s->vcpu]++;
		if (!region[s->vcpu])
			region[s->vcpu] = s->region_gpa;
		assert_int_equal(s->region_gpa, region[s->vcpu]);
		/* The smp scenario puts alpha on vCPU 0, beta on 1. */
		assert_string_equal(s->argv1, s->vcpu ? "beta" : "alpha");
	}
	assert_true(count[0] > 0 && count[1] > 0);
	assert_true(region[0] != region[1]);
	assert_int_equal(region[0] % 4096, 0);
	assert_int_equal(region[1] % 4096, 0);
	finish(&vm);
}

/* ---- hostile guests ---- */

/* Two ops whose replies carry a byte count (fd 1 always exists). */
static void first_op_body(struct record *r, struct hm_vcpu *vcpu,
			  const struct hm_event *ev)
{
	double t0;

	if (r->done++)
		return;
	(void)ev;
	t0 = now_ms();
	r->rets[0] = hm_vcpu_read_fd_name(vcpu, 1, r->strs[0], 64);
	r->ms[0] = now_ms() - t0;
	t0 = now_ms();
	r->rets[1] = hm_vcpu_read_fd_name(vcpu, 1, r->strs[1], 64);
	r->ms[1] = now_ms() - t0;
	hm_vcpu_get_stats(vcpu, &r->stats[0]);
}

/* The guest will never answer again: stop the VM once the ops gave up. */
static void silent_body(struct record *r, struct hm_vcpu *vcpu,
			const struct hm_event *ev)
{
	first_op_body(r, vcpu, ev);
	vmm_stop(r->vm);
}

static void silent_guest_op_times_out_and_vmm_stops(void **state)
{
	struct record r = { .body = silent_body };
	struct guest vm;
	double t0 = now_ms();

	(void)state;
	assert_int_equal(boot(&vm, &r, "scenario=ioctl quiet hostile=silent",
			      1, 300), 0);
	assert_int_equal(r.done, 1);
	assert_int_equal(r.rets[0], -ETIMEDOUT);
	assert_true(r.ms[0] >= 290 && r.ms[0] < 1000);
	/* The event is abandoned: later ops fail at once. */
	assert_int_equal(r.rets[1], -ETIMEDOUT);
	assert_true(r.ms[1] < 100);
	assert_true(r.stats[0].timeouts > 0);
	assert_false(vm.timed_out);
	assert_true(now_ms() - t0 < 5000);
	destroy(&vm);
}

static void hostile_test(const char *mode, struct record *r)
{
	char cmdline[128];
	struct guest vm;

	snprintf(cmdline, sizeof(cmdline), "scenario=ioctl quiet hostile=%s",
		 mode);
	r->body = first_op_body;
	assert_int_equal(boot(&vm, r, cmdline, 1, 300), 0);
	/* The host lived on, and so did the guest. */
	assert_false(vm.crashed);
	assert_true(vm.all_done);
	finish(&vm);
}

static void oversize_reply_fails_eproto(void **state)
{
	struct record r = { 0 };

	(void)state;
	hostile_test("oversize", &r);
	assert_true(r.done > 0);
	assert_int_equal(r.rets[0], -EPROTO);
	assert_true(r.stats[0].protocol_errors > 0);
}

static void garbage_response_code_fails_eproto(void **state)
{
	struct record r = { 0 };

	(void)state;
	hostile_test("badcode", &r);
	assert_true(r.done > 0);
	assert_int_equal(r.rets[0], -EPROTO);
	assert_true(r.stats[0].protocol_errors > 0);
}

static void reregister_outside_ram_fails_cleanly(void **state)
{
	struct record r = { 0 };

	(void)state;
	hostile_test("reregister", &r);
	assert_true(r.done > 0);
	assert_true(r.rets[0] < 0);
	assert_true(r.stats[0].protocol_errors > 0);
}

/* ---- vectored, direct and hybrid reads ---- */

static void readv_body(struct record *r, struct hm_vcpu *vcpu,
		       const struct tiny_pattern *d, uint64_t daddr)
{
	static uint8_t bufs[64][8];
	struct hm_iovec v[64];
	struct hm_stats before, after;
	unsigned int i, j;

	(void)daddr;
	for (i = 0; i < 64; i++)
		v[i] = (struct hm_iovec){ .addr = d->buf[3] + i * 4096 + i,
					  .buf = bufs[i], .len = 8 };
	hm_vcpu_get_stats(vcpu, &before);
	r->rets[0] = hm_vcpu_readv(vcpu, v, 64);
	hm_vcpu_get_stats(vcpu, &after);
	r->values[0] = after.round_trips - before.round_trips;
	r->ok[0] = 1;
	for (i = 0; i < 64; i++)
		for (j = 0; j < 8; j++)
			r->ok[0] &= bufs[i][j] == tiny_pattern_byte(
				tiny_read_seed(3), i * 4096 + i + j);
}

static void readv_of_64_scattered_reads_takes_one_round_trip(void **state)
{
	struct record r = { 0 };

	(void)state;
	assert_int_equal(run_pattern(&r, readv_body), 0);
	assert_int_equal(r.rets[0], 64);
	assert_int_equal(r.values[0], 1);
	assert_true(r.ok[0]);
}

static void region_body(struct record *r, struct hm_vcpu *vcpu,
			const struct tiny_pattern *d, uint64_t daddr)
{
	struct hm_guest_info info;
	uint8_t *buf = malloc(262144);
	struct hm_stats before, after;

	(void)daddr;
	hm_vcpu_get_guest_info(vcpu, &info);
	r->values[0] = info.region_pages;
	r->values[1] = info.features;
	hm_vcpu_get_stats(vcpu, &before);
	r->rets[2] = hm_vcpu_read(vcpu, d->buf[3], buf, 262144);
	hm_vcpu_get_stats(vcpu, &after);
	r->values[2] = after.round_trips - before.round_trips;
	r->ok[2] = matches(buf, 262144, tiny_read_seed(3));
	free(buf);
}

static void guest_tiny_offers_sixteen_pages_and_readv(void **state)
{
	struct record r = { 0 };

	(void)state;
	assert_int_equal(run_pattern(&r, region_body), 0);
	assert_int_equal(r.values[0], HM_MAX_REGION_PAGES);
	assert_true(r.values[1] & HM_FEATURE_READV);
	assert_int_equal(r.rets[2], 262144);
	/* 262144 bytes in chunks of 16 pages less the header. */
	assert_int_equal(r.values[2], 5);
	assert_true(r.ok[2]);
}

/* Translations of guest-tiny's own tables, checked against its memory. */
static void walk_body(struct record *r, struct hm_vcpu *vcpu,
		      const struct tiny_pattern *d, uint64_t daddr)
{
	struct hm_guest_info info;
	struct hm_translation t;
	const uint8_t *hva;
	unsigned int k;

	(void)daddr;
	hm_vcpu_get_guest_info(vcpu, &info);
	r->rets[0] = hm_vcpu_translate(vcpu, d->buf[1] + 100, &t);
	hva = hm_vm_gpa_to_hva(hm_vcpu_get_vm(vcpu), t.gpa, 16);
	r->ok[0] = hva != NULL;
	for (k = 0; hva && k < 16; k++)
		r->ok[0] &= hva[k] == tiny_pattern_byte(tiny_read_seed(1),
							100 + k);
	r->values[0] = t.flags | t.page_size << 8;
	r->rets[1] = hm_vcpu_translate(vcpu, d->ro, &t);
	r->values[1] = t.flags;
	r->rets[2] = hm_vcpu_translate(vcpu, d->hole, &t);
	r->rets[3] = hm_vcpu_translate(vcpu, d->tail + d->tail_len, &t);
	r->rets[4] = hm_vcpu_translate(vcpu, 0x7f0000000000ull, &t);
	/* The kernel's identity map of RAM, 2 MiB supervisor pages. */
	r->rets[5] = hm_vcpu_translate(vcpu, info.region_gpa + 24, &t);
	r->values[5] = t.gpa - info.region_gpa;
	r->values[6] = t.page_size;
	r->values[7] = t.flags;
}

static void walker_agrees_with_guest_tiny_page_tables(void **state)
{
	struct record r = { 0 };

	(void)state;
	assert_int_equal(run_pattern(&r, walk_body), 0);
	assert_int_equal(r.rets[0], 0);
	assert_true(r.ok[0]);
	assert_int_equal(r.values[0], HM_PAGE_WRITABLE | HM_PAGE_USER |
				      4096 << 8);
	assert_int_equal(r.rets[1], 0);
	assert_int_equal(r.values[1], HM_PAGE_USER);
	assert_int_equal(r.rets[2], -ENOENT);
	assert_int_equal(r.rets[3], -ENOENT);
	assert_int_equal(r.rets[4], -ENOENT);
	assert_int_equal(r.rets[5], 0);
	assert_int_equal(r.values[5], 24);
	assert_int_equal(r.values[6], 2u << 20);
	assert_int_equal(r.values[7], HM_PAGE_WRITABLE);
}

/* Each range read in the three modes; results and bytes must agree. */
static void modes_body(struct record *r, struct hm_vcpu *vcpu,
		       const struct tiny_pattern *d, uint64_t daddr)
{
	static const enum hm_read_mode modes[] = {
		HM_READ_COOPERATIVE, HM_READ_HYBRID, HM_READ_DIRECT,
	};
	uint64_t addrs[4] = { d->buf[1], d->buf[3], d->tail, d->hole };
	size_t lens[4] = { 4072, 262144, 8192, 16 };
	struct hm_vm *vm = hm_vcpu_get_vm(vcpu);
	uint8_t *got[3];
	unsigned int m, i;

	(void)daddr;
	for (i = 0; i < 4; i++) {
		for (m = 0; m < 3; m++) {
			got[m] = calloc(1, lens[i]);
			hm_vm_set_read_mode(vm, modes[m]);
			r->rets[i * 3 + m] = hm_vcpu_read(vcpu, addrs[i],
							  got[m], lens[i]);
		}
		r->ok[i] = !memcmp(got[0], got[1], lens[i]) &&
			   !memcmp(got[0], got[2], lens[i]);
		for (m = 0; m < 3; m++)
			free(got[m]);
	}
	hm_vm_set_read_mode(vm, HM_READ_HYBRID);
	r->rets[12] = hm_vcpu_read_str(vcpu, d->str, r->strs[0], 100);
	r->rets[13] = hm_vcpu_read_str(vcpu, d->tail, r->strs[1], 100);
	hm_vm_set_read_mode(vm, HM_READ_COOPERATIVE);
	r->rets[14] = hm_vcpu_read_str(vcpu, d->str, r->strs[2], 100);
	r->rets[15] = hm_vcpu_read_str(vcpu, d->tail, r->strs[3], 100);
}

static void hybrid_direct_and_cooperative_reads_agree(void **state)
{
	struct record r = { 0 };
	unsigned int i;

	(void)state;
	assert_int_equal(run_pattern(&r, modes_body), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(r.rets[i * 3], r.rets[i * 3 + 1]);
		assert_int_equal(r.rets[i * 3], r.rets[i * 3 + 2]);
		assert_true(r.ok[i]);
	}
	assert_int_equal(r.rets[1], 4072);
	assert_int_equal(r.rets[4], 262144);
	assert_int_equal(r.rets[6], 5000);
	assert_int_equal(r.rets[9], -EFAULT);
	assert_int_equal(r.rets[12], r.rets[14]);
	assert_int_equal(r.rets[13], r.rets[15]);
	assert_int_equal(r.rets[12], -ENAMETOOLONG);
	assert_string_equal(r.strs[0], r.strs[2]);
	assert_string_equal(r.strs[1], r.strs[3]);
}

/* ---- event control: control_test, scenario "control" ---- */

/* How many of control_test's three controls the host applies, in order. */
static unsigned int controls;

static void control_body(struct record *r, struct hm_vcpu *vcpu,
			 const struct hm_event *ev)
{
	int enter = ev->kind == HM_EVENT_SYSCALL_ENTER;

	if (enter && ev->nr == TINY_SYS_WRITE &&
	    ev->args[2] == TINY_CONTROL_WRITE) {
		r->rets[0] = hm_vcpu_set_arg(vcpu, 2, TINY_CONTROL_CUT);
		hm_vcpu_get_proc_pid(vcpu, &r->values[0]);
	} else if (controls >= 2 && enter && ev->nr == TINY_SYS_WRITE &&
		 ev->args[2] == TINY_CONTROL_SKIP_WRITE)
		r->rets[1] = hm_vcpu_skip_syscall(vcpu, TINY_CONTROL_SKIPPED);
	else if (ev->kind == HM_EVENT_SYSCALL_EXIT &&
		 ev->nr == TINY_SYS_GETPID) {
		r->values[2] = ev->ret;
		if (controls >= 3)
			r->rets[2] = hm_vcpu_set_return(vcpu,
							TINY_CONTROL_PID);
	}
}

/* control_test's exit status, the host applying @n controls. */
static int run_control(struct guest *vm, struct record *r, unsigned int n)
{
	controls = n;
	r->body = control_body;
	r->rets[0] = r->rets[1] = r->rets[2] = -1;
	assert_int_equal(boot(vm, r, "scenario=control quiet", 1, 0), 0);
	assert_int_equal(r->rets[0], 0);
	assert_true(vm->all_done);
	return proc_status(vm, r->values[0]);
}

static void changed_write_count_is_what_the_guest_writes(void **state)
{
	struct record r = { 0 };
	struct guest vm;

	(void)state;
	/* Status 2: the count held; the second write was not skipped. */
	assert_int_equal(run_control(&vm, &r, 1), 2);
	assert_non_null(strstr(vm.console, "control: cut here\n"));
	assert_null(strstr(vm.console, "not this"));
	finish(&vm);
}

static void skipped_write_returns_the_value_and_writes_nothing(void **state)
{
	struct record r = { 0 };
	struct guest vm;

	(void)state;
	/* Status 3: the skip held, getpid() was left alone. */
	assert_int_equal(run_control(&vm, &r, 2), 3);
	assert_int_equal(r.rets[1], 0);
	assert_null(strstr(vm.console, "skipped write"));
	finish(&vm);
}

static void replaced_return_is_what_the_guest_gets(void **state)
{
	struct record r = { 0 };
	struct guest vm;

	(void)state;
	assert_int_equal(run_control(&vm, &r, 3), 0);
	assert_int_equal(r.rets[2], 0);
	assert_int_not_equal(r.values[2], TINY_CONTROL_PID);
	assert_non_null(strstr(vm.console, "control_test: PASS"));
	finish(&vm);
}


/* ---- subscriptions ---- */

#define COMM_WORKER_LO 0x72656b726f77ull	/* "worker", little-endian */

/*
 * sched_yield's return (which guest-tiny never raises by itself) from any
 * "worker", and write(1, ...) from pid 2 (beta: the second process).
 */
static const struct hm_sub_rule yields_and_beta_writes[] = {
	{ .kind = HM_EVENT_SYSCALL_EXIT, .nr = TINY_SYS_SCHED_YIELD,
	  .nr_conds = 1,
	  .conds = { { .field = HM_FIELD_COMM, .lo = COMM_WORKER_LO } } },
	{ .kind = HM_EVENT_SYSCALL_ENTER, .nr = TINY_SYS_WRITE,
	  .nr_conds = 2,
	  .conds = { { .field = HM_FIELD_ARG0, .lo = 1, .hi = 1 },
		     { .field = HM_FIELD_PID, .lo = 2, .hi = 2 } } },
};

/* A boot of @cmdline subscribed to @rules that ran every program well. */
static void boot_subscribed(struct guest *vm, struct record *r,
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

static void subscribed_guest_raises_only_what_the_rules_match(void **state)
{
	struct record r = { .body = record_body };
	unsigned int i, yields = 0, writes = 0;
	struct guest vm;

	(void)state;
	boot_subscribed(&vm, &r, "scenario=two quiet", yields_and_beta_writes,
			ARRAY_SIZE(yields_and_beta_writes));
	for (i = 0; i < r.nr_events; i++) {
		struct seen *s = &r.events[i];

		/* Who raised it came with the event, and is right. */
		assert_int_equal(s->flags, HM_EVENT_HAS_TASK);
		assert_string_equal(s->comm, "worker");
		assert_int_equal(s->event_pid, s->pid);
		if (s->kind == HM_EVENT_SYSCALL_EXIT &&
		    s->nr == TINY_SYS_SCHED_YIELD) {
			yields++;
			continue;
		}
		assert_int_equal(s->kind, HM_EVENT_SYSCALL_ENTER);
		assert_int_equal(s->nr, TINY_SYS_WRITE);
		assert_int_equal(s->args[0], 1);
		assert_int_equal(s->pid, 2);
		assert_string_equal(s->argv1, "beta");
		writes++;
	}
	/* Three rounds each, a yield and a line to fd 1 in each. */
	assert_true(yields >= 6);
	assert_true(writes >= 3);
	finish(&vm);
}

/* The rules' verdicts on each event, on the host's side. */
static void matches_body(struct record *r, struct hm_vcpu *vcpu,
			 const struct hm_event *ev)
{
	int beta = hm_vcpu_event_matches(vcpu, ev,
					 &yields_and_beta_writes[1]);
	int comm = hm_vcpu_event_matches(vcpu, ev,
					 &yields_and_beta_writes[0]);
	uint64_t pid = 0;

	pthread_mutex_lock(&r->lock);
	if (ev->flags || ev->comm[0])
		r->ok[0]++;			/* no task may come */
	if (ev->kind == HM_EVENT_SYSCALL_EXIT &&
	    ev->nr == TINY_SYS_SCHED_YIELD)
		r->ok[1]++;			/* nor an unasked yield */
	if (beta < 0)
		r->ok[2]++;
	if (beta == 1 && (hm_vcpu_get_proc_pid(vcpu, &pid) || pid != 2))
		r->ok[3]++;
	if (beta == 1)
		r->ok[4]++;
	if (comm != 0)
		r->ok[5]++;			/* yields never match: 0 */
	r->nr_events++;
	pthread_mutex_unlock(&r->lock);
}

/*
 * A guest without HM_FEATURE_SUBSCRIBE raises what it always raised,
 * whatever the VM's subscription; the host checks rules itself, a pid by a
 * round trip.
 */
static void guest_without_the_feature_raises_as_before(void **state)
{
	struct record r = { .body = matches_body };
	struct hm_sub_rule comm_rule = yields_and_beta_writes[0];
	struct hm_event ev = { .kind = HM_EVENT_SYSCALL_EXIT,
			       .nr = TINY_SYS_SCHED_YIELD };
	struct guest vm;

	(void)state;
	boot_subscribed(&vm, &r, "scenario=two quiet nosubscribe",
			yields_and_beta_writes,
			ARRAY_SIZE(yields_and_beta_writes));
	assert_true(r.nr_events > 10);
	assert_int_equal(r.ok[0], 0);
	assert_int_equal(r.ok[1], 0);
	assert_int_equal(r.ok[2], 0);
	assert_int_equal(r.ok[3], 0);
	assert_true(r.ok[4] >= 3);
	assert_int_equal(r.ok[5], 0);
	/* A comm cannot be checked without the event's task. */
	assert_int_equal(hm_vcpu_event_matches(NULL, &ev, &comm_rule),
			 -EOPNOTSUPP);
	finish(&vm);
}

static const struct hm_sub_rule every_write[] = {
	{ .kind = HM_EVENT_SYSCALL_ENTER, .nr = TINY_SYS_WRITE },
};

/* The first write's handler unsubscribes from everything. */
static void unsubscribe_body(struct record *r, struct hm_vcpu *vcpu,
			     const struct hm_event *ev)
{
	(void)ev;
	pthread_mutex_lock(&r->lock);
	r->nr_events++;
	r->rets[0] = hm_vm_subscribe(hm_vcpu_get_vm(vcpu), NULL, 0, 0);
	pthread_mutex_unlock(&r->lock);
}

static void subscription_changed_in_a_handler_holds_at_once(void **state)
{
	struct record r = { .body = unsubscribe_body };
	struct guest vm;

	(void)state;
	boot_subscribed(&vm, &r, "scenario=two quiet", every_write,
			ARRAY_SIZE(every_write));
	assert_int_equal(r.rets[0], 0);
	assert_int_equal(r.nr_events, 1);
	finish(&vm);
}


/* ---- prefetch ---- */

/* Every write's entry; with @fetching, its buffer and fd name come along. */
static struct hm_sub_rule write_rule(int fetching)
{
	struct hm_sub_rule r = {
		.kind = HM_EVENT_SYSCALL_ENTER, .nr = TINY_SYS_WRITE,
	};

	if (fetching) {
		r.nr_fetches = 3;
		r.fetches[0] = (struct hm_sub_fetch){ .what = HM_FETCH_BUF,
			.arg = 1, .len_arg = 2, .cap = 4096 };
		r.fetches[1] = (struct hm_sub_fetch){
			.what = HM_FETCH_FD_NAME, .arg = 0 };
		r.fetches[2] = (struct hm_sub_fetch){
			.what = HM_FETCH_ARGV, .cap = 4096 };
	}
	return r;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		h = (h ^ *b++) * 0x100000001b3ull;
	return h;
}

/* What a tracing handler reads; a digest of every answer, round trips. */
static void fetch_body(struct record *r, struct hm_vcpu *vcpu,
		       const struct hm_event *ev)
{
	struct hm_stats a, b;
	char buf[512], name[64];
	size_t len = ev->args[2] < sizeof(buf) ? ev->args[2] : sizeof(buf);
	size_t argc = 0, i;
	char **argv = NULL;
	ssize_t n, m;
	int args_err;

	memset(buf, 0, sizeof(buf));
	memset(name, 0, sizeof(name));
	hm_vcpu_get_stats(vcpu, &a);
	n = hm_vcpu_read(vcpu, ev->args[1], buf, len);
	m = hm_vcpu_read_fd_name(vcpu, (int64_t)ev->args[0], name,
				 sizeof(name));
	args_err = hm_vcpu_get_proc_args(vcpu, &argv, &argc);
	hm_vcpu_get_stats(vcpu, &b);
	pthread_mutex_lock(&r->lock);
	r->nr_events++;
	r->values[0] = fnv(r->values[0], &n, sizeof(n));
	r->values[0] = fnv(r->values[0], buf, sizeof(buf));
	r->values[0] = fnv(r->values[0], &m, sizeof(m));
	r->values[0] = fnv(r->values[0], name, sizeof(name));
	r->values[0] = fnv(r->values[0], &args_err, sizeof(args_err));
	for (i = 0; !args_err && i < argc; i++)
		r->values[0] = fnv(r->values[0], argv[i], strlen(argv[i]) + 1);
	if (!args_err)
		free(argv);
	r->values[1] += b.round_trips - a.round_trips;
	pthread_mutex_unlock(&r->lock);
}

static void fetched_reads_equal_round_trips_without_one(void **state)
{
	struct hm_sub_rule rules[2] = { write_rule(0), write_rule(1) };
	struct record r[2] = { { .body = fetch_body },
			       { .body = fetch_body } };
	struct guest vm;
	int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		r[i].values[0] = 0xcbf29ce484222325ull;
		boot_subscribed(&vm, &r[i], "scenario=two quiet", &rules[i],
				1);
		finish(&vm);
	}
	assert_true(r[0].nr_events >= 6);
	assert_int_equal(r[1].nr_events, r[0].nr_events);
	assert_int_equal(r[1].values[0], r[0].values[0]);
	assert_int_equal(r[0].values[1], 3 * r[0].nr_events);
	assert_int_equal(r[1].values[1], 0);
}


/*
 * A guest that boots and exits at all, or a reason to skip. The VMCALL
 * doorbell is not skipped: a KVM that does not hand it to the VMM fails
 * (the kvm_pvm form spins on it; scripts/with-kvm has a KVM that does).
 */
static int kvm_usable(void)
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

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ioctl_interaction_sequence),
		cmocka_unit_test(read_exact_1_4072_4073_262144_bytes),
		cmocka_unit_test(write_exact_1_4072_4073_262144_bytes),
		cmocka_unit_test(read_str_of_10000_bytes),
		cmocka_unit_test(read_str_without_nul_stops_at_cap_or_fault),
		cmocka_unit_test(
			read_into_unmapped_page_returns_prefix_then_efault),
		cmocka_unit_test(write_to_read_only_page_fails_efault),
		cmocka_unit_test(
			two_processes_take_turns_with_their_own_pid_argv_fds),
		cmocka_unit_test(
			two_vcpus_raise_events_through_their_own_regions),
		cmocka_unit_test(silent_guest_op_times_out_and_vmm_stops),
		cmocka_unit_test(oversize_reply_fails_eproto),
		cmocka_unit_test(garbage_response_code_fails_eproto),
		cmocka_unit_test(reregister_outside_ram_fails_cleanly),
		cmocka_unit_test(
			readv_of_64_scattered_reads_takes_one_round_trip),
		cmocka_unit_test(guest_tiny_offers_sixteen_pages_and_readv),
		cmocka_unit_test(walker_agrees_with_guest_tiny_page_tables),
		cmocka_unit_test(hybrid_direct_and_cooperative_reads_agree),
		cmocka_unit_test(changed_write_count_is_what_the_guest_writes),
		cmocka_unit_test(
			skipped_write_returns_the_value_and_writes_nothing),
		cmocka_unit_test(replaced_return_is_what_the_guest_gets),
		cmocka_unit_test(
			subscribed_guest_raises_only_what_the_rules_match),
		cmocka_unit_test(guest_without_the_feature_raises_as_before),
		cmocka_unit_test(
			subscription_changed_in_a_handler_holds_at_once),
		cmocka_unit_test(fetched_reads_equal_round_trips_without_one),
	};

	int err;

	guest_path = argc > 1 ? argv[1] : getenv("GUEST_TINY_ELF");
	if (!guest_path) {
		printf("skip: no guest-tiny.elf given\n");
		return 77;
	}
	if (argc > 2)
		transport = argv[2];
	err = kvm_usable();
	if (err)
		return err;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
