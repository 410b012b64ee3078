/* SPDX-License-Identifier: MIT */
/**
 * @file hypermem.h
 * libhypermem: cooperative guest-memory introspection for KVM monitors.
 *
 * The VMM owns /dev/kvm, the VM, the vCPU file descriptors and the guest
 * RAM. It hands the library its RAM (hm_vm_add_ram()) and each vCPU
 * (hm_vcpu_new()), and calls hm_vcpu_handle_exit() after every KVM_RUN. When
 * the guest raises an event, the library calls the VMM's event handler; inside
 * it the hm_vcpu_* operations read and write the memory of the guest task
 * that raised the event, each one a round trip through the guest's agent.
 *
 * Every function returns 0 (or a byte count) on success and a negative errno
 * value on failure. Nothing here prints or exits. Threads: each vCPU is
 * driven by one thread at a time; configure the VM before vCPUs run.
 */
#ifndef HYPERMEM_HYPERMEM_H
#define HYPERMEM_HYPERMEM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <hypermem/protocol.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(HM_BUILDING_LIBRARY)
#define HM_EXPORT __attribute__((visibility("default")))
#else
#define HM_EXPORT
#endif

struct kvm_run;
struct hm_vm;
struct hm_vcpu;

/** What the guest reported when it raised an event. */
struct hm_event {
	uint32_t kind;		/**< enum hm_event_kind (protocol.h) */
	uint64_t nr;		/**< syscall number, or a user event's code */
	uint64_t args[6];	/**< syscall arguments */
	uint64_t ret;		/**< return value (syscall exit only) */
	/** HM_EVENT_HAS_TASK: pid and comm came with the event. */
	uint32_t flags;
	uint64_t pid;		/**< the raising process's id */
	char comm[HM_COMM_LEN + 1]; /**< its name, NUL-terminated */
};

/** hm_event.flags: a guest with HM_FEATURE_SUBSCRIBE said who raised it. */
#define HM_EVENT_HAS_TASK (1u << 0)

/**
 * Called when a registered guest raises an event on @p vcpu. The hm_vcpu_*
 * operations may be used until it returns. Its return value is handed back
 * by hm_vcpu_handle_exit() when negative.
 */
typedef int (*hm_event_fn)(struct hm_vcpu *vcpu, const struct hm_event *event,
			   void *opaque);

/**
 * Called for every exit that is not hypermem's while the library drives the
 * vCPU during an operation (serial output, MMIO, HLT, ...), and with
 * exit_reason KVM_EXIT_INTR when a signal other than the kick signal
 * interrupted KVM_RUN (a stop request of the VMM's, say). Return 0 to let
 * the operation go on, or a negative errno value to abort it with that error.
 */
typedef int (*hm_exit_fn)(struct hm_vcpu *vcpu, struct kvm_run *run,
			  void *opaque);

/** What the guest said about itself when it registered. */
struct hm_guest_info {
	uint32_t vcpu_index;	/**< the guest's CPU number */
	uint32_t pointer_width;	/**< 4 or 8 */
	uint32_t big_endian;	/**< 1 for a big-endian guest */
	uint32_t region_pages;	/**< pages of region in use */
	uint64_t region_gpa;	/**< where the region is (a mailbox: its offset) */
	uint64_t features;	/**< HM_FEATURE_* both sides support */
};

/**
 * Subscriptions: which events the guests raise. @p rules (host byte order;
 * struct hm_sub_rule and the HM_RULE_*, HM_FIELD_* and HM_COND_* values of
 * protocol.h) replace the VM's subscription; every guest that offered
 * HM_FEATURE_SUBSCRIBE gets the table at once, running or not, and then
 * raises only what a rule matches (everything with HM_SUB_ALL in @p flags).
 * A VM starts with no subscription: each guest raises what it raised
 * before the feature (guest-tiny: every syscall it reports; the Linux
 * module: its `syscalls` parameter). Guests without the feature raise as
 * before too, so the VMM checks each event with hm_vcpu_event_matches()
 * where it needs the rules to hold. More rules than a page holds
 * (HM_SUB_MAX_RULES) are kept, and the guests get HM_SUB_ALL. A guest
 * without HM_FEATURE_COND_OPS gets the rules without their conditions of
 * another op than HM_COND_RANGE: it raises more, never less.
 * @return 0; -EINVAL for a malformed rule (kind, field, flags, a return
 * value condition on an entry or user event, lo > hi); -ENOMEM.
 */
HM_EXPORT int hm_vm_subscribe(struct hm_vm *vm, const struct hm_sub_rule *rules,
			      size_t n, uint32_t flags);

/** Back to no subscription: each guest raises what it chooses. */
HM_EXPORT void hm_vm_unsubscribe(struct hm_vm *vm);

/**
 * Whether @p rule (host byte order) matches @p event of @p vcpu: its kind,
 * nr and every condition. A pid or comm condition uses the event's task
 * (HM_EVENT_HAS_TASK); without it a pid is asked of the guest (inside the
 * event handler only) and a comm cannot be known. The pid is always the
 * task's that raised the event, after hm_vcpu_use_process() too. A
 * string op (HM_COND_STR_*) reads the argument's string with
 * hm_vcpu_read_str() (no round trip where the guest prefetched it,
 * HM_FETCH_STR), up to HM_NAME_MAX bytes; one that cannot be read does
 * not hold. Its needle is the rule's 16 bytes: with HM_COND_NEEDLE_CUT, 1
 * says only that the longer needle they were cut from may match, which
 * the caller, who knows it, checks on the string itself (hypermem-run's
 * and the Python package's filters do).
 * @return 1, 0; -EOPNOTSUPP for a comm condition on an event without its
 * task; an error of hm_vcpu_get_proc_pid(); for a string op -EINVAL
 * without @p vcpu, -EBUSY after hm_vcpu_use_process() to another process,
 * -ENAMETOOLONG where the string's first HM_NAME_MAX - 1 bytes cannot
 * tell, an error of hm_vcpu_read_str().
 */
HM_EXPORT int hm_vcpu_event_matches(struct hm_vcpu *vcpu,
				    const struct hm_event *event,
				    const struct hm_sub_rule *rule);

/** Counters of one vCPU, for benchmarks and diagnostics. */
struct hm_stats {
	uint64_t events;	/**< events handled */
	uint64_t round_trips;	/**< requests sent to the guest */
	uint64_t exits;		/**< KVM exits seen while driving ops */
	uint64_t ioctls;	/**< ioctls the library issued */
	uint64_t timeouts;	/**< operations past the host's deadline */
	uint64_t protocol_errors; /**< malformed guest replies and calls */
};

/** One environment variable. */
struct hm_env_var {
	char *name;
	char *value;		/**< may contain '=' */
};

/** One task of the guest (hm_vcpu_list_processes()). */
struct hm_process {
	uint64_t pid;		/**< the task (thread) id */
	uint64_t tgid;		/**< its process; pid == tgid: the leader */
	uint64_t ppid;		/**< the parent process's tgid; 0: none */
	uint64_t start_ns;	/**< ns since the guest's boot */
	uint32_t uid;		/**< real user id */
	char state;		/**< as /proc/PID/stat: R, S, D, T, Z, ... */
	uint8_t flags;		/**< HM_PROC_KTHREAD: a kernel thread */
	char comm[HM_COMM_LEN];	/**< its name, NUL-terminated */
};

/** One mapping of a process's memory (hm_vcpu_get_maps()). */
struct hm_mapping {
	uint64_t start;
	uint64_t end;		/**< exclusive */
	uint64_t offset;	/**< in the file */
	uint64_t inode;		/**< the file's, 0 without one */
	uint32_t flags;		/**< HM_MAP_READ, _WRITE, _EXEC, _SHARED,
				 *   HM_NAME_CUT */
	/** The file's path, "[heap]", "[stack]", "[vdso]"...; "": anonymous */
	const char *name;
};

/** One open file of a process (hm_vcpu_get_fds()). */
struct hm_open_file {
	int32_t fd;
	uint32_t open_flags;	/**< O_* as Linux x86-64 numbers them */
	uint32_t flags;		/**< HM_NAME_CUT */
	/** A path, "socket:[4100]", "pipe:[12]", "anon_inode:[eventfd]"... */
	const char *name;
};

/** How hm_vcpu_read() and its relatives reach guest memory. */
enum hm_read_mode {
	/** Every read is a round trip through the guest's agent. */
	HM_READ_COOPERATIVE = 0,
	/** The library walks the guest's page tables; no guest code runs. */
	HM_READ_DIRECT = 1,
	/** Direct where the pages are present, cooperative for the rest. */
	HM_READ_HYBRID = 2,
};

/** One piece of a vectored read (hm_vcpu_readv()). */
struct hm_iovec {
	uint64_t addr;		/**< guest virtual address */
	void *buf;		/**< where its bytes go */
	size_t len;		/**< bytes wanted */
	ssize_t result;		/**< set: as hm_vcpu_read() would return */
};

/** Permissions of a translation, the AND (NX: the OR) of every level. */
#define HM_PAGE_WRITABLE (1u << 0)
#define HM_PAGE_USER (1u << 1)
#define HM_PAGE_NX (1u << 2)

/** Where a guest virtual address lives, by the vCPU's page tables. */
struct hm_translation {
	uint64_t gpa;		/**< guest-physical address of the byte */
	uint64_t page_size;	/**< 4 KiB, 2 MiB or 1 GiB */
	uint32_t flags;		/**< HM_PAGE_* */
};

/** Default deadline of one operation, in milliseconds. */
#define HM_DEFAULT_TIMEOUT_MS 2000u

/** Default memory budget of one operation, in bytes (64 MiB). */
#define HM_DEFAULT_MEMORY_BUDGET (64u << 20)

/**
 * Create a VM context with no RAM and no handlers.
 * @return 0, or -ENOMEM.
 */
HM_EXPORT int hm_vm_new(struct hm_vm **ret);

/** Free a VM context. Its vCPUs must have been freed first. */
HM_EXPORT void hm_vm_free(struct hm_vm *vm);

/**
 * Make guest-physical [gpa, gpa + size) visible at host address @p hva.
 * Every guest-physical access of the library goes through these slots.
 * @return 0; -EINVAL for an empty or wrapping range, or a NULL @p hva;
 * -EEXIST when it overlaps a slot; -ENOMEM.
 */
HM_EXPORT int hm_vm_add_ram(struct hm_vm *vm, uint64_t gpa, uint64_t size,
			    void *hva);

/** Set the handler that receives guest events. */
HM_EXPORT void hm_vm_set_event_handler(struct hm_vm *vm, hm_event_fn fn,
				       void *opaque);

/** Set the handler for foreign exits during operations. */
HM_EXPORT void hm_vm_set_exit_handler(struct hm_vm *vm, hm_exit_fn fn,
				      void *opaque);

/**
 * Set the deadline of one operation (one hm_vcpu_* call), which its first
 * request starts and no later request restarts: a guest that answers each
 * request just in time cannot stretch an operation of many round trips
 * past it. When it passes, the vCPU is kicked out of KVM_RUN by the signal
 * set with hm_vm_set_kick_signal() (a mailbox request stops waiting) and
 * the operation fails with -ETIMEDOUT.
 * @return 0, or -EINVAL for 0.
 */
HM_EXPORT int hm_vm_set_timeout(struct hm_vm *vm, unsigned int ms);

/**
 * Set the memory budget of one operation: everything it allocates on the
 * host, every allocation added up (a buffer as it grows, the result handed
 * to the caller included), whatever sizes the guest's replies claim. An
 * operation that would go past it fails with -E2BIG.
 * @return 0, or -EINVAL for 0.
 */
HM_EXPORT int hm_vm_set_memory_budget(struct hm_vm *vm, size_t bytes);

/**
 * Choose the signal that interrupts KVM_RUN at a deadline (default
 * SIGRTMIN + 7). The library installs a handler for it only if the signal
 * has none; a VMM that has its own must leave it non-fatal.
 * @return 0, or -EINVAL for a signal that cannot be used.
 */
HM_EXPORT int hm_vm_set_kick_signal(struct hm_vm *vm, int signo);

/**
 * Choose how reads reach guest memory (default HM_READ_COOPERATIVE). Writes
 * are always cooperative: only the guest knows about copy-on-write.
 * Direct reads see what the page tables map, user pages only unless the
 * guest negotiated HM_FEATURE_KERNEL_ADDR, without asking the guest.
 * @return 0, or -EINVAL for an unknown mode.
 */
HM_EXPORT int hm_vm_set_read_mode(struct hm_vm *vm, enum hm_read_mode mode);

/**
 * Translate a guest-physical range to a host pointer. The range must lie
 * within one slot.
 * @return the host address, or NULL (errno-free: the range is not RAM).
 */
HM_EXPORT void *hm_vm_gpa_to_hva(struct hm_vm *vm, uint64_t gpa,
				 uint64_t len);

/**
 * Attach a vCPU. @p fd is its KVM file descriptor and @p run its mmapped
 * struct kvm_run; both stay owned by the VMM and must outlive the handle.
 * @return 0, -EINVAL, -ENOMEM, or the error of setting up the deadline
 * timer.
 */
HM_EXPORT int hm_vcpu_new(struct hm_vm *vm, int fd, struct kvm_run *run,
			  struct hm_vcpu **ret);

/** Detach a vCPU. */
HM_EXPORT void hm_vcpu_free(struct hm_vcpu *vcpu);

/** Attach the VMM's own pointer to a vCPU, for use in handlers. */
HM_EXPORT void hm_vcpu_set_data(struct hm_vcpu *vcpu, void *data);

/** The pointer given to hm_vcpu_set_data(), NULL before. */
HM_EXPORT void *hm_vcpu_get_data(struct hm_vcpu *vcpu);

/** The VM a vCPU belongs to. */
HM_EXPORT struct hm_vm *hm_vcpu_get_vm(struct hm_vcpu *vcpu);

/**
 * Handle the exit in the vCPU's kvm_run after KVM_RUN returned.
 * @return 1 when it was a hypermem call, handled: run the vCPU again;
 * 0 when it was not hypermem's: the VMM handles it;
 * a negative errno value when it was a hypermem call that failed (a
 * malformed registration, or the event handler's error); the guest has
 * been answered and the vCPU can run again.
 */
HM_EXPORT int hm_vcpu_handle_exit(struct hm_vcpu *vcpu);

/**
 * What the guest registered. @return 0, or -ENOTCONN before registration.
 */
HM_EXPORT int hm_vcpu_get_guest_info(struct hm_vcpu *vcpu,
				     struct hm_guest_info *info);

/**
 * The registered guest's architecture and ABI, an HM_ARCH_* value of
 * protocol.h: what it said (HM_FEATURE_GUEST_ARCH), or for a guest that
 * did not say (an older one) HM_ARCH_NATIVE, the host's own. It names the
 * guest's system call numbers and the width of its pointers.
 * @return HM_ARCH_* (> 0), or -ENOTCONN before registration.
 */
HM_EXPORT int hm_vcpu_get_guest_arch(struct hm_vcpu *vcpu);

/** Copy the vCPU's counters. */
HM_EXPORT void hm_vcpu_get_stats(struct hm_vcpu *vcpu, struct hm_stats *stats);

/*
 * Operations. Valid only inside the event handler of the same vCPU:
 * elsewhere they fail with -EBUSY, and with -ENOTCONN when no guest
 * registered. Each one is bounded, however many round trips it takes and
 * whatever the guest answers: in time by one deadline (hm_vm_set_timeout())
 * and in host memory by one budget (hm_vm_set_memory_budget()), shared by
 * the operations it calls itself; and each reply must carry what the
 * protocol says it holds (a chunk of an argv all that was asked, a list's
 * reply as many entries as fit), so that the round trips are as few as
 * the region allows. Other errors common to all: -ETIMEDOUT (the deadline
 * passed, or the guest did not answer in time; the event is then abandoned
 * and later operations in it fail fast with -ETIMEDOUT), -E2BIG (it would
 * allocate past its budget: an argv, an environment, a list), -EPROTO (a
 * malformed reply), -ECONNABORTED (on a mailbox: the guest gave up waiting
 * for the host, its own deadline; the event is abandoned likewise),
 * -ECANCELED once a mailbox was stopped (hm_mailbox_stop(); the event is
 * abandoned the same way), and whatever the exit handler returned. These
 * are the host's own. Errors the guest reports about its own objects (-EFAULT,
 * -EBADF, -ENOENT, ...: the HM_E* list in protocol.h) pass through; a
 * guest reporting any other number, one of the codes above included, gets
 * -EPROTO: the library's own codes always mean what they say.
 */

/**
 * Read @p len bytes of guest virtual memory at @p addr.
 * @return @p len; fewer when the range becomes unreadable part way (the byte
 * at addr + return value could not be read; buf holds exactly the bytes
 * before it); -EFAULT when not even the first byte could be read.
 */
HM_EXPORT ssize_t hm_vcpu_read(struct hm_vcpu *vcpu, uint64_t addr, void *buf,
			       size_t len);

/**
 * Read several ranges, in one round trip where the guest supports
 * HM_FEATURE_READV and they fit in its region (one READ per piece where it
 * does not). Each piece's result is set as hm_vcpu_read() would return it.
 * @return the number of pieces read in full (@p n when all were); -EINVAL
 * for @p n == 0 or a piece whose range wraps; the common errors, after
 * which the results are undefined.
 */
HM_EXPORT ssize_t hm_vcpu_readv(struct hm_vcpu *vcpu, struct hm_iovec *pieces,
				size_t n);

/**
 * Read like hm_vcpu_read(), always by walking the page tables of the vCPU
 * (whatever the read mode): no guest code runs. A page that is not present,
 * or not a user page (unless HM_FEATURE_KERNEL_ADDR was negotiated), ends
 * the read as an unreadable byte would.
 * @return as hm_vcpu_read(); -EOPNOTSUPP when the vCPU is not in a paging
 * mode the walker knows (x86-64: 4- and 5-level long mode).
 */
HM_EXPORT ssize_t hm_vcpu_read_direct(struct hm_vcpu *vcpu, uint64_t addr,
				      void *buf, size_t len);

/**
 * Translate @p addr by the vCPU's page tables (its CR3 when the event was
 * raised; read once per event).
 * @return 0; -ENOENT when an entry on the way is not present; -EFAULT when
 * a table lies outside guest RAM or an entry has reserved bits set; -EINVAL
 * for a non-canonical address; -EOPNOTSUPP as for hm_vcpu_read_direct().
 */
HM_EXPORT int hm_vcpu_translate(struct hm_vcpu *vcpu, uint64_t addr,
				struct hm_translation *ret);

/**
 * Translate @p addr by the vCPU's page tables as they are now, outside any
 * event: for a VMM that diagnoses a vCPU that stopped (a crash, say). The
 * vCPU must not be running.
 * @return as hm_vcpu_translate(), without -EBUSY and -ENOTCONN; the error
 * of reading the control registers.
 */
HM_EXPORT int hm_vcpu_walk(struct hm_vcpu *vcpu, uint64_t addr,
			   struct hm_translation *ret);

/**
 * Write @p len bytes to guest virtual memory at @p addr.
 * @return @p len; fewer when the range becomes unwritable part way;
 * -EFAULT when nothing could be written.
 */
HM_EXPORT ssize_t hm_vcpu_write(struct hm_vcpu *vcpu, uint64_t addr,
				const void *buf, size_t len);

/**
 * Read a NUL-terminated string of at most @p cap - 1 bytes into @p buf,
 * which is always NUL-terminated when @p cap > 0.
 * @return its length; -ENAMETOOLONG when no NUL came within cap - 1 bytes
 * (buf then holds those bytes); -EFAULT when memory ran out before a NUL
 * (buf holds what was read); -EINVAL when @p cap is 0.
 */
HM_EXPORT ssize_t hm_vcpu_read_str(struct hm_vcpu *vcpu, uint64_t addr,
				   char *buf, size_t cap);

/** Write @p str and its NUL. @return 0, or -EFAULT if not all was written. */
HM_EXPORT int hm_vcpu_write_str(struct hm_vcpu *vcpu, uint64_t addr,
				const char *str);

/**
 * Read or write a 32-bit, 64-bit or pointer-sized integer, in the guest's
 * byte order. Pointers are 4 or 8 bytes as the guest registered.
 * @return 0; -EFAULT unless every byte could be accessed.
 */
HM_EXPORT int hm_vcpu_read_u32(struct hm_vcpu *vcpu, uint64_t addr,
			       uint32_t *ret);
HM_EXPORT int hm_vcpu_read_u64(struct hm_vcpu *vcpu, uint64_t addr,
			       uint64_t *ret);
HM_EXPORT int hm_vcpu_read_ptr(struct hm_vcpu *vcpu, uint64_t addr,
			       uint64_t *ret);
HM_EXPORT int hm_vcpu_write_u32(struct hm_vcpu *vcpu, uint64_t addr,
				uint32_t value);
HM_EXPORT int hm_vcpu_write_u64(struct hm_vcpu *vcpu, uint64_t addr,
				uint64_t value);
HM_EXPORT int hm_vcpu_write_ptr(struct hm_vcpu *vcpu, uint64_t addr,
				uint64_t value);

/**
 * The argument vector of the task that raised the event. @p *argv is one
 * allocation, NULL-terminated, released with free().
 * @return 0; -EFAULT where the guest could not read all of it; -E2BIG
 * past the memory budget (16 MiB of empty strings: as many pointers);
 * -ENOMEM; -EPROTO.
 */
HM_EXPORT int hm_vcpu_get_proc_args(struct hm_vcpu *vcpu, char ***argv,
				    size_t *argc);

/**
 * The environment of the task that raised the event, split at each entry's
 * first '='. @p *vars is one allocation released with free(); an entry
 * without '=' has an empty value.
 */
HM_EXPORT int hm_vcpu_get_proc_env(struct hm_vcpu *vcpu,
				   struct hm_env_var **vars, size_t *count);

/** The process id (tgid) of the task that raised the event. */
HM_EXPORT int hm_vcpu_get_proc_pid(struct hm_vcpu *vcpu, uint64_t *pid);

/**
 * The name behind file descriptor @p fd of that task ("/etc/passwd",
 * "socket:[1234]"), NUL-terminated. Names up to HM_NAME_MAX - 1 bytes
 * where the guest offers HM_FEATURE_FD_NAME_OFFSET (several round trips
 * when longer than its region); otherwise up to one region's data[].
 * @return its length; -EBADF; -ENAMETOOLONG when it does not fit in
 * @p cap - 1 bytes (buf is then empty).
 */
HM_EXPORT ssize_t hm_vcpu_read_fd_name(struct hm_vcpu *vcpu, int64_t fd,
				       char *buf, size_t cap);

/**
 * Read @p len bytes of the guest file @p path from @p offset, in as many
 * requests as it takes (each reply carries a byte at least).
 * @return bytes read: @p len, fewer only where the file ends (a reply of
 * none, or a short one that reaches the size the guest gave), 0 at or
 * past its end; -ENOENT; -ENAMETOOLONG for a path that does not fit in a
 * request.
 */
HM_EXPORT ssize_t hm_vcpu_read_file(struct hm_vcpu *vcpu, const char *path,
				    uint64_t offset, void *buf, size_t len);

/**
 * Inside the event handler, act on process @p pid from now on, 0 for the
 * task that raised the event (HM_FEATURE_PID_ACCESS): hm_vcpu_read and
 * its relatives (read_str, readv, the integers; always through the guest,
 * whatever the read mode, whose page tables are the event task's), the
 * writes, hm_vcpu_get_proc_args, _env, _pid, hm_vcpu_read_fd_name and
 * hm_vcpu_read_socket_info. Each event starts with its own task. Where
 * events do not carry their task (no HM_FEATURE_SUBSCRIBE), leaving it
 * the first time asks its pid first (one round trip), for
 * hm_vcpu_event_matches().
 * @return 0; -ESRCH (no such process, a kernel thread); -EAGAIN where the
 * guest cannot reach another process without sleeping from where it
 * raised the event (the Linux module's syscall and process events: use a
 * user event); -EOPNOTSUPP without the feature; an error of asking the
 * pid (hm_vcpu_get_proc_pid()).
 */
HM_EXPORT int hm_vcpu_use_process(struct hm_vcpu *vcpu, uint64_t pid);

/**
 * Write @p len bytes of @p buf at @p offset of the guest file @p path
 * (HM_FEATURE_WRITE_FILE), in as many requests as the region needs:
 * HM_WRITE_CREATE in @p flags creates it with @p mode when missing,
 * HM_WRITE_TRUNCATE empties it first (a @p len of 0 does just that).
 * @return @p len; fewer when the guest stopped part way (a full disk);
 * -errno when it wrote nothing: -ENOENT, -EACCES, -EISDIR, -ENOSPC,
 * -EAGAIN where it cannot write from where it raised the event (the
 * module's syscall and process events: use a user event), -ENAMETOOLONG.
 */
HM_EXPORT ssize_t hm_vcpu_write_file(struct hm_vcpu *vcpu, const char *path,
				     uint64_t offset, const void *buf,
				     size_t len, uint32_t flags,
				     uint32_t mode);

/**
 * Describe the socket behind @p fd, fields in host byte order.
 * @return 0; -EBADF; -ENOTSOCK.
 */
HM_EXPORT int hm_vcpu_read_socket_info(struct hm_vcpu *vcpu, int64_t fd,
				       struct hm_socket_info *info);

/**
 * The whole system, inside an event handler, where the guest offers it
 * (HM_FEATURE_PROC_LIST, _MAPS, _FDS, _PATHS; -EOPNOTSUPP otherwise).
 * @p pid names a process; 0 is the one that raised the event. Lists come
 * in as many round trips as the region needs (about 70 tasks, or 50 to
 * 100 mappings, in a one-page region), each checked: entries inside the
 * reply, in ascending order from where the request said, names without
 * NUL, as many as fit unless it is the last; any break of that is -EPROTO.
 * Each list is one allocation, released with free().
 *
 * hm_vcpu_list_processes(): every task, threads and kernel threads
 * included, in ascending pid order; a task that starts or ends during the
 * walk is listed once or not at all.
 * hm_vcpu_get_maps(): the process's mappings in address order.
 * hm_vcpu_get_fds(): its open files in fd order.
 * hm_vcpu_get_exe(), hm_vcpu_get_cwd(): its executable's path and its
 * working directory, NUL-terminated in @p buf, as hm_vcpu_read_fd_name()
 * (up to one region's data[]).
 * @return 0 or the path's length; -ESRCH (no such process, or a kernel
 * thread); -EAGAIN where the guest cannot look without sleeping from
 * where it raised the event; -E2BIG for a list past the memory budget
 * (with the default's 64 MiB, about 20 MiB of list).
 */
HM_EXPORT int hm_vcpu_list_processes(struct hm_vcpu *vcpu,
				     struct hm_process **list, size_t *count);
HM_EXPORT int hm_vcpu_get_maps(struct hm_vcpu *vcpu, uint64_t pid,
			       struct hm_mapping **maps, size_t *count);
HM_EXPORT int hm_vcpu_get_fds(struct hm_vcpu *vcpu, uint64_t pid,
			      struct hm_open_file **files, size_t *count);
HM_EXPORT ssize_t hm_vcpu_get_exe(struct hm_vcpu *vcpu, uint64_t pid,
				  char *buf, size_t cap);
HM_EXPORT ssize_t hm_vcpu_get_cwd(struct hm_vcpu *vcpu, uint64_t pid,
				  char *buf, size_t cap);

/**
 * Event control. Inside the event handler, ask the guest to change the
 * syscall that raised the event; the request travels with the end of the
 * event, and only when the event ends cleanly (the handler returned 0 and
 * no operation abandoned the event). A later call for the same thing
 * replaces an earlier one.
 *
 * hm_vcpu_set_arg() gives syscall argument @p index (0..5) the value
 * @p value; hm_vcpu_skip_syscall() skips the syscall, which returns @p ret
 * without running. Both only at HM_EVENT_SYSCALL_ENTER.
 * hm_vcpu_set_return() makes the syscall return @p ret, only at
 * HM_EVENT_SYSCALL_EXIT.
 * @return 0; -ENOTCONN before registration; -EBUSY outside the event
 * handler; the error that abandoned the event; -EINVAL in an event of
 * another kind or for an index above 5; -EOPNOTSUPP when the guest does
 * not offer HM_FEATURE_EVENT_CONTROL, or for a skip HM_FEATURE_SYSCALL_SKIP
 * as well (the Linux module offers it where its kernel has x64_sys_call,
 * guest-kmod/hooks.c).
 */
HM_EXPORT int hm_vcpu_set_arg(struct hm_vcpu *vcpu, unsigned int index,
			      uint64_t value);
HM_EXPORT int hm_vcpu_skip_syscall(struct hm_vcpu *vcpu, uint64_t ret);
HM_EXPORT int hm_vcpu_set_return(struct hm_vcpu *vcpu, uint64_t ret);

/*
 * The mailbox transport. A VMM that does not run the guest itself (a
 * stock QEMU with an ivshmem-doorbell device, its server in the caller:
 * qemu/ivshmem.h) hands the library the memory it shares with the guest;
 * the guest's regions live there (protocol.h, "Mailbox transport") and
 * its doorbells arrive on an eventfd, or, with a device that has none,
 * the host polls (hm_mailbox_set_polled()). Each guest CPU has a slot, and
 * each slot an hm_vcpu for the event handler: every operation works on
 * it as on a KVM vCPU, but for the direct reads (hm_vcpu_read_direct(),
 * hm_vcpu_translate(), hm_vcpu_walk() and HM_READ_DIRECT:
 * -EOPNOTSUPP; HM_READ_HYBRID reads cooperatively), the exit handler
 * (never called) and hm_vcpu_handle_exit() (-EINVAL). Stats count the
 * guest's doorbells as exits, and no ioctls. A guest that stops waiting
 * for an answer (protocol.h, HM_TURN_GAVE_UP) fails the operation with
 * -ECONNABORTED, not counted as a timeout: -ETIMEDOUT is the host's own
 * deadline only.
 */
struct hm_mailbox;

/**
 * Lay out @p size bytes of shared memory at @p mem (at least 256 KiB,
 * zeroed; the header is written last) for as many guest CPUs as fit, up
 * to HM_MAILBOX_MAX_SLOTS, each with a region of @p region_pages pages
 * (1..HM_MAX_REGION_PAGES). @p doorbell_fd is the eventfd the guest's
 * doorbells signal; the library reads it (it stays the caller's).
 * @return 0; -EINVAL; -ENOSPC when not even one slot fits; -ENOMEM.
 */
HM_EXPORT int hm_mailbox_new(struct hm_vm *vm, void *mem, size_t size,
			     unsigned int region_pages, int doorbell_fd,
			     struct hm_mailbox **ret);
/** Free a mailbox and its vCPUs; the memory and the fd stay the caller's. */
HM_EXPORT void hm_mailbox_free(struct hm_mailbox *mb);

/** The number of slots, and slot @p i's vCPU (NULL past the last). */
HM_EXPORT unsigned int hm_mailbox_slots(const struct hm_mailbox *mb);
HM_EXPORT struct hm_vcpu *hm_mailbox_vcpu(struct hm_mailbox *mb,
					  unsigned int i);

/**
 * Serve every call the guest has handed over (registrations, events with
 * the event handler, subscriptions), until none is waiting; never blocks
 * on the guest but inside an event handler's operations. Call it when
 * @p doorbell_fd polls readable, and at any other time.
 * @return the number of calls served; the first negative value a call
 * failed with (a malformed call, the event handler's error), after
 * serving the rest: the guest has been answered either way.
 */
HM_EXPORT int hm_mailbox_serve(struct hm_mailbox *mb);

/**
 * End every operation on @p mb's slots, for good: the request a handler
 * waits on fails at once with -ECANCELED, not at its reply or deadline,
 * and so does every request after it (the event is abandoned, as after
 * -ETIMEDOUT). hm_mailbox_serve() still answers the guest's calls, so a
 * guest is never left waiting. Safe from any thread and from a signal
 * handler: a VMM calls it when its run ends (a stop, its deadline), since
 * the thread that would notice is the one the operation holds.
 */
HM_EXPORT void hm_mailbox_stop(struct hm_mailbox *mb);

struct pollfd;

/**
 * Wait until the guest may have called, one of @p fds (at most 8; their
 * revents are set) is ready, hm_mailbox_stop() was called, or @p ms
 * passed; then hm_mailbox_serve(). On a mailbox with a doorbell this is
 * poll() on @p doorbell_fd and @p fds; on a polled one (below) it looks
 * at the slots' turn words, napping between looks: at first 20 us after
 * a call, doubling while the guest is quiet, up to 1 ms.
 * @return 0; -EINVAL (too many fds, a negative @p ms); poll()'s error.
 */
HM_EXPORT int hm_mailbox_wait(struct hm_mailbox *mb, struct pollfd *fds,
			      unsigned int nfds, int ms);

/**
 * For a device that has no doorbell to the host (QEMU's ivshmem-plain,
 * on machines whose interrupt controller has no MSI-X): the host looks
 * at the turn words itself, in hm_mailbox_wait() and while a request
 * waits for the guest's reply (naps, as above, instead of a sleep on the
 * eventfd, which only hm_mailbox_stop() still writes). Sets the header's
 * HM_MAILBOX_HOST_POLLS, so that the guest does not ring: call it before
 * the guest looks at the memory, right after hm_mailbox_new().
 */
HM_EXPORT void hm_mailbox_set_polled(struct hm_mailbox *mb);

#ifdef __cplusplus
}
#endif

#endif
