/* SPDX-License-Identifier: MIT */
/*
 * The guest side of hypermem: registration, raising an event, and the op
 * dispatcher that serves the host's requests. One source for every guest OS
 * (the Linux module, guest-tiny, the host's unit tests): the OS supplies its
 * accessors through struct hm_agent_ops.
 */
#ifndef HYPERMEM_AGENT_H
#define HYPERMEM_AGENT_H

#include <hypermem/protocol.h>

#if !defined(__KERNEL__)
#include <stddef.h>
#endif

enum hm_proc_area {
	HM_PROC_ARGS,
	HM_PROC_ENV,
};

enum hm_proc_path {
	HM_PATH_EXE,
	HM_PATH_CWD,
};

/*
 * A list reply being filled (HM_OP_PROC_LIST, _MAPS, _FDS): the accessor
 * walks from its cursor and adds entries with hm_agent_list_*(), in the
 * guest's byte order, until one says the reply is full.
 */
struct hm_agent_list {
	char *buf;		/* data[] */
	size_t cap;		/* bytes the host allows */
	size_t used;
	uint64_t next;		/* the cursor of the first entry left out */
	int full;
	char *scratch;		/* HM_NAME_MAX bytes for a name, or NULL */
};

/*
 * Accessors. Addresses are the guest's virtual addresses in the context of
 * the task that raised the event. Functions that return long give a byte
 * count or a negative HM_E* value. Any of the optional ones may be NULL: the
 * host then gets HM_ENOSYS.
 */
struct hm_agent_ops {
	/*
	 * Ring the doorbell; returns when the host resumes the vCPU: 0, or
	 * a negative HM_E* value when no answer came (a mailbox's deadline):
	 * the region is then not the guest's to read, and the call is over.
	 */
	int (*doorbell)(void *ctx, unsigned int call, uint64_t region_gpa);
	/* Both return the number of bytes NOT copied, like copy_from_user. */
	size_t (*copy_from)(void *ctx, void *dst, uint64_t src, size_t len);
	size_t (*copy_to)(void *ctx, uint64_t dst, const void *src, size_t len);
	/*
	 * Copy a string of at most len bytes, NUL excluded: returns its length
	 * when a NUL was found (< len), len when none was, -HM_EFAULT if a
	 * fault came first; *copied is the number of bytes placed in dst.
	 */
	long (*string_from)(void *ctx, char *dst, uint64_t src, size_t len,
			    size_t *copied);
	long (*fd_name)(void *ctx, int64_t fd, char *buf, size_t cap);
	/* Bytes of argv or environment block at offset; *total its size. */
	long (*proc_area)(void *ctx, enum hm_proc_area which, uint64_t offset,
			  void *buf, size_t len, uint64_t *total);
	long (*pid)(void *ctx, uint64_t *pid);
	long (*read_file)(void *ctx, const char *path, uint64_t offset,
			  void *buf, size_t len, uint64_t *file_size);
	/* Fields in the guest's own byte order; the agent converts them. */
	long (*socket_info)(void *ctx, int64_t fd, struct hm_socket_info *info);
	/*
	 * The name of the task that raised the event (Linux's comm), NUL
	 * padded; 0 or a negative HM_E* value. With pid, for subscriptions.
	 */
	long (*comm)(void *ctx, char comm[HM_COMM_LEN]);
	/*
	 * The whole system (protocol.h): pid 0 is the task that raised the
	 * event. The lists add entries from @cursor on, in ascending order,
	 * and stop when hm_agent_list_*() returns nonzero; 0 or -HM_E*.
	 * proc_path: the executable's or working directory's path into
	 * buf, its length or -HM_E*, as fd_name.
	 */
	long (*proc_list)(void *ctx, uint64_t cursor, struct hm_agent_list *l);
	long (*proc_maps)(void *ctx, uint64_t pid, uint64_t cursor,
			  struct hm_agent_list *l);
	long (*proc_fds)(void *ctx, uint64_t pid, uint64_t cursor,
			 struct hm_agent_list *l);
	long (*proc_path)(void *ctx, uint64_t pid, enum hm_proc_path which,
			  char *buf, size_t cap);
	/*
	 * Write len bytes of buf at offset of the file path (flags and mode
	 * as struct hm_write_file's): the bytes written, or -HM_E* when
	 * none could be; *err says why a write stopped short.
	 */
	long (*write_file)(void *ctx, const char *path, uint64_t offset,
			   uint32_t flags, uint32_t mode, const void *buf,
			   size_t len, long *err);
	/*
	 * From now on the accessors act on process @pid, 0: the task that
	 * raised the event, as before; *tgid is its process id. 0 or
	 * -HM_E*, the target then unchanged. The agent sets 0 again when
	 * the event ends.
	 */
	long (*use_process)(void *ctx, uint64_t pid, uint64_t *tgid);
};

/*
 * What the host asked for when it ended the last event, in the guest's byte
 * order; flags and arg_mask are 0 when it asked for nothing, or sent a
 * malformed record.
 */
struct hm_agent_control {
	uint32_t flags;		/* HM_CONTROL_* */
	uint32_t arg_mask;
	uint64_t args[6];
	uint64_t ret;
};

struct hm_agent {
	const struct hm_agent_ops *ops;
	void *ctx;
	struct hm_region *region;	/* region_pages contiguous pages */
	uint64_t region_gpa;
	uint32_t region_pages;		/* offered, then as acknowledged */
	uint64_t features;		/* offered, then as acknowledged */
	/*
	 * HM_NAME_MAX bytes for fd names, or NULL. With it the agent offers
	 * HM_FEATURE_FD_NAME_OFFSET: names up to HM_NAME_MAX - 1 bytes
	 * whatever the region's size.
	 */
	char *name_buf;
	/* Set by hm_agent_raise(); offer HM_FEATURE_EVENT_CONTROL to get it. */
	struct hm_agent_control control;
	/*
	 * A zeroed page for the host's subscription table, or NULL. With it
	 * the agent offers HM_FEATURE_SUBSCRIBE; sub_taken says whether the
	 * host took the page at registration.
	 */
	struct hm_sub_page *sub;
	uint64_t sub_gpa;
	int sub_taken;
	/* HM_OP_USE_PROCESS's pid for the event in progress, 0: its own. */
	uint64_t target;
};

/* The fetches of the rule an event matched (HM_FEATURE_PREFETCH). */
struct hm_fetch_list {
	unsigned int n;
	struct hm_sub_fetch f[HM_SUB_MAX_FETCHES];	/* cap: guest order */
};

/* What hm_agent_wants() says of an event. */
enum hm_want {
	HM_WANT_NO = 0,
	HM_WANT_YES = 1,
	HM_WANT_GUEST = 2,	/* the host has not chosen: the guest decides */
};

/* Bytes of data[] in a region of this many pages. */
static inline size_t hm_agent_data_size(uint32_t pages)
{
	return (size_t)pages * HM_PAGE_SIZE - HM_HEADER_SIZE;
}

/*
 * For fd_name accessors: copy a NUL-terminated name into the reply, or
 * -HM_ENAMETOOLONG when it does not fit in cap bytes.
 */
long hm_agent_put_name(const char *name, char *buf, size_t cap);

/*
 * Add one entry to a list reply, converted to the wire's byte order: 0, or
 * nonzero when it does not fit (the walk stops there and l->next says
 * where the host goes on). A name that could not fit even in an empty
 * reply is cut short (HM_NAME_CUT); name_len in the entry is the name's.
 */
int hm_agent_list_proc(struct hm_agent_list *l,
		       const struct hm_proc_entry *e);
int hm_agent_list_map(struct hm_agent_list *l, const struct hm_map_entry *e,
		      const char *name);
int hm_agent_list_fd(struct hm_agent_list *l, const struct hm_fd_entry *e,
		     const char *name);

/*
 * Offer the region to the host. Returns 0 when a host acknowledged it (and
 * updates region_pages and features), -HM_ENODEV when none did.
 */
int hm_agent_register(struct hm_agent *agent, uint32_t vcpu_index);

/*
 * Whether the host's subscription wants @event (guest byte order, as for
 * hm_agent_raise()), raised by the current task. Reads the table the host
 * keeps in agent->sub without a doorbell; asks ops->pid and ops->comm only
 * when a rule needs them.
 */
enum hm_want hm_agent_wants(struct hm_agent *agent,
			    const struct hm_event_record *event);
/* The same, and what the matching rule asks to fetch into @fetch. */
enum hm_want hm_agent_wants_fetching(struct hm_agent *agent,
				     const struct hm_event_record *event,
				     struct hm_fetch_list *fetch);

/*
 * Whether the host's subscription could want a syscall event (any task,
 * any arguments): HM_WANT_NO when no rule can select one, HM_WANT_GUEST
 * when the host has not chosen, HM_WANT_YES otherwise, a table it could
 * not read whole included. @seq gets the table's sequence count as read
 * (odd when no whole table was read): while hm_agent_sub_seq() says the
 * same, the answer holds.
 */
enum hm_want hm_agent_wants_syscalls(struct hm_agent *agent, uint32_t *seq);
/* The table's sequence count now, 0 before the host took the page. */
uint32_t hm_agent_sub_seq(const struct hm_agent *agent);

/*
 * Raise an event and serve the host's requests until it ends the event;
 * agent->control then holds what the host asked the OS to do with it.
 * Call it only after a successful hm_agent_register().
 */
void hm_agent_raise(struct hm_agent *agent,
		    const struct hm_event_record *event);
/* The same, with what @fetch names attached (HM_FEATURE_PREFETCH). */
void hm_agent_raise_fetching(struct hm_agent *agent,
			     const struct hm_event_record *event,
			     const struct hm_fetch_list *fetch);

/*
 * Serve the request in the region: writes the response. Returns 1 if the
 * region held HM_OP_NONE (the event is over), 0 otherwise.
 */
int hm_agent_serve(struct hm_agent *agent);

#endif
