/* SPDX-License-Identifier: MIT */
/*
 * guest-tiny boot contract, shared by the kernel and every VMM that loads it.
 *
 * Memory
 *   RAM is one slot at guest-physical 0, TINY_RAM_MIN..TINY_RAM_MAX bytes,
 *   zero-filled except for what the VMM writes below.
 *   0x1000..0x7fff  VMM-built boot page tables (PML4 at TINY_BOOT_PML4,
 *                   then PDPT, then PDs): an identity map of RAM with
 *                   2 MiB pages. The kernel replaces them at once.
 *   0x8000          struct tiny_boot_info (TINY_BOOT_INFO).
 *   0x100000        the kernel image: the VMM copies each PT_LOAD segment
 *                   of guest-tiny.elf to its physical address (p_paddr) and
 *                   zeroes the rest of p_memsz.
 *
 * CPU state at entry, on every vCPU
 *   64-bit long mode, CPL0: CR0 = PE|MP|ET|NE|WP|AM|PG, CR4 = PAE,
 *   EFER = LME|LMA, CR3 = TINY_BOOT_PML4, CS a 64-bit code segment, the other
 *   segments flat data, RFLAGS = 0x2 (interrupts off). GDTR, IDTR and RSP are
 *   undefined: the kernel loads its own before using them.
 *   RIP = the ELF entry point, RDI = vCPU index (0 .. nr_cpus - 1),
 *   RSI = guest-physical address of struct tiny_boot_info.
 *   All vCPUs start at once at the entry; there is no INIT/SIPI.
 *
 * Ports the VMM handles
 *   TINY_SERIAL_PORT   8-bit OUT: one console byte (8250 THR). The kernel
 *                      never reads the port.
 *   TINY_EXIT_PORT     32-bit OUT: a status word, TINY_EXIT_* below.
 *   TINY_NOISE_PORT    8-bit OUT: no meaning; the hostile "silent" agent
 *                      hammers it instead of answering. Ignore it.
 *   HM_X86_PORT        hypermem doorbell (protocol.h).
 *   HLT at CPL0 means the vCPU has nothing left to run.
 *
 * Command line (space separated)
 *   scenario=demo|ioctl|pattern|two|smp|hello   programs to run
 *            |sockets|http|exec                  (kernel/proc.c)
 *   hostile=oversize|badcode|reregister|silent   make the agent misbehave
 *   noevents                                      never raise events
 *   transport=pio|vmcall                          the doorbell: OUT to
 *                                                 HM_X86_PORT (default),
 *                                                 or VMCALL/VMMCALL by
 *                                                 the CPU's vendor
 *   quiet                                         no per-syscall console lines
 */
#ifndef TINY_BOOT_H
#define TINY_BOOT_H

#include <stdint.h>

#define TINY_BOOT_PML4 0x1000u
#define TINY_BOOT_TABLES_END 0x8000u
#define TINY_BOOT_INFO 0x8000u
#define TINY_KERNEL_BASE 0x100000u

#define TINY_RAM_MIN (16u << 20)
#define TINY_RAM_MAX (1u << 30)
#define TINY_MAX_CPUS 8u

#define TINY_BOOT_MAGIC 0x594e4954u	/* "TINY" */
#define TINY_CMDLINE_MAX 1024u

struct tiny_boot_info {
	uint32_t magic;
	uint32_t nr_cpus;
	uint64_t ram_size;
	char cmdline[TINY_CMDLINE_MAX];	/* NUL-terminated */
};

#define TINY_SERIAL_PORT 0x3f8u
#define TINY_EXIT_PORT 0x4d4au
#define TINY_NOISE_PORT 0x80u

/*
 * Status words on TINY_EXIT_PORT: kind in bits 31..24.
 *   PROC      a process exited: pid in bits 23..8, exit status in 7..0.
 *   CPU_DONE  a CPU ran out of processes: CPU index in 7..0.
 *   ALL_DONE  every CPU is done: processes that failed (non-zero status)
 *             in 7..0. Sent once, by the last CPU.
 *   CRASH     a kernel-mode exception: CPU in 15..8, vector in 7..0. The
 *             console has the details; the CPU halts.
 *   NO_HOST   registration with the hypermem host failed on CPU 7..0.
 */
#define TINY_EXIT_PROC 1u
#define TINY_EXIT_CPU_DONE 2u
#define TINY_EXIT_ALL_DONE 3u
#define TINY_EXIT_CRASH 4u
#define TINY_EXIT_NO_HOST 5u

#define TINY_EXIT_WORD(kind, payload) (((uint32_t)(kind) << 24) | \
				       ((uint32_t)(payload) & 0xffffffu))
#define TINY_EXIT_KIND(word) ((word) >> 24)
#define TINY_EXIT_PID(word) (((word) >> 8) & 0xffffu)
#define TINY_EXIT_LOW(word) ((word) & 0xffu)

#endif
