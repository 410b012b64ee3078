/* SPDX-License-Identifier: MIT */
/*
 * A simulated guest for the unit tests. Each fake vCPU has a guest thread
 * that runs the real guest agent (guest-common/agent.c) over a real region
 * inside fake RAM. The library's KVM_RUN and register ioctls reach this
 * file through the linker's --wrap=ioctl: KVM_RUN resumes the guest thread
 * until it rings a doorbell, which becomes the exit in the vCPU's kvm_run
 * (cpu.h: the exits and registers of the build's architecture).
 */
#ifndef FAKE_GUEST_H
#define FAKE_GUEST_H

#include <linux/kvm.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdint.h>

#include <hypermem/hypermem.h>

#include "agent.h"
#include "cpu.h"
#include "mailbox.h"

#define FAKE_RAM_GPA 0x100000ull
#define FAKE_RAM_SIZE (1u << 20)
#define FAKE_REGION_GPA (FAKE_RAM_GPA + 0x10000)
#define FAKE_SUB_GPA (FAKE_RAM_GPA + 0x20000)	/* fake_guest_offer_sub() */

/* A range of the current process's virtual memory. */
struct fake_mapping {
	uint64_t va;
	size_t len;
	uint8_t *mem;
	bool writable;
	const char *name;	/* for the maps list; NULL: anonymous */
};

struct fake_fd {
	int64_t fd;
	const char *name;
	const struct hm_socket_info *socket;
};

struct fake_file {
	const char *path;
	const char *content;
	size_t len;
};

struct fake_process {
	uint64_t pid;
	const char *comm;	/* NULL: "fake" */
	const char *args;	/* NUL-separated block, as in Linux */
	size_t args_len;
	const char *env;
	size_t env_len;
	struct fake_mapping maps[8];
	unsigned int nr_maps;
	struct fake_fd fds[8];
	unsigned int nr_fds;
	const struct fake_file *files;
	unsigned int nr_files;
};

enum fake_transport {
	FAKE_DOORBELL,	/* the architecture's: x86 OUT, arm64 HVC */
	FAKE_VMCALL,	/* x86 only */
	FAKE_MAILBOX,	/* fake_guest_use_mailbox(): no KVM_RUN at all */
};

struct fake_guest;
typedef void (*fake_guest_fn)(struct fake_guest *g);

struct fake_guest {
	int fd;				/* the fake vCPU fd */
	struct kvm_run *run;		/* two pages: kvm_run, then I/O data */
	uint8_t *ram;			/* FAKE_RAM_SIZE bytes at FAKE_RAM_GPA */
	struct hm_agent agent;
	struct hm_agent_ops ops;
	char name_buf[HM_NAME_MAX];	/* the agent's, for long fd names */
	enum fake_transport transport;
	struct fake_process *current;	/* the task that raised the event */
	/*
	 * Another process, which USE_PROCESS makes current by its pid until
	 * pid 0 or the event's own task's; NULL: none.
	 */
	struct fake_process *other;
	struct fake_process *event_task; /* while other is current */

	fake_guest_fn main;
	void *opaque;			/* for the test's guest program */
	pthread_t thread;
	sem_t resume;			/* host -> guest: run */
	sem_t exited;			/* guest -> host: an exit is ready */
	bool halted;
	bool running;			/* resumed, exit not yet collected */
	struct fake_regs regs;		/* the register ioctls see these */
	struct kvm_sregs sregs;		/* x86: what KVM_GET_SREGS reports */
	unsigned int kvm_runs;
	unsigned int get_sregs;
	unsigned int serial_exits;	/* seen by the exit handler */
	unsigned int intr_exits;	/* KVM_EXIT_INTR seen by it */
	int intr_result;		/* what it answers to those */
	int handle_errors;		/* hm_vcpu_handle_exit() < 0 */
	int register_result;		/* of the last hm_agent_register() */

	/*
	 * The one file HM_OP_WRITE_FILE writes (any path but "/ro"): its
	 * bytes, size and the requests that came (flags of each).
	 */
	uint8_t written[16384];
	size_t written_size;
	unsigned int write_requests;
	uint32_t write_flags[8];
	/* The tasks HM_OP_PROC_LIST sees; NULL: the current one alone. */
	const struct hm_proc_entry *procs;
	unsigned int nr_procs;

	/* Misbehaviour, for the timeout tests. */
	sem_t unblock;
	bool stall_next_copy;		/* the next copy_from waits on unblock */
	bool serial_before_copy;	/* copy_from first prints a byte */
	/* Called on the guest thread before each reply, to spoil it. */
	void (*before_reply)(struct fake_guest *g);

	/*
	 * FAKE_MAILBOX: the guest side of the hand-over, its slot, the
	 * eventfd its doorbell writes, what its calls returned (the last
	 * error, and how many failed), and whether its program is over.
	 */
	struct hm_mailbox_guest mailbox;
	uint32_t slot;
	int doorbell_fd;
	int mailbox_error;
	unsigned int mailbox_failures;
	bool done;
	bool started;			/* fake_guest_start() was called */
};

/* Create a guest (RAM, region at FAKE_REGION_GPA, agent) running @main. */
struct fake_guest *fake_guest_new(fake_guest_fn main, void *opaque);
void fake_guest_free(struct fake_guest *g);

/* Give the agent a subscription page (HM_FEATURE_SUBSCRIBE) in its RAM. */
void fake_guest_offer_sub(struct fake_guest *g);

/*
 * Put the guest's region and subscription page in slot @slot of a
 * mailbox laid out at @mem (hm_mailbox_new()); its doorbell writes
 * @doorbell_fd and each wait gives up after @timeout_ms. Its thread then
 * runs at once (fake_guest_start()) and stops when its program ends
 * (fake_guest_done()). 0, or the error of hm_mailbox_guest_init().
 */
int fake_guest_use_mailbox(struct fake_guest *g, void *mem, size_t size,
			   uint32_t slot, int doorbell_fd,
			   unsigned int timeout_ms);
/* FAKE_MAILBOX: whether the guest's program has ended. */
bool fake_guest_done(struct fake_guest *g);

/* Start the guest thread; it waits for the first KVM_RUN. */
void fake_guest_start(struct fake_guest *g);

/* Guest side: ring the doorbell for @call, as the agent does. */
void fake_guest_ring(struct fake_guest *g, unsigned int call, uint64_t gpa);
/* Guest side: an exit that is not hypermem's (a byte to the serial port). */
void fake_guest_serial(struct fake_guest *g, char c);

/* Guest programs the tests share. */
void fake_guest_register(struct fake_guest *g);
void fake_guest_raise(struct fake_guest *g, uint32_t kind, uint64_t nr,
		      uint64_t a0, uint64_t a1, uint64_t a2);

/*
 * Host side: a VMM loop. Runs KVM_RUN and hm_vcpu_handle_exit() until the
 * guest halts, whatever the library says; returns the first negative value
 * of hm_vcpu_handle_exit() (0 if none) and counts them in handle_errors.
 */
int fake_vmm_run(struct hm_vcpu *vcpu, struct fake_guest *g);

/* An exit handler for hm_vm_set_exit_handler(): counts serial bytes. */
int fake_exit_handler(struct hm_vcpu *vcpu, struct kvm_run *run,
		      void *opaque);

/* Fills a mapping of @len bytes with a pattern that depends on va. */
uint8_t fake_pattern(uint64_t va);

#endif
