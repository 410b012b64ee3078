// SPDX-License-Identifier: MIT
/*
 * Per-vCPU setup: CPUID and the register state each entry point expects.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include <x86-regs.h>

/* CPUID.1:ECX bits (SDM vol. 2A, table 3-10). */
#define CPUID1_ECX_CX16 (1u << 13)
#define CPUID1_ECX_XSAVE (1u << 26)
#define CPUID1_ECX_OSXSAVE (1u << 27)
#define CPUID1_ECX_AVX (1u << 28)
/* Reserved for hypervisors to say the CPU is virtual (SDM vol. 2A). */
#define CPUID1_ECX_HYPERVISOR (1u << 31)
#define HIDE_MASK (CPUID1_ECX_CX16 | CPUID1_ECX_XSAVE | CPUID1_ECX_OSXSAVE | \
		   CPUID1_ECX_AVX)
#define CPUID_MAX_ENTRIES 256


/* The boot protocol's GDT: __BOOT_CS = 0x10, __BOOT_DS = 0x18. */
#define BOOT_CS 0x10
#define BOOT_DS 0x18
#define BOOT_TSS 0x20

/*
 * kvm_pvm is the nested KVM that runs guest kernel code through the
 * instruction emulator; without vmx/svm in our own CPU flags KVM can only
 * be such a software or paravirtual one.
 */
static int host_kvm_emulates(void)
{
	char line[4096];
	FILE *f;
	int hw = 0;

	if (access("/sys/module/kvm_pvm", F_OK) == 0)
		return 1;
	f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags", 5) &&
		    (strstr(line, " vmx") || strstr(line, " svm")))
			hw = 1;
	fclose(f);
	return !hw;
}

int vmm_cpuid_hides(enum vmm_cpuid_hide hide)
{
	if (hide == VMM_CPUID_HIDE_ALWAYS)
		return 1;
	return hide == VMM_CPUID_HIDE_AUTO && host_kvm_emulates();
}

/*
 * KVM_GET_SUPPORTED_CPUID leaves the APIC IDs zero; each vCPU reports its
 * own (leaf 1 EBX[31:24], leaves 0xb and 0x1f EDX), matching the MP table.
 * It offers KVM's leaves at 0x40000000 but not the hypervisor bit, without
 * which Linux never looks there (kvm_para_available(), which the module's
 * VMCALL transport needs).
 */
static void patch_entry(struct kvm_cpuid_entry2 *e, unsigned int index,
			int hide)
{
	switch (e->function) {
	case 1:
		e->ebx = (e->ebx & 0x00ffffffu) | index << 24;
		e->ecx |= CPUID1_ECX_HYPERVISOR;
		if (hide)
			e->ecx &= ~HIDE_MASK;
		break;
	case 0xb:
	case 0x1f:
		e->edx = index;
		break;
	case 0xd:
		if (hide)
			e->eax = e->ebx = e->ecx = e->edx = 0;
		break;
	}
}

int x86_setup_cpuid(struct vmm_cpu *cpu, enum vmm_cpuid_hide hide)
{
	struct {
		struct kvm_cpuid2 head;
		struct kvm_cpuid_entry2 entries[CPUID_MAX_ENTRIES];
	} cpuid;
	int hidden = vmm_cpuid_hides(hide);
	unsigned int i;
	int ret;

	memset(&cpuid, 0, sizeof(cpuid));
	cpuid.head.nent = CPUID_MAX_ENTRIES;
	ret = kvm_ioctl(cpu->vm->kvm_fd, KVM_GET_SUPPORTED_CPUID,
			&cpuid.head);
	if (ret < 0)
		return ret;
	for (i = 0; i < cpuid.head.nent; i++)
		patch_entry(&cpuid.entries[i], cpu->index, hidden);
	ret = kvm_ioctl(cpu->fd, KVM_SET_CPUID2, &cpuid.head);
	return ret < 0 ? ret : 0;
}

static void flat_segment(struct kvm_segment *seg, uint16_t selector,
			 uint8_t type, int long_mode)
{
	*seg = (struct kvm_segment){
		.base = 0,
		.limit = 0xffffffff,
		.selector = selector,
		.type = type,
		.present = 1,
		.s = 1,
		.db = !long_mode,
		.l = long_mode && (type & 0x8),
		.g = 1,
	};
}

/* TR must hold a busy TSS for VM entry to succeed on VMX. */
static void set_segments(struct kvm_sregs *sregs, int long_mode)
{
	flat_segment(&sregs->cs, BOOT_CS, 0xb, long_mode);
	flat_segment(&sregs->ds, BOOT_DS, 0x3, long_mode);
	sregs->es = sregs->fs = sregs->gs = sregs->ss = sregs->ds;
	if (long_mode)
		sregs->ss.db = 1;
	sregs->tr = (struct kvm_segment){
		.selector = BOOT_TSS, .limit = 0x67, .type = 0xb, .present = 1,
	};
	sregs->ldt = (struct kvm_segment){
		.type = 0x2, .present = 1, .unusable = 1,
	};
	sregs->gdt.base = GDT_GPA;
	sregs->gdt.limit = 5 * 8 - 1;
}

/* Descriptors matching set_segments(), for when the kernel reloads them. */
static int write_gdt(struct vmm *vm)
{
	uint64_t *gdt = vmm_gpa(vm, GDT_GPA, 5 * 8);

	if (!gdt)
		return -E2BIG;
	gdt[0] = 0;
	gdt[1] = 0;
	gdt[2] = vm->pvh ? 0x00cf9b000000ffffull : 0x00af9b000000ffffull;
	gdt[3] = 0x00cf93000000ffffull;
	gdt[4] = 0x00008b0000000067ull;
	return 0;
}

/*
 * An identity map of the low 4 GiB with 2 MiB pages: the PML4 at
 * @p pml4_gpa, then the PDPT, then four PDs.
 */
int x86_identity_map(struct vmm *vm, uint64_t pml4_gpa)
{
	uint64_t *pml4 = vmm_gpa(vm, pml4_gpa, 6 * 4096);
	uint64_t *pdpt = pml4 + 512;
	uint64_t *pd = pdpt + 512;
	uint64_t i;

	if (!pml4)
		return -E2BIG;
	memset(pml4, 0, 2 * 4096);
	pml4[0] = (pml4_gpa + 0x1000) | X86_PTE_P | X86_PTE_W;
	for (i = 0; i < 4; i++)
		pdpt[i] = (pml4_gpa + 0x2000 + i * 4096) | X86_PTE_P |
			  X86_PTE_W;
	for (i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | X86_PTE_P | X86_PTE_W | X86_PTE_PS;
	return 0;
}

/*
 * Enter at regs->rip with paging through the map at @p pml4_gpa, in 64-bit
 * mode; or, for a PVH kernel (pml4_gpa 0), in 32-bit protected mode with
 * paging off.
 */
int x86_enter(struct vmm_cpu *cpu, uint64_t pml4_gpa, struct kvm_regs *regs)
{
	struct kvm_sregs sregs;
	int ret;

	ret = kvm_ioctl(cpu->fd, KVM_GET_SREGS, &sregs);
	if (ret < 0)
		return ret;
	set_segments(&sregs, pml4_gpa != 0);
	sregs.cr3 = pml4_gpa;
	sregs.cr4 = pml4_gpa ? X86_CR4_PAE : 0;
	sregs.cr0 = pml4_gpa ? X86_CR0_LONG_MODE : X86_CR0_PE | X86_CR0_ET;
	sregs.efer = pml4_gpa ? X86_EFER_LME | X86_EFER_LMA : 0;
	regs->rflags = 0x2;
	ret = kvm_ioctl(cpu->fd, KVM_SET_SREGS, &sregs);
	if (ret >= 0)
		ret = kvm_ioctl(cpu->fd, KVM_SET_REGS, regs);
	return ret < 0 ? ret : 0;
}

/*
 * Only the boot CPU is set up; the others wait in KVM's in-kernel LAPIC
 * for the INIT/SIPI the kernel sends them. The 64-bit boot protocol wants
 * the kernel, zero page and command line mapped 1:1.
 */
int x86_enter_linux(struct vmm_cpu *cpu)
{
	struct vmm *vm = cpu->vm;
	struct kvm_regs regs = { .rip = vm->entry, .rsi = BOOT_PARAMS_GPA };
	int ret;

	ret = write_gdt(vm);
	if (ret)
		return ret;
	if (vm->pvh) {
		/* PVH: EBX = start info. */
		regs.rbx = START_INFO_GPA;
		return x86_enter(cpu, 0, &regs);
	}
	ret = x86_identity_map(vm, PML4_GPA);
	if (ret)
		return ret;
	return x86_enter(cpu, PML4_GPA, &regs);
}
