/* SPDX-License-Identifier: MIT */
/*
 * A guest played in the caller's thread, through the library's test seams
 * (libhypermem/test/seams.h): the fake KVM_RUN serves the request in the
 * region with the real agent (guest-common/agent.c) and returns the reply
 * doorbell as its exit; the clock is the guest's own counter, so silence
 * times out at once. The build's doorbell (cpu.h): on x86 port I/O with
 * RBX in the synced registers, or VMCALL; on arm64 HVC, its registers
 * through the seam for register ioctls. One guest per vCPU; a test may run
 * several.
 */
#ifndef SYNC_GUEST_H
#define SYNC_GUEST_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#include <hypermem/hypermem.h>

#include "agent.h"
#include "cpu.h"

/*
 * Guest i's RAM: SYNC_RAM_SIZE bytes at SYNC_RAM_GPA + i * SYNC_RAM_SIZE
 * (the guests' slots are adjacent): its region (up to 16 pages) at the
 * start, then page tables, then the task's memory, SYNC_MEM_SIZE bytes
 * that the task sees at SYNC_VA and nothing else.
 */
#define SYNC_RAM_GPA 0x100000ull
#define SYNC_RAM_SIZE (256u << 10)
#define SYNC_TABLES 0x10000u		/* offset of the page tables */
#define SYNC_MEM 0x20000u		/* offset of the task's memory */
#define SYNC_VA 0x400000ull
#define SYNC_MEM_SIZE 0x20000u

struct sync_guest;

/* Called after the agent served a request, before the reply rings. */
typedef void (*sync_spoil_fn)(struct sync_guest *g);

struct sync_guest {
	struct kvm_run *run;		/* kvm_run, then a page of I/O data */
	uint8_t *ram;			/* SYNC_RAM_SIZE at SYNC_RAM_GPA */
	uint64_t ram_gpa;
	uint8_t *mem;			/* the task's memory, in ram */
	struct hm_agent agent;
	struct hm_agent_ops ops;
	char name_buf[HM_NAME_MAX];
	struct hm_vcpu *vcpu;
	struct fake_regs regs;		/* the register ioctls see these */
	unsigned int silent;		/* KVM_RUNs still to go unanswered */
	unsigned int reply_call;	/* rung after a request, 0: REPLY */
	bool vmcall;			/* x86: doorbells by VMCALL, not OUT */
	unsigned int foreign;		/* serial exits before the next reply */
	unsigned int kvm_runs;
	sync_spoil_fn spoil;
	void *opaque;			/* the test's */
};

/*
 * Guest number @index of @vm: its RAM added, its vCPU created (the vCPU's
 * data is the guest), the seams installed. Aborts when out of memory.
 */
struct sync_guest *sync_guest_new(struct hm_vm *vm, unsigned int index);
void sync_guest_free(struct sync_guest *g);

/*
 * x86 only (sync_guest_x86.c): page tables that map the task's memory at
 * SYNC_VA with 4 KiB user pages, as the agent sees it, and the control
 * registers that use them, in the synced registers (KVM_SYNC_X86_SREGS).
 */
void sync_guest_map(struct sync_guest *g);

/*
 * The clock the library sees, in ns: it moves a second at each KVM_RUN a
 * guest leaves unanswered (silent), and only then.
 */
uint64_t sync_guest_clock_ns(void);

/* Guest side: register the region; raise an event, served until it ends. */
int sync_guest_register(struct sync_guest *g);
void sync_guest_raise(struct sync_guest *g, uint32_t kind, uint64_t nr);

/*
 * Raise a user event whose handler (the VM's, from now on) runs @fn on
 * the guest's vCPU: what @fn returned, -1 when the event never ran.
 */
int sync_guest_event(struct sync_guest *g,
		     int (*fn)(struct hm_vcpu *vcpu, struct sync_guest *g));

#endif
