// SPDX-License-Identifier: MIT
/* The synchronous guest's x86-64 page tables (sync_guest_map()). */
#include <string.h>

#include <x86-regs.h>

#include "sync_guest.h"

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
