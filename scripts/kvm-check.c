// SPDX-License-Identifier: MIT
/*
 * kvm-check: can this host's /dev/kvm run this project's guests?
 *
 *   user    a guest runs and exits to the VMM by port I/O (guest-tiny's
 *           user programs, the demo)
 *   kernel  also guest kernel code runs natively: a CPL0 loop at hardware
 *           speed, INT3 delivered through the IDT, and a VMCALL handed to
 *           userspace (a Linux guest, the VMCALL transport)
 *
 * A nested KVM without hardware virtualization (kvm_pvm) passes "user" and
 * fails "kernel": it emulates CPL0 at about 2 us an instruction, rejects
 * INT3 at CPL0 and never completes a VMCALL.
 *
 * usage: kvm-check [--need user|kernel] [--quiet]
 * Prints what it measured and a verdict; exits 0 when the need is met,
 * 1 when not, 2 on usage errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MEM_SIZE	0x10000
#define GDT_ADDR	0x1000
#define IDT_ADDR	0x2000
#define CODE_ADDR	0x3000
#define INT3_HANDLER	0x3800
#define LOOP_COUNT	100000
/* Hardware runs the loop in ~1 ns an iteration, KVM on QEMU's emulated SVM
 * in ~50 ns, an instruction emulator in microseconds. */
#define NATIVE_NS_MAX	500.0

/* KVM api.rst, KVM_CAP_EXIT_HYPERCALL: the only hypercall it forwards. */
#ifndef KVM_HC_MAP_GPA_RANGE
#define KVM_HC_MAP_GPA_RANGE 12
#endif

enum port { PORT_LOOP_DONE = 0x10, PORT_INT3 = 0x11, PORT_AFTER_INT3 = 0x12,
	    PORT_AFTER_VMCALL = 0x13 };

struct machine {
	int kvm, vm, vcpu;
	struct kvm_run *run;
	uint8_t *mem;
};

static volatile sig_atomic_t alarmed;

static void on_alarm(int sig)
{
	(void)sig;
	alarmed = 1;
}

static int open_machine(struct machine *m, const char **why)
{
	struct kvm_userspace_memory_region slot = { 0 };
	int size;

	m->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (m->kvm < 0) {
		*why = errno == ENOENT ? "/dev/kvm does not exist" :
		       errno == EACCES ? "no permission to open /dev/kvm" :
		       "cannot open /dev/kvm";
		return -1;
	}
	*why = "KVM_CREATE_VM failed";
	if (ioctl(m->kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		*why = "/dev/kvm speaks another API version";
		return -1;
	}
	m->vm = ioctl(m->kvm, KVM_CREATE_VM, 0);
	if (m->vm < 0)
		return -1;
	m->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m->mem == MAP_FAILED)
		return -1;
	slot.memory_size = MEM_SIZE;
	slot.userspace_addr = (uintptr_t)m->mem;
	*why = "KVM_SET_USER_MEMORY_REGION failed";
	if (ioctl(m->vm, KVM_SET_USER_MEMORY_REGION, &slot))
		return -1;
	*why = "KVM_CREATE_VCPU failed";
	m->vcpu = ioctl(m->vm, KVM_CREATE_VCPU, 0);
	size = ioctl(m->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (m->vcpu < 0 || size <= 0)
		return -1;
	m->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      m->vcpu, 0);
	return m->run == MAP_FAILED ? -1 : 0;
}

static void put_descriptor(uint8_t *d, uint32_t base, uint32_t limit,
			   uint8_t access, uint8_t flags)
{
	d[0] = limit;
	d[1] = limit >> 8;
	d[2] = base;
	d[3] = base >> 8;
	d[4] = base >> 16;
	d[5] = access;
	d[6] = (flags << 4) | ((limit >> 16) & 0xf);
	d[7] = base >> 24;
}

/* A 32-bit interrupt gate (SDM vol. 3, 6.11) to INT3_HANDLER in selector 8. */
static void put_gate(uint8_t *g)
{
	g[0] = INT3_HANDLER & 0xff;
	g[1] = INT3_HANDLER >> 8;
	g[2] = 8;
	g[3] = 0;
	g[4] = 0;
	g[5] = 0x8e;
	g[6] = 0;
	g[7] = 0;
}

/*
 * Flat 32-bit protected mode, no paging: the least a CPU needs to run code
 * at CPL0 and deliver an exception through the IDT.
 */
#define LOOP \
	0xb9, LOOP_COUNT & 0xff, (LOOP_COUNT >> 8) & 0xff, \
	LOOP_COUNT >> 16, 0x00,			/* mov ecx, LOOP_COUNT */ \
	0x49,					/* 1: dec ecx */ \
	0x75, 0xfd,				/* jnz 1b */ \
	0xe6, PORT_LOOP_DONE			/* out PORT_LOOP_DONE, al */

/* The first loop warms up: it pays for faulting in the guest's pages. */
static const uint8_t code[] = {
	LOOP,
	LOOP,
	0xcc,					/* int3 */
	0xe6, PORT_AFTER_INT3,			/* out PORT_AFTER_INT3, al */
	0xb8, KVM_HC_MAP_GPA_RANGE, 0, 0, 0,	/* mov eax, 12 */
	0xbb, 0x00, 0x10, 0x00, 0x00,		/* mov ebx, 0x1000 */
	0xb9, 0x01, 0x00, 0x00, 0x00,		/* mov ecx, 1 */
	0x31, 0xd2,				/* xor edx, edx */
	0x0f, 0x01, 0xc1,			/* vmcall */
	0xe6, PORT_AFTER_VMCALL,		/* out PORT_AFTER_VMCALL, al */
	0xf4,					/* hlt */
};

static const uint8_t int3_handler[] = {
	0xe6, PORT_INT3,			/* out PORT_INT3, al */
	0xcf,					/* iret */
};

static void set_segment(struct kvm_segment *s, uint16_t selector, int type)
{
	memset(s, 0, sizeof(*s));
	s->selector = selector;
	s->limit = 0xfffff;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->db = 1;
	s->g = 1;
}

static int enter_protected_mode(struct machine *m)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rip = CODE_ADDR, .rsp = 0x8000,
				 .rflags = 2 };

	put_descriptor(m->mem + GDT_ADDR + 8, 0, 0xfffff, 0x9b, 0xc);
	put_descriptor(m->mem + GDT_ADDR + 16, 0, 0xfffff, 0x93, 0xc);
	put_gate(m->mem + IDT_ADDR + 3 * 8);
	memcpy(m->mem + CODE_ADDR, code, sizeof(code));
	memcpy(m->mem + INT3_HANDLER, int3_handler, sizeof(int3_handler));

	if (ioctl(m->vcpu, KVM_GET_SREGS, &sregs))
		return -1;
	set_segment(&sregs.cs, 8, 0xb);
	set_segment(&sregs.ds, 16, 0x3);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.gdt.base = GDT_ADDR;
	sregs.gdt.limit = 3 * 8 - 1;
	sregs.idt.base = IDT_ADDR;
	sregs.idt.limit = 256 * 8 - 1;
	sregs.cr0 = 0x11;
	if (ioctl(m->vcpu, KVM_SET_SREGS, &sregs))
		return -1;
	return ioctl(m->vcpu, KVM_SET_REGS, &regs);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/*
 * One KVM_RUN under a one-second watchdog. Returns the exit reason, or -1
 * where the watchdog ended it (the guest never exited).
 */
static int run_once(struct machine *m)
{
	int rc;

	alarmed = 0;
	alarm(1);
	rc = ioctl(m->vcpu, KVM_RUN, 0);
	alarm(0);
	if (rc < 0)
		return -1;
	return m->run->exit_reason;
}

static int out_port(const struct machine *m)
{
	if (m->run->exit_reason != KVM_EXIT_IO ||
	    m->run->io.direction != KVM_EXIT_IO_OUT)
		return -1;
	return m->run->io.port;
}

struct findings {
	double loop_ns;
	const char *int3, *vmcall;
	int user, kernel;
};

/* KVM api.rst 7.x: KVM_CAP_EXIT_HYPERCALL is set before the first KVM_RUN. */
static int enable_hypercall_exit(struct machine *m)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_EXIT_HYPERCALL,
				      .args = { 1ull << KVM_HC_MAP_GPA_RANGE } };
	int mask = ioctl(m->vm, KVM_CHECK_EXTENSION, KVM_CAP_EXIT_HYPERCALL);

	if (mask <= 0 || !(mask & (1 << KVM_HC_MAP_GPA_RANGE)))
		return -1;
	return ioctl(m->vm, KVM_ENABLE_CAP, &cap);
}

static void check_vmcall(struct machine *m, struct findings *f)
{
	int reason = run_once(m);

	f->vmcall = reason < 0 ? "never completes" : "does not reach userspace";
	if (reason != KVM_EXIT_HYPERCALL ||
	    m->run->hypercall.nr != KVM_HC_MAP_GPA_RANGE)
		return;
	m->run->hypercall.ret = 0;
	f->vmcall = "does not resume";
	if (run_once(m) == KVM_EXIT_IO && out_port(m) == PORT_AFTER_VMCALL)
		f->vmcall = "exits to userspace";
}

static void check(struct machine *m, struct findings *f)
{
	double start;
	int reason;

	if (run_once(m) != KVM_EXIT_IO || out_port(m) != PORT_LOOP_DONE)
		return;
	start = now_ns();
	reason = run_once(m);
	if (reason != KVM_EXIT_IO || out_port(m) != PORT_LOOP_DONE)
		return;
	f->loop_ns = (now_ns() - start) / LOOP_COUNT;
	f->user = 1;

	reason = run_once(m);
	f->int3 = reason == KVM_EXIT_INTERNAL_ERROR ? "emulation failure" :
		  reason < 0 ? "never completes" : "not delivered";
	if (reason != KVM_EXIT_IO || out_port(m) != PORT_INT3 ||
	    run_once(m) != KVM_EXIT_IO || out_port(m) != PORT_AFTER_INT3)
		return;
	f->int3 = "delivered through the IDT";
	if (f->vmcall == NULL)
		check_vmcall(m, f);
	f->kernel = f->loop_ns < NATIVE_NS_MAX && f->vmcall &&
		    !strcmp(f->vmcall, "exits to userspace");
}

static void usage(void)
{
	fprintf(stderr, "usage: kvm-check [--need user|kernel] [--quiet]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct findings f = { .int3 = "not tried", .vmcall = "not tried" };
	struct machine m;
	const char *why, *need = "kernel";
	int quiet = 0, met;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--need") && i + 1 < argc)
			need = argv[++i];
		else if (!strcmp(argv[i], "--quiet"))
			quiet = 1;
		else
			usage();
	}
	if (strcmp(need, "user") && strcmp(need, "kernel"))
		usage();
	/* No SA_RESTART: the alarm must end a KVM_RUN that never exits. */
	sigaction(SIGALRM, &sa, NULL);

	if (open_machine(&m, &why) || enter_protected_mode(&m)) {
		if (!quiet)
			printf("kvm-check: %s (%s)\nverdict: none\n", why,
			       strerror(errno));
		return 1;
	}
	if (enable_hypercall_exit(&m))
		f.vmcall = "KVM does not forward KVM_HC_MAP_GPA_RANGE";
	else
		f.vmcall = NULL;
	check(&m, &f);
	met = f.kernel || (f.user && !strcmp(need, "user"));
	if (!quiet) {
		if (f.user)
			printf("kvm-check: CPL0 loop %.1f ns an iteration (%s)\n",
			       f.loop_ns, f.loop_ns < NATIVE_NS_MAX ?
			       "native" : "emulated");
		else
			printf("kvm-check: a guest at CPL0 did not run\n");
		printf("kvm-check: INT3 at CPL0: %s; VMCALL: %s\n", f.int3,
		       f.vmcall ? f.vmcall : "not tried");
		printf("verdict: %s\n", f.kernel ? "kernel" :
		       f.user ? "user" : "none");
	}
	return met ? 0 : 1;
}
