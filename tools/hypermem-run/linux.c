// SPDX-License-Identifier: MIT
/*
 * Linux guests: linux-boot runs the kernel; this file wires it to the
 * script (events, stop), to the output (console lines, what was booted)
 * and to the terminal, whose keys become the serial console's input.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <linuxboot/linuxboot.h>

#include "output.h"
#include "run.h"
#include "script.h"

/* Without it the kernel says nothing on the serial port. */
#define DEFAULT_APPEND "console=ttyS0"
#define CONSOLE_LINE_MAX 1024

struct linux_run {
	struct script *s;
	struct lb_vm *vm;
	int raw_console;	/* a terminal session: bytes as they come */
	char line[CONSOLE_LINE_MAX];
	size_t len;
};

static struct termios saved_termios;
static volatile sig_atomic_t terminal_raw;

static void flush_line(struct linux_run *r)
{
	size_t len = r->len;

	/* The kernel's serial driver ends each line with "\r\n". */
	if (len && r->line[len - 1] == '\r')
		len--;
	output_console(-1, r->line, len);
	r->len = 0;
}

/* linux-boot calls this one piece at a time, from any vCPU thread. */
static void on_console(const char *buf, size_t len, void *opaque)
{
	struct linux_run *r = opaque;
	size_t i;

	if (r->raw_console) {
		output_console_raw(buf, len);
		return;
	}
	for (i = 0; i < len; i++) {
		if (buf[i] == '\n') {
			flush_line(r);
			continue;
		}
		if (r->len == sizeof(r->line))
			flush_line(r);
		r->line[r->len++] = buf[i];
	}
}

static int cpu_index(struct lb_vm *vm, struct hm_vcpu *vcpu)
{
	unsigned int i, n = lb_vm_get_nr_cpus(vm);

	for (i = 0; i < n; i++)
		if (lb_vm_get_hm_vcpu(vm, i) == vcpu)
			return (int)i;
	return -1;
}

static int on_event(struct hm_vcpu *vcpu, const struct hm_event *ev,
		    void *opaque)
{
	struct linux_run *r = opaque;

	return script_event(r->s, vcpu, cpu_index(r->vm, vcpu), ev);
}

static void stop_vm(void *vm)
{
	lb_vm_stop(vm);
}

static int vm_stopping(void *vm)
{
	return lb_vm_is_stopping(vm);
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
static void print_boot(const struct options *o, struct lb_vm *vm,
		       uint64_t mem_size)
{
	const struct lb_e820_entry *map;
	size_t n, i;

	output_info("booting %s (%s): %u vCPU%s, %" PRIu64 " MiB",
		    o->kernel, lb_vm_is_pvh(vm) ? "vmlinux, PVH entry" :
		    "bzImage, 64-bit boot protocol", o->cpus,
		    o->cpus > 1 ? "s" : "", mem_size >> 20);
	output_info("command line: %s", lb_vm_get_cmdline(vm));
	map = lb_vm_get_e820(vm, &n);
	for (i = 0; i < n; i++)
		output_info("e820: [mem 0x%016" PRIx64 "-0x%016" PRIx64 "] %s",
			    map[i].addr, map[i].addr + map[i].size - 1,
			    e820_type_name(map[i].type));
}

static int create(const struct options *o, struct linux_run *r)
{
	uint64_t mem_size = o->mem_mib ? (uint64_t)o->mem_mib << 20 :
			    LB_DEFAULT_MEM_SIZE;
	struct lb_options lo = {
		.kernel = o->kernel, .initrd = o->initrd,
		.cmdline = o->append ? o->append : DEFAULT_APPEND,
		.mem_size = mem_size, .nr_cpus = o->cpus,
		.timeout_ms = o->timeout_s * 1000,
		.console_fn = on_console, .console_opaque = r,
		.console_input = isatty(STDIN_FILENO),
		.console_input_fd = STDIN_FILENO,
		.event_fn = on_event, .event_opaque = r,
	};
	int err = lb_vm_new(&lo, &r->vm);

	if (err == -ENOEXEC) {
		output_error("--kernel %s: neither a 64-bit vmlinux with a PVH "
			     "note nor a bzImage", o->kernel);
		return EXIT_GUEST;
	}
	if (err == -E2BIG) {
		output_error("the kernel, initrd and command line do not fit "
			     "in %" PRIu64 " MiB (--mem)", mem_size >> 20);
		return EXIT_GUEST;
	}
	if (err) {
		output_error("cannot create the VM: %s", strerror(-err));
		return EXIT_NO_KVM;
	}
	print_boot(o, r->vm, mem_size);
	return 0;
}

static int finish(int code, const char *status)
{
	output_result(code, status, NULL);
	return code;
}

/* What the run came to: the script first, then why the guest stopped. */
static int conclude(const struct script *s, const struct lb_result *res,
		    const struct options *o)
{
	if (s->failed)
		return finish(EXIT_SCRIPT, "script error");
	if (s->stopped)
		return finish(EXIT_OK, "stopped by the script");
	switch (res->reason) {
	case LB_STOP_RESET:
		return finish(EXIT_OK, "guest reset");
	case LB_STOP_POWEROFF:
		return finish(EXIT_OK, "guest powered off");
	case LB_STOP_TIMEOUT:
		output_error("the guest was still running after %u s "
			     "(--timeout)", o->timeout_s);
		return finish(EXIT_TIMEOUT, "timed out");
	case LB_STOP_UNSUPPORTED:
		output_error("%s", res->diagnosis);
		return finish(EXIT_GUEST, "guest cannot run on this host");
	case LB_STOP_CRASH:
		output_error("%s", res->diagnosis);
		return finish(EXIT_GUEST, "guest crashed");
	case LB_STOP_ERROR:
		output_error("running the guest: %s%s%s", strerror(-res->error),
			     res->diagnosis[0] ? "\n" : "", res->diagnosis);
		return finish(EXIT_GUEST, "KVM error");
	default:
		output_error("the guest stopped: %s",
			     lb_stop_reason_name(res->reason));
		return finish(EXIT_GUEST, "guest did not finish");
	}
}

int run_linux(const struct options *o, struct script *s)
{
	struct linux_run r = { .s = s };
	struct script_guest guest = {
		.stop = stop_vm, .stopping = vm_stopping,
	};
	struct lb_result res;
	int err;

	r.raw_console = isatty(STDIN_FILENO) && !o->json;
	err = create(o, &r);
	if (err)
		return err;
	guest.vm = r.vm;
	s->guest = &guest;
	if (isatty(STDIN_FILENO))
		raw_terminal();
	err = lb_vm_run(r.vm, &res);
	restore_terminal();
	if (r.len)
		flush_line(&r);
	s->guest = NULL;
	if (err) {
		output_error("running the guest: %s", strerror(-err));
		err = finish(EXIT_GUEST, "KVM error");
	} else {
		err = conclude(s, &res, o);
	}
	lb_vm_free(r.vm);
	return err;
}
