/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Internal interface of the hypermem guest module: per-CPU regions (main.c),
 * the kernel accessors behind struct hm_agent_ops (ops.c, and system.c for
 * the whole system's lists), the doorbells (transport.c, and ivshmem.c for
 * the mailbox), the syscall tracepoints (hooks.c) and /dev/hypermem (dev.c).
 */
#ifndef HYPERMEM_KMOD_H
#define HYPERMEM_KMOD_H

#include <linux/err.h>
#include <linux/errno.h>
#include <linux/types.h>
#include "agent.h"

/*
 * Event control where hooks.c can write the arguments (x86-64, arm64,
 * 32-bit ARM, MIPS); HM_FEATURE_SYSCALL_SKIP where hm_hooks_features()
 * says so.
 */
#if defined(CONFIG_X86_64) || defined(CONFIG_ARM64) || defined(CONFIG_ARM) || \
	defined(CONFIG_MIPS)
#define HM_KMOD_CONTROL HM_FEATURE_EVENT_CONTROL
#else
#define HM_KMOD_CONTROL 0
#endif

#define HM_KMOD_FEATURES (HM_FEATURE_PROCENV | HM_FEATURE_READ_FILE | \
			  HM_FEATURE_SOCKET_INFO | HM_FEATURE_KERNEL_ADDR | \
			  HM_FEATURE_READV | HM_KMOD_CONTROL | \
			  HM_FEATURE_PROC_LIST | HM_FEATURE_PROC_MAPS | \
			  HM_FEATURE_PROC_FDS | HM_FEATURE_PROC_PATHS | \
			  HM_FEATURE_WRITE_FILE | HM_FEATURE_PID_ACCESS)

/*
 * The context the accessors run in. In atomic context (a tracepoint, or a
 * loopback request served with preemption disabled) they must not sleep:
 * only the _nofault accessors are used and a page that is not resident is
 * reported as a fault.
 */
struct hm_ctx {
	bool atomic;
	/*
	 * HM_OP_USE_PROCESS's process, referenced, or NULL for the current
	 * task; never set in atomic context (access_process_vm sleeps).
	 */
	struct task_struct *task;
};

extern const struct hm_agent_ops hm_kmod_ops;

/*
 * A kernel error as protocol.h's number, Linux's generic one: MIPS numbers
 * its own way past ERANGE (arch/mips/include/uapi/asm/errno.h), where any
 * other error would read as a different one: HM_EIO. Counts pass as they
 * are.
 */
static inline long hm_wire_error(long ret)
{
#if defined(CONFIG_MIPS)
	switch (ret) {
	case -ENAMETOOLONG:
		return -HM_ENAMETOOLONG;
	case -ENOSYS:
		return -HM_ENOSYS;
	case -ELOOP:
		return -HM_ELOOP;
	case -EOVERFLOW:
		return -HM_EOVERFLOW;
	case -ENOTSOCK:
		return -HM_ENOTSOCK;
	}
	if (ret < -ERANGE && ret >= -MAX_ERRNO)
		return -HM_EIO;
#endif
	return ret;
}

/*
 * Whether a 64-bit value from the host or a request fits an unsigned long:
 * a 32-bit kernel refuses an address that does not (-EFAULT) rather than
 * cut it to another one.
 */
static inline bool hm_fits_ulong(u64 value)
{
	return (unsigned long)value == value;
}

/*
 * The name d_path() left at the end of @buf (or its error) moved to its
 * start: its length, or -errno.
 */
long hm_path_to_front(char *buf, size_t cap, const char *path);

/* system.c: the whole system, behind struct hm_agent_ops. */
struct task_struct *hm_task_of(uint64_t pid);
struct file *hm_next_file_get(struct task_struct *task, unsigned int *fd);
long hm_proc_list(void *opaque, uint64_t cursor, struct hm_agent_list *l);
long hm_proc_maps(void *opaque, uint64_t pid, uint64_t cursor,
		  struct hm_agent_list *l);
long hm_proc_fds(void *opaque, uint64_t pid, uint64_t cursor,
		 struct hm_agent_list *l);
long hm_proc_path(void *opaque, uint64_t pid, enum hm_proc_path which,
		  char *buf, size_t cap);
extern bool hm_loopback;

int hm_transport_select(const char *name);
/* Gives back what hm_transport_select() took (the PCI driver). */
void hm_transport_close(void);
const char *hm_transport_name(void);
/* Whether regions are the mailbox's slots rather than guest RAM. */
bool hm_transport_mailbox(void);
int hm_doorbell(void *ctx, unsigned int call, uint64_t region_gpa);
void hm_selftest_host(unsigned int call, uint64_t region_gpa);

/*
 * ivshmem.c: QEMU's ivshmem-doorbell device. The mailbox is NULL until a
 * device with a hypermem host is bound, and after it is removed.
 */
struct hm_mailbox_guest;
int hm_ivshmem_register(void);
void hm_ivshmem_unregister(void);
struct hm_mailbox_guest *hm_ivshmem_mailbox(void);
/* A call on the calling CPU's slot: 0, or a negative HM_E* value. */
int hm_ivshmem_call(unsigned int call, uint64_t offset);
extern bool hm_ivshmem_hotplug;
/* Offers every online CPU's slot once loaded: a device was hot-plugged. */
void hm_regions_offer(void);
/* Takes every CPU's region back: the slots are going away. */
void hm_regions_drop(void);

/*
 * The host's subscription on this CPU, and what the rule that wants
 * @event asks to fetch; call with preemption disabled.
 */
enum hm_want hm_wants(const struct hm_event_record *event,
		      struct hm_fetch_list *fetch);
/* Whether the host asked for this process event; preemption disabled. */
bool hm_wants_process(const struct hm_event_record *event,
		      struct hm_fetch_list *fetch);
/* @control, when not NULL, gets what the host asked for at the event's end. */
int hm_raise_atomic(const struct hm_event_record *event,
		    struct hm_agent_control *control,
		    const struct hm_fetch_list *fetch);
int hm_raise_sleepable(const struct hm_event_record *event);

int hm_hooks_start(void);
u64 hm_hooks_features(void);
void hm_hooks_stop(void);
/*
 * A host came or went, or may have changed its subscription: hooks.c
 * looks again whether its syscall probes are wanted. Any context.
 */
void hm_hooks_changed(void);
/*
 * The same, and the probes as the subscriptions want them on return:
 * process context, without the CPU hotplug lock (registering takes it).
 */
void hm_hooks_settle(void);
/*
 * Whether some CPU's host could want a syscall event, or leaves the
 * choice to the guest where @by_parameter; @any_host: whether any CPU
 * has a host. Sleeps.
 */
bool hm_syscalls_wanted(bool by_parameter, bool *any_host);

int hm_dev_register(void);
void hm_dev_unregister(void);

#endif
