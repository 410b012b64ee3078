// SPDX-License-Identifier: MIT
/*
 * Round-robin scheduling on each CPU's own run queue, at syscalls only
 * (there are no interrupts). A process's saved user frame always sits at
 * the top of its kernel stack, so switching is choosing which frame the
 * return path restores.
 */
#include "kernel.h"

static unsigned int cpus_done;
static unsigned int failed_procs;

void sched_add(struct cpu *cpu, struct proc *p)
{
	cpu->procs[cpu->nr_procs++] = p;
}

static struct frame *run(struct cpu *cpu, unsigned int slot)
{
	struct proc *p = cpu->procs[slot];

	cpu->slot = slot;
	cpu->current = p;
	cpu->kstack_top = p->kstack_top;
	cpu->tss.rsp0 = p->kstack_top;
	load_cr3(p->pml4);
	return p->frame;
}

/* The next live process after the current one, or -1. */
static int next_slot(struct cpu *cpu)
{
	unsigned int i;

	for (i = 1; i <= cpu->nr_procs; i++) {
		unsigned int s = (cpu->slot + i) % cpu->nr_procs;

		if (!cpu->procs[s]->exited)
			return (int)s;
	}
	return -1;
}

static __attribute__((noreturn)) void cpu_done(struct cpu *cpu)
{
	report(TINY_EXIT_CPU_DONE, cpu->index);
	if (__atomic_add_fetch(&cpus_done, 1, __ATOMIC_SEQ_CST) ==
	    config.nr_cpus) {
		kprintf("all done: %u failed\n", failed_procs);
		report(TINY_EXIT_ALL_DONE, failed_procs);
	}
	halt_forever();
}

struct frame *sched_switch(struct cpu *cpu)
{
	int s = next_slot(cpu);

	return run(cpu, (unsigned int)s);
}

struct frame *sched_exit(struct cpu *cpu, int status)
{
	struct proc *p = cpu->current;
	int s;

	p->exited = 1;
	if (status)
		__atomic_add_fetch(&failed_procs, 1, __ATOMIC_SEQ_CST);
	kprintf("[pid %u] %s exited with status %d\n", p->pid, p->prog->name,
		status);
	report(TINY_EXIT_PROC, (p->pid << 8) | (status & 0xff));
	s = next_slot(cpu);
	if (s < 0)
		cpu_done(cpu);
	return run(cpu, (unsigned int)s);
}

void sched_start(struct cpu *cpu)
{
	if (!cpu->nr_procs)
		cpu_done(cpu);
	cpu->slot = cpu->nr_procs - 1;
	enter_user(run(cpu, 0));
}
