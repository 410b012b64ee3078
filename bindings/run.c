// SPDX-License-Identifier: MIT
/*
 * The run: the VMM core boots the guest on the board the options name;
 * this file wires it to the client, a Lua script or a Python plugin
 * (events, stop), to the output (console lines, what was booted), to the
 * terminal, whose keys become a Linux guest's serial input, and turns the
 * core's result into an exit code and a message.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <tiny/boot.h>
#include <vmm/vmm.h>

#include "output.h"
#include "run.h"

#define TINY_DEFAULT_CMDLINE "scenario=demo"
/* Without it the kernel says nothing on the serial port. */
#define LINUX_DEFAULT_APPEND "console=ttyS0"
#define CONSOLE_LINE_MAX 1024

/* A line being assembled, per vCPU and one for the shared 8250. */
struct console_line {
	char text[CONSOLE_LINE_MAX];
	size_t len;
};

struct run {
	const struct run_client *client;
	struct vmm *vm;
	int raw_console;	/* a terminal session: bytes as they come */
	struct console_line lines[VMM_MAX_CPUS + 1];
};

static struct termios saved_termios;
static volatile sig_atomic_t terminal_raw;

/* A serial driver ends each line with "\r\n". */
static void flush_line(int cpu, struct console_line *l)
{
	size_t len = l->len;

	if (len && l->text[len - 1] == '\r')
		len--;
	output_console(cpu, l->text, len);
	l->len = 0;
}

/* The core calls this one piece at a time, from any vCPU thread. */
static void on_console(int cpu, const char *buf, size_t len, void *opaque)
{
	struct run *r = opaque;
	struct console_line *l = &r->lines[cpu + 1];
	size_t i;

	if (r->raw_console) {
		output_console_raw(buf, len);
		return;
	}
	for (i = 0; i < len; i++) {
		if (buf[i] == '\n') {
			flush_line(cpu, l);
			continue;
		}
		if (l->len == sizeof(l->text))
			flush_line(cpu, l);
		l->text[l->len++] = buf[i];
	}
}

static int on_event(struct hm_vcpu *vcpu, const struct hm_event *ev,
		    void *opaque)
{
	struct run *r = opaque;

	return r->client->event(r->client->opaque, vcpu,
				(int)vmm_cpu_index(vcpu), ev);
}

static void restore_terminal(void)
{
	if (terminal_raw)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);
	terminal_raw = 0;
}

/* SA_RESETHAND: once the terminal is back, the signal does what it did. */
static void on_fatal_signal(int signo)
{
	restore_terminal();
	raise(signo);
}

/*
 * A shell in the guest wants every key as typed, Enter as '\r', and
 * echoes them itself. ISIG stays on so that Ctrl-C still ends
 * hypermem-run, except Ctrl-Z, which the guest gets rather than a
 * stopped monitor holding the terminal in raw mode; OPOST stays on so
 * that the script's lines begin at the left margin.
 */
static void raw_terminal(void)
{
	static const int signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct sigaction sa = {
		.sa_handler = on_fatal_signal, .sa_flags = SA_RESETHAND,
	};
	struct termios raw;
	size_t i;

	if (tcgetattr(STDIN_FILENO, &saved_termios))
		return;
	raw = saved_termios;
	raw.c_iflag &= ~(tcflag_t)(BRKINT | ICRNL | INLCR | IGNCR | ISTRIP |
				   IXON);
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO | IEXTEN);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	raw.c_cc[VSUSP] = _POSIX_VDISABLE;
	for (i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		sigaction(signals[i], &sa, NULL);
	terminal_raw = 1;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw))
		terminal_raw = 0;
}

static const char *e820_type_name(uint32_t type)
{
	switch (type) {
	case 1:
		return "usable";
	case 2:
		return "reserved";
	default:
		return "other";
	}
}

/* In the kernel's words, so that its console can be checked against it. */
static void print_linux_boot(const struct options *o, struct vmm *vm)
{
	const struct vmm_e820_entry *map;
	uint64_t mem_size;
	size_t n, i;

	vmm_get_ram(vm, &mem_size);
	output_info("booting %s (%s): %u vCPU%s, %" PRIu64 " MiB",
		    o->kernel, vmm_is_pvh(vm) ? "vmlinux, PVH entry" :
		    "bzImage, 64-bit boot protocol", o->cpus,
		    o->cpus > 1 ? "s" : "", mem_size >> 20);
	output_info("command line: %s", vmm_get_cmdline(vm));
	map = vmm_get_e820(vm, &n);
	for (i = 0; i < n; i++)
		output_info("e820: [mem 0x%016" PRIx64 "-0x%016" PRIx64 "] %s",
			    map[i].addr, map[i].addr + map[i].size - 1,
			    e820_type_name(map[i].type));
}

static int finish(int code, const char *status,
		  const struct output_programs *programs)
{
	output_result(code, status, programs);
	return code;
}

/* Say what to do about /dev/kvm before anything else fails on it. */
int run_check_kvm(void)
{
	int err = vmm_check_kvm();

	if (!err)
		return 0;
	if (err == -ENOENT)
		output_error("/dev/kvm does not exist: this machine has no "
			     "KVM. Enable virtualization (VT-x/AMD-V) in the "
			     "firmware and load the module (modprobe kvm_intel "
			     "or kvm_amd), or run on a host that offers KVM "
			     "to its guests (nested virtualization).");
	else if (err == -EACCES || err == -EPERM)
		output_error("no permission to open /dev/kvm. Add yourself to "
			     "its group (sudo usermod -aG kvm $USER, then log "
			     "in again), or run as a user that can open it.");
	else
		output_error("cannot open /dev/kvm: %s", strerror(-err));
	return EXIT_NO_KVM;
}

static int parse_uint(const char *s, unsigned int min, unsigned int max,
		      unsigned int *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < min || v > max)
		return -1;
	*ret = (unsigned int)v;
	return 0;
}

int run_set_option(struct options *o, const char *name, const char *value)
{
	static const struct {
		const char *name;
		size_t offset;
	} texts[] = {
		{ "guest", offsetof(struct options, guest) },
		{ "kernel", offsetof(struct options, kernel) },
		{ "initrd", offsetof(struct options, initrd) },
		{ "append", offsetof(struct options, append) },
		{ "cmdline", offsetof(struct options, cmdline) },
	};
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		if (!strcmp(name, texts[i].name)) {
			*(const char **)((char *)o + texts[i].offset) = value;
			return 0;
		}
	}
	if (!strcmp(name, "cpus")) {
		if (parse_uint(value, 1, TINY_MAX_CPUS, &o->cpus))
			return output_usage_error("--cpus %s: want 1 to %u",
						  value, TINY_MAX_CPUS);
	} else if (!strcmp(name, "mem")) {
		if (parse_uint(value, 16, 1024, &o->mem_mib) ||
		    o->mem_mib % 2)
			return output_usage_error("--mem %s: want an even "
						  "number of MiB, 16 to 1024",
						  value);
	} else if (!strcmp(name, "timeout")) {
		if (parse_uint(value, 1, 86400, &o->timeout_s))
			return output_usage_error("--timeout %s: want 1 to "
						  "86400 seconds", value);
	} else {
		return output_usage_error("--%s: no such option", name);
	}
	return 0;
}

int run_check_options(const struct options *o)
{
	if (!o->kernel) {
		if (o->initrd)
			return output_usage_error("--initrd %s: only with "
						  "--kernel", o->initrd);
		if (o->append)
			return output_usage_error("--append %s: only with "
						  "--kernel; guest-tiny takes "
						  "--cmdline", o->append);
		if (o->guest && access(o->guest, R_OK))
			return output_usage_error("--guest %s: cannot read it",
						  o->guest);
		return 0;
	}
	if (o->guest)
		return output_usage_error("--guest %s: a guest-tiny image, not "
					  "with --kernel", o->guest);
	if (o->cmdline)
		return output_usage_error("--cmdline %s: guest-tiny's; give "
					  "the kernel its command line with "
					  "--append", o->cmdline);
	if (access(o->kernel, R_OK))
		return output_usage_error("--kernel %s: cannot read it",
					  o->kernel);
	if (o->initrd && access(o->initrd, R_OK))
		return output_usage_error("--initrd %s: cannot read it",
					  o->initrd);
	return 0;
}

/* Why the guest could not even be created. */
static int create_error(const struct options *o, const struct vmm_config *c,
			int err)
{
	const char *ioctl_name = vmm_failed_ioctl();

	if (!o->kernel && err == -E2BIG &&
	    strlen(c->cmdline) >= TINY_CMDLINE_MAX) {
		output_error("--cmdline: %s", strerror(-err));
		return EXIT_USAGE;
	}
	if (err == -ENOEXEC && o->kernel) {
		output_error("--kernel %s: neither a 64-bit vmlinux with a PVH "
			     "note nor a bzImage", o->kernel);
	} else if (err == -ENOEXEC || (err == -E2BIG && !o->kernel)) {
		output_error("%s: cannot load it as a guest-tiny image: %s",
			     o->guest, strerror(-err));
	} else if (err == -E2BIG) {
		output_error("the kernel, initrd and command line do not fit "
			     "in %" PRIu64 " MiB (--mem)",
			     (uint64_t)(c->mem_size ? c->mem_size :
					VMM_LINUX_DEFAULT_MEM_SIZE) >> 20);
	} else {
		output_error("cannot create the VM: %s%s%s",
			     ioctl_name ? ioctl_name : "",
			     ioctl_name ? ": " : "", strerror(-err));
		return EXIT_NO_KVM;
	}
	return EXIT_GUEST;
}

static void dump_registers(const struct vmm_result *res)
{
	const struct kvm_regs *r = &res->regs;
	const struct kvm_sregs *s = &res->sregs;

	output_error("cpu%u stopped on KVM exit '%s' (%u)%s", res->vcpu,
		     vmm_exit_name(res->exit_reason), res->exit_reason,
		     res->exit_reason == KVM_EXIT_SHUTDOWN ?
		     ": a triple fault" : "");
	if (res->regs_lost)
		fprintf(stderr, "  registers lost: KVM on AMD re-initializes a "
			"vCPU after a triple fault; it now holds its reset "
			"values, not the guest's\n");
	if (!res->has_regs)
		return;
	fprintf(stderr,
		"  rip %016llx rsp %016llx rflags %016llx\n"
		"  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n"
		"  rsi %016llx rdi %016llx rbp %016llx\n"
		"  r8  %016llx r9  %016llx r10 %016llx r11 %016llx\n"
		"  r12 %016llx r13 %016llx r14 %016llx r15 %016llx\n"
		"  cr0 %016llx cr2 %016llx cr3 %016llx cr4 %016llx\n"
		"  efer %016llx cs %04x ss %04x cpl %u\n",
		r->rip, r->rsp, r->rflags, r->rax, r->rbx, r->rcx, r->rdx,
		r->rsi, r->rdi, r->rbp, r->r8, r->r9, r->r10, r->r11, r->r12,
		r->r13, r->r14, r->r15, s->cr0, s->cr2, s->cr3, s->cr4,
		s->efer, s->cs.selector, s->ss.selector, s->cs.dpl);
}

static void count_programs(const struct vmm_tiny_status *t,
			   struct output_programs *p)
{
	unsigned int pid;

	p->ran = p->failed = 0;
	for (pid = 0; pid < VMM_TINY_MAX_PROCS; pid++) {
		if (!t->proc_status[pid])
			continue;
		p->ran++;
		if (t->proc_status[pid] != 1)
			p->failed++;
	}
}

/* guest-tiny halted every vCPU: what its exit port said. */
static int conclude_halted(const struct vmm_result *res,
			   const struct output_programs *programs)
{
	if (res->tiny.panicked) {
		output_error("the guest kernel crashed (its console above says "
			     "where)");
		return finish(EXIT_GUEST, "guest crashed", programs);
	}
	if (res->tiny.no_host) {
		output_error("the guest could not register with libhypermem");
		return finish(EXIT_GUEST, "guest did not register", programs);
	}
	if (!res->tiny.all_done) {
		output_error("every vCPU stopped before the guest finished");
		return finish(EXIT_GUEST, "guest did not finish", programs);
	}
	return finish(EXIT_OK, "guest finished", programs);
}

/* The one place a result becomes an exit code and a message. */
static int conclude(const struct run_client *client,
		    const struct vmm_result *res, const struct options *o)
{
	struct output_programs tiny, *programs = NULL;

	if (!o->kernel) {
		count_programs(&res->tiny, &tiny);
		programs = &tiny;
	}
	switch (client->outcome(client->opaque)) {
	case RUN_CLIENT_FAILED:
		return finish(EXIT_SCRIPT, "script error", programs);
	case RUN_CLIENT_STOPPED:
		return finish(EXIT_OK, "stopped by the script", programs);
	case RUN_CLIENT_OK:
		break;
	}
	switch (res->reason) {
	case VMM_STOP_HALTED:
		return conclude_halted(res, programs);
	case VMM_STOP_RESET:
		return finish(EXIT_OK, "guest reset", programs);
	case VMM_STOP_POWEROFF:
		return finish(EXIT_OK, "guest powered off", programs);
	case VMM_STOP_TIMEOUT:
		output_error("the guest was still running after %u s "
			     "(--timeout)", o->timeout_s);
		return finish(EXIT_TIMEOUT, "timed out", programs);
	case VMM_STOP_UNSUPPORTED:
		dump_registers(res);
		output_error("%s", res->diagnosis);
		return finish(EXIT_GUEST, "guest cannot run on this host",
			      programs);
	case VMM_STOP_CRASH:
		dump_registers(res);
		output_error("%s", res->diagnosis);
		return finish(EXIT_GUEST, "guest crashed", programs);
	case VMM_STOP_ERROR:
		output_error("running the guest: %s", strerror(-res->error));
		return finish(EXIT_GUEST, "KVM error", programs);
	default:
		output_error("the guest stopped: %s",
			     vmm_stop_reason_name(res->reason));
		return finish(EXIT_GUEST, "guest did not finish", programs);
	}
}

/* guest-tiny's syscall trace only with -v. */
static void tiny_config(const struct options *o, struct vmm_config *c,
			char *cmdline, size_t cap)
{
	snprintf(cmdline, cap, "%s%s",
		 o->cmdline ? o->cmdline : TINY_DEFAULT_CMDLINE,
		 o->verbosity == VERBOSITY_VERBOSE ? "" : " quiet");
	c->board = VMM_BOARD_TINY;
	c->kernel = o->guest;
	c->cmdline = cmdline;
}

static void linux_config(const struct options *o, struct vmm_config *c)
{
	c->board = VMM_BOARD_LINUX;
	c->kernel = o->kernel;
	c->initrd = o->initrd;
	c->cmdline = o->append ? o->append : LINUX_DEFAULT_APPEND;
	c->console_input = isatty(STDIN_FILENO);
	c->console_input_fd = STDIN_FILENO;
}

static void flush_lines(struct run *r)
{
	int i;

	for (i = 0; i <= VMM_MAX_CPUS; i++)
		if (r->lines[i].len)
			flush_line(i - 1, &r->lines[i]);
}

int run_guest(const struct options *o, const struct run_client *client)
{
	static struct run r;
	char tiny_cmdline[TINY_CMDLINE_MAX + 8];
	struct vmm_config c = {
		.mem_size = (uint64_t)o->mem_mib << 20, .nr_cpus = o->cpus,
		.timeout_ms = o->timeout_s * 1000,
		.console_fn = on_console, .console_opaque = &r,
		.event_fn = on_event, .event_opaque = &r,
	};
	struct vmm_result res;
	int err;

	r.client = client;
	if (o->kernel) {
		linux_config(o, &c);
		r.raw_console = isatty(STDIN_FILENO) && !o->json;
	} else {
		tiny_config(o, &c, tiny_cmdline, sizeof(tiny_cmdline));
	}
	err = vmm_new(&c, &r.vm);
	if (err)
		return create_error(o, &c, err);
	if (o->kernel)
		print_linux_boot(o, r.vm);
	client->started(client->opaque, r.vm);
	if (o->kernel && isatty(STDIN_FILENO))
		raw_terminal();
	err = vmm_run(r.vm, &res);
	restore_terminal();
	flush_lines(&r);
	client->ended(client->opaque);
	if (err) {
		output_error("running the guest: %s", strerror(-err));
		err = finish(EXIT_GUEST, "KVM error", NULL);
	} else {
		err = conclude(client, &res, o);
	}
	vmm_free(r.vm);
	return err;
}
