// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <x86-regs.h>

#include "port_exit.h"
#include "seams.h"
#include "sync_guest.h"

/* The clock the library sees: it moves only when a guest stays silent. */
static uint64_t now_ns;

static bool in_mem(uint64_t va, size_t len)
{
	return va >= SYNC_VA && va - SYNC_VA <= SYNC_MEM_SIZE &&
	       len <= SYNC_MEM_SIZE - (va - SYNC_VA);
}

/* Bytes of [va, va + len) that lie in the task's memory, from va on. */
static size_t readable(uint64_t va, size_t len)
{
	if (va < SYNC_VA || va - SYNC_VA >= SYNC_MEM_SIZE)
		return 0;
	return in_mem(va, len) ? len : SYNC_MEM_SIZE - (size_t)(va - SYNC_VA);
}

static size_t op_copy_from(void *ctx, void *dst, uint64_t src, size_t len)
{
	struct sync_guest *g = ctx;
	size_t n = readable(src, len);

	memcpy(dst, g->mem + (n ? src - SYNC_VA : 0), n);
	return len - n;
}

static size_t op_copy_to(void *ctx, uint64_t dst, const void *src, size_t len)
{
	struct sync_guest *g = ctx;
	size_t n = readable(dst, len);

	memcpy(g->mem + (n ? dst - SYNC_VA : 0), src, n);
	return len - n;
}

static long op_string_from(void *ctx, char *dst, uint64_t src, size_t len,
			   size_t *copied)
{
	struct sync_guest *g = ctx;
	size_t n = readable(src, len);
	const char *s = (const char *)g->mem + (n ? src - SYNC_VA : 0);
	const char *nul = memchr(s, '\0', n);

	*copied = nul ? (size_t)(nul - s) : n;
	memcpy(dst, s, *copied);
	if (nul || n == len)
		return (long)*copied;
	return -HM_EFAULT;
}

static void ring(struct sync_guest *g, unsigned int call, uint64_t gpa)
{
	struct kvm_run *run = g->run;

	if (g->vmcall) {
		run->exit_reason = KVM_EXIT_HYPERCALL;
		run->hypercall.nr = HM_KVM_HC_MAP_GPA_RANGE;
		run->hypercall.args[0] = gpa;
		run->hypercall.args[1] = HM_VMCALL_NPAGES(call);
		return;
	}
	port_out_exit(run, HM_X86_PORT, call, 4);
	run->kvm_valid_regs |= KVM_SYNC_X86_REGS;
	run->s.regs.regs.rbx = gpa;
}

/* Registration and events reach the host at once, as the VMM's loop would. */
static int op_doorbell(void *ctx, unsigned int call, uint64_t gpa)
{
	struct sync_guest *g = ctx;

	ring(g, call, gpa);
	if (call != HM_CALL_REPLY)
		hm_vcpu_handle_exit(g->vcpu);
	return 0;
}

static int sync_kvm_run(struct hm_vcpu *vcpu, void *opaque)
{
	struct sync_guest *g = hm_vcpu_get_data(vcpu);

	(void)opaque;
	g->kvm_runs++;
	if (g->silent) {
		/* The watchdog's kick, a second after the last. */
		g->silent--;
		now_ns += 1000000000ull;
		return -EINTR;
	}
	if (g->foreign) {
		/* A byte to the serial port, the VMM's exit, comes first. */
		g->foreign--;
		port_out_exit(g->run, 0x3f8, 'x', 1);
		return 0;
	}
	hm_agent_serve(&g->agent);
	if (g->spoil)
		g->spoil(g);
	ring(g, g->reply_call ? g->reply_call : HM_CALL_REPLY,
	     g->agent.region_gpa);
	return 0;
}

static void sync_clock(struct timespec *now, void *opaque)
{
	(void)opaque;
	now->tv_sec = (time_t)(now_ns / 1000000000ull);
	now->tv_nsec = (long)(now_ns % 1000000000ull);
}

static const struct hm_seams seams = {
	.kvm_run = sync_kvm_run,
	.clock = sync_clock,
};

/* Fake vCPU fds: no real ioctl sees them with the seams installed. */
#define SYNC_FD_BASE 1000

struct sync_guest *sync_guest_new(struct hm_vm *vm, unsigned int index)
{
	struct sync_guest *g = calloc(1, sizeof(*g));
	uint64_t gpa = SYNC_RAM_GPA + (uint64_t)index * SYNC_RAM_SIZE;

	if (!g)
		abort();
	g->run = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	g->ram = calloc(1, SYNC_RAM_SIZE);
	if (g->run == MAP_FAILED || !g->ram ||
	    hm_vm_add_ram(vm, gpa, SYNC_RAM_SIZE, g->ram) ||
	    hm_vcpu_new(vm, SYNC_FD_BASE + (int)index, g->run, &g->vcpu))
		abort();
	g->ops = (struct hm_agent_ops){
		.doorbell = op_doorbell,
		.copy_from = op_copy_from,
		.copy_to = op_copy_to,
		.string_from = op_string_from,
	};
	g->agent = (struct hm_agent){
		.ops = &g->ops,
		.ctx = g,
		.region = (struct hm_region *)g->ram,
		.region_gpa = gpa,
		.region_pages = 1,
		.name_buf = g->name_buf,
	};
	g->ram_gpa = gpa;
	g->mem = g->ram + SYNC_MEM;
	hm_vcpu_set_data(g->vcpu, g);
	hm_seams_set(&seams);
	return g;
}

void sync_guest_free(struct sync_guest *g)
{
	hm_vcpu_free(g->vcpu);
	munmap(g->run, 2 * 4096);
	free(g->ram);
	free(g);
}

void sync_guest_map(struct sync_guest *g)
{
	uint64_t *table = (uint64_t *)(g->ram + SYNC_TABLES);
	uint64_t tables = g->ram_gpa + SYNC_TABLES;
	uint64_t flags = X86_PTE_P | X86_PTE_W | X86_PTE_U;
	struct kvm_sregs *sregs = &g->run->s.regs.sregs;
	unsigned int level, i;

	/* PML4, PDPT, PD: entry 0, 0, 2 (SYNC_VA is 4 MiB); then the PT. */
	memset(table, 0, 4 * 4096);
	for (level = 0; level < 3; level++)
		table[level * 512 + (level == 2 ? 2 : 0)] =
			(tables + (level + 1) * 4096) | flags;
	for (i = 0; i < SYNC_MEM_SIZE / 4096; i++)
		table[3 * 512 + i] = (g->ram_gpa + SYNC_MEM + i * 4096) | flags;
	memset(sregs, 0, sizeof(*sregs));
	sregs->cr0 = X86_CR0_LONG_MODE;
	sregs->cr3 = tables;
	sregs->cr4 = X86_CR4_PAE;
	sregs->efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE;
	g->run->kvm_valid_regs |= KVM_SYNC_X86_SREGS;
}

int sync_guest_register(struct sync_guest *g)
{
	return hm_agent_register(&g->agent, 0);
}

void sync_guest_raise(struct sync_guest *g, uint32_t kind, uint64_t nr)
{
	struct hm_event_record ev = { .kind = kind, .nr = nr };

	hm_agent_raise(&g->agent, &ev);
}
