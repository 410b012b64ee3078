/* SPDX-License-Identifier: MIT */
/*
 * A guest that triple-faults at once: ud2 with no IDT of its own. The
 * boot contract leaves IDTR undefined; KVM's reset value points at zeroed
 * RAM, so #UD, then #DF, cannot be delivered (SDM vol. 3, 6.15).
 */
	.text
	.globl _start
_start:
	movq $0x1234, %rax
	ud2

	.section .note.GNU-stack, "", @progbits
