/* SPDX-License-Identifier: MIT */
/*
 * The run that hypermem-run (a Lua script) and `python3 -m hypermem` (a
 * Python plugin) share: the options, the checks on them and on KVM, the
 * boot on the VMM core or under a stock QEMU (its ivshmem-doorbell
 * device, the mailbox transport), and one exit code and message for how
 * it ended, as hypermem-run.1 documents them. The language's side is a
 * run_client. One run at a time in a process.
 */
#ifndef HM_BINDINGS_RUN_H
#define HM_BINDINGS_RUN_H

#include <sys/types.h>

#include <hypermem/hypermem.h>

#include "output.h"

struct vmm;

enum exit_code {
	EXIT_OK = 0,
	EXIT_SCRIPT = 1,
	EXIT_USAGE = 2,
	EXIT_GUEST = 3,
	EXIT_NO_KVM = 4,
	EXIT_TIMEOUT = 5,
};

enum run_vmm {
	RUN_VMM_DEFAULT,	/* the core; QEMU with --qemu-socket, --attach */
	RUN_VMM_CORE,
	RUN_VMM_QEMU,
};

enum run_accel {
	RUN_ACCEL_DEFAULT,	/* not named: auto */
	RUN_ACCEL_AUTO,		/* KVM where it runs Linux, else TCG */
	RUN_ACCEL_KVM,
	RUN_ACCEL_TCG,
};

/* QEMU's ivshmem device: with a doorbell, or plain, the host polling. */
enum run_doorbell {
	RUN_DOORBELL_DEFAULT,	/* not named: auto */
	RUN_DOORBELL_AUTO,	/* where the machine has MSI-X */
	RUN_DOORBELL_ON,
	RUN_DOORBELL_OFF,
};

#define RUN_MAX_QEMU_ARGS 32

struct options {
	enum run_vmm vmm;
	enum run_accel accel;	/* QEMU's */
	enum run_doorbell doorbell;	/* QEMU's ivshmem device */
	const char *qemu_socket;	/* serve a QEMU started elsewhere */
	const char *attach;		/* a running QEMU's QMP socket */
	const char *qemu_user;		/* QEMU's user, or NULL: ours */
	uid_t qemu_uid;			/* its uid */
	const char *drive;		/* our QEMU's disk image */
	const char *qemu_args[RUN_MAX_QEMU_ARGS];	/* ours, as given */
	unsigned int qemu_argc;
	unsigned int cpus;
	unsigned int mem_mib;		/* 0: the board's default */
	unsigned int timeout_s;
	const char *cmdline;		/* guest-tiny's */
	const char *guest;
	const char *kernel;		/* Linux instead of guest-tiny */
	/*
	 * The guest's architecture, a name of QEMU's machine table: --arch,
	 * else the kernel's (run_check_options()); NULL: the host's.
	 */
	const char *arch;
	const char *initrd;
	const char *append;		/* the kernel's command line */
	const char *script;
	int json;
	enum verbosity verbosity;
};

/* What a client reports of its own run, for the exit code. */
enum run_outcome {
	RUN_CLIENT_OK,
	RUN_CLIENT_FAILED,	/* a script or plugin error */
	RUN_CLIENT_STOPPED,	/* it asked to stop the guest */
};

struct run_client {
	/*
	 * The guest is made and has not run: subscribe. vm is the core's
	 * (NULL under QEMU); run_hm_vm(), run_stop() and run_is_stopping()
	 * reach the guest on either.
	 */
	void (*started)(void *opaque, struct vmm *vm);
	/* One guest event, on its vCPU's thread; an hm_event_fn's result. */
	int (*event)(void *opaque, struct hm_vcpu *vcpu, int cpu,
		     const struct hm_event *ev);
	/* The guest stopped; vm goes away after this. */
	void (*ended)(void *opaque);
	enum run_outcome (*outcome)(void *opaque);
	void *opaque;
};

/*
 * --name VALUE, for the options that take one (guest, kernel, initrd,
 * append, cmdline, cpus, mem, timeout, vmm, accel, arch, qemu-doorbell,
 * qemu-socket, attach): 0, or
 * EXIT_USAGE after saying why. value is kept, not copied.
 */
int run_set_option(struct options *o, const char *name, const char *value);
/*
 * Each guest has its own options: 0, or EXIT_USAGE after saying why. A
 * kernel's architecture, unless --arch named it, is read from its file
 * into o->arch.
 */
int run_check_options(struct options *o);
/* Whether the guest runs under QEMU rather than on the VMM core. */
int run_uses_qemu(const struct options *o);
/* Whether /dev/kvm can be used: 0, or EXIT_NO_KVM after what to do. */
int run_check_kvm(void);
/* Boot the guest the options name, the client on its events; exit code. */
int run_guest(const struct options *o, const struct run_client *client);

/*
 * The running guest, for the client between started and ended: its
 * libhypermem VM (to subscribe), a request to end the run (safe from any
 * thread), and whether it is ending for any reason (a stop, the
 * deadline), which a handler that loops polls.
 */
struct hm_vm *run_hm_vm(void);
void run_stop(void);
int run_is_stopping(void);

#endif
