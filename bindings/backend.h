/* SPDX-License-Identifier: MIT */
/*
 * What the run (run.c) asks of a backend, chosen once by the options: the
 * VMM core (backend-vmm.c) or a stock QEMU (backend-qemu.c). A backend
 * boots the guest, hands the client its events and console, and turns
 * how the guest ended into an exit code and a message (ending.c has what
 * both say).
 */
#ifndef HM_BINDINGS_BACKEND_H
#define HM_BINDINGS_BACKEND_H

#include <hypermem/hypermem.h>

#include "console.h"
#include "run.h"

struct output_counts;

/* Without it the kernel says nothing on the serial port. */
#define LINUX_DEFAULT_APPEND "console=ttyS0"

/* The run in progress; one in a process. */
struct run {
	const struct run_backend *backend;
	const struct run_client *client;
	void *guest;		/* the backend's, from started to ended */
	struct console console;
	int wrong_arch;		/* a guest of another architecture came */
	uint64_t events;	/* run_event()'s, for the closing summary */
	uint64_t exits;		/* the backend's count, before it concludes */
};

struct run_backend {
	/*
	 * Boot the guest @o names and run it to its end, r->guest set
	 * while it exists: an exit code, said with run_finish().
	 */
	int (*run)(struct run *r, const struct options *o);
	struct hm_vm *(*hm_vm)(void *guest);
	/* Safe from any thread. */
	void (*stop)(void *guest);
	int (*is_stopping)(void *guest);
};

extern const struct run_backend run_backend_vmm;
extern const struct run_backend run_backend_qemu;

/* The closing summary, with the run's counts, and @code back. */
int run_finish(int code, const char *status,
	       const struct output_programs *programs);
/* The client's own end comes first: its error or its stop; else -1. */
/*
 * A guest event for the client, from either backend: refused, and the run
 * stopped, when the guest is not of the architecture the client's syscall
 * names are for (syscalls_set_arch()).
 */
int run_event(struct run *r, struct hm_vcpu *vcpu, int cpu,
	      const struct hm_event *ev);
/* The guest's counts so far; 0 when no guest runs. */
int run_counts(struct output_counts *counts);
/* Whether run_event() met a guest of another architecture. */
int run_wrong_arch(void);
int run_conclude_client(const struct run_client *client,
			const struct output_programs *programs);
void run_timed_out(const struct options *o);

#endif
