// SPDX-License-Identifier: MIT
/*
 * What to tell the user when KVM stops on an x86 guest it cannot run: the
 * exit, where the vCPU was and the instruction it was on. The bytes come from
 * KVM when it hands them over with an emulation failure, otherwise from
 * guest RAM through the guest's own page tables, walked by libhypermem.
 */
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include <x86-regs.h>

#define PAGE_SIZE 4096ull

static const char *const suberror_names[] = {
	[KVM_INTERNAL_ERROR_EMULATION] = "emulation failure",
	[KVM_INTERNAL_ERROR_SIMUL_EX] = "exception while delivering one",
	[KVM_INTERNAL_ERROR_DELIVERY_EV] = "event delivery failed",
};

static const char *suberror_name(uint32_t suberror)
{
	if (suberror < sizeof(suberror_names) / sizeof(suberror_names[0]) &&
	    suberror_names[suberror])
		return suberror_names[suberror];
	return "internal error";
}

/*
 * Through libhypermem's page walker, which knows long mode; with paging
 * off the address is physical. Returns -1 when not mapped.
 */
static int64_t translate(struct vmm_cpu *cpu, const struct kvm_sregs *s,
			 uint64_t va)
{
	struct hm_translation t;

	if (!(s->cr0 & X86_CR0_PG))
		return (int64_t)va;
	if (hm_vcpu_walk(cpu->hm, va, &t))
		return -1;
	return (int64_t)t.gpa;
}

/* Page by page: the instruction may cross into an unmapped page. */
static void read_insn(struct vmm_cpu *cpu, const struct kvm_sregs *s,
		      uint64_t linear, struct vmm_result *r)
{
	while (r->insn_len < sizeof(r->insn)) {
		uint64_t va = linear + r->insn_len;
		int64_t gpa = translate(cpu, s, va);
		uint64_t chunk = PAGE_SIZE - (va & (PAGE_SIZE - 1));
		const uint8_t *p;

		if (chunk > sizeof(r->insn) - r->insn_len)
			chunk = sizeof(r->insn) - r->insn_len;
		p = gpa < 0 ? NULL : vmm_gpa(cpu->vm, (uint64_t)gpa, chunk);
		if (!p)
			return;
		memcpy(r->insn + r->insn_len, p, chunk);
		r->insn_len += (uint8_t)chunk;
	}
}

static void insn_from_kvm(const struct kvm_run *run, struct vmm_result *r)
{
	uint8_t n = run->emulation_failure.insn_size;

	if (n > sizeof(r->insn))
		n = sizeof(r->insn);
	memcpy(r->insn, run->emulation_failure.insn_bytes, n);
	r->insn_len = n;
}

static int kvm_gave_insn(const struct kvm_run *run)
{
	return run->exit_reason == KVM_EXIT_INTERNAL_ERROR &&
	       run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION &&
	       run->emulation_failure.ndata >= 3 &&
	       (run->emulation_failure.flags &
		KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES) &&
	       run->emulation_failure.insn_size;
}

void arch_read_state(struct vmm_cpu *cpu, struct vmm_result *r)
{
	if (kvm_ioctl(cpu->fd, KVM_GET_REGS, &r->regs) < 0 ||
	    kvm_ioctl(cpu->fd, KVM_GET_SREGS, &r->sregs) < 0)
		return;
	/*
	 * arch/x86/kvm/svm/svm.c, shutdown_interception: the VMCB is
	 * undefined after a SHUTDOWN intercept, so KVM INITs the vCPU.
	 */
	if (cpu->run->exit_reason == KVM_EXIT_SHUTDOWN &&
	    r->regs.rip == 0xfff0 && r->sregs.cs.selector == 0xf000) {
		r->regs_lost = 1;
		return;
	}
	r->has_regs = 1;
	if (kvm_gave_insn(cpu->run))
		insn_from_kvm(cpu->run, r);
	else
		read_insn(cpu, &r->sregs, r->sregs.cs.base + r->regs.rip, r);
}

uint64_t arch_result_pc(const struct vmm_result *r)
{
	return r->regs.rip;
}

static size_t format_insn(const struct vmm_result *r, char *buf, size_t cap)
{
	size_t i, len = 0;

	if (!r->insn_len)
		return (size_t)snprintf(buf, cap, "(unreadable)");
	for (i = 0; i < r->insn_len && len < cap; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%s%02x",
					i ? " " : "", r->insn[i]);
	return len;
}

void arch_describe(struct vmm_result *r)
{
	char insn[64], exit[96];
	const char *why;

	format_insn(r, insn, sizeof(insn));
	if (r->exit_reason == KVM_EXIT_INTERNAL_ERROR)
		snprintf(exit, sizeof(exit), "KVM exit '%s' (suberror %u, %s)",
			 vmm_exit_name(r->exit_reason), r->suberror,
			 suberror_name(r->suberror));
	else
		snprintf(exit, sizeof(exit), "KVM exit '%s'%s",
			 vmm_exit_name(r->exit_reason),
			 r->exit_reason == KVM_EXIT_SHUTDOWN ?
			 " (triple fault)" : "");
	why = r->reason == VMM_STOP_UNSUPPORTED ?
		"This host's KVM emulates guest kernel code and cannot run "
		"this guest: it has no hardware virtualization (nested KVM "
		"without VT-x/AMD-V), and its instruction emulator does not "
		"implement the instruction above. Run the guest on a host "
		"with VT-x or AMD-V, or under QEMU TCG." :
		"The guest crashed or KVM refused to enter it.";
	if (r->regs_lost) {
		snprintf(r->diagnosis, sizeof(r->diagnosis),
			 "vCPU %u stopped: %s\n  registers lost: KVM "
			 "re-initialized the vCPU\n%s", r->vcpu, exit, why);
		return;
	}
	snprintf(r->diagnosis, sizeof(r->diagnosis),
		 "vCPU %u stopped: %s\n"
		 "  RIP 0x%016llx  CS 0x%04x (%s, DPL %u)\n"
		 "  CR0 0x%llx  CR3 0x%llx  CR4 0x%llx  EFER 0x%llx\n"
		 "  instruction bytes at RIP: %s\n%s",
		 r->vcpu, exit, r->regs.rip, r->sregs.cs.selector,
		 r->sregs.cs.l ? "64-bit" : "32-bit", r->sregs.cs.dpl,
		 r->sregs.cr0, r->sregs.cr3, r->sregs.cr4, r->sregs.efer,
		 insn, why);
}
