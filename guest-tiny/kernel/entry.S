/* SPDX-License-Identifier: MIT */
/*
 * Entry points: boot, SYSCALL, exceptions. Every way back to user mode is
 * IRETQ (SYSRET is not emulated on every host this runs on).
 */
#define BOOT_STACK_SHIFT 14
#define MAX_CPUS 8
#define USER_DS (0x18 | 3)
#define USER_CS (0x20 | 3)

	.section .text.entry, "ax"
	.globl _start
_start:
	cmpq $MAX_CPUS, %rdi
	jae 1f
	leaq 1(%rdi), %rax
	shlq $BOOT_STACK_SHIFT, %rax
	leaq boot_stacks(%rip), %rsp
	addq %rax, %rsp
	call kmain
1:	cli
	hlt
	jmp 1b

	.text
.macro SAVE_REGS
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
.endm

/*
 * SYSCALL leaves RSP as the user's: the per-CPU block at GS base holds the
 * kernel stack top (offset 0) and a slot for the user RSP (offset 8).
 * Build the same frame an exception from user mode would.
 */
	.globl syscall_entry
syscall_entry:
	movq %rsp, %gs:8
	movq %gs:0, %rsp
	pushq $USER_DS
	pushq %gs:8
	pushq %r11
	pushq $USER_CS
	pushq %rcx
	pushq $0
	pushq $0x100
	SAVE_REGS
	movq %rsp, %rdi
	call syscall_handler
	jmp restore

trap_common:
	SAVE_REGS
	movq %rsp, %rdi
	call trap_handler
	jmp restore

	.globl enter_user
enter_user:
	movq %rdi, %rax
restore:
	movq %rax, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp
	iretq

/* One 16-byte stub per vector; the CPU pushes an error code for some. */
.macro STUB vec
	.align 16
	.if (\vec == 8) || (\vec == 10) || (\vec == 11) || (\vec == 12) || \
	    (\vec == 13) || (\vec == 14) || (\vec == 17) || (\vec == 21) || \
	    (\vec == 29) || (\vec == 30)
	.else
	pushq $0
	.endif
	pushq $\vec
	jmp trap_common
.endm

	.align 16
	.globl exception_stubs
exception_stubs:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	STUB \v
	.endr
	.irp v, 16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	STUB \v
	.endr

	.bss
	.align 4096
boot_stacks:
	.skip (MAX_CPUS + 1) << BOOT_STACK_SHIFT
