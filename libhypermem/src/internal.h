/* SPDX-License-Identifier: MIT */
#ifndef HYPERMEM_INTERNAL_H
#define HYPERMEM_INTERNAL_H

#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <time.h>

#include <hypermem/hypermem.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct ram_slot {
	uint64_t gpa;
	uint64_t size;
	uint8_t *hva;
};

struct hm_vm {
	struct ram_slot *slots;		/* sorted by gpa, never overlapping */
	size_t nr_slots;
	hm_event_fn event_fn;
	void *event_opaque;
	hm_exit_fn exit_fn;
	void *exit_opaque;
	unsigned int timeout_ms;
	size_t op_memory;		/* one operation's budget, in bytes */
	int kick_signal;
	unsigned int nr_vcpus;
	enum hm_read_mode read_mode;

	/*
	 * The subscription (subscribe.c), under sub_lock with the list of
	 * vCPUs whose guests took a table page: any thread may change it
	 * while the vCPUs run.
	 */
	pthread_mutex_t sub_lock;
	struct hm_vcpu *sub_vcpus;	/* linked by sub_next */
	struct hm_sub_rule *sub_rules;	/* host byte order */
	size_t sub_nr_rules;
	uint32_t sub_flags;		/* HM_SUB_*, 0: no subscription */
	uint32_t sub_seq;		/* even; the last seq a page got */
};

/* The control registers a page walk needs, read once per event. */
struct paging {
	uint64_t cr0;
	uint64_t cr3;
	uint64_t cr4;
	uint64_t efer;
};

/* What the event in progress brought along (prefetch.c). */
struct prefetch_item {
	uint8_t what;		/* enum hm_fetch_what */
	bool nul;		/* HM_FETCH_STR: the string ended */
	int32_t result;
	uint64_t addr;
	size_t len;
	const uint8_t *data;	/* in buf */
};

struct prefetch {
	unsigned int nr_items;	/* 0: nothing to answer from */
	struct prefetch_item items[HM_PREFETCH_MAX_ITEMS];
	uint8_t *buf;		/* the area, copied out of the region */
	size_t cap;
};

/* A hypermem call decoded from an exit by the architecture code. */
struct doorbell {
	unsigned int nr;	/* enum hm_call */
	uint64_t gpa;		/* HM_CALL_REGISTER only */
	bool malformed;		/* ours, but not a well-formed call */
};

/* The guest's answer to one request, read once from the region. */
struct reply {
	uint64_t code;
	uint64_t addr;
	uint64_t size;
};

/*
 * How a vCPU reaches its guest, chosen when it is made: KVM exits
 * (transport-kvm.c) or a slot of a mailbox (mailbox.c). The code past the
 * hand-over (registration, events, requests, their checks) is the same.
 */
struct transport_ops {
	/* The request is in the region: hand it over, 0 once answered. */
	int (*drive)(struct hm_vcpu *vcpu);
	/* Where a region or page the guest names is; NULL: nowhere usable. */
	void *(*translate)(const struct hm_vcpu *vcpu, uint64_t gpa,
			   uint64_t len);
	/* Complete a register call with the region's GPA. */
	int (*call_gpa)(struct hm_vcpu *vcpu, struct doorbell *call);
	/*
	 * The registers a page walk starts from; NULL: no page tables at
	 * hand, so direct reads fail and hybrid ones go to the guest.
	 */
	int (*read_paging)(struct hm_vcpu *vcpu, struct paging *paging);
	/* Whether the host may write the region now. */
	bool (*holds_region)(const struct hm_vcpu *vcpu);
	/* Around an event handler: what cuts a wait short at the deadline. */
	int (*arm_watchdog)(struct hm_vcpu *vcpu);
	void (*disarm_watchdog)(struct hm_vcpu *vcpu);
	/* hm_vcpu_handle_exit() and hm_vcpu_free(). */
	int (*handle_exit)(struct hm_vcpu *vcpu);
	void (*free)(struct hm_vcpu *vcpu);
};

struct hm_vcpu {
	struct hm_vm *vm;
	const struct transport_ops *ops;
	/*
	 * The KVM transport's (transport-kvm.c), unused by the others. A call
	 * is open from its exit until the host sets its result: the event's
	 * until its end or its first request resumes the vCPU.
	 */
	int fd;
	struct kvm_run *run;
	bool call_open;
	void *data;			/* the VMM's */

	struct hm_region *region;	/* NULL until registered */
	struct hm_guest_info guest;
	uint32_t guest_arch;		/* HM_ARCH_*, never UNSAID */
	size_t chunk;			/* bytes of data[] in the region */

	bool in_event;
	bool in_op;			/* a request is with the guest */
	/*
	 * The public operation in progress (operation.c): how deep its calls
	 * nest, whether its deadline runs, what it allocated so far.
	 */
	unsigned int op_depth;
	bool op_timed;
	size_t op_bytes;
	int event_error;		/* set when the event is abandoned */
	uint32_t event_kind;		/* of the event in progress */
	struct hm_event_control control; /* host byte order until sent */

	timer_t timer;
	pid_t timer_tid;		/* thread the timer signals, 0: none */
	struct timespec deadline;

	struct paging paging;
	uint64_t paging_event;		/* stats.events when read, 0: never */

	struct hm_stats stats;

	/* The guest's subscription page, host-written only; under sub_lock. */
	struct hm_sub_page *sub_page;
	struct hm_vcpu *sub_next;
	/* The pid of the event in progress's task, 0: unknown. */
	uint64_t event_pid;
	/* hm_vcpu_use_process()'s pid in this event, 0: the event's task. */
	uint64_t target;
	/*
	 * The event's task's pid as the guest told it before the first
	 * switch away, where events do not carry it; 0: not asked.
	 */
	uint64_t own_pid;
	struct prefetch prefetch;

	/*
	 * The mailbox transport's (mailbox.c): the slot and, while the host
	 * holds it, the turn word's value.
	 */
	struct hm_mailbox *mb;
	unsigned int slot;
	uint32_t turn;
	bool holds_turn;
};

/* prefetch.c: all false or dropped outside an event. */
int prefetch_take(struct hm_vcpu *vcpu, const struct hm_event *ev,
		  const uint8_t *area, size_t size);
void prefetch_drop(struct hm_vcpu *vcpu);
bool prefetch_read(struct hm_vcpu *vcpu, uint64_t addr, void *buf,
		   size_t len);
bool prefetch_read_str(struct hm_vcpu *vcpu, uint64_t addr, char *buf,
		       size_t cap, ssize_t *ret);
bool prefetch_fd_name(struct hm_vcpu *vcpu, int64_t fd, char *buf, size_t cap,
		      ssize_t *ret);
bool prefetch_proc_args(struct hm_vcpu *vcpu, char **area, size_t *len,
			int *err);

/* subscribe.c */
int sub_take_page(struct hm_vcpu *vcpu);
void sub_drop_vcpu(struct hm_vcpu *vcpu);

static inline int protocol_error(struct hm_vcpu *vcpu)
{
	vcpu->stats.protocol_errors++;
	return -EPROTO;
}

/*
 * data[] of the registered region, all chunk bytes of it: indexing the
 * struct's one-page array past its end is undefined behaviour even where
 * the pages follow.
 */
static inline char *region_data(const struct hm_vcpu *vcpu)
{
	return (char *)vcpu->region + HM_HEADER_SIZE;
}

static inline void set_region_header(struct hm_region *r, uint64_t op,
				     uint64_t addr, uint64_t size)
{
	r->addr = hm_le64(addr);
	r->size = hm_le64(size);
	r->op = hm_le64(op);
}

static inline size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

/*
 * KVM_RUN, the vCPU's other ioctls and the clock. The test-only build
 * (HM_TEST_SEAMS) routes them through seams.c; everywhere else they are
 * these, inline.
 */
static inline int real_kvm_run(struct hm_vcpu *vcpu)
{
	return ioctl(vcpu->fd, KVM_RUN, 0) ? -errno : 0;
}

static inline int real_vcpu_ioctl(struct hm_vcpu *vcpu, unsigned long request,
				  void *arg)
{
	int ret = ioctl(vcpu->fd, request, arg);

	return ret < 0 ? -errno : ret;
}

static inline void real_clock(struct timespec *now)
{
	clock_gettime(CLOCK_MONOTONIC, now);
}

/* mailbox.c: sleep until a doorbell rings or @ms pass. */
int real_mailbox_wait(struct hm_vcpu *vcpu, int ms);

#ifdef HM_TEST_SEAMS
int seam_kvm_run(struct hm_vcpu *vcpu);
int seam_vcpu_ioctl(struct hm_vcpu *vcpu, unsigned long request, void *arg);
void seam_clock(struct timespec *now);
bool seam_timers(void);
int seam_mailbox_wait(struct hm_vcpu *vcpu, int ms);
#else
#define seam_kvm_run real_kvm_run
#define seam_vcpu_ioctl real_vcpu_ioctl
#define seam_clock real_clock
#define seam_timers() true
#define seam_mailbox_wait real_mailbox_wait
#endif

/* ops.c */
ssize_t request_name(struct hm_vcpu *vcpu, uint64_t op, uint64_t addr,
		     char *buf, size_t cap);
ssize_t read_cooperative(struct hm_vcpu *vcpu, uint64_t addr, void *buf,
			 size_t len);
ssize_t read_str_cooperative(struct hm_vcpu *vcpu, uint64_t addr, char *buf,
			     size_t cap);

/* process.c */
/*
 * The pid of the task that raised the event, whichever process the
 * operations act on (hm_vcpu_use_process()).
 */
int event_task_pid(struct hm_vcpu *vcpu, uint64_t *pid);
/* operation.c */
struct hm_vcpu *op_enter(struct hm_vcpu *vcpu);
void op_leave(struct hm_vcpu **vcpu);
/*
 * The bounds of the public operation that runs to the end of the block
 * (operation.c): the outermost one starts them, those it calls share them.
 */
#define OPERATION(vcpu)                                                   \
	struct hm_vcpu *operation_ __attribute__((cleanup(op_leave), unused)) \
		= op_enter(vcpu)
/* Before each request: 0, or -ETIMEDOUT once the deadline has passed. */
int op_deadline(struct hm_vcpu *vcpu);
/*
 * realloc(@old, @size) (malloc for NULL) charged to the operation's
 * budget: NULL with *err -E2BIG past it or -ENOMEM, @old kept.
 */
void *op_realloc(struct hm_vcpu *vcpu, void *old, size_t size, int *err);

/* control.c */
/* End the event, with the handler's control record when @clean. */
void control_end_event(struct hm_vcpu *vcpu, bool clean);

/* direct.c */
ssize_t direct_copy(struct hm_vcpu *vcpu, uint64_t addr, void *buf,
		    size_t len, bool stop_at_nul);

/* readv.c */
int readv_cooperative(struct hm_vcpu *vcpu, struct hm_iovec *pieces,
		      size_t n);

/* vm.c */
void *vm_translate(const struct hm_vm *vm, uint64_t gpa, uint64_t len);

static inline void *vcpu_translate(const struct hm_vcpu *vcpu, uint64_t gpa,
				   uint64_t len)
{
	return vcpu->ops->translate(vcpu, gpa, len);
}

/*
 * How reads go: another process's memory only through its guest, and
 * hybrid reads there too where no page tables are at hand.
 */
static inline enum hm_read_mode vcpu_read_mode(const struct hm_vcpu *vcpu)
{
	enum hm_read_mode mode = vcpu->vm->read_mode;

	if (vcpu->target ||
	    (!vcpu->ops->read_paging && mode == HM_READ_HYBRID))
		return HM_READ_COOPERATIVE;
	return mode;
}

/* vm.c */
void *vm_translate_prefix(const struct hm_vm *vm, uint64_t gpa, uint64_t len,
			  uint64_t *ret_len);

/* request.c */
int vcpu_can_request(const struct hm_vcpu *vcpu);
/*
 * An error code as a guest may report it (HM_ENAMETOOLONG only for a
 * @name), or -EPROTO; counts nothing.
 */
int reported_errno(uint64_t value, bool name);
/* A reply's error code, one a guest may report, or -EPROTO (counted). */
int guest_errno(struct hm_vcpu *vcpu, uint64_t value);
/* guest_errno() for replies where "the name does not fit" is the guest's. */
int guest_name_errno(struct hm_vcpu *vcpu, uint64_t value);
int vcpu_request(struct hm_vcpu *vcpu, uint64_t op, uint64_t addr,
		 uint64_t size, struct reply *reply);

/* transport-kvm.c */
int vcpu_kvm_ioctl(struct hm_vcpu *vcpu, unsigned long request, void *arg);

/* vcpu.c */
struct hm_vcpu *vcpu_alloc(struct hm_vm *vm, const struct transport_ops *ops);
void vcpu_release(struct hm_vcpu *vcpu);
/* A hypermem call, decoded: 0, or the error it was answered with. */
int vcpu_dispatch(struct hm_vcpu *vcpu, struct doorbell *call);

/* watchdog.c */
int watchdog_install(int signo);
int watchdog_arm(struct hm_vcpu *vcpu);
void watchdog_disarm(struct hm_vcpu *vcpu);
void watchdog_start_deadline(struct hm_vcpu *vcpu);
bool watchdog_expired(const struct hm_vcpu *vcpu);
bool watchdog_take_kick(void);
void watchdog_destroy(struct hm_vcpu *vcpu);

/* arch/<arch>/transport.c */
bool arch_decode_call(struct hm_vcpu *vcpu, struct doorbell *call);
int arch_call_gpa(struct hm_vcpu *vcpu, struct doorbell *call);
void arch_complete_call(struct hm_vcpu *vcpu, int error);

/* arch/<arch>/walk.c */
int arch_read_paging(struct hm_vcpu *vcpu, struct paging *paging);
int arch_walk(const struct hm_vm *vm, const struct paging *paging,
	      uint64_t va, struct hm_translation *ret);

#endif
