// SPDX-License-Identifier: MIT
/*
 * The run on the VMM core (vmm/vmm.h): guest-tiny or a Linux kernel on the
 * board the options name, what was booted, and the core's result as an
 * exit code and a message, a crash's registers with it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <tiny/boot.h>
#include <vmm/vmm.h>

#include "backend.h"
#include "output.h"

#define TINY_DEFAULT_CMDLINE "scenario=demo"

#ifdef __aarch64__
#define NOT_A_KERNEL "not an arm64 Image (Linux's arm64/booting.rst)"
#else
#define NOT_A_KERNEL "neither a 64-bit vmlinux with a PVH note nor a bzImage"
#endif

static int on_event(struct hm_vcpu *vcpu, const struct hm_event *ev,
		    void *opaque)
{
	struct run *r = opaque;

	return run_event(r, vcpu, (int)vmm_cpu_index(vcpu), ev);
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
		return run_finish(EXIT_GUEST, "guest crashed", programs);
	}
	if (res->tiny.no_host) {
		output_error("the guest could not register with libhypermem");
		return run_finish(EXIT_GUEST, "guest did not register",
				  programs);
	}
	if (!res->tiny.all_done) {
		output_error("every vCPU stopped before the guest finished");
		return run_finish(EXIT_GUEST, "guest did not finish", programs);
	}
	return run_finish(EXIT_OK, "guest finished", programs);
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
	code = run_conclude_client(client, programs);
	if (code >= 0)
		return code;
	switch (res->reason) {
	case VMM_STOP_HALTED:
		return conclude_halted(res, programs);
	case VMM_STOP_RESET:
		return run_finish(EXIT_OK, "guest reset", programs);
	case VMM_STOP_POWEROFF:
		return run_finish(EXIT_OK, "guest powered off", programs);
	case VMM_STOP_TIMEOUT:
		run_timed_out(o);
		return run_finish(EXIT_TIMEOUT, "timed out", programs);
	case VMM_STOP_UNSUPPORTED:
		dump_registers(res);
		output_error("%s", res->diagnosis);
		return run_finish(EXIT_GUEST, "guest cannot run on this host",
				  programs);
	case VMM_STOP_CRASH:
		dump_registers(res);
		output_error("%s", res->diagnosis);
		return run_finish(EXIT_GUEST, "guest crashed", programs);
	case VMM_STOP_ERROR:
		output_error("running the guest: %s", strerror(-res->error));
		return run_finish(EXIT_GUEST, "KVM error", programs);
	default:
		output_error("the guest stopped: %s",
			     vmm_stop_reason_name(res->reason));
		return run_finish(EXIT_GUEST, "guest did not finish", programs);
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

/*
 * The guest's exits to hypermem: its calls that reached the core's loop
 * (events, registrations) and the library's round trips in operations.
 */
static uint64_t count_exits(struct vmm *vm, const struct vmm_result *res,
			    unsigned int cpus)
{
	struct hm_stats stats;
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < cpus; i++) {
		hm_vcpu_get_stats(vmm_get_hm_vcpu(vm, i), &stats);
		n += res->cpus[i].hm_exits + stats.exits;
	}
	return n;
}

static int run_vmm(struct run *r, const struct options *o)
{
	const struct run_client *client = r->client;
	char tiny_cmdline[TINY_CMDLINE_MAX + 8];
	struct vmm_config c = {
		.mem_size = (uint64_t)o->mem_mib << 20, .nr_cpus = o->cpus,
		.timeout_ms = o->timeout_s * 1000,
		.console_fn = console_write, .console_opaque = &r->console,
		.event_fn = on_event, .event_opaque = r,
	};
	struct vmm_result res;
	struct vmm *vm;
	int err;

	if (o->kernel) {
		linux_config(o, &c);
		r->console.raw = isatty(STDIN_FILENO) && !o->json;
	} else {
		tiny_config(o, &c, tiny_cmdline, sizeof(tiny_cmdline));
	}
	err = vmm_new(&c, &vm);
	if (err)
		return create_error(o, &c, err);
	r->guest = vm;
	if (o->kernel)
		print_linux_boot(o, vm);
	client->started(client->opaque, vm);
	if (o->kernel && isatty(STDIN_FILENO))
		terminal_raw();
	err = vmm_run(vm, &res);
	r->exits = count_exits(vm, &res, o->cpus);
	terminal_restore();
	console_flush(&r->console);
	client->ended(client->opaque);
	if (err) {
		output_error("running the guest: %s", strerror(-err));
		err = run_finish(EXIT_GUEST, "KVM error", NULL);
	} else {
		err = conclude(client, &res, o);
	}
	r->guest = NULL;
	vmm_free(vm);
	return err;
}

static struct hm_vm *vmm_hm_vm(void *guest)
{
	return vmm_get_hm(guest);
}

static void vmm_stop_guest(void *guest)
{
	vmm_stop(guest);
}

static int vmm_guest_is_stopping(void *guest)
{
	return vmm_is_stopping(guest);
}

const struct run_backend run_backend_vmm = {
	.run = run_vmm,
	.hm_vm = vmm_hm_vm,
	.stop = vmm_stop_guest,
	.is_stopping = vmm_guest_is_stopping,
};
