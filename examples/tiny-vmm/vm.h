/* SPDX-License-Identifier: MIT */
/*
 * A minimal KVM monitor for guest-tiny, in pieces that the example, the
 * kvm tests and a CLI can share: VM creation, ELF loading, long-mode boot
 * per guest-tiny's contract (tiny/boot.h) and a vCPU thread per CPU whose
 * run loop hands every exit to libhypermem first.
 */
#ifndef TINY_VMM_VM_H
#define TINY_VMM_VM_H

#include <pthread.h>
#include <stdint.h>

#include <hypermem/hypermem.h>
#include <tiny/boot.h>

#define TVM_MAX_PROCS 64

struct tvm;

struct tvm_cpu {
	struct tvm *vm;
	unsigned int index;
	int fd;
	struct kvm_run *run;
	struct hm_vcpu *hm;		/* its data pointer is this struct */
	pthread_t thread;
	int halted;
	int hm_errors;		/* hm_vcpu_handle_exit() failures */
	int last_hm_error;
	int crashed;		/* stopped on the exit in run->exit_reason */
	uint64_t exits;
};

/* Receives each whole line of console output, instead of stdout. */
typedef void (*tvm_console_fn)(struct tvm_cpu *cpu, const char *line,
			       size_t len, void *opaque);

struct tvm {
	int kvm_fd;
	int fd;
	uint8_t *mem;
	uint64_t mem_size;
	size_t run_size;
	unsigned int nr_cpus;
	struct tvm_cpu cpus[TINY_MAX_CPUS];
	struct hm_vm *hm;
	int echo;		/* copy console output to stdout */
	tvm_console_fn console_fn;	/* or hand it, line by line, here */
	void *console_opaque;
	volatile int stop;

	pthread_mutex_t lock;	/* guards what follows */
	char *console;		/* all the guest printed, NUL-ended */
	size_t console_len;
	size_t console_cap;
	int proc_status[TVM_MAX_PROCS];	/* by pid: exit status + 1 */
	int all_done;
	int failed;		/* from TINY_EXIT_ALL_DONE */
	int no_host;
	int crashed;		/* kernel panic, triple fault, KVM error */
	int timed_out;
};

int tvm_create(struct tvm *vm, uint64_t mem_size, unsigned int nr_cpus);
void tvm_destroy(struct tvm *vm);
int tvm_load_elf(struct tvm *vm, const char *path, uint64_t *entry);
int tvm_boot_setup(struct tvm *vm, uint64_t entry, const char *cmdline);
/* Run every vCPU until all halt, or stop them after timeout_ms. */
int tvm_run(struct tvm *vm, unsigned int timeout_ms);
/* Ask every vCPU to stop; safe from an event handler. */
void tvm_stop(struct tvm *vm);
/* A KVM exit reason's name, for messages. */
const char *tvm_exit_name(unsigned int reason);
/* The exit handler tvm_create() installs, for ops during events. */
int tvm_exit_during_op(struct hm_vcpu *vcpu, struct kvm_run *run,
		       void *opaque);

#endif
