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
	struct hm_vcpu *hm;
	pthread_t thread;
	int halted;
	int hm_errors;		/* hm_vcpu_handle_exit() failures */
	int last_hm_error;
	uint64_t exits;
};

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
/* The exit handler tvm_create() installs, for ops during events. */
int tvm_exit_during_op(struct hm_vcpu *vcpu, struct kvm_run *run,
		       void *opaque);

#endif
