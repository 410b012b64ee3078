// SPDX-License-Identifier: MIT
/*
 * The run: the VMM core boots the guest on the board the options name, or
 * a stock QEMU boots a Linux kernel with an ivshmem-doorbell device whose
 * shared memory is the guest's mailbox (qemu.c starts it, this file
 * serves it); this file wires either to the client, a Lua script or a
 * Python plugin (events, stop), to the output (console lines, what was
 * booted), to the terminal, whose keys become a Linux guest's serial
 * input, and turns how the run ended into an exit code and a message.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <tiny/boot.h>
#include <qemu/ivshmem.h>
#include <vmm/vmm.h>

#include "output.h"
#include "launch.h"
#include "run.h"

#define TINY_DEFAULT_CMDLINE "scenario=demo"
/* Without it the kernel says nothing on the serial port. */
#define LINUX_DEFAULT_APPEND "console=ttyS0"
#define CONSOLE_LINE_MAX 1024
/* A power of two for QEMU's BAR; a slot per guest CPU, 8 and more. */
#define QEMU_SHM_SIZE (4u << 20)
/* How often a QEMU that is not our child is looked at for having left. */
#define QEMU_TICK_MS 100
#define SOCKET_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

/* The core's boards differ by architecture: guest-tiny is x86-64's. */
#ifdef __aarch64__
#define HAVE_GUEST_TINY 0
#define NOT_A_KERNEL "not an arm64 Image (Linux's arm64/booting.rst)"
#else
#define HAVE_GUEST_TINY 1
#define NOT_A_KERNEL "neither a 64-bit vmlinux with a PVH note nor a bzImage"
#endif

/* A line being assembled, per vCPU and one for the shared 8250. */
struct console_line {
	char text[CONSOLE_LINE_MAX];
	size_t len;
};

/* How a run under QEMU is ending. */
enum qemu_end {
	QEMU_RUNNING,
	QEMU_STOPPED,		/* run_stop() */
	QEMU_TIMEOUT,
	QEMU_EXITED,		/* our QEMU exited */
	QEMU_LEFT,		/* the QEMU at --qemu-socket hung up */
	QEMU_FAILED,		/* serving it failed, said why */
};

struct run {
	const struct run_client *client;
	struct vmm *vm;		/* on the core */
	struct hm_vm *hm;	/* under QEMU, with: */
	struct hm_mailbox *mailbox;
	struct ivshmem_server *server;
	struct qemu qemu;	/* ours; pid -1 for the person's */
	int connected;
	enum qemu_end end;
	struct timespec deadline;
	int raw_console;	/* a terminal session: bytes as they come */
	struct console_line lines[VMM_MAX_CPUS + 1];
};

static struct run the_run;
static struct termios saved_termios;
static int saved_stdin_flags = -1;
static volatile sig_atomic_t terminal_saved;

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

/* QEMU's stdio chardev also makes the terminal non-blocking. */
static void restore_terminal(void)
{
	if (terminal_saved) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);
		fcntl(STDIN_FILENO, F_SETFL, saved_stdin_flags);
	}
	terminal_saved = 0;
}

/* SA_RESETHAND: once the terminal is back, the signal does what it did. */
static void on_fatal_signal(int signo)
{
	restore_terminal();
	raise(signo);
}

/* Keep the terminal's settings for the end, a fatal signal's included. */
static int save_terminal(void)
{
	static const int signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct sigaction sa = {
		.sa_handler = on_fatal_signal, .sa_flags = SA_RESETHAND,
	};
	size_t i;

	saved_stdin_flags = fcntl(STDIN_FILENO, F_GETFL);
	if (saved_stdin_flags < 0 || tcgetattr(STDIN_FILENO, &saved_termios))
		return -1;
	for (i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		sigaction(signals[i], &sa, NULL);
	terminal_saved = 1;
	return 0;
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
	struct termios raw;

	if (save_terminal())
		return;
	raw = saved_termios;
	raw.c_iflag &= ~(tcflag_t)(BRKINT | ICRNL | INLCR | IGNCR | ISTRIP |
				   IXON);
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO | IEXTEN);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	raw.c_cc[VSUSP] = _POSIX_VDISABLE;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw))
		terminal_saved = 0;
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

/* Which of the architecture's boot protocols the core used. */
static const char *kernel_kind(struct vmm *vm)
{
#ifdef __aarch64__
	(void)vm;
	return "arm64 Image";
#else
	return vmm_is_pvh(vm) ? "vmlinux, PVH entry" :
	       "bzImage, 64-bit boot protocol";
#endif
}

/* In the kernel's words, so that its console can be checked against it. */
static void print_linux_boot(const struct options *o, struct vmm *vm)
{
	const struct vmm_e820_entry *map;
	uint64_t mem_size;
	size_t n, i;

	vmm_get_ram(vm, &mem_size);
	output_info("booting %s (%s): %u vCPU%s, %" PRIu64 " MiB",
		    o->kernel, kernel_kind(vm), o->cpus,
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

/* Index 0 is the value of an option not given; -1: none of them. */
static const char *const vmm_names[] = { "", "core", "qemu", NULL };
static const char *const accel_names[] = { "", "auto", "kvm", "tcg", NULL };

static int parse_choice(const char *s, const char *const *names)
{
	int i;

	for (i = 1; names[i]; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
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
		{ "qemu-socket", offsetof(struct options, qemu_socket) },
	};
	size_t i;
	int choice;

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
	} else if (!strcmp(name, "vmm")) {
		choice = parse_choice(value, vmm_names);
		if (choice < 0)
			return output_usage_error("--vmm %s: want core or qemu",
						  value);
		o->vmm = (enum run_vmm)choice;
	} else if (!strcmp(name, "accel")) {
		choice = parse_choice(value, accel_names);
		if (choice < 0)
			return output_usage_error("--accel %s: want auto, kvm "
						  "or tcg", value);
		o->accel = (enum run_accel)choice;
	} else {
		return output_usage_error("--%s: no such option", name);
	}
	return 0;
}

int run_uses_qemu(const struct options *o)
{
	return o->vmm == RUN_VMM_QEMU ||
	       (o->vmm == RUN_VMM_DEFAULT && o->qemu_socket);
}

static int check_tiny_options(const struct options *o)
{
	if (!HAVE_GUEST_TINY)
		return output_usage_error("guest-tiny is an x86-64 guest: name "
					  "a Linux kernel (an arm64 Image) "
					  "with --kernel");
	if (o->initrd)
		return output_usage_error("--initrd %s: only with --kernel",
					  o->initrd);
	if (o->append)
		return output_usage_error("--append %s: only with --kernel; "
					  "guest-tiny takes --cmdline",
					  o->append);
	if (o->guest && access(o->guest, R_OK))
		return output_usage_error("--guest %s: cannot read it",
					  o->guest);
	return 0;
}

static int check_linux_files(const struct options *o)
{
	if (access(o->kernel, R_OK))
		return output_usage_error("--kernel %s: cannot read it",
					  o->kernel);
	if (o->initrd && access(o->initrd, R_OK))
		return output_usage_error("--initrd %s: cannot read it",
					  o->initrd);
	return 0;
}

/* The QEMU a person starts has its own kernel, RAM, CPUs and accelerator. */
static int check_socket_options(const struct options *o)
{
	static const char why[] = "the QEMU you start has its own; not with "
				  "--qemu-socket";
	const char *path = o->qemu_socket;
	struct stat st;

	if (o->kernel)
		return output_usage_error("--kernel %s: %s", o->kernel, why);
	if (o->initrd)
		return output_usage_error("--initrd %s: %s", o->initrd, why);
	if (o->append)
		return output_usage_error("--append %s: %s", o->append, why);
	if (o->mem_mib)
		return output_usage_error("--mem %u: %s", o->mem_mib, why);
	if (o->cpus != 1)
		return output_usage_error("--cpus %u: %s", o->cpus, why);
	if (o->accel)
		return output_usage_error("--accel %s: %s",
					  accel_names[o->accel], why);
	if (!*path || strlen(path) > SOCKET_PATH_MAX)
		return output_usage_error("--qemu-socket '%s': want the path "
					  "of a UNIX socket, 1 to %zu bytes",
					  path, SOCKET_PATH_MAX);
	/* The server replaces a socket there, and only a socket. */
	if (!lstat(path, &st) && !S_ISSOCK(st.st_mode))
		return output_usage_error("--qemu-socket %s: there is a file "
					  "there that is not a socket", path);
	return 0;
}

/* guest-tiny needs the core; QEMU boots Linux only. */
static int check_qemu_options(const struct options *o)
{
	if (o->guest)
		return output_usage_error("--guest %s: guest-tiny runs on the "
					  "VMM core only (--vmm core)",
					  o->guest);
	if (o->cmdline)
		return output_usage_error("--cmdline %s: guest-tiny's, which "
					  "runs on the VMM core only; give "
					  "the kernel its command line with "
					  "--append", o->cmdline);
	if (o->qemu_socket)
		return check_socket_options(o);
#ifndef __x86_64__
	return output_usage_error("--vmm qemu starts qemu-system-x86_64, for "
				  "x86-64 guests only: leave --vmm out, the "
				  "VMM core boots an arm64 Image");
#endif
	if (!o->kernel)
		return output_usage_error("--vmm qemu boots a Linux kernel: "
					  "name it with --kernel (guest-tiny "
					  "runs on the VMM core only)");
	return check_linux_files(o);
}

int run_check_options(const struct options *o)
{
	if (run_uses_qemu(o))
		return check_qemu_options(o);
	if (o->qemu_socket)
		return output_usage_error("--qemu-socket %s: serves a QEMU, "
					  "not with --vmm core",
					  o->qemu_socket);
	if (o->accel)
		return output_usage_error("--accel %s: QEMU's, only with "
					  "--vmm qemu", accel_names[o->accel]);
	if (!o->kernel)
		return check_tiny_options(o);
	if (o->guest)
		return output_usage_error("--guest %s: a guest-tiny image, not "
					  "with --kernel", o->guest);
	if (o->cmdline)
		return output_usage_error("--cmdline %s: guest-tiny's; give "
					  "the kernel its command line with "
					  "--append", o->cmdline);
	return check_linux_files(o);
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
		output_error("--kernel %s: " NOT_A_KERNEL, o->kernel);
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

#ifdef __aarch64__
/* X0-X30, SP, PC, PSTATE and the guest's last exception to EL1. */
static void dump_arch_registers(const struct vmm_result *res)
{
	const struct user_pt_regs *u = &res->regs.regs;
	unsigned int i;

	fprintf(stderr, "  pc  %016llx sp  %016llx pstate %08llx\n",
		u->pc, u->sp, u->pstate);
	for (i = 0; i < 31; i++)
		fprintf(stderr, "%sx%-2u %016llx%s", i % 4 ? " " : "  ", i,
			u->regs[i], i % 4 == 3 || i == 30 ? "\n" : "");
	fprintf(stderr, "  esr_el1 %016llx far_el1 %016llx elr_el1 %016llx\n",
		(unsigned long long)res->esr_el1,
		(unsigned long long)res->far_el1, res->regs.elr_el1);
}
#else
static void dump_arch_registers(const struct vmm_result *res)
{
	const struct kvm_regs *r = &res->regs;
	const struct kvm_sregs *s = &res->sregs;

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
#endif

static void dump_registers(const struct vmm_result *res)
{
	output_error("cpu%u stopped on KVM exit '%s' (%u)%s", res->vcpu,
		     vmm_exit_name(res->exit_reason), res->exit_reason,
		     res->exit_reason == KVM_EXIT_SHUTDOWN ?
		     ": a triple fault" : "");
	if (res->regs_lost)
		fprintf(stderr, "  registers lost: KVM on AMD re-initializes a "
			"vCPU after a triple fault; it now holds its reset "
			"values, not the guest's\n");
	if (res->has_regs)
		dump_arch_registers(res);
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

/* The client's own end comes first: its error or its stop; else -1. */
static int conclude_client(const struct run_client *client,
			   const struct output_programs *programs)
{
	switch (client->outcome(client->opaque)) {
	case RUN_CLIENT_FAILED:
		return finish(EXIT_SCRIPT, "script error", programs);
	case RUN_CLIENT_STOPPED:
		return finish(EXIT_OK, "stopped by the script", programs);
	default:
		return -1;
	}
}

static void timed_out(const struct options *o)
{
	output_error("the guest was still running after %u s (--timeout)",
		     o->timeout_s);
}

/* The one place a core's result becomes an exit code and a message. */
static int conclude(const struct run_client *client,
		    const struct vmm_result *res, const struct options *o)
{
	struct output_programs tiny, *programs = NULL;
	int code;

	if (!o->kernel) {
		count_programs(&res->tiny, &tiny);
		programs = &tiny;
	}
	code = conclude_client(client, programs);
	if (code >= 0)
		return code;
	switch (res->reason) {
	case VMM_STOP_HALTED:
		return conclude_halted(res, programs);
	case VMM_STOP_RESET:
		return finish(EXIT_OK, "guest reset", programs);
	case VMM_STOP_POWEROFF:
		return finish(EXIT_OK, "guest powered off", programs);
	case VMM_STOP_TIMEOUT:
		timed_out(o);
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

static int run_core(const struct options *o, const struct run_client *client)
{
	struct run *r = &the_run;
	char tiny_cmdline[TINY_CMDLINE_MAX + 8];
	struct vmm_config c = {
		.mem_size = (uint64_t)o->mem_mib << 20, .nr_cpus = o->cpus,
		.timeout_ms = o->timeout_s * 1000,
		.console_fn = on_console, .console_opaque = r,
		.event_fn = on_event, .event_opaque = r,
	};
	struct vmm_result res;
	int err;

	*r = (struct run){ .client = client };
	if (o->kernel) {
		linux_config(o, &c);
		r->raw_console = isatty(STDIN_FILENO) && !o->json;
	} else {
		tiny_config(o, &c, tiny_cmdline, sizeof(tiny_cmdline));
	}
	err = vmm_new(&c, &r->vm);
	if (err)
		return create_error(o, &c, err);
	if (o->kernel)
		print_linux_boot(o, r->vm);
	client->started(client->opaque, r->vm);
	if (o->kernel && isatty(STDIN_FILENO))
		raw_terminal();
	err = vmm_run(r->vm, &res);
	restore_terminal();
	flush_lines(r);
	client->ended(client->opaque);
	if (err) {
		output_error("running the guest: %s", strerror(-err));
		err = finish(EXIT_GUEST, "KVM error", NULL);
	} else {
		err = conclude(client, &res, o);
	}
	vmm_free(r->vm);
	r->vm = NULL;
	return err;
}


static void deadline_after(struct timespec *t, unsigned int s)
{
	clock_gettime(CLOCK_MONOTONIC, t);
	t->tv_sec += s;
}

/* Milliseconds until @t, rounded up; 0 once it passed. */
static int ms_until(const struct timespec *t)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(t->tv_sec - now.tv_sec) * 1000 +
	     (t->tv_nsec - now.tv_nsec + 999999) / 1000000;
	return ms <= 0 ? 0 : ms > INT_MAX ? INT_MAX : (int)ms;
}

/* A mailbox's vCPUs are its slots, slot n the guest's CPU n. */
static int on_mailbox_event(struct hm_vcpu *vcpu, const struct hm_event *ev,
			    void *opaque)
{
	struct run *r = opaque;
	unsigned int slot = 0;

	while (slot < hm_mailbox_slots(r->mailbox) &&
	       hm_mailbox_vcpu(r->mailbox, slot) != vcpu)
		slot++;
	return r->client->event(r->client->opaque, vcpu, (int)slot, ev);
}

/* Whether @word is one of the words on a line of /proc/cpuinfo. */
static int has_word(const char *line, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	for (p = strstr(line, word); p; p = strstr(p + 1, word))
		if (p > line && p[-1] == ' ' &&
		    (p[n] == ' ' || p[n] == '\n' || !p[n]))
			return 1;
	return 0;
}

/*
 * KVM runs a guest's kernel code in hardware only on VT-x or AMD-V (vmx,
 * svm). A /dev/kvm without them (kvm_pvm, a nested KVM) emulates it and
 * cannot boot Linux: scripts/kvm-check's "kernel" need.
 */
static int cpu_has_virtualization(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[8192];
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags", 5))
			found = has_word(line, "vmx") || has_word(line, "svm");
	fclose(f);
	return found;
}

/* --accel: whether QEMU gets KVM (*kvm); 0, or an exit code. */
static int pick_accel(const struct options *o, int *kvm)
{
	switch (o->accel) {
	case RUN_ACCEL_TCG:
		*kvm = 0;
		return 0;
	case RUN_ACCEL_KVM:
		*kvm = 1;
		return run_check_kvm();
	default:
		*kvm = !vmm_check_kvm() && cpu_has_virtualization();
		return 0;
	}
}

/* Our QEMU's socket, in a directory of our own: 0 or -errno. */
static int private_socket(char *dir, char *socket, size_t cap)
{
	const char *tmp = getenv("TMPDIR");
	int n;

	n = snprintf(dir, cap, "%s/hypermem-run.XXXXXX",
		     tmp && *tmp ? tmp : "/tmp");
	if (n < 0 || (size_t)n >= cap)
		return -ENAMETOOLONG;
	if (!mkdtemp(dir)) {
		dir[0] = 0;
		return -errno;
	}
	n = snprintf(socket, cap, "%s/ivshmem.sock", dir);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

/* The ivshmem server, at --qemu-socket or our own; 0 or an exit code. */
static int serve_at(const struct options *o, char *dir, char *socket,
		    size_t cap, struct ivshmem_server **ret)
{
	int err;

	if (o->qemu_socket) {
		snprintf(socket, cap, "%s", o->qemu_socket);
	} else {
		err = private_socket(dir, socket, cap);
		if (err) {
			output_error("cannot make a directory for QEMU's "
				     "socket: %s", strerror(-err));
			return EXIT_GUEST;
		}
	}
	err = ivshmem_server_new(socket, QEMU_SHM_SIZE, 1, ret);
	if (!err)
		return 0;
	output_error("cannot serve QEMU at %s: %s", socket, strerror(-err));
	return o->qemu_socket ? EXIT_USAGE : EXIT_GUEST;
}

/* The guest's regions in the memory QEMU shares; 0 or an exit code. */
static int attach_mailbox(struct run *r)
{
	size_t size;
	void *shm = ivshmem_server_shm(r->server, &size);
	int err;

	err = hm_vm_new(&r->hm);
	if (!err) {
		hm_vm_set_event_handler(r->hm, on_mailbox_event, r);
		err = hm_mailbox_new(r->hm, shm, size, HM_MAX_REGION_PAGES,
				     ivshmem_server_doorbell_fd(r->server, 0),
				     &r->mailbox);
	}
	if (!err)
		return 0;
	output_error("setting up the guest's mailbox: %s", strerror(-err));
	return EXIT_GUEST;
}

/* Start our QEMU on the kernel the options name; 0 or an exit code. */
static int launch(const struct options *o, const char *socket, int kvm,
		  struct run *r)
{
	struct qemu_config c = {
		.kernel = o->kernel, .initrd = o->initrd,
		.append = o->append ? o->append : LINUX_DEFAULT_APPEND,
		.cpus = o->cpus, .kvm = kvm, .socket = socket,
		.mem_mib = o->mem_mib ? o->mem_mib :
			   (unsigned int)(VMM_LINUX_DEFAULT_MEM_SIZE >> 20),
	};
	int terminal = isatty(STDIN_FILENO), err;
	struct qemu_args args;
	char line[1024];

	if (qemu_build_args(&c, &args)) {
		output_error("the QEMU command line is too long");
		return EXIT_USAGE;
	}
	output_info("booting %s under QEMU (%s): %u vCPU%s, %u MiB",
		    o->kernel, kvm ? "KVM" : "TCG", c.cpus,
		    c.cpus > 1 ? "s" : "", c.mem_mib);
	output_info("command line: %s", c.append);
	qemu_format_args(&args, line, sizeof(line));
	output_info("%s", line);
	r->raw_console = terminal && !o->json;
	/*
	 * QEMU's stdio chardev makes the terminal raw itself, and puts back
	 * what it found unless it is killed: then this process does.
	 */
	if (terminal)
		save_terminal();
	err = qemu_start(&args, terminal, &r->qemu);
	if (!err)
		return 0;
	if (err == -ENOENT)
		output_error("cannot start " QEMU_PROGRAM ": it is not on "
			     "PATH; install it (Debian: qemu-system-x86)");
	else
		output_error("cannot start " QEMU_PROGRAM ": %s",
			     strerror(-err));
	return EXIT_USAGE;
}

/* The person starts QEMU: say with what. */
static int announce(const char *socket)
{
	char line[1024];

	if (qemu_device_options(socket, line, sizeof(line))) {
		output_error("--qemu-socket %s: too long for QEMU's options",
			     socket);
		return EXIT_USAGE;
	}
	output_notice("waiting for QEMU at %s; start it with: %s", socket,
		      line);
	return 0;
}

/* QEMU's ttyS0 output: 1 read, 0 none now, -1 at its end. */
static int read_console(struct run *r, int fd)
{
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n > 0) {
		on_console(-1, buf, (size_t)n, r);
		return 1;
	}
	return n < 0 && (errno == EAGAIN || errno == EINTR) ? 0 : -1;
}

/* Take QEMU's connection: 1, or 0 when the run ends before. */
static int wait_for_qemu(struct run *r)
{
	int ms, err;

	while (!run_is_stopping()) {
		ms = ms_until(&r->deadline);
		err = ivshmem_server_accept(r->server, ms < QEMU_TICK_MS ?
					    (unsigned int)ms : QEMU_TICK_MS);
		if (!err)
			return 1;
		if (err != -ETIMEDOUT && err != -EPIPE) {
			output_error("taking QEMU's connection: %s",
				     strerror(-err));
			r->end = QEMU_FAILED;
		}
	}
	return 0;
}

/*
 * Serve the guest's doorbells and show its console until the run ends
 * (run_is_stopping()). Handlers run here, on this thread, as they run on
 * a vCPU's with the core; QEMU's exit only wakes the poll.
 */
static void serve(struct run *r)
{
	struct pollfd p[] = {
		{ .fd = ivshmem_server_doorbell_fd(r->server, 0),
		  .events = POLLIN },
		{ .fd = r->qemu.console_fd, .events = POLLIN },
		{ .fd = r->qemu.pidfd, .events = POLLIN },
	};
	int ms;

	while (!run_is_stopping()) {
		ms = ms_until(&r->deadline);
		/* A QEMU not ours leaves without a word: look now and then. */
		if (r->qemu.pid < 0 && ms > QEMU_TICK_MS)
			ms = QEMU_TICK_MS;
		if (poll(p, 3, ms) < 0 && errno != EINTR) {
			output_error("waiting for the guest: %s",
				     strerror(errno));
			r->end = QEMU_FAILED;
			return;
		}
		if (p[1].revents && read_console(r, p[1].fd) < 0)
			p[1].fd = -1;
		/* A failed call was answered: the guest goes on. */
		if (p[0].revents & POLLIN)
			hm_mailbox_serve(r->mailbox);
	}
}

/* QEMU exits 0 after a power-off and, with -no-reboot, a reset. */
static int conclude_exit(const struct qemu *q)
{
	if (WIFEXITED(q->status) && !WEXITSTATUS(q->status))
		return finish(EXIT_OK, "guest powered off or reset", NULL);
	if (WIFEXITED(q->status))
		output_error(QEMU_PROGRAM " exited with status %d (its "
			     "messages are above)", WEXITSTATUS(q->status));
	else
		output_error(QEMU_PROGRAM " was killed by signal %d (%s)",
			     WTERMSIG(q->status),
			     strsignal(WTERMSIG(q->status)));
	return finish(EXIT_GUEST, "QEMU failed", NULL);
}

/* The one place a run under QEMU becomes an exit code and a message. */
static int conclude_qemu(const struct run_client *client,
			 const struct run *r, const struct options *o)
{
	int code = conclude_client(client, NULL);

	if (code >= 0)
		return code;
	switch (r->end) {
	case QEMU_EXITED:
		return conclude_exit(&r->qemu);
	case QEMU_LEFT:
		return finish(EXIT_OK, "QEMU disconnected", NULL);
	case QEMU_TIMEOUT:
		if (r->connected)
			timed_out(o);
		else if (o->qemu_socket)
			output_error("no QEMU connected to %s within %u s "
				     "(--timeout)", o->qemu_socket,
				     o->timeout_s);
		else
			output_error("QEMU did not connect to its ivshmem "
				     "socket within %u s (--timeout)",
				     o->timeout_s);
		return finish(EXIT_TIMEOUT, "timed out", NULL);
	case QEMU_FAILED:
		return finish(EXIT_GUEST, "serving QEMU failed", NULL);
	default:
		return finish(EXIT_GUEST, "guest did not finish", NULL);
	}
}

/*
 * The guest under QEMU: the ivshmem server and the mailbox in its memory
 * first, since the guest reads the mailbox's header when its driver
 * probes the device; then QEMU, ours or the person's; then serve it.
 * QEMU is killed on every way out, and dies with this process.
 */
static int run_qemu(const struct options *o, const struct run_client *client)
{
	struct run *r = &the_run;
	char dir[PATH_MAX] = "", socket[PATH_MAX];
	int kvm = 0, code;

	*r = (struct run){ .client = client, .qemu = QEMU_NONE };
	deadline_after(&r->deadline, o->timeout_s);
	code = o->qemu_socket ? 0 : pick_accel(o, &kvm);
	if (!code)
		code = serve_at(o, dir, socket, sizeof(socket), &r->server);
	if (!code)
		code = attach_mailbox(r);
	if (code)
		goto out;
	client->started(client->opaque, NULL);
	code = o->qemu_socket ? announce(socket) : launch(o, socket, kvm, r);
	if (!code && wait_for_qemu(r)) {
		r->connected = 1;
		/* Our QEMU has what the socket gave: nothing left behind. */
		if (dir[0]) {
			unlink(socket);
			rmdir(dir);
			dir[0] = 0;
		}
		serve(r);
	}
	qemu_stop(&r->qemu);
	while (r->qemu.console_fd >= 0 &&
	       read_console(r, r->qemu.console_fd) > 0)
		;
	restore_terminal();
	flush_lines(r);
	client->ended(client->opaque);
	if (!code)
		code = conclude_qemu(client, r, o);
out:
	qemu_close(&r->qemu);
	hm_mailbox_free(r->mailbox);
	hm_vm_free(r->hm);
	ivshmem_server_free(r->server);
	*r = (struct run){ .qemu = QEMU_NONE };
	if (dir[0])
		rmdir(dir);
	return code;
}

int run_guest(const struct options *o, const struct run_client *client)
{
	return run_uses_qemu(o) ? run_qemu(o, client) : run_core(o, client);
}

struct hm_vm *run_hm_vm(void)
{
	return the_run.vm ? vmm_get_hm(the_run.vm) : the_run.hm;
}

void run_stop(void)
{
	if (the_run.vm)
		vmm_stop(the_run.vm);
	else if (the_run.hm && the_run.end == QEMU_RUNNING)
		the_run.end = QEMU_STOPPED;
}

/* Whether QEMU is gone: ours exited, or the person's hung up. */
static enum qemu_end qemu_gone(struct run *r)
{
	if (r->qemu.pid > 0)
		return qemu_exited(&r->qemu) ? QEMU_EXITED : QEMU_RUNNING;
	if (r->connected && !ivshmem_server_connected(r->server))
		return QEMU_LEFT;
	return QEMU_RUNNING;
}

/*
 * Under QEMU the run's end is seen here, by the loop and by a handler
 * that loops: the guest gives up waiting for a host that does not answer
 * and goes on, to its power-off, say.
 */
int run_is_stopping(void)
{
	struct run *r = &the_run;

	if (r->vm)
		return vmm_is_stopping(r->vm);
	if (!r->hm)
		return 0;
	if (r->end == QEMU_RUNNING && !ms_until(&r->deadline))
		r->end = QEMU_TIMEOUT;
	if (r->end == QEMU_RUNNING)
		r->end = qemu_gone(r);
	return r->end != QEMU_RUNNING;
}
