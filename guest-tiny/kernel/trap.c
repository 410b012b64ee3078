// SPDX-License-Identifier: MIT
/*
 * Descriptor tables, SYSCALL MSRs and exceptions. Each CPU has its own GDT
 * (its TSS descriptor) and TSS; the IDT is shared.
 */
#include "kernel.h"

#define MSR_EFER 0xc0000080u
#define MSR_STAR 0xc0000081u
#define MSR_LSTAR 0xc0000082u
#define MSR_FMASK 0xc0000084u
#define MSR_GS_BASE 0xc0000101u
#define EFER_SCE 1u
/* IF, TF, DF, AC: cleared on SYSCALL. */
#define SYSCALL_FMASK 0x40700u

struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;
	uint8_t type;
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t reserved;
};

struct table_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static struct idt_gate idt[32] __attribute__((aligned(16)));

static const char *const vector_names[32] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow",
	"bound range", "invalid opcode", "device not available",
	"double fault", "coprocessor overrun", "invalid TSS",
	"segment not present", "stack fault", "general protection",
	"page fault", "reserved", "x87 error", "alignment check",
	"machine check", "SIMD error", "virtualization", "control protection",
};

struct cpu *this_cpu(void)
{
	struct cpu *cpu;

	__asm__("mov %%gs:16, %0" : "=r"(cpu));
	return cpu;
}

static void set_gate(unsigned int v, uint64_t addr, uint8_t type)
{
	idt[v].offset_low = (uint16_t)addr;
	idt[v].selector = KERNEL_CS;
	idt[v].ist = 0;
	idt[v].type = type;
	idt[v].offset_mid = (uint16_t)(addr >> 16);
	idt[v].offset_high = (uint32_t)(addr >> 32);
	idt[v].reserved = 0;
}

/* Identical writes from every CPU: the race is harmless. */
static void idt_init(void)
{
	unsigned int v;

	for (v = 0; v < 32; v++)
		set_gate(v, (uint64_t)exception_stubs + v * 16, 0x8e);
}

static void gdt_init(struct cpu *cpu)
{
	uint64_t base = (uint64_t)&cpu->tss;
	uint64_t limit = sizeof(cpu->tss) - 1;

	cpu->gdt[0] = 0;
	cpu->gdt[1] = 0x00af9b000000fffful;	/* kernel code, 64-bit */
	cpu->gdt[2] = 0x00cf93000000fffful;	/* kernel data */
	cpu->gdt[3] = 0x00cff3000000fffful;	/* user data */
	cpu->gdt[4] = 0x00affb000000fffful;	/* user code, 64-bit */
	cpu->gdt[5] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
		      (0x89ul << 40) | (((limit >> 16) & 0xf) << 48) |
		      (((base >> 24) & 0xff) << 56);
	cpu->gdt[6] = base >> 32;
	cpu->tss.iomap_base = sizeof(cpu->tss);
}

static void load_tables(struct cpu *cpu)
{
	struct table_ptr gdtr = { sizeof(cpu->gdt) - 1, (uint64_t)cpu->gdt };
	struct table_ptr idtr = { sizeof(idt) - 1, (uint64_t)idt };

	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movl %2, %%eax\n\t"
			 "movl %%eax, %%ds\n\t"
			 "movl %%eax, %%es\n\t"
			 "movl %%eax, %%ss\n\t"
			 "movl %%eax, %%fs\n\t"
			 "movl %%eax, %%gs\n\t"
			 "ltr %w3\n\t"
			 "lidt %4"
			 : : "m"(gdtr), "i"(KERNEL_CS), "i"(KERNEL_DS),
			   "r"(TSS_SEL), "m"(idtr)
			 : "rax", "memory");
}

void cpu_tables_init(struct cpu *cpu)
{
	idt_init();
	gdt_init(cpu);
	load_tables(cpu);
	/* After the segment loads: writing GS clears its base. */
	wrmsr(MSR_GS_BASE, (uint64_t)cpu);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	/* SYSRET would take CS = 0x13 + 16 and SS = 0x13 + 8. */
	wrmsr(MSR_STAR, (0x13ul << 48) | ((uint64_t)KERNEL_CS << 32));
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	wrmsr(MSR_FMASK, SYSCALL_FMASK);
}

static uint64_t read_cr2(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

struct frame *trap_handler(struct frame *f);

/*
 * On nested KVM with kvm_pvm, SYSCALL loads RIP from LSTAR but leaves the
 * CPU at CPL3, so fetching the supervisor-only entry page faults there.
 * SYSCALL has already put the return RIP in RCX and RFLAGS in R11: finish
 * its work here and take the same path as a real SYSCALL. The flags a user
 * cannot set themselves (IOPL, IF, ...) are not taken from R11.
 */
static struct frame *stuck_syscall(struct frame *f)
{
	f->rip = f->rcx;
	f->rflags = (f->r11 & USER_RFLAGS) | 0x2;
	return syscall_handler(f);
}

/* A fault in user mode kills the process; one in the kernel stops the CPU. */
struct frame *trap_handler(struct frame *f)
{
	struct cpu *cpu = this_cpu();
	const char *name = f->vector < 32 ? vector_names[f->vector] : NULL;

	if (!name)
		name = "exception";
	if (f->vector == 14 && (f->cs & 3) == 3 &&
	    f->rip == (uint64_t)syscall_entry)
		return stuck_syscall(f);
	if ((f->cs & 3) == 3) {
		kprintf("pid %u: %s (vector %lu) error %lx rip %lx cr2 %lx\n",
			cpu->current->pid, name, f->vector, f->error, f->rip,
			read_cr2());
		return sched_exit(cpu, 128 + (int)f->vector);
	}
	kprintf("KERNEL PANIC cpu %u: %s (vector %lu) error %lx rip %lx "
		"cr2 %lx rsp %lx\n", cpu->index, name, f->vector, f->error,
		f->rip, read_cr2(), f->rsp);
	report(TINY_EXIT_CRASH, (cpu->index << 8) | (f->vector & 0xff));
	halt_forever();
}
