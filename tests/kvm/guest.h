/* SPDX-License-Identifier: MIT */
/*
 * The kvm suite's harness: guest-tiny booted under KVM on the VMM core's
 * tiny board, the events a test's handler saw, how the boot ended. Event
 * handlers run on vCPU threads, so they only record what they saw; the test
 * body asserts after the VM stopped.
 */
#ifndef TEST_KVM_GUEST_H
#define TEST_KVM_GUEST_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <tiny/abi.h>
#include <tiny/boot.h>
#include <vmm/vmm.h>

#define MAX_EVENTS 128
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define CONSOLE_MAX 65536

struct seen {
	uint32_t kind;
	uint64_t nr;
	uint64_t args[6];
	uint64_t ret;
	uint64_t pid;
	unsigned int vcpu;
	uint64_t region_gpa;
	char argv1[32];
	char role[32];
	char fd_name[64];	/* of args[0] (or ret for open) when an fd */
	uint32_t flags;		/* the event's: HM_EVENT_HAS_TASK */
	uint64_t event_pid;	/* and its task */
	char comm[HM_COMM_LEN + 1];
};

/* One boot of guest-tiny: the core's VM, how it ended, what it printed. */
struct guest {
	struct vmm *vm;
	struct vmm_result res;
	int all_done;		/* TINY_EXIT_ALL_DONE came */
	int failed;		/* processes that failed */
	int crashed;		/* a panic, or a vCPU KVM could not run */
	int timed_out;
	char console[CONSOLE_MAX];
	size_t console_len;
};

/* What a test's handler recorded; one test at a time. */
struct record {
	struct vmm *vm;
	void (*body)(struct record *r, struct hm_vcpu *vcpu,
		     const struct hm_event *ev);
	pthread_mutex_t lock;
	struct seen events[MAX_EVENTS];
	unsigned int nr_events;
	/* free-form results of the body */
	ssize_t rets[16];
	uint64_t values[16];
	char strs[4][128];
	int ok[16];
	double ms[16];
	struct hm_stats stats[16];
	int done;
};

/* The guest-tiny ELF and the doorbell ("pio" or "vmcall") every boot uses. */
extern const char *guest_path;
extern const char *transport;

double now_ms(void);
/*
 * Boots @p cmdline on @p cpus vCPUs, @p r's body handling each event, with
 * an op timeout of @p op_timeout_ms (0: the library's); 0 or -errno.
 */
int boot(struct guest *g, struct record *r, const char *cmdline,
	 unsigned int cpus, unsigned int op_timeout_ms);
/* A boot of @p cmdline subscribed to @p rules that ran every program well. */
void boot_subscribed(struct guest *vm, struct record *r, const char *cmdline,
		     const struct hm_sub_rule *rules, size_t n);
void destroy(struct guest *g);
/* destroy(), printing the console of a guest that crashed or hung. */
void finish(struct guest *g);
/* The guest's exit status of a pid, or -1 when it did not exit. */
int proc_status(struct guest *g, uint64_t pid);
/* A body recording each event with its pid, argv[1], ROLE and fd name. */
void record_body(struct record *r, struct hm_vcpu *vcpu,
		 const struct hm_event *ev);

/* The pattern program: @p fn gets its struct tiny_pattern at @p daddr. */
typedef void (*pattern_fn)(struct record *r, struct hm_vcpu *vcpu,
			   const struct tiny_pattern *d, uint64_t daddr);
/* Boots the pattern program; returns its exit status. */
int run_pattern(struct record *r, pattern_fn fn);
/* Whether @p len bytes at @p p are the pattern of @p seed. */
int matches(const uint8_t *p, size_t len, uint32_t seed);

/* Whether guest-tiny boots and registers at all: 0, 77 (skip) or 1. */
int kvm_usable(void);

/* The groups of tests; each returns how many failed. */
int run_io_tests(void);
int run_process_tests(void);
int run_readv_tests(void);
int run_event_tests(void);

#endif
