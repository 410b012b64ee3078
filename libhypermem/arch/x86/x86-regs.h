/* SPDX-License-Identifier: MIT */
/*
 * x86-64 control register and page-table bits (Intel SDM vol. 3A, 2.5 and
 * 4.5), shared by the library's page walker, the monitors that set up long
 * mode and guest-tiny's kernel. Plain constants: it compiles anywhere.
 */
#ifndef HYPERMEM_X86_REGS_H
#define HYPERMEM_X86_REGS_H

#define X86_CR0_PE (1ull << 0)
#define X86_CR0_MP (1ull << 1)
#define X86_CR0_ET (1ull << 4)
#define X86_CR0_NE (1ull << 5)
#define X86_CR0_WP (1ull << 16)
#define X86_CR0_AM (1ull << 18)
#define X86_CR0_PG (1ull << 31)
/* What a monitor entering 64-bit mode directly puts in CR0. */
#define X86_CR0_LONG_MODE (X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | \
			   X86_CR0_NE | X86_CR0_WP | X86_CR0_AM | X86_CR0_PG)

#define X86_CR4_PAE (1ull << 5)
#define X86_CR4_LA57 (1ull << 12)

#define X86_EFER_SCE (1ull << 0)
#define X86_EFER_LME (1ull << 8)
#define X86_EFER_LMA (1ull << 10)
#define X86_EFER_NXE (1ull << 11)

#define X86_PTE_P (1ull << 0)
#define X86_PTE_W (1ull << 1)
#define X86_PTE_U (1ull << 2)
#define X86_PTE_PS (1ull << 7)
#define X86_PTE_NX (1ull << 63)
#define X86_PTE_ADDR 0x000ffffffffff000ull

#endif
