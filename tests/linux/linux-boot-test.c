// SPDX-License-Identifier: MIT
/*
 * Boots a Linux kernel on the VMM core's linux board and checks what it
 * says on its serial console against what the monitor gave it.
 *
 *   linux-boot-test bzimage BZIMAGE    the 64-bit boot protocol: banner,
 *                                      e820 map and command line where KVM
 *                                      can run the kernel, else the
 *                                      decompressor runs in long mode
 *   linux-boot-test full VMLINUX INITRD
 *                                      on two vCPUs, over port I/O and then
 *                                      VMCALL: the guest module registers
 *                                      every CPU, the ioctl interaction
 *                                      passes on each and the host changes
 *                                      hm-control-test's syscalls (event
 *                                      control: an argument, a skip, a
 *                                      return value; make-linux-guest's
 *                                      image)
 *   linux-boot-test host               exit 0 where KVM can run Linux, else
 *                                      77 with the reason
 *
 * The vmlinux (PVH) boot and its diagnosis are tested through hypermem-run
 * (hypermem-run-test.sh), which prints what it gave the kernel.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vmm/vmm.h>

#include "hang-report.h"

#define SKIP 77
#define CONSOLE_MAX (4u << 20)
#define APPEND "console=ttyS0 earlyprintk=ttyS0 lpj=1000000 tsc=reliable " \
	"no_timer_check panic=-1 hypermem.test=linux-boot-7"
/* What the ioctl test raises: HMIO in ASCII. */
#define USER_EVENT_CODE 0x484d494full
#define IFNAMSIZ 16
/* hm-control-test's marks: its pipe's fd and the directory to skip. */
#define CONTROL_FD 1000
#define SKIPPED_DIR "/hm-skipped"
#define MADE_DIR "/hm-made"
#define NR_WRITE 1
#define NR_LSEEK 8
#define NR_MKDIR 83

struct console {
	char *buf;
	size_t len;
};

static int failures;

static void check(int ok, const char *what, ...)
{
	va_list ap;

	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, what);
	vprintf(what, ap);
	va_end(ap);
	printf("\n");
	if (!ok)
		failures++;
}

static void on_console(int cpu, const char *buf, size_t len, void *opaque)
{
	struct console *c = opaque;

	(void)cpu;
	if (c->len + len >= CONSOLE_MAX)
		return;
	memcpy(c->buf + c->len, buf, len);
	c->len += len;
	c->buf[c->len] = 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The kernel's own words for each range: "BIOS-e820: [mem A-B] usable". */
static void check_e820(struct vmm *vm, const char *out)
{
	const struct vmm_e820_entry *map;
	size_t n, i, usable = 0, printed = 0;
	const char *p = out;
	char line[128];

	map = vmm_get_e820(vm, &n);
	for (i = 0; i < n; i++) {
		if (map[i].type != 1)
			continue;
		usable++;
		snprintf(line, sizeof(line),
			 "BIOS-e820: [mem 0x%016" PRIx64 "-0x%016" PRIx64
			 "] usable", map[i].addr,
			 map[i].addr + map[i].size - 1);
		check(strstr(out, line) != NULL, "kernel prints %s", line);
	}
	while ((p = strstr(p, "] usable"))) {
		printed++;
		p++;
	}
	check(printed == usable, "kernel prints %zu usable ranges, we gave %zu",
	      printed, usable);
}

/* What we passed, and what the core added to hide CPU features. */
static void check_cmdline(struct vmm *vm, const char *out)
{
	const char *cmdline = vmm_get_cmdline(vm);
	const char *p = strstr(out, "Command line: ");
	size_t len = strlen(cmdline);

	check(p && !strncmp(p + 14, cmdline, len) &&
	      (p[14 + len] == '\n' || p[14 + len] == '\r'),
	      "kernel prints the command line we passed: %s", cmdline);
	check(!strncmp(cmdline, APPEND, strlen(APPEND)),
	      "which begins with the test's --append");
}

static void check_boot_output(struct vmm *vm, const char *out)
{
	check(strstr(out, "Linux version ") != NULL,
	      "banner \"Linux version\"");
	check_cmdline(vm, out);
	check_e820(vm, out);
}

static void print_result(const struct vmm_result *r, double seconds)
{
	printf("# run ended after %.1f s: %s\n", seconds,
	       vmm_stop_reason_name(r->reason));
	if (r->diagnosis[0])
		printf("# %s\n", r->diagnosis);
	for (unsigned int i = 0; i < r->nr_cpus; i++) {
		const struct vmm_cpu_result *c = &r->cpus[i];

		printf("# cpu%u: %" PRIu64 " exits, %" PRIu64 " hypermem",
		       i, c->exits, c->hm_exits);
		if (c->has_pc)
			printf(", pc 0x%" PRIx64 ", mp_state %u", c->pc,
			       c->mp_state);
		printf("\n");
	}
}

/* For a hang's report: what the guest said last (read as it stands). */
static void console_tail(void *opaque)
{
	const struct console *c = opaque;
	size_t len = c->len, from = len > 3000 ? len - 3000 : 0;

	fprintf(stderr, "# the guest's console, its last %zu bytes:\n%.*s\n"
		"# ---- end ----\n", len - from, (int)(len - from),
		c->buf + from);
}

/*
 * Boot, the guests subscribed to @rules first where there are some. The
 * run has its deadline (timeout_ms); one that overruns it by a minute is a
 * hang of the VMM's, reported with every thread's state.
 */
static int boot(struct vmm_config *o, struct console *c, struct vmm **vm,
		struct vmm_result *r, const struct hm_sub_rule *rules,
		size_t nr_rules)
{
	double start = now();
	int ret;

	o->console_fn = on_console;
	o->console_opaque = c;
	ret = vmm_new(o, vm);
	if (!ret && nr_rules)
		ret = hm_vm_subscribe(vmm_get_hm(*vm), rules, nr_rules, 0);
	if (ret) {
		printf("Bail out! vmm_new: %s\n", strerror(-ret));
		return ret;
	}
	hang_report_arm(o->timeout_ms / 1000 + 60, "vmm_run", console_tail, c);
	ret = vmm_run(*vm, r);
	hang_report_disarm();
	print_result(r, now() - start);
	return ret;
}

/* The whole console, so that a failure can be read in the test log. */
static void show_console(const struct console *c)
{
	printf("# ---- serial console ----\n%s\n# ---- end ----\n", c->buf);
}

/*
 * Where kernel code is emulated, decompressing takes hours: after 20 s
 * the boot CPU must still be in the decompressor, in long mode at CPL0.
 */
static int test_bzimage(const char *kernel)
{
	int emulated = vmm_cpuid_hides(VMM_CPUID_HIDE_AUTO);
	struct vmm_config o = {
		.board = VMM_BOARD_LINUX, .kernel = kernel, .cmdline = APPEND,
		.timeout_ms = emulated ? 20000 : 240000,
	};
	struct console c = { .buf = calloc(1, CONSOLE_MAX) };
	struct vmm_result r;
	struct vmm *vm;

	if (boot(&o, &c, &vm, &r, NULL, 0))
		return 1;
	check(!vmm_is_pvh(vm), "bzImage entered through startup_64");
	if (emulated) {
		check(r.reason == VMM_STOP_TIMEOUT,
		      "still running at the deadline (got %s)",
		      vmm_stop_reason_name(r.reason));
		check(r.sregs.cs.l && r.sregs.cs.dpl == 0 &&
		      (r.sregs.efer & 0x400),
		      "in long mode at CPL0 (CS.L %u, DPL %u, EFER 0x%llx)",
		      r.sregs.cs.l, r.sregs.cs.dpl, r.sregs.efer);
		check(r.regs.rip >= 0x100000 && r.regs.rip < 0x80000000,
		      "RIP 0x%llx in the decompressor, not at 0", r.regs.rip);
	} else {
		check_boot_output(vm, c.buf);
		check(r.reason == VMM_STOP_RESET, "panic=-1 resets (got %s)",
		      vmm_stop_reason_name(r.reason));
	}
	vmm_free(vm);
	free(c.buf);
	return failures ? 1 : 0;
}

#define FULL_CPUS 2

struct full_state {
	int events[FULL_CPUS];
	int sequence_ok[FULL_CPUS];
	int count_set;		/* write(1000, .., 10): count 4 asked for */
	int skipped;		/* mkdir("/hm-skipped"): skipped with 0 */
	int skipped_exits;	/* its exit events: none may come */
	int made_exits;		/* mkdir("/hm-made") ran: its exit */
	int ret_set;		/* lseek(1000): -ESPIPE seen, 4242 asked */
	int control_errors;	/* a control call that failed */
	int syscall_events;	/* every one, all from hm-control-test */
	int mkdir_trips;	/* round trips for mkdir's path: prefetched */
	int strangers;		/* events of another task or call */
	int system_sleepable;	/* the whole system seen from a user event */
	int system_atomic;	/* and from a syscall event */
	int execs;		/* hm-ioctl-test's exec, its argv and exe */
	int exits;		/* its exit, status 0, its process's last */
	int process_others;	/* process events of another or wrong */
	int files_written;	/* /hm-written, from the user event */
	int other_process;	/* init's argv and memory, then our own */
};

/*
 * Another process from a user event (where the module may sleep): init's
 * argv (busybox running the /init script, then the words of the kernel's
 * command line it did not take: "/init" among them) and pid, a read of
 * its stack, a write back of the same bytes; then the event's own
 * process again, whatever happened.
 */
static int has_word(char **argv, size_t argc, const char *word)
{
	size_t i;

	for (i = 0; i < argc; i++)
		if (!strcmp(argv[i], word))
			return 1;
	return 0;
}

static int other_process(struct hm_vcpu *vcpu, const struct hm_event *ev)
{
	struct hm_mapping *maps;
	uint8_t bytes[16];
	char **argv = NULL;
	size_t argc = 0, nm, i;
	uint64_t pid = 0, stack = 0;
	int ok, back;

	if (hm_vcpu_get_maps(vcpu, 1, &maps, &nm))
		return 0;
	for (i = 0; i < nm; i++)
		if (!strcmp(maps[i].name, "[stack]"))
			stack = maps[i].end - sizeof(bytes);
	free(maps);
	ok = stack && !hm_vcpu_use_process(vcpu, 1) &&
	     !hm_vcpu_get_proc_pid(vcpu, &pid) && pid == 1 &&
	     !hm_vcpu_get_proc_args(vcpu, &argv, &argc) &&
	     has_word(argv, argc, "/init") &&
	     hm_vcpu_read(vcpu, stack, bytes, sizeof(bytes)) ==
	     (ssize_t)sizeof(bytes) &&
	     hm_vcpu_write(vcpu, stack, bytes, sizeof(bytes)) ==
	     (ssize_t)sizeof(bytes);
	back = !hm_vcpu_use_process(vcpu, 0) &&
	       !hm_vcpu_get_proc_pid(vcpu, &pid) && pid == ev->pid;
	if (!ok || !back)
		printf("# use_process(1): stack %#" PRIx64 ", argv[%zu] %s; "
		       "back %d\n", stack, argc, argv && argc ?
		       argv[argc - 1] : "-", back);
	ok &= back;
	free(argv);
	return ok;
}

/* What the host writes into the guest; init.sh reads it back. */
#define WRITTEN_PATH "/hm-written"
#define WRITTEN_TEXT "written by the host\n"

/* A mapping of @name with all of @flags (an ELF's text is not its first). */
static int has_map(const struct hm_mapping *maps, size_t n, const char *name,
		   uint32_t flags)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(maps[i].name, name) &&
		    (maps[i].flags & flags) == flags)
			return 1;
	return 0;
}

/* An open file whose name starts with @prefix. */
static int has_fd(const struct hm_open_file *files, size_t n,
		  const char *prefix)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strncmp(files[i].name, prefix, strlen(prefix)))
			return 1;
	return 0;
}

/*
 * The whole system as the event's program @prog sees it: init (pid 1,
 * no parent) and kthreadd (a kernel thread) in the task list, the program
 * a child of init; its map names its executable (read and exec) and its
 * stack; its exe and cwd; an open file whose name starts @fd_name. 1 when
 * all holds, else 0
 * after saying what did not.
 */
static int system_seen(struct hm_vcpu *vcpu, const struct hm_event *ev,
		       const char *prog, const char *fd_name)
{
	struct hm_process *tasks = NULL;
	struct hm_mapping *maps = NULL;
	struct hm_open_file *files = NULL;
	size_t nt = 0, nm = 0, nf = 0, i;
	int init = 0, kthreadd = 0, child = 0, text, stack, fd, ok;
	char exe[64], cwd[64];

	if (hm_vcpu_list_processes(vcpu, &tasks, &nt) ||
	    hm_vcpu_get_maps(vcpu, 0, &maps, &nm) ||
	    hm_vcpu_get_fds(vcpu, 0, &files, &nf) ||
	    hm_vcpu_get_exe(vcpu, 0, exe, sizeof(exe)) < 0 ||
	    hm_vcpu_get_cwd(vcpu, 0, cwd, sizeof(cwd)) < 0) {
		printf("# %s: a whole-system op failed\n", prog);
		free(tasks);
		free(maps);
		free(files);
		return 0;
	}
	for (i = 0; i < nt; i++) {
		init |= tasks[i].pid == 1 && !tasks[i].ppid;
		kthreadd |= tasks[i].pid == 2 &&
			    (tasks[i].flags & HM_PROC_KTHREAD);
		child |= tasks[i].pid == ev->pid && tasks[i].ppid == 1 &&
			 !strcmp(tasks[i].comm, ev->comm);
	}
	text = has_map(maps, nm, exe, HM_MAP_READ | HM_MAP_EXEC);
	stack = has_map(maps, nm, "[stack]", HM_MAP_READ | HM_MAP_WRITE);
	fd = has_fd(files, nf, fd_name);
	ok = init && kthreadd && child && text && stack &&
	     !strcmp(exe + 1, prog) && !strcmp(cwd, "/") && fd;
	if (!ok)
		printf("# %s: %zu tasks (init %d, kthreadd %d, child of init "
		       "%d), %zu mappings (text %d, stack %d), exe %s, cwd %s, "
		       "%zu fds (%s %d)\n", prog, nt, init, kthreadd, child, nm,
		       text, stack, exe, cwd, nf, fd_name, fd);
	free(tasks);
	free(maps);
	free(files);
	return ok;
}

/* "hm-control-test": the bytes of a comm condition's lo and hi. */
#define COMM_LO 0x72746e6f632d6d68ull	/* "hm-contr" */
#define COMM_HI 0x00747365742d6c6full	/* "ol-test" */
/* "hm-ioctl-test" */
#define IOCTL_LO 0x6c74636f692d6d68ull	/* "hm-ioctl" */
#define IOCTL_HI 0x000000747365742dull	/* "-test" */

/*
 * What hm-control-test's host subscribes to, the module loaded without
 * its syscalls parameter: write(1000) and lseek(1000)'s return, and
 * mkdir by that program only; its user events.
 */
static const struct hm_sub_rule control_rules[] = {
	{ .kind = HM_EVENT_SYSCALL_ENTER, .nr = NR_WRITE, .nr_conds = 1,
	  .conds = { { .field = HM_FIELD_ARG0, .lo = CONTROL_FD,
		       .hi = CONTROL_FD } } },
	{ .kind = HM_EVENT_SYSCALL_EXIT, .nr = NR_LSEEK, .nr_conds = 1,
	  .conds = { { .field = HM_FIELD_ARG0, .lo = CONTROL_FD,
		       .hi = CONTROL_FD } } },
	{ .kind = HM_EVENT_SYSCALL_ENTER, .nr = NR_MKDIR, .nr_conds = 1,
	  .conds = { { .field = HM_FIELD_COMM, .lo = COMM_LO,
		       .hi = COMM_HI } },
	  .nr_fetches = 1,
	  .fetches = { { .what = HM_FETCH_STR, .arg = 0, .cap = 64 } } },
	{ .kind = HM_EVENT_SYSCALL_EXIT, .nr = NR_MKDIR, .nr_conds = 1,
	  .conds = { { .field = HM_FIELD_COMM, .lo = COMM_LO,
		       .hi = COMM_HI } },
	  .nr_fetches = 1,
	  .fetches = { { .what = HM_FETCH_STR, .arg = 0, .cap = 64 } } },
	{ .kind = HM_EVENT_USER, .flags = HM_RULE_ANY_NR },
	/* hm-ioctl-test's start (its argv with it) and end. */
	{ .kind = HM_EVENT_PROCESS, .nr = HM_PROC_EXEC, .nr_conds = 1,
	  .conds = { { .field = HM_FIELD_COMM, .lo = IOCTL_LO,
		       .hi = IOCTL_HI } },
	  .nr_fetches = 1,
	  .fetches = { { .what = HM_FETCH_ARGV, .cap = 4096 } } },
	{ .kind = HM_EVENT_PROCESS, .nr = HM_PROC_EXIT, .nr_conds = 2,
	  .conds = { { .field = HM_FIELD_COMM, .lo = IOCTL_LO,
		       .hi = IOCTL_HI },
		     { .field = HM_FIELD_ARG0 + 3, .lo = 1, .hi = 1 } } },
};

/* hm-ioctl-test starts (exec: its argv and exe) and ends (exit 0). */
static int on_process(struct hm_vcpu *vcpu, const struct hm_event *ev,
		      struct full_state *st)
{
	char exe[64];
	char **argv;
	size_t argc;

	if (strcmp(ev->comm, "hm-ioctl-test") || ev->args[1] != ev->pid) {
		st->process_others++;
		return 0;
	}
	if (ev->nr == HM_PROC_EXIT) {
		if (ev->args[2] == 0 && ev->args[3] == 1)
			st->exits++;
		else
			st->process_others++;
		return 0;
	}
	if (ev->nr != HM_PROC_EXEC ||
	    hm_vcpu_get_exe(vcpu, 0, exe, sizeof(exe)) < 0 ||
	    hm_vcpu_get_proc_args(vcpu, &argv, &argc)) {
		st->process_others++;
		return 0;
	}
	if (!strcmp(exe, "/hm-ioctl-test") && argc == 1 &&
	    !strcmp(argv[0], "/hm-ioctl-test"))
		st->execs++;
	else
		printf("# exec: exe %s, argc %zu, argv[0] %s\n", exe, argc,
		       argc ? argv[0] : "-");
	free(argv);
	return 0;
}

static void control_done(struct full_state *st, int err, int *count)
{
	if (err) {
		printf("# event control failed: %s\n", strerror(-err));
		st->control_errors++;
	} else {
		++*count;
	}
}

/* mkdir's path, which the rule had the guest fetch with the event. */
static ssize_t read_path(struct hm_vcpu *vcpu, const struct hm_event *ev,
			 char *path, size_t cap, struct full_state *st)
{
	struct hm_stats a, b;
	ssize_t n;

	hm_vcpu_get_stats(vcpu, &a);
	n = hm_vcpu_read_str(vcpu, ev->args[0], path, cap);
	hm_vcpu_get_stats(vcpu, &b);
	st->mkdir_trips += (int)(b.round_trips - a.round_trips);
	return n;
}

/* hm-control-test's calls, told apart by their fd or path. */
static int on_syscall(struct hm_vcpu *vcpu, const struct hm_event *ev,
		      struct full_state *st)
{
	int enter = ev->kind == HM_EVENT_SYSCALL_ENTER;
	char path[64];

	st->syscall_events++;
	/* Atomic context: the module's tracepoint. */
	if (ev->nr == NR_WRITE && enter &&
	    system_seen(vcpu, ev, "hm-control-test", "pipe:["))
		st->system_atomic++;
	if (!(ev->flags & HM_EVENT_HAS_TASK) ||
	    strcmp(ev->comm, "hm-control-test") ||
	    (ev->nr != NR_WRITE && ev->nr != NR_LSEEK && ev->nr != NR_MKDIR))
		st->strangers++;
	if (ev->nr == NR_WRITE && enter && ev->args[0] == CONTROL_FD &&
	    ev->args[2] == 10) {
		control_done(st, hm_vcpu_set_arg(vcpu, 2, 4), &st->count_set);
	} else if (ev->nr == NR_LSEEK && !enter &&
		   ev->args[0] == CONTROL_FD &&
		   (int64_t)ev->ret == -ESPIPE) {
		control_done(st, hm_vcpu_set_return(vcpu, 4242),
			     &st->ret_set);
	} else if (ev->nr == NR_MKDIR && read_path(vcpu, ev, path,
						   sizeof(path), st) >= 0) {
		if (!strcmp(path, SKIPPED_DIR) && enter)
			control_done(st, hm_vcpu_skip_syscall(vcpu, 0),
				     &st->skipped);
		else if (!strcmp(path, SKIPPED_DIR))
			st->skipped_exits++;
		else if (!strcmp(path, MADE_DIR) && !enter)
			st->made_exits++;
	}
	return 0;
}

/* The original interaction: read the ifreq, write it, read it back. */
static int on_event(struct hm_vcpu *vcpu, const struct hm_event *ev,
		    void *opaque)
{
	struct full_state *st = opaque;
	unsigned int cpu = vmm_cpu_index(vcpu);
	char name[IFNAMSIZ];
	uint32_t value = 0;

	if (ev->kind == HM_EVENT_SYSCALL_ENTER ||
	    ev->kind == HM_EVENT_SYSCALL_EXIT)
		return on_syscall(vcpu, ev, st);
	if (ev->kind == HM_EVENT_PROCESS)
		return on_process(vcpu, ev, st);
	if (ev->kind != HM_EVENT_USER || ev->nr != USER_EVENT_CODE ||
	    cpu >= FULL_CPUS)
		return 0;
	st->events[cpu]++;
	/* A user event: /dev/hypermem's ioctl, where the module may sleep. */
	if (system_seen(vcpu, ev, "hm-ioctl-test", "/dev/hypermem"))
		st->system_sleepable++;
	if (other_process(vcpu, ev))
		st->other_process++;
	/* init checks what it holds once the program is done. */
	if (hm_vcpu_write_file(vcpu, WRITTEN_PATH, 0, WRITTEN_TEXT,
			       strlen(WRITTEN_TEXT),
			       HM_WRITE_CREATE | HM_WRITE_TRUNCATE, 0600) ==
	    (ssize_t)strlen(WRITTEN_TEXT))
		st->files_written++;
	if (hm_vcpu_read_str(vcpu, ev->args[0], name, sizeof(name)) < 0 ||
	    strcmp(name, "hm0") ||
	    hm_vcpu_read_u32(vcpu, ev->args[0] + IFNAMSIZ, &value) ||
	    value != 42)
		return 0;
	if (hm_vcpu_write_str(vcpu, ev->args[0], "test") ||
	    hm_vcpu_write_u32(vcpu, ev->args[0] + IFNAMSIZ, 0x12345678))
		return 0;
	st->sequence_ok[cpu]++;
	return 0;
}

/*
 * Two vCPUs, over @p transport: every CPU registers, and the guest's
 * init raises the ioctl interaction and runs hm-control-test once on each.
 */
static void full_run(const char *kernel, const char *initrd,
		     const char *transport)
{
	char cmdline[256];
	struct full_state st = { 0 };
	struct vmm_config o = {
		.board = VMM_BOARD_LINUX, .kernel = kernel, .initrd = initrd,
		.nr_cpus = FULL_CPUS, .cmdline = cmdline,
		.timeout_ms = 240000,
		.event_fn = on_event, .event_opaque = &st,
	};
	struct console c = { .buf = calloc(1, CONSOLE_MAX) };
	struct vmm_result r;
	struct vmm *vm;
	unsigned int cpu;

	snprintf(cmdline, sizeof(cmdline), "console=ttyS0 rdinit=/init "
		 "panic=-1 hypermem.transport=%s hmcontrol", transport);
	printf("# transport=%s\n", transport);
	if (boot(&o, &c, &vm, &r, control_rules,
		 sizeof(control_rules) / sizeof(control_rules[0]))) {
		failures++;
		free(c.buf);
		return;
	}
	check(strstr(c.buf, "HMTEST RESULT PASS") != NULL,
	      "%s: the guest's checks pass", transport);
	check(strstr(c.buf, "hypermem: loaded: 2 of 2 cpus") != NULL,
	      "%s: both CPUs registered", transport);
	for (cpu = 0; cpu < FULL_CPUS; cpu++) {
		check(st.events[cpu] == 1,
		      "%s: one user event from cpu%u (%d)", transport, cpu,
		      st.events[cpu]);
		check(st.sequence_ok[cpu] == 1,
		      "%s: the ioctl interaction on cpu%u", transport, cpu);
	}
	check(strstr(c.buf, "features 0x7ffff") != NULL,
	      "%s: the module offers event control, syscall skip, "
	      "subscriptions, prefetch, long fd names, the whole system, "
	      "process events, file writes, other processes' memory, "
	      "says its architecture and checks condition ops",
	      transport);
	check(st.other_process == FULL_CPUS,
	      "%s: from a user event, init's argv and memory, then the "
	      "event's own again (%d)", transport, st.other_process);
	check(st.files_written == FULL_CPUS &&
	      strstr(c.buf, "HMTEST write_file PASS") != NULL,
	      "%s: the host writes %s from a user event; the guest reads it "
	      "(%d)", transport, WRITTEN_PATH, st.files_written);
	check(st.execs == FULL_CPUS && st.exits == FULL_CPUS &&
	      !st.process_others,
	      "%s: hm-ioctl-test's exec (its exe and argv) and exit (status "
	      "0, its last task) arrive, once a run on each CPU (%d, %d, %d "
	      "others)", transport, st.execs, st.exits, st.process_others);
	check(st.system_sleepable == FULL_CPUS && st.system_atomic == FULL_CPUS,
	      "%s: the task list has init, kthreadd and the program as init's "
	      "child; its map, exe, cwd and fds name it, from user events "
	      "and from syscall events (%d, %d)", transport,
	      st.system_sleepable, st.system_atomic);
	check(st.mkdir_trips == 0, "%s: mkdir's path came with its events "
	      "(%d round trips)", transport, st.mkdir_trips);
	/* Per CPU: a write, a lseek, two mkdir entries, one mkdir exit. */
	check(st.syscall_events == 5 * FULL_CPUS && !st.strangers,
	      "%s: the module, with no syscalls parameter, raises the "
	      "subscribed calls of hm-control-test alone (%d events, %d "
	      "others)", transport, st.syscall_events, st.strangers);
	check(st.count_set == FULL_CPUS && st.skipped == FULL_CPUS &&
	      st.ret_set == FULL_CPUS && !st.control_errors,
	      "%s: the host changed a count, skipped a mkdir and replaced a "
	      "return value on each CPU (%d, %d, %d; %d errors)", transport,
	      st.count_set, st.skipped, st.ret_set, st.control_errors);
	check(st.skipped_exits == 0 && st.made_exits == FULL_CPUS,
	      "%s: a skipped call raises no exit event, one that ran does "
	      "(%d, %d)", transport, st.skipped_exits, st.made_exits);
	check(strstr(c.buf, "HMTEST control PASS") != NULL,
	      "%s: the guest sees the changed syscalls", transport);
	check(r.reason == VMM_STOP_RESET, "%s: reboot -f ends the run (got %s)",
	      transport, vmm_stop_reason_name(r.reason));
	show_console(&c);
	vmm_free(vm);
	free(c.buf);
}

static int test_full(const char *kernel, const char *initrd)
{
	full_run(kernel, initrd, "pio");
	full_run(kernel, initrd, "vmcall");
	return failures ? 1 : 0;
}

/* Whether Linux can reach user space under this host's KVM. */
static int test_host(void)
{
	if (!vmm_cpuid_hides(VMM_CPUID_HIDE_AUTO))
		return 0;
	printf("SKIP: this host's KVM emulates guest kernel code (kvm_pvm, "
	       "or no vmx/svm in /proc/cpuinfo): Linux cannot reach user "
	       "space here; run on a host with VT-x or AMD-V\n");
	return SKIP;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && !strcmp(argv[1], "host"))
		return test_host();
	if (argc == 3 && !strcmp(argv[1], "bzimage"))
		return test_bzimage(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "full"))
		return test_full(argv[2], argv[3]);
	fprintf(stderr, "usage: %s bzimage BZIMAGE | "
		"full VMLINUX INITRD | host\n", argv[0]);
	return 2;
}
